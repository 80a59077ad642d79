package uring

import (
	"math"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = prepHelpers(OpEpollCtl, "PrepEpollCtl")
	_ = prepHelpers(OpEpollWait, "PrepEpollWait")
)

// epoll: changing an epoll set, and waiting on one, through the ring.

// PrepEpollCtl prepares epoll_ctl(2) on the epoll instance epfd: op (unix.EPOLL_CTL_ADD, MOD or
// DEL) for fd with event, which DEL ignores and may be nil (IORING_OP_EPOLL_CTL, 5.6;
// io_uring_prep_epoll_ctl). The arguments are in epoll_ctl(2)'s order (and unix.EpollCtl's),
// not liburing's (epfd, fd, op, event). The result is 0. The Ring holds event until the
// completion.
func (r *Ring) PrepEpollCtl(epfd, op, fd int, event *unix.EpollEvent) (SQE, error) {
	const method = "PrepEpollCtl"
	if event == nil && op != unix.EPOLL_CTL_DEL {
		return SQE{}, invalid(method, "nil event for op %d", op)
	}
	fd32, err := fdArg(method, fd)
	if err != nil {
		return SQE{}, err
	}
	p := unsafe.Pointer(event)
	// The kernel takes the op in len and the target fd in off.
	e, s, err := r.prep(method, abi.IORING_OP_EPOLL_CTL, epfd, uint64(uintptr(p)), uint32(op), uint64(fd32))
	if err != nil {
		return SQE{}, err
	}
	if p != nil {
		r.hold(e, p, nil)
	}
	return s, nil
}

// PrepEpollWait prepares epoll_wait(2) on epfd for up to len(events) events: it completes as
// soon as there is at least one, with their number, the events stored at the start of events
// (IORING_OP_EPOLL_WAIT, 6.15; io_uring_prep_epoll_wait). It has no timeout of its own: link a
// PrepLinkTimeout, or cancel it. The Ring holds events until the completion; read them after.
func (r *Ring) PrepEpollWait(epfd int, events []unix.EpollEvent) (SQE, error) {
	const method = "PrepEpollWait"
	if len(events) == 0 {
		return SQE{}, invalid(method, "no room for events")
	}
	// The kernel's limit, EP_MAX_EVENTS.
	n := min(len(events), math.MaxInt32/int(unsafe.Sizeof(unix.EpollEvent{})))
	p := unsafe.Pointer(unsafe.SliceData(events))
	e, s, err := r.prep(method, abi.IORING_OP_EPOLL_WAIT, epfd, uint64(uintptr(p)), uint32(n), 0)
	if err != nil {
		return SQE{}, err
	}
	r.hold(e, p, nil)
	return s, nil
}
