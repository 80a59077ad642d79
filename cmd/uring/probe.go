package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/uringo/uring"
	"github.com/uringo/uring/features"
)

var _ = register("probe", command{
	summary: "show what this kernel's io_uring offers (--json for machines)",
	run:     runProbe,
})

// probeItem is one row of the report: an operation, setup flag, feature bit or register opcode.
type probeItem struct {
	Code      uint64   `json:"code"`       // the opcode, or the flag's bit value
	Name      string   `json:"name"`       // the kernel's name without its prefix, like "READV"
	MinKernel string   `json:"min_kernel"` // the first Linux release that has it
	Kernel    *bool    `json:"kernel"`     // whether this kernel has it; null when that could not be told
	Library   bool     `json:"library"`    // whether this library has a helper (or option) for it
	Helpers   []string `json:"helpers,omitempty"`
	Error     string   `json:"error,omitempty"` // why Kernel is null

	prefix string // "IORING_OP_", ...
}

// probeReport is everything uring probe prints; --json prints it as is.
type probeReport struct {
	KernelRelease string      `json:"kernel_release"`
	Available     bool        `json:"available"`
	Error         string      `json:"error,omitempty"`  // why io_uring is unavailable
	Newest        []string    `json:"newest,omitempty"` // the newest things this kernel has
	NewestKernel  string      `json:"newest_kernel,omitempty"`
	Opcodes       []probeItem `json:"opcodes"`
	SetupFlags    []probeItem `json:"setup_flags"`
	Features      []probeItem `json:"features"`
	RegisterOps   []probeItem `json:"register_ops"`
}

func runProbe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--h" || a == "--help" {
			fs.SetOutput(stdout) // asked for: not an error
		}
	}
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: uring probe [--json]

Shows what this kernel's io_uring offers: a verdict, then the operations, setup flags, feature
bits and io_uring_register opcodes, each with the kernel that added it, whether this kernel has
it, and whether this library has a helper for it: a Prep method, a New option, a Ring method
(for feature bits: a uring.Feat constant). The exit status is 1 if io_uring is unavailable.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "uring probe: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	rep := probe()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "uring probe:", err)
			return 1
		}
	} else {
		writeProbeText(stdout, rep)
	}
	if !rep.Available {
		return 1
	}
	return 0
}

// probe asks the features package everything.
func probe() probeReport {
	rep := probeReport{KernelRelease: features.KernelRelease(), Available: true}
	if err := features.Available(); err != nil {
		rep.Available = false
		rep.Error = err.Error()
	}
	for _, o := range uring.OpList {
		rep.Opcodes = append(rep.Opcodes, item(uint64(o.Op), o.Name, o.MinKernel, "IORING_OP_", features.HaveOp(o.Op), o.Op.Helpers()))
	}
	for _, f := range uring.SetupFlagList {
		rep.SetupFlags = append(rep.SetupFlags, item(uint64(f.Flag), f.Name, f.MinKernel, "IORING_SETUP_", features.HaveSetupFlag(f.Flag), setupOptions[f.Flag].names()))
	}
	for _, f := range uring.FeatureList {
		// Every bit in uring.FeatureList has a uring.Feat constant for Ring.Features().Has.
		it := item(uint64(f.Feature), f.Name, f.MinKernel, "IORING_FEAT_", features.HaveFeature(f.Feature), nil)
		it.Library = true
		rep.Features = append(rep.Features, it)
	}
	for _, r := range uring.RegisterOpList {
		rep.RegisterOps = append(rep.RegisterOps, item(uint64(r.Op), r.Name, r.MinKernel, "IORING_", features.HaveRegisterOp(r.Op), r.Op.Helpers()))
	}
	if rep.Available {
		rep.Newest, rep.NewestKernel = newest(rep.Opcodes, rep.SetupFlags, rep.Features, rep.RegisterOps)
	} else {
		// Every answer is "cannot tell" for the one reason in rep.Error.
		for _, list := range [][]probeItem{rep.Opcodes, rep.SetupFlags, rep.Features, rep.RegisterOps} {
			for i := range list {
				list[i].Error = ""
			}
		}
	}
	return rep
}

// item makes a row from the features package's answer: nil is yes, ErrNotSupported is no, and
// anything else is unknown.
func item(code uint64, name, minKernel, prefix string, answer error, helpers []string) probeItem {
	it := probeItem{Code: code, Name: name, MinKernel: minKernel, Library: len(helpers) > 0, Helpers: helpers, prefix: prefix}
	switch {
	case answer == nil:
		it.Kernel = new(bool)
		*it.Kernel = true
	case errors.Is(answer, uring.ErrNotSupported):
		it.Kernel = new(bool)
	default:
		it.Error = answer.Error()
	}
	return it
}

// newest returns the full names of what this kernel has from the latest release, and that release.
func newest(lists ...[]probeItem) ([]string, string) {
	var names []string
	best := ""
	for _, list := range lists {
		for _, it := range list {
			if it.Kernel == nil || !*it.Kernel {
				continue
			}
			switch c := compareVersions(it.MinKernel, best); {
			case c > 0:
				best, names = it.MinKernel, []string{it.prefix + it.Name}
			case c == 0:
				names = append(names, it.prefix+it.Name)
			}
		}
	}
	return names, best
}

// compareVersions compares releases like "6.18" and "5.1" numerically; "" is the oldest.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

func writeProbeText(w io.Writer, rep probeReport) {
	if !rep.Available {
		fmt.Fprintf(w, "io_uring is not available on Linux %s: %s\n", rep.KernelRelease, rep.Error)
		return
	}
	fmt.Fprintf(w, "io_uring available on Linux %s; newest feature present: %s (Linux %s)\n",
		rep.KernelRelease, strings.Join(rep.Newest, ", "), rep.NewestKernel)
	writeTable(w, "Operations (IORING_OP_*)", "supported", "CODE", rep.Opcodes, strconv.FormatUint)
	writeTable(w, "Setup flags (IORING_SETUP_*)", "accepted", "BIT", rep.SetupFlags, hexBit)
	writeTable(w, "Feature bits (IORING_FEAT_*)", "set", "BIT", rep.Features, hexBit)
	writeTable(w, "Register opcodes (io_uring_register)", "supported", "CODE", rep.RegisterOps, strconv.FormatUint)
}

func hexBit(v uint64, _ int) string { return "0x" + strconv.FormatUint(v, 16) }

// writeTable prints a section: what this kernel has first, then what it lacks, then what could
// not be told, each in code order.
func writeTable(w io.Writer, title, verb, codeHeader string, items []probeItem, code func(uint64, int) string) {
	rank := func(it probeItem) int {
		switch {
		case it.Kernel == nil:
			return 2
		case *it.Kernel:
			return 0
		}
		return 1
	}
	sorted := append([]probeItem(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool { return rank(sorted[i]) < rank(sorted[j]) })
	yes, lib := 0, 0
	for _, it := range items {
		if rank(it) == 0 {
			yes++
		}
		if it.Library {
			lib++
		}
	}
	fmt.Fprintf(w, "\n%s: %d of %d %s by this kernel, %d with a helper in this library\n", title, yes, len(items), verb, lib)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tNAME\tKERNEL\t%s\tLIBRARY\n", codeHeader, strings.ToUpper(verb))
	var unknown []string
	for _, it := range sorted {
		answer := "no"
		switch rank(it) {
		case 0:
			answer = "yes"
		case 2:
			answer = "?"
			unknown = append(unknown, it.Name+": "+it.Error)
		}
		helpers := "-"
		switch {
		case len(it.Helpers) > 0:
			helpers = strings.Join(it.Helpers, ", ")
		case it.Library:
			helpers = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", code(it.Code, 10), it.Name, it.MinKernel, answer, helpers)
	}
	tw.Flush()
	for _, u := range unknown {
		fmt.Fprintln(w, "  ?", u)
	}
}

// setupOption names the New options that set a setup flag. The functions themselves are kept,
// so that the names come from the code and cannot drift.
type setupOption []any

func (o setupOption) names() []string {
	var names []string
	for _, fn := range o {
		full := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
		names = append(names, full[strings.LastIndex(full, ".")+1:])
	}
	return names
}

var setupOptions = map[uring.SetupFlags]setupOption{
	uring.SetupIOPoll:           {uring.WithIOPoll},
	uring.SetupSQPoll:           {uring.WithSQPoll},
	uring.SetupSQAff:            {uring.WithSQPollCPU},
	uring.SetupCQSize:           {uring.WithCQSize},
	uring.SetupClamp:            {uring.WithClamp},
	uring.SetupAttachWQ:         {uring.WithAttachWQ},
	uring.SetupRDisabled:        {uring.WithDisabled},
	uring.SetupSubmitAll:        {uring.WithSubmitAll},
	uring.SetupCoopTaskrun:      {uring.WithCoopTaskrun},
	uring.SetupTaskrunFlag:      {uring.WithCoopTaskrun},
	uring.SetupSQE128:           {uring.WithSQE128},
	uring.SetupCQE32:            {uring.WithCQE32},
	uring.SetupSingleIssuer:     {uring.WithSingleIssuer},
	uring.SetupDeferTaskrun:     {uring.WithDeferTaskrun},
	uring.SetupNoMmap:           {uring.WithNoMmap},
	uring.SetupRegisteredFdOnly: {uring.WithRegisteredFdOnly},
	uring.SetupNoSQArray:        {uring.WithNoSQArray},
	uring.SetupHybridIOPoll:     {uring.WithHybridIOPoll},
	uring.SetupCQEMixed:         {uring.WithCQEMixed},
}
