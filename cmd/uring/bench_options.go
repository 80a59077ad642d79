package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// rwKind is a workload of --rw.
type rwKind int

const (
	rwRead rwKind = iota
	rwWrite
	rwRandRead
	rwRandWrite
	rwMixed
	rwRandMixed
	rwNop
)

var rwNames = map[string]rwKind{
	"read": rwRead, "write": rwWrite, "randread": rwRandRead, "randwrite": rwRandWrite,
	"rw": rwMixed, "readwrite": rwMixed, "randrw": rwRandMixed, "nop": rwNop,
}

// benchOptions are the options of one bench run, in fio's words.
type benchOptions struct {
	rw          string
	rwKind      rwKind
	rwmixread   int
	bs          int64
	size        int64 // 0: the file's size, or defaultFileSize for a file the bench makes
	filename    string
	directory   string
	direct      bool
	numjobs     int
	iodepth     int
	batchSubmit int
	runtime     time.Duration // 0: none (size-bound)
	timeBased   bool
	ramp        time.Duration
	engine      string
	fixedbufs   bool
	registerfiles,
	sqpoll,
	hipri bool
	verify     string // "" or "crc32c"
	verifyOnly bool
	json       bool
	compare    []string
	rounds     int
	kbBase     int

	hist bool // (internal) include the latency histograms in the JSON: the rounds of --compare
}

func (o *benchOptions) random() bool {
	return o.rwKind == rwRandRead || o.rwKind == rwRandWrite || o.rwKind == rwRandMixed
}

func (o *benchOptions) reads() bool {
	return o.rwKind == rwRead || o.rwKind == rwRandRead || o.rwKind == rwMixed || o.rwKind == rwRandMixed
}

func (o *benchOptions) writes() bool {
	return o.rwKind == rwWrite || o.rwKind == rwRandWrite || o.rwKind == rwMixed || o.rwKind == rwRandMixed
}

// usageError is a bad command line: the bench prints it and exits with status 1, as fio does.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badOption(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// verifyFlag is --verify: a bool-like flag (--verify alone means crc32c) that also takes fio's
// method names.
type verifyFlag struct{ v *string }

func (f verifyFlag) String() string {
	if f.v == nil {
		return ""
	}
	return *f.v
}

func (f verifyFlag) IsBoolFlag() bool { return true }

func (f verifyFlag) Set(s string) error {
	switch strings.ToLower(s) {
	case "true", "1", "crc32c", "crc32c-intel":
		*f.v = "crc32c"
	case "false", "0", "null", "":
		*f.v = ""
	default:
		return fmt.Errorf("unknown verify method %q (this bench has crc32c)", s)
	}
	return nil
}

// parseBenchArgs reads the command line of uring bench. It returns a usageError for options
// fio would refuse too, with fio's kind of message.
func parseBenchArgs(args []string) (*benchOptions, error) {
	o := &benchOptions{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var bs, size, runtime, ramp, compare, format string
	fs.StringVar(&o.rw, "rw", "randread", "")
	fs.StringVar(&o.rw, "readwrite", "randread", "")
	fs.IntVar(&o.rwmixread, "rwmixread", 50, "")
	fs.StringVar(&bs, "bs", "4k", "")
	fs.StringVar(&bs, "blocksize", "4k", "")
	fs.StringVar(&size, "size", "", "")
	fs.StringVar(&o.filename, "filename", "", "")
	fs.StringVar(&o.directory, "directory", "", "")
	fs.BoolVar(&o.direct, "direct", false, "")
	fs.IntVar(&o.numjobs, "numjobs", 1, "")
	fs.IntVar(&o.iodepth, "iodepth", 1, "")
	fs.IntVar(&o.batchSubmit, "iodepth_batch_submit", 1, "")
	fs.IntVar(&o.batchSubmit, "iodepth_batch", 1, "")
	fs.StringVar(&runtime, "runtime", "", "")
	fs.BoolVar(&o.timeBased, "time_based", false, "")
	fs.StringVar(&ramp, "ramp_time", "", "")
	fs.StringVar(&o.engine, "ioengine", "", "")
	fs.BoolVar(&o.fixedbufs, "fixedbufs", false, "")
	fs.BoolVar(&o.registerfiles, "registerfiles", false, "")
	fs.BoolVar(&o.sqpoll, "sqthread_poll", false, "")
	fs.BoolVar(&o.hipri, "hipri", false, "")
	fs.Var(verifyFlag{&o.verify}, "verify", "")
	fs.BoolVar(&o.verifyOnly, "verify_only", false, "")
	fs.StringVar(&format, "output-format", "normal", "")
	fs.StringVar(&compare, "compare", "", "")
	fs.IntVar(&o.rounds, "rounds", 4, "")
	fs.IntVar(&o.kbBase, "kb_base", 1024, "")
	fs.BoolVar(&o.hist, "hist", false, "")
	if err := fs.Parse(args); err != nil {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			return nil, badOption("unrecognized option '--%s' (uring help bench lists the options)", strings.TrimLeft(name, "-"))
		}
		if strings.HasPrefix(msg, "invalid value") || strings.HasPrefix(msg, "invalid boolean") {
			return nil, badOption("%s", strings.Replace(msg, " for flag ", " for option ", 1))
		}
		return nil, badOption("%s", msg)
	}
	if fs.NArg() > 0 {
		return nil, badOption("unexpected argument %q: options are written --name=value", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if o.kbBase != 1024 && o.kbBase != 1000 {
		return nil, badOption("--kb_base must be 1024 or 1000, not %d", o.kbBase)
	}
	kind, ok := rwNames[strings.ToLower(o.rw)]
	if !ok {
		return nil, badOption("unknown --rw %q (one of read, write, randread, randwrite, rw, randrw, nop)", o.rw)
	}
	o.rwKind = kind
	var err error
	if o.bs, err = parseSize(bs, o.kbBase); err != nil {
		return nil, badOption("--bs: %v", err)
	}
	if o.bs <= 0 {
		return nil, badOption("--bs must be positive, not %s", bs)
	}
	if o.bs > 1<<30 {
		return nil, badOption("--bs %s is larger than 1GiB", bs)
	}
	if size != "" {
		if o.size, err = parseSize(size, o.kbBase); err != nil {
			return nil, badOption("--size: %v", err)
		}
		if o.size <= 0 {
			return nil, badOption("--size must be positive, not %s", size)
		}
		if o.size < o.bs {
			return nil, badOption("--size %s is smaller than bs (%d)", size, o.bs)
		}
	}
	if runtime != "" {
		if o.runtime, err = parseTime(runtime); err != nil {
			return nil, badOption("--runtime: %v", err)
		}
		if o.runtime <= 0 {
			return nil, badOption("--runtime must be positive, not %s", runtime)
		}
	}
	if ramp != "" {
		if o.ramp, err = parseTime(ramp); err != nil {
			return nil, badOption("--ramp_time: %v", err)
		}
		if o.ramp < 0 {
			return nil, badOption("--ramp_time must not be negative, not %s", ramp)
		}
	}
	switch {
	case o.numjobs < 1:
		return nil, badOption("--numjobs must be at least 1, not %d", o.numjobs)
	case o.numjobs > 4096:
		return nil, badOption("--numjobs %d is more than 4096", o.numjobs)
	case o.iodepth < 1:
		return nil, badOption("--iodepth must be at least 1, not %d", o.iodepth)
	case o.iodepth > 32768:
		return nil, badOption("--iodepth %d is more than a ring holds (32768)", o.iodepth)
	case o.batchSubmit < 0:
		return nil, badOption("--iodepth_batch_submit must not be negative, not %d", o.batchSubmit)
	case o.rwmixread < 0 || o.rwmixread > 100:
		return nil, badOption("--rwmixread must be between 0 and 100, not %d", o.rwmixread)
	case o.rounds < 1:
		return nil, badOption("--rounds must be at least 1, not %d", o.rounds)
	case o.timeBased && o.runtime == 0:
		return nil, badOption("--time_based needs --runtime")
	case o.direct && o.bs%512 != 0:
		return nil, badOption("bs %d is not a multiple of 512, which --direct needs", o.bs)
	case o.verify != "" && o.bs < verifyHeader:
		return nil, badOption("--verify needs bs of at least %d bytes for its block header, not %d", verifyHeader, o.bs)
	case o.verify != "" && o.rwKind == rwNop:
		return nil, badOption("--verify has nothing to check with --rw=nop")
	case o.verifyOnly && o.verify == "":
		o.verify = "crc32c" // fio needs verify= too; asking for the check is enough here
	}
	if o.verifyOnly && o.filename == "" {
		return nil, badOption("--verify_only needs --filename: it checks a file an earlier --verify run wrote")
	}
	if o.rwKind == rwNop && (o.filename != "" || o.direct) {
		return nil, badOption("--rw=nop touches no file: drop --filename and --direct")
	}
	switch format {
	case "json":
		o.json = true
	case "normal", "terse":
	default:
		return nil, badOption("unknown --output-format %q (normal or json)", format)
	}
	if compare != "" {
		if set["ioengine"] {
			return nil, badOption("--compare and --ioengine exclude each other: --compare names the engines")
		}
		o.compare = strings.Split(compare, ",")
		for i, name := range o.compare {
			o.compare[i] = engineAlias(name)
		}
		if len(o.compare) != 2 || o.compare[0] == o.compare[1] {
			return nil, badOption("--compare takes two different engines, like --compare=%s,psync", defaultEngine())
		}
		for _, name := range o.compare {
			if err := checkEngine(name, o); err != nil {
				return nil, err
			}
		}
		if o.runtime == 0 {
			o.runtime, o.timeBased = 2*time.Second, true
		}
		if !set["ramp_time"] {
			o.ramp = 100 * time.Millisecond
		}
		return o, nil
	}
	if o.engine == "" {
		o.engine = defaultEngine()
	}
	o.engine = engineAlias(o.engine)
	if err := checkEngine(o.engine, o); err != nil {
		return nil, err
	}
	return o, nil
}

// engineAlias maps fio's name io_uring to the engine of the same shape, uring-batch.
func engineAlias(name string) string {
	if name == "io_uring" {
		return "uring-batch"
	}
	return name
}

// checkEngine refuses an unknown engine, or options the engine cannot honour.
func checkEngine(name string, o *benchOptions) error {
	e, ok := engines[name]
	if !ok {
		return badOption("unknown ioengine %q (engines: %s)", name, engineNames())
	}
	if err := e.check(o); err != nil {
		return &usageError{err.Error()}
	}
	return nil
}

// childArgs writes the options back as a command line for one round of --compare, run by a
// child process on engine name for d on the parent's file.
func (o *benchOptions) childArgs(name string, t *target, d time.Duration) []string {
	a := []string{"bench",
		"--ioengine=" + name,
		"--rw=" + o.rw,
		"--rwmixread=" + strconv.Itoa(o.rwmixread),
		"--bs=" + strconv.FormatInt(o.bs, 10),
		"--numjobs=" + strconv.Itoa(o.numjobs),
		"--iodepth=" + strconv.Itoa(o.iodepth),
		"--iodepth_batch_submit=" + strconv.Itoa(o.batchSubmit),
		"--runtime=" + strconv.FormatInt(d.Microseconds(), 10) + "us",
		"--time_based",
		"--ramp_time=" + strconv.FormatInt(o.ramp.Microseconds(), 10) + "us",
		"--output-format=json",
		"--hist",
	}
	if t != nil {
		a = append(a, "--size="+strconv.FormatInt(t.size, 10), "--filename="+t.name)
	}
	for _, b := range []struct {
		on   bool
		name string
	}{{o.direct, "direct"}, {o.fixedbufs, "fixedbufs"}, {o.registerfiles, "registerfiles"}, {o.sqpoll, "sqthread_poll"}, {o.hipri, "hipri"}} {
		if b.on {
			a = append(a, "--"+b.name)
		}
	}
	if o.verify != "" {
		a = append(a, "--verify="+o.verify)
	}
	return a
}
