package uring

import (
	"errors"
	"testing"
)

// TestProbe checks the kernel's list of operations: Linux 6.16 added PIPE, and every op the
// library names up to it must be there; an op code past last_op never is.
func TestProbe(t *testing.T) {
	r := newRing(t, 4)
	p, err := r.Probe()
	if err != nil {
		t.Fatal(err)
	}
	if p.LastOp() < OpPipe {
		t.Fatalf("LastOp() = %v, want at least PIPE on Linux 6.16+", p.LastOp())
	}
	for op := OpNop; op <= OpPipe; op++ {
		if !p.Supported(op) {
			t.Errorf("%v (Linux %s) reported unsupported", op, op.MinKernel())
		}
	}
	if p.LastOp() < OpNop128 && (p.Supported(OpNop128) || p.Supported(OpUringCmd128)) {
		t.Errorf("ops past LastOp() = %v reported supported", p.LastOp())
	}
	if p.Supported(Op(255)) {
		t.Error("op 255 reported supported")
	}
	var nilProbe *Probe
	if nilProbe.Supported(OpNop) || nilProbe.LastOp() != 0 {
		t.Error("a nil Probe supports something")
	}
}

func TestProbeClosedRing(t *testing.T) {
	r, err := New(4)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if p, err := r.Probe(); !errors.Is(err, ErrClosed) || p != nil {
		t.Fatalf("Probe on a closed ring: %v, %v; want ErrClosed", p, err)
	}
}
