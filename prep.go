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
	q := &r.sq
	seq := q.tail
	if r.closed || q.full() || fd != int(int32(fd)) {
		return nil, SQE{}, r.prepError(method, fd)
	}
	e := q.entry(seq)
	// Zero the entry in place, then store the fields: a composite literal would be built on
	// the stack and copied, and its narrow stores defeat store-to-load forwarding.
	*e = abi.SQE{}
	e.Opcode = op
	e.Fd = int32(fd)
	e.Addr = addr
	e.Len = n
	e.Off = off
	q.tail = seq + 1
	return e, SQE{r, e, seq}, nil
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

// iovecs fills the slot's reusable iovec array from bufs. Each iovec's base is a real pointer,
// so the array keeps every buffer alive while the slot keeps the array.
func iovecs(method string, s *opSlot, bufs [][]byte) (unsafe.Pointer, uint32, error) {
	if len(bufs) == 0 {
		return nil, 0, invalid(method, "no buffers")
	}
	for _, b := range bufs {
		s.iov = append(s.iov, iovecOf(b))
	}
	return unsafe.Pointer(unsafe.SliceData(s.iov)), uint32(len(s.iov)), nil
}

// PrepNop prepares an operation that does nothing and completes with result 0
// (IORING_OP_NOP, 5.1; io_uring_prep_nop).
func (r *Ring) PrepNop() (SQE, error) {
	_, s, err := r.prep("PrepNop", abi.IORING_OP_NOP, -1, 0, 0, 0)
	return s, err
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
