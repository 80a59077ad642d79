package uring

import (
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = prepHelpers(OpSplice, "PrepSplice")
	_ = prepHelpers(OpTee, "PrepTee")
	_ = prepHelpers(OpPipe, "PrepPipe", "PrepPipeDirect")
)

// Pipes: creating them, and moving data through them without copying it to user space.

// SpliceFlags modify PrepSplice and PrepTee (sqe->splice_flags): the SPLICE_F_* flags of
// splice(2), and SpliceFdInFixed.
type SpliceFlags uint32

const (
	SpliceMove     SpliceFlags = unix.SPLICE_F_MOVE     // move pages rather than copy, if possible (a hint)
	SpliceNonblock SpliceFlags = unix.SPLICE_F_NONBLOCK // do not block on the pipes
	SpliceMore     SpliceFlags = unix.SPLICE_F_MORE     // more data follows (a hint for sockets)
	// SpliceFdInFixed: fdIn is an index into the registered file table, not an fd; SQEFixedFile
	// does the same for fdOut (SPLICE_F_FD_IN_FIXED, 5.7).
	SpliceFdInFixed SpliceFlags = abi.SPLICE_F_FD_IN_FIXED
)

// PrepSplice prepares splice(2) of up to n bytes from fdIn at offIn to fdOut at offOut. One of
// the two must be a pipe, and a pipe's offset must be CurrentPos (-1, splice(2)'s NULL); for
// another file CurrentPos uses and advances its file position (IORING_OP_SPLICE, 5.7;
// io_uring_prep_splice). The result is the number of bytes moved, 0 at end of input.
func (r *Ring) PrepSplice(fdIn int, offIn int64, fdOut int, offOut int64, n uint32, flags SpliceFlags) (SQE, error) {
	in, err := fdArg("PrepSplice", fdIn)
	if err != nil {
		return SQE{}, err
	}
	e, s, err := r.prep("PrepSplice", abi.IORING_OP_SPLICE, fdOut, uint64(offIn), n, uint64(offOut))
	if err == nil {
		e.FileIndex = in // splice_fd_in
		e.OpFlags = uint32(flags)
	}
	return s, err
}

// PrepTee prepares tee(2): duplicate up to n bytes from the pipe fdIn into the pipe fdOut
// without consuming them (IORING_OP_TEE, 5.8; io_uring_prep_tee). The result is the number of
// bytes duplicated.
func (r *Ring) PrepTee(fdIn, fdOut int, n uint32, flags SpliceFlags) (SQE, error) {
	in, err := fdArg("PrepTee", fdIn)
	if err != nil {
		return SQE{}, err
	}
	e, s, err := r.prep("PrepTee", abi.IORING_OP_TEE, fdOut, 0, n, 0)
	if err == nil {
		e.FileIndex = in
		e.OpFlags = uint32(flags)
	}
	return s, err
}

// PrepPipe prepares pipe2(2) with flags (unix.O_CLOEXEC, O_NONBLOCK, O_DIRECT): on success
// the kernel stores the read end in fds[0] and the write end in fds[1], and the result is 0
// (IORING_OP_PIPE, 6.16; io_uring_prep_pipe). The Ring holds fds until the completion; read
// it after. Pass unix.O_CLOEXEC, as Go's os.Pipe does, unless the fds are meant to survive
// an exec.
func (r *Ring) PrepPipe(fds *[2]int32, flags int) (SQE, error) {
	return r.prepPipe("PrepPipe", fds, flags, 0)
}

// PrepPipeDirect is PrepPipe into the registered file table: the read end in slot fileIndex
// and the write end in fileIndex+1, or both in free slots with FileIndexAlloc; fds receives
// the two slots (IORING_OP_PIPE with file_index, 6.16; io_uring_prep_pipe_direct). Files
// already in those slots are replaced.
func (r *Ring) PrepPipeDirect(fds *[2]int32, flags int, fileIndex uint32) (SQE, error) {
	idx, err := directIndex("PrepPipeDirect", fileIndex, true)
	if err != nil {
		return SQE{}, err
	}
	return r.prepPipe("PrepPipeDirect", fds, flags, idx)
}

func (r *Ring) prepPipe(method string, fds *[2]int32, flags int, idx uint32) (SQE, error) {
	if fds == nil {
		return SQE{}, invalid(method, "nil fds")
	}
	p := unsafe.Pointer(fds)
	e, s, err := r.prep(method, abi.IORING_OP_PIPE, 0, uint64(uintptr(p)), 0, 0)
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = uint32(flags)
	e.FileIndex = idx
	r.hold(e, p, nil)
	return s, nil
}
