package uring

import (
	"sync/atomic"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = registerHelpers(abi.IORING_REGISTER_BUFFERS, "RegisterBuffers", "AllocBuffers")
	_ = registerHelpers(abi.IORING_UNREGISTER_BUFFERS, "UnregisterBuffers")
	_ = registerHelpers(abi.IORING_REGISTER_BUFFERS2, "RegisterBuffersTags", "RegisterBuffersSparse")
	_ = registerHelpers(abi.IORING_REGISTER_BUFFERS_UPDATE, "UpdateBuffers", "UpdateBuffersTags")
	_ = registerHelpers(abi.IORING_REGISTER_CLONE_BUFFERS, "CloneBuffers", "CloneBuffersOffset")
)

// Registered (fixed) buffers.
//
// The kernel pins the pages of a registered buffer and reads or writes them whenever an
// operation names the buffer (READ_FIXED, WRITE_FIXED, READV_FIXED, a send with a fixed
// buffer, ...). The Ring therefore keeps every registered Go buffer referenced:
//
//   - while it is registered, in the Ring's copy of the kernel's buffer table;
//   - after it is unregistered or replaced (UnregisterBuffers, UpdateBuffers, a clone with
//     CloneReplace), until no operation that holds Go memory is in flight: the kernel keeps an
//     unregistered buffer until the operations using it end, so the Ring drops it only at a
//     later buffer registration call, or at Close, made while no operation is in flight;
//   - and every fixed-buffer operation prepared by this package holds the slice it was given
//     until its own completion, like any other operation.
//
// A fixed-buffer operation built by hand with PrepUnsafe holds nothing: its memory must stay
// reachable some other way. Memory from AllocBuffers lies outside the Go heap and stays mapped
// until the last Ring that has it registered (the allocating one, or one it was cloned to) is
// closed.

const (
	maxFixedBuffers    = 1 << 14 // IORING_MAX_REG_BUFFERS
	maxFixedBufferSize = 1 << 30 // the kernel's limit on one registered buffer (SZ_1G)
	maxFixedFiles      = 1 << 20 // IORING_MAX_FIXED_FILES
)

// bufMapping is memory that AllocBuffers mapped, shared by the rings that registered it.
type bufMapping struct {
	mem  []byte
	refs atomic.Int32
}

func (m *bufMapping) put() {
	if m.refs.Add(-1) == 0 {
		unix.Munmap(m.mem)
	}
}

// RegisterBuffers registers bufs as the ring's fixed buffers 0..len(bufs)-1, for the
// fixed-buffer operations (IORING_REGISTER_BUFFERS, 5.1; io_uring_register_buffers). The
// kernel pins their memory. A nil or empty buffer leaves its slot empty. A ring has one table:
// a second registration fails with EBUSY until UnregisterBuffers.
//
// The kernel reads and writes a registered buffer whenever an operation names it, so the Ring
// keeps each one referenced while it is registered, and after UnregisterBuffers or a
// replacement until no operation that holds Go memory is in flight (the kernel keeps a buffer
// until the operations using it end). The fixed-buffer Prep methods also hold their slice until
// their completion; an entry built with PrepUnsafe holds nothing. At most 16384 buffers of at
// most 1 GiB each.
func (r *Ring) RegisterBuffers(bufs [][]byte) error {
	return r.registerBuffers("RegisterBuffers", len(bufs), bufs, nil, false)
}

// RegisterBuffersTags is RegisterBuffers with a tag per buffer (IORING_REGISTER_BUFFERS2,
// 5.13; io_uring_register_buffers_tags). When a tagged buffer leaves the table (replaced by
// UpdateBuffers, or unregistered) and no operation uses it any more, the kernel posts a
// completion whose UserData is the tag and whose Res is 0. A tag of 0 asks for none; tags must
// have the top bit clear (the Ring reserves those values); an empty slot cannot have a tag.
func (r *Ring) RegisterBuffersTags(bufs [][]byte, tags []uint64) error {
	return r.registerBuffers("RegisterBuffersTags", len(bufs), bufs, tags, true)
}

// RegisterBuffersSparse registers a table of n empty buffer slots, to be filled by
// UpdateBuffers or CloneBuffersOffset (IORING_REGISTER_BUFFERS2 with
// IORING_RSRC_REGISTER_SPARSE, 5.19; io_uring_register_buffers_sparse).
func (r *Ring) RegisterBuffersSparse(n int) error {
	return r.registerBuffers("RegisterBuffersSparse", n, nil, nil, false)
}

// AllocBuffers maps n buffers of size bytes each outside the Go heap (anonymous memory, each
// buffer page-aligned) and registers them as fixed buffers 0..n-1, like RegisterBuffers
// (IORING_REGISTER_BUFFERS, 5.1). The garbage collector never scans or moves them. They stay
// mapped until this Ring, and every Ring they were cloned to, is closed: touching them after
// that faults.
func (r *Ring) AllocBuffers(n, size int) ([][]byte, error) {
	const method = "AllocBuffers"
	if r.closed {
		return nil, ErrClosed
	}
	if n <= 0 || n > maxFixedBuffers {
		return nil, invalid(method, "%d buffers (1 to %d)", n, maxFixedBuffers)
	}
	if size <= 0 || size > maxFixedBufferSize {
		return nil, invalid(method, "buffer size %d (1 to %d)", size, maxFixedBufferSize)
	}
	page := unix.Getpagesize()
	stride := (size + page - 1) &^ (page - 1)
	if stride > (1<<46)/n {
		return nil, invalid(method, "%d buffers of %d bytes is too much memory", n, size)
	}
	mem, err := unix.Mmap(-1, 0, n*stride, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, err
	}
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = mem[i*stride : i*stride+size : i*stride+size]
	}
	if err := r.RegisterBuffers(bufs); err != nil {
		unix.Munmap(mem)
		return nil, err
	}
	m := &bufMapping{mem: mem}
	m.refs.Store(1)
	r.rsrc.mappings = append(r.rsrc.mappings, m)
	return bufs, nil
}

// registerBuffers registers a table of n buffers: bufs, with tags if tagged, or n empty
// slots if bufs is nil.
func (r *Ring) registerBuffers(method string, n int, bufs [][]byte, tags []uint64, tagged bool) error {
	if r.closed {
		return ErrClosed
	}
	if err := bufferTable.check(method, n, len(tags), tagged); err != nil {
		return err
	}
	iov, err := fixedIovecs(method, bufs)
	if err != nil {
		return err
	}
	tagv, err := tagArray(method, tags)
	if err != nil {
		return err
	}
	r.rsrc.sweep(r.ops.live)
	if err := r.registerTable(bufferTable, unsafe.Pointer(unsafe.SliceData(iov)), n, tagv, bufs == nil); err != nil {
		return err
	}
	table := make([][]byte, n)
	for i, b := range bufs {
		table[i] = registeredSlice(b)
	}
	r.rsrc.bufs = table
	return nil
}

// registeredSlice is the part of b the kernel registers: nil for an empty buffer, and capped
// so that appending never reaches past it.
func registeredSlice(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b[:len(b):len(b)]
}

// fixedIovecs builds the iovec array of a buffer registration on the heap: the kernel reaches
// it through an address inside another structure. Empty buffers become empty slots.
func fixedIovecs(method string, bufs [][]byte) ([]unix.Iovec, error) {
	if len(bufs) == 0 {
		return nil, nil
	}
	iov := heapSlice[unix.Iovec](len(bufs))
	for i, b := range bufs {
		if len(b) > maxFixedBufferSize {
			return nil, invalid(method, "buffer %d is %d bytes, more than the kernel's limit of %d", i, len(b), maxFixedBufferSize)
		}
		if len(b) > 0 {
			iov[i] = iovecOf(b)
		}
	}
	return iov, nil
}

// UpdateBuffers replaces fixed buffers offset..offset+len(bufs)-1 of the registered table
// (IORING_REGISTER_BUFFERS_UPDATE, 5.13; io_uring_register_buffers_update_tag with no tags). A
// nil or empty buffer empties its slot. It returns how many slots it replaced: fewer than
// len(bufs), with no error, when the kernel failed part way. Operations in flight keep using
// the buffer they started with; the replaced buffers are kept referenced until no operation is
// in flight.
func (r *Ring) UpdateBuffers(offset int, bufs [][]byte) (int, error) {
	return r.updateBuffers("UpdateBuffers", offset, bufs, nil, false)
}

// UpdateBuffersTags is UpdateBuffers that tags the new buffers, as RegisterBuffersTags does
// (IORING_REGISTER_BUFFERS_UPDATE, 5.13; io_uring_register_buffers_update_tag). The tag of
// each buffer replaced is posted once no operation uses it.
func (r *Ring) UpdateBuffersTags(offset int, bufs [][]byte, tags []uint64) (int, error) {
	return r.updateBuffers("UpdateBuffersTags", offset, bufs, tags, true)
}

func (r *Ring) updateBuffers(method string, offset int, bufs [][]byte, tags []uint64, tagged bool) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	if err := bufferTable.check(method, len(bufs), len(tags), tagged); err != nil {
		return 0, err
	}
	if r.rsrc.bufs != nil && (offset < 0 || offset > len(r.rsrc.bufs)-len(bufs)) {
		return 0, invalid(method, "slots %d..%d are outside the table of %d buffers", offset, offset+len(bufs)-1, len(r.rsrc.bufs))
	}
	if offset < 0 || offset > maxFixedBuffers {
		return 0, invalid(method, "offset %d", offset)
	}
	iov, err := fixedIovecs(method, bufs)
	if err != nil {
		return 0, err
	}
	tagv, err := tagArray(method, tags)
	if err != nil {
		return 0, err
	}
	done, err := r.updateTable(bufferTable, offset, unsafe.Pointer(unsafe.SliceData(iov)), len(bufs), tagv)
	if err != nil {
		return 0, err
	}
	old := make([][]byte, done)
	copy(old, r.rsrc.bufs[offset:offset+done])
	for i := range done {
		r.rsrc.bufs[offset+i] = registeredSlice(bufs[i])
	}
	r.rsrc.retire(old, r.ops.live)
	return done, nil
}

// UnregisterBuffers removes the registered buffer table (IORING_UNREGISTER_BUFFERS, 5.1;
// io_uring_unregister_buffers). Operations in flight keep the buffers they use; the Ring keeps
// the buffers referenced until none is in flight. Memory from AllocBuffers stays mapped until
// Close.
func (r *Ring) UnregisterBuffers() error {
	if r.closed {
		return ErrClosed
	}
	if _, err := r.register("IORING_UNREGISTER_BUFFERS", abi.IORING_UNREGISTER_BUFFERS, nil, 0); err != nil {
		return err
	}
	r.rsrc.retire(r.rsrc.bufs, r.ops.live)
	r.rsrc.bufs = nil
	return nil
}

// RegisteredBuffer returns the memory registered as fixed buffer index, or nil for an empty
// or missing slot: a way to reach buffers that AllocBuffers mapped or CloneBuffers brought in.
func (r *Ring) RegisteredBuffer(index int) []byte {
	if index < 0 || index >= len(r.rsrc.bufs) {
		return nil
	}
	return r.rsrc.bufs[index]
}

// CloneFlags modify CloneBuffersOffset.
type CloneFlags uint32

// CloneReplace lets CloneBuffersOffset write into a ring that already has a buffer table: the
// slots in the cloned range are replaced, the others kept (IORING_REGISTER_DST_REPLACE, 6.13).
const CloneReplace CloneFlags = abi.IORING_REGISTER_DST_REPLACE

// CloneBuffers gives this ring the whole registered buffer table of src, without pinning the
// memory again (IORING_REGISTER_CLONE_BUFFERS, 6.12; io_uring_clone_buffers). This ring must
// have no buffer table. Both rings must belong to the same user and process. The cloned
// buffers stay referenced by this ring after src is closed.
func (r *Ring) CloneBuffers(src *Ring) error {
	return r.cloneBuffers("CloneBuffers", src, 0, 0, 0, 0)
}

// CloneBuffersOffset clones n buffers of src, from slot srcOff, into slots dstOff.. of this
// ring (IORING_REGISTER_CLONE_BUFFERS, 6.12; io_uring_clone_buffers_offset). n 0 with both
// offsets 0 clones the whole table. With CloneReplace (6.13) this ring may already have a
// table: the slots in the range are replaced, the others kept, and the table grows to
// dstOff+n if it is smaller.
func (r *Ring) CloneBuffersOffset(src *Ring, dstOff, srcOff, n int, flags CloneFlags) error {
	return r.cloneBuffers("CloneBuffersOffset", src, dstOff, srcOff, n, flags)
}

func (r *Ring) cloneBuffers(method string, src *Ring, dstOff, srcOff, n int, flags CloneFlags) error {
	switch {
	case r.closed:
		return ErrClosed
	case src == nil:
		return invalid(method, "no source ring")
	case src.closed:
		return ErrClosed
	case dstOff < 0 || srcOff < 0 || n < 0 || dstOff > maxFixedBuffers || srcOff > maxFixedBuffers || n > maxFixedBuffers:
		return invalid(method, "offsets %d, %d and count %d", dstOff, srcOff, n)
	case flags&^CloneReplace != 0:
		return invalid(method, "unknown flags %#x", uint32(flags))
	}
	arg := abi.CloneBuffers{SrcFd: uint32(src.fd), Flags: uint32(flags), SrcOff: uint32(srcOff), DstOff: uint32(dstOff), Nr: uint32(n)}
	if src.fd < 0 {
		// A ring with no fd is known only by its registered index, and only to the thread
		// that registered it.
		arg.SrcFd = uint32(src.enterFd)
		arg.Flags |= abi.IORING_REGISTER_SRC_REGISTERED
	}
	r.rsrc.sweep(r.ops.live)
	if _, err := r.register("IORING_REGISTER_CLONE_BUFFERS", abi.IORING_REGISTER_CLONE_BUFFERS, unsafe.Pointer(&arg), 1); err != nil {
		return err
	}
	// Mirror what the kernel did: slots [dstOff, dstOff+n) come from src[srcOff:], the rest
	// of this ring's table (if replacing) stays.
	from := src.rsrc.bufs
	if n == 0 {
		n = len(from)
	}
	old := r.rsrc.bufs
	table := make([][]byte, max(dstOff+n, len(old)))
	copy(table, old)
	var replaced [][]byte
	if dstOff < len(old) {
		replaced = append(replaced, old[dstOff:min(dstOff+n, len(old))]...)
	}
	if srcOff < len(from) {
		copy(table[dstOff:dstOff+n], from[srcOff:min(srcOff+n, len(from))])
	}
	r.rsrc.bufs = table
	r.rsrc.retire(replaced, r.ops.live)
	for _, m := range src.rsrc.mappings {
		if !r.rsrc.hasMapping(m) {
			m.refs.Add(1)
			r.rsrc.mappings = append(r.rsrc.mappings, m)
		}
	}
	return nil
}

func (rs *resources) hasMapping(m *bufMapping) bool {
	for _, x := range rs.mappings {
		if x == m {
			return true
		}
	}
	return false
}

// checkFixed checks that buf is non-empty and lies inside registered buffer index, as the
// kernel requires of a fixed-buffer operation, before an entry is taken.
func (r *Ring) checkFixed(method string, index int, buf []byte) error {
	if r.closed {
		return ErrClosed
	}
	if len(buf) == 0 {
		return invalid(method, "empty buffer")
	}
	reg := r.RegisteredBuffer(index)
	if reg == nil {
		return invalid(method, "fixed buffer %d is not registered", index)
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(reg)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	if p < lo || p-lo > uintptr(len(reg)) || uintptr(len(buf)) > uintptr(len(reg))-(p-lo) {
		return invalid(method, "the buffer does not lie inside fixed buffer %d", index)
	}
	return nil
}
