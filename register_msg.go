package uring

import (
	"fmt"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var _ = registerHelpers(abi.IORING_REGISTER_SEND_MSG_RING, "RegisterSyncMsg")

// RegisterSyncMsg posts a completion with userData, res and flags into this ring without an SQE
// and without a ring of the caller's: a MSG_RING message sent through io_uring_register(2)
// (IORING_REGISTER_SEND_MSG_RING, 6.13; io_uring_register_sync_msg). It wakes a goroutine
// waiting for completions on the ring. It uses nothing of the Ring but its fd, so another
// goroutine may call it while the Ring's owner waits, though not concurrently with Close.
//
// flags other than 0 are passed as the completion's flags (IORING_MSG_RING_FLAGS_PASS). A ring
// made WithRegisteredFdOnly has no fd to address and refuses; so does one not yet enabled
// (EBADFD). userData must have the top bit clear: the Ring reserves those values.
func (r *Ring) RegisterSyncMsg(userData uint64, res int32, flags CQEFlags) error {
	const method = "RegisterSyncMsg"
	fd := r.fd
	switch {
	case r.closed:
		return ErrClosed
	case fd < 0:
		return invalid(method, "the ring has no file descriptor (WithRegisteredFdOnly)")
	case isToken(userData):
		return invalid(method, "user data %#x has the top bit set, which the Ring reserves", userData)
	}
	sqe := abi.SQE{Opcode: abi.IORING_OP_MSG_RING, Fd: int32(fd), Addr: abi.IORING_MSG_DATA, Len: uint32(res), Off: userData}
	if flags != 0 {
		sqe.OpFlags = abi.IORING_MSG_RING_FLAGS_PASS
		sqe.FileIndex = uint32(flags)
	}
	_, err := abi.Register(-1, abi.IORING_REGISTER_SEND_MSG_RING, unsafe.Pointer(&sqe), 1)
	if err != nil {
		return fmt.Errorf("uring: IORING_REGISTER_SEND_MSG_RING: %w", err)
	}
	return nil
}
