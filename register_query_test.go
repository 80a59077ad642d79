package uring

import (
	"errors"
	"testing"

	"github.com/uringo/uring/internal/abi"
)

// TestQuery checks what IORING_REGISTER_QUERY reports against what this library and the ring
// know of the 6.18 kernel, with and without a ring.
func TestQuery(t *testing.T) {
	q, err := Query()
	if err != nil {
		t.Fatal(err)
	}
	r := newRing(t, 8)
	p, err := r.Probe()
	if err != nil {
		t.Fatal(err)
	}
	if q.Ops != int(p.LastOp())+1 {
		t.Errorf("%d ops, the probe's last op is %v", q.Ops, p.LastOp())
	}
	if q.RegisterOps <= int(RegisterOp(abi.IORING_REGISTER_QUERY)) {
		t.Errorf("%d register ops: QUERY itself is %d", q.RegisterOps, RegisterOp(abi.IORING_REGISTER_QUERY))
	}
	if q.QueryOps < 1 {
		t.Errorf("%d query ops", q.QueryOps)
	}
	if !q.Features.Has(r.Features()) {
		t.Errorf("features %v lack the ring's %v", q.Features, r.Features())
	}
	for _, f := range []SetupFlags{SetupSQPoll, SetupDeferTaskrun, SetupNoMmap, SetupCQEMixed} {
		if q.SetupFlags&f == 0 {
			t.Errorf("setup flag %v missing from %v", f, q.SetupFlags)
		}
	}
	if q.SQEFlags&SQECQESkipSuccess == 0 || q.EnterFlags&abi.IORING_ENTER_EXT_ARG_REG == 0 {
		t.Errorf("SQE flags %v, enter flags %#x", q.SQEFlags, q.EnterFlags)
	}
	rq, err := r.Query()
	if err != nil {
		t.Fatal(err)
	}
	if rq != q {
		t.Errorf("through the ring %+v, without %+v", rq, q)
	}
	r.Close()
	if _, err := r.Query(); !errors.Is(err, ErrClosed) {
		t.Errorf("closed ring: %v", err)
	}
}
