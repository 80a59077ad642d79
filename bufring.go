package uring

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = registerHelpers(abi.IORING_REGISTER_PBUF_RING, "SetupBufRing", "SetupBufRingEmpty")
	_ = registerHelpers(abi.IORING_UNREGISTER_PBUF_RING, "FreeBufRing")
	_ = registerHelpers(abi.IORING_REGISTER_PBUF_STATUS, "BufRingHead")
)

// Provided-buffer rings (IORING_REGISTER_PBUF_RING, 5.19).
//
// A buffer ring is an array of struct io_uring_buf shared with the kernel: the application
// writes entries at its tail and publishes them by storing the tail; the kernel takes entries
// from its head (kept inside the kernel) whenever an operation selects a buffer from the group.
// Both the ring and the buffers live outside the Go heap (anonymous mappings, or the ring
// mapped from the kernel with BufRingMmap), so the kernel may hold them while the garbage
// collector runs, and no Go pointer is ever handed over.

// BufRingFlags modify SetupBufRing (io_uring_buf_reg.flags).
type BufRingFlags uint16

const (
	// BufRingMmap has the kernel allocate the ring, which the BufRing then maps from the
	// ring's fd at IORING_OFF_PBUF_RING|group<<16 (IOU_PBUF_RING_MMAP, 6.4). Not for a Ring
	// made WithRegisteredFdOnly, which has no fd.
	BufRingMmap BufRingFlags = abi.IOU_PBUF_RING_MMAP
	// BufRingInc lets one buffer serve several completions, each using only the bytes it
	// needs, from where the previous one stopped; a completion with CQEFBufMore leaves the
	// buffer with the kernel (IOU_PBUF_RING_INC, 6.12).
	BufRingInc BufRingFlags = abi.IOU_PBUF_RING_INC
)

// maxBufRingEntries is the most entries a buffer ring may have (the kernel's limit).
const maxBufRingEntries = 1 << 15

// bufSize is the size of struct io_uring_buf, one ring entry.
const bufSize = int(unsafe.Sizeof(abi.Buf{}))

// tailShift places the ring's 16-bit tail (offset 14) in the aligned 32-bit word at offset 12
// that Advance stores: the high half on little-endian machines, the low half on big-endian.
var tailShift = func() uint32 {
	w := uint32(1)
	if *(*byte)(unsafe.Pointer(&w)) == 1 {
		return 16
	}
	return 0
}()

// BufRing is a provided-buffer ring with its buffers: Count buffers of Size bytes, with ids 0
// to Count-1, registered as provided-buffer group Group of its Ring (io_uring_setup_buf_ring).
// Operations take buffers from it with PrepRecvMultishot, PrepReadMultishot, the bundle Prep
// methods or SQE.SetBufferGroup; Bytes (or Bundle) gives a completion's data, and Recycle (or
// Add and Advance) hands a buffer back once its data has been used.
//
// The memory is released by Free, or by the Ring's Close; slices from Bytes, Bundle and Buf are
// valid until then, and a buffer's bytes only until it is handed back. Like the Ring, a
// BufRing belongs to one goroutine at a time.
type BufRing struct {
	r       *Ring
	group   uint16
	flags   BufRingFlags
	count   int
	size    int
	mask    uint16
	ring    []byte // struct io_uring_buf_ring: mask+1 entries
	mem     []byte // the buffers, count*size bytes
	kernel  bool   // ring was mapped from the kernel (BufRingMmap)
	tail    uint16 // the tail last published to the kernel
	pending uint16 // entries added since then

	slotBid []uint16 // ring slot -> the buffer id last added there
	pos     []uint16 // buffer id -> the ring position (a tail value) it was last added at
	lens    []uint32 // buffer id -> the length it was last added with
	off     []uint32 // buffer id -> bytes of it already used (BufRingInc)

	freed    bool // unregistered
	unmapped bool
}

// SetupBufRing allocates count buffers of size bytes each and a ring to hold them, registers
// the ring as provided-buffer group of the Ring and adds every buffer to it, ready for
// receives (IORING_REGISTER_PBUF_RING, 5.19; io_uring_setup_buf_ring followed by
// io_uring_buf_ring_add of each buffer). count may be up to 32768; the ring has count entries
// rounded up to a power of two.
func (r *Ring) SetupBufRing(group uint16, count, size int, flags BufRingFlags) (*BufRing, error) {
	return r.setupBufRing("SetupBufRing", group, count, size, flags, true)
}

// SetupBufRingEmpty is SetupBufRing that adds no buffer: for sends (PrepSendBundle), where the
// application adds each buffer once it holds data, with the data's length.
func (r *Ring) SetupBufRingEmpty(group uint16, count, size int, flags BufRingFlags) (*BufRing, error) {
	return r.setupBufRing("SetupBufRingEmpty", group, count, size, flags, false)
}

func (r *Ring) setupBufRing(method string, group uint16, count, size int, flags BufRingFlags, fill bool) (*BufRing, error) {
	switch {
	case r.closed:
		return nil, ErrClosed
	case count <= 0 || count > maxBufRingEntries:
		return nil, invalid(method, "count %d out of range [1, %d]", count, maxBufRingEntries)
	case size <= 0 || size > maxRW:
		return nil, invalid(method, "buffer size %d out of range", size)
	case flags&BufRingMmap != 0 && r.fd < 0:
		return nil, invalid(method, "BufRingMmap needs the ring's fd, which a ring made WithRegisteredFdOnly lacks")
	}
	entries := roundPow2(uint32(count))
	br := &BufRing{
		r: r, group: group, flags: flags, count: count, size: size, mask: uint16(entries - 1),
		kernel:  flags&BufRingMmap != 0,
		slotBid: make([]uint16, entries),
		pos:     make([]uint16, count),
		lens:    make([]uint32, count),
		off:     make([]uint32, count),
	}
	var err error
	if br.mem, err = mmapAnon(count * size); err != nil {
		return nil, fmt.Errorf("uring: %s: mmap buffers: %w", method, err)
	}
	ringSize := int(entries) * bufSize
	reg := abi.BufReg{RingEntries: entries, Bgid: group, Flags: uint16(flags)}
	if !br.kernel {
		if br.ring, err = mmapAnon(ringSize); err != nil {
			br.unmap()
			return nil, fmt.Errorf("uring: %s: mmap ring: %w", method, err)
		}
		reg.RingAddr = uint64(uintptr(unsafe.Pointer(&br.ring[0])))
	}
	if _, err := r.register("IORING_REGISTER_PBUF_RING", abi.IORING_REGISTER_PBUF_RING, unsafe.Pointer(&reg), 1); err != nil {
		br.unmap()
		return nil, err
	}
	if br.kernel {
		off := int64(abi.IORING_OFF_PBUF_RING | uint64(group)<<abi.IORING_OFF_PBUF_SHIFT)
		if br.ring, err = unix.Mmap(r.fd, off, ringSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
			br.unregister()
			br.unmap()
			return nil, fmt.Errorf("uring: %s: mmap ring from the kernel: %w", method, err)
		}
	}
	r.rsrc.onRelease(br.release)
	if fill {
		for bid := 0; bid < count; bid++ {
			br.add(uint16(bid), size)
		}
		br.Advance()
	}
	return br, nil
}

func mmapAnon(n int) ([]byte, error) {
	return unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
}

// Group returns the provided-buffer group id the ring is registered as.
func (br *BufRing) Group() uint16 { return br.group }

// Count returns the number of buffers; their ids are 0 to Count-1.
func (br *BufRing) Count() int { return br.count }

// Size returns the size of each buffer in bytes.
func (br *BufRing) Size() int { return br.size }

// Entries returns the number of ring entries: Count rounded up to a power of two.
func (br *BufRing) Entries() int { return int(br.mask) + 1 }

// Buf returns the whole memory of buffer bid (Size bytes), to fill before adding it for a send,
// or nil for an id out of range or a released ring.
func (br *BufRing) Buf(bid uint16) []byte {
	if br.unmapped || int(bid) >= br.count {
		return nil
	}
	at := int(bid) * br.size
	return br.mem[at : at+br.size : at+br.size]
}

// entry returns the ring entry at position pos.
func (br *BufRing) entry(pos uint16) *abi.Buf {
	return (*abi.Buf)(unsafe.Pointer(&br.ring[int(pos&br.mask)*bufSize]))
}

// Add queues buffer bid, with n bytes of it usable (Size for receives; the length of the data
// for sends), at the ring's tail; Advance publishes what was added (io_uring_buf_ring_add).
// Add a buffer only while the kernel does not hold it: at setup every buffer is added, and a
// completion hands its buffers back to the application unless it has CQEFBufMore.
func (br *BufRing) Add(bid uint16, n int) error {
	switch {
	case br.freed || br.r.closed:
		return invalid("BufRing.Add", "buffer ring already freed")
	case int(bid) >= br.count:
		return invalid("BufRing.Add", "buffer id %d out of range [0, %d)", bid, br.count)
	case n <= 0 || n > br.size:
		return invalid("BufRing.Add", "length %d out of range [1, %d]", n, br.size)
	case int(br.pending) > int(br.mask):
		return invalid("BufRing.Add", "%d entries added since the last Advance: the ring is full", br.pending)
	}
	br.add(bid, n)
	return nil
}

func (br *BufRing) add(bid uint16, n int) {
	pos := br.tail + br.pending
	e := br.entry(pos)
	// Field by field, never the whole struct: the first entry's last two bytes are the tail.
	e.Addr = uint64(uintptr(unsafe.Pointer(&br.mem[int(bid)*br.size])))
	e.Len = uint32(n)
	e.Bid = bid
	br.slotBid[pos&br.mask] = bid
	br.pos[bid] = pos
	br.lens[bid] = uint32(n)
	br.off[bid] = 0
	br.pending++
}

// Advance makes the buffers added since the last Advance visible to the kernel, with one store
// of the ring's tail (io_uring_buf_ring_advance).
func (br *BufRing) Advance() {
	if br.pending == 0 || br.unmapped {
		return
	}
	br.tail += br.pending
	br.pending = 0
	// The 16-bit tail shares an aligned 32-bit word with the first entry's bid, and Go has no
	// 16-bit atomic store. Only this side ever writes either half (the kernel reads the bid
	// and the tail, and with BufRingInc writes only addr and len), so the word is rebuilt from
	// its current value and stored whole.
	w := (*uint32)(unsafe.Pointer(&br.ring[abi.BufRingTailOffset-2]))
	v := atomic.LoadUint32(w) // our own last store: nothing else writes this word
	v = v&^(0xffff<<tailShift) | uint32(br.tail)<<tailShift
	// Pairs with the kernel's smp_load_acquire(&br->tail) in io_ring_buffer_select and
	// io_ring_buffers_peek: the entries written before this store are visible once the tail
	// is.
	atomic.StoreUint32(w, v)
}

// Recycle hands buffer bid back to the kernel whole: Add(bid, Size()) and Advance.
func (br *BufRing) Recycle(bid uint16) error {
	if err := br.Add(bid, br.size); err != nil {
		return err
	}
	br.Advance()
	return nil
}

// Bytes returns the data of a completion that used one buffer of this ring (CQE.BufferID): the
// bytes the kernel wrote (or, for a send, sent) in it. With BufRingInc they start where the
// buffer's previous completion stopped. It returns nil for a completion without a buffer or
// with an error. Call it once per completion, in the order they arrive: with BufRingInc it
// keeps track of how much of each buffer is used.
func (br *BufRing) Bytes(c CQE) []byte {
	var one [1][]byte // stays on the stack: no allocation per completion
	segs := br.consume(c, false, one[:0])
	if len(segs) == 0 {
		return nil
	}
	return segs[0]
}

// Bundle returns the data of a bundle completion (PrepRecvBundle, PrepSendBundle): the pieces
// of the successive buffers, from the completion's buffer id on in the order the ring held
// them, that its Res bytes filled (or were sent from). Buffers other than the last are used
// whole; Bundle's pieces name them through the ring's order, so call it as each completion
// arrives, before the buffers that followed are added again.
func (br *BufRing) Bundle(c CQE) [][]byte { return br.consume(c, true, nil) }

// consume walks the buffers a completion used and appends their data to segs, keeping track
// of partly used buffers for BufRingInc.
func (br *BufRing) consume(c CQE, bundle bool, segs [][]byte) [][]byte {
	bid, ok := c.BufferID()
	if !ok || c.Res < 0 || br.unmapped || int(bid) >= br.count {
		return nil
	}
	rem := uint32(c.Res)
	pos := br.pos[bid]
	for i := 0; i <= int(br.mask); i++ {
		b := bid
		if i > 0 {
			b = br.slotBid[(pos+uint16(i))&br.mask]
		}
		start := br.off[b]
		take := min(rem, br.lens[b]-start)
		at := uint32(int(b)*br.size) + start
		segs = append(segs, br.mem[at:at+take:at+take])
		rem -= take
		last := rem == 0 || !bundle
		if last && c.Flags&CQEFBufMore != 0 {
			br.off[b] += take // the kernel keeps the rest of this buffer
		} else {
			br.off[b] = 0
		}
		if last {
			break
		}
	}
	return segs
}

// Head returns the kernel's head of the ring: the position of the next entry it will take
// (IORING_REGISTER_PBUF_STATUS, 6.8; io_uring_buf_ring_head).
func (br *BufRing) Head() (uint16, error) { return br.r.BufRingHead(br.group) }

// Available returns how many published entries the kernel has not taken yet
// (io_uring_buf_ring_available).
func (br *BufRing) Available() (int, error) {
	head, err := br.Head()
	if err != nil {
		return 0, err
	}
	return int(br.tail - head), nil
}

// Free unregisters the ring and releases its memory; see Ring.FreeBufRing.
func (br *BufRing) Free() error { return br.r.FreeBufRing(br) }

// BufRingHead returns the head of the buffer ring registered as group: the position of the
// next entry the kernel will take (IORING_REGISTER_PBUF_STATUS, 6.8; io_uring_buf_ring_head).
func (r *Ring) BufRingHead(group uint16) (uint16, error) {
	st := abi.BufStatus{BufGroup: uint32(group)}
	if _, err := r.register("IORING_REGISTER_PBUF_STATUS", abi.IORING_REGISTER_PBUF_STATUS, unsafe.Pointer(&st), 1); err != nil {
		return 0, err
	}
	return uint16(st.Head), nil
}

// FreeBufRing unregisters br's group, so that no operation can take its buffers any more, and
// releases its memory (IORING_UNREGISTER_PBUF_RING, 5.19; io_uring_free_buf_ring). Operations
// in flight that want a buffer from the group complete with ENOBUFS. If any operation of the
// Ring is still in flight, one may be writing into a buffer it took earlier, so the memory is
// released only when the Ring is closed.
func (r *Ring) FreeBufRing(br *BufRing) error {
	switch {
	case br == nil || br.r != r:
		return invalid("FreeBufRing", "buffer ring of another Ring, or nil")
	case r.closed:
		return ErrClosed
	case br.freed:
		return invalid("FreeBufRing", "buffer ring already freed")
	}
	if err := br.unregister(); err != nil {
		return err
	}
	br.freed = true
	if r.ops.live == 0 {
		br.unmap()
	}
	return nil
}

func (br *BufRing) unregister() error {
	reg := abi.BufReg{Bgid: br.group}
	_, err := br.r.register("IORING_UNREGISTER_PBUF_RING", abi.IORING_UNREGISTER_PBUF_RING, unsafe.Pointer(&reg), 1)
	return err
}

// release is run by the Ring's Close, after every operation has completed.
func (br *BufRing) release() {
	if br.r.ops.slots == nil {
		// Close abandoned operations the kernel would not finish (opTable.abandon): one may
		// still write into a buffer, so the memory stays mapped for the life of the process.
		return
	}
	br.unmap()
}

func (br *BufRing) unmap() {
	if br.unmapped {
		return
	}
	if br.ring != nil {
		unix.Munmap(br.ring)
	}
	if br.mem != nil {
		unix.Munmap(br.mem)
	}
	br.ring, br.mem, br.unmapped = nil, nil, true
}
