package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/uringo/uring/features"
)

func TestProbeText(t *testing.T) {
	res := runUring(t, false, "probe")
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	first, rest, _ := strings.Cut(res.stdout, "\n")
	want := "io_uring available on Linux " + features.KernelRelease() + "; newest feature present: "
	if !strings.HasPrefix(first, want) || !strings.Contains(first, "IORING_SETUP_CQE_MIXED") || !strings.HasSuffix(first, "(Linux 6.18)") {
		t.Fatalf("verdict %q, want it to start %q and name CQE_MIXED of Linux 6.18", first, want)
	}
	for _, re := range []string{
		`(?m)^1\s+READV\s+5\.1\s+yes\s+PrepReadv, PrepReadv2$`,
		`(?m)^63\s+NOP128\s+6\.19\s+no\s+-$`,
		`(?m)^0x40000\s+CQE_MIXED\s+6\.18\s+yes\s+WithCQEMixed$`,
		`(?m)^0x80000\s+SQE_MIXED\s+6\.19\s+no\s+-$`,
		`(?m)^0x2\s+NODROP\s+5\.5\s+yes\s+yes$`,
		`(?m)^8\s+REGISTER_PROBE\s+5\.6\s+yes\s+Probe$`,
		`(?m)^37\s+REGISTER_BPF_FILTER\s+7\.0\s+no\s+-$`,
		`Operations \(IORING_OP_\*\): 63 of 65 supported by this kernel`,
	} {
		if !regexp.MustCompile(re).MatchString(rest) {
			t.Errorf("no line matches %s in:\n%s", re, res.stdout)
		}
	}
	// Supported first: every "no" row of the operations table comes after every "yes" row.
	ops := rest[:strings.Index(rest, "Setup flags")]
	if strings.LastIndex(ops, " yes ") > strings.Index(ops, " no ") {
		t.Errorf("a supported operation is listed after an unsupported one:\n%s", ops)
	}
}

// probeJSON is the part of the --json report the tests read.
type probeJSON struct {
	KernelRelease string `json:"kernel_release"`
	Available     bool   `json:"available"`
	Error         string `json:"error"`
	Opcodes       []row  `json:"opcodes"`
	SetupFlags    []row  `json:"setup_flags"`
	Features      []row  `json:"features"`
	RegisterOps   []row  `json:"register_ops"`
}

type row struct {
	Code    uint64 `json:"code"`
	Name    string `json:"name"`
	Kernel  *bool  `json:"kernel"`
	Library bool   `json:"library"`
}

func decodeProbe(t *testing.T, out string) probeJSON {
	t.Helper()
	var rep probeJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
	return rep
}

func TestProbeJSON(t *testing.T) {
	for _, flag := range []string{"--json", "-json"} {
		res := runUring(t, false, "probe", flag)
		if res.code != 0 {
			t.Fatalf("%s: exit %d, stderr %q", flag, res.code, res.stderr)
		}
		rep := decodeProbe(t, res.stdout)
		if !rep.Available || rep.KernelRelease != features.KernelRelease() || rep.Error != "" {
			t.Fatalf("%s: available %v, release %q, error %q", flag, rep.Available, rep.KernelRelease, rep.Error)
		}
		if len(rep.Opcodes) != 65 {
			t.Fatalf("%s: %d opcodes, want 65", flag, len(rep.Opcodes))
		}
		for i, op := range rep.Opcodes {
			if op.Code != uint64(i) || op.Kernel == nil {
				t.Fatalf("%s: opcode %d is %+v", flag, i, op)
			}
			if want := i <= 62; *op.Kernel != want {
				t.Errorf("%s: opcode %d %s: kernel %v, want %v on Linux 6.18", flag, i, op.Name, *op.Kernel, want)
			}
		}
		if nop := rep.Opcodes[0]; nop.Name != "NOP" || !*nop.Kernel || !nop.Library {
			t.Errorf("%s: NOP is %+v", flag, nop)
		}
		checkRows(t, "setup_flags", rep.SetupFlags, 21, map[string]bool{"SQPOLL": true, "CQE_MIXED": true, "SQE_MIXED": false, "SQ_REWIND": false})
		checkRows(t, "features", rep.Features, 18, map[string]bool{"NODROP": true, "NO_IOWAIT": true})
		checkRows(t, "register_ops", rep.RegisterOps, 38, map[string]bool{"REGISTER_PROBE": true, "REGISTER_QUERY": true, "REGISTER_ZCRX_CTRL": false})
		if !rep.RegisterOps[8].Library || rep.RegisterOps[0].Library {
			t.Errorf("library: REGISTER_PROBE %v, REGISTER_BUFFERS %v", rep.RegisterOps[8].Library, rep.RegisterOps[0].Library)
		}
	}
}

func checkRows(t *testing.T, list string, rows []row, n int, want map[string]bool) {
	t.Helper()
	if len(rows) != n {
		t.Errorf("%s: %d rows, want %d", list, len(rows), n)
	}
	seen := 0
	for _, r := range rows {
		if r.Kernel == nil {
			t.Errorf("%s: %s could not be told", list, r.Name)
			continue
		}
		if w, ok := want[r.Name]; ok {
			seen++
			if *r.Kernel != w {
				t.Errorf("%s: %s kernel %v, want %v", list, r.Name, *r.Kernel, w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%s: found %d of the rows %v", list, seen, want)
	}
}

func TestProbeUsage(t *testing.T) {
	for _, args := range [][]string{{"probe", "--bogus"}, {"probe", "extra"}} {
		res := runUring(t, false, args...)
		if res.code != 2 || !strings.Contains(res.stderr, "Usage: uring probe") || res.stdout != "" {
			t.Errorf("uring %v: exit %d, stdout %q, stderr %q; want 2 and the usage on stderr", args, res.code, res.stdout, res.stderr)
		}
	}
	if res := runUring(t, false, "probe", "--bogus"); !strings.Contains(res.stderr, "flag provided but not defined: -bogus") {
		t.Errorf("the unknown flag is not named: %q", res.stderr)
	}
	for _, args := range [][]string{{"help", "probe"}, {"probe", "-h"}} {
		if res := runUring(t, false, args...); res.code != 0 || !strings.Contains(res.stdout, "-json") {
			t.Errorf("uring %v: exit %d, stdout %q", args, res.code, res.stdout)
		}
	}
}

// TestProbeUnavailable runs the command under a seccomp filter that refuses io_uring: it says
// so and why, and exits 1.
func TestProbeUnavailable(t *testing.T) {
	res := runUring(t, true, "probe")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1; stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	if !strings.HasPrefix(res.stdout, "io_uring is not available on Linux "+features.KernelRelease()) ||
		!strings.Contains(res.stdout, "seccomp filter") || !strings.Contains(res.stdout, "function not implemented") {
		t.Errorf("output does not give the cause: %q", res.stdout)
	}
	res = runUring(t, true, "probe", "--json")
	if res.code != 1 {
		t.Fatalf("--json: exit %d, want 1", res.code)
	}
	rep := decodeProbe(t, res.stdout)
	if rep.Available || !strings.Contains(rep.Error, "seccomp filter") || len(rep.Opcodes) != 65 || rep.Opcodes[0].Kernel != nil {
		t.Errorf("--json under the filter: available %v, error %q, NOP %+v", rep.Available, rep.Error, rep.Opcodes[0])
	}
}
