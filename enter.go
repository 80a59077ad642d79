package uring

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

// Submit hands every prepared SQE to the kernel with io_uring_enter(2) and returns how many the
// kernel consumed. With SQPOLL it only wakes the kernel thread when it sleeps, and returns the
// number published. It does not wait for completions. It is the reference's submit.
func (r *Ring) Submit() (int, error) { return r.submitAndWait(0, nil) }

// SubmitAndWait submits like Submit, then waits until at least n completions are ready
// (io_uring_submit_and_wait). Reap them with PeekCQE or Completions.
func (r *Ring) SubmitAndWait(n uint32) (int, error) { return r.submitAndWait(n, nil) }

// SubmitAndWaitTimeout is SubmitAndWait that gives up after d, with an error that matches
// syscall.ETIME, if fewer than n completions are ready by then (IORING_ENTER_EXT_ARG, 5.11).
// What was submitted stays submitted.
func (r *Ring) SubmitAndWaitTimeout(n uint32, d time.Duration) (int, error) {
	deadline := time.Now().Add(d)
	return r.submitAndWait(n, &deadline)
}

// WaitCQE waits for one completion, consumes it and returns it (io_uring_wait_cqe with
// io_uring_cqe_seen). It submits nothing: call Submit first.
func (r *Ring) WaitCQE() (CQE, error) { return r.waitCQE(nil) }

// WaitCQETimeout is WaitCQE that gives up after d with an error that matches syscall.ETIME.
func (r *Ring) WaitCQETimeout(d time.Duration) (CQE, error) {
	deadline := time.Now().Add(d)
	return r.waitCQE(&deadline)
}

func (r *Ring) waitCQE(deadline *time.Time) (CQE, error) {
	for {
		if c, ok := r.PeekCQE(); ok {
			return c, nil
		}
		if r.closed {
			return CQE{}, ErrClosed
		}
		if err := r.wait(1, deadline); err != nil {
			return CQE{}, err
		}
	}
}

// WaitCQEs waits until at least n completions are ready to reap, submitting nothing.
func (r *Ring) WaitCQEs(n uint32) error {
	if r.closed {
		return ErrClosed
	}
	for r.CQReady() < n {
		if err := r.wait(n-r.CQReady(), nil); err != nil {
			return err
		}
	}
	return nil
}

// noWaitMax is the largest batch EnterSubmit hands over with abi.EnterNoWait. A submission runs
// cached reads and other inline work before it returns, and EnterSubmit cannot know how much:
// past this size that could keep the P for long.
const noWaitMax = 64

// submitAndWait knows more: it hands over with abi.EnterNoWait up to noWaitEntries entries whose
// sqe->len sum (the bytes they may copy inline) is at most noWaitBytes, a submission of tens of
// microseconds at most. Larger ones go through abi.Enter, which lets the runtime give this
// thread's P to other goroutines meanwhile.
const (
	noWaitEntries = 256
	noWaitBytes   = 1 << 20
)

// submitAndWait publishes the prepared SQEs and enters the kernel to submit them and to wait for
// waitNr completions, until deadline if one is given. It returns the number of SQEs submitted.
//
// The common case takes one system call that cannot sleep: submit, and see whether the
// completions waited for were posted inline (NOPs, cached reads and writes are). Only when they
// were not does it make a second, blocking call. A Ring whose waits keep needing that second
// call stops trying the first for a while.
func (r *Ring) submitAndWait(waitNr uint32, deadline *time.Time) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	submitted := 0
	if r.flags&(SetupSQPoll|SetupIOPoll) == 0 && len(r.backlog) == 0 {
		lenSum := r.sq.lenSum
		pending := r.publishSQ()
		if r.tryNoWait(pending, lenSum, waitNr) {
			// The completions of work done inline are posted before the call returns,
			// and task work queued meanwhile runs on its way back to user space: only
			// completions held back (overflowed, or deferred task work) need GETEVENTS,
			// with no wait, which flushes them and never sleeps. Without it the kernel
			// skips io_cqring_wait: a fifth of a one-NOP round trip (ARCHITECTURE.md).
			var flags uint32
			if r.needsEnterToReap() || (waitNr > 0 && r.flags&SetupDeferTaskrun != 0) {
				flags = abi.IORING_ENTER_GETEVENTS
				r.cq.publishHead()
			}
			n, errno := abi.EnterNoWait(r.enterFd, pending, flags|r.enterFlags)
			r.stats.EnterCalls++
			if n > 0 {
				submitted = n
				r.stats.Submitted += uint64(n)
			}
			if errno == 0 && uint32(n) == pending {
				if waitNr == 0 {
					return submitted, nil
				}
				if r.cq.ready() >= waitNr {
					r.waitMisses = 0
					return submitted, nil
				}
				r.waitMisses += 2
			}
		} else if r.waitMisses > 0 {
			r.waitMisses-- // try the single call again from time to time
		}
	}
	return r.submitAndWaitLoop(waitNr, deadline, submitted)
}

// tryNoWait reports whether submitAndWait should hand pending entries, whose sqe->len sum is
// lenSum, to the kernel with one non-sleeping call before it waits for waitNr completions.
func (r *Ring) tryNoWait(pending uint32, lenSum uint64, waitNr uint32) bool {
	return pending > 0 && pending <= noWaitEntries && lenSum <= noWaitBytes &&
		(waitNr == 0 || r.waitMisses < waitMissesMax)
}

// waitMissesMax: after this many (halved) waits that one non-sleeping call did not satisfy,
// submitAndWait goes straight to the blocking call.
const waitMissesMax = 8

// submitAndWaitLoop is the general path: it handles SQPOLL and IOPOLL rings, timeouts, the
// backlog, and the errors io_uring_enter(2) can return.
func (r *Ring) submitAndWaitLoop(waitNr uint32, deadline *time.Time, submitted int) (int, error) {
	sqpoll := r.flags&SetupSQPoll != 0
	pending := r.publishSQ()
	if sqpoll {
		// The kernel thread consumes what is published; enter only wakes it or waits.
		submitted += int(pending)
		r.stats.Submitted += uint64(pending)
	}
	for {
		var flags, toSubmit uint32
		if !sqpoll {
			toSubmit = pending
		} else if pending > 0 && r.sq.flags()&abi.IORING_SQ_NEED_WAKEUP != 0 {
			flags |= abi.IORING_ENTER_SQ_WAKEUP
		}
		if waitNr > r.CQReady() || r.needsEnterToReap() {
			flags |= abi.IORING_ENTER_GETEVENTS
		}
		if toSubmit == 0 && flags == 0 {
			return submitted, nil
		}
		// The kernel counts the CQEs it has posted past the head we publish; only the
		// backlog is invisible to it.
		wait := uint32(0)
		if backlog := uint32(len(r.backlog)); waitNr > backlog {
			wait = waitNr - backlog
		}
		n, err := r.enter(toSubmit, wait, flags, deadline)
		if !sqpoll && n > 0 {
			submitted += n
			r.stats.Submitted += uint64(n)
		}
		switch {
		case err == nil:
			return submitted, nil
		case errors.Is(err, syscall.EINTR):
			// A signal (Go's preemption sends SIGURG often) cut the wait short. What the
			// kernel consumed is consumed: recount from its head, never resubmit.
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EBUSY):
			// The kernel cannot take more until completions are reaped: move them aside
			// so the CQ has room, then try again; give up if there was nothing to move.
			if r.stashCompletions() == 0 && !r.needsEnterToReap() {
				return submitted, fmt.Errorf("uring: io_uring_enter: %w", err)
			}
		case errors.Is(err, syscall.ETIME):
			return submitted, fmt.Errorf("uring: wait timed out: %w", err)
		default:
			return submitted, fmt.Errorf("uring: io_uring_enter: %w", err)
		}
		pending = 0
		if !sqpoll {
			pending = r.sq.tail - r.sq.kernelHead()
		}
		if deadline != nil && !time.Now().Before(*deadline) && waitNr > r.CQReady() {
			return submitted, fmt.Errorf("uring: wait timed out: %w", syscall.ETIME)
		}
	}
}

// wait enters the kernel to wait for n completions, retrying after signals.
func (r *Ring) wait(n uint32, deadline *time.Time) error {
	_, err := r.submitAndWait(n, deadline)
	return err
}

// enter calls io_uring_enter once. With a deadline it passes a timeout through
// IORING_ENTER_EXT_ARG; the timeout is recomputed on every call, so retries after EINTR keep
// to the deadline.
func (r *Ring) enter(toSubmit, minComplete, flags uint32, deadline *time.Time) (int, error) {
	if flags&abi.IORING_ENTER_GETEVENTS != 0 {
		r.cq.publishHead() // the kernel needs the room we have made before it waits
	}
	r.stats.EnterCalls++
	if deadline == nil || flags&abi.IORING_ENTER_GETEVENTS == 0 {
		return abi.Enter(r.enterFd, toSubmit, minComplete, flags|r.enterFlags, nil, 0)
	}
	left := max(time.Until(*deadline), 0)
	ts := abi.KernelTimespec{Sec: int64(left / time.Second), Nsec: int64(left % time.Second)}
	arg := abi.GeteventsArg{Ts: uint64(uintptr(unsafe.Pointer(&ts)))}
	return abi.Enter(r.enterFd, toSubmit, minComplete, flags|abi.IORING_ENTER_EXT_ARG|r.enterFlags,
		unsafe.Pointer(&arg), unsafe.Sizeof(arg))
}

// stashCompletions moves every ready completion out of the CQ into the backlog, where the
// reaping methods find them first. It returns how many it moved.
func (r *Ring) stashCompletions() int {
	n := 0
	for {
		c, deliver, ok := r.reapRing()
		if !ok {
			break
		}
		if deliver {
			r.backlog = append(r.backlog, c)
			n++
		}
	}
	r.cq.publishHead()
	return n
}
