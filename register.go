package uring

import (
	"fmt"
	"strconv"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

// resources holds the Go memory that registrations hand the kernel for the life of the ring
// (registered buffers, buffer rings), so that it outlives every operation that may use it.
type resources struct {
	keep []any
}

// keepAlive holds v until the ring is closed.
//
//lint:ignore U1000 the registrations of Go memory use it
func (rs *resources) keepAlive(v any) { rs.keep = append(rs.keep, v) }

// release drops what the ring held; called by Close once nothing is in flight.
func (rs *resources) release() { rs.keep = nil }

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
