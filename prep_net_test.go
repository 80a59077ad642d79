package uring

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

// sock opens a socket closed at the end of the test.
func sock(t testing.TB, domain, typ int) int {
	t.Helper()
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// newFd checks a completion that returns a new fd and closes it at the end of the test.
func newFd(t testing.TB, c CQE) int {
	t.Helper()
	if c.Res < 0 {
		t.Fatalf("completion %d: %v, want a new fd", c.UserData, c.Err())
	}
	t.Cleanup(func() { unix.Close(int(c.Res)) })
	return int(c.Res)
}

// loopback returns the loopback address of family, port 0.
func loopback(family int) unix.Sockaddr {
	if family == unix.AF_INET6 {
		return &unix.SockaddrInet6{Addr: [16]byte{15: 1}}
	}
	return &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
}

// boundSock returns a socket of family and typ bound to a loopback port, and its address.
func boundSock(t testing.TB, family, typ int) (int, unix.Sockaddr) {
	t.Helper()
	fd := sock(t, family, typ)
	if err := unix.Bind(fd, loopback(family)); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fd, sa
}

// tcpListener returns a listening TCP socket on loopback and its address.
func tcpListener(t testing.TB, family int) (int, unix.Sockaddr) {
	t.Helper()
	fd, sa := boundSock(t, family, unix.SOCK_STREAM)
	if err := unix.Listen(fd, 64); err != nil {
		t.Fatal(err)
	}
	return fd, sa
}

// dial returns a TCP socket connected to sa, a listener on loopback.
func dial(t testing.TB, family int, sa unix.Sockaddr) int {
	t.Helper()
	fd := sock(t, family, unix.SOCK_STREAM)
	if err := unix.Connect(fd, sa); err != nil {
		t.Fatal(err)
	}
	return fd
}

// dialAndWait submits what is prepared (an accept), connects a client to sa and returns the
// next completion.
func dialAndWait(t testing.TB, r *Ring, family int, sa unix.Sockaddr) CQE {
	t.Helper()
	submit(t, r)
	dial(t, family, sa)
	return waitCQE(t, r)
}

// tcpPair returns a connected pair of TCP sockets on loopback.
func tcpPair(t testing.TB, family int) (client, server int) {
	t.Helper()
	l, sa := tcpListener(t, family)
	client = dial(t, family, sa)
	server, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(server) })
	return client, server
}

// socketpair returns a connected pair of Unix sockets of typ.
func socketpair(t testing.TB, typ int) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

// readFull reads exactly n bytes from a blocking fd.
func readFull(t testing.TB, fd, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	for got := 0; got < n; {
		m, err := unix.Read(fd, b[got:])
		if err != nil || m == 0 {
			t.Fatalf("read after %d of %d bytes: %d, %v", got, n, m, err)
		}
		got += m
	}
	return b
}

func writeAll(t testing.TB, fd int, b []byte) {
	t.Helper()
	if n, err := unix.Write(fd, b); err != nil || n != len(b) {
		t.Fatalf("write: %d, %v", n, err)
	}
}

// waitInq waits until n bytes wait in socket fd's receive queue.
func waitInq(t testing.TB, fd, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		q, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
		if err != nil {
			t.Fatal(err)
		}
		if q >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// submit submits what is prepared.
func submit(t testing.TB, r *Ring) {
	t.Helper()
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
}

// mustBufRing fails the test on a SetupBufRing error and returns the ring.
func mustBufRing(t testing.TB) func(*BufRing, error) *BufRing {
	return func(br *BufRing, err error) *BufRing {
		t.Helper()
		if err != nil {
			t.Fatalf("buffer ring: %v", err)
		}
		return br
	}
}

// nextShot waits for the next completion of a multishot operation that takes provided
// buffers, checks that it is userData's, still armed and with a buffer, and returns it with
// the buffer's id.
func nextShot(t testing.TB, r *Ring, userData uint64) (CQE, uint16) {
	t.Helper()
	c := waitCQE(t, r)
	bid, ok := c.BufferID()
	if c.UserData != userData || !c.More() || !ok {
		t.Fatalf("completion %+v (%v), want user data %d with CQEFMore and a buffer", c, c.Err(), userData)
	}
	return c, bid
}

// ioprio returns the ioprio field of a prepared entry.
func ioprio(s SQE) uint16 { return s.e.Ioprio }

func addrPort(t testing.TB, sa unix.Sockaddr) netip.AddrPort {
	t.Helper()
	ap, err := AddrPortOf(sa)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func TestSockaddrEncoding(t *testing.T) {
	long := strings.Repeat("x", 108)
	for _, tc := range []struct {
		sa   unix.Sockaddr
		len  int
		want unix.Sockaddr // nil: sa itself
	}{
		{&unix.SockaddrInet4{Port: 8080, Addr: [4]byte{10, 1, 2, 3}}, unix.SizeofSockaddrInet4, nil},
		{&unix.SockaddrInet6{Port: 443, Addr: [16]byte{0: 0xfe, 1: 0x80, 15: 7}, ZoneId: 3}, unix.SizeofSockaddrInet6, nil},
		{&unix.SockaddrUnix{Name: "/tmp/sock"}, 2 + 9 + 1, nil},
		{&unix.SockaddrUnix{Name: "@abstract"}, 2 + 9, nil},
		{&unix.SockaddrUnix{Name: "\x00abstract"}, 2 + 9, &unix.SockaddrUnix{Name: "@abstract"}},
		{&unix.SockaddrUnix{Name: "@" + long[1:]}, 2 + 108, nil},
		{&unix.SockaddrUnix{Name: long[1:]}, 2 + 107 + 1, nil},
		{&unix.SockaddrUnix{}, 2, nil},
	} {
		var b SockaddrBuf
		if err := b.set("test", tc.sa); err != nil {
			t.Fatalf("%#v: %v", tc.sa, err)
		}
		if b.Len() != tc.len {
			t.Errorf("%#v: length %d, want %d", tc.sa, b.Len(), tc.len)
		}
		got, err := b.Sockaddr()
		if err != nil {
			t.Fatalf("%#v: decode: %v", tc.sa, err)
		}
		want := tc.want
		if want == nil {
			want = tc.sa
		}
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
			t.Errorf("round trip: %#v, want %#v", got, want)
		}
	}
	// Port bytes are in network order, as the kernel reads them.
	var b SockaddrBuf
	b.set("test", &unix.SockaddrInet4{Port: 0x1234})
	if raw := (*[4]byte)(unsafe.Pointer(&b.raw)); raw[2] != 0x12 || raw[3] != 0x34 {
		t.Errorf("port bytes % x", raw[2:4])
	}

	for _, sa := range []unix.Sockaddr{
		nil,
		&unix.SockaddrNetlink{},
		&unix.SockaddrInet4{Port: 70000},
		&unix.SockaddrInet6{Port: -1},
		&unix.SockaddrUnix{Name: long},
		&unix.SockaddrUnix{Name: "@" + long},
	} {
		if err := new(SockaddrBuf).set("PrepConnect", sa); !errors.Is(err, ErrInvalid) {
			t.Errorf("%#v: %v, want ErrInvalid", sa, err)
		}
	}
	for _, raw := range [][]byte{{}, {1}, {byte(unix.AF_INET), 0, 1}, {byte(unix.AF_INET6), 0, 1, 2, 3, 4, 5, 6}, {byte(unix.AF_NETLINK), 0, 0, 0}} {
		if _, err := decodeSockaddr(raw); err == nil {
			t.Errorf("decoded % x", raw)
		}
	}
	var empty SockaddrBuf
	if _, err := empty.AddrPort(); !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Errorf("empty SockaddrBuf: %v", err)
	}
}

func TestSockaddrNetip(t *testing.T) {
	for _, s := range []string{"127.0.0.1:80", "[::1]:65535", "[fe80::1%1]:5", "[::ffff:10.0.0.1]:7"} {
		ap := netip.MustParseAddrPort(s)
		sa := SockaddrOf(ap)
		if sa == nil {
			t.Fatalf("SockaddrOf(%v) = nil", ap)
		}
		back, err := AddrPortOf(sa)
		if err != nil {
			t.Fatal(err)
		}
		if back.Addr().WithZone("") != ap.Addr().WithZone("") || back.Port() != ap.Port() {
			t.Errorf("%v -> %#v -> %v", ap, sa, back)
		}
	}
	if sa := SockaddrOf(netip.MustParseAddrPort("[fe80::1%lo]:5")).(*unix.SockaddrInet6); sa.ZoneId != 1 {
		t.Errorf("zone lo: index %d, want 1", sa.ZoneId)
	}
	if ap := addrPort(t, &unix.SockaddrInet6{ZoneId: 1}); ap.Addr().Zone() != "lo" {
		t.Errorf("zone of index 1: %q, want lo", ap.Addr().Zone())
	}
	if ap := addrPort(t, &unix.SockaddrInet6{ZoneId: 4242}); ap.Addr().Zone() != "4242" {
		t.Errorf("zone of an unknown index: %q", ap.Addr().Zone())
	}
	if SockaddrOf(netip.AddrPort{}) != nil || SockaddrOf(netip.MustParseAddrPort("[fe80::1%nosuchif]:1")) != nil {
		t.Error("SockaddrOf of an invalid address is not nil")
	}
	if _, err := AddrPortOf(&unix.SockaddrUnix{Name: "/x"}); !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Errorf("AddrPortOf(unix): %v", err)
	}
	r := newRing(t, 4)
	if _, err := r.PrepConnect(0, SockaddrOf(netip.AddrPort{})); !errors.Is(err, ErrInvalid) {
		t.Errorf("PrepConnect(zero AddrPort): %v", err)
	}
}

// TestTCPLifecycle runs a TCP connection through the ring from socket(2) to shutdown(2), over
// IPv4 and IPv6.
func TestTCPLifecycle(t *testing.T) {
	for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
		t.Run(strconv.Itoa(family), func(t *testing.T) {
			r := newRing(t, 16)
			must(t)(r.PrepSocket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0))
			lfd := newFd(t, waitOne(t, r))
			must(t)(r.PrepBind(lfd, loopback(family))).SetUserData(2)
			wantRes(t, waitOne(t, r), 0)
			must(t)(r.PrepListen(lfd, 8)).SetUserData(3)
			wantRes(t, waitOne(t, r), 0)
			laddr, err := unix.Getsockname(lfd)
			if err != nil {
				t.Fatal(err)
			}
			must(t)(r.PrepSocket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0))
			cfd := newFd(t, waitOne(t, r))

			peer := new(SockaddrBuf)
			must(t)(r.PrepAccept(lfd, peer, AcceptCloexec)).SetUserData(10)
			must(t)(r.PrepConnect(cfd, laddr)).SetUserData(11)
			cqes := byUserData(t, submitWait(t, r, 2))
			wantRes(t, cqes[11], 0)
			sfd := newFd(t, cqes[10])
			caddr, _ := unix.Getsockname(cfd)
			if got, err := peer.AddrPort(); err != nil || got != addrPort(t, caddr) {
				t.Fatalf("accepted peer %v (%v), want %v", got, err, addrPort(t, caddr))
			}

			msg := pattern(3000, 1)
			buf := make([]byte, 4000)
			must(t)(r.PrepSend(cfd, msg, 0)).SetUserData(20)
			must(t)(r.PrepRecv(sfd, buf[:len(msg)], MsgWaitAll)).SetUserData(21)
			cqes = byUserData(t, submitWait(t, r, 2))
			wantRes(t, cqes[20], int32(len(msg)))
			wantRes(t, cqes[21], int32(len(msg)))
			wantBytes(t, buf[:len(msg)], msg)

			// A receive waiting for data sees the end of the stream when the peer shuts down.
			must(t)(r.PrepRecv(sfd, buf, 0)).SetUserData(31)
			must(t)(r.PrepShutdown(cfd, unix.SHUT_WR)).SetUserData(30)
			cqes = byUserData(t, submitWait(t, r, 2))
			wantRes(t, cqes[30], 0)
			wantRes(t, cqes[31], 0)
			wantNoLiveSlots(t, r)

			// Errors come back in the completion.
			must(t)(r.PrepConnect(cfd, laddr)).SetUserData(40)
			wantErrno(t, waitOne(t, r), syscall.EISCONN)
			must(t)(r.PrepListen(-1, 1)).SetUserData(41)
			wantErrno(t, waitOne(t, r), syscall.EBADF)
			must(t)(r.PrepBind(sfd, loopback(family))).SetUserData(42)
			wantErrno(t, waitOne(t, r), syscall.EINVAL)
			must(t)(r.PrepShutdown(sfd, 99)).SetUserData(43)
			wantErrno(t, waitOne(t, r), syscall.EINVAL)
			wantNoLiveSlots(t, r)
		})
	}
}

// TestUnixStream passes data and a file descriptor (SCM_RIGHTS) over a Unix stream socket bound
// to a path, with sendmsg and recvmsg.
func TestUnixStream(t *testing.T) {
	r := newRing(t, 16)
	path := tempPath(t, "sock")
	must(t)(r.PrepSocket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0))
	lfd := newFd(t, waitOne(t, r))
	must(t)(r.PrepBind(lfd, &unix.SockaddrUnix{Name: path})).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepListen(lfd, 4)).SetUserData(2)
	wantRes(t, waitOne(t, r), 0)
	if fi, err := os.Stat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("bound path: %v %v", fi, err)
	}
	cfd := sock(t, unix.AF_UNIX, unix.SOCK_STREAM)
	peer := new(SockaddrBuf)
	must(t)(r.PrepAccept(lfd, peer, 0)).SetUserData(3)
	must(t)(r.PrepConnect(cfd, &unix.SockaddrUnix{Name: path})).SetUserData(4)
	cqes := byUserData(t, submitWait(t, r, 2))
	wantRes(t, cqes[4], 0)
	sfd := newFd(t, cqes[3])
	if sa, err := peer.Sockaddr(); err != nil || sa.(*unix.SockaddrUnix).Name != "" {
		t.Fatalf("peer of an unbound client: %#v, %v", sa, err)
	}

	pr, pw := pipe(t)
	sm := &Msg{Buffers: [][]byte{[]byte("fd:"), nil, []byte("x")}, Control: unix.UnixRights(int(pr.Fd()))}
	must(t)(r.PrepSendmsg(cfd, sm, 0)).SetUserData(5)
	wantRes(t, waitOne(t, r), 4)
	rm := &Msg{Buffers: [][]byte{make([]byte, 2), make([]byte, 8)}, Control: make([]byte, 64)}
	must(t)(r.PrepRecvmsg(sfd, rm, MsgCmsgCloexec)).SetUserData(6)
	wantRes(t, waitOne(t, r), 4)
	wantBytes(t, append(rm.Buffers[0], rm.Buffers[1][:2]...), []byte("fd:x"))
	// The kernel reports MsgCmsgCloexec back with the message's flags.
	if rm.ControlLen() != unix.CmsgSpace(4) || rm.Flags()&^MsgCmsgCloexec != 0 {
		t.Fatalf("control length %d, flags %#x", rm.ControlLen(), rm.Flags())
	}
	scms, err := unix.ParseSocketControlMessage(rm.Control[:rm.ControlLen()])
	if err != nil || len(scms) != 1 {
		t.Fatalf("control messages %v %v", scms, err)
	}
	fds, err := unix.ParseUnixRights(&scms[0])
	if err != nil || len(fds) != 1 {
		t.Fatal(fds, err)
	}
	t.Cleanup(func() { unix.Close(fds[0]) })
	if _, err := pw.Write([]byte("via passed fd")); err != nil {
		t.Fatal(err)
	}
	wantBytes(t, readFull(t, fds[0], 13), []byte("via passed fd"))
	if _, err := rm.Source(); !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Errorf("source on a stream socket: %v", err)
	}
	wantNoLiveSlots(t, r)
}

// TestUnixDatagram sends to and receives from Unix datagram sockets with abstract names.
func TestUnixDatagram(t *testing.T) {
	r := newRing(t, 8)
	base := "@uring-test-" + strconv.Itoa(os.Getpid()) + "-" + t.Name()
	a := sock(t, unix.AF_UNIX, unix.SOCK_DGRAM)
	if err := unix.Bind(a, &unix.SockaddrUnix{Name: base + "-a"}); err != nil {
		t.Fatal(err)
	}
	b := sock(t, unix.AF_UNIX, unix.SOCK_DGRAM)
	must(t)(r.PrepBind(b, &unix.SockaddrUnix{Name: base + "-b"})).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)

	must(t)(r.PrepSendto(b, []byte("datagram!"), 0, &unix.SockaddrUnix{Name: base + "-a"})).SetUserData(2)
	wantRes(t, waitOne(t, r), 9)
	rm := &Msg{Buffers: [][]byte{make([]byte, 4)}}
	must(t)(r.PrepRecvmsg(a, rm, 0)).SetUserData(3)
	wantRes(t, waitOne(t, r), 4)
	if rm.Flags()&MsgTrunc == 0 {
		t.Errorf("flags %#x, want MsgTrunc", rm.Flags())
	}
	if sa, err := rm.Source(); err != nil || sa.(*unix.SockaddrUnix).Name != base+"-b" {
		t.Fatalf("source %#v, %v", sa, err)
	}
	// With MsgTrunc, recv reports the datagram's real length.
	must(t)(r.PrepSendto(b, []byte("0123456789"), 0, &unix.SockaddrUnix{Name: base + "-a"})).SetUserData(4)
	wantRes(t, waitOne(t, r), 10)
	small := make([]byte, 3)
	must(t)(r.PrepRecv(a, small, MsgTrunc)).SetUserData(5)
	wantRes(t, waitOne(t, r), 10)
	wantBytes(t, small, []byte("012"))
	// A receive with MsgDontWait on an empty socket fails at once.
	must(t)(r.PrepRecv(a, small, MsgDontWait)).SetUserData(6)
	wantErrno(t, waitOne(t, r), syscall.EAGAIN)
	wantNoLiveSlots(t, r)
}

// TestUDP sends datagrams with sendto and sendmsg and reads the sender's address back with
// recvmsg, over IPv4 and IPv6.
func TestUDP(t *testing.T) {
	for _, family := range []int{unix.AF_INET, unix.AF_INET6} {
		t.Run(strconv.Itoa(family), func(t *testing.T) {
			r := newRing(t, 8)
			a, aaddr := boundSock(t, family, unix.SOCK_DGRAM)
			b, baddr := boundSock(t, family, unix.SOCK_DGRAM)
			must(t)(r.PrepSendto(b, []byte("one"), 0, aaddr)).SetUserData(1)
			sm := &Msg{Buffers: [][]byte{[]byte("tw"), []byte("o!")}, Addr: SockaddrOf(addrPort(t, aaddr))}
			must(t)(r.PrepSendmsg(b, sm, 0)).SetUserData(2)
			cqes := byUserData(t, submitWait(t, r, 2))
			wantRes(t, cqes[1], 3)
			wantRes(t, cqes[2], 4)
			for _, want := range []string{"one", "two!"} {
				rm := &Msg{Buffers: [][]byte{make([]byte, 16)}}
				must(t)(r.PrepRecvmsg(a, rm, 0)).SetUserData(3)
				c := waitOne(t, r)
				wantRes(t, c, int32(len(want)))
				wantBytes(t, rm.Buffers[0][:c.Res], []byte(want))
				src, err := rm.Source()
				if err != nil || addrPort(t, src) != addrPort(t, baddr) {
					t.Fatalf("source %v (%v), want %v", src, err, baddr)
				}
			}
			// Sending on a socket of the other family fails in the completion.
			other := unix.AF_INET6 + unix.AF_INET - family
			must(t)(r.PrepSendto(b, []byte("x"), 0, loopback(other))).SetUserData(4)
			if c := waitOne(t, r); c.Res >= 0 {
				t.Fatalf("sendto an address of another family: %d", c.Res)
			}
			wantNoLiveSlots(t, r)
		})
	}
}

func TestAcceptFlags(t *testing.T) {
	r := newRing(t, 8)
	l, sa := tcpListener(t, unix.AF_INET)
	// Nothing pending: AcceptDontWait fails at once.
	must(t)(r.PrepAccept(l, nil, AcceptDontWait)).SetUserData(1)
	wantErrno(t, waitOne(t, r), syscall.EAGAIN)

	dial(t, unix.AF_INET, sa)
	must(t)(r.PrepAccept(l, nil, AcceptNonblock|AcceptCloexec)).SetUserData(2)
	fd := newFd(t, waitOne(t, r))
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&unix.O_NONBLOCK == 0 {
		t.Error("AcceptNonblock: fd is blocking")
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
		t.Error("AcceptCloexec: fd lacks FD_CLOEXEC")
	}
	dial(t, unix.AF_INET, sa)
	must(t)(r.PrepAccept(l, nil, 0)).SetUserData(3)
	fd = newFd(t, waitOne(t, r))
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
		t.Error("fd is non-blocking without AcceptNonblock")
	}

	// AcceptPollFirst waits for the connection before accepting.
	s := must(t)(r.PrepAccept(l, nil, AcceptPollFirst))
	s.SetUserData(4)
	if ioprio(s) != abi.IORING_ACCEPT_POLL_FIRST || s.e.OpFlags != 0 {
		t.Fatalf("ioprio %#x, accept_flags %#x", ioprio(s), s.e.OpFlags)
	}
	newFd(t, dialAndWait(t, r, unix.AF_INET, sa))
	// SetPollFirst sets the same flag; with no connection pending, the accept waits.
	if s := must(t)(r.PrepAccept(l, nil, 0)).SetPollFirst().SetUserData(9); ioprio(s) != abi.IORING_ACCEPT_POLL_FIRST {
		t.Errorf("SetPollFirst on accept: ioprio %#x", ioprio(s))
	}
	// An accept4 flag the kernel does not know is its EINVAL.
	must(t)(r.PrepAccept(l, nil, 1<<30)).SetUserData(5)
	c5 := waitOne(t, r)
	if c5.UserData != 5 {
		t.Fatalf("completion %+v, want user data 5", c5)
	}
	wantErrno(t, c5, syscall.EINVAL)
	must(t)(r.PrepCancel(9, 0)).SetUserData(6)
	cqes := byUserData(t, submitWait(t, r, 2))
	wantRes(t, cqes[6], 0)
	wantErrno(t, cqes[9], syscall.ECANCELED)
	wantNoLiveSlots(t, r)
}

// TestMultishotAccept takes several connections with one accept.
func TestMultishotAccept(t *testing.T) {
	r := newRing(t, 8)
	l, sa := tcpListener(t, unix.AF_INET6)
	must(t)(r.PrepMultishotAccept(l, AcceptCloexec)).SetUserData(7)
	submit(t, r)
	const n = 4
	clients := map[netip.AddrPort]bool{}
	for i := 0; i < n; i++ {
		c := dial(t, unix.AF_INET6, sa)
		ca, _ := unix.Getsockname(c)
		clients[addrPort(t, ca)] = true
	}
	fds := map[int]bool{}
	for len(fds) < n {
		c := waitCQE(t, r)
		if c.UserData != 7 || !c.More() {
			t.Fatalf("completion %+v, want user data 7 with CQEFMore", c)
		}
		fd := newFd(t, c)
		peer, err := unix.Getpeername(fd)
		if err != nil || !clients[addrPort(t, peer)] {
			t.Fatalf("accepted fd's peer %v (%v) is none of the clients", peer, err)
		}
		fds[fd] = true
	}
	must(t)(r.PrepCancel(7, 0)).SetUserData(8)
	cqes := byUserData(t, submitWait(t, r, 2))
	wantRes(t, cqes[8], 0)
	wantErrno(t, cqes[7], syscall.ECANCELED)
	if cqes[7].More() {
		t.Fatal("the cancelled accept's last completion has CQEFMore")
	}
	wantNoLiveSlots(t, r)
}

// TestDirectDescriptors creates and accepts sockets straight into the registered file table
// and uses them through it.
func TestDirectDescriptors(t *testing.T) {
	r := newRing(t, 16)
	registerSparseFiles(t, r, 8)
	// slots records the table's used slots; allocation returns a free one (the kernel
	// searches from after the last slot it filled).
	slots := map[int32]bool{5: true}
	alloc := func(c CQE) int32 {
		t.Helper()
		if c.Res < 0 || c.Res >= 8 || slots[c.Res] {
			t.Fatalf("allocated slot: %+v (%v); used %v", c, c.Err(), slots)
		}
		slots[c.Res] = true
		return c.Res
	}
	must(t)(r.PrepSocketDirect(unix.AF_INET, unix.SOCK_STREAM, 0, 5)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepSocketDirectAlloc(unix.AF_INET, unix.SOCK_STREAM, 0)).SetUserData(2)
	alloc(waitOne(t, r))
	must(t)(r.PrepSocketDirect(unix.AF_INET, unix.SOCK_STREAM, 0, FileIndexAlloc)).SetUserData(3)
	alloc(waitOne(t, r))

	l, sa := tcpListener(t, unix.AF_INET)
	must(t)(r.PrepConnect(5, sa)).SetFlags(SQEFixedFile).SetUserData(4)
	wantRes(t, waitOne(t, r), 0)
	peer := new(SockaddrBuf)
	must(t)(r.PrepAcceptDirect(l, peer, 0, FileIndexAlloc)).SetUserData(5)
	accepted := alloc(waitOne(t, r))
	if _, err := peer.AddrPort(); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepSend(5, []byte("direct"), 0)).SetFlags(SQEFixedFile).SetUserData(6)
	buf := make([]byte, 6)
	must(t)(r.PrepRecv(int(accepted), buf, MsgWaitAll)).SetFlags(SQEFixedFile).SetUserData(7)
	cqes := byUserData(t, submitWait(t, r, 2))
	wantRes(t, cqes[6], 6)
	wantRes(t, cqes[7], 6)
	wantBytes(t, buf, []byte("direct"))

	must(t)(r.PrepAcceptDirect(l, nil, 0, 7)).SetUserData(8)
	wantRes(t, dialAndWait(t, r, unix.AF_INET, sa), 0) // into slot 7 as asked
	slots[7] = true

	must(t)(r.PrepMultishotAcceptDirect(l, 0)).SetUserData(9)
	for i := 0; i < 2; i++ {
		cq := dialAndWait(t, r, unix.AF_INET, sa)
		if cq.UserData != 9 || !cq.More() {
			t.Fatalf("multishot direct accept: %+v", cq)
		}
		alloc(cq)
	}
	must(t)(r.PrepCancel(9, 0)).SetUserData(10)
	submitWait(t, r, 2)

	if _, err := r.PrepAcceptDirect(l, nil, 0, FileIndexAlloc-1); !errors.Is(err, ErrInvalid) {
		t.Errorf("index out of range: %v", err)
	}
	if _, err := r.PrepSocketDirect(unix.AF_INET, unix.SOCK_STREAM, 0, FileIndexAlloc-1); !errors.Is(err, ErrInvalid) {
		t.Errorf("index out of range: %v", err)
	}
	// A slot past the table is the kernel's EINVAL.
	must(t)(r.PrepSocketDirect(unix.AF_INET, unix.SOCK_STREAM, 0, 8)).SetUserData(11)
	wantErrno(t, waitOne(t, r), syscall.EINVAL)
	wantNoLiveSlots(t, r)
}

func TestRecvPollFirst(t *testing.T) {
	r := newRing(t, 8)
	a, b := socketpair(t, unix.SOCK_STREAM)
	buf := make([]byte, 8)
	s := must(t)(r.PrepRecv(b, buf, 0)).SetPollFirst().SetUserData(1)
	if ioprio(s) != abi.IORING_RECVSEND_POLL_FIRST {
		t.Fatalf("ioprio %#x", ioprio(s))
	}
	submit(t, r)
	writeAll(t, a, []byte("later"))
	wantRes(t, waitOne(t, r), 5)
	wantBytes(t, buf[:5], []byte("later"))
	must(t)(r.PrepSend(a, []byte("x"), 0)).SetPollFirst().SetUserData(2)
	wantRes(t, waitOne(t, r), 1)
	if s := must(t)(r.PrepNop()).SetPollFirst(); ioprio(s) != 0 {
		t.Errorf("SetPollFirst changed a NOP: ioprio %#x", ioprio(s))
	}
	waitOne(t, r)
	wantNoLiveSlots(t, r)
}

// TestSendZC checks the two completions of a zero-copy send and that the Ring holds the buffer
// until the notification: the caller drops its last reference before the kernel is done with
// it, the garbage collector runs and the heap is reused, and the data must still arrive intact.
func TestSendZC(t *testing.T) {
	r := newRing(t, 8)
	c, s := tcpPair(t, unix.AF_INET)
	// Fill the socket's small send buffer first, so that the zero-copy send, waiting for room
	// (SetPollFirst), has read none of its buffer when the caller drops it.
	unix.SetsockoptInt(c, unix.SOL_SOCKET, unix.SO_SNDBUF, 8<<10)
	junk := 0
	for {
		m, err := unix.SendmsgN(c, make([]byte, 4096), nil, nil, unix.MSG_DONTWAIT)
		if err != nil {
			if !errors.Is(err, syscall.EAGAIN) {
				t.Fatal(err)
			}
			break
		}
		junk += m
	}
	const n = 1 << 20
	want := pattern(n, 7)
	func() {
		buf := make([]byte, n)
		copy(buf, want)
		must(t)(r.PrepSendZC(c, buf, MsgWaitAll, SendZCReportUsage)).SetPollFirst().SetUserData(1)
	}()
	submit(t, r)
	var garbage [][]byte
	for i := 0; i < 4; i++ {
		runtime.GC()
		g := make([]byte, n) // the size class of the dropped buffer: reuses its memory
		for j := range g {
			g[j] = 0xff
		}
		garbage = append(garbage, g)
	}
	got := make(chan []byte, 1)
	go func() { // the receiver, reading as the kernel sends
		b := make([]byte, junk+n)
		for i := 0; i < len(b); {
			m, err := unix.Read(s, b[i:])
			if err != nil || m == 0 {
				break
			}
			i += m
		}
		got <- b[junk:]
	}()

	first, err := r.WaitCQETimeout(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if first.UserData != 1 || first.Res != n || !first.More() || first.Notif() {
		t.Fatalf("first completion %+v (%v), want %d bytes with CQEFMore", first, first.Err(), n)
	}
	if r.ops.live != 1 {
		t.Fatalf("%d slots live between the result and the notification, want 1", r.ops.live)
	}
	notif, err := r.WaitCQETimeout(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if notif.UserData != 1 || !notif.Notif() || notif.More() {
		t.Fatalf("notification %+v", notif)
	}
	// Loopback hands the receiver a copy of the data.
	if !notif.ZCCopied() || uint32(notif.Res) != NotifUsageZCCopied {
		t.Errorf("notification res %#x: want NotifUsageZCCopied on loopback", uint32(notif.Res))
	}
	wantNoLiveSlots(t, r)
	wantBytes(t, <-got, want)
	runtime.KeepAlive(garbage)

	// Without SendZCReportUsage the notification's result is 0.
	must(t)(r.PrepSendZC(c, []byte("zc"), 0, 0)).SetUserData(2)
	cqes := submitWait(t, r, 2)
	if cqes[0].Res != 2 || !cqes[0].More() || !cqes[1].Notif() || cqes[1].Res != 0 || cqes[1].ZCCopied() {
		t.Fatalf("completions %+v", cqes)
	}
	wantBytes(t, readFull(t, s, 2), []byte("zc"))
	// A failed send still says, with CQEFMore, that a notification follows (Linux 6.18 posts
	// one even for a bad fd), and the Ring holds the buffer until it comes.
	must(t)(r.PrepSendZC(-1, []byte("zc"), 0, 0)).SetUserData(3)
	c3 := waitOne(t, r)
	wantErrno(t, c3, syscall.EBADF)
	if c3.More() {
		if r.ops.live != 1 {
			t.Fatalf("%d slots live while the notification is due", r.ops.live)
		}
		if n := waitOne(t, r); !n.Notif() || n.UserData != 3 {
			t.Fatalf("notification %+v", n)
		}
	}
	wantNoLiveSlots(t, r)
}

// TestSendv sends gathered buffers with IORING_SEND_VECTORIZED, copying and zero-copy.
func TestSendv(t *testing.T) {
	r := newRing(t, 8)
	c, s := tcpPair(t, unix.AF_INET6)
	must(t)(r.PrepSendv(c, [][]byte{[]byte("gath"), nil, []byte("ered")}, MsgNoSignal)).SetUserData(1)
	wantRes(t, waitOne(t, r), 8)
	wantBytes(t, readFull(t, s, 8), []byte("gathered"))
	must(t)(r.PrepSendvZC(c, [][]byte{[]byte("zero"), []byte("copy")}, 0, 0)).SetUserData(2)
	cqes := submitWait(t, r, 2)
	if cqes[0].Res != 8 || !cqes[0].More() || !cqes[1].Notif() || cqes[1].UserData != 2 {
		t.Fatalf("completions %+v", cqes)
	}
	wantBytes(t, readFull(t, s, 8), []byte("zerocopy"))
	wantNoLiveSlots(t, r)
	if _, err := r.PrepSendv(c, nil, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("no buffers: %v", err)
	}
	if _, err := r.PrepSendvZC(c, [][]byte{}, 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("no buffers: %v", err)
	}
}

// TestSendmsgZC sends a message of two buffers without copying: the Ring holds the Msg until
// the notification.
func TestSendmsgZC(t *testing.T) {
	r := newRing(t, 8)
	a, aaddr := boundSock(t, unix.AF_INET6, unix.SOCK_DGRAM)
	b, _ := boundSock(t, unix.AF_INET6, unix.SOCK_DGRAM)
	m := &Msg{Buffers: [][]byte{[]byte("zero"), []byte("-copy")}, Addr: aaddr}
	must(t)(r.PrepSendmsgZC(b, m, 0)).SetUserData(1)
	cqes := submitWait(t, r, 1)
	if cqes[0].Res != 9 || !cqes[0].More() {
		t.Fatalf("first completion %+v", cqes[0])
	}
	if len(cqes) == 1 {
		if r.ops.live != 1 {
			t.Fatalf("%d slots live before the notification", r.ops.live)
		}
		cqes = append(cqes, waitOne(t, r))
	}
	if !cqes[1].Notif() || cqes[1].UserData != 1 {
		t.Fatalf("notification %+v", cqes[1])
	}
	wantNoLiveSlots(t, r)
	buf := make([]byte, 16)
	if n, _, err := unix.Recvfrom(a, buf, 0); err != nil || string(buf[:n]) != "zero-copy" {
		t.Fatalf("received %q, %v", buf[:n], err)
	}
}

func TestSendZCFixed(t *testing.T) {
	r := newRing(t, 8)
	c, s := tcpPair(t, unix.AF_INET)
	reg := pattern(8192, 3)
	registerBuffers(t, r, reg)
	// sendZC submits and returns the result and the notification that follows it.
	sendZC := func(s SQE) (res, notif CQE) {
		t.Helper()
		cqes := submitWait(t, r, 2)
		if len(cqes) != 2 || !cqes[0].More() || !cqes[1].Notif() || cqes[0].UserData != cqes[1].UserData {
			t.Fatalf("completions %+v", cqes)
		}
		return cqes[0], cqes[1]
	}
	res, _ := sendZC(must(t)(r.PrepSendZCFixed(c, reg[100:1100], 0, 0, 0)).SetUserData(1))
	wantRes(t, res, 1000)
	wantBytes(t, readFull(t, s, 1000), reg[100:1100])
	// Memory outside the registered buffer, or an index with no buffer, is the kernel's
	// EFAULT; the notification still follows.
	res, _ = sendZC(must(t)(r.PrepSendZCFixed(c, make([]byte, 10), 0, 0, 0)).SetUserData(2))
	wantErrno(t, res, syscall.EFAULT)
	res, _ = sendZC(must(t)(r.PrepSendZCFixed(c, reg[:10], 1, 0, 0)).SetUserData(3))
	wantErrno(t, res, syscall.EFAULT)
	// sendmsg from two pieces of the registered buffer.
	m := &Msg{Buffers: [][]byte{reg[10:20], reg[4000:4005]}}
	res, _ = sendZC(must(t)(r.PrepSendmsgZCFixed(c, m, 0, 0)).SetUserData(4))
	wantRes(t, res, 15)
	wantBytes(t, readFull(t, s, 15), append(append([]byte{}, reg[10:20]...), reg[4000:4005]...))
	res, _ = sendZC(must(t)(r.PrepSendmsgZCFixed(c, &Msg{Buffers: [][]byte{make([]byte, 3)}}, 0, 0)).SetUserData(5))
	wantErrno(t, res, syscall.EFAULT)
	wantNoLiveSlots(t, r)
}

// TestRecvMultishot receives into a buffer ring until it runs dry: the multishot receive ends
// with ENOBUFS and no CQEFMore, and once the buffers are handed back a new one receives what
// was left.
func TestRecvMultishot(t *testing.T) {
	r := newRing(t, 16)
	br := mustBufRing(t)(r.SetupBufRing(1, 4, 64, 0))
	a, b := tcpPair(t, unix.AF_INET6)
	must(t)(r.PrepRecvMultishot(b, 1, 0)).SetUserData(5)
	submit(t, r)
	seen := map[uint16]bool{}
	for i := 0; i < 4; i++ {
		msg := []byte(fmt.Sprintf("chunk %d", i))
		writeAll(t, a, msg)
		c, bid := nextShot(t, r, 5)
		if seen[bid] {
			t.Fatalf("buffer %d used twice", bid)
		}
		seen[bid] = true
		wantBytes(t, br.Bytes(c), msg)
	}
	writeAll(t, a, []byte("left over"))
	c := waitCQE(t, r)
	wantErrno(t, c, syscall.ENOBUFS)
	if c.More() {
		t.Fatal("ENOBUFS completion has CQEFMore: the receive should have ended")
	}
	wantNoLiveSlots(t, r)

	for bid := range seen {
		if err := br.Recycle(bid); err != nil {
			t.Fatal(err)
		}
	}
	must(t)(r.PrepRecvMultishot(b, 1, 0)).SetUserData(6)
	c = waitOne(t, r)
	if c.UserData != 6 || !c.More() {
		t.Fatalf("re-armed receive: %+v", c)
	}
	wantBytes(t, br.Bytes(c), []byte("left over"))
	// The end of the stream ends it.
	if err := unix.Shutdown(a, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if c = waitCQE(t, r); c.UserData != 6 || c.Res != 0 || c.More() {
		t.Fatalf("end of stream: %+v", c)
	}
	wantNoLiveSlots(t, r)
	// Multishot needs a buffer group: a group nobody registered has no buffers.
	must(t)(r.PrepRecvMultishot(b, 99, 0)).SetUserData(7)
	wantErrno(t, waitOne(t, r), syscall.ENOBUFS)
	wantNoLiveSlots(t, r)
}

// TestRecvmsgMultishot receives UDP datagrams with their source address and IP_PKTINFO control
// data into a buffer ring and splits each buffer as io_uring_recvmsg_out lays it out.
func TestRecvmsgMultishot(t *testing.T) {
	r := newRing(t, 16)
	const size = 256
	br := mustBufRing(t)(r.SetupBufRing(2, 8, size, 0))
	a, _ := boundSock(t, unix.AF_INET, unix.SOCK_DGRAM)
	if err := unix.SetsockoptInt(a, unix.IPPROTO_IP, unix.IP_PKTINFO, 1); err != nil {
		t.Fatal(err)
	}
	aaddr, _ := unix.Getsockname(a)
	b, baddr := boundSock(t, unix.AF_INET, unix.SOCK_DGRAM)
	layout := RecvmsgLayout{NameLen: unix.SizeofSockaddrInet4, ControlLen: unix.CmsgSpace(unix.SizeofInet4Pktinfo)}
	must(t)(r.PrepRecvmsgMultishot(a, layout, 2, MsgTrunc)).SetUserData(3)
	submit(t, r)
	room := size - recvmsgOutSize - layout.NameLen - layout.ControlLen
	for i, n := range []int{5, room, 300} {
		msg := pattern(n, byte(i))
		if err := unix.Sendto(b, msg, 0, aaddr); err != nil {
			t.Fatal(err)
		}
		c, bid := nextShot(t, r, 3)
		o, err := layout.Parse(br.Bytes(c))
		if err != nil {
			t.Fatal(err)
		}
		if src, err := o.Source(); err != nil || addrPort(t, src) != addrPort(t, baddr) {
			t.Fatalf("source %v (%v), want %v", src, err, baddr)
		}
		if o.NameLen != unix.SizeofSockaddrInet4 || o.PayloadLen != n {
			t.Fatalf("name length %d, payload length %d, want %d", o.NameLen, o.PayloadLen, n)
		}
		wantBytes(t, o.Payload, msg[:min(n, room)])
		if trunc := o.Flags&MsgTrunc != 0; trunc != (n > room) {
			t.Fatalf("datagram of %d bytes into %d of room: flags %#x", n, room, o.Flags)
		}
		scms, err := unix.ParseSocketControlMessage(o.Control)
		if err != nil || len(scms) != 1 || scms[0].Header.Level != unix.IPPROTO_IP || scms[0].Header.Type != unix.IP_PKTINFO {
			t.Fatalf("control %v, %v", scms, err)
		}
		if err := br.Recycle(bid); err != nil {
			t.Fatal(err)
		}
	}
	must(t)(r.PrepCancel(3, 0)).SetUserData(4)
	cqes := byUserData(t, submitWait(t, r, 2))
	wantErrno(t, cqes[3], syscall.ECANCELED)
	wantNoLiveSlots(t, r)

	// Without buffer selection, a multishot recvmsg is the kernel's EINVAL.
	s := must(t)(r.PrepRecvmsgMultishot(a, layout, 2, 0))
	s.e.Flags &^= abi.IOSQE_BUFFER_SELECT
	s.SetUserData(5)
	wantErrno(t, waitOne(t, r), syscall.EINVAL)
	wantNoLiveSlots(t, r)
}

func TestRecvmsgLayoutParse(t *testing.T) {
	l := RecvmsgLayout{NameLen: 16, ControlLen: 8}
	buf := make([]byte, 64)
	hdr := (*abi.RecvmsgOut)(unsafe.Pointer(&buf[0]))
	*hdr = abi.RecvmsgOut{Namelen: 20, Controllen: 4, Payloadlen: 100, Flags: unix.MSG_TRUNC}
	o, err := l.Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Name) != 16 || len(o.Control) != 4 || len(o.Payload) != 64-16-16-8 || o.NameLen != 20 || o.PayloadLen != 100 || o.Flags != MsgTrunc {
		t.Fatalf("%+v", o)
	}
	if &o.Payload[0] != &buf[40] || &o.Control[0] != &buf[32] || &o.Name[0] != &buf[16] {
		t.Fatal("slices do not point into the buffer at the layout's offsets")
	}
	// As io_uring_recvmsg_validate: the header, the name and the control room must fit.
	for _, tc := range []struct {
		l RecvmsgLayout
		n int
	}{{l, 39}, {l, 15}, {l, 0}, {RecvmsgLayout{NameLen: -1}, 64}, {RecvmsgLayout{ControlLen: 1 << 40}, 64}} {
		if _, err := tc.l.Parse(buf[:tc.n]); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v on %d bytes: %v", tc.l, tc.n, err)
		}
	}
	if o, err := l.Parse(buf[:40]); err != nil || len(o.Payload) != 0 {
		t.Errorf("exact fit: %+v %v", o, err)
	}
}

// TestBundles receives into and sends from several ring buffers with one operation each.
func TestBundles(t *testing.T) {
	r := newRing(t, 16)
	if !r.Features().Has(FeatRecvSendBundle) {
		t.Skip("bundles need Linux 6.10 (IORING_FEAT_RECVSEND_BUNDLE)")
	}
	c, s := tcpPair(t, unix.AF_INET)
	br := mustBufRing(t)(r.SetupBufRing(3, 8, 16, 0))
	// Receive: a bundle takes as many buffers as the data waiting fills (the kernel may take
	// fewer at first); every buffer but the last of a bundle is full.
	data := pattern(40, 9)
	writeAll(t, c, data)
	waitInq(t, s, len(data))
	var got []byte
	multi := false
	for len(got) < len(data) {
		must(t)(r.PrepRecvBundle(s, 3, 0)).SetUserData(1)
		c1 := waitOne(t, r)
		if c1.Res <= 0 {
			t.Fatalf("bundle receive: %+v (%v)", c1, c1.Err())
		}
		segs := br.Bundle(c1)
		for i, seg := range segs {
			if i < len(segs)-1 && len(seg) != 16 {
				t.Fatalf("piece %d of %d has %d bytes", i, len(segs), len(seg))
			}
			got = append(got, seg...)
		}
		multi = multi || len(segs) > 1
	}
	wantBytes(t, got, data)
	if !multi {
		t.Fatal("no bundle took more than one buffer")
	}
	wantNoLiveSlots(t, r)
	if h, err := br.Head(); err != nil || h != 3 {
		t.Fatalf("head %d (%v): 40 bytes fill 3 buffers of 16", h, err)
	}

	// Multishot: each completion is a bundle, starting after the last buffer taken.
	must(t)(r.PrepRecvMultishotBundle(s, 3, 0)).SetUserData(2)
	submit(t, r)
	data = pattern(20, 4)
	writeAll(t, c, data)
	got = got[:0]
	for len(got) < len(data) {
		c2, bid := nextShot(t, r, 2)
		if c2.Res <= 0 || (len(got) == 0 && bid != 3) {
			t.Fatalf("multishot bundle %+v", c2)
		}
		got = append(got, bytes.Join(br.Bundle(c2), nil)...)
	}
	wantBytes(t, got, data)
	must(t)(r.PrepCancel(2, 0)).SetUserData(3)
	submitWait(t, r, 2)
	wantNoLiveSlots(t, r)

	// Send: buffers added with the length of their data go out in the ring's order.
	sr := mustBufRing(t)(r.SetupBufRingEmpty(4, 4, 32, 0))
	want := pattern(32+32+10, 5)
	for i, n := range []int{32, 32, 10} {
		copy(sr.Buf(uint16(i)), want[i*32:i*32+n])
		if err := sr.Add(uint16(i), n); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := sr.Available(); err != nil || n != 0 {
		t.Fatalf("available before Advance: %d, %v", n, err)
	}
	sr.Advance()
	must(t)(r.PrepSendBundle(c, 4, 0, 0)).SetUserData(4)
	c4 := waitOne(t, r)
	wantRes(t, c4, int32(len(want)))
	sent := sr.Bundle(c4)
	if len(sent) != 3 {
		t.Fatalf("sent %d buffers", len(sent))
	}
	wantBytes(t, bytes.Join(sent, nil), want)
	wantBytes(t, readFull(t, s, len(want)), want)
	// An empty send ring has nothing to send.
	must(t)(r.PrepSendBundle(c, 4, 0, 0)).SetUserData(5)
	wantErrno(t, waitOne(t, r), syscall.ENOBUFS)
	if _, err := r.PrepSendBundle(c, 4, -1, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative length: %v", err)
	}
	wantNoLiveSlots(t, r)
}

func TestNetBadInput(t *testing.T) {
	r := newRing(t, 8)
	a, _ := socketpair(t, unix.SOCK_STREAM)
	for name, err := range map[string]error{
		"PrepConnect nil":          second(r.PrepConnect(a, nil)),
		"PrepBind netlink":         second(r.PrepBind(a, &unix.SockaddrNetlink{})),
		"PrepSendto bad port":      second(r.PrepSendto(a, []byte("x"), 0, &unix.SockaddrInet4{Port: -2})),
		"PrepSend empty":           second(r.PrepSend(a, nil, 0)),
		"PrepRecv empty":           second(r.PrepRecv(a, []byte{}, 0)),
		"PrepSendZC empty":         second(r.PrepSendZC(a, nil, 0, 0)),
		"PrepSendZCFixed empty":    second(r.PrepSendZCFixed(a, nil, 0, 0, 0)),
		"PrepSendmsg nil":          second(r.PrepSendmsg(a, nil, 0)),
		"PrepRecvmsg nil":          second(r.PrepRecvmsg(a, nil, 0)),
		"PrepSendmsgZC nil":        second(r.PrepSendmsgZC(a, nil, 0)),
		"PrepSendmsg bad addr":     second(r.PrepSendmsg(a, &Msg{Addr: &unix.SockaddrLinklayer{}}, 0)),
		"PrepRecvmsgMultishot -1":  second(r.PrepRecvmsgMultishot(a, RecvmsgLayout{NameLen: -1}, 0, 0)),
		"PrepRecvmsgMultishot big": second(r.PrepRecvmsgMultishot(a, RecvmsgLayout{NameLen: 200}, 0, 0)),
		"PrepRecvmsgMultishot ctl": second(r.PrepRecvmsgMultishot(a, RecvmsgLayout{ControlLen: 1 << 40}, 0, 0)),
		"PrepSocket huge type":     second(r.PrepSocket(unix.AF_INET, 1<<40, 0)),
		"PrepShutdown huge how":    second(r.PrepShutdown(a, 1<<40)),
		"PrepAccept huge fd":       second(r.PrepAccept(1<<40, nil, 0)),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if r.SQReady() != 0 {
		t.Fatalf("refused preps left %d entries queued", r.SQReady())
	}
	// The kernel's answers: not a socket, a bad fd.
	pr, _ := pipe(t)
	buf := make([]byte, 4)
	must(t)(r.PrepRecv(int(pr.Fd()), buf, 0)).SetUserData(1)
	must(t)(r.PrepSend(-1, buf, 0)).SetUserData(2)
	must(t)(r.PrepSendmsg(int(pr.Fd()), &Msg{Buffers: [][]byte{buf}}, 0)).SetUserData(3)
	must(t)(r.PrepAccept(int(pr.Fd()), new(SockaddrBuf), 0)).SetUserData(4)
	must(t)(r.PrepSocket(12345, unix.SOCK_STREAM, 0)).SetUserData(5)
	cqes := byUserData(t, submitWait(t, r, 5))
	wantErrno(t, cqes[1], syscall.ENOTSOCK)
	wantErrno(t, cqes[2], syscall.EBADF)
	wantErrno(t, cqes[3], syscall.ENOTSOCK)
	wantErrno(t, cqes[4], syscall.ENOTSOCK)
	wantErrno(t, cqes[5], syscall.EAFNOSUPPORT)
	wantNoLiveSlots(t, r)

	r.Close()
	if _, err := r.PrepConnect(a, loopback(unix.AF_INET)); !errors.Is(err, ErrClosed) {
		t.Errorf("PrepConnect on a closed ring: %v", err)
	}
	if _, err := r.PrepRecvMultishot(a, 1, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("PrepRecvMultishot on a closed ring: %v", err)
	}
}

// TestNetSQFull checks that the socket Prep methods report a full queue and hold nothing.
func TestNetSQFull(t *testing.T) {
	r := newRing(t, 1)
	a, _ := socketpair(t, unix.SOCK_DGRAM)
	must(t)(r.PrepNop())
	for name, err := range map[string]error{
		"PrepConnect": second(r.PrepConnect(a, loopback(unix.AF_INET))),
		"PrepSendto":  second(r.PrepSendto(a, []byte("x"), 0, loopback(unix.AF_INET))),
		"PrepSendmsg": second(r.PrepSendmsg(a, &Msg{}, 0)),
		"PrepAccept":  second(r.PrepAccept(a, new(SockaddrBuf), 0)),
		"PrepRecvMS":  second(r.PrepRecvmsgMultishot(a, RecvmsgLayout{}, 0, 0)),
		"PrepBundle":  second(r.PrepSendBundle(a, 0, 0, 0)),
	} {
		if !errors.Is(err, ErrSQFull) {
			t.Errorf("%s: %v, want ErrSQFull", name, err)
		}
	}
	waitOne(t, r)
	wantNoLiveSlots(t, r)
}

// BenchmarkRecv compares receiving 64-byte messages on a Unix stream socket with one RECV per
// message into the caller's buffer against one multishot RECV into a buffer ring, recycling
// each buffer. Every iteration is one message: written with write(2), then reaped.
func BenchmarkRecv(b *testing.B) {
	msg := pattern(64, 1)
	for _, multishot := range []bool{false, true} {
		b.Run(fmt.Sprintf("multishot=%v", multishot), func(b *testing.B) {
			r, err := New(16, benchOpts...)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			w, s := socketpair(b, unix.SOCK_STREAM)
			br := mustBufRing(b)(r.SetupBufRing(1, 16, 64, 0))
			buf := make([]byte, 64)
			if multishot {
				must(b)(r.PrepRecvMultishot(s, 1, 0))
				submit(b, r)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := unix.Write(w, msg); err != nil {
					b.Fatal(err)
				}
				if !multishot {
					must(b)(r.PrepRecv(s, buf, 0))
				}
				if _, err := r.SubmitAndWait(1); err != nil {
					b.Fatal(err)
				}
				c, ok := r.PeekCQE()
				if !ok || c.Res != 64 {
					b.Fatalf("%+v", c)
				}
				if multishot {
					bid, _ := c.BufferID()
					br.Bytes(c)
					br.Recycle(bid)
				}
			}
		})
	}
}
