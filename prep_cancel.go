package uring

import (
	"github.com/uringo/uring/internal/abi"
)

var _ = prepHelpers(OpAsyncCancel, "PrepCancel", "PrepCancelFd")

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
)

// PrepCancel prepares the cancellation of the operation whose user data is userData. It
// completes with 0 when it cancelled it, ENOENT when nothing matched, EALREADY when the
// operation was already running and may still complete; the target completes on its own, with
// ECANCELED if cancelled (IORING_OP_ASYNC_CANCEL, 5.5; io_uring_prep_cancel64).
//
// The Ring releases the target's memory only on the target's own final completion, never on
// the cancel's, so a race between the two is harmless.
func (r *Ring) PrepCancel(userData uint64, flags CancelFlags) (SQE, error) {
	addr := uint64(0)
	if flags&CancelAny == 0 {
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
