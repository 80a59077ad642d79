package uring

import (
	"errors"
	"syscall"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var _ = registerHelpers(abi.IORING_REGISTER_PROBE, "Probe")

// Probe is the kernel's answer to IORING_REGISTER_PROBE: which operations it supports.
// Ring.Probe returns it; the features package caches one for the whole process.
type Probe struct {
	lastOp    Op
	supported [256]bool
}

// Probe asks the kernel which operations it supports (IORING_REGISTER_PROBE, 5.6;
// io_uring_get_probe_ring). A kernel before 5.6 answers with a *NotSupportedError.
func (r *Ring) Probe() (*Probe, error) {
	p := new(abi.Probe) // the kernel writes it during the call: 16 bytes and 256 ops
	_, err := r.register("IORING_REGISTER_PROBE", abi.IORING_REGISTER_PROBE, unsafe.Pointer(p), uint32(len(p.Ops)))
	if err != nil {
		if errors.Is(err, syscall.EINVAL) {
			return nil, &NotSupportedError{What: "IORING_REGISTER_PROBE", MinKernel: "5.6", Errno: syscall.EINVAL}
		}
		return nil, err
	}
	out := &Probe{lastOp: Op(p.LastOp)}
	for _, o := range p.Ops[:p.OpsLen] {
		if o.Flags&abi.IO_URING_OP_SUPPORTED != 0 {
			out.supported[o.Op] = true
		}
	}
	return out, nil
}

// Supported reports whether the kernel supports op (io_uring_opcode_supported). It is false for
// every op past LastOp, and on a nil Probe.
func (p *Probe) Supported(op Op) bool {
	return p != nil && op <= p.lastOp && p.supported[op]
}

// LastOp returns the highest operation code the kernel knows (io_uring_probe.last_op).
func (p *Probe) LastOp() Op {
	if p == nil {
		return 0
	}
	return p.lastOp
}
