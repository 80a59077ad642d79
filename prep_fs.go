package uring

import (
	"os"
	"strings"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = prepHelpers(OpOpenat, "PrepOpenat", "PrepOpenatDirect")
	_ = prepHelpers(OpOpenat2, "PrepOpenat2", "PrepOpenat2Direct")
	_ = prepHelpers(OpClose, "PrepClose", "PrepCloseDirect")
	_ = prepHelpers(OpStatx, "PrepStatx")
	_ = prepHelpers(OpRenameat, "PrepRenameat", "PrepRename")
	_ = prepHelpers(OpUnlinkat, "PrepUnlinkat", "PrepUnlink")
	_ = prepHelpers(OpMkdirat, "PrepMkdirat", "PrepMkdir")
	_ = prepHelpers(OpSymlinkat, "PrepSymlinkat", "PrepSymlink")
	_ = prepHelpers(OpLinkat, "PrepLinkat", "PrepLink")
	_ = prepHelpers(OpFadvise, "PrepFadvise", "PrepFadvise64")
	_ = prepHelpers(OpMadvise, "PrepMadvise")
	_ = prepHelpers(OpFtruncate, "PrepFtruncate")
)

// File-system operations: opening and closing files, metadata, directory entries, and advice.
//
// Paths are Go strings. The Ring hands the kernel a NUL-terminated copy of each and holds it
// until the operation's completion; a path that contains a NUL byte is refused with an
// ArgError. Directory fds may be unix.AT_FDCWD. Flags are those of the system call each
// operation mirrors (O_*, AT_*, RENAME_*, POSIX_FADV_*, MADV_* of golang.org/x/sys/unix).

// FileIndexAlloc as the file index of a direct (registered-file) operation lets the kernel
// choose a free slot of the registered file table and return it as the result
// (IORING_FILE_INDEX_ALLOC, 5.19). The table must have been registered first, sparse or not,
// and the range the kernel picks from can be narrowed with IORING_REGISTER_FILE_ALLOC_RANGE.
const FileIndexAlloc uint32 = abi.IORING_FILE_INDEX_ALLOC

// directIndex encodes a registered file table index for sqe->file_index, where 0 means "not
// direct": slot i is i+1, and FileIndexAlloc stays itself, as liburing's
// __io_uring_set_target_fixed_file does.
func directIndex(method string, idx uint32, alloc bool) (uint32, error) {
	switch {
	case idx == FileIndexAlloc && alloc:
		return idx, nil
	case idx >= FileIndexAlloc-1:
		return 0, invalid(method, "file index %#x out of range", idx)
	}
	return idx + 1, nil
}

// fdArg checks an fd that goes into a 32-bit field other than sqe->fd.
func fdArg(method string, fd int) (uint32, error) {
	if fd != int(int32(fd)) {
		return 0, invalid(method, "fd %d out of range", fd)
	}
	return uint32(int32(fd)), nil
}

// cString returns a NUL-terminated copy of s for the kernel to read, or an ArgError if s
// contains a NUL byte (the kernel would read a different, shorter string).
func cString(method, what, s string) (unsafe.Pointer, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, invalid(method, "%s %q contains a NUL byte", what, s)
	}
	b := make([]byte, len(s)+1)
	copy(b, s)
	return unsafe.Pointer(&b[0]), nil
}

// prepPath prepares an operation whose addr is path, held together with p1 (may be nil).
func (r *Ring) prepPath(method string, op uint8, fd int, path string, n uint32, off uint64, p1 unsafe.Pointer) (*abi.SQE, SQE, error) {
	p, err := cString(method, "path", path)
	if err != nil {
		return nil, SQE{}, err
	}
	e, s, err := r.prep(method, op, fd, uint64(uintptr(p)), n, off)
	if err != nil {
		return nil, SQE{}, err
	}
	r.hold(e, p, p1)
	return e, s, nil
}

// prepPaths prepares an operation on two paths: path1 in addr, path2 in addr2 (sqe->off), and
// n (the second directory fd, for those that take one) in len.
func (r *Ring) prepPaths(method string, op uint8, fd int, path1 string, n uint32, path2 string) (*abi.SQE, SQE, error) {
	p2, err := cString(method, "path", path2)
	if err != nil {
		return nil, SQE{}, err
	}
	return r.prepPath(method, op, fd, path1, n, uint64(uintptr(p2)), p2)
}

// PrepOpenat prepares openat(2) of path relative to dirfd, with open flags (O_RDONLY,
// O_CREAT, ...) and the mode for a file it creates (IORING_OP_OPENAT, 5.6;
// io_uring_prep_openat). The result is the new fd. Pass unix.O_CLOEXEC, as Go's os package
// always does, unless the fd is meant to survive an exec.
func (r *Ring) PrepOpenat(dirfd int, path string, flags int, mode uint32) (SQE, error) {
	e, s, err := r.prepPath("PrepOpenat", abi.IORING_OP_OPENAT, dirfd, path, mode, 0, nil)
	if err == nil {
		e.OpFlags = uint32(flags)
	}
	return s, err
}

// PrepOpenatDirect is PrepOpenat that installs the file in slot fileIndex of the registered
// file table instead of the process's fd table, or in a free slot with FileIndexAlloc; the
// result is 0, or the slot chosen (IORING_OP_OPENAT with file_index, 5.15;
// io_uring_prep_openat_direct). Use the slot with SQEFixedFile. A file already in the slot is
// replaced. The kernel refuses O_CLOEXEC here (EINVAL): a direct descriptor is never inherited.
func (r *Ring) PrepOpenatDirect(dirfd int, path string, flags int, mode uint32, fileIndex uint32) (SQE, error) {
	idx, err := directIndex("PrepOpenatDirect", fileIndex, true)
	if err != nil {
		return SQE{}, err
	}
	e, s, err := r.prepPath("PrepOpenatDirect", abi.IORING_OP_OPENAT, dirfd, path, mode, 0, nil)
	if err == nil {
		e.OpFlags = uint32(flags)
		e.FileIndex = idx
	}
	return s, err
}

// PrepOpenat2 prepares openat2(2) of path relative to dirfd, as how says (flags, mode and the
// RESOLVE_* restrictions on the lookup) (IORING_OP_OPENAT2, 5.6; io_uring_prep_openat2). The
// result is the new fd. The Ring holds how until the completion.
func (r *Ring) PrepOpenat2(dirfd int, path string, how *unix.OpenHow) (SQE, error) {
	return r.prepOpenat2("PrepOpenat2", dirfd, path, how, 0)
}

// PrepOpenat2Direct is PrepOpenat2 into slot fileIndex of the registered file table, or a free
// slot with FileIndexAlloc; the result is 0 or the slot chosen (IORING_OP_OPENAT2 with
// file_index, 5.15; io_uring_prep_openat2_direct). O_CLOEXEC is refused, as for
// PrepOpenatDirect.
func (r *Ring) PrepOpenat2Direct(dirfd int, path string, how *unix.OpenHow, fileIndex uint32) (SQE, error) {
	idx, err := directIndex("PrepOpenat2Direct", fileIndex, true)
	if err != nil {
		return SQE{}, err
	}
	return r.prepOpenat2("PrepOpenat2Direct", dirfd, path, how, idx)
}

func (r *Ring) prepOpenat2(method string, dirfd int, path string, how *unix.OpenHow, idx uint32) (SQE, error) {
	if how == nil {
		return SQE{}, invalid(method, "nil open_how")
	}
	e, s, err := r.prepPath(method, abi.IORING_OP_OPENAT2, dirfd, path, unix.SizeofOpenHow,
		uint64(uintptr(unsafe.Pointer(how))), unsafe.Pointer(how))
	if err == nil {
		e.FileIndex = idx
	}
	return s, err
}

// PrepClose prepares close(2) of fd (IORING_OP_CLOSE, 5.6; io_uring_prep_close). Closing an
// fd that an *os.File owns would make the File close some later fd: close only fds the caller
// owns, such as those PrepOpenat returned.
func (r *Ring) PrepClose(fd int) (SQE, error) {
	_, s, err := r.prep("PrepClose", abi.IORING_OP_CLOSE, fd, 0, 0, 0)
	return s, err
}

// PrepCloseDirect prepares the removal of slot fileIndex from the registered file table
// (IORING_OP_CLOSE with file_index, 5.15; io_uring_prep_close_direct). An empty slot
// completes with EBADF.
func (r *Ring) PrepCloseDirect(fileIndex uint32) (SQE, error) {
	idx, err := directIndex("PrepCloseDirect", fileIndex, false)
	if err != nil {
		return SQE{}, err
	}
	e, s, err := r.prep("PrepCloseDirect", abi.IORING_OP_CLOSE, 0, 0, 0, 0)
	if err == nil {
		e.FileIndex = idx
	}
	return s, err
}

// PrepStatx prepares statx(2) of path relative to dirfd (or of dirfd itself, with an empty
// path and unix.AT_EMPTY_PATH in flags), asking for the fields in mask (unix.STATX_*), into st
// (IORING_OP_STATX, 5.6; io_uring_prep_statx). The result is 0. The Ring holds st until the
// completion; read it only after.
func (r *Ring) PrepStatx(dirfd int, path string, flags int, mask uint32, st *unix.Statx_t) (SQE, error) {
	if st == nil {
		return SQE{}, invalid("PrepStatx", "nil statx buffer")
	}
	e, s, err := r.prepPath("PrepStatx", abi.IORING_OP_STATX, dirfd, path, mask,
		uint64(uintptr(unsafe.Pointer(st))), unsafe.Pointer(st))
	if err == nil {
		e.OpFlags = uint32(flags)
	}
	return s, err
}

// PrepRenameat prepares renameat2(2) of oldPath (relative to oldDirfd) to newPath (relative to
// newDirfd), with flags unix.RENAME_NOREPLACE, RENAME_EXCHANGE or RENAME_WHITEOUT
// (IORING_OP_RENAMEAT, 5.11; io_uring_prep_renameat). The result is 0.
func (r *Ring) PrepRenameat(oldDirfd int, oldPath string, newDirfd int, newPath string, flags uint32) (SQE, error) {
	return r.prepTwoDirs("PrepRenameat", abi.IORING_OP_RENAMEAT, oldDirfd, oldPath, newDirfd, newPath, flags)
}

// PrepRename prepares rename(2) of oldPath to newPath (IORING_OP_RENAMEAT, 5.11;
// io_uring_prep_rename).
func (r *Ring) PrepRename(oldPath, newPath string) (SQE, error) {
	return r.prepTwoDirs("PrepRename", abi.IORING_OP_RENAMEAT, unix.AT_FDCWD, oldPath, unix.AT_FDCWD, newPath, 0)
}

// prepTwoDirs prepares renameat or linkat: the old path relative to the directory in sqe->fd,
// the new one relative to the directory in len, and the flags.
func (r *Ring) prepTwoDirs(method string, op uint8, oldDirfd int, oldPath string, newDirfd int, newPath string, flags uint32) (SQE, error) {
	nd, err := fdArg(method, newDirfd)
	if err != nil {
		return SQE{}, err
	}
	e, s, err := r.prepPaths(method, op, oldDirfd, oldPath, nd, newPath)
	if err == nil {
		e.OpFlags = flags
	}
	return s, err
}

// PrepUnlinkat prepares unlinkat(2) of path relative to dirfd; with unix.AT_REMOVEDIR in flags
// it removes an empty directory, as rmdir(2) (IORING_OP_UNLINKAT, 5.11; io_uring_prep_unlinkat).
// The result is 0.
func (r *Ring) PrepUnlinkat(dirfd int, path string, flags int) (SQE, error) {
	return r.prepUnlinkat("PrepUnlinkat", dirfd, path, flags)
}

// PrepUnlink prepares unlink(2) of path, or rmdir(2) with unix.AT_REMOVEDIR in flags
// (IORING_OP_UNLINKAT, 5.11; io_uring_prep_unlink).
func (r *Ring) PrepUnlink(path string, flags int) (SQE, error) {
	return r.prepUnlinkat("PrepUnlink", unix.AT_FDCWD, path, flags)
}

func (r *Ring) prepUnlinkat(method string, dirfd int, path string, flags int) (SQE, error) {
	e, s, err := r.prepPath(method, abi.IORING_OP_UNLINKAT, dirfd, path, 0, 0, nil)
	if err == nil {
		e.OpFlags = uint32(flags)
	}
	return s, err
}

// PrepMkdirat prepares mkdirat(2) of path relative to dirfd with mode (less the umask)
// (IORING_OP_MKDIRAT, 5.15; io_uring_prep_mkdirat). The result is 0.
func (r *Ring) PrepMkdirat(dirfd int, path string, mode uint32) (SQE, error) {
	_, s, err := r.prepPath("PrepMkdirat", abi.IORING_OP_MKDIRAT, dirfd, path, mode, 0, nil)
	return s, err
}

// PrepMkdir prepares mkdir(2) of path with mode (IORING_OP_MKDIRAT, 5.15; io_uring_prep_mkdir).
func (r *Ring) PrepMkdir(path string, mode uint32) (SQE, error) {
	_, s, err := r.prepPath("PrepMkdir", abi.IORING_OP_MKDIRAT, unix.AT_FDCWD, path, mode, 0, nil)
	return s, err
}

// PrepSymlinkat prepares symlinkat(2): a symbolic link at linkPath (relative to newDirfd) that
// points to target (IORING_OP_SYMLINKAT, 5.15; io_uring_prep_symlinkat). The result is 0.
func (r *Ring) PrepSymlinkat(target string, newDirfd int, linkPath string) (SQE, error) {
	_, s, err := r.prepPaths("PrepSymlinkat", abi.IORING_OP_SYMLINKAT, newDirfd, target, 0, linkPath)
	return s, err
}

// PrepSymlink prepares symlink(2): a symbolic link at linkPath that points to target
// (IORING_OP_SYMLINKAT, 5.15; io_uring_prep_symlink).
func (r *Ring) PrepSymlink(target, linkPath string) (SQE, error) {
	_, s, err := r.prepPaths("PrepSymlink", abi.IORING_OP_SYMLINKAT, unix.AT_FDCWD, target, 0, linkPath)
	return s, err
}

// PrepLinkat prepares linkat(2): a hard link newPath (relative to newDirfd) to oldPath
// (relative to oldDirfd); with unix.AT_SYMLINK_FOLLOW a symbolic link oldPath is followed
// (IORING_OP_LINKAT, 5.15; io_uring_prep_linkat). The result is 0.
func (r *Ring) PrepLinkat(oldDirfd int, oldPath string, newDirfd int, newPath string, flags int) (SQE, error) {
	return r.prepTwoDirs("PrepLinkat", abi.IORING_OP_LINKAT, oldDirfd, oldPath, newDirfd, newPath, uint32(flags))
}

// PrepLink prepares link(2) (linkat(2) with flags) of oldPath as newPath
// (IORING_OP_LINKAT, 5.15; io_uring_prep_link).
func (r *Ring) PrepLink(oldPath, newPath string, flags int) (SQE, error) {
	return r.prepTwoDirs("PrepLink", abi.IORING_OP_LINKAT, unix.AT_FDCWD, oldPath, unix.AT_FDCWD, newPath, uint32(flags))
}

// PrepFadvise prepares posix_fadvise(2) of fd over [offset, offset+length) with advice
// (unix.FADV_*: FADV_DONTNEED, FADV_WILLNEED, ...; length 0 means to the end of the file)
// (IORING_OP_FADVISE, 5.6; io_uring_prep_fadvise). The result is 0.
func (r *Ring) PrepFadvise(fd int, offset int64, length uint32, advice int) (SQE, error) {
	e, s, err := r.prep("PrepFadvise", abi.IORING_OP_FADVISE, fd, 0, length, uint64(offset))
	if err == nil {
		e.OpFlags = uint32(advice)
	}
	return s, err
}

// PrepFadvise64 is PrepFadvise with a 64-bit length, for ranges of 4 GiB and more; kernels
// before 6.11 refuse it with EINVAL (IORING_OP_FADVISE with the length in addr, 6.11;
// io_uring_prep_fadvise64).
func (r *Ring) PrepFadvise64(fd int, offset, length int64, advice int) (SQE, error) {
	e, s, err := r.prep("PrepFadvise64", abi.IORING_OP_FADVISE, fd, uint64(length), 0, uint64(offset))
	if err == nil {
		e.OpFlags = uint32(advice)
	}
	return s, err
}

// PrepMadvise prepares madvise(2) of the memory of b with advice (unix.MADV_*)
// (IORING_OP_MADVISE, 5.6; io_uring_prep_madvise, or io_uring_prep_madvise64 for 4 GiB and
// more, which kernels before 6.11 refuse with EINVAL). The result is 0.
//
// madvise works on whole pages, so b must start on a page boundary and its length must be a
// multiple of the page size (os.Getpagesize): otherwise the advice would reach memory beyond
// b, which on the Go heap belongs to other objects, and the Ring refuses it. Go's heap hands
// out page-aligned memory only for large allocations; memory from unix.Mmap is always aligned.
// Advice that discards contents (MADV_DONTNEED, MADV_FREE, MADV_REMOVE) zeroes b as the man
// page says. The Ring holds b until the completion.
func (r *Ring) PrepMadvise(b []byte, advice int) (SQE, error) {
	p, _, err := bufPtr("PrepMadvise", b)
	if err != nil {
		return SQE{}, err
	}
	page := os.Getpagesize()
	if uintptr(p)%uintptr(page) != 0 || len(b)%page != 0 {
		return SQE{}, invalid("PrepMadvise", "memory at %#x of %d bytes is not whole pages of %d bytes", uintptr(p), len(b), page)
	}
	n, off := uint32(len(b)), uint64(0)
	if uint64(len(b)) > uint64(^uint32(0)) {
		n, off = 0, uint64(len(b)) // madvise64: the length in sqe->off
	}
	e, s, err := r.prep("PrepMadvise", abi.IORING_OP_MADVISE, -1, uint64(uintptr(p)), n, off)
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = uint32(advice)
	r.hold(e, p, nil)
	return s, nil
}

// PrepFtruncate prepares ftruncate(2) of fd to length bytes (IORING_OP_FTRUNCATE, 6.9;
// io_uring_prep_ftruncate). The result is 0.
func (r *Ring) PrepFtruncate(fd int, length int64) (SQE, error) {
	_, s, err := r.prep("PrepFtruncate", abi.IORING_OP_FTRUNCATE, fd, 0, 0, uint64(length))
	return s, err
}
