package uring

import (
	"errors"
	"math/rand/v2"
	"syscall"
	"time"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

// Option configures New. Each one sets io_uring_setup(2) parameters; see SetupFlagList for the
// kernel that added each flag.
type Option func(*config)

type config struct {
	params     abi.Params
	noSQArray  int // 0: use it where the kernel has it; 1: require it; -1: never
	attachRing *Ring
	ringMem    []byte // WithRingMemory
	ringMemSet bool
}

// WithCQSize sets the number of CQ entries (IORING_SETUP_CQSIZE, 5.5). It must be at least the
// number of SQ entries; the kernel rounds it up to a power of two. The default is twice the SQ.
func WithCQSize(entries uint32) Option {
	return func(c *config) {
		c.params.Flags |= abi.IORING_SETUP_CQSIZE
		c.params.CQEntries = entries
	}
}

// WithSQPoll starts a kernel thread that polls the SQ, so that submitting needs no system call
// while the thread is awake (IORING_SETUP_SQPOLL, 5.1; unprivileged since 5.11). The thread
// sleeps after idle without work and Submit wakes it. It uses a CPU while awake: on small
// machines measure before choosing it.
func WithSQPoll(idle time.Duration) Option {
	return func(c *config) {
		c.params.Flags |= abi.IORING_SETUP_SQPOLL
		c.params.SQThreadIdle = uint32(idle.Milliseconds())
	}
}

// WithSQPollCPU pins the SQPOLL thread to cpu (IORING_SETUP_SQ_AFF, 5.1). It needs WithSQPoll.
func WithSQPollCPU(cpu int) Option {
	return func(c *config) {
		c.params.Flags |= abi.IORING_SETUP_SQ_AFF
		c.params.SQThreadCPU = uint32(cpu)
	}
}

// WithIOPoll makes the ring busy-poll for completions instead of taking interrupts
// (IORING_SETUP_IOPOLL, 5.1). Only O_DIRECT reads and writes on devices with polled queues work
// on such a ring; the Ring polls whenever it looks for completions.
func WithIOPoll() Option { return withFlags(abi.IORING_SETUP_IOPOLL) }

// WithHybridIOPoll is WithIOPoll with a sleep before polling (IORING_SETUP_HYBRID_IOPOLL, 6.13).
func WithHybridIOPoll() Option {
	return withFlags(abi.IORING_SETUP_IOPOLL | abi.IORING_SETUP_HYBRID_IOPOLL)
}

// WithSingleIssuer tells the kernel that only one thread submits (IORING_SETUP_SINGLE_ISSUER,
// 6.0). Goroutines move between threads: use it only from a goroutine that has called
// runtime.LockOSThread before New and keeps the ring to itself. Others get EEXIST.
func WithSingleIssuer() Option { return withFlags(abi.IORING_SETUP_SINGLE_ISSUER) }

// WithDeferTaskrun defers completion work until the ring's owner waits for completions
// (IORING_SETUP_DEFER_TASKRUN, 6.1). It implies WithSingleIssuer, with the same rule about
// locked threads, and sets IORING_SETUP_TASKRUN_FLAG so the Ring knows when to enter the
// kernel to run the deferred work. Completions appear only inside Ring methods that wait or
// peek, never by themselves: epoll on the ring fd does not see them.
func WithDeferTaskrun() Option {
	return withFlags(abi.IORING_SETUP_SINGLE_ISSUER | abi.IORING_SETUP_DEFER_TASKRUN | abi.IORING_SETUP_TASKRUN_FLAG)
}

// WithCoopTaskrun stops the kernel from interrupting the submitting thread to post completions
// (IORING_SETUP_COOP_TASKRUN, 5.19); they are posted when that thread next enters the kernel.
// With flag set, the kernel also raises IORING_SQ_TASKRUN when work waits
// (IORING_SETUP_TASKRUN_FLAG), and the Ring enters the kernel to run it when it looks for
// completions.
func WithCoopTaskrun(flag bool) Option {
	f := uint32(abi.IORING_SETUP_COOP_TASKRUN)
	if flag {
		f |= abi.IORING_SETUP_TASKRUN_FLAG
	}
	return withFlags(f)
}

// WithClamp clamps entries to the kernel's maximum instead of failing (IORING_SETUP_CLAMP, 5.6).
func WithClamp() Option { return withFlags(abi.IORING_SETUP_CLAMP) }

// WithSubmitAll keeps submitting a batch after one of its entries fails to be prepared
// (IORING_SETUP_SUBMIT_ALL, 5.18).
func WithSubmitAll() Option { return withFlags(abi.IORING_SETUP_SUBMIT_ALL) }

// WithNoSQArray chooses whether the ring drops the SQ index array (IORING_SETUP_NO_SQARRAY,
// 6.6). By default New uses it where the kernel has it, as liburing does; true makes New fail
// where it does not, false never uses it.
func WithNoSQArray(on bool) Option {
	return func(c *config) {
		if on {
			c.noSQArray = 1
		} else {
			c.noSQArray = -1
		}
	}
}

// WithAttachWQ shares the kernel worker pool (and the SQPOLL thread) of another ring
// (IORING_SETUP_ATTACH_WQ, 5.6).
func WithAttachWQ(other *Ring) Option {
	return func(c *config) {
		c.params.Flags |= abi.IORING_SETUP_ATTACH_WQ
		c.attachRing = other
	}
}

// WithDisabled starts the ring disabled, so that restrictions can be registered before any
// submission; Ring.EnableRings starts it (IORING_SETUP_R_DISABLED, 5.10).
func WithDisabled() Option { return withFlags(abi.IORING_SETUP_R_DISABLED) }

// WithSQE128 makes every SQE 128 bytes, for commands that need the extra 64 bytes, like NVMe
// passthrough (IORING_SETUP_SQE128, 5.19).
func WithSQE128() Option { return withFlags(abi.IORING_SETUP_SQE128) }

// WithCQE32 makes every CQE 32 bytes; CQE.Big holds the second half (IORING_SETUP_CQE32, 5.19).
func WithCQE32() Option { return withFlags(abi.IORING_SETUP_CQE32) }

// WithCQEMixed lets 16- and 32-byte CQEs share one CQ; 32-byte ones carry CQEF32
// (IORING_SETUP_CQE_MIXED, 6.18).
//
// Size the CQ (WithCQSize) so that it never overflows: on Linux 6.18.44, when a mixed CQ fills
// up completely the kernel counts a padding entry in its tail without writing it, and a stale
// entry is then read back as new. TestCQE32 documents the working case.
func WithCQEMixed() Option { return withFlags(abi.IORING_SETUP_CQE_MIXED) }

// WithNoMmap has the Ring allocate the ring memory itself and hand it to the kernel, instead of
// mapping memory the kernel allocated (IORING_SETUP_NO_MMAP, 6.5). The memory comes from
// anonymous mmap, outside the Go heap.
func WithNoMmap() Option { return withFlags(abi.IORING_SETUP_NO_MMAP) }

// WithRingMemory makes the ring live in mem, which the caller provides, instead of memory
// the kernel allocates (IORING_SETUP_NO_MMAP, 6.5; io_uring_queue_init_mem). mem must start
// on a page boundary and hold at least RingMemorySize bytes for the same entries and options;
// anonymous memory from unix.Mmap (MAP_SHARED or MAP_PRIVATE, with MAP_HUGETLB for huge pages)
// is the usual choice. The kernel pins it. The Ring keeps mem referenced until Close; the
// caller must not unmap or reuse it before then.
func WithRingMemory(mem []byte) Option {
	return func(c *config) {
		c.params.Flags |= abi.IORING_SETUP_NO_MMAP
		c.ringMem, c.ringMemSet = mem, true
	}
}

// RingMemorySize returns how many bytes of memory WithRingMemory needs for a ring of entries
// made with opts (io_uring_memory_size): the SQE array and the rings, each rounded up to whole
// pages. It counts the SQ index array even where NO_SQARRAY would drop it.
func RingMemorySize(entries uint32, opts ...Option) (int, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if err := checkEntries("RingMemorySize", entries, &c.params); err != nil {
		return 0, err
	}
	sqes, rings := ringSizes(entries, &c.params)
	return int(sqes + rings), nil
}

// WithRegisteredFdOnly creates a ring that has no file descriptor, only an index in the
// creating thread's table of registered rings (IORING_SETUP_REGISTERED_FD_ONLY with
// IORING_SETUP_NO_MMAP, 6.5). That table belongs to the OS thread: create and use such a ring
// only from a goroutine locked with runtime.LockOSThread. Fd returns -1.
func WithRegisteredFdOnly() Option {
	return withFlags(abi.IORING_SETUP_REGISTERED_FD_ONLY | abi.IORING_SETUP_NO_MMAP)
}

// WithFlags adds raw setup flags, for flags this package has no option for.
func WithFlags(f SetupFlags) Option { return withFlags(uint32(f)) }

func withFlags(f uint32) Option { return func(c *config) { c.params.Flags |= f } }

// New creates a ring with room for entries submissions (rounded up to a power of two by the
// kernel) with io_uring_setup(2), and maps its queues: one mapping for both rings where the
// kernel has IORING_FEAT_SINGLE_MMAP, and one for the SQEs. It is the reference
// URingContext::new.
//
// entries must be between 1 and 32768 (the kernel's limit), unless WithClamp is given. Errors
// from the kernel are *SetupError, which wraps the errno and names the likely cause.
func New(entries uint32, opts ...Option) (*Ring, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if err := checkEntries("New", entries, &c.params); err != nil {
		return nil, err
	}
	if c.attachRing != nil {
		if c.attachRing.closed {
			return nil, ErrClosed
		}
		c.params.WQFd = uint32(c.attachRing.fd)
	}
	if c.noSQArray >= 0 {
		c.params.Flags |= abi.IORING_SETUP_NO_SQARRAY
	}
	if c.ringMemSet && len(c.ringMem) == 0 {
		return nil, invalid("New", "WithRingMemory with no memory")
	}
	r, err := setup(entries, c.params, c.ringMem)
	if err != nil && c.noSQArray == 0 && errors.Is(err, syscall.EINVAL) {
		// A kernel before 6.6 refuses IORING_SETUP_NO_SQARRAY: keep the array.
		c.params.Flags &^= abi.IORING_SETUP_NO_SQARRAY
		r, err = setup(entries, c.params, c.ringMem)
	}
	return r, err
}

// checkEntries refuses queue sizes the kernel would refuse.
func checkEntries(method string, entries uint32, p *abi.Params) error {
	if entries == 0 {
		return invalid(method, "entries must be at least 1")
	}
	if entries > abi.MaxEntries && p.Flags&abi.IORING_SETUP_CLAMP == 0 {
		return invalid(method, "entries %d is above the kernel's limit of %d (WithClamp clamps it)", entries, abi.MaxEntries)
	}
	if p.Flags&abi.IORING_SETUP_CQSIZE != 0 {
		if p.CQEntries == 0 {
			return invalid(method, "WithCQSize(0)")
		}
		if p.CQEntries > abi.MaxCQEntries && p.Flags&abi.IORING_SETUP_CLAMP == 0 {
			return invalid(method, "CQ size %d is above the kernel's limit of %d", p.CQEntries, abi.MaxCQEntries)
		}
	}
	return nil
}

// setup calls io_uring_setup and maps the rings, or with IORING_SETUP_NO_MMAP hands the kernel
// ringMem, or memory it allocates when ringMem is nil.
func setup(entries uint32, p abi.Params, ringMem []byte) (*Ring, error) {
	r := &Ring{fd: -1, noEntry: ErrSQFull}
	if p.Flags&abi.IORING_SETUP_NO_MMAP != 0 {
		var err error
		if ringMem != nil {
			err = r.useRingMemory(entries, &p, ringMem)
		} else {
			err = r.allocRingMemory(entries, &p)
		}
		if err != nil {
			return nil, err
		}
	}
	fd, err := abi.Setup(entries, &p)
	if err != nil {
		r.unmap()
		return nil, &SetupError{Op: "io_uring_setup", Err: err, Cause: setupCause(err)}
	}
	r.params = p
	r.flags = SetupFlags(p.Flags)
	r.features = Features(p.Features)
	r.enterFd = fd
	if p.Flags&abi.IORING_SETUP_REGISTERED_FD_ONLY != 0 {
		r.enterFlags = abi.IORING_ENTER_REGISTERED_RING
		r.registerFlag = abi.IORING_REGISTER_USE_REGISTERED_RING
		r.ringFdRegistered = true
	} else {
		r.fd = fd
	}
	if p.Flags&abi.IORING_SETUP_NO_MMAP == 0 {
		if err := r.mapRings(); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	r.initQueues()
	r.ops.init(rand.Uint32())
	return r, nil
}

// mapRings maps the SQ and CQ rings (once where the kernel has IORING_FEAT_SINGLE_MMAP) and the
// SQE array, as io_uring_setup(2) describes.
func (r *Ring) mapRings() error {
	p := &r.params
	sqSize := uintptr(p.SQOff.Array) + uintptr(p.SQEntries)*4
	cqSize := uintptr(p.CQOff.Cqes) + uintptr(p.CQEntries)*abi.CQESize<<cqeShift(p.Flags)
	single := p.Features&abi.IORING_FEAT_SINGLE_MMAP != 0
	if single {
		sqSize = max(sqSize, cqSize)
	}
	sqRing, err := mmapRegion(r.fd, abi.IORING_OFF_SQ_RING, sqSize)
	if err != nil {
		return err
	}
	r.regions = append(r.regions, sqRing)
	cqRing := sqRing
	if !single {
		if cqRing, err = mmapRegion(r.fd, abi.IORING_OFF_CQ_RING, cqSize); err != nil {
			r.unmap()
			return err
		}
		r.regions = append(r.regions, cqRing)
	}
	sqes, err := mmapRegion(r.fd, abi.IORING_OFF_SQES, uintptr(p.SQEntries)*abi.SQESize<<sqeShift(p.Flags))
	if err != nil {
		r.unmap()
		return err
	}
	r.regions = append(r.regions, sqes)
	r.sqRing, r.cqRing, r.sqesMem = unsafe.Pointer(&sqRing[0]), unsafe.Pointer(&cqRing[0]), unsafe.Pointer(&sqes[0])
	return nil
}

func mmapRegion(fd int, offset int64, size uintptr) ([]byte, error) {
	b, err := unix.Mmap(fd, offset, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, &SetupError{Op: "mmap", Err: err, Cause: setupCause(err)}
	}
	return b, nil
}

// ringSizes returns the sizes, in whole pages, of the two regions a ring of entries needs:
// the SQE array, and the rings as the kernel lays them out (its header, the CQEs, then the SQ
// index array). The kernel's header is 64 bytes; 512 leaves room for it to grow.
func ringSizes(entries uint32, p *abi.Params) (sqes, rings uintptr) {
	sq := roundPow2(min(entries, abi.MaxEntries))
	cq := 2 * sq
	if p.Flags&abi.IORING_SETUP_CQSIZE != 0 {
		cq = roundPow2(min(p.CQEntries, abi.MaxCQEntries))
	}
	const ringsHeader = 64 * 8
	page := uintptr(unix.Getpagesize())
	rings = uintptr(ringsHeader) + uintptr(cq)*abi.CQESize<<cqeShift(p.Flags) + uintptr(sq)*4 + 64
	sqes = uintptr(sq) * abi.SQESize << sqeShift(p.Flags)
	return (sqes + page - 1) &^ (page - 1), (rings + page - 1) &^ (page - 1)
}

// allocRingMemory allocates the ring memory for IORING_SETUP_NO_MMAP, the SQEs and the rings
// each in an anonymous mapping, and points the queues and the kernel's parameters at it.
func (r *Ring) allocRingMemory(entries uint32, p *abi.Params) error {
	sqesSize, ringsSize := ringSizes(entries, p)
	for _, size := range []uintptr{sqesSize, ringsSize} {
		b, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
		if err != nil {
			r.unmap()
			return &SetupError{Op: "mmap", Err: err, Cause: "allocating ring memory for IORING_SETUP_NO_MMAP"}
		}
		r.regions = append(r.regions, b)
	}
	r.placeRings(p, r.regions[0], r.regions[1])
	return nil
}

// useRingMemory places the ring in the caller's memory (WithRingMemory): the SQEs first, the
// rings on the next page boundary. The kernel requires both to be page-aligned.
func (r *Ring) useRingMemory(entries uint32, p *abi.Params, mem []byte) error {
	sqesSize, ringsSize := ringSizes(entries, p)
	page := uintptr(unix.Getpagesize())
	if len(mem) == 0 || uintptr(unsafe.Pointer(&mem[0]))&(page-1) != 0 {
		return invalid("WithRingMemory", "the memory must start on a page boundary")
	}
	if uintptr(len(mem)) < sqesSize+ringsSize {
		return invalid("WithRingMemory", "%d bytes of memory for a ring that needs %d (RingMemorySize)", len(mem), sqesSize+ringsSize)
	}
	r.placeRings(p, mem[:sqesSize], mem[sqesSize:])
	r.rsrc.keepAlive(mem)
	return nil
}

// placeRings points the queues at the SQE array and the rings of a NO_MMAP ring, and tells the
// kernel where they are.
func (r *Ring) placeRings(p *abi.Params, sqes, rings []byte) {
	r.sqesMem = unsafe.Pointer(&sqes[0])
	r.sqRing = unsafe.Pointer(&rings[0])
	r.cqRing = r.sqRing
	p.SQOff.UserAddr = uint64(uintptr(r.sqesMem))
	p.CQOff.UserAddr = uint64(uintptr(r.sqRing))
}

func (r *Ring) unmap() {
	unmapAll(r.regions)
	r.regions = nil
}

func unmapAll(regions [][]byte) {
	for _, b := range regions {
		unix.Munmap(b)
	}
}

func roundPow2(n uint32) uint32 {
	p := uint32(1)
	for p < n {
		p <<= 1
	}
	return p
}

func sqeShift(flags uint32) uint32 {
	if flags&abi.IORING_SETUP_SQE128 != 0 {
		return 1
	}
	return 0
}

func cqeShift(flags uint32) uint32 {
	if flags&abi.IORING_SETUP_CQE32 != 0 {
		return 1
	}
	return 0
}
