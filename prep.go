package uring

import (
	"math"
	"sync/atomic"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var _ = prepHelpers(OpNop, "PrepNop", "PrepNopResult")

// maxRW is the most one read or write transfers (the kernel's MAX_RW_COUNT); longer buffers are
// clamped to it, and the operation completes short, as read(2) and write(2) do.
const maxRW = math.MaxInt32 &^ 4095

// prep hands out the next entry and fills the fields most operations share, as liburing's
// io_uring_prep_rw does. It refuses an fd that does not fit the kernel's 32 bits.
func (r *Ring) prep(method string, op uint8, fd int, addr uint64, n uint32, off uint64) (*abi.SQE, SQE, error) {
	if fd != int(int32(fd)) {
		if r.closed {
			return nil, SQE{}, ErrClosed
		}
		return nil, SQE{}, invalid(method, "fd %d out of range", fd)
	}
	s, err := r.next(op, int32(fd))
	if err != nil {
		return nil, SQE{}, err
	}
	e := s.e
	e.Addr = addr
	e.Len = n
	e.Off = off
	r.sq.lenSum += uint64(n)
	return e, s, nil
}

// next hands out the next entry, zeroed but for its opcode and fd, or ErrSQFull, or ErrClosed.
// It makes no call, so that it inlines, and the Prep methods that use it directly (PrepNop)
// inline into their callers.
func (r *Ring) next(op uint8, fd int32) (SQE, error) {
	q := &r.sq
	seq := q.tail
	// Pairs with the kernel's smp_store_release(&rings->sq.head) in io_commit_sqring, as
	// io_uring_get_sqe's acquire load: the entries before head have been read and may be
	// reused. Close leaves the queue full for good (its head pointer aimed at one that says
	// so) and noEntry ErrClosed.
	if seq-atomic.LoadUint32(q.khead) >= q.entries {
		return SQE{}, r.noEntry
	}
	e := q.entry(seq)
	*e = abi.SQE{Opcode: op, Fd: fd}
	q.tail++
	return SQE{r, e, seq}, nil
}

// hold gives the entry a slot that keeps p0 and p1 (either may be nil) alive and in place until
// the operation's final completion, and returns the slot for more.
func (r *Ring) hold(e *abi.SQE, p0, p1 unsafe.Pointer) *opSlot {
	if isToken(e.UserData) {
		idx, s := r.ops.lookup(e.UserData)
		if s != nil {
			if p0 != nil || p1 != nil {
				s.hold = [2]unsafe.Pointer{p0, p1}
			}
			return &r.ops.slots[idx]
		}
	}
	s := r.newSlot(e, e.UserData) // a KeepAlive after SetUserData keeps the value set
	s.hold = [2]unsafe.Pointer{p0, p1}
	return s
}

// newSlot gives entry e a slot for the caller's user data: the entry carries the slot's token
// from now on. A SQECQESkipSuccess set before moves into the slot, as SetFlags does: the Ring
// must see the operation complete to know when the slot is free, and hides the success itself.
func (r *Ring) newSlot(e *abi.SQE, user uint64) *opSlot {
	idx, tok := r.ops.alloc()
	e.UserData = tok
	r.sq.deferUser = true
	s := &r.ops.slots[idx]
	s.user = user
	if e.Flags&abi.IOSQE_CQE_SKIP_SUCCESS != 0 {
		e.Flags &^= abi.IOSQE_CQE_SKIP_SUCCESS
		s.swallow = true
	}
	return s
}

// bufPtr returns the address of buf's first byte, or an ArgError for an empty buffer, and the
// length to give the kernel.
func bufPtr(method string, buf []byte) (unsafe.Pointer, uint32, error) {
	if len(buf) == 0 {
		return nil, 0, invalid(method, "empty buffer")
	}
	return unsafe.Pointer(unsafe.SliceData(buf)), uint32(min(len(buf), maxRW)), nil
}

// iovecs fills the slot's reusable iovec array from bufs, which must not be empty.
func (r *Ring) iovecs(method string, s *opSlot, bufs [][]byte) (unsafe.Pointer, uint32, error) {
	if len(bufs) == 0 {
		return nil, 0, invalid(method, "no buffers")
	}
	r.appendIovecs(s, bufs)
	return unsafe.Pointer(unsafe.SliceData(s.iov)), uint32(len(s.iov)), nil
}

// appendIovecs appends an iovec for each of bufs to the slot's iovec array, and counts their
// bytes in the SQ's lenSum. Each iovec's base is a real pointer, so the array keeps every buffer
// alive while the slot keeps the array.
func (r *Ring) appendIovecs(s *opSlot, bufs [][]byte) {
	for _, b := range bufs {
		s.iov = append(s.iov, iovecOf(b))
		r.sq.lenSum += uint64(len(b))
	}
}

// PrepNop prepares an operation that does nothing and completes with result 0
// (IORING_OP_NOP, 5.1; io_uring_prep_nop).
func (r *Ring) PrepNop() (SQE, error) {
	return r.next(abi.IORING_OP_NOP, -1)
}

// PrepNopResult prepares a NOP that completes with result res: a way to test error paths, like
// a negated errno in the middle of a link chain (IORING_NOP_INJECT_RESULT, 6.12).
func (r *Ring) PrepNopResult(res int32) (SQE, error) {
	e, s, err := r.prep("PrepNopResult", abi.IORING_OP_NOP, -1, 0, uint32(res), 0)
	if err == nil {
		e.OpFlags = abi.IORING_NOP_INJECT_RESULT
	}
	return s, err
}
