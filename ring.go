package uring

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

// Ring is one io_uring instance: a submission queue, a completion queue, and the Go memory that
// the operations in flight hand to the kernel.
//
// Prepare operations with the Prep methods, hand them to the kernel with Submit (or
// SubmitAndWait), and take their completions with PeekCQE, WaitCQE or Completions. Every buffer
// and structure an operation points the kernel at is kept alive and in place by the Ring until
// that operation's final completion has been reaped, so callers never need unsafe.
//
// A Ring is not safe for concurrent use: like the reference URingContext it belongs to one
// goroutine at a time. The driver package shares rings between any number of goroutines.
type Ring struct {
	// The fields every prep, submit and reap touches come first, so that they share few cache
	// lines: after each system call the first touches of user memory are the expensive ones.
	sq         submissionQueue
	cq         completionQueue
	enterFd    int    // what io_uring_enter(2) takes: fd, or the registered index
	enterFlags uint32 // OR-ed into every io_uring_enter call (IORING_ENTER_REGISTERED_RING)
	flags      SetupFlags
	closed     bool
	waitMisses uint8 // see submitAndWait
	stats      Stats
	backlog    []CQE   // completions taken from the CQ to make room, not yet returned
	ops        opTable // operations in flight and the Go memory they hold

	fd               int               // the ring's file descriptor, -1 when it has none
	noEntry          error             // what next returns when it has no entry: ErrSQFull, or ErrClosed
	userData         []pendingUserData // SetUserData calls not carried out yet
	registerFlag     uint32            // OR-ed into every register opcode (IORING_REGISTER_USE_REGISTERED_RING)
	ringFdRegistered bool
	params           abi.Params
	features         Features

	// regions are the mappings to release at Close; sqRing, cqRing and sqesMem point into them.
	regions                 [][]byte
	sqRing, cqRing, sqesMem unsafe.Pointer

	rsrc resources
}

// Stats counts a Ring's traffic, like the reference URingStats.
type Stats struct {
	EnterCalls uint64 // io_uring_enter(2) calls
	Submitted  uint64 // SQEs the kernel consumed
	Completed  uint64 // completions returned to the caller
}

// initQueues points the queues into the mapped memory, using the offsets the kernel reported.
func (r *Ring) initQueues() {
	p := &r.params
	r.sq.init(r.sqRing, r.sqesMem, p)
	r.cq.init(r.cqRing, p)
}

// Fd returns the ring's file descriptor, or -1 for a ring made WithRegisteredFdOnly or closed.
// The fd is readable (EPOLLIN) while completions wait in the CQ, so epoll, poll(2) or another
// ring can wait on it: the reference's AsRawFd.
func (r *Ring) Fd() int {
	if r.closed {
		return -1
	}
	return r.fd
}

// Params returns the parameters the kernel filled in at setup: the sizes of the queues, the
// offsets of their fields, the flags and the features.
func (r *Ring) Params() abi.Params { return r.params }

// SQEntries returns the number of entries of the submission queue.
func (r *Ring) SQEntries() uint32 { return r.sq.entries }

// CQEntries returns the number of entries of the completion queue.
func (r *Ring) CQEntries() uint32 { return r.cq.mask + 1 }

// Flags returns the setup flags in effect.
func (r *Ring) Flags() SetupFlags { return r.flags }

// Features returns the IORING_FEAT_* bits the kernel reported at setup.
func (r *Ring) Features() Features { return r.features }

// Stats returns the counters of the Ring's traffic so far.
func (r *Ring) Stats() Stats { return r.stats }

// Closed reports whether Close has been called.
func (r *Ring) Closed() bool { return r.closed }

// closeGrace is how long Close waits for cancelled operations to post their completions before
// it gives their memory up for lost (kept alive forever) and closes the ring anyway.
var closeGrace = 10 * time.Second

// Close releases the ring: it cancels every operation in flight, waits for their completions
// so that the kernel can no longer write into any Go memory, then unmaps the queues and closes
// the fd. Operations prepared but not submitted are dropped. A second Close returns ErrClosed.
//
// An operation the kernel cannot cancel (a read from a hung device, say) is waited for up to
// ten seconds. If it is still in flight after that, Close closes the ring anyway, keeps the
// operation's memory alive for the life of the process, and returns an error saying how many
// operations were abandoned. Completions not yet reaped are discarded.
func (r *Ring) Close() error {
	if r.closed {
		return ErrClosed
	}
	r.closed = true
	r.noEntry = ErrClosed
	r.dropUnsubmitted()
	var err error
	if r.ops.live > 0 {
		err = r.drainForClose()
	}
	if r.ringFdRegistered {
		r.unregisterOwnRingFd()
	}
	if r.fd >= 0 {
		if cerr := unix.Close(r.fd); cerr != nil && err == nil {
			err = fmt.Errorf("uring: close: %w", cerr)
		}
	}
	r.unmap()
	r.rsrc.release()
	r.backlog = nil
	r.fd = -1
	return err
}

// dropUnsubmitted frees the slots of entries the kernel never consumed: without SQPOLL that is
// everything past the kernel's SQ head, since nobody will enter the ring again; with SQPOLL
// only what was never published.
func (r *Ring) dropUnsubmitted() {
	from := r.sq.published
	if r.flags&SetupSQPoll == 0 {
		from = r.sq.kernelHead()
	}
	for seq := from; seq != r.sq.tail; seq++ {
		e := r.sq.entry(seq)
		if isToken(e.UserData) {
			r.ops.releaseToken(e.UserData)
		}
	}
	r.sq.tail = from
	r.sq.published = from // no SQE handle is usable any more
	r.sq.deferUser = false
	r.userData = r.userData[:0]
	// The queue is full from now on, so that next refuses entries (with noEntry, ErrClosed)
	// without a check of its own: the head it reads is no longer the kernel's, about to be
	// unmapped, but one that stays an SQ behind the tail.
	r.sq.closedHead = from - r.sq.entries
	r.sq.khead = &r.sq.closedHead
}

// drainForClose cancels everything in flight and reaps until no operation holds Go memory.
func (r *Ring) drainForClose() error {
	r.cancelAllForClose()
	deadline := time.Now().Add(closeGrace)
	for r.ops.live > 0 {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		r.reapForClose()
		if r.ops.live == 0 {
			break
		}
		ts := abi.KernelTimespec{Nsec: int64(min(left, 50*time.Millisecond))}
		arg := abi.GeteventsArg{Ts: uint64(uintptr(unsafe.Pointer(&ts)))}
		_, err := abi.Enter(r.enterFd, 0, 1, abi.IORING_ENTER_GETEVENTS|abi.IORING_ENTER_EXT_ARG|r.enterFlags,
			unsafe.Pointer(&arg), unsafe.Sizeof(arg))
		r.stats.EnterCalls++
		if err != nil && !errors.Is(err, syscall.ETIME) && !errors.Is(err, syscall.EINTR) &&
			!errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EBUSY) {
			break // EEXIST from a single-issuer ring entered by another thread, say
		}
		if r.ops.live > 0 && err != nil && errors.Is(err, syscall.ETIME) {
			r.cancelAllForClose() // an operation linked behind another may have started since
		}
	}
	r.reapForClose()
	if n := r.ops.live; n > 0 {
		r.ops.abandon()
		return fmt.Errorf("uring: close: %d operations did not complete in %v; their memory is kept for the life of the process", n, closeGrace)
	}
	return nil
}

// cancelAllForClose asks the kernel to cancel every request of the ring, with
// IORING_REGISTER_SYNC_CANCEL (6.0), which needs no SQE.
func (r *Ring) cancelAllForClose() {
	reg := abi.SyncCancelReg{
		Fd:      -1,
		Flags:   abi.IORING_ASYNC_CANCEL_ANY | abi.IORING_ASYNC_CANCEL_ALL,
		Timeout: abi.KernelTimespec{Sec: 1}, // bounded: an operation may be past cancelling
	}
	abi.Register(r.enterFd, abi.IORING_REGISTER_SYNC_CANCEL|r.registerFlag, unsafe.Pointer(&reg), 1)
}

// reapForClose consumes every completion in the CQ, releasing the memory of finished operations.
func (r *Ring) reapForClose() {
	for {
		if _, _, ok := r.reapOne(); !ok {
			break
		}
	}
	r.cq.publishHead()
}
