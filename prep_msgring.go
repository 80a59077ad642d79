package uring

import (
	"fmt"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var _ = prepHelpers(OpMsgRing, "PrepMsgRing", "PrepMsgRingCQEFlags", "PrepMsgRingFd", "PrepMsgRingFdAlloc")

// Messages between rings: a completion posted on another ring, or a registered file handed
// over to it.
//
// The target ring sees a completion with the user data and result the sender chose, passed
// through unchanged by a target Ring. The top bit of that user data is reserved: a target Ring
// marks the tokens of its own operations with it, and a message carrying one could be taken
// for that operation's completion and release its memory early. These helpers refuse it.

// MsgRingFlags modify the MSG_RING operations (sqe->msg_ring_flags).
type MsgRingFlags uint32

// MsgRingCQESkip: post no completion on the target ring, only hand it the file; for
// PrepMsgRingFd and PrepMsgRingFdAlloc only: a data message with it fails with EINVAL
// (IORING_MSG_RING_CQE_SKIP, 6.2).
const MsgRingCQESkip MsgRingFlags = abi.IORING_MSG_RING_CQE_SKIP

// PrepMsgRing prepares a message to the ring whose fd is fd: a completion there with result
// res and user data userData (IORING_OP_MSG_RING with IORING_MSG_DATA, 5.18;
// io_uring_prep_msg_ring). This operation completes with 0 on the sender, or EBADFD if fd is
// not a ring, or EOVERFLOW if the target's CQ could not take the message. The target may be
// the sending ring itself. With SQEFixedFile, fd is an index into the registered file table.
func (r *Ring) PrepMsgRing(fd int, res int32, userData uint64, flags MsgRingFlags) (SQE, error) {
	if err := msgUserData("PrepMsgRing", userData); err != nil {
		return SQE{}, err
	}
	e, s, err := r.prep("PrepMsgRing", abi.IORING_OP_MSG_RING, fd, abi.IORING_MSG_DATA, uint32(res), userData)
	if err == nil {
		e.OpFlags = uint32(flags)
	}
	return s, err
}

// PrepMsgRingCQEFlags is PrepMsgRing whose completion on the target carries cqeFlags in its
// flags (IORING_MSG_RING_FLAGS_PASS, 6.3; io_uring_prep_msg_ring_cqe_flags). The kernel may set
// more bits; a target Ring reads CQEFMore as the flag of a multishot operation, so leave it
// clear unless the target expects it.
func (r *Ring) PrepMsgRingCQEFlags(fd int, res int32, userData uint64, flags MsgRingFlags, cqeFlags CQEFlags) (SQE, error) {
	if err := msgUserData("PrepMsgRingCQEFlags", userData); err != nil {
		return SQE{}, err
	}
	e, s, err := r.prep("PrepMsgRingCQEFlags", abi.IORING_OP_MSG_RING, fd, abi.IORING_MSG_DATA, uint32(res), userData)
	if err == nil {
		e.OpFlags = uint32(flags) | abi.IORING_MSG_RING_FLAGS_PASS
		e.FileIndex = uint32(cqeFlags)
	}
	return s, err
}

// PrepMsgRingFd prepares the hand-over of slot sourceIndex of this ring's registered file
// table to slot targetIndex of the registered file table of the ring whose fd is fd; the
// target sees a completion with result 0 and user data userData, unless flags has
// MsgRingCQESkip (IORING_OP_MSG_RING with IORING_MSG_SEND_FD, 6.0; io_uring_prep_msg_ring_fd).
// This operation completes with 0; EINVAL if the target is this ring. The file stays in this
// ring's table too.
func (r *Ring) PrepMsgRingFd(fd int, sourceIndex, targetIndex uint32, userData uint64, flags MsgRingFlags) (SQE, error) {
	return r.prepMsgRingFd("PrepMsgRingFd", fd, sourceIndex, targetIndex, false, userData, flags)
}

// PrepMsgRingFdAlloc is PrepMsgRingFd into a free slot of the target's table, which both
// completions give as their result (IORING_FILE_INDEX_ALLOC, 6.0;
// io_uring_prep_msg_ring_fd_alloc).
func (r *Ring) PrepMsgRingFdAlloc(fd int, sourceIndex uint32, userData uint64, flags MsgRingFlags) (SQE, error) {
	return r.prepMsgRingFd("PrepMsgRingFdAlloc", fd, sourceIndex, FileIndexAlloc, true, userData, flags)
}

func (r *Ring) prepMsgRingFd(method string, fd int, src, dst uint32, alloc bool, userData uint64, flags MsgRingFlags) (SQE, error) {
	if err := msgUserData(method, userData); err != nil {
		return SQE{}, err
	}
	idx, err := directIndex(method, dst, alloc)
	if err != nil {
		return SQE{}, err
	}
	e, s, err := r.prep(method, abi.IORING_OP_MSG_RING, fd, abi.IORING_MSG_SEND_FD, 0, userData)
	if err == nil {
		e.Addr3 = uint64(src)
		e.FileIndex = idx
		e.OpFlags = uint32(flags)
	}
	return s, err
}

var _ = registerHelpers(abi.IORING_REGISTER_SEND_MSG_RING, "SendMsgRing")

// SendMsgRing posts a completion with result res and user data userData, and flags cqeFlags,
// on the ring whose fd is targetFd, without a ring of its own: the message of PrepMsgRing (or
// PrepMsgRingCQEFlags, when cqeFlags is not 0) sent synchronously through io_uring_register(2)
// with no ring (IORING_REGISTER_SEND_MSG_RING, 6.13; io_uring_register_sync_msg). Only data
// messages go this way, not files. The error is the errno: EBADFD if targetFd is not a ring,
// EOVERFLOW if its CQ could not take the message; before Linux 6.13, EBADF or EINVAL.
//
// It is a function, not a Ring method; RegisterOp.Helpers lists it all the same.
func SendMsgRing(targetFd int, res int32, userData uint64, cqeFlags CQEFlags) error {
	if err := msgUserData("SendMsgRing", userData); err != nil {
		return err
	}
	if targetFd != int(int32(targetFd)) {
		return invalid("SendMsgRing", "fd %d out of range", targetFd)
	}
	sqe := abi.SQE{Opcode: abi.IORING_OP_MSG_RING, Fd: int32(targetFd), Addr: abi.IORING_MSG_DATA, Len: uint32(res), Off: userData}
	if cqeFlags != 0 {
		sqe.OpFlags = abi.IORING_MSG_RING_FLAGS_PASS
		sqe.FileIndex = uint32(cqeFlags)
	}
	if _, err := abi.Register(-1, abi.IORING_REGISTER_SEND_MSG_RING, unsafe.Pointer(&sqe), 1); err != nil {
		return fmt.Errorf("uring: IORING_REGISTER_SEND_MSG_RING: %w", err)
	}
	return nil
}

// msgUserData refuses user data for another ring that has the top bit set (see above).
func msgUserData(method string, userData uint64) error {
	if isToken(userData) {
		return invalid(method, "user data %#x has the top bit set, which is reserved", userData)
	}
	return nil
}
