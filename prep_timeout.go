package uring

import (
	"time"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = prepHelpers(OpTimeout, "PrepTimeout", "PrepTimeoutAt")
	_ = prepHelpers(OpTimeoutRemove, "PrepTimeoutRemove", "PrepTimeoutUpdate")
	_ = prepHelpers(OpLinkTimeout, "PrepLinkTimeout")
)

// Timeouts, on their own and linked to another operation.

// TimeoutFlags modify the timeout operations (sqe->timeout_flags).
type TimeoutFlags uint32

const (
	// TimeoutBoottime measures against CLOCK_BOOTTIME, which counts suspend
	// (IORING_TIMEOUT_BOOTTIME, 5.15).
	TimeoutBoottime TimeoutFlags = abi.IORING_TIMEOUT_BOOTTIME
	// TimeoutRealtime measures against CLOCK_REALTIME (IORING_TIMEOUT_REALTIME, 5.15).
	TimeoutRealtime TimeoutFlags = abi.IORING_TIMEOUT_REALTIME
	// TimeoutETimeSuccess makes an expiry complete with ETIME as a success, so a link chain
	// goes on (IORING_TIMEOUT_ETIME_SUCCESS, 5.16).
	TimeoutETimeSuccess TimeoutFlags = abi.IORING_TIMEOUT_ETIME_SUCCESS
	// TimeoutMultishot re-arms the timeout after every expiry; with a count it stops after
	// that many (IORING_TIMEOUT_MULTISHOT, 6.4).
	TimeoutMultishot TimeoutFlags = abi.IORING_TIMEOUT_MULTISHOT
	// TimeoutLinkUpdate makes PrepTimeoutUpdate change a linked timeout
	// (IORING_LINK_TIMEOUT_UPDATE, 5.15).
	TimeoutLinkUpdate TimeoutFlags = abi.IORING_LINK_TIMEOUT_UPDATE

	timeoutAbs    = abi.IORING_TIMEOUT_ABS
	timeoutUpdate = abi.IORING_TIMEOUT_UPDATE
)

// timespecFor returns a timespec for the slot, allocated once per slot and reused.
func timespecFor(s *opSlot, ts abi.KernelTimespec) unsafe.Pointer {
	p, _ := s.extra.(*abi.KernelTimespec)
	if p == nil {
		p = new(abi.KernelTimespec)
		s.extra = p
	}
	*p = ts
	return unsafe.Pointer(p)
}

func relTimespec(d time.Duration) abi.KernelTimespec {
	d = max(d, 0)
	return abi.KernelTimespec{Sec: int64(d / time.Second), Nsec: int64(d % time.Second)}
}

// absTimespec expresses t on the clock the flags choose (CLOCK_MONOTONIC by default).
func absTimespec(t time.Time, flags TimeoutFlags) abi.KernelTimespec {
	if flags&TimeoutRealtime != 0 {
		return abi.KernelTimespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
	}
	clock := int32(unix.CLOCK_MONOTONIC)
	if flags&TimeoutBoottime != 0 {
		clock = unix.CLOCK_BOOTTIME
	}
	var now unix.Timespec
	unix.ClockGettime(clock, &now)
	at := time.Duration(now.Nano()) + time.Until(t)
	return abi.KernelTimespec{Sec: int64(at / time.Second), Nsec: int64(at % time.Second)}
}

// PrepTimeout prepares a timeout that completes with ETIME after d, or with 0 as soon as count
// other completions have been posted (count 0: only the time counts) (IORING_OP_TIMEOUT, 5.4;
// io_uring_prep_timeout).
func (r *Ring) PrepTimeout(d time.Duration, count uint32, flags TimeoutFlags) (SQE, error) {
	return r.prepTimeout("PrepTimeout", relTimespec(d), count, uint32(flags))
}

// PrepTimeoutAt is PrepTimeout with an absolute deadline (IORING_TIMEOUT_ABS, 5.4), measured on
// CLOCK_MONOTONIC unless flags choose TimeoutBoottime or TimeoutRealtime.
func (r *Ring) PrepTimeoutAt(t time.Time, count uint32, flags TimeoutFlags) (SQE, error) {
	return r.prepTimeout("PrepTimeoutAt", absTimespec(t, flags), count, uint32(flags)|timeoutAbs)
}

func (r *Ring) prepTimeout(method string, ts abi.KernelTimespec, count, flags uint32) (SQE, error) {
	e, s, err := r.prep(method, abi.IORING_OP_TIMEOUT, -1, 0, 1, uint64(count))
	if err != nil {
		return SQE{}, err
	}
	slot := r.hold(e, nil, nil)
	e.Addr = uint64(uintptr(timespecFor(slot, ts)))
	e.OpFlags = flags
	return s, nil
}

// PrepTimeoutRemove prepares the removal of the timeout whose user data is userData; it
// completes with ECANCELED and this operation with 0, or ENOENT, or EALREADY
// (IORING_OP_TIMEOUT_REMOVE, 5.5; io_uring_prep_timeout_remove).
func (r *Ring) PrepTimeoutRemove(userData uint64, flags TimeoutFlags) (SQE, error) {
	e, s, err := r.prep("PrepTimeoutRemove", abi.IORING_OP_TIMEOUT_REMOVE, -1, r.target(userData), 0, 0)
	if err == nil {
		e.OpFlags = uint32(flags)
	}
	return s, err
}

// PrepTimeoutUpdate prepares a change of the timeout whose user data is userData to expire d
// from now; with TimeoutLinkUpdate it changes a linked timeout
// (IORING_TIMEOUT_UPDATE, 5.11; io_uring_prep_timeout_update).
func (r *Ring) PrepTimeoutUpdate(userData uint64, d time.Duration, flags TimeoutFlags) (SQE, error) {
	e, s, err := r.prep("PrepTimeoutUpdate", abi.IORING_OP_TIMEOUT_REMOVE, -1, r.target(userData), 0, 0)
	if err != nil {
		return SQE{}, err
	}
	slot := r.hold(e, nil, nil)
	e.Off = uint64(uintptr(timespecFor(slot, relTimespec(d)))) // addr2
	// IORING_TIMEOUT_UPDATE always, as liburing sets it; with TimeoutLinkUpdate the kernel
	// updates the linked timeout.
	e.OpFlags = uint32(flags) | timeoutUpdate
	return s, nil
}

// PrepLinkTimeout prepares a timeout for the operation before it, which must carry SQELink: if
// that one has not completed after d it is cancelled (completing with ECANCELED) and this one
// completes with ETIME; otherwise this one completes with ECANCELED
// (IORING_OP_LINK_TIMEOUT, 5.5; io_uring_prep_link_timeout).
func (r *Ring) PrepLinkTimeout(d time.Duration, flags TimeoutFlags) (SQE, error) {
	return r.prepLinkTimeout("PrepLinkTimeout", relTimespec(d), uint32(flags))
}

func (r *Ring) prepLinkTimeout(method string, ts abi.KernelTimespec, flags uint32) (SQE, error) {
	e, s, err := r.prep(method, abi.IORING_OP_LINK_TIMEOUT, -1, 0, 1, 0)
	if err != nil {
		return SQE{}, err
	}
	slot := r.hold(e, nil, nil)
	e.Addr = uint64(uintptr(timespecFor(slot, ts)))
	e.OpFlags = flags
	return s, nil
}
