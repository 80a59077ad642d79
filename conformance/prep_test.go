package conformance

import (
	"bytes"
	"encoding/binary"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unsafe"

	"github.com/uringo/uring"
	"github.com/uringo/uring/conformance/liburing"
	"golang.org/x/sys/unix"
)

// notCovered lists the prep helpers of liburing 2.3 (Debian's liburing-dev) that no case below
// compares yet, because the library has no helper for their operation yet. Adding a helper to
// the library means moving its name from here to a case in prepCases;
// TestEveryLiburingHelperAccounted checks the two lists against <liburing.h>, and
// TestEveryPrepMethodAccounted checks that no Prep method of the library has its helper here.
var notCovered = []string{
	"read_fixed", "write_fixed", "recvmsg", "recvmsg_multishot", "sendmsg", "accept",
	"accept_direct", "multishot_accept", "multishot_accept_direct", "connect", "files_update",
	"send", "send_zc", "send_zc_fixed", "sendmsg_zc", "send_set_addr", "recv", "recv_multishot",
	"provide_buffers", "remove_buffers", "shutdown", "socket", "socket_direct",
	"socket_direct_alloc",
}

// notInLiburing23 lists the helpers of later liburing releases that the library has a Prep
// method for and liburing 2.3 lacks, so nothing here compares them:
// TestEveryPrepMethodAccounted checks that each is absent from <liburing.h>, so that a newer
// liburing-dev is noticed. madvise64 is PrepMadvise over 4 GiB or more.
var notInLiburing23 = []string{
	"fadvise64", "madvise64", "ftruncate", "epoll_wait", "msg_ring_cqe_flags", "msg_ring_fd",
	"msg_ring_fd_alloc", "pipe", "pipe_direct", "futex_wait", "futex_wake", "futex_waitv",
	"waitid",
}

// liburingName maps the Prep methods whose liburing helper is not their name in snake case
// (PrepSyncFileRange: io_uring_prep_sync_file_range); "" for those that have none.
var liburingName = map[string]string{
	"PrepCancel":    "cancel64", // and io_uring_prep_cancel, whose user data is a pointer
	"PrepTimeoutAt": "timeout",  // io_uring_prep_timeout with IORING_TIMEOUT_ABS
	"PrepNopResult": "",         // liburing sets IORING_NOP_INJECT_RESULT in the entry by hand
	"PrepUnsafe":    "",         // the raw entry, for the caller to fill
}

// prepCase builds one entry both ways from the same arguments.
type prepCase struct {
	name   string // a case of io_uring_prep_<helper>: "<helper>" or "<helper>/<variant>"
	ours   func(r *uring.Ring) (uring.SQE, error)
	theirs func(t *testing.T) liburing.SQE
	// holds: ours keeps Go memory for the kernel, so its user data is the Ring's token and is
	// compared separately.
	holds bool
	// deref names the fields that point at memory each side built itself (an iovec array, a
	// timespec, a string), with the number of bytes to compare where they point, or str.
	deref map[string]int
	// differs names the fields that differ on purpose, with ours and liburing's value; the
	// case says why.
	differs map[string][2]uint64
}

const fd, fd2 = 7, 8 // fd numbers; nothing is submitted

var (
	bufA = make([]byte, 4096)
	bufB = make([]byte, 512)
)

// Caller's memory of the operations that take a struct: liburing's side gets the same address.
var (
	statxBuf   unix.Statx_t
	openHow    = unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS}
	epollEvent = unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: fd2}
)

// pages is two pages of anonymous memory, for madvise, which wants whole pages.
var pages = sync.OnceValues(func() ([]byte, error) {
	return unix.Mmap(-1, 0, 2*os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
})

// addr is the address of b's first byte: liburing's side stores the same address as ours.
func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// addrOf is the address of *p, for liburing's side.
func addrOf[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// cstr builds liburing's side of a path or a name: a NUL-terminated C copy of s.
func cstr(t *testing.T, s string) uintptr {
	p := liburing.CString(s)
	t.Cleanup(func() { liburing.Free(p) })
	return p
}

// iovecs builds liburing's side of a vectored operation: a C iovec array over bufs.
func iovecs(t *testing.T, bufs ...[]byte) uintptr {
	var bases []uintptr
	var lens []uint64
	for _, b := range bufs {
		bases = append(bases, addr(b))
		lens = append(lens, uint64(len(b)))
	}
	p := liburing.Iovecs(bases, lens)
	t.Cleanup(func() { liburing.Free(p) })
	return p
}

// timespec builds liburing's side of a timeout: a C struct __kernel_timespec.
func timespec(t *testing.T, d time.Duration) uintptr {
	p := liburing.Timespec(int64(d/time.Second), int64(d%time.Second))
	t.Cleanup(func() { liburing.Free(p) })
	return p
}

const iovecSize, timespecSize = 16, 16

// str as the size of a deref field: it points at a NUL-terminated string, compared up to and
// including its NUL.
const str = -1

var prepCases = []prepCase{
	{name: "nop",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepNop() },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Nop() }},
	{name: "read", holds: true,
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepRead(fd, bufA, 8192) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Read(fd, addr(bufA), uint32(len(bufA)), 8192) }},
	{name: "read/current-position", holds: true,
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepRead(fd, bufB, uring.CurrentPos) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Read(fd, addr(bufB), uint32(len(bufB)), ^uint64(0))
		}},
	{name: "write", holds: true,
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepWrite(fd, bufB, 100) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Write(fd, addr(bufB), uint32(len(bufB)), 100) }},
	{name: "readv", holds: true, deref: map[string]int{"Addr": 2 * iovecSize},
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepReadv(fd, [][]byte{bufA, bufB}, 4096) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Readv(fd, iovecs(t, bufA, bufB), 2, 4096)
		}},
	{name: "readv2", holds: true, deref: map[string]int{"Addr": iovecSize},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepReadv2(fd, [][]byte{bufA}, 0, uring.RWFHiPri|uring.RWFNoWait)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Readv2(fd, iovecs(t, bufA), 1, 0, unix.RWF_HIPRI|unix.RWF_NOWAIT)
		}},
	{name: "writev", holds: true, deref: map[string]int{"Addr": 3 * iovecSize},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepWritev(fd, [][]byte{bufB, bufA, bufB}, 12)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Writev(fd, iovecs(t, bufB, bufA, bufB), 3, 12)
		}},
	{name: "writev2", holds: true, deref: map[string]int{"Addr": iovecSize},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepWritev2(fd, [][]byte{bufA}, uring.CurrentPos, uring.RWFDsync|uring.RWFAppend)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Writev2(fd, iovecs(t, bufA), 1, ^uint64(0), unix.RWF_DSYNC|unix.RWF_APPEND)
		}},
	{name: "fsync",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepFsync(fd, 0) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Fsync(fd, 0) }},
	{name: "fsync/datasync",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepFsync(fd, uring.FsyncDatasync) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Fsync(fd, liburing.FsyncDatasync) }},
	{name: "fallocate",
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepFallocate(fd, uring.FallocKeepSize|uring.FallocPunchHole, 4096, 1<<20)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE|unix.FALLOC_FL_PUNCH_HOLE, 4096, 1<<20)
		}},
	{name: "sync_file_range",
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepSyncFileRange(fd, 4096, 8192, unix.SYNC_FILE_RANGE_WRITE)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.SyncFileRange(fd, 8192, 4096, unix.SYNC_FILE_RANGE_WRITE)
		}},
	{name: "poll_add",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepPollAdd(fd, unix.POLLIN|unix.POLLPRI) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.PollAdd(fd, unix.POLLIN|unix.POLLPRI) }},
	{name: "poll_multishot",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepPollMultishot(fd, unix.POLLOUT) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.PollMultishot(fd, unix.POLLOUT) }},
	{name: "poll_remove",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepPollRemove(0x1234abcd) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.PollRemove(0x1234abcd) }},
	{name: "poll_update",
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepPollUpdate(0x11, 0x22, unix.POLLIN, uring.PollUpdateEvents|uring.PollUpdateUserData)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.PollUpdate(0x11, 0x22, unix.POLLIN, liburing.PollUpdateEvents|liburing.PollUpdateUserData)
		}},
	{name: "timeout", holds: true, deref: map[string]int{"Addr": timespecSize},
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepTimeout(1500*time.Millisecond, 3, 0) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Timeout(timespec(t, 1500*time.Millisecond), 3, 0)
		}},
	{name: "timeout/flags", holds: true, deref: map[string]int{"Addr": timespecSize},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepTimeout(2*time.Second, 0, uring.TimeoutBoottime|uring.TimeoutETimeSuccess)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Timeout(timespec(t, 2*time.Second), 0, liburing.TimeoutBoottime|liburing.TimeoutEtimeSuccess)
		}},
	{name: "timeout/absolute", holds: true, deref: map[string]int{"Addr": timespecSize},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepTimeoutAt(time.Unix(1700000000, 123456789), 1, uring.TimeoutRealtime)
		},
		theirs: func(t *testing.T) liburing.SQE {
			ts := timespec(t, 1700000000*time.Second+123456789)
			return liburing.Timeout(ts, 1, liburing.TimeoutRealtime|liburing.TimeoutAbs)
		}},
	{name: "timeout_remove",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepTimeoutRemove(0x99, 0) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.TimeoutRemove(0x99, 0) }},
	{name: "timeout_update", holds: true, deref: map[string]int{"Off": timespecSize},
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepTimeoutUpdate(0x99, 250*time.Millisecond, 0) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.TimeoutUpdate(timespec(t, 250*time.Millisecond), 0x99, 0)
		}},
	{name: "timeout_update/linked", holds: true, deref: map[string]int{"Off": timespecSize},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepTimeoutUpdate(0x98, time.Second, uring.TimeoutLinkUpdate)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.TimeoutUpdate(timespec(t, time.Second), 0x98, liburing.LinkTimeoutUpdate)
		}},
	{name: "link_timeout", holds: true, deref: map[string]int{"Addr": timespecSize},
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepLinkTimeout(time.Second, 0) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.LinkTimeout(timespec(t, time.Second), 0)
		}},
	{name: "cancel64",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepCancel(0x55, 0) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Cancel64(0x55, 0) }},
	{name: "cancel64/all",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepCancel(0x55, uring.CancelAll) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Cancel64(0x55, liburing.AsyncCancelAll) }},
	{name: "cancel64/any", // with CANCEL_ANY the kernel ignores the user data: both pass 0
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepCancel(0, uring.CancelAny|uring.CancelAll) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Cancel64(0, liburing.AsyncCancelAny|liburing.AsyncCancelAll)
		}},
	{name: "cancel",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepCancel(0x66, 0) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Cancel(0x66, 0) }},
	{name: "cancel_fd",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepCancelFd(fd, 0) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.CancelFd(fd, 0) }},
	{name: "cancel_fd/all-fixed",
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepCancelFd(fd, uring.CancelAll|uring.CancelFdFixed) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.CancelFd(fd, liburing.AsyncCancelAll|liburing.AsyncCancelFdFixed)
		}},

	// Pipes.
	{name: "splice",
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepSplice(fd, 4096, fd2, uring.CurrentPos, 65536, uring.SpliceMove|uring.SpliceNonblock)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Splice(fd, 4096, fd2, -1, 65536, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		}},
	{name: "splice/fd-in-fixed",
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepSplice(3, uring.CurrentPos, fd, 1<<40, 1<<20, uring.SpliceFdInFixed|uring.SpliceMore)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Splice(3, -1, fd, 1<<40, 1<<20, liburing.SpliceFdInFixed|unix.SPLICE_F_MORE)
		}},
	{name: "tee",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepTee(fd, fd2, 1024, uring.SpliceNonblock) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Tee(fd, fd2, 1024, unix.SPLICE_F_NONBLOCK) }},

	// Files: paths are NUL-terminated copies on both sides, compared by what they hold.
	{name: "openat", holds: true, deref: map[string]int{"Addr": str},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepOpenat(unix.AT_FDCWD, "dir/file.txt", unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o640)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Openat(unix.AT_FDCWD, cstr(t, "dir/file.txt"), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o640)
		}},
	{name: "openat/dirfd", holds: true, deref: map[string]int{"Addr": str},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepOpenat(fd, "sub", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Openat(fd, cstr(t, "sub"), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
		}},
	{name: "openat_direct", holds: true, deref: map[string]int{"Addr": str},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepOpenatDirect(fd, "f", unix.O_WRONLY|unix.O_TRUNC, 0o600, 3)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.OpenatDirect(fd, cstr(t, "f"), unix.O_WRONLY|unix.O_TRUNC, 0o600, 3)
		}},
	// liburing 2.3 stores file_index+1 even for IORING_FILE_INDEX_ALLOC, which wraps to 0, a
	// plain openat into the fd table; its callers pass IORING_FILE_INDEX_ALLOC-1 to get the
	// kernel's IORING_FILE_INDEX_ALLOC. Later liburing (commit 4fed7951, April 2023) does what
	// FileIndexAlloc does: it stays IORING_FILE_INDEX_ALLOC. Liburing's side here takes 2.3's way.
	{name: "openat_direct/alloc", holds: true, deref: map[string]int{"Addr": str},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepOpenatDirect(unix.AT_FDCWD, "f", unix.O_RDONLY, 0, uring.FileIndexAlloc)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.OpenatDirect(unix.AT_FDCWD, cstr(t, "f"), unix.O_RDONLY, 0, liburing.FileIndexAlloc-1)
		}},
	// The same call on both sides: liburing 2.3's entry opens into the process's fd table
	// (file_index 0: not direct), ours into a slot the kernel picks (IORING_FILE_INDEX_ALLOC).
	{name: "openat_direct/alloc-unmapped", holds: true, deref: map[string]int{"Addr": str},
		differs: map[string][2]uint64{"FileIndex": {uint64(uring.FileIndexAlloc), 0}},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepOpenatDirect(unix.AT_FDCWD, "f", unix.O_RDONLY, 0, uring.FileIndexAlloc)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.OpenatDirect(unix.AT_FDCWD, cstr(t, "f"), unix.O_RDONLY, 0, liburing.FileIndexAlloc)
		}},
	{name: "openat2", holds: true, deref: map[string]int{"Addr": str},
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepOpenat2(unix.AT_FDCWD, "/etc/hostname", &openHow) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Openat2(unix.AT_FDCWD, cstr(t, "/etc/hostname"), addrOf(&openHow))
		}},
	{name: "openat2_direct", holds: true, deref: map[string]int{"Addr": str},
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepOpenat2Direct(fd, "x", &openHow, 0) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Openat2Direct(fd, cstr(t, "x"), addrOf(&openHow), 0)
		}},
	{name: "openat2_direct/alloc", holds: true, deref: map[string]int{"Addr": str}, // as openat_direct/alloc
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepOpenat2Direct(fd, "x", &openHow, uring.FileIndexAlloc)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Openat2Direct(fd, cstr(t, "x"), addrOf(&openHow), liburing.FileIndexAlloc-1)
		}},
	{name: "close",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepClose(fd) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Close(fd) }},
	{name: "close_direct",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepCloseDirect(5) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.CloseDirect(5) }},
	{name: "statx", holds: true, deref: map[string]int{"Addr": str},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepStatx(fd, "sub/file", unix.AT_SYMLINK_NOFOLLOW|unix.AT_STATX_DONT_SYNC,
				unix.STATX_BASIC_STATS|unix.STATX_BTIME, &statxBuf)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Statx(fd, cstr(t, "sub/file"), unix.AT_SYMLINK_NOFOLLOW|unix.AT_STATX_DONT_SYNC,
				unix.STATX_BASIC_STATS|unix.STATX_BTIME, addrOf(&statxBuf))
		}},
	{name: "statx/empty-path", holds: true, deref: map[string]int{"Addr": str},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepStatx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_SIZE, &statxBuf)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Statx(fd, cstr(t, ""), unix.AT_EMPTY_PATH, unix.STATX_SIZE, addrOf(&statxBuf))
		}},
	{name: "fadvise",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepFadvise(fd, 1<<40, 65536, unix.FADV_DONTNEED) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Fadvise(fd, 1<<40, 65536, unix.FADV_DONTNEED) }},
	{name: "fadvise/whole-file",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepFadvise(fd, 0, 0, unix.FADV_SEQUENTIAL) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Fadvise(fd, 0, 0, unix.FADV_SEQUENTIAL) }},
	{name: "madvise", holds: true,
		ours: func(r *uring.Ring) (uring.SQE, error) {
			p, err := pages()
			if err != nil {
				return uring.SQE{}, err
			}
			return r.PrepMadvise(p, unix.MADV_WILLNEED)
		},
		theirs: func(t *testing.T) liburing.SQE {
			p, err := pages()
			if err != nil {
				t.Fatal(err)
			}
			return liburing.Madvise(addr(p), int64(len(p)), unix.MADV_WILLNEED)
		}},
	{name: "renameat", holds: true, deref: map[string]int{"Addr": str, "Off": str},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepRenameat(fd, "old", fd2, "new/name", unix.RENAME_NOREPLACE)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Renameat(fd, cstr(t, "old"), fd2, cstr(t, "new/name"), unix.RENAME_NOREPLACE)
		}},
	{name: "renameat/cwd", holds: true, deref: map[string]int{"Addr": str, "Off": str}, // AT_FDCWD (-100) in len
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepRenameat(unix.AT_FDCWD, "a", unix.AT_FDCWD, "b", unix.RENAME_EXCHANGE)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Renameat(unix.AT_FDCWD, cstr(t, "a"), unix.AT_FDCWD, cstr(t, "b"), unix.RENAME_EXCHANGE)
		}},
	{name: "rename", holds: true, deref: map[string]int{"Addr": str, "Off": str},
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepRename("a/old", "b/new") },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Rename(cstr(t, "a/old"), cstr(t, "b/new")) }},
	{name: "unlinkat", holds: true, deref: map[string]int{"Addr": str},
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepUnlinkat(fd, "gone", 0) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Unlinkat(fd, cstr(t, "gone"), 0) }},
	{name: "unlinkat/removedir", holds: true, deref: map[string]int{"Addr": str},
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepUnlinkat(fd, "dir", unix.AT_REMOVEDIR) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Unlinkat(fd, cstr(t, "dir"), unix.AT_REMOVEDIR) }},
	{name: "unlink", holds: true, deref: map[string]int{"Addr": str},
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepUnlink("/tmp/x", 0) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Unlink(cstr(t, "/tmp/x"), 0) }},
	{name: "mkdirat", holds: true, deref: map[string]int{"Addr": str},
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepMkdirat(fd, "d", 0o755) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Mkdirat(fd, cstr(t, "d"), 0o755) }},
	{name: "mkdir", holds: true, deref: map[string]int{"Addr": str},
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepMkdir("d/e", 0o700) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Mkdir(cstr(t, "d/e"), 0o700) }},
	{name: "symlinkat", holds: true, deref: map[string]int{"Addr": str, "Off": str},
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepSymlinkat("../target", fd, "link") },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Symlinkat(cstr(t, "../target"), fd, cstr(t, "link"))
		}},
	{name: "symlink", holds: true, deref: map[string]int{"Addr": str, "Off": str},
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepSymlink("/t", "l") },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Symlink(cstr(t, "/t"), cstr(t, "l")) }},
	{name: "linkat", holds: true, deref: map[string]int{"Addr": str, "Off": str},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepLinkat(fd, "old", fd2, "new", unix.AT_SYMLINK_FOLLOW)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Linkat(fd, cstr(t, "old"), fd2, cstr(t, "new"), unix.AT_SYMLINK_FOLLOW)
		}},
	{name: "link", holds: true, deref: map[string]int{"Addr": str, "Off": str},
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepLink("old", "new", 0) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Link(cstr(t, "old"), cstr(t, "new"), 0) }},

	// Extended attributes: names and paths are strings as above; the value is the caller's
	// buffer, the same address on both sides.
	{name: "fsetxattr", holds: true, deref: map[string]int{"Addr": str},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepFsetxattr(fd, "user.comment", bufB, unix.XATTR_CREATE)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Fsetxattr(fd, cstr(t, "user.comment"), addr(bufB), unix.XATTR_CREATE, uint32(len(bufB)))
		}},
	{name: "fsetxattr/empty-value", holds: true, deref: map[string]int{"Addr": str},
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepFsetxattr(fd, "user.empty", nil, 0) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Fsetxattr(fd, cstr(t, "user.empty"), 0, 0, 0) }},
	{name: "setxattr", holds: true, deref: map[string]int{"Addr": str, "Addr3": str},
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepSetxattr("/tmp/f", "user.x", bufB, unix.XATTR_REPLACE)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Setxattr(cstr(t, "user.x"), addr(bufB), cstr(t, "/tmp/f"), unix.XATTR_REPLACE, uint32(len(bufB)))
		}},
	{name: "fgetxattr", holds: true, deref: map[string]int{"Addr": str},
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepFgetxattr(fd, "user.comment", bufA) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Fgetxattr(fd, cstr(t, "user.comment"), addr(bufA), uint32(len(bufA)))
		}},
	{name: "fgetxattr/size-query", holds: true, deref: map[string]int{"Addr": str},
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepFgetxattr(fd, "user.comment", nil) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.Fgetxattr(fd, cstr(t, "user.comment"), 0, 0) }},
	{name: "getxattr", holds: true, deref: map[string]int{"Addr": str, "Addr3": str},
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepGetxattr("/tmp/f", "trusted.t", bufA) },
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.Getxattr(cstr(t, "trusted.t"), addr(bufA), cstr(t, "/tmp/f"), uint32(len(bufA)))
		}},

	// epoll: PrepEpollCtl takes epoll_ctl(2)'s order (epfd, op, fd, event), liburing's helper
	// (epfd, fd, op, event); the cases pass the same values to each in its own order.
	{name: "epoll_ctl", holds: true,
		ours: func(r *uring.Ring) (uring.SQE, error) {
			return r.PrepEpollCtl(fd, unix.EPOLL_CTL_ADD, fd2, &epollEvent)
		},
		theirs: func(t *testing.T) liburing.SQE {
			return liburing.EpollCtl(fd, fd2, unix.EPOLL_CTL_ADD, addrOf(&epollEvent))
		}},
	{name: "epoll_ctl/del", // no event: ours holds nothing, and the user data is the caller's
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepEpollCtl(fd, unix.EPOLL_CTL_DEL, fd2, nil) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.EpollCtl(fd, fd2, unix.EPOLL_CTL_DEL, 0) }},

	// Messages between rings.
	{name: "msg_ring",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepMsgRing(fd, 42, 0xfeedface, 0) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.MsgRing(fd, 42, 0xfeedface, 0) }},
	{name: "msg_ring/negative-result", // a negated errno for the target, in len
		ours: func(r *uring.Ring) (uring.SQE, error) { return r.PrepMsgRing(fd, -int32(unix.ECANCELED), 1, 0) },
		theirs: func(t *testing.T) liburing.SQE {
			res := -int32(unix.ECANCELED)
			return liburing.MsgRing(fd, uint32(res), 1, 0)
		}},
	// The flag word: the kernel refuses CQE_SKIP on a data message (EINVAL), but both helpers
	// store it where the kernel reads sqe->msg_ring_flags.
	{name: "msg_ring/flags",
		ours:   func(r *uring.Ring) (uring.SQE, error) { return r.PrepMsgRing(fd, 0, 2, uring.MsgRingCQESkip) },
		theirs: func(t *testing.T) liburing.SQE { return liburing.MsgRing(fd, 0, 2, liburing.MsgRingCQESkip) }},
}

// userData is set on both sides with SQE.SetUserData and io_uring_sqe_set_data64.
const userData = 0x0123456789abcdef

// tokenBit marks the Ring's tokens: the user data of operations that hold Go memory.
const tokenBit = 1 << 63

func decode(t *testing.T, b []byte) uring.RawSQE {
	t.Helper()
	var e uring.RawSQE
	if len(b) != int(unsafe.Sizeof(e)) {
		t.Fatalf("an entry of %d bytes, want %d", len(b), unsafe.Sizeof(e))
	}
	if err := binary.Read(bytes.NewReader(b), binary.NativeEndian, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestPrepConformance builds every case with the library and with liburing, and compares the
// two entries field by field.
func TestPrepConformance(t *testing.T) {
	for _, c := range prepCases {
		t.Run(c.name, func(t *testing.T) {
			r, err := uring.New(8)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close() // after the comparison: the Ring holds the memory ours points at
			s, err := c.ours(r)
			if err != nil {
				t.Fatal(err)
			}
			s.SetUserData(userData)
			theirsRaw := liburing.WithData64(c.theirs(t), userData)
			ours, theirs := decode(t, s.Bytes()), decode(t, theirsRaw[:])
			compareSQE(t, c, ours, theirs)
		})
	}
}

func compareSQE(t *testing.T, c prepCase, ours, theirs uring.RawSQE) {
	t.Helper()
	vo, vt := reflect.ValueOf(ours), reflect.ValueOf(theirs)
	for i := 0; i < vo.NumField(); i++ {
		name := vo.Type().Field(i).Name
		o, th := vo.Field(i).Interface(), vt.Field(i).Interface()
		switch n, deref := c.deref[name]; {
		case c.differs[name] != [2]uint64{}:
			want := c.differs[name]
			if po, pt := vo.Field(i).Uint(), vt.Field(i).Uint(); po != want[0] || pt != want[1] {
				t.Errorf("%s: ours %#x, liburing's %#x; want %#x and %#x", name, po, pt, want[0], want[1])
			}
		case name == "UserData" && c.holds:
			if ours.UserData&tokenBit == 0 || ours.UserData == userData || theirs.UserData != userData {
				t.Errorf("user data: ours %#x, want a token; liburing's %#x, want %#x", ours.UserData, theirs.UserData, uint64(userData))
			}
		case deref:
			po, pt := vo.Field(i).Uint(), vt.Field(i).Uint()
			if po == 0 || pt == 0 {
				t.Errorf("%s: ours %#x, liburing's %#x: want both to point at memory", name, po, pt)
				continue
			}
			read := func(p uint64) []byte { return liburing.ReadMem(uintptr(p), n) }
			if n == str {
				read = func(p uint64) []byte { return liburing.ReadCString(uintptr(p)) }
			}
			if bo, bt := read(po), read(pt); !bytes.Equal(bo, bt) {
				t.Errorf("%s points at % x in ours, % x in liburing's", name, bo, bt)
			}
		case o != th:
			t.Errorf("%s: ours %#x, liburing's %#x", name, o, th)
		}
	}
}

// TestEveryLiburingHelperAccounted reads the prep helpers out of <liburing.h> and checks that
// each one is compared by a case or listed in notCovered, and that the lists name nothing else.
func TestEveryLiburingHelperAccounted(t *testing.T) {
	inHeader := liburingHelpers(t)
	covered := coveredHelpers()
	for _, name := range inHeader {
		if listed := slices.Contains(notCovered, name); covered[name] == listed {
			t.Errorf("io_uring_prep_%s: covered %v, in notCovered %v; want exactly one", name, covered[name], listed)
		}
	}
	for _, name := range append(slices.Collect(maps.Keys(covered)), notCovered...) {
		if !slices.Contains(inHeader, name) {
			t.Errorf("%s is not a prep helper of this liburing.h", name)
		}
	}
	if len(inHeader) < 70 {
		t.Errorf("found %d prep helpers in liburing.h, fewer than liburing 2.3 has", len(inHeader))
	}
	t.Logf("%d of %d liburing prep helpers compared", len(covered), len(inHeader))
}

// liburingHelpers returns the names of the prep helpers of <liburing.h>, without io_uring_prep_.
func liburingHelpers(t *testing.T) []string {
	t.Helper()
	h, err := os.ReadFile("/usr/include/liburing.h")
	if err != nil {
		t.Fatalf("liburing.h (apt-get install liburing-dev): %v", err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`static inline void io_uring_prep_(\w+)\(`).FindAllSubmatch(h, -1) {
		if name := string(m[1]); name != "rw" { // the common helper the others call
			names = append(names, name)
		}
	}
	return names
}

// coveredHelpers returns the helpers that prepCases compare.
func coveredHelpers() map[string]bool {
	covered := map[string]bool{}
	for _, c := range prepCases {
		helper, _, _ := strings.Cut(c.name, "/")
		covered[helper] = true
	}
	return covered
}

// TestEveryPrepMethodAccounted checks the library's side: every Prep method of uring.Ring
// whose liburing helper is in <liburing.h> is compared by a case, and every other one is
// listed in notInLiburing23 (or in liburingName as having no helper), which names only
// helpers absent from <liburing.h>.
func TestEveryPrepMethodAccounted(t *testing.T) {
	inHeader := liburingHelpers(t)
	covered := coveredHelpers()
	for _, name := range notInLiburing23 {
		if slices.Contains(inHeader, name) {
			t.Errorf("io_uring_prep_%s is in this liburing.h: move it from notInLiburing23 to a case", name)
		}
	}
	ring := reflect.TypeFor[*uring.Ring]()
	methods := 0
	for i := range ring.NumMethod() {
		method := ring.Method(i).Name
		if !strings.HasPrefix(method, "Prep") {
			continue
		}
		methods++
		helper, ok := liburingName[method]
		if !ok {
			helper = snakeCase(strings.TrimPrefix(method, "Prep"))
		}
		switch {
		case helper == "":
		case slices.Contains(inHeader, helper):
			if !covered[helper] {
				t.Errorf("%s: liburing 2.3 has io_uring_prep_%s, and no case compares them", method, helper)
			}
		case !slices.Contains(notInLiburing23, helper):
			t.Errorf("%s: io_uring_prep_%s is not in liburing 2.3: list it in notInLiburing23 (or map the method in liburingName)", method, helper)
		}
	}
	for method := range liburingName {
		if _, ok := ring.MethodByName(method); !ok {
			t.Errorf("liburingName maps %s, which uring.Ring does not have", method)
		}
	}
	if methods < 50 {
		t.Errorf("found %d Prep methods of uring.Ring, fewer than the library has", methods)
	}
}

// snakeCase turns a method name's tail into liburing's spelling: MsgRingCQEFlags is
// msg_ring_cqe_flags, Openat2Direct openat2_direct, SendZC send_zc.
func snakeCase(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		upper := unicode.IsUpper(r)
		if upper && i > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if !unicode.IsUpper(prev) || nextLower {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"Nop": "nop", "SyncFileRange": "sync_file_range", "MsgRingCQEFlags": "msg_ring_cqe_flags",
		"Openat2Direct": "openat2_direct", "Readv2": "readv2", "Fadvise64": "fadvise64",
		"SendZC": "send_zc", "SendZCFixed": "send_zc_fixed", "CancelFd": "cancel_fd",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}
