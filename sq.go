package uring

import (
	"sync/atomic"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

// submissionQueue is the application's view of the SQ ring. The Ring hands out entries at tail;
// publishing stores tail into the kernel's tail, and the kernel consumes up to its head.
type submissionQueue struct {
	tail       uint32 // next entry to hand out
	published  uint32 // the value last stored into *ktail
	mask       uint32
	entries    uint32
	entryShift uint32 // log2 of an entry's size: 6, or 7 with IORING_SETUP_SQE128
	sqpoll     bool   // IORING_SETUP_SQPOLL: a kernel thread reads the tail
	// deferUser makes SetUserData leave its work to applyUserData until the next publish: an
	// entry handed out since the last one carries a slot's token, or a call was left already.
	deferUser bool
	// lenSum sums sqe->len over the entries prepared since the last publish: the bytes of
	// reads, writes, sends and splices (vectored ones count their buffers), a small count for
	// most other operations. It bounds the copying the kernel may do inline when it consumes
	// them; see submitAndWait.
	lenSum uint64
	sqes   unsafe.Pointer // the SQE array
	khead  *uint32
	ktail  *uint32
	kflags *uint32
	// The fields above are the ones every prep and submit touches; the SQ ring's dropped
	// counter is reached through Ring.sqRingWord.

	// closedHead is where khead points once the Ring is closed: a head an SQ behind the tail,
	// so that next finds the queue full for good.
	closedHead uint32
}

func (q *submissionQueue) init(ring, sqes unsafe.Pointer, p *abi.Params) {
	off := &p.SQOff
	q.khead = (*uint32)(unsafe.Add(ring, off.Head))
	q.ktail = (*uint32)(unsafe.Add(ring, off.Tail))
	q.kflags = (*uint32)(unsafe.Add(ring, off.Flags))
	q.mask = *(*uint32)(unsafe.Add(ring, off.RingMask))
	q.entries = *(*uint32)(unsafe.Add(ring, off.RingEntries))
	q.sqes = sqes
	q.entryShift = 6 + sqeShift(p.Flags)
	q.sqpoll = p.Flags&abi.IORING_SETUP_SQPOLL != 0
	if p.Flags&abi.IORING_SETUP_NO_SQARRAY == 0 {
		// Entry i of the SQ ring is always SQE i: fill the index array once, as liburing does.
		array := unsafe.Slice((*uint32)(unsafe.Add(ring, off.Array)), q.entries)
		for i := range array {
			array[i] = uint32(i)
		}
	}
	// The tail starts where the kernel's is (0 for a new ring).
	q.tail = atomic.LoadUint32(q.ktail) // pairs with nothing yet: the kernel has not started
	q.published = q.tail
}

// entry returns the SQE at sequence number seq.
func (q *submissionQueue) entry(seq uint32) *abi.SQE {
	return (*abi.SQE)(unsafe.Add(q.sqes, uintptr(seq&q.mask)<<q.entryShift))
}

// kernelHead returns how far the kernel has consumed the SQ.
func (q *submissionQueue) kernelHead() uint32 {
	// Pairs with the kernel's smp_store_release(&rings->sq.head) in io_commit_sqring: the
	// entries before head have been read and may be reused.
	return atomic.LoadUint32(q.khead)
}

// flags returns the SQ ring flags (IORING_SQ_*).
func (q *submissionQueue) flags() uint32 {
	// Pairs with the kernel's atomic_or/atomic_andnot on rings->sq_flags (io_sqpoll's
	// NEED_WAKEUP, the CQ_OVERFLOW and TASKRUN bits). Go's atomics are sequentially
	// consistent, so a load after the tail store below is the full barrier SQPOLL needs.
	return atomic.LoadUint32(q.kflags)
}

// publish makes every entry handed out visible to the kernel and returns how many the kernel
// has yet to consume. It starts lenSum again.
func (q *submissionQueue) publish() uint32 {
	q.lenSum = 0
	q.deferUser = false
	if q.tail != q.published {
		// Pairs with the kernel's smp_load_acquire(&rings->sq.tail) in io_sqring_entries: the
		// SQE contents written before this store are visible once the tail is. The SQPOLL
		// thread reads it at any time, and Submit then reads the SQ flags: a full barrier
		// between the two (atomic.StoreUint32). Without SQPOLL the kernel reads it inside
		// the io_uring_enter that follows, and a release store is enough, as in liburing.
		if q.sqpoll {
			atomic.StoreUint32(q.ktail, q.tail)
		} else {
			storeRelease(q.ktail, q.tail)
		}
		q.published = q.tail
	}
	return q.tail - q.kernelHead()
}

// free returns the number of entries that can be handed out now.
func (q *submissionQueue) free() uint32 { return q.entries - (q.tail - q.kernelHead()) }

// SQSpaceLeft returns how many SQEs can be prepared before the queue is full
// (io_uring_sq_space_left).
func (r *Ring) SQSpaceLeft() uint32 {
	if r.closed {
		return 0
	}
	return r.sq.free()
}

// SQReady returns how many prepared SQEs the kernel has not consumed yet (io_uring_sq_ready).
func (r *Ring) SQReady() uint32 {
	if r.closed {
		return 0
	}
	return r.sq.tail - r.sq.kernelHead()
}

// SQDropped returns how many invalid SQEs the kernel has dropped (sq_off.dropped).
func (r *Ring) SQDropped() uint32 {
	if r.closed {
		return 0
	}
	// Pairs with the kernel's WRITE_ONCE(ctx->rings->sq_dropped, ...).
	return atomic.LoadUint32(r.sqRingWord(r.params.SQOff.Dropped))
}

// sqRingWord returns the SQ ring's 32-bit field at offset off, one of the kernel's sq_off
// offsets.
func (r *Ring) sqRingWord(off uint32) *uint32 { return (*uint32)(unsafe.Add(r.sqRing, off)) }

// SQE is a handle on a prepared submission queue entry, returned by the Prep methods so that
// the caller can set its user data and flags. A handle is good until the entry is submitted;
// its setters do nothing after that, or on the zero SQE that a failed Prep returns.
type SQE struct {
	r   *Ring
	e   *abi.SQE
	seq uint32
}

// usable reports whether the handle's entry is still unpublished.
func (s SQE) usable() bool {
	// Close sets tail to published, so nothing is usable after it.
	return s.r != nil && s.seq-s.r.sq.published < s.r.sq.tail-s.r.sq.published
}

// SetUserData sets the value the operation's completions carry in CQE.UserData
// (io_uring_sqe_set_data64). Any 64-bit value works; the default is 0.
func (s SQE) SetUserData(v uint64) SQE {
	if !s.usable() {
		return s
	}
	// The common case, no slot on either side, is one store. The others (the operation holds
	// memory, so v goes into its slot; v could pass for a token, so it needs one), and every
	// call in a batch that has one of those, wait in userData until the entries are
	// published: so this method makes no call and inlines, and reads nothing of the entry.
	if r := s.r; !r.sq.deferUser && !isToken(v) {
		s.e.UserData = v
	} else {
		r.sq.deferUser = true
		r.userData = append(r.userData, pendingUserData{s.seq, v})
	}
	return s
}

// pendingUserData is a SetUserData left for applyUserData.
type pendingUserData struct {
	seq uint32 // the entry's sequence number
	v   uint64
}

// applyUserData carries out the SetUserData calls left pending, in order. The Ring calls it
// before it publishes entries, and before anything that looks operations up by user data.
func (r *Ring) applyUserData() {
	for _, p := range r.userData {
		e := r.sq.entry(p.seq)
		switch {
		case isToken(e.UserData):
			if _, slot := r.ops.lookup(e.UserData); slot != nil {
				slot.user = p.v
			}
		case isToken(p.v):
			r.newSlot(e, p.v) // a value that could pass for a token lives in a slot
		default:
			e.UserData = p.v
		}
	}
	r.userData = r.userData[:0]
}

// publishSQ applies pending user data and publishes the SQ; see submissionQueue.publish.
func (r *Ring) publishSQ() uint32 {
	if len(r.userData) > 0 {
		r.applyUserData()
	}
	return r.sq.publish()
}

// SetFlags sets the entry's flags, replacing any set before (io_uring_sqe_set_flags), except
// SQEBufferSelect, which SetBufferGroup and the buffer-selecting Prep methods own.
func (s SQE) SetFlags(f SQEFlags) SQE {
	if !s.usable() {
		return s
	}
	if f&SQEBufferSelect != 0 {
		// The kernel will write into provided-buffer memory the Ring owns: Close must wait
		// for this operation, so it takes a slot like any that holds memory.
		s.r.hold(s.e, nil, nil)
	}
	if isToken(s.e.UserData) {
		if _, slot := s.r.ops.lookup(s.e.UserData); slot != nil {
			// The Ring must see this operation's completion to know when its memory is
			// free: it keeps the flag from the kernel and hides a successful completion.
			slot.swallow = f&SQECQESkipSuccess != 0
			f &^= SQECQESkipSuccess
		}
	}
	s.e.Flags = uint8(f) | s.e.Flags&abi.IOSQE_BUFFER_SELECT
	return s
}

// Flags returns the flags the entry will be submitted with, SQECQESkipSuccess included when the
// Ring keeps it for itself.
func (s SQE) Flags() SQEFlags {
	if s.r == nil {
		return 0
	}
	f := SQEFlags(s.e.Flags)
	if isToken(s.e.UserData) {
		if _, slot := s.r.ops.lookup(s.e.UserData); slot != nil && slot.swallow {
			f |= SQECQESkipSuccess
		}
	}
	return f
}

// SetIOPrio sets the I/O priority of a read or write (sqe->ioprio), as ioprio_set(2) encodes it.
func (s SQE) SetIOPrio(prio uint16) SQE {
	if s.usable() {
		s.e.Ioprio = prio
	}
	return s
}

// SetPersonality runs the operation with the credentials registered as id by
// Ring.RegisterPersonality (sqe->personality, 5.6).
func (s SQE) SetPersonality(id uint16) SQE {
	if s.usable() {
		s.e.Personality = id
	}
	return s
}

// SetBufferGroup makes the operation take its buffer from provided-buffer group g
// (IOSQE_BUFFER_SELECT with sqe->buf_group, 5.7). The completion's CQE.BufferID says which.
// The operation then takes a slot, so that Close waits for it before releasing buffer memory.
func (s SQE) SetBufferGroup(g uint16) SQE {
	if s.usable() {
		s.r.selectBuffer(s.e, g)
	}
	return s
}

// KeepAlive keeps v reachable until the operation's final completion has been reaped. Use it
// for the owner of a file descriptor an operation uses, like an *os.File, whose finalizer would
// otherwise close the fd under the kernel's feet.
func (s SQE) KeepAlive(v any) SQE {
	if !s.usable() || v == nil {
		return s
	}
	slot := s.r.hold(s.e, nil, nil)
	switch old := slot.extra.(type) {
	case nil:
		slot.extra = v
	case []any:
		slot.extra = append(old, v)
	default:
		slot.extra = []any{old, v}
	}
	return s
}

// RawSQE is the kernel's struct io_uring_sqe, for PrepUnsafe.
type RawSQE = abi.SQE

// PrepUnsafe hands out the next SQE zeroed, for the caller to fill in by hand: an opcode this
// package has no helper for, or memory the caller manages itself (an mmap'd buffer, say). The
// Ring holds nothing for it: any memory the entry points at must stay valid, and must not be
// Go memory that can move or be collected, until the operation's final completion. Set the
// user data with the returned SQE, not in the raw entry.
func (r *Ring) PrepUnsafe() (SQE, *RawSQE, error) {
	e, s, err := r.prep("PrepUnsafe", 0, 0, 0, 0, 0)
	return s, e, err
}

// Bytes returns a copy of the entry's 64 bytes as the kernel will read them, for logging and
// tests. The user data field holds the Ring's token for operations that hold Go memory.
func (s SQE) Bytes() []byte {
	if s.r == nil {
		return nil
	}
	if s.usable() {
		s.r.applyUserData()
	}
	b := make([]byte, abi.SQESize)
	copy(b, unsafe.Slice((*byte)(unsafe.Pointer(s.e)), abi.SQESize))
	return b
}
