package uring

import (
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var (
	_ = prepHelpers(OpReadFixed, "PrepReadFixed")
	_ = prepHelpers(OpWriteFixed, "PrepWriteFixed")
	_ = prepHelpers(OpReadvFixed, "PrepReadvFixed")
	_ = prepHelpers(OpWritevFixed, "PrepWritevFixed")
	_ = prepHelpers(OpFilesUpdate, "PrepFilesUpdate")
	_ = prepHelpers(OpFixedFdInstall, "PrepFixedFdInstall")
)

// Operations on registered (fixed) buffers and files.
//
// A fixed-buffer operation names a buffer registered with RegisterBuffers (or AllocBuffers,
// UpdateBuffers, CloneBuffers) by its index, and passes the part of it to use: a sub-slice of
// that registered buffer. The Ring checks that the slice lies inside the registration before it
// takes an entry, and holds the slice until the completion, like any other operation.

// PrepReadFixed prepares a read of up to len(buf) bytes from fd at offset into buf, which must
// lie inside registered buffer index (IORING_OP_READ_FIXED, 5.1; io_uring_prep_read_fixed,
// pread(2)). The kernel skips pinning the memory per operation, which is the point.
func (r *Ring) PrepReadFixed(fd int, buf []byte, offset int64, index int) (SQE, error) {
	return r.prepFixed("PrepReadFixed", abi.IORING_OP_READ_FIXED, fd, buf, offset, index)
}

// PrepWriteFixed prepares a write of buf, which must lie inside registered buffer index, to fd
// at offset (IORING_OP_WRITE_FIXED, 5.1; io_uring_prep_write_fixed, pwrite(2)).
func (r *Ring) PrepWriteFixed(fd int, buf []byte, offset int64, index int) (SQE, error) {
	return r.prepFixed("PrepWriteFixed", abi.IORING_OP_WRITE_FIXED, fd, buf, offset, index)
}

func (r *Ring) prepFixed(method string, op uint8, fd int, buf []byte, offset int64, index int) (SQE, error) {
	if err := r.checkFixed(method, index, buf); err != nil {
		return SQE{}, err
	}
	p, n, _ := bufPtr(method, buf)
	e, s, err := r.prep(method, op, fd, uint64(uintptr(p)), n, uint64(offset))
	if err != nil {
		return SQE{}, err
	}
	e.BufIndex = uint16(index)
	r.hold(e, p, nil)
	return s, nil
}

// PrepReadvFixed prepares a vectored read from fd at offset into bufs, each of which must lie
// inside registered buffer index, with preadv2(2)'s flags (IORING_OP_READV_FIXED, 6.15;
// io_uring_prep_readv_fixed).
func (r *Ring) PrepReadvFixed(fd int, bufs [][]byte, offset int64, flags RWFlags, index int) (SQE, error) {
	return r.prepVecFixed("PrepReadvFixed", abi.IORING_OP_READV_FIXED, fd, bufs, offset, flags, index)
}

// PrepWritevFixed prepares a vectored write of bufs, each of which must lie inside registered
// buffer index, to fd at offset, with pwritev2(2)'s flags (IORING_OP_WRITEV_FIXED, 6.15;
// io_uring_prep_writev_fixed).
func (r *Ring) PrepWritevFixed(fd int, bufs [][]byte, offset int64, flags RWFlags, index int) (SQE, error) {
	return r.prepVecFixed("PrepWritevFixed", abi.IORING_OP_WRITEV_FIXED, fd, bufs, offset, flags, index)
}

func (r *Ring) prepVecFixed(method string, op uint8, fd int, bufs [][]byte, offset int64, flags RWFlags, index int) (SQE, error) {
	if len(bufs) == 0 {
		return SQE{}, invalid(method, "no buffers")
	}
	for _, b := range bufs {
		if err := r.checkFixed(method, index, b); err != nil {
			return SQE{}, err
		}
	}
	s, err := r.prepVec(method, op, fd, bufs, offset, flags)
	if err == nil {
		s.e.BufIndex = uint16(index)
	}
	return s, err
}

// PrepFilesUpdate prepares an update of the registered file table from an operation, like
// UpdateFiles: slots offset..offset+len(fds)-1 take fds, where -1 empties a slot and
// FileSlotSkip leaves it (IORING_OP_FILES_UPDATE, 5.6; io_uring_prep_files_update). With offset
// -1 or 1<<32-1 (IORING_FILE_INDEX_ALLOC, 5.19) the kernel installs each fd in a free slot of its choice
// and writes that slot's index back into fds. The result is the number of slots updated. The
// Ring holds fds until the completion: read the chosen slots after it.
func (r *Ring) PrepFilesUpdate(fds []int32, offset int) (SQE, error) {
	const method = "PrepFilesUpdate"
	if len(fds) == 0 || len(fds) > maxFixedFiles {
		return SQE{}, invalid(method, "%d files (1 to %d)", len(fds), maxFixedFiles)
	}
	if offset == int(abi.IORING_FILE_INDEX_ALLOC) {
		offset = -1 // FileIndexAlloc as an int: the same request
	}
	if offset < -1 || offset > maxFixedFiles {
		return SQE{}, invalid(method, "offset %d", offset)
	}
	p := unsafe.Pointer(unsafe.SliceData(fds))
	e, s, err := r.prep(method, abi.IORING_OP_FILES_UPDATE, -1, uint64(uintptr(p)), uint32(len(fds)), uint64(int64(offset)))
	if err != nil {
		return SQE{}, err
	}
	r.hold(e, p, nil)
	return s, nil
}

// FixedFdInstallFlags modify PrepFixedFdInstall (sqe->install_fd_flags).
type FixedFdInstallFlags uint32

// FixedFdNoCloexec leaves O_CLOEXEC off the installed fd, which has it by default
// (IORING_FIXED_FD_NO_CLOEXEC, 6.8).
const FixedFdNoCloexec FixedFdInstallFlags = abi.IORING_FIXED_FD_NO_CLOEXEC

// PrepFixedFdInstall prepares the installation of registered file index as a regular fd of
// the process (IORING_OP_FIXED_FD_INSTALL, 6.8; io_uring_prep_fixed_fd_install). The result is
// the new fd, close-on-exec unless FixedFdNoCloexec is given. The entry carries SQEFixedFile,
// which the kernel requires: keep it when calling SQE.SetFlags.
func (r *Ring) PrepFixedFdInstall(index int, flags FixedFdInstallFlags) (SQE, error) {
	const method = "PrepFixedFdInstall"
	if index < 0 || index >= maxFixedFiles {
		return SQE{}, invalid(method, "file index %d", index)
	}
	if flags&^FixedFdNoCloexec != 0 {
		return SQE{}, invalid(method, "unknown flags %#x", uint32(flags))
	}
	e, s, err := r.prep(method, abi.IORING_OP_FIXED_FD_INSTALL, index, 0, 0, 0)
	if err == nil {
		e.Flags = abi.IOSQE_FIXED_FILE
		e.OpFlags = uint32(flags)
	}
	return s, err
}
