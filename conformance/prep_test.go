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
	"testing"
	"time"
	"unsafe"

	"github.com/uringo/uring"
	"github.com/uringo/uring/conformance/liburing"
	"golang.org/x/sys/unix"
)

// notCovered lists the prep helpers of liburing 2.3 (Debian's liburing-dev) that no case below
// compares yet, because the library has no helper for their operation yet. Adding a helper to
// the library means moving its name from here to a case in prepCases;
// TestEveryLiburingHelperAccounted checks the two lists against <liburing.h>.
var notCovered = []string{
	"splice", "tee", "read_fixed", "write_fixed", "recvmsg", "recvmsg_multishot", "sendmsg",
	"accept", "accept_direct", "multishot_accept", "multishot_accept_direct", "connect",
	"files_update", "openat", "openat_direct", "close", "close_direct", "statx", "fadvise",
	"madvise", "send", "send_zc", "send_zc_fixed", "sendmsg_zc", "send_set_addr", "recv",
	"recv_multishot", "openat2", "openat2_direct", "epoll_ctl", "provide_buffers",
	"remove_buffers", "shutdown", "unlinkat", "unlink", "renameat", "rename", "mkdirat", "mkdir",
	"symlinkat", "symlink", "linkat", "link", "msg_ring", "getxattr", "setxattr", "fgetxattr",
	"fsetxattr", "socket", "socket_direct", "socket_direct_alloc",
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
	// timespec), with the number of bytes to compare where they point.
	deref map[string]int
}

const fd = 7 // an fd number; nothing is submitted

var (
	bufA = make([]byte, 4096)
	bufB = make([]byte, 512)
)

// addr is the address of b's first byte: liburing's side stores the same address as ours.
func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

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
			if bo, bt := liburing.ReadMem(uintptr(po), n), liburing.ReadMem(uintptr(pt), n); !bytes.Equal(bo, bt) {
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
	h, err := os.ReadFile("/usr/include/liburing.h")
	if err != nil {
		t.Fatalf("liburing.h (apt-get install liburing-dev): %v", err)
	}
	var inHeader []string
	for _, m := range regexp.MustCompile(`static inline void io_uring_prep_(\w+)\(`).FindAllSubmatch(h, -1) {
		if name := string(m[1]); name != "rw" { // the common helper the others call
			inHeader = append(inHeader, name)
		}
	}
	covered := map[string]bool{}
	for _, c := range prepCases {
		helper, _, _ := strings.Cut(c.name, "/")
		covered[helper] = true
	}
	for _, name := range inHeader {
		if covered[name] == slices.Contains(notCovered, name) {
			t.Errorf("io_uring_prep_%s: covered %v, in notCovered %v; want exactly one", name, covered[name], !covered[name])
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
