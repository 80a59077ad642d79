package uring

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelAtLeast reports whether the running kernel is major.minor or newer.
func kernelAtLeast(t testing.TB, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(unix.ByteSliceToString(u.Release[:]), ".", 3)
	if len(parts) < 2 {
		t.Fatalf("kernel release %q", u.Release)
	}
	maj, _ := strconv.Atoi(parts[0])
	minStr := parts[1]
	if i := strings.IndexFunc(minStr, func(c rune) bool { return c < '0' || c > '9' }); i >= 0 {
		minStr = minStr[:i]
	}
	mnr, _ := strconv.Atoi(minStr)
	return maj > major || maj == major && mnr >= minor
}

func TestCmdSock(t *testing.T) {
	r := newRing(t, 8)
	c, s := tcpPair(t, unix.AF_INET)
	writeAll(t, c, []byte("12345"))
	waitInq(t, s, 5)
	must(t)(r.PrepCmdSock(SocketCmdSIOCINQ, s, 0, 0, nil)).SetUserData(1)
	wantRes(t, waitOne(t, r), 5)
	must(t)(r.PrepCmdSock(SocketCmdSIOCOUTQ, c, 0, 0, nil)).SetUserData(2)
	if c := waitOne(t, r); c.Res < 0 || c.Res > 5 {
		t.Fatalf("SIOCOUTQ: %+v (%v)", c, c.Err())
	}

	// setsockopt then getsockopt of SO_RCVBUF, as the plain system calls see it.
	val := make([]byte, 4)
	binary.NativeEndian.PutUint32(val, 40000)
	must(t)(r.PrepCmdSock(SocketCmdSetsockopt, s, unix.SOL_SOCKET, unix.SO_RCVBUF, val)).SetUserData(3)
	wantRes(t, waitOne(t, r), 0)
	want, err := unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF)
	if err != nil || want != 80000 { // the kernel doubles it
		t.Fatalf("SO_RCVBUF after the ring's setsockopt: %d, %v", want, err)
	}
	got := make([]byte, 8)
	must(t)(r.PrepCmdSock(SocketCmdGetsockopt, s, unix.SOL_SOCKET, unix.SO_RCVBUF, got)).SetUserData(4)
	wantRes(t, waitOne(t, r), 4) // the option's length
	if v := binary.NativeEndian.Uint32(got); int(v) != want {
		t.Fatalf("getsockopt SO_RCVBUF: %d, want %d", v, want)
	}
	// A level other than SOL_SOCKET works for setsockopt; getsockopt refuses it on 6.18.
	binary.NativeEndian.PutUint32(val, 1)
	must(t)(r.PrepCmdSock(SocketCmdSetsockopt, s, unix.IPPROTO_TCP, unix.TCP_NODELAY, val)).SetUserData(5)
	wantRes(t, waitOne(t, r), 0)
	if v, _ := unix.GetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_NODELAY); v != 1 {
		t.Fatalf("TCP_NODELAY %d after the ring's setsockopt", v)
	}
	must(t)(r.PrepCmdSock(SocketCmdGetsockopt, s, unix.IPPROTO_TCP, unix.TCP_NODELAY, got)).SetUserData(6)
	wantErrno(t, waitOne(t, r), syscall.EOPNOTSUPP)
	// Not a socket, a Unix socket (whose protocol has no ioctl), a command the socket does
	// not know.
	pr, _ := pipe(t)
	must(t)(r.PrepCmdSock(SocketCmdSIOCINQ, int(pr.Fd()), 0, 0, nil)).SetUserData(7)
	wantErrno(t, waitOne(t, r), syscall.EOPNOTSUPP)
	u, _ := socketpair(t, unix.SOCK_STREAM)
	must(t)(r.PrepCmdSock(SocketCmdSIOCINQ, u, 0, 0, nil)).SetUserData(7)
	wantErrno(t, waitOne(t, r), syscall.EOPNOTSUPP)
	must(t)(r.PrepCmdSock(SocketCmd(99), s, 0, 0, nil)).SetUserData(8)
	wantErrno(t, waitOne(t, r), syscall.EOPNOTSUPP)
	wantNoLiveSlots(t, r)

	if _, err := r.PrepCmdSock(SocketCmdSetsockopt, s, 1<<40, 0, val); !errors.Is(err, ErrInvalid) {
		t.Errorf("level out of range: %v", err)
	}
}

// TestCmdGetsockname checks SOCKET_URING_OP_GETSOCKNAME: Linux 6.19 answers it; 6.18 and older
// complete it with EOPNOTSUPP.
func TestCmdGetsockname(t *testing.T) {
	r := newRing(t, 4)
	c, s := tcpPair(t, unix.AF_INET6)
	for _, peer := range []bool{false, true} {
		sa := new(SockaddrBuf)
		must(t)(r.PrepCmdGetsockname(c, sa, peer)).SetUserData(1)
		cq := waitOne(t, r)
		if !kernelAtLeast(t, 6, 19) {
			wantErrno(t, cq, syscall.EOPNOTSUPP)
			continue
		}
		wantRes(t, cq, 0)
		want, _ := unix.Getsockname(c)
		if peer {
			want, _ = unix.Getsockname(s)
		}
		if got, err := sa.AddrPort(); err != nil || got != addrPort(t, want) {
			t.Fatalf("peer %v: %v (%v), want %v", peer, got, err, want)
		}
	}
	if _, err := r.PrepCmdGetsockname(c, nil, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil SockaddrBuf: %v", err)
	}
	wantNoLiveSlots(t, r)
}

// TestUringCmd checks the generic command: the bytes land in the SQE's command area, whose
// room depends on the SQE size, and files without commands refuse it.
func TestUringCmd(t *testing.T) {
	for _, big := range []bool{false, true} {
		var opts []Option
		room := 16
		if big {
			opts, room = append(opts, WithSQE128()), 80
		}
		r := newRing(t, 4, opts...)
		if r.CmdSize() != room {
			t.Fatalf("CmdSize %d, want %d", r.CmdSize(), room)
		}
		if _, err := r.PrepUringCmd(0, 0, make([]byte, room+1)); !errors.Is(err, ErrInvalid) {
			t.Fatalf("%d bytes of command: %v", room+1, err)
		}
		// Leave stale bytes where the next entry's command goes; they must be cleared.
		if big {
			must(t)(r.PrepNop())
			waitOne(t, r)
			e := r.sq.entry(r.sq.tail)
			for i := range 128 {
				*(*byte)(unsafe.Add(unsafe.Pointer(e), i)) = 0xee
			}
		}
		_, s := tcpPair(t, unix.AF_INET)
		cmd := pattern(room-3, 1)
		q := must(t)(r.PrepUringCmd(uint32(SocketCmdSIOCINQ), s, cmd))
		area := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(q.e), cmdOffset)), room)
		wantBytes(t, area[:len(cmd)], cmd)
		wantBytes(t, area[len(cmd):], make([]byte, 3))
		if op := *(*uint32)(unsafe.Pointer(&q.e.Off)); op != uint32(SocketCmdSIOCINQ) || q.e.Opcode != uint8(OpUringCmd) {
			t.Fatalf("cmd_op %d, opcode %d", op, q.e.Opcode)
		}
		q.SetUserData(1)
		wantRes(t, waitOne(t, r), 0) // the socket ignores the bytes: nothing queued
		f := tempFile(t, nil)
		must(t)(r.PrepUringCmd(0, int(f.Fd()), nil)).SetUserData(2)
		wantErrno(t, waitOne(t, r), syscall.EOPNOTSUPP)
		wantNoLiveSlots(t, r)
	}
}
