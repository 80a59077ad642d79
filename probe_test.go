package uring

import (
	"errors"
	"testing"
)

// TestProbe checks the kernel's answer against what this 6.18 machine has.
func TestProbe(t *testing.T) {
	r := newRing(t, 8)
	p, err := r.Probe()
	if err != nil {
		t.Fatal(err)
	}
	if p.LastOp() < OpPipe {
		t.Fatalf("LastOp %v, want at least PIPE (6.16)", p.LastOp())
	}
	for _, op := range []Op{OpNop, OpReadv, OpReadFixed, OpFilesUpdate, OpFixedFdInstall, OpReadvFixed, OpPipe} {
		if !p.Supported(op) {
			t.Errorf("%v not supported", op)
		}
	}
	if p.Supported(p.LastOp()+1) || p.Supported(Op(255)) {
		t.Error("an op past LastOp is supported")
	}
	ops := p.Ops()
	if len(ops) < int(OpPipe) || ops[0] != OpNop || ops[len(ops)-1] > p.LastOp() {
		t.Errorf("Ops() = %v", ops)
	}
	var none *Probe
	if none.Supported(OpNop) || none.LastOp() != 0 || none.Ops() != nil {
		t.Error("a nil Probe supports something")
	}
	r.Close()
	if _, err := r.Probe(); !errors.Is(err, ErrClosed) {
		t.Errorf("closed ring: %v", err)
	}
}
