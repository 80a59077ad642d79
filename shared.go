package uring

import "github.com/uringo/uring/internal/abi"

// Sharing a Ring between goroutines.
//
// A Ring belongs to one goroutine at a time. The driver package shares one between any number
// of goroutines by serialising every Ring method behind a lock, except the system call that
// hands entries to the kernel: held under the lock, it would make every other goroutine wait for
// the kernel to run the reads it submits inline, and batches could never grow past one. Publish
// and EnterSubmit split Submit in two so that the io_uring_enter(2) call runs outside the lock
// while other goroutines prepare entries and reap completions under it.

// Publish makes every prepared entry visible to the kernel (one store of the SQ tail) and
// returns how many published entries the kernel has yet to consume: the count to pass to
// EnterSubmit. It enters nothing. A closed Ring returns 0.
//
// Concurrency: Publish is an ordinary Ring method. Call it as the Ring's owner (under the lock
// that serialises the Ring's methods). It may overlap an EnterSubmit running on another
// goroutine: the kernel reads the tail once per submission and consumes only entries published
// before that read.
func (r *Ring) Publish() uint32 {
	if r.closed {
		return 0
	}
	return r.publishSQ()
}

// EnterSubmit calls io_uring_enter(2) once to have the kernel consume up to n published entries,
// and returns how many it consumed. It never waits for completions, but completions of work
// that runs inline (cached reads and writes, NOPs) are posted before it returns. Errors are the
// raw errno: EINTR and EAGAIN mean nothing was consumed and the caller may enter again; the
// entries stay published either way, never lost and never consumed twice. Calls of at most
// noWaitMax (64) entries go through abi.EnterNoWait (no scheduler bookkeeping: the call cannot
// sleep); larger batches, whose inline work may run long, through abi.Enter, which lets the
// runtime hand this thread's P to other goroutines meanwhile.
//
// Concurrency: EnterSubmit reads only what is fixed when the Ring is set up (the fd it enters
// and the enter flags) and writes nothing in the Ring: not its queues, not Stats. It may run on
// any goroutine while the Ring's owner prepares, publishes and reaps on another; the kernel
// consumes entries and posts completions under its own lock, and several EnterSubmit calls may
// overlap. It must not overlap Close, RegisterRingFd or UnregisterRingFd. It is for rings
// without SQPOLL, IOPOLL or DEFER_TASKRUN, whose submissions need the waits of SubmitAndWait.
func (r *Ring) EnterSubmit(n uint32) (int, error) {
	if n <= noWaitMax {
		got, errno := abi.EnterNoWait(r.enterFd, n, r.enterFlags)
		if errno != 0 {
			return got, errno
		}
		return got, nil
	}
	return abi.Enter(r.enterFd, n, 0, r.enterFlags, nil, 0)
}
