package features

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/uringo/uring"
	"github.com/uringo/uring/internal/sandbox"
)

// wantNotSupported checks that err says "not supported", names what, and the kernel that has it.
func wantNotSupported(t *testing.T, err error, what, minKernel string) {
	t.Helper()
	var ns *uring.NotSupportedError
	if !errors.Is(err, uring.ErrNotSupported) || !errors.As(err, &ns) {
		t.Fatalf("%s: %v, want a *uring.NotSupportedError", what, err)
	}
	if !strings.HasPrefix(ns.What, what) || ns.MinKernel != minKernel || !strings.Contains(err.Error(), "Linux "+minKernel) {
		t.Fatalf("%s: %+v (%q), want it named, needing Linux %s", what, ns, err, minKernel)
	}
}

func TestAvailableAndKernelRelease(t *testing.T) {
	if err := Available(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := KernelRelease(), strings.TrimSpace(string(b)); got != want || got == "" {
		t.Fatalf("KernelRelease() = %q, want %q", got, want)
	}
}

// TestHaveOp: Linux 6.18 has every operation up to PIPE (62), and neither NOP128 nor
// URING_CMD128, which came in 6.19.
func TestHaveOp(t *testing.T) {
	for op := uring.OpNop; op <= uring.OpPipe; op++ {
		if err := HaveOp(op); err != nil {
			t.Errorf("HaveOp(%v): %v", op, err)
		}
	}
	for _, op := range []uring.Op{uring.OpNop128, uring.OpUringCmd128} {
		wantNotSupported(t, HaveOp(op), "IORING_OP_"+op.String(), "6.19")
	}
	if err := HaveOp(200); !errors.Is(err, uring.ErrNotSupported) {
		t.Errorf("HaveOp(200): %v", err)
	}
}

// TestHaveSetupFlag: Linux 6.18 accepts every setup flag up to CQE_MIXED and refuses the two
// that came later.
func TestHaveSetupFlag(t *testing.T) {
	for _, info := range uring.SetupFlagList {
		err := HaveSetupFlag(info.Flag)
		switch info.Flag {
		case uring.SetupSQEMixed, uring.SetupSQRewind:
			wantNotSupported(t, err, "IORING_SETUP_"+info.Name, info.MinKernel)
			if !errors.Is(err, syscall.EINVAL) {
				t.Errorf("%s: %v does not carry the kernel's EINVAL", info.Name, err)
			}
		default:
			if err != nil {
				t.Errorf("HaveSetupFlag(%s): %v", info.Name, err)
			}
		}
	}
	for _, f := range []uring.SetupFlags{0, uring.SetupIOPoll | uring.SetupSQPoll, 1 << 30} {
		if err := HaveSetupFlag(f); !errors.Is(err, uring.ErrInvalid) {
			t.Errorf("HaveSetupFlag(%v): %v, want ErrInvalid", f, err)
		}
	}
}

// TestHaveFeature compares the answers with the features of a ring of this test's own.
func TestHaveFeature(t *testing.T) {
	r, err := uring.New(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, info := range uring.FeatureList {
		err := HaveFeature(info.Feature)
		if r.Features().Has(info.Feature) != (err == nil) {
			t.Errorf("HaveFeature(%s): %v, but the ring's features are %v", info.Name, err, r.Features())
		}
		if err != nil {
			wantNotSupported(t, err, "IORING_FEAT_"+info.Name, info.MinKernel)
		}
	}
	if err := HaveFeature(uring.FeatNoIOWait); err != nil { // the newest this library knows: 6.15
		t.Errorf("HaveFeature(NO_IOWAIT) on Linux 6.18: %v", err)
	}
	if err := HaveFeature(uring.FeatNoDrop | uring.FeatExtArg); !errors.Is(err, uring.ErrInvalid) {
		t.Errorf("two bits at once: %v, want ErrInvalid", err)
	}
}

// TestHaveRegisterOp: Linux 6.18 knows every register opcode up to QUERY (35), and neither
// ZCRX_CTRL nor BPF_FILTER. NAPI and ZCRX_IFQ depend on the kernel's configuration.
func TestHaveRegisterOp(t *testing.T) {
	for _, info := range uring.RegisterOpList {
		err := HaveRegisterOp(info.Op)
		switch {
		case info.Op > newestOn618:
			wantNotSupported(t, err, "IORING_"+info.Name, info.MinKernel)
		case regProbes[info.Op].config != "" && errors.Is(err, syscall.EOPNOTSUPP):
			wantNotSupported(t, err, "IORING_"+info.Name, info.MinKernel)
			t.Logf("%s: %v", info.Name, err)
		case err != nil:
			t.Errorf("HaveRegisterOp(%s): %v", info.Name, err)
		}
	}
	if err := HaveRegisterOp(uring.RegisterOp(len(uring.RegisterOpList))); !errors.Is(err, uring.ErrInvalid) {
		t.Errorf("an opcode past the list: %v, want ErrInvalid", err)
	}
}

const newestOn618 = uring.RegisterOp(35) // IORING_REGISTER_QUERY, the newest of Linux 6.18

// TestRegisterProbeTable checks that every opcode has a probe with answers that prove it known,
// and none of them is EINVAL, the answer to an opcode the kernel does not know.
func TestRegisterProbeTable(t *testing.T) {
	if len(regProbes) != len(uring.RegisterOpList) {
		t.Fatalf("%d probes for %d register opcodes", len(regProbes), len(uring.RegisterOpList))
	}
	for op, p := range regProbes {
		if len(p.known) == 0 || slices.Contains(p.known, syscall.EINVAL) {
			t.Errorf("%v: known answers %v", uring.RegisterOp(op), p.known)
		}
	}
}

// TestClassify checks how answers read: a proof, EINVAL, EOPNOTSUPP with and without a kernel
// option to blame, EBADF from a blind opcode, and answers that say nothing.
func TestClassify(t *testing.T) {
	napi := uring.RegisterOp(27)
	sendMsgRing := uring.RegisterOp(31)
	buffers := uring.RegisterOp(0)
	cases := []struct {
		op   uring.RegisterOp
		raw  error
		want string // "yes", "no", "?"
	}{
		{buffers, syscall.EFAULT, "yes"},
		{buffers, syscall.EINVAL, "no"},
		{buffers, syscall.ENOMEM, "?"},
		{buffers, nil, "?"},
		{buffers, syscall.EOPNOTSUPP, "?"},
		{buffers, errors.New("not an errno"), "?"},
		{napi, syscall.EOPNOTSUPP, "no"},
		{sendMsgRing, syscall.EBADF, "no"},
		{uring.RegisterOp(9), nil, "yes"}, // REGISTER_PERSONALITY
	}
	for _, c := range cases {
		err := classify(c.op, regProbes[c.op], c.raw)
		got := "?"
		switch {
		case err == nil:
			got = "yes"
		case errors.Is(err, uring.ErrNotSupported):
			got = "no"
		}
		if got != c.want {
			t.Errorf("%v answered %v: %v (%s), want %s", c.op, c.raw, err, got, c.want)
		}
	}
	if err := classify(napi, regProbes[napi], syscall.EOPNOTSUPP); !strings.Contains(err.Error(), "CONFIG_NET_RX_BUSY_POLL") {
		t.Errorf("a compiled-out opcode does not say why: %v", err)
	}
}

// TestConcurrentAndCached asks everything from many goroutines at once (run it with -race),
// then checks that one throwaway ring answered every HaveOp, HaveFeature and Available.
func TestConcurrentAndCached(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, o := range uring.OpList[:int(uring.OpPipe)+1] {
				if err := HaveOp(o.Op); err != nil {
					errs <- err
				}
			}
			for _, f := range []uring.SetupFlags{uring.SetupCQSize, uring.SetupSingleIssuer, uring.SetupCQEMixed} {
				if err := HaveSetupFlag(f); err != nil {
					errs <- err
				}
			}
			if err := HaveRegisterOp(uring.RegisterOp(24)); err != nil {
				errs <- err
			}
			if err := HaveFeature(uring.FeatExtArg); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if basicRuns != 1 {
		t.Errorf("%d throwaway rings for the basic facts, want 1", basicRuns)
	}
}

// TestUnavailable runs the questions in a child process whose seccomp filter refuses io_uring,
// as a container's default profile does: Available says why, and every other answer is
// inconclusive, never "not supported".
func TestUnavailable(t *testing.T) {
	if os.Getenv("URING_FEATURES_TEST_DENY") == "1" {
		if err := sandbox.DenyIOUring(syscall.ENOSYS); err != nil {
			fmt.Println("sandbox:", err)
			os.Exit(2)
		}
		report := func(name string, err error) {
			fmt.Printf("%s: nil=%v notsupported=%v msg=%v\n", name, err == nil, errors.Is(err, uring.ErrNotSupported), err)
		}
		err := Available()
		var se *uring.SetupError
		fmt.Printf("setuperror=%v unavailable=%v enosys=%v\n", errors.As(err, &se), uring.IsUnavailable(err), errors.Is(err, syscall.ENOSYS))
		report("Available", err)
		report("HaveOp", HaveOp(uring.OpNop))
		report("HaveSetupFlag", HaveSetupFlag(uring.SetupCQSize))
		report("HaveFeature", HaveFeature(uring.FeatNoDrop))
		report("HaveRegisterOp", HaveRegisterOp(uring.RegisterOp(0)))
		report("Available again", Available())
		fmt.Printf("rings=%d\n", basicRuns)
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUnavailable$")
	cmd.Env = append(os.Environ(), "URING_FEATURES_TEST_DENY=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "setuperror=true unavailable=true enosys=true") {
		t.Errorf("Available() in the sandbox does not wrap the SetupError:\n%s", s)
	}
	for _, name := range []string{"Available", "HaveOp", "HaveSetupFlag", "HaveFeature", "HaveRegisterOp", "Available again"} {
		if !strings.Contains(s, "\n"+name+": nil=false notsupported=false msg=") {
			t.Errorf("%s in the sandbox is not an inconclusive error:\n%s", name, s)
		}
	}
	if !strings.Contains(s, "seccomp filter") || !strings.Contains(s, "rings=1") {
		t.Errorf("the cause is not named, or unavailability was not cached:\n%s", s)
	}
}
