package uring

import (
	"math"
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
	e, s := r.next()
	if e == nil || fd != int(int32(fd)) {
		if e, s = r.nextSlow(fd, e); e == nil {
			return nil, SQE{}, r.prepError(method, fd)
		}
	}
	e.Opcode = op
	e.Fd = int32(fd)
	e.Addr = addr
	e.Len = n
	e.Off = off
	r.sq.lenSum += uint64(n)
	return e, s, nil
}

// next hands out the next entry, zeroed, or nil when the Ring is closed or the SQ looks full
// by the kernel head last read: then nextSlow reads it again. It is small enough to inline,
// for the hottest Prep methods.
func (r *Ring) next() (*abi.SQE, SQE) {
	q := &r.sq
	seq := q.tail
	if seq-q.head >= q.entries || r.closed {
		return nil, SQE{}
	}
	e := q.entry(seq)
	// Zero the entry in place, then let the caller store the fields: a composite literal
	// would be built on the stack and copied, and its narrow stores defeat store-to-load
	// forwarding.
	*e = abi.SQE{}
	q.tail = seq + 1
	return e, SQE{r, e, seq}
}

// nextSlow is next when next found no entry (e is nil) or the caller refuses fd: it reads the
// kernel's SQ head again and tries once more, and returns nil with the SQ unchanged when there
// is still no entry or fd does not fit the kernel's 32 bits. Then prepError says why.
func (r *Ring) nextSlow(fd int, e *abi.SQE) (*abi.SQE, SQE) {
	if e != nil {
		r.sq.tail-- // give back the entry next handed out
	}
	if fd != int(int32(fd)) || r.closed || r.sq.full() {
		return nil, SQE{}
	}
	return r.next()
}

func (r *Ring) prepError(method string, fd int) error {
	switch {
	case r.closed:
		return ErrClosed
	case fd != int(int32(fd)):
		return invalid(method, "fd %d out of range", fd)
	}
	return ErrSQFull
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
	user := e.UserData
	idx, tok := r.ops.alloc()
	e.UserData = tok
	s := &r.ops.slots[idx]
	s.user = user // a KeepAlive after SetUserData keeps the value set
	s.hold = [2]unsafe.Pointer{p0, p1}
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
	e, s := r.next()
	if e == nil {
		if e, s = r.nextSlow(0, nil); e == nil {
			return SQE{}, r.prepError("PrepNop", 0)
		}
	}
	e.Opcode = abi.IORING_OP_NOP
	e.Fd = -1
	return s, nil
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
