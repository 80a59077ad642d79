package uring

import (
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var (
	_ = prepHelpers(OpProvideBuffers, "PrepProvideBuffers")
	_ = prepHelpers(OpRemoveBuffers, "PrepRemoveBuffers")
	_ = prepHelpers(OpReadMultishot, "PrepReadMultishot")
)

// Provided buffers: groups of buffers the kernel picks from when an operation asks for one
// (IOSQE_BUFFER_SELECT), instead of the operation naming its own.
//
// Two kinds of groups exist. A buffer ring (BufRing, 5.19) lives outside the Go heap and is
// refilled with plain memory stores: the fast and recommended kind. The classic kind (5.7) is
// filled with PROVIDE_BUFFERS operations from Go memory, and that memory is handed to the kernel
// for as long as the kernel may hold any of it.
//
// The rule for classic groups: memory given to PrepProvideBuffers is held by the Ring until the
// Ring is closed. The kernel keeps the addresses of buffers it has not handed out yet for as long
// as the group exists, hands each to whichever operation selects it, and REMOVE_BUFFERS does not
// say which ones it dropped; nothing short of Close proves that none of it is still referenced.
// The memory is held by its address, so providing the same buffers again after each use — the
// usual way of recycling them — holds nothing more. A program that keeps providing fresh memory
// should use a BufRing instead.

// selectBuffer makes the entry take its buffer from provided-buffer group
// (IOSQE_BUFFER_SELECT, buf_group), and gives it a slot, so that Close waits for the operation
// before it releases the group's memory, which the kernel may be writing into.
func (r *Ring) selectBuffer(e *abi.SQE, group uint16) *opSlot {
	e.Flags |= abi.IOSQE_BUFFER_SELECT
	e.BufIndex = group
	return r.hold(e, nil, nil)
}

// maxBufferIDs is the number of buffer ids of a group (the kernel's MAX_BIDS_PER_BGID).
const maxBufferIDs = 1 << 16

// PrepProvideBuffers prepares handing the kernel len(mem)/size buffers of size bytes each, cut
// from mem in order, as buffers id, id+1, ... of group (IORING_OP_PROVIDE_BUFFERS, 5.7;
// io_uring_prep_provide_buffers). The result is 0, or an errno. An operation that selects a
// buffer from group reports its id, bid, in CQE.BufferID; the data lies at mem[(bid-id)*size:].
// mem is held by the Ring until Close, as the rule above says.
func (r *Ring) PrepProvideBuffers(mem []byte, size int, group, id uint16) (SQE, error) {
	const method = "PrepProvideBuffers"
	if size <= 0 || size > maxRW {
		return SQE{}, invalid(method, "buffer size %d out of range", size)
	}
	n := len(mem) / size
	if n == 0 {
		return SQE{}, invalid(method, "%d bytes hold no buffer of %d bytes", len(mem), size)
	}
	if int(id)+n > maxBufferIDs {
		return SQE{}, invalid(method, "%d buffers from id %d run past id %d", n, id, maxBufferIDs-1)
	}
	p := unsafe.Pointer(unsafe.SliceData(mem))
	// The kernel takes the count in fd, the size in len and the first id in off.
	e, s, err := r.prep(method, abi.IORING_OP_PROVIDE_BUFFERS, n, uint64(uintptr(p)), uint32(size), uint64(id))
	if err != nil {
		return SQE{}, err
	}
	e.BufIndex = group
	r.hold(e, p, nil)
	if r.rsrc.provided == nil {
		r.rsrc.provided = make(map[unsafe.Pointer]struct{})
	}
	r.rsrc.provided[p] = struct{}{} // the key keeps the whole of mem's array alive
	return s, nil
}

// PrepRemoveBuffers prepares removing up to n buffers of classic group (never handed out yet);
// the result is how many were removed (0 once the group is empty), or ENOENT for a group that
// was never provided
// (IORING_OP_REMOVE_BUFFERS, 5.7; io_uring_prep_remove_buffers). The memory stays held until
// Close.
func (r *Ring) PrepRemoveBuffers(n int, group uint16) (SQE, error) {
	if n <= 0 || n > maxBufferIDs {
		return SQE{}, invalid("PrepRemoveBuffers", "count %d out of range", n)
	}
	e, s, err := r.prep("PrepRemoveBuffers", abi.IORING_OP_REMOVE_BUFFERS, n, 0, 0, 0)
	if err == nil {
		e.BufIndex = group
	}
	return s, err
}

// PrepReadMultishot prepares a read of fd that stays armed: each time data is ready it takes a
// buffer from group (a BufRing, or on Linux 6.18 a classic group too) and posts a completion
// with the bytes read (up to the buffer's size), CQEFBuffer and its id, and CQEFMore while it
// stays armed. offset is as for PrepRead (CurrentPos, or 0, for files that cannot seek). It
// needs a pollable file (pipes, sockets, eventfds, ttys; others complete with EBADFD), and ends
// as PrepRecvMultishot does (IORING_OP_READ_MULTISHOT, 6.7; io_uring_prep_read_multishot,
// whose nbytes Linux 6.18 requires to be 0).
func (r *Ring) PrepReadMultishot(fd int, offset int64, group uint16) (SQE, error) {
	e, s, err := r.prep("PrepReadMultishot", abi.IORING_OP_READ_MULTISHOT, fd, 0, 0, uint64(offset))
	if err != nil {
		return SQE{}, err
	}
	r.selectBuffer(e, group)
	return s, nil
}
