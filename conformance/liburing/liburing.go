// Package liburing builds submission queue entries with liburing's own io_uring_prep_*
// helpers, through cgo, for the conformance tests. It needs <liburing.h> (Debian's
// liburing-dev); the helpers are static inline functions, so nothing is linked.
//
// Addresses travel as uintptr: liburing's helpers only store a buffer's address in the entry and
// never read through it, so a Go buffer's address can be handed over as a number, with no Go
// pointer passing into C. Memory that liburing's entry must point at (iovec arrays, timespecs,
// NUL-terminated strings) is allocated in C by this package.
package liburing

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <liburing.h>

typedef struct io_uring_sqe sqe_t;

static void prep_nop(sqe_t *s) { io_uring_prep_nop(s); }
static void prep_read(sqe_t *s, int fd, uintptr_t buf, unsigned n, __u64 off) { io_uring_prep_read(s, fd, (void *)buf, n, off); }
static void prep_write(sqe_t *s, int fd, uintptr_t buf, unsigned n, __u64 off) { io_uring_prep_write(s, fd, (const void *)buf, n, off); }
static void prep_readv(sqe_t *s, int fd, uintptr_t iov, unsigned nr, __u64 off) { io_uring_prep_readv(s, fd, (const struct iovec *)iov, nr, off); }
static void prep_readv2(sqe_t *s, int fd, uintptr_t iov, unsigned nr, __u64 off, int flags) { io_uring_prep_readv2(s, fd, (const struct iovec *)iov, nr, off, flags); }
static void prep_writev(sqe_t *s, int fd, uintptr_t iov, unsigned nr, __u64 off) { io_uring_prep_writev(s, fd, (const struct iovec *)iov, nr, off); }
static void prep_writev2(sqe_t *s, int fd, uintptr_t iov, unsigned nr, __u64 off, int flags) { io_uring_prep_writev2(s, fd, (const struct iovec *)iov, nr, off, flags); }
static void prep_fsync(sqe_t *s, int fd, unsigned flags) { io_uring_prep_fsync(s, fd, flags); }
static void prep_fallocate(sqe_t *s, int fd, int mode, int64_t off, int64_t len) { io_uring_prep_fallocate(s, fd, mode, off, len); }
static void prep_sync_file_range(sqe_t *s, int fd, unsigned len, __u64 off, int flags) { io_uring_prep_sync_file_range(s, fd, len, off, flags); }
static void prep_poll_add(sqe_t *s, int fd, unsigned mask) { io_uring_prep_poll_add(s, fd, mask); }
static void prep_poll_multishot(sqe_t *s, int fd, unsigned mask) { io_uring_prep_poll_multishot(s, fd, mask); }
static void prep_poll_remove(sqe_t *s, __u64 ud) { io_uring_prep_poll_remove(s, ud); }
static void prep_poll_update(sqe_t *s, __u64 old_ud, __u64 new_ud, unsigned mask, unsigned flags) { io_uring_prep_poll_update(s, old_ud, new_ud, mask, flags); }
static void prep_timeout(sqe_t *s, uintptr_t ts, unsigned count, unsigned flags) { io_uring_prep_timeout(s, (struct __kernel_timespec *)ts, count, flags); }
static void prep_timeout_remove(sqe_t *s, __u64 ud, unsigned flags) { io_uring_prep_timeout_remove(s, ud, flags); }
static void prep_timeout_update(sqe_t *s, uintptr_t ts, __u64 ud, unsigned flags) { io_uring_prep_timeout_update(s, (struct __kernel_timespec *)ts, ud, flags); }
static void prep_link_timeout(sqe_t *s, uintptr_t ts, unsigned flags) { io_uring_prep_link_timeout(s, (struct __kernel_timespec *)ts, flags); }
static void prep_cancel(sqe_t *s, uintptr_t ud, int flags) { io_uring_prep_cancel(s, (void *)ud, flags); }
static void prep_cancel64(sqe_t *s, __u64 ud, int flags) { io_uring_prep_cancel64(s, ud, flags); }
static void prep_cancel_fd(sqe_t *s, int fd, unsigned flags) { io_uring_prep_cancel_fd(s, fd, flags); }
static void prep_splice(sqe_t *s, int fd_in, int64_t off_in, int fd_out, int64_t off_out, unsigned n, unsigned flags) { io_uring_prep_splice(s, fd_in, off_in, fd_out, off_out, n, flags); }
static void prep_tee(sqe_t *s, int fd_in, int fd_out, unsigned n, unsigned flags) { io_uring_prep_tee(s, fd_in, fd_out, n, flags); }
static void prep_openat(sqe_t *s, int dfd, uintptr_t path, int flags, mode_t mode) { io_uring_prep_openat(s, dfd, (const char *)path, flags, mode); }
static void prep_openat_direct(sqe_t *s, int dfd, uintptr_t path, int flags, mode_t mode, unsigned idx) { io_uring_prep_openat_direct(s, dfd, (const char *)path, flags, mode, idx); }
static void prep_openat2(sqe_t *s, int dfd, uintptr_t path, uintptr_t how) { io_uring_prep_openat2(s, dfd, (const char *)path, (struct open_how *)how); }
static void prep_openat2_direct(sqe_t *s, int dfd, uintptr_t path, uintptr_t how, unsigned idx) { io_uring_prep_openat2_direct(s, dfd, (const char *)path, (struct open_how *)how, idx); }
static void prep_close(sqe_t *s, int fd) { io_uring_prep_close(s, fd); }
static void prep_close_direct(sqe_t *s, unsigned idx) { io_uring_prep_close_direct(s, idx); }
static void prep_statx(sqe_t *s, int dfd, uintptr_t path, int flags, unsigned mask, uintptr_t buf) { io_uring_prep_statx(s, dfd, (const char *)path, flags, mask, (struct statx *)buf); }
static void prep_fadvise(sqe_t *s, int fd, __u64 off, off_t len, int advice) { io_uring_prep_fadvise(s, fd, off, len, advice); }
static void prep_madvise(sqe_t *s, uintptr_t addr, off_t len, int advice) { io_uring_prep_madvise(s, (void *)addr, len, advice); }
static void prep_epoll_ctl(sqe_t *s, int epfd, int fd, int op, uintptr_t ev) { io_uring_prep_epoll_ctl(s, epfd, fd, op, (struct epoll_event *)ev); }
static void prep_unlinkat(sqe_t *s, int dfd, uintptr_t path, int flags) { io_uring_prep_unlinkat(s, dfd, (const char *)path, flags); }
static void prep_unlink(sqe_t *s, uintptr_t path, int flags) { io_uring_prep_unlink(s, (const char *)path, flags); }
static void prep_renameat(sqe_t *s, int olddfd, uintptr_t oldpath, int newdfd, uintptr_t newpath, unsigned flags) { io_uring_prep_renameat(s, olddfd, (const char *)oldpath, newdfd, (const char *)newpath, flags); }
static void prep_rename(sqe_t *s, uintptr_t oldpath, uintptr_t newpath) { io_uring_prep_rename(s, (const char *)oldpath, (const char *)newpath); }
static void prep_mkdirat(sqe_t *s, int dfd, uintptr_t path, mode_t mode) { io_uring_prep_mkdirat(s, dfd, (const char *)path, mode); }
static void prep_mkdir(sqe_t *s, uintptr_t path, mode_t mode) { io_uring_prep_mkdir(s, (const char *)path, mode); }
static void prep_symlinkat(sqe_t *s, uintptr_t target, int newdirfd, uintptr_t linkpath) { io_uring_prep_symlinkat(s, (const char *)target, newdirfd, (const char *)linkpath); }
static void prep_symlink(sqe_t *s, uintptr_t target, uintptr_t linkpath) { io_uring_prep_symlink(s, (const char *)target, (const char *)linkpath); }
static void prep_linkat(sqe_t *s, int olddfd, uintptr_t oldpath, int newdfd, uintptr_t newpath, int flags) { io_uring_prep_linkat(s, olddfd, (const char *)oldpath, newdfd, (const char *)newpath, flags); }
static void prep_link(sqe_t *s, uintptr_t oldpath, uintptr_t newpath, int flags) { io_uring_prep_link(s, (const char *)oldpath, (const char *)newpath, flags); }
static void prep_msg_ring(sqe_t *s, int fd, unsigned len, __u64 data, unsigned flags) { io_uring_prep_msg_ring(s, fd, len, data, flags); }
static void prep_getxattr(sqe_t *s, uintptr_t name, uintptr_t value, uintptr_t path, unsigned len) { io_uring_prep_getxattr(s, (const char *)name, (char *)value, (const char *)path, len); }
static void prep_setxattr(sqe_t *s, uintptr_t name, uintptr_t value, uintptr_t path, int flags, unsigned len) { io_uring_prep_setxattr(s, (const char *)name, (const char *)value, (const char *)path, flags, len); }
static void prep_fgetxattr(sqe_t *s, int fd, uintptr_t name, uintptr_t value, unsigned len) { io_uring_prep_fgetxattr(s, fd, (const char *)name, (char *)value, len); }
static void prep_fsetxattr(sqe_t *s, int fd, uintptr_t name, uintptr_t value, int flags, unsigned len) { io_uring_prep_fsetxattr(s, fd, (const char *)name, (const char *)value, flags, len); }
static void set_data64(sqe_t *s, __u64 v) { io_uring_sqe_set_data64(s, v); }

static uintptr_t alloc_iovecs(unsigned n) { return (uintptr_t)calloc(n, sizeof(struct iovec)); }
static void set_iovec(uintptr_t arr, unsigned i, uintptr_t base, size_t len) {
	struct iovec *v = (struct iovec *)arr + i;
	v->iov_base = (void *)base;
	v->iov_len = len;
}
static uintptr_t alloc_timespec(int64_t sec, int64_t nsec) {
	struct __kernel_timespec *ts = calloc(1, sizeof(*ts));
	ts->tv_sec = sec;
	ts->tv_nsec = nsec;
	return (uintptr_t)ts;
}
static size_t cstring_len(uintptr_t p) { return strlen((const char *)p); }
static void free_mem(uintptr_t p) { free((void *)p); }
static void copy_mem(void *dst, uintptr_t src, size_t n) { memcpy(dst, (const void *)src, n); }
*/
import "C"

import "unsafe"

// SQE is the 64 bytes of a struct io_uring_sqe as a liburing helper left them.
type SQE [C.sizeof_sqe_t]byte

// build runs prep on a zeroed entry in C memory and returns its bytes.
func build(prep func(*C.sqe_t)) SQE {
	s := (*C.sqe_t)(C.calloc(1, C.sizeof_sqe_t))
	defer C.free(unsafe.Pointer(s))
	prep(s)
	var out SQE
	C.copy_mem(unsafe.Pointer(&out[0]), C.uintptr_t(uintptr(unsafe.Pointer(s))), C.sizeof_sqe_t)
	return out
}

// WithData64 returns s with its user data set by io_uring_sqe_set_data64.
func WithData64(s SQE, v uint64) SQE {
	return build(func(c *C.sqe_t) {
		C.memcpy(unsafe.Pointer(c), unsafe.Pointer(&s[0]), C.sizeof_sqe_t)
		C.set_data64(c, C.__u64(v))
	})
}

// Nop is io_uring_prep_nop.
func Nop() SQE { return build(func(s *C.sqe_t) { C.prep_nop(s) }) }

// Read is io_uring_prep_read.
func Read(fd int, buf uintptr, n uint32, off uint64) SQE {
	return build(func(s *C.sqe_t) { C.prep_read(s, C.int(fd), C.uintptr_t(buf), C.unsigned(n), C.__u64(off)) })
}

// Write is io_uring_prep_write.
func Write(fd int, buf uintptr, n uint32, off uint64) SQE {
	return build(func(s *C.sqe_t) { C.prep_write(s, C.int(fd), C.uintptr_t(buf), C.unsigned(n), C.__u64(off)) })
}

// Readv is io_uring_prep_readv.
func Readv(fd int, iov uintptr, nr uint32, off uint64) SQE {
	return build(func(s *C.sqe_t) { C.prep_readv(s, C.int(fd), C.uintptr_t(iov), C.unsigned(nr), C.__u64(off)) })
}

// Readv2 is io_uring_prep_readv2.
func Readv2(fd int, iov uintptr, nr uint32, off uint64, flags int) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_readv2(s, C.int(fd), C.uintptr_t(iov), C.unsigned(nr), C.__u64(off), C.int(flags))
	})
}

// Writev is io_uring_prep_writev.
func Writev(fd int, iov uintptr, nr uint32, off uint64) SQE {
	return build(func(s *C.sqe_t) { C.prep_writev(s, C.int(fd), C.uintptr_t(iov), C.unsigned(nr), C.__u64(off)) })
}

// Writev2 is io_uring_prep_writev2.
func Writev2(fd int, iov uintptr, nr uint32, off uint64, flags int) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_writev2(s, C.int(fd), C.uintptr_t(iov), C.unsigned(nr), C.__u64(off), C.int(flags))
	})
}

// Fsync is io_uring_prep_fsync.
func Fsync(fd int, flags uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_fsync(s, C.int(fd), C.unsigned(flags)) })
}

// Fallocate is io_uring_prep_fallocate.
func Fallocate(fd int, mode int, off, length int64) SQE {
	return build(func(s *C.sqe_t) { C.prep_fallocate(s, C.int(fd), C.int(mode), C.int64_t(off), C.int64_t(length)) })
}

// SyncFileRange is io_uring_prep_sync_file_range.
func SyncFileRange(fd int, length uint32, off uint64, flags int) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_sync_file_range(s, C.int(fd), C.unsigned(length), C.__u64(off), C.int(flags))
	})
}

// PollAdd is io_uring_prep_poll_add.
func PollAdd(fd int, mask uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_poll_add(s, C.int(fd), C.unsigned(mask)) })
}

// PollMultishot is io_uring_prep_poll_multishot.
func PollMultishot(fd int, mask uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_poll_multishot(s, C.int(fd), C.unsigned(mask)) })
}

// PollRemove is io_uring_prep_poll_remove.
func PollRemove(userData uint64) SQE {
	return build(func(s *C.sqe_t) { C.prep_poll_remove(s, C.__u64(userData)) })
}

// PollUpdate is io_uring_prep_poll_update.
func PollUpdate(oldUserData, newUserData uint64, mask, flags uint32) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_poll_update(s, C.__u64(oldUserData), C.__u64(newUserData), C.unsigned(mask), C.unsigned(flags))
	})
}

// Timeout is io_uring_prep_timeout; ts is a timespec from Timespec.
func Timeout(ts uintptr, count, flags uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_timeout(s, C.uintptr_t(ts), C.unsigned(count), C.unsigned(flags)) })
}

// TimeoutRemove is io_uring_prep_timeout_remove.
func TimeoutRemove(userData uint64, flags uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_timeout_remove(s, C.__u64(userData), C.unsigned(flags)) })
}

// TimeoutUpdate is io_uring_prep_timeout_update; ts is a timespec from Timespec.
func TimeoutUpdate(ts uintptr, userData uint64, flags uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_timeout_update(s, C.uintptr_t(ts), C.__u64(userData), C.unsigned(flags)) })
}

// LinkTimeout is io_uring_prep_link_timeout; ts is a timespec from Timespec.
func LinkTimeout(ts uintptr, flags uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_link_timeout(s, C.uintptr_t(ts), C.unsigned(flags)) })
}

// Cancel is io_uring_prep_cancel, whose user data is a pointer.
func Cancel(userData uintptr, flags int) SQE {
	return build(func(s *C.sqe_t) { C.prep_cancel(s, C.uintptr_t(userData), C.int(flags)) })
}

// Cancel64 is io_uring_prep_cancel64.
func Cancel64(userData uint64, flags int) SQE {
	return build(func(s *C.sqe_t) { C.prep_cancel64(s, C.__u64(userData), C.int(flags)) })
}

// CancelFd is io_uring_prep_cancel_fd.
func CancelFd(fd int, flags uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_cancel_fd(s, C.int(fd), C.unsigned(flags)) })
}

// Splice is io_uring_prep_splice.
func Splice(fdIn int, offIn int64, fdOut int, offOut int64, n, flags uint32) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_splice(s, C.int(fdIn), C.int64_t(offIn), C.int(fdOut), C.int64_t(offOut), C.unsigned(n), C.unsigned(flags))
	})
}

// Tee is io_uring_prep_tee.
func Tee(fdIn, fdOut int, n, flags uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_tee(s, C.int(fdIn), C.int(fdOut), C.unsigned(n), C.unsigned(flags)) })
}

// Openat is io_uring_prep_openat; path is a string from CString.
func Openat(dfd int, path uintptr, flags int, mode uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_openat(s, C.int(dfd), C.uintptr_t(path), C.int(flags), C.mode_t(mode)) })
}

// OpenatDirect is io_uring_prep_openat_direct.
func OpenatDirect(dfd int, path uintptr, flags int, mode, fileIndex uint32) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_openat_direct(s, C.int(dfd), C.uintptr_t(path), C.int(flags), C.mode_t(mode), C.unsigned(fileIndex))
	})
}

// Openat2 is io_uring_prep_openat2; how is the address of a struct open_how.
func Openat2(dfd int, path, how uintptr) SQE {
	return build(func(s *C.sqe_t) { C.prep_openat2(s, C.int(dfd), C.uintptr_t(path), C.uintptr_t(how)) })
}

// Openat2Direct is io_uring_prep_openat2_direct.
func Openat2Direct(dfd int, path, how uintptr, fileIndex uint32) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_openat2_direct(s, C.int(dfd), C.uintptr_t(path), C.uintptr_t(how), C.unsigned(fileIndex))
	})
}

// Close is io_uring_prep_close.
func Close(fd int) SQE { return build(func(s *C.sqe_t) { C.prep_close(s, C.int(fd)) }) }

// CloseDirect is io_uring_prep_close_direct.
func CloseDirect(fileIndex uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_close_direct(s, C.unsigned(fileIndex)) })
}

// Statx is io_uring_prep_statx; buf is the address of a struct statx.
func Statx(dfd int, path uintptr, flags int, mask uint32, buf uintptr) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_statx(s, C.int(dfd), C.uintptr_t(path), C.int(flags), C.unsigned(mask), C.uintptr_t(buf))
	})
}

// Fadvise is io_uring_prep_fadvise.
func Fadvise(fd int, off uint64, length int64, advice int) SQE {
	return build(func(s *C.sqe_t) { C.prep_fadvise(s, C.int(fd), C.__u64(off), C.off_t(length), C.int(advice)) })
}

// Madvise is io_uring_prep_madvise.
func Madvise(addr uintptr, length int64, advice int) SQE {
	return build(func(s *C.sqe_t) { C.prep_madvise(s, C.uintptr_t(addr), C.off_t(length), C.int(advice)) })
}

// EpollCtl is io_uring_prep_epoll_ctl, in liburing's order of arguments; ev is the address of
// a struct epoll_event.
func EpollCtl(epfd, fd, op int, ev uintptr) SQE {
	return build(func(s *C.sqe_t) { C.prep_epoll_ctl(s, C.int(epfd), C.int(fd), C.int(op), C.uintptr_t(ev)) })
}

// Unlinkat is io_uring_prep_unlinkat.
func Unlinkat(dfd int, path uintptr, flags int) SQE {
	return build(func(s *C.sqe_t) { C.prep_unlinkat(s, C.int(dfd), C.uintptr_t(path), C.int(flags)) })
}

// Unlink is io_uring_prep_unlink.
func Unlink(path uintptr, flags int) SQE {
	return build(func(s *C.sqe_t) { C.prep_unlink(s, C.uintptr_t(path), C.int(flags)) })
}

// Renameat is io_uring_prep_renameat.
func Renameat(oldDfd int, oldPath uintptr, newDfd int, newPath uintptr, flags uint32) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_renameat(s, C.int(oldDfd), C.uintptr_t(oldPath), C.int(newDfd), C.uintptr_t(newPath), C.unsigned(flags))
	})
}

// Rename is io_uring_prep_rename.
func Rename(oldPath, newPath uintptr) SQE {
	return build(func(s *C.sqe_t) { C.prep_rename(s, C.uintptr_t(oldPath), C.uintptr_t(newPath)) })
}

// Mkdirat is io_uring_prep_mkdirat.
func Mkdirat(dfd int, path uintptr, mode uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_mkdirat(s, C.int(dfd), C.uintptr_t(path), C.mode_t(mode)) })
}

// Mkdir is io_uring_prep_mkdir.
func Mkdir(path uintptr, mode uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_mkdir(s, C.uintptr_t(path), C.mode_t(mode)) })
}

// Symlinkat is io_uring_prep_symlinkat.
func Symlinkat(target uintptr, newDirfd int, linkPath uintptr) SQE {
	return build(func(s *C.sqe_t) { C.prep_symlinkat(s, C.uintptr_t(target), C.int(newDirfd), C.uintptr_t(linkPath)) })
}

// Symlink is io_uring_prep_symlink.
func Symlink(target, linkPath uintptr) SQE {
	return build(func(s *C.sqe_t) { C.prep_symlink(s, C.uintptr_t(target), C.uintptr_t(linkPath)) })
}

// Linkat is io_uring_prep_linkat.
func Linkat(oldDfd int, oldPath uintptr, newDfd int, newPath uintptr, flags int) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_linkat(s, C.int(oldDfd), C.uintptr_t(oldPath), C.int(newDfd), C.uintptr_t(newPath), C.int(flags))
	})
}

// Link is io_uring_prep_link.
func Link(oldPath, newPath uintptr, flags int) SQE {
	return build(func(s *C.sqe_t) { C.prep_link(s, C.uintptr_t(oldPath), C.uintptr_t(newPath), C.int(flags)) })
}

// MsgRing is io_uring_prep_msg_ring.
func MsgRing(fd int, length uint32, data uint64, flags uint32) SQE {
	return build(func(s *C.sqe_t) { C.prep_msg_ring(s, C.int(fd), C.unsigned(length), C.__u64(data), C.unsigned(flags)) })
}

// Getxattr is io_uring_prep_getxattr.
func Getxattr(name, value, path uintptr, length uint32) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_getxattr(s, C.uintptr_t(name), C.uintptr_t(value), C.uintptr_t(path), C.unsigned(length))
	})
}

// Setxattr is io_uring_prep_setxattr.
func Setxattr(name, value, path uintptr, flags int, length uint32) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_setxattr(s, C.uintptr_t(name), C.uintptr_t(value), C.uintptr_t(path), C.int(flags), C.unsigned(length))
	})
}

// Fgetxattr is io_uring_prep_fgetxattr.
func Fgetxattr(fd int, name, value uintptr, length uint32) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_fgetxattr(s, C.int(fd), C.uintptr_t(name), C.uintptr_t(value), C.unsigned(length))
	})
}

// Fsetxattr is io_uring_prep_fsetxattr.
func Fsetxattr(fd int, name, value uintptr, flags int, length uint32) SQE {
	return build(func(s *C.sqe_t) {
		C.prep_fsetxattr(s, C.int(fd), C.uintptr_t(name), C.uintptr_t(value), C.int(flags), C.unsigned(length))
	})
}

// Iovecs allocates a C array of struct iovec, entry i with bases[i] and lens[i], and returns
// its address; Free releases it.
func Iovecs(bases []uintptr, lens []uint64) uintptr {
	arr := C.alloc_iovecs(C.unsigned(len(bases)))
	for i := range bases {
		C.set_iovec(arr, C.unsigned(i), C.uintptr_t(bases[i]), C.size_t(lens[i]))
	}
	return uintptr(arr)
}

// Timespec allocates a C struct __kernel_timespec and returns its address; Free releases it.
func Timespec(sec, nsec int64) uintptr {
	return uintptr(C.alloc_timespec(C.int64_t(sec), C.int64_t(nsec)))
}

// CString allocates a NUL-terminated C copy of s and returns its address; Free releases it.
func CString(s string) uintptr { return uintptr(unsafe.Pointer(C.CString(s))) }

// ReadCString returns the NUL-terminated string at addr with its NUL, which must be valid
// memory as for ReadMem.
func ReadCString(addr uintptr) []byte {
	return ReadMem(addr, int(C.cstring_len(C.uintptr_t(addr)))+1)
}

// Free releases memory from Iovecs, Timespec or CString.
func Free(p uintptr) { C.free_mem(C.uintptr_t(p)) }

// ReadMem copies n bytes from addr, which must be valid memory (C memory from this package, or
// Go memory that something keeps alive), without a Go pointer conversion.
func ReadMem(addr uintptr, n int) []byte {
	out := make([]byte, n)
	if n > 0 {
		C.copy_mem(unsafe.Pointer(&out[0]), C.uintptr_t(addr), C.size_t(n))
	}
	return out
}

// The flag values of liburing's <liburing/io_uring.h>, for the liburing side of the tests, so
// that the library's own constants are checked too.
const (
	FsyncDatasync       = C.IORING_FSYNC_DATASYNC
	TimeoutAbs          = C.IORING_TIMEOUT_ABS
	TimeoutBoottime     = C.IORING_TIMEOUT_BOOTTIME
	TimeoutRealtime     = C.IORING_TIMEOUT_REALTIME
	TimeoutEtimeSuccess = C.IORING_TIMEOUT_ETIME_SUCCESS
	LinkTimeoutUpdate   = C.IORING_LINK_TIMEOUT_UPDATE
	PollUpdateEvents    = C.IORING_POLL_UPDATE_EVENTS
	PollUpdateUserData  = C.IORING_POLL_UPDATE_USER_DATA
	AsyncCancelAll      = C.IORING_ASYNC_CANCEL_ALL
	AsyncCancelAny      = C.IORING_ASYNC_CANCEL_ANY
	AsyncCancelFdFixed  = C.IORING_ASYNC_CANCEL_FD_FIXED
	FileIndexAlloc      = C.IORING_FILE_INDEX_ALLOC
	SpliceFdInFixed     = C.SPLICE_F_FD_IN_FIXED
	MsgRingCQESkip      = C.IORING_MSG_RING_CQE_SKIP
)
