package uring

import (
	"iter"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

// CQE is one completion, copied out of the completion queue.
type CQE struct {
	UserData uint64   // the value set with SQE.SetUserData
	Res      int32    // the result: a count, an fd, or a negated errno
	Flags    CQEFlags // IORING_CQE_F_*

	// Big is the second half of a 32-byte CQE (WithCQE32, or CQEF32 with WithCQEMixed); zero
	// otherwise.
	Big BigCQE
}

// BigCQE is the second half of a 32-byte CQE: big_cqe[0] and big_cqe[1]. It is a struct of two
// words rather than an array, and CQE has four fields, so that the compiler keeps a CQE in
// registers: it spills arrays of two or more, and structs of more than four fields, to memory,
// a stack round trip per completion in the reaping loops.
type BigCQE struct {
	Word0, Word1 uint64
}

// Err returns the error a negative result stands for, as a syscall.Errno, or nil.
func (c CQE) Err() error {
	if c.Res >= 0 {
		return nil
	}
	return syscall.Errno(-c.Res)
}

// More reports whether a multishot operation will post more completions (CQEFMore).
func (c CQE) More() bool { return c.Flags&CQEFMore != 0 }

// Notif reports whether this is the notification of a zero-copy send (CQEFNotif).
func (c CQE) Notif() bool { return c.Flags&CQEFNotif != 0 }

// BufferID returns the id of the provided buffer the operation used, and whether it used one
// (CQEFBuffer, the upper 16 bits of the flags).
func (c CQE) BufferID() (uint16, bool) {
	if c.Flags&CQEFBuffer == 0 {
		return 0, false
	}
	return uint16(c.Flags >> abi.IORING_CQE_BUFFER_SHIFT), true
}

// completionQueue is the application's view of the CQ ring: the kernel posts at its tail, and
// the Ring consumes from head, storing head back when it is done with a batch.
type completionQueue struct {
	head       uint32 // next entry to consume
	published  uint32 // the value last stored into *khead
	mask       uint32
	entryShift uint32 // log2 of an entry's size: 4, or 5 with CQE32
	cqes       unsafe.Pointer
	ktail      *uint32
	khead      *uint32
	simple     bool // neither of the next two: every entry is one 16-byte CQE
	big        bool // IORING_SETUP_CQE32: every entry is 32 bytes
	mixed      bool // IORING_SETUP_CQE_MIXED
	// The CQ ring's other fields (flags, overflow) are reached through Ring.cqRingWord: the
	// fields here are the ones every reap touches, kept to one cache line.
}

func (q *completionQueue) init(ring unsafe.Pointer, p *abi.Params) {
	off := &p.CQOff
	q.khead = (*uint32)(unsafe.Add(ring, off.Head))
	q.ktail = (*uint32)(unsafe.Add(ring, off.Tail))
	q.cqes = unsafe.Add(ring, off.Cqes)
	q.mask = *(*uint32)(unsafe.Add(ring, off.RingMask))
	q.big = p.Flags&abi.IORING_SETUP_CQE32 != 0
	q.entryShift = 4 + cqeShift(p.Flags)
	q.mixed = p.Flags&abi.IORING_SETUP_CQE_MIXED != 0
	q.simple = !q.big && !q.mixed
	q.head = atomic.LoadUint32(q.khead) // the kernel has posted nothing yet
	q.published = q.head
}

// kernelTail returns how far the kernel has posted.
func (q *completionQueue) kernelTail() uint32 {
	// Pairs with the kernel's smp_store_release(&rings->cq.tail) in io_commit_cqring: the
	// CQEs before tail are fully written.
	return atomic.LoadUint32(q.ktail)
}

// publishHead hands the consumed entries back to the kernel.
func (q *completionQueue) publishHead() {
	if q.head != q.published {
		// Pairs with the kernel's READ_ONCE(rings->cq.head) in __io_cqring_events: our reads of
		// the CQEs before head are done before the kernel may overwrite them (a release
		// store, as liburing's io_uring_cq_advance).
		storeRelease(q.khead, q.head)
		q.published = q.head
	}
}

// at returns the raw CQE at sequence number seq.
func (q *completionQueue) at(seq uint32) *abi.CQE {
	return (*abi.CQE)(unsafe.Add(q.cqes, uintptr(seq&q.mask)<<q.entryShift))
}

// ready returns the number of CQ entries posted and not consumed.
func (q *completionQueue) ready() uint32 { return q.kernelTail() - q.head }

// reapOne consumes the next completion from the backlog or the CQ. ok is false when there is
// none; deliver is false for completions the caller must not see (hidden successes, the Ring's
// own operations, padding). The kernel's head is not stored: callers publish once per batch.
func (r *Ring) reapOne() (c CQE, deliver, ok bool) {
	if len(r.backlog) > 0 {
		c = r.backlog[0]
		r.backlog = r.backlog[1:]
		return c, true, true
	}
	return r.reapRing()
}

// reapRing consumes the next entry of the CQ ring itself; see reapOne.
func (r *Ring) reapRing() (c CQE, deliver, ok bool) {
	q := &r.cq
	avail := q.kernelTail() - q.head
	if int32(avail) <= 0 {
		return c, false, false
	}
	raw := q.at(q.head)
	c = CQE{UserData: raw.UserData, Res: raw.Res, Flags: CQEFlags(raw.Flags)}
	step := uint32(1)
	if q.big || (q.mixed && raw.Flags&abi.IORING_CQE_F_32 != 0) {
		if q.mixed {
			if avail < 2 {
				return CQE{}, false, false // not fully posted yet
			}
			step = 2
		}
		big := (*[2]uint64)(unsafe.Add(unsafe.Pointer(raw), abi.CQESize))
		c.Big = BigCQE{big[0], big[1]}
	}
	q.head += step
	if q.mixed && raw.Flags&abi.IORING_CQE_F_SKIP != 0 {
		return c, false, true
	}
	c, deliver = r.complete(c)
	return c, deliver, true
}

// complete turns a CQE's token back into the caller's user data and, on an operation's final
// completion, releases the memory it held. It reports whether the caller should see the CQE.
// It takes and returns the CQE by value, so that the reaping loops keep it in registers.
func (r *Ring) complete(c CQE) (CQE, bool) {
	if !isToken(c.UserData) {
		return c, true
	}
	idx, slot := r.ops.lookup(c.UserData)
	if slot == nil {
		return c, true // not ours: MSG_RING data from another ring, passed on as it came
	}
	c.UserData = slot.user
	if agg, ok := slot.extra.(*cancelAggregate); ok {
		return r.completeAggregate(agg, idx, slot, c)
	}
	deliver := !slot.internal
	if c.Flags&CQEFMore == 0 {
		if slot.swallow && c.Res >= 0 {
			deliver = false
		}
		r.ops.release(idx)
	}
	return c, deliver
}

// completeAggregate counts one of the cancels of a CancelAll by user data, and delivers their
// sum with the last of them.
func (r *Ring) completeAggregate(agg *cancelAggregate, idx uint32, slot *opSlot, c CQE) (CQE, bool) {
	if !slot.internal {
		agg.user = slot.user
	}
	agg.add(c.Res)
	r.ops.release(idx)
	if agg.left > 0 {
		return c, false
	}
	c.UserData, c.Res = agg.user, agg.result()
	return c, true
}

// flushHeldBack enters the kernel, once per reaping call (*flushed records it), with
// GETEVENTS and no wait, to post the completions it holds back (overflowed ones, deferred task
// work, an IOPOLL ring's), and reports whether it did: the reaping loops go round again.
func (r *Ring) flushHeldBack(flushed *bool) bool {
	if *flushed || !r.needsEnterToReap() {
		return false
	}
	r.enter(0, 0, abi.IORING_ENTER_GETEVENTS, nil)
	*flushed = true
	return true
}

// needsEnterToReap reports whether completions may be waiting that only io_uring_enter with
// GETEVENTS will post: overflowed CQEs, deferred task work, or an IOPOLL ring.
func (r *Ring) needsEnterToReap() bool {
	return r.sq.flags()&(abi.IORING_SQ_CQ_OVERFLOW|abi.IORING_SQ_TASKRUN) != 0 || r.flags&SetupIOPoll != 0
}

// PeekCQE returns the next completion if one is ready, and consumes it. It enters the kernel
// only when completions are held back there (an overflowed CQ, deferred task work, IOPOLL);
// otherwise it is a few memory reads (io_uring_peek_cqe with io_uring_cqe_seen).
func (r *Ring) PeekCQE() (CQE, bool) {
	if r.closed {
		return CQE{}, false
	}
	for flushed := false; ; {
		for {
			c, deliver, ok := r.reapOne()
			if !ok {
				break
			}
			if deliver {
				r.cq.publishHead()
				r.stats.Completed++
				return c, true
			}
		}
		r.cq.publishHead()
		if !r.flushHeldBack(&flushed) {
			return CQE{}, false
		}
	}
}

// Completions returns an iterator over every completion ready now. It consumes them as it goes
// and hands the whole batch back to the kernel with one store of the CQ head at the end; if the
// loop stops early, the rest stay for later. Where completions are held back in the kernel (an
// overflowed CQ, deferred task work, IOPOLL) it enters the kernel once to flush them.
//
//	for cqe := range ring.Completions() {
//		handle(cqe.UserData, cqe.Res)
//	}
func (r *Ring) Completions() iter.Seq[CQE] {
	return func(yield func(CQE) bool) { r.drain(yield) }
}

func (r *Ring) drain(yield func(CQE) bool) {
	if r.closed {
		return
	}
	for len(r.backlog) > 0 {
		c := r.backlog[0]
		r.backlog = r.backlog[1:]
		r.stats.Completed++
		if !yield(c) {
			return
		}
	}
	q := &r.cq
	for flushed := false; ; {
		if q.simple {
			if !r.drainSimple(yield) {
				return
			}
		} else {
			// The loop body may reap too (PeekCQE inside the range loop): always start
			// from q.head.
			for head := q.head; int32(q.kernelTail()-head) > 0; head = q.head {
				c, deliver, _ := r.reapRing()
				if !deliver {
					continue
				}
				r.stats.Completed++
				if !yield(c) {
					q.publishHead()
					return
				}
			}
		}
		q.publishHead()
		if !r.flushHeldBack(&flushed) {
			return
		}
	}
}

// PeekBatchCQE fills cqes with the completions ready now, up to len(cqes), consumes them, and
// returns how many it filled, handing the batch back to the kernel with one store of the CQ
// head (io_uring_peek_batch_cqe with io_uring_cq_advance). Like PeekCQE it enters the kernel
// only when completions are held back there and none are ready. It is Completions without the
// iterator: for loops that reap into a buffer of their own.
func (r *Ring) PeekBatchCQE(cqes []CQE) int {
	if r.closed {
		return 0
	}
	n := 0
	for n < len(cqes) && len(r.backlog) > 0 {
		cqes[n] = r.backlog[0]
		r.backlog = r.backlog[1:]
		n++
	}
	q := &r.cq
	for flushed := false; ; {
		if q.simple {
			// The ring's base and mask in locals: stores into cqes could alias the Ring's
			// fields as far as the compiler knows, and it would reload them per entry.
			head, tail, base, mask := q.head, q.kernelTail(), q.cqes, q.mask
			for ; head != tail && n < len(cqes); head++ {
				raw := (*abi.CQE)(unsafe.Add(base, uintptr(head&mask)*abi.CQESize))
				c := CQE{UserData: raw.UserData, Res: raw.Res, Flags: CQEFlags(raw.Flags)}
				if !isToken(c.UserData) {
					// Its own store, so that the common case keeps c in registers.
					cqes[n] = c
					n++
				} else if c, deliver := r.complete(c); deliver {
					cqes[n] = c
					n++
				}
			}
			q.head = head
		} else {
			for n < len(cqes) {
				c, deliver, ok := r.reapRing()
				if !ok {
					break
				}
				if deliver {
					cqes[n] = c
					n++
				}
			}
		}
		q.publishHead()
		if n > 0 || !r.flushHeldBack(&flushed) {
			r.stats.Completed += uint64(n)
			return n
		}
	}
}

// drainSimple is drain's loop for a CQ of 16-byte entries, the common case, kept tight: the
// kernel's tail is read once per batch, and the CQE stays in registers on its way to yield. It
// reports false when yield asked to stop, with the head published.
func (r *Ring) drainSimple(yield func(CQE) bool) bool {
	q := &r.cq
	for {
		head, tail := q.head, q.kernelTail()
		if int32(tail-head) <= 0 {
			return true
		}
		for head != tail {
			raw := (*abi.CQE)(unsafe.Add(q.cqes, uintptr(head&q.mask)*abi.CQESize))
			c := CQE{UserData: raw.UserData, Res: raw.Res, Flags: CQEFlags(raw.Flags)}
			head++
			q.head = head
			ok := true
			if !isToken(c.UserData) {
				r.stats.Completed++
				ok = yield(c)
			} else if c, deliver := r.complete(c); deliver {
				// A separate branch, so that the common one keeps c in registers.
				r.stats.Completed++
				ok = yield(c)
			}
			if !ok {
				q.publishHead()
				return false
			}
			if q.head != head {
				break // the loop body reaped too: go on from where it left the head
			}
		}
	}
}

// CQReady returns the number of completions ready to be reaped without entering the kernel
// (io_uring_cq_ready).
func (r *Ring) CQReady() uint32 {
	if r.closed {
		return 0
	}
	return r.cq.ready() + uint32(len(r.backlog))
}

// CQOverflow returns the number of completions the kernel could not post because the CQ was
// full and could not keep either (cq_off.overflow). With IORING_FEAT_NODROP it stays 0 unless
// the kernel ran out of memory.
func (r *Ring) CQOverflow() uint32 {
	if r.closed {
		return 0
	}
	// Pairs with the kernel's WRITE_ONCE(r->cq_overflow, ...).
	return atomic.LoadUint32(r.cqRingWord(r.params.CQOff.Overflow))
}

// cqRingWord returns the CQ ring's 32-bit field at offset off, one of the kernel's cq_off
// offsets.
func (r *Ring) cqRingWord(off uint32) *uint32 { return (*uint32)(unsafe.Add(r.cqRing, off)) }

// SetEventfdEnabled turns the notifications of a registered eventfd on or off
// (IORING_CQ_EVENTFD_DISABLED, io_uring_cq_eventfd_toggle, 5.8).
func (r *Ring) SetEventfdEnabled(on bool) error {
	if r.closed {
		return ErrClosed
	}
	if r.params.CQOff.Flags == 0 {
		return &NotSupportedError{What: "IORING_CQ_EVENTFD_DISABLED", MinKernel: "5.8"}
	}
	kflags := r.cqRingWord(r.params.CQOff.Flags)
	for {
		// Pairs with the kernel's READ_ONCE(ctx->rings->cq_flags) in io_eventfd_signal.
		old := atomic.LoadUint32(kflags)
		v := old | abi.IORING_CQ_EVENTFD_DISABLED
		if on {
			v = old &^ abi.IORING_CQ_EVENTFD_DISABLED
		}
		if atomic.CompareAndSwapUint32(kflags, old, v) {
			return nil
		}
	}
}
