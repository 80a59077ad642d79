package uring

import (
	"fmt"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

// resources holds the Go memory that registrations hand the kernel for the life of the ring
// (registered buffers, buffer rings), so that it outlives every operation that may use it.
type resources struct {
	keep []any
}

// keepAlive holds v until the ring is closed.
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
