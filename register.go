package uring

import (
	"fmt"
	"runtime"
	"strconv"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

// resources holds the Go memory that registrations hand the kernel (registered buffers, buffer
// rings, wait regions), so that it outlives every operation that may use it.
type resources struct {
	keep []any

	// bufs mirrors the kernel's registered buffer table: entry i is the memory of fixed buffer
	// i, nil for an empty slot. It keeps Go memory alive and lets the fixed-buffer Prep methods
	// check that a buffer lies inside its registration. It is nil when there is no table.
	bufs [][]byte
	// retired holds buffers unregistered or replaced while operations were in flight; see
	// sweep.
	retired [][]byte
	// mappings is the memory of AllocBuffers (this ring's or cloned from another), shared
	// between the rings that registered it and unmapped by the last one to close.
	mappings []*bufMapping
	// wait is the ring's wait region (RegisterWaitRegion), unmapped at Close.
	wait *WaitRegion

	closers  []func()                    // run by release: unmapping buffer rings (bufring.go)
	provided map[unsafe.Pointer]struct{} // Go memory handed to PROVIDE_BUFFERS (prep_buffers.go)
}

// keepAlive holds v until the ring is closed.
func (rs *resources) keepAlive(v any) { rs.keep = append(rs.keep, v) }

// retire drops the ring's references to buffers the kernel no longer has registered. An
// operation in flight may still use one (the kernel keeps a reference to the buffer until
// the operation ends), so while any operation holds Go memory (live > 0) they wait in retired
// until sweep finds none in flight.
func (rs *resources) retire(bufs [][]byte, live int) {
	for _, b := range bufs {
		if b != nil && live > 0 {
			rs.retired = append(rs.retired, b)
		}
	}
	rs.sweep(live)
}

// sweep forgets the retired buffers once no operation is in flight. It runs at every buffer
// registration call; Close releases whatever is left.
func (rs *resources) sweep(live int) {
	if live == 0 {
		rs.retired = nil
	}
}

// onRelease has release call f, for memory outside the Go heap.
func (rs *resources) onRelease(f func()) { rs.closers = append(rs.closers, f) }

// release drops what the ring held; called by Close once nothing is in flight.
func (rs *resources) release() {
	for _, f := range rs.closers {
		f()
	}
	rs.keep, rs.closers, rs.provided = nil, nil, nil
	rs.bufs, rs.retired = nil, nil
	for _, m := range rs.mappings {
		m.put()
	}
	rs.mappings = nil
	if rs.wait != nil {
		unix.Munmap(rs.wait.mem)
		rs.wait = nil
	}
}

// heapNew returns a new zero T on the heap. Memory that the kernel reaches through an address
// stored as an integer (a field of an argument structure) is invisible to the compiler, which
// could leave it on the goroutine's stack, and a stack moves when it grows. A value returned
// from a function that is not inlined always lives on the heap. Keep it reachable with
// runtime.KeepAlive until the system call returns.
//
//go:noinline
func heapNew[T any]() *T { return new(T) }

// heapSlice is heapNew for n elements.
//
//go:noinline
func heapSlice[T any](n int) []T { return make([]T, n) }

// ptrArg returns the address of p as the kernel's __u64 user pointer.
func ptrArg[T any](p *T) uint64 { return uint64(uintptr(unsafe.Pointer(p))) }

// register calls io_uring_register(2) on this ring, through the registered ring index where
// there is one. The errno comes back wrapped with the opcode's name.
func (r *Ring) register(name string, opcode uint32, arg unsafe.Pointer, nrArgs uint32) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	n, err := abi.Register(r.enterFd, opcode|r.registerFlag, arg, nrArgs)
	if err != nil {
		return n, fmt.Errorf("uring: %s: %w", name, err)
	}
	return n, nil
}

// RegisterRingFd registers the ring's fd in the calling thread's table of registered rings, so
// that io_uring_enter(2) skips the file-table look-up (IORING_REGISTER_RING_FDS, 5.18).
//
// The table belongs to the OS thread: a goroutine that moves to another thread would enter
// some other ring, or none. Call it only from a goroutine that has called
// runtime.LockOSThread and keeps the ring to itself.
func (r *Ring) RegisterRingFd() error {
	if r.closed {
		return ErrClosed
	}
	if r.ringFdRegistered {
		return nil
	}
	upd := abi.RsrcUpdate{Offset: ^uint32(0), Data: uint64(r.fd)}
	if _, err := r.register("IORING_REGISTER_RING_FDS", abi.IORING_REGISTER_RING_FDS, unsafe.Pointer(&upd), 1); err != nil {
		return err
	}
	r.enterFd = int(upd.Offset)
	r.enterFlags |= abi.IORING_ENTER_REGISTERED_RING
	r.registerFlag |= abi.IORING_REGISTER_USE_REGISTERED_RING
	r.ringFdRegistered = true
	return nil
}

// UnregisterRingFd undoes RegisterRingFd (IORING_UNREGISTER_RING_FDS, 5.18). A ring made
// WithRegisteredFdOnly has no fd to fall back to and refuses.
func (r *Ring) UnregisterRingFd() error {
	if r.closed {
		return ErrClosed
	}
	if !r.ringFdRegistered {
		return nil
	}
	if r.fd < 0 {
		return invalid("UnregisterRingFd", "the ring has no file descriptor (WithRegisteredFdOnly)")
	}
	if err := r.unregisterOwnRingFd(); err != nil {
		return err
	}
	r.enterFd = r.fd
	r.enterFlags &^= abi.IORING_ENTER_REGISTERED_RING
	r.registerFlag &^= abi.IORING_REGISTER_USE_REGISTERED_RING
	r.ringFdRegistered = false
	return nil
}

func (r *Ring) unregisterOwnRingFd() error {
	upd := abi.RsrcUpdate{Offset: uint32(r.enterFd)}
	_, err := abi.Register(r.enterFd, abi.IORING_UNREGISTER_RING_FDS|abi.IORING_REGISTER_USE_REGISTERED_RING, unsafe.Pointer(&upd), 1)
	if err != nil {
		return fmt.Errorf("uring: IORING_UNREGISTER_RING_FDS: %w", err)
	}
	return nil
}

// EnableRings starts a ring created WithDisabled, after its restrictions are registered
// (IORING_REGISTER_ENABLE_RINGS, 5.10; io_uring_enable_rings).
func (r *Ring) EnableRings() error {
	_, err := r.register("IORING_REGISTER_ENABLE_RINGS", abi.IORING_REGISTER_ENABLE_RINGS, nil, 0)
	return err
}

// RegisterOp is an io_uring_register(2) opcode (enum io_uring_register_op).
type RegisterOp uint32

// RegisterOpInfo describes one register opcode: its kernel name and the first kernel that has
// it. RegisterOp.Helpers names the Ring methods that use it.
type RegisterOpInfo struct {
	Op        RegisterOp
	Name      string // IORING_REGISTER_ / IORING_UNREGISTER_ name without IORING_, like "REGISTER_BUFFERS"
	MinKernel string
}

// RegisterOpList lists every register opcode this library knows, indexed by its code.
var RegisterOpList = []RegisterOpInfo{
	{abi.IORING_REGISTER_BUFFERS, "REGISTER_BUFFERS", "5.1"},
	{abi.IORING_UNREGISTER_BUFFERS, "UNREGISTER_BUFFERS", "5.1"},
	{abi.IORING_REGISTER_FILES, "REGISTER_FILES", "5.1"},
	{abi.IORING_UNREGISTER_FILES, "UNREGISTER_FILES", "5.1"},
	{abi.IORING_REGISTER_EVENTFD, "REGISTER_EVENTFD", "5.2"},
	{abi.IORING_UNREGISTER_EVENTFD, "UNREGISTER_EVENTFD", "5.2"},
	{abi.IORING_REGISTER_FILES_UPDATE, "REGISTER_FILES_UPDATE", "5.5"},
	{abi.IORING_REGISTER_EVENTFD_ASYNC, "REGISTER_EVENTFD_ASYNC", "5.6"},
	{abi.IORING_REGISTER_PROBE, "REGISTER_PROBE", "5.6"},
	{abi.IORING_REGISTER_PERSONALITY, "REGISTER_PERSONALITY", "5.6"},
	{abi.IORING_UNREGISTER_PERSONALITY, "UNREGISTER_PERSONALITY", "5.6"},
	{abi.IORING_REGISTER_RESTRICTIONS, "REGISTER_RESTRICTIONS", "5.10"},
	{abi.IORING_REGISTER_ENABLE_RINGS, "REGISTER_ENABLE_RINGS", "5.10"},
	{abi.IORING_REGISTER_FILES2, "REGISTER_FILES2", "5.13"},
	{abi.IORING_REGISTER_FILES_UPDATE2, "REGISTER_FILES_UPDATE2", "5.13"},
	{abi.IORING_REGISTER_BUFFERS2, "REGISTER_BUFFERS2", "5.13"},
	{abi.IORING_REGISTER_BUFFERS_UPDATE, "REGISTER_BUFFERS_UPDATE", "5.13"},
	{abi.IORING_REGISTER_IOWQ_AFF, "REGISTER_IOWQ_AFF", "5.14"},
	{abi.IORING_UNREGISTER_IOWQ_AFF, "UNREGISTER_IOWQ_AFF", "5.14"},
	{abi.IORING_REGISTER_IOWQ_MAX_WORKERS, "REGISTER_IOWQ_MAX_WORKERS", "5.15"},
	{abi.IORING_REGISTER_RING_FDS, "REGISTER_RING_FDS", "5.18"},
	{abi.IORING_UNREGISTER_RING_FDS, "UNREGISTER_RING_FDS", "5.18"},
	{abi.IORING_REGISTER_PBUF_RING, "REGISTER_PBUF_RING", "5.19"},
	{abi.IORING_UNREGISTER_PBUF_RING, "UNREGISTER_PBUF_RING", "5.19"},
	{abi.IORING_REGISTER_SYNC_CANCEL, "REGISTER_SYNC_CANCEL", "6.0"},
	{abi.IORING_REGISTER_FILE_ALLOC_RANGE, "REGISTER_FILE_ALLOC_RANGE", "6.0"},
	{abi.IORING_REGISTER_PBUF_STATUS, "REGISTER_PBUF_STATUS", "6.8"},
	{abi.IORING_REGISTER_NAPI, "REGISTER_NAPI", "6.9"},
	{abi.IORING_UNREGISTER_NAPI, "UNREGISTER_NAPI", "6.9"},
	{abi.IORING_REGISTER_CLOCK, "REGISTER_CLOCK", "6.12"},
	{abi.IORING_REGISTER_CLONE_BUFFERS, "REGISTER_CLONE_BUFFERS", "6.12"},
	{abi.IORING_REGISTER_SEND_MSG_RING, "REGISTER_SEND_MSG_RING", "6.13"},
	{abi.IORING_REGISTER_ZCRX_IFQ, "REGISTER_ZCRX_IFQ", "6.15"},
	{abi.IORING_REGISTER_RESIZE_RINGS, "REGISTER_RESIZE_RINGS", "6.13"},
	{abi.IORING_REGISTER_MEM_REGION, "REGISTER_MEM_REGION", "6.13"},
	{abi.IORING_REGISTER_QUERY, "REGISTER_QUERY", "6.18"},
	{abi.IORING_REGISTER_ZCRX_CTRL, "REGISTER_ZCRX_CTRL", "6.19"},
	{abi.IORING_REGISTER_BPF_FILTER, "REGISTER_BPF_FILTER", "7.0"},
}

func (op RegisterOp) String() string {
	if int(op) < len(RegisterOpList) {
		return RegisterOpList[op].Name
	}
	return "REGISTER_" + strconv.Itoa(int(op))
}

// Helpers returns the names of the Ring methods (or functions) that use the register opcode.
func (op RegisterOp) Helpers() []string { return registerHelpersByOp[op] }

var registerHelpersByOp = map[RegisterOp][]string{}

// registerHelpers records the methods that use a register opcode, next to their definitions.
func registerHelpers(op RegisterOp, methods ...string) struct{} {
	registerHelpersByOp[op] = append(registerHelpersByOp[op], methods...)
	return struct{}{}
}

var (
	_ = registerHelpers(abi.IORING_REGISTER_RING_FDS, "RegisterRingFd")
	_ = registerHelpers(abi.IORING_UNREGISTER_RING_FDS, "UnregisterRingFd")
	_ = registerHelpers(abi.IORING_REGISTER_ENABLE_RINGS, "EnableRings")
	_ = registerHelpers(abi.IORING_REGISTER_EVENTFD, "RegisterEventfd")
	_ = registerHelpers(abi.IORING_REGISTER_EVENTFD_ASYNC, "RegisterEventfdAsync")
	_ = registerHelpers(abi.IORING_UNREGISTER_EVENTFD, "UnregisterEventfd")
	_ = registerHelpers(abi.IORING_REGISTER_SYNC_CANCEL, "Close")
)

// RegisterEventfd has the kernel signal the eventfd fd whenever it posts completions
// (IORING_REGISTER_EVENTFD, 5.2; io_uring_register_eventfd). The count read from the eventfd
// is not the number of completions: treat a read as "look at the CQ". A goroutine can wait on
// it with the netpoller through os.NewFile. SetEventfdEnabled turns it off and on.
func (r *Ring) RegisterEventfd(fd int) error {
	return r.registerEventfd("IORING_REGISTER_EVENTFD", abi.IORING_REGISTER_EVENTFD, fd)
}

// RegisterEventfdAsync is RegisterEventfd that signals only for completions posted by the
// kernel's worker threads (io-wq): not for those that complete inline during submission, nor
// for those finished by task work, like a poll-driven pipe or socket read or most O_DIRECT I/O
// (IORING_REGISTER_EVENTFD_ASYNC, 5.6; io_uring_register_eventfd_async).
func (r *Ring) RegisterEventfdAsync(fd int) error {
	return r.registerEventfd("IORING_REGISTER_EVENTFD_ASYNC", abi.IORING_REGISTER_EVENTFD_ASYNC, fd)
}

func (r *Ring) registerEventfd(name string, op uint32, fd int) error {
	if fd != int(int32(fd)) {
		return invalid("RegisterEventfd", "fd %d out of range", fd)
	}
	v := int32(fd)
	_, err := r.register(name, op, unsafe.Pointer(&v), 1)
	return err
}

// UnregisterEventfd stops the signals of a registered eventfd (IORING_UNREGISTER_EVENTFD, 5.2).
func (r *Ring) UnregisterEventfd() error {
	_, err := r.register("IORING_UNREGISTER_EVENTFD", abi.IORING_UNREGISTER_EVENTFD, nil, 0)
	return err
}

// rsrcTable names the register opcodes of one kind of resource table (buffers or files).
type rsrcTable struct {
	noun                              string // "buffers", "files"
	max                               int    // the kernel's limit on the table's size
	plain, tagged, update             uint32 // REGISTER_X, REGISTER_X2, REGISTER_X_UPDATE(2)
	plainName, taggedName, updateName string
}

var (
	bufferTable = rsrcTable{"buffers", maxFixedBuffers,
		abi.IORING_REGISTER_BUFFERS, abi.IORING_REGISTER_BUFFERS2, abi.IORING_REGISTER_BUFFERS_UPDATE,
		"IORING_REGISTER_BUFFERS", "IORING_REGISTER_BUFFERS2", "IORING_REGISTER_BUFFERS_UPDATE"}
	fileTable = rsrcTable{"files", maxFixedFiles,
		abi.IORING_REGISTER_FILES, abi.IORING_REGISTER_FILES2, abi.IORING_REGISTER_FILES_UPDATE2,
		"IORING_REGISTER_FILES", "IORING_REGISTER_FILES2", "IORING_REGISTER_FILES_UPDATE2"}
)

// check checks the arguments common to every table registration and update: n entries (a
// list, or empty slots), and as many tags as entries where tags are expected.
func (k rsrcTable) check(method string, n, tags int, tagged bool) error {
	if n <= 0 || n > k.max {
		return invalid(method, "%d %s (1 to %d)", n, k.noun, k.max)
	}
	if tagged && tags != n {
		return invalid(method, "%d tags for %d %s", tags, n, k.noun)
	}
	return nil
}

// registerTable registers a table of n entries: data is the kernel's array (iovecs or fds) on
// the heap, nil with sparse; tags nil for none. Without tags or sparse it uses the original
// opcode, as liburing does, so that kernels before 5.13 work.
func (r *Ring) registerTable(k rsrcTable, data unsafe.Pointer, n int, tags []uint64, sparse bool) error {
	var err error
	if tags == nil && !sparse {
		_, err = r.register(k.plainName, k.plain, data, uint32(n))
	} else {
		reg := abi.RsrcRegister{Nr: uint32(n), Data: uint64(uintptr(data)), Tags: sliceArg(tags)}
		if sparse {
			reg.Flags = abi.IORING_RSRC_REGISTER_SPARSE
		}
		_, err = r.register(k.taggedName, k.tagged, unsafe.Pointer(&reg), uint32(unsafe.Sizeof(reg)))
	}
	runtime.KeepAlive(data)
	runtime.KeepAlive(tags)
	return err
}

// updateTable replaces n entries from offset with IORING_REGISTER_*_UPDATE(2) and returns how
// many the kernel replaced.
func (r *Ring) updateTable(k rsrcTable, offset int, data unsafe.Pointer, n int, tags []uint64) (int, error) {
	up := abi.RsrcUpdate2{Offset: uint32(offset), Data: uint64(uintptr(data)), Tags: sliceArg(tags), Nr: uint32(n)}
	done, err := r.register(k.updateName, k.update, unsafe.Pointer(&up), uint32(unsafe.Sizeof(up)))
	runtime.KeepAlive(data)
	runtime.KeepAlive(tags)
	if err != nil {
		return 0, err
	}
	return min(done, n), nil
}

// tagArray copies tags to the heap, refusing values with the top bit set: a completion with
// such user data would be taken for one of the Ring's tokens.
func tagArray(method string, tags []uint64) ([]uint64, error) {
	if tags == nil {
		return nil, nil
	}
	out := heapSlice[uint64](len(tags))
	for i, t := range tags {
		if isToken(t) {
			return nil, invalid(method, "tag %#x has the top bit set, which the Ring reserves", t)
		}
		out[i] = t
	}
	return out, nil
}

// sliceArg is the kernel's __u64 user pointer to the first element of s, 0 for an empty s.
func sliceArg[T any](s []T) uint64 {
	if len(s) == 0 {
		return 0
	}
	return ptrArg(&s[0])
}
