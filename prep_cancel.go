package uring

import (
	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var _ = prepHelpers(OpAsyncCancel, "PrepCancel", "PrepCancelFd", "PrepCancelOp")

// Cancelling operations in flight.

// CancelFlags choose what PrepCancel and PrepCancelFd match (sqe->cancel_flags).
type CancelFlags uint32

const (
	// CancelAll cancels every match, not just the first; the result is how many
	// (IORING_ASYNC_CANCEL_ALL, 5.19).
	CancelAll CancelFlags = abi.IORING_ASYNC_CANCEL_ALL
	// CancelAny matches every operation in flight (IORING_ASYNC_CANCEL_ANY, 5.19).
	CancelAny CancelFlags = abi.IORING_ASYNC_CANCEL_ANY
	// CancelFdFixed: the fd of PrepCancelFd is a registered file index
	// (IORING_ASYNC_CANCEL_FD_FIXED, 6.0).
	CancelFdFixed CancelFlags = abi.IORING_ASYNC_CANCEL_FD_FIXED

	cancelFd = abi.IORING_ASYNC_CANCEL_FD
	cancelOp = abi.IORING_ASYNC_CANCEL_OP
)

// PrepCancel prepares the cancellation of the operation whose user data is userData. It
// completes with 0 when it cancelled it, ENOENT when nothing matched, EALREADY when the
// operation was already running and may still complete; the target completes on its own, with
// ECANCELED if cancelled (IORING_OP_ASYNC_CANCEL, 5.5; io_uring_prep_cancel64).
//
// The Ring releases the target's memory only on the target's own final completion, never on
// the cancel's, so a race between the two is harmless.
//
// With CancelAll every operation with that user data is cancelled and the result is how many
// (0 for none).
// Operations that hold Go memory carry distinct tokens in the kernel, so when several may match
// the Ring queues one cancel per kernel value and reports them as this one completion: the
// flags set on the returned SQE apply to the first of them, and the queue must have room for
// all (else ErrSQFull, with nothing queued).
func (r *Ring) PrepCancel(userData uint64, flags CancelFlags) (SQE, error) {
	addr := uint64(0)
	if flags&CancelAny == 0 {
		if flags&CancelAll != 0 {
			if targets := r.cancelTargets(userData); len(targets) > 1 {
				return r.prepCancelEach(targets, flags)
			}
		}
		addr = r.target(userData)
	}
	e, s, err := r.prep("PrepCancel", abi.IORING_OP_ASYNC_CANCEL, -1, addr, 0, 0)
	if err == nil {
		e.OpFlags = uint32(flags)
	}
	return s, err
}

// PrepCancelFd prepares the cancellation of the operations on fd (the first, or every one with
// CancelAll) (IORING_ASYNC_CANCEL_FD, 5.19; io_uring_prep_cancel_fd).
func (r *Ring) PrepCancelFd(fd int, flags CancelFlags) (SQE, error) {
	e, s, err := r.prep("PrepCancelFd", abi.IORING_OP_ASYNC_CANCEL, fd, 0, 0, 0)
	if err == nil {
		e.OpFlags = uint32(flags) | cancelFd
	}
	return s, err
}

// PrepCancelOp prepares the cancellation of the operations with opcode op (the first, or every
// one with CancelAll) (IORING_ASYNC_CANCEL_OP, 6.6; io_uring_prep_cancel with that flag).
func (r *Ring) PrepCancelOp(op Op, flags CancelFlags) (SQE, error) {
	e, s, err := r.prep("PrepCancelOp", abi.IORING_OP_ASYNC_CANCEL, -1, 0, uint32(op), 0)
	if err == nil {
		e.OpFlags = uint32(flags) | cancelOp
	}
	return s, err
}

// cancelTargets returns every kernel user data an operation known to the caller as v may
// carry: the token of each live operation with that user data, and v itself for those that
// hold no memory.
func (r *Ring) cancelTargets(v uint64) []uint64 {
	r.applyUserData()
	var targets []uint64
	for i := range r.ops.slots {
		s := &r.ops.slots[i]
		if s.live && !s.internal && s.user == v {
			targets = append(targets, tokenBit|uint64(s.gen&0x7fffffff)<<32|uint64(i))
		}
	}
	if !isToken(v) {
		targets = append(targets, v)
	}
	return targets
}

// cancelAggregate gathers the completions of the cancels PrepCancel queued for one CancelAll
// into the one completion the caller expects.
type cancelAggregate struct {
	left      int    // completions still to come
	cancelled int32  // operations cancelled so far
	err       int32  // the most telling error so far: EALREADY over ENOENT
	user      uint64 // the caller's user data, from the first cancel's slot
}

func (a *cancelAggregate) add(res int32) {
	a.left--
	switch {
	case res >= 0:
		a.cancelled += res // each is a CancelAll too: its result is a count
	case a.err == 0 || res == -int32(unix.EALREADY):
		a.err = res
	}
}

func (a *cancelAggregate) result() int32 {
	if a.cancelled > 0 || a.err == 0 {
		return a.cancelled
	}
	return a.err
}

func (r *Ring) prepCancelEach(targets []uint64, flags CancelFlags) (SQE, error) {
	if r.closed {
		return SQE{}, ErrClosed
	}
	if r.sq.free() < uint32(len(targets)) {
		return SQE{}, ErrSQFull
	}
	agg := &cancelAggregate{left: len(targets)}
	var first SQE
	for i, tok := range targets {
		e, s, _ := r.prep("PrepCancel", abi.IORING_OP_ASYNC_CANCEL, -1, tok, 0, 0)
		e.OpFlags = uint32(flags)
		slot := r.hold(e, nil, nil)
		slot.extra = agg
		if i == 0 {
			first = s
		} else {
			slot.internal = true
		}
	}
	return first, nil
}
