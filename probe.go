package uring

import (
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var _ = registerHelpers(abi.IORING_REGISTER_PROBE, "Probe")

// Probe is the kernel's answer to IORING_REGISTER_PROBE: which operations it supports.
type Probe struct {
	lastOp    Op
	supported [256]bool
}

// Probe asks the kernel which operations it supports (IORING_REGISTER_PROBE, 5.6;
// io_uring_get_probe_ring).
func (r *Ring) Probe() (*Probe, error) {
	var raw abi.Probe
	if _, err := r.register("IORING_REGISTER_PROBE", abi.IORING_REGISTER_PROBE, unsafe.Pointer(&raw), uint32(len(raw.Ops))); err != nil {
		return nil, err
	}
	p := &Probe{lastOp: Op(raw.LastOp)}
	for _, o := range raw.Ops[:min(int(raw.OpsLen), len(raw.Ops))] {
		if o.Flags&abi.IO_URING_OP_SUPPORTED != 0 {
			p.supported[o.Op] = true
		}
	}
	return p, nil
}

// Supported reports whether the kernel supports op (its io_uring_probe_op has
// IO_URING_OP_SUPPORTED; io_uring_opcode_supported). A nil Probe supports nothing.
func (p *Probe) Supported(op Op) bool { return p != nil && p.supported[op] }

// LastOp returns the highest operation code the kernel knows (io_uring_probe.last_op).
func (p *Probe) LastOp() Op {
	if p == nil {
		return 0
	}
	return p.lastOp
}

// Ops returns every supported operation, in code order.
func (p *Probe) Ops() []Op {
	if p == nil {
		return nil
	}
	var ops []Op
	for i, ok := range p.supported {
		if ok {
			ops = append(ops, Op(i))
		}
	}
	return ops
}
