package uring

import (
	"encoding/binary"
	"math"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = prepHelpers(OpSocket, "PrepSocket", "PrepSocketDirect", "PrepSocketDirectAlloc")
	_ = prepHelpers(OpConnect, "PrepConnect")
	_ = prepHelpers(OpBind, "PrepBind")
	_ = prepHelpers(OpListen, "PrepListen")
	_ = prepHelpers(OpAccept, "PrepAccept", "PrepAcceptDirect", "PrepMultishotAccept", "PrepMultishotAcceptDirect")
	_ = prepHelpers(OpSend, "PrepSend", "PrepSendto", "PrepSendBundle", "PrepSendv")
	_ = prepHelpers(OpRecv, "PrepRecv", "PrepRecvMultishot", "PrepRecvBundle", "PrepRecvMultishotBundle")
	_ = prepHelpers(OpSendmsg, "PrepSendmsg")
	_ = prepHelpers(OpRecvmsg, "PrepRecvmsg", "PrepRecvmsgMultishot")
	_ = prepHelpers(OpShutdown, "PrepShutdown")
	_ = prepHelpers(OpSendZC, "PrepSendZC", "PrepSendZCFixed", "PrepSendvZC")
	_ = prepHelpers(OpSendmsgZC, "PrepSendmsgZC", "PrepSendmsgZCFixed")
)

// Sockets: creating, connecting, accepting, sending and receiving.

// MsgFlags are the flags of send(2), recv(2), sendmsg(2) and recvmsg(2) (MSG_*), passed in
// sqe->msg_flags, and those a received message reports. Any MSG_ value of golang.org/x/sys/unix
// converts; the common ones are below.
type MsgFlags uint32

const (
	MsgOOB         MsgFlags = unix.MSG_OOB          // out-of-band data
	MsgPeek        MsgFlags = unix.MSG_PEEK         // receive without consuming
	MsgDontRoute   MsgFlags = unix.MSG_DONTROUTE    // send only to hosts on directly connected networks
	MsgCtrunc      MsgFlags = unix.MSG_CTRUNC       // reported: the control data was cut short
	MsgTrunc       MsgFlags = unix.MSG_TRUNC        // receive: report the real length; reported: the datagram was cut short
	MsgDontWait    MsgFlags = unix.MSG_DONTWAIT     // fail with EAGAIN rather than wait
	MsgEOR         MsgFlags = unix.MSG_EOR          // end of record (SOCK_SEQPACKET)
	MsgWaitAll     MsgFlags = unix.MSG_WAITALL      // wait for the whole buffer; io_uring retries short transfers too
	MsgConfirm     MsgFlags = unix.MSG_CONFIRM      // the link layer peer is reachable
	MsgErrQueue    MsgFlags = unix.MSG_ERRQUEUE     // receive from the error queue
	MsgNoSignal    MsgFlags = unix.MSG_NOSIGNAL     // no SIGPIPE on a broken stream
	MsgMore        MsgFlags = unix.MSG_MORE         // more data follows: cork
	MsgCmsgCloexec MsgFlags = unix.MSG_CMSG_CLOEXEC // set close-on-exec on fds received with SCM_RIGHTS
)

// SetPollFirst makes a send, receive or accept arm a poll for readiness first instead of trying
// the transfer at once: cheaper when the caller knows the socket is not ready yet
// (IORING_RECVSEND_POLL_FIRST, 5.19, for send, recv, sendmsg, recvmsg and their zero-copy and
// multishot forms; IORING_ACCEPT_POLL_FIRST, 6.10, for accept). It does nothing to other
// operations.
func (s SQE) SetPollFirst() SQE {
	if !s.usable() {
		return s
	}
	switch s.e.Opcode {
	case abi.IORING_OP_ACCEPT:
		s.e.Ioprio |= abi.IORING_ACCEPT_POLL_FIRST
	case abi.IORING_OP_SEND, abi.IORING_OP_RECV, abi.IORING_OP_SENDMSG, abi.IORING_OP_RECVMSG,
		abi.IORING_OP_SEND_ZC, abi.IORING_OP_SENDMSG_ZC:
		s.e.Ioprio |= abi.IORING_RECVSEND_POLL_FIRST
	}
	return s
}

// SockaddrBuf holds a socket address in the kernel's binary form (struct sockaddr_storage and
// its length), in memory the Ring keeps in place while an operation uses it. PrepAccept and
// PrepCmdGetsockname fill one in; read it only after the operation's completion.
type SockaddrBuf struct {
	raw unix.RawSockaddrAny
	len uint32 // socklen_t: the room on the way in, the address's length on the way out
}

// Len returns the length of the address the kernel wrote, in bytes.
func (b *SockaddrBuf) Len() int { return int(min(b.len, uint32(unsafe.Sizeof(b.raw)))) }

// Sockaddr decodes the address: a *unix.SockaddrInet4, *unix.SockaddrInet6 or
// *unix.SockaddrUnix (an unnamed Unix socket has Name ""; an abstract one starts with '@').
// Other families give EAFNOSUPPORT.
func (b *SockaddrBuf) Sockaddr() (unix.Sockaddr, error) {
	return decodeSockaddr(unsafe.Slice((*byte)(unsafe.Pointer(&b.raw)), b.Len()))
}

// AddrPort decodes an IPv4 or IPv6 address. Other families give EAFNOSUPPORT.
func (b *SockaddrBuf) AddrPort() (netip.AddrPort, error) {
	sa, err := b.Sockaddr()
	if err != nil {
		return netip.AddrPort{}, err
	}
	return AddrPortOf(sa)
}

// set encodes sa, as the kernel takes it.
func (b *SockaddrBuf) set(method string, sa unix.Sockaddr) error {
	b.raw = unix.RawSockaddrAny{}
	p := unsafe.Pointer(&b.raw)
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		raw := (*unix.RawSockaddrInet4)(p)
		raw.Family, raw.Addr = unix.AF_INET, sa.Addr
		b.len = unix.SizeofSockaddrInet4
		return putPort(method, &raw.Port, sa.Port)
	case *unix.SockaddrInet6:
		raw := (*unix.RawSockaddrInet6)(p)
		raw.Family, raw.Addr, raw.Scope_id = unix.AF_INET6, sa.Addr, sa.ZoneId
		b.len = unix.SizeofSockaddrInet6
		return putPort(method, &raw.Port, sa.Port)
	case *unix.SockaddrUnix:
		raw := (*unix.RawSockaddrUnix)(p)
		name := sa.Name
		raw.Family = unix.AF_UNIX
		n := len(name)
		abstract := n > 0 && (name[0] == '@' || name[0] == 0)
		// A path needs room for its NUL; an abstract name has none and may fill sun_path.
		if (!abstract && n >= len(raw.Path)) || n > len(raw.Path) {
			return invalid(method, "unix socket name of %d bytes is too long", n)
		}
		for i := 0; i < n; i++ {
			raw.Path[i] = int8(name[i])
		}
		b.len = uint32(unsafe.Offsetof(raw.Path))
		switch {
		case abstract:
			raw.Path[0] = 0
			b.len += uint32(n)
		case n > 0:
			b.len += uint32(n) + 1
		}
	case nil:
		return invalid(method, "nil socket address")
	default:
		return invalid(method, "unsupported socket address type %T", sa)
	}
	return nil
}

// putPort stores port in network byte order, as sin_port and sin6_port hold it.
func putPort(method string, p *uint16, port int) error {
	if port < 0 || port > math.MaxUint16 {
		return invalid(method, "port %d out of range", port)
	}
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(p))[:], uint16(port))
	return nil
}

// decodeSockaddr turns the bytes of a struct sockaddr into a unix.Sockaddr.
func decodeSockaddr(b []byte) (unix.Sockaddr, error) {
	if len(b) < 2 {
		if len(b) == 0 {
			return nil, syscall.EAFNOSUPPORT
		}
		return nil, syscall.EINVAL
	}
	var raw unix.RawSockaddrAny
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&raw)), unsafe.Sizeof(raw)), b)
	switch raw.Addr.Family {
	case unix.AF_INET:
		if len(b) < unix.SizeofSockaddrInet4 {
			return nil, syscall.EINVAL
		}
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(&raw))
		return &unix.SockaddrInet4{Port: getPort(&p.Port), Addr: p.Addr}, nil
	case unix.AF_INET6:
		if len(b) < unix.SizeofSockaddrInet6 {
			return nil, syscall.EINVAL
		}
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(&raw))
		return &unix.SockaddrInet6{Port: getPort(&p.Port), Addr: p.Addr, ZoneId: p.Scope_id}, nil
	case unix.AF_UNIX:
		path := b[unsafe.Offsetof(unix.RawSockaddrUnix{}.Path):]
		if len(path) > 0 && path[0] == 0 {
			// Abstract: every byte of the length counts; shown with a leading '@', as
			// golang.org/x/sys/unix and the net package do.
			return &unix.SockaddrUnix{Name: "@" + string(path[1:])}, nil
		}
		for i, c := range path {
			if c == 0 {
				path = path[:i]
				break
			}
		}
		return &unix.SockaddrUnix{Name: string(path)}, nil
	}
	return nil, syscall.EAFNOSUPPORT
}

func getPort(p *uint16) int {
	return int(binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(p))[:]))
}

// SockaddrOf returns the unix.Sockaddr for an IP address and port, for PrepConnect, PrepBind,
// PrepSendto and Msg.Addr: a *unix.SockaddrInet4 for an IPv4 address, a *unix.SockaddrInet6
// otherwise (an IPv4-mapped IPv6 address stays IPv6, for dual-stack sockets). A zone is an
// interface name or index. It returns nil for the zero AddrPort or an unknown zone, which the
// Prep methods refuse.
func SockaddrOf(ap netip.AddrPort) unix.Sockaddr {
	a := ap.Addr()
	switch {
	case a.Is4():
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	case a.Is6():
		sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
		if z := a.Zone(); z != "" {
			if n, err := strconv.ParseUint(z, 10, 32); err == nil {
				sa.ZoneId = uint32(n)
			} else if ifi, err := net.InterfaceByName(z); err == nil {
				sa.ZoneId = uint32(ifi.Index)
			} else {
				return nil
			}
		}
		return sa
	}
	return nil
}

// AddrPortOf returns the IP address and port of a *unix.SockaddrInet4 or *unix.SockaddrInet6;
// an IPv6 scope becomes the zone, by interface name where the interface exists. Other
// addresses give EAFNOSUPPORT.
func AddrPortOf(sa unix.Sockaddr) (netip.AddrPort, error) {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), nil
	case *unix.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			zone := strconv.FormatUint(uint64(sa.ZoneId), 10)
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				zone = ifi.Name
			}
			a = a.WithZone(zone)
		}
		return netip.AddrPortFrom(a, uint16(sa.Port)), nil
	}
	return netip.AddrPort{}, syscall.EAFNOSUPPORT
}

// PrepSocket prepares socket(2): a socket of domain (unix.AF_INET, ...), typ (unix.SOCK_STREAM,
// ..., with unix.SOCK_NONBLOCK and unix.SOCK_CLOEXEC or-ed in) and protocol. The result is the
// new fd (IORING_OP_SOCKET, 5.19; io_uring_prep_socket).
func (r *Ring) PrepSocket(domain, typ, protocol int) (SQE, error) {
	return r.prepSocket("PrepSocket", domain, typ, protocol, 0)
}

// PrepSocketDirect is PrepSocket that puts the socket into slot index of the registered file
// table instead of the fd table; the result is 0. Use it with SQEFixedFile and the slot as the
// fd. index FileIndexAlloc picks a free slot and returns it (IORING_OP_SOCKET with file_index,
// 5.19; io_uring_prep_socket_direct). SOCK_CLOEXEC means nothing for a direct descriptor.
func (r *Ring) PrepSocketDirect(domain, typ, protocol int, index uint32) (SQE, error) {
	fi, err := directIndex("PrepSocketDirect", index, true)
	if err != nil {
		return SQE{}, err
	}
	return r.prepSocket("PrepSocketDirect", domain, typ, protocol, fi)
}

// PrepSocketDirectAlloc is PrepSocketDirect into a free slot the kernel picks; the result is
// the slot (io_uring_prep_socket_direct_alloc).
func (r *Ring) PrepSocketDirectAlloc(domain, typ, protocol int) (SQE, error) {
	return r.prepSocket("PrepSocketDirectAlloc", domain, typ, protocol, abi.IORING_FILE_INDEX_ALLOC)
}

func (r *Ring) prepSocket(method string, domain, typ, protocol int, fileIndex uint32) (SQE, error) {
	if typ != int(int32(typ)) || protocol != int(int32(protocol)) {
		return SQE{}, invalid(method, "socket type %d or protocol %d out of range", typ, protocol)
	}
	// The kernel takes the domain in fd, the type in off and the protocol in len.
	e, s, err := r.prep(method, abi.IORING_OP_SOCKET, domain, 0, uint32(protocol), uint64(uint32(typ)))
	if err == nil {
		e.FileIndex = fileIndex
	}
	return s, err
}

// PrepConnect prepares connect(2) of socket fd to sa, a *unix.SockaddrInet4,
// *unix.SockaddrInet6 or *unix.SockaddrUnix (SockaddrOf makes one from a netip.AddrPort). The
// Ring encodes the address and holds it until the completion (IORING_OP_CONNECT, 5.5;
// io_uring_prep_connect).
func (r *Ring) PrepConnect(fd int, sa unix.Sockaddr) (SQE, error) {
	return r.prepSockaddrOp("PrepConnect", abi.IORING_OP_CONNECT, fd, sa)
}

// PrepBind prepares bind(2) of socket fd to sa, as PrepConnect takes it (IORING_OP_BIND, 6.11;
// io_uring_prep_bind).
func (r *Ring) PrepBind(fd int, sa unix.Sockaddr) (SQE, error) {
	return r.prepSockaddrOp("PrepBind", abi.IORING_OP_BIND, fd, sa)
}

func (r *Ring) prepSockaddrOp(method string, op uint8, fd int, sa unix.Sockaddr) (SQE, error) {
	b := new(SockaddrBuf)
	if err := b.set(method, sa); err != nil {
		return SQE{}, err
	}
	// Both take the address in addr and its length in off (addr2).
	e, s, err := r.prep(method, op, fd, uint64(uintptr(unsafe.Pointer(&b.raw))), 0, uint64(b.len))
	if err != nil {
		return SQE{}, err
	}
	r.hold(e, unsafe.Pointer(b), nil)
	return s, nil
}

// PrepListen prepares listen(2) on socket fd with the given backlog (IORING_OP_LISTEN, 6.11;
// io_uring_prep_listen). As with listen(2), a backlog beyond net.core.somaxconn, or negative,
// means somaxconn.
func (r *Ring) PrepListen(fd int, backlog int) (SQE, error) {
	backlog = max(min(backlog, math.MaxInt32), -1) // the kernel reads an int
	_, s, err := r.prep("PrepListen", abi.IORING_OP_LISTEN, fd, 0, uint32(backlog), 0)
	return s, err
}

// AcceptFlags modify the accept operations. AcceptNonblock and AcceptCloexec are accept4(2)'s
// flags for the new fd (sqe->accept_flags); AcceptDontWait and AcceptPollFirst are io_uring's
// (sqe->ioprio). Their bits do not overlap, so they combine in one value.
type AcceptFlags uint32

const (
	// AcceptNonblock makes the new fd non-blocking (SOCK_NONBLOCK).
	AcceptNonblock AcceptFlags = unix.SOCK_NONBLOCK
	// AcceptCloexec makes the new fd close-on-exec (SOCK_CLOEXEC); meaningless for direct
	// descriptors.
	AcceptCloexec AcceptFlags = unix.SOCK_CLOEXEC
	// AcceptDontWait completes with EAGAIN when no connection is pending, instead of waiting
	// for one (IORING_ACCEPT_DONTWAIT, 6.10).
	AcceptDontWait AcceptFlags = abi.IORING_ACCEPT_DONTWAIT
	// AcceptPollFirst waits for a connection before trying to accept: cheaper when none is
	// expected to be pending yet (IORING_ACCEPT_POLL_FIRST, 6.10).
	AcceptPollFirst AcceptFlags = abi.IORING_ACCEPT_POLL_FIRST

	acceptIoprioFlags = AcceptDontWait | AcceptPollFirst
)

// PrepAccept prepares accept4(2) on listening socket fd; the result is the new fd. If peer is
// not nil the kernel writes the peer's address into it: read it with peer.Sockaddr or
// peer.AddrPort after the completion. The Ring holds peer until then
// (IORING_OP_ACCEPT, 5.5; io_uring_prep_accept).
func (r *Ring) PrepAccept(fd int, peer *SockaddrBuf, flags AcceptFlags) (SQE, error) {
	return r.prepAccept("PrepAccept", fd, peer, flags, 0, false)
}

// PrepAcceptDirect is PrepAccept that puts the new socket into slot index of the registered
// file table (the result is 0), or with index FileIndexAlloc into a free slot the kernel picks
// (the result is the slot) (IORING_OP_ACCEPT with file_index, 5.19;
// io_uring_prep_accept_direct).
func (r *Ring) PrepAcceptDirect(fd int, peer *SockaddrBuf, flags AcceptFlags, index uint32) (SQE, error) {
	fi, err := directIndex("PrepAcceptDirect", index, true)
	if err != nil {
		return SQE{}, err
	}
	return r.prepAccept("PrepAcceptDirect", fd, peer, flags, fi, false)
}

// PrepMultishotAccept prepares an accept that stays armed: it posts one completion per
// connection, each with a new fd and CQEFMore while it stays armed, until an error or a
// cancel (IORING_ACCEPT_MULTISHOT, 5.19; io_uring_prep_multishot_accept). It takes no peer
// address, since every connection would overwrite the same memory: use getpeername(2).
func (r *Ring) PrepMultishotAccept(fd int, flags AcceptFlags) (SQE, error) {
	return r.prepAccept("PrepMultishotAccept", fd, nil, flags, 0, true)
}

// PrepMultishotAcceptDirect is PrepMultishotAccept into free slots of the registered file
// table: each completion's result is a slot (io_uring_prep_multishot_accept_direct).
func (r *Ring) PrepMultishotAcceptDirect(fd int, flags AcceptFlags) (SQE, error) {
	return r.prepAccept("PrepMultishotAcceptDirect", fd, nil, flags, abi.IORING_FILE_INDEX_ALLOC, true)
}

func (r *Ring) prepAccept(method string, fd int, peer *SockaddrBuf, flags AcceptFlags, fileIndex uint32, multishot bool) (SQE, error) {
	e, s, err := r.prep(method, abi.IORING_OP_ACCEPT, fd, 0, 0, 0)
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = uint32(flags &^ acceptIoprioFlags)
	e.Ioprio = uint16(flags & acceptIoprioFlags)
	if multishot {
		e.Ioprio |= abi.IORING_ACCEPT_MULTISHOT
	}
	e.FileIndex = fileIndex
	if peer != nil {
		peer.raw = unix.RawSockaddrAny{}
		peer.len = uint32(unsafe.Sizeof(peer.raw))
		// The kernel writes the address at addr and its length at the socklen_t in addr2.
		e.Addr = uint64(uintptr(unsafe.Pointer(&peer.raw)))
		e.Off = uint64(uintptr(unsafe.Pointer(&peer.len)))
		r.hold(e, unsafe.Pointer(peer), nil)
	}
	return s, nil
}

// PrepSend prepares send(2) of buf on socket fd; the result is the number of bytes sent
// (IORING_OP_SEND, 5.6; io_uring_prep_send). With MsgWaitAll a stream socket's short send is
// retried until all of buf is sent.
func (r *Ring) PrepSend(fd int, buf []byte, flags MsgFlags) (SQE, error) {
	return r.prepSend("PrepSend", abi.IORING_OP_SEND, fd, buf, flags, nil)
}

// PrepSendto prepares sendto(2) of buf on socket fd to the address to, as PrepConnect takes it;
// a nil to sends to the connected peer (IORING_OP_SEND with addr2, 6.0; io_uring_prep_sendto).
func (r *Ring) PrepSendto(fd int, buf []byte, flags MsgFlags, to unix.Sockaddr) (SQE, error) {
	if to == nil {
		return r.prepSend("PrepSendto", abi.IORING_OP_SEND, fd, buf, flags, nil)
	}
	b := new(SockaddrBuf)
	if err := b.set("PrepSendto", to); err != nil {
		return SQE{}, err
	}
	return r.prepSend("PrepSendto", abi.IORING_OP_SEND, fd, buf, flags, b)
}

// prepSend builds a send from one buffer, to the address in to if not nil.
func (r *Ring) prepSend(method string, op uint8, fd int, buf []byte, flags MsgFlags, to *SockaddrBuf) (SQE, error) {
	p, n, err := bufPtr(method, buf)
	if err != nil {
		return SQE{}, err
	}
	e, s, err := r.prep(method, op, fd, uint64(uintptr(p)), n, 0)
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = uint32(flags)
	if to != nil {
		// The destination goes in addr2, its length in addr_len (the low half of file_index).
		e.Off = uint64(uintptr(unsafe.Pointer(&to.raw)))
		e.FileIndex = to.len
	}
	r.hold(e, p, unsafe.Pointer(to))
	return s, nil
}

// PrepSendv prepares a send gathered from bufs on socket fd, like writev(2) on a socket but
// with send's flags: lighter than PrepSendmsg when no address or control data is needed
// (IORING_OP_SEND with IORING_SEND_VECTORIZED, 6.17; liburing has no helper). The Ring builds
// the iovec array and holds it and the buffers until the completion.
func (r *Ring) PrepSendv(fd int, bufs [][]byte, flags MsgFlags) (SQE, error) {
	return r.prepSendv("PrepSendv", abi.IORING_OP_SEND, fd, bufs, flags, 0)
}

// PrepSendvZC is PrepSendv without copying, with PrepSendZC's two completions
// (IORING_OP_SEND_ZC with IORING_SEND_VECTORIZED, 6.17).
func (r *Ring) PrepSendvZC(fd int, bufs [][]byte, flags MsgFlags, zcFlags SendZCFlags) (SQE, error) {
	return r.prepSendv("PrepSendvZC", abi.IORING_OP_SEND_ZC, fd, bufs, flags, uint16(zcFlags))
}

func (r *Ring) prepSendv(method string, op uint8, fd int, bufs [][]byte, flags MsgFlags, ioprio uint16) (SQE, error) {
	// The iovec array goes where PrepWritev puts it; the op's flag word is msg_flags here.
	s, err := r.prepVec(method, op, fd, bufs, 0, RWFlags(flags))
	if err == nil {
		s.e.Ioprio = ioprio | abi.IORING_SEND_VECTORIZED
	}
	return s, err
}

// PrepRecv prepares recv(2) into buf from socket fd; the result is the number of bytes
// received, 0 at the end of a stream (IORING_OP_RECV, 5.6; io_uring_prep_recv). With
// MsgWaitAll a stream socket's short receive is retried until buf is full or the stream ends.
// SQE.SetPollFirst waits for data before trying.
func (r *Ring) PrepRecv(fd int, buf []byte, flags MsgFlags) (SQE, error) {
	p, n, err := bufPtr("PrepRecv", buf)
	if err != nil {
		return SQE{}, err
	}
	e, s, err := r.prep("PrepRecv", abi.IORING_OP_RECV, fd, uint64(uintptr(p)), n, 0)
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = uint32(flags)
	r.hold(e, p, nil)
	return s, nil
}

// PrepRecvMultishot prepares a receive that stays armed: each time data arrives it takes a
// buffer from provided-buffer group (a BufRing) and posts a completion with the bytes received
// and CQEFBuffer with the buffer's id (BufRing.Bytes returns them), CQEFMore while it stays
// armed. It ends with a completion without CQEFMore: 0 at the end of the stream, ENOBUFS when
// the group ran out of buffers (refill the group and prepare it again), or another error
// (IORING_RECV_MULTISHOT, 6.0; io_uring_prep_recv_multishot).
func (r *Ring) PrepRecvMultishot(fd int, group uint16, flags MsgFlags) (SQE, error) {
	return r.prepRecvSelect("PrepRecvMultishot", fd, group, flags, abi.IORING_RECV_MULTISHOT)
}

// PrepRecvBundle prepares a receive into as many buffers of provided-buffer group (a BufRing)
// as the data available fills, in the ring's order: one completion whose CQEFBuffer id is the
// first buffer's and whose result is the total; BufRing.Bundle returns the pieces
// (IORING_RECVSEND_BUNDLE, 6.10; FeatRecvSendBundle).
func (r *Ring) PrepRecvBundle(fd int, group uint16, flags MsgFlags) (SQE, error) {
	return r.prepRecvSelect("PrepRecvBundle", fd, group, flags, abi.IORING_RECVSEND_BUNDLE)
}

// PrepRecvMultishotBundle is PrepRecvMultishot whose every completion is a bundle, as with
// PrepRecvBundle (IORING_RECV_MULTISHOT|IORING_RECVSEND_BUNDLE, 6.10).
func (r *Ring) PrepRecvMultishotBundle(fd int, group uint16, flags MsgFlags) (SQE, error) {
	return r.prepRecvSelect("PrepRecvMultishotBundle", fd, group, flags, abi.IORING_RECV_MULTISHOT|abi.IORING_RECVSEND_BUNDLE)
}

func (r *Ring) prepRecvSelect(method string, fd int, group uint16, flags MsgFlags, ioprio uint16) (SQE, error) {
	e, s, err := r.prep(method, abi.IORING_OP_RECV, fd, 0, 0, 0)
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = uint32(flags)
	e.Ioprio = ioprio
	r.selectBuffer(e, group)
	return s, nil
}

// PrepSendBundle prepares a send of the buffers queued in provided-buffer group (a BufRing
// whose buffers were added with BufRing.Add and the length of their data), in the ring's
// order, up to n bytes (0: as many as the kernel takes at once). One completion reports the
// bytes sent, with the first buffer's id; BufRing.Bundle returns the buffers it consumed
// (IORING_OP_SEND with IORING_RECVSEND_BUNDLE, 6.10; io_uring_prep_send_bundle).
func (r *Ring) PrepSendBundle(fd int, group uint16, n int, flags MsgFlags) (SQE, error) {
	if n < 0 || n > maxRW {
		return SQE{}, invalid("PrepSendBundle", "length %d out of range", n)
	}
	e, s, err := r.prep("PrepSendBundle", abi.IORING_OP_SEND, fd, 0, uint32(n), 0)
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = uint32(flags)
	e.Ioprio = abi.IORING_RECVSEND_BUNDLE
	r.selectBuffer(e, group)
	return s, nil
}

// PrepShutdown prepares shutdown(2) of socket fd; how is unix.SHUT_RD, SHUT_WR or SHUT_RDWR
// (IORING_OP_SHUTDOWN, 5.11; io_uring_prep_shutdown).
func (r *Ring) PrepShutdown(fd int, how int) (SQE, error) {
	if how != int(int32(how)) {
		return SQE{}, invalid("PrepShutdown", "how %d out of range", how)
	}
	_, s, err := r.prep("PrepShutdown", abi.IORING_OP_SHUTDOWN, fd, 0, uint32(how), 0)
	return s, err
}

// Msg is one message for PrepSendmsg, PrepSendmsgZC and PrepRecvmsg: Go's struct msghdr. The
// Ring builds the kernel's msghdr and iovec array inside it and holds it, its buffers and its
// control bytes until the final completion; do not change or reuse a Msg before then.
type Msg struct {
	// Buffers are gathered by a send and filled in order by a receive.
	Buffers [][]byte
	// Control holds the ancillary data (cmsgs, see unix.UnixRights) to send, or the room
	// for those received: ControlLen says how much was filled.
	Control []byte
	// Addr is the destination of a send on an unconnected socket, nil otherwise; a receive
	// ignores it (Source returns the sender).
	Addr unix.Sockaddr

	hdr  unix.Msghdr
	name SockaddrBuf
}

// Source returns the sender of a received message (recvmsg's msg_name), once the receive has
// completed. A connected stream socket reports no address: EAFNOSUPPORT.
func (m *Msg) Source() (unix.Sockaddr, error) {
	m.name.len = min(m.hdr.Namelen, uint32(unsafe.Sizeof(m.name.raw)))
	return m.name.Sockaddr()
}

// ControlLen returns how many bytes of Control a completed receive filled (msg_controllen).
func (m *Msg) ControlLen() int { return int(m.hdr.Controllen) }

// Flags returns the flags a completed receive reported (msg_flags): MsgTrunc when a datagram
// did not fit, MsgCtrunc when the control data did not, MsgEOR, MsgOOB, MsgErrQueue.
func (m *Msg) Flags() MsgFlags { return MsgFlags(uint32(m.hdr.Flags)) }

// PrepSendmsg prepares sendmsg(2) of m on socket fd; the result is the number of bytes sent
// (IORING_OP_SENDMSG, 5.3; io_uring_prep_sendmsg).
func (r *Ring) PrepSendmsg(fd int, m *Msg, flags MsgFlags) (SQE, error) {
	return r.prepMsg("PrepSendmsg", abi.IORING_OP_SENDMSG, fd, m, flags)
}

// PrepRecvmsg prepares recvmsg(2) from socket fd into m; the result is the number of bytes
// received. Afterwards m.Source, m.ControlLen and m.Flags report the sender, the control bytes
// received and the message flags (IORING_OP_RECVMSG, 5.3; io_uring_prep_recvmsg).
func (r *Ring) PrepRecvmsg(fd int, m *Msg, flags MsgFlags) (SQE, error) {
	return r.prepMsg("PrepRecvmsg", abi.IORING_OP_RECVMSG, fd, m, flags)
}

// PrepSendmsgZC is PrepSendmsg without copying the data, as PrepSendZC does: the Ring holds m
// until the notification (IORING_OP_SENDMSG_ZC, 6.1; io_uring_prep_sendmsg_zc).
func (r *Ring) PrepSendmsgZC(fd int, m *Msg, flags MsgFlags) (SQE, error) {
	return r.prepMsg("PrepSendmsgZC", abi.IORING_OP_SENDMSG_ZC, fd, m, flags)
}

// PrepSendmsgZCFixed is PrepSendmsgZC whose buffers all lie inside registered buffer index
// (IORING_RECVSEND_FIXED_BUF with SENDMSG_ZC, 6.15; io_uring_prep_sendmsg_zc_fixed).
func (r *Ring) PrepSendmsgZCFixed(fd int, m *Msg, flags MsgFlags, index uint16) (SQE, error) {
	s, err := r.prepMsg("PrepSendmsgZCFixed", abi.IORING_OP_SENDMSG_ZC, fd, m, flags)
	if err == nil {
		s.e.Ioprio = abi.IORING_RECVSEND_FIXED_BUF
		s.e.BufIndex = index
	}
	return s, err
}

func (r *Ring) prepMsg(method string, op uint8, fd int, m *Msg, flags MsgFlags) (SQE, error) {
	if m == nil {
		return SQE{}, invalid(method, "nil Msg")
	}
	recv := op == abi.IORING_OP_RECVMSG
	if !recv && m.Addr != nil {
		if err := m.name.set(method, m.Addr); err != nil {
			return SQE{}, err
		}
	}
	e, s, err := r.prep(method, op, fd, uint64(uintptr(unsafe.Pointer(&m.hdr))), 1, 0)
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = uint32(flags)
	slot := r.hold(e, unsafe.Pointer(m), nil)
	r.appendIovecs(slot, m.Buffers)
	m.hdr = unix.Msghdr{}
	switch {
	case recv:
		m.name = SockaddrBuf{}
		m.hdr.Name = (*byte)(unsafe.Pointer(&m.name.raw))
		m.hdr.Namelen = uint32(unsafe.Sizeof(m.name.raw))
	case m.Addr != nil:
		m.hdr.Name = (*byte)(unsafe.Pointer(&m.name.raw))
		m.hdr.Namelen = m.name.len
	}
	if len(slot.iov) > 0 {
		m.hdr.Iov = unsafe.SliceData(slot.iov)
		m.hdr.SetIovlen(len(slot.iov))
	}
	if len(m.Control) > 0 {
		m.hdr.Control = unsafe.SliceData(m.Control)
		m.hdr.SetControllen(len(m.Control))
	}
	return s, nil
}

// RecvmsgLayout says how PrepRecvmsgMultishot lays out each provided buffer: a 16-byte header
// (struct io_uring_recvmsg_out), NameLen bytes for the source address, ControlLen bytes for
// control data, then the payload. Parse reads a buffer back.
type RecvmsgLayout struct {
	NameLen    int // room for the source address: 0 for none, unix.SizeofSockaddrInet6 for IP
	ControlLen int // room for control data, 0 for none
}

// recvmsgOutSize is the size of struct io_uring_recvmsg_out.
const recvmsgOutSize = int(unsafe.Sizeof(abi.RecvmsgOut{}))

// PrepRecvmsgMultishot prepares a recvmsg(2) that stays armed: each message goes into a buffer
// of provided-buffer group (a BufRing), laid out as layout says, with a completion whose result
// is the bytes of the buffer used, CQEFBuffer with its id, and CQEFMore while it stays armed;
// layout.Parse splits the buffer. It ends as PrepRecvMultishot does
// (IORING_OP_RECVMSG with IORING_RECV_MULTISHOT, 6.0; io_uring_prep_recvmsg_multishot).
func (r *Ring) PrepRecvmsgMultishot(fd int, layout RecvmsgLayout, group uint16, flags MsgFlags) (SQE, error) {
	const method = "PrepRecvmsgMultishot"
	if layout.NameLen < 0 || layout.ControlLen < 0 || layout.NameLen > int(unsafe.Sizeof(unix.RawSockaddrAny{})) ||
		layout.ControlLen > math.MaxInt32-recvmsgOutSize-layout.NameLen {
		return SQE{}, invalid(method, "layout %+v out of range", layout)
	}
	// The kernel reads only the lengths: each message's address and control data go into
	// its buffer.
	hdr := &unix.Msghdr{Namelen: uint32(layout.NameLen)}
	hdr.SetControllen(layout.ControlLen)
	e, s, err := r.prep(method, abi.IORING_OP_RECVMSG, fd, uint64(uintptr(unsafe.Pointer(hdr))), 1, 0)
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = uint32(flags)
	e.Ioprio = abi.IORING_RECV_MULTISHOT
	r.selectBuffer(e, group)
	r.hold(e, unsafe.Pointer(hdr), nil)
	return s, nil
}

// RecvmsgOut is one message of a multishot recvmsg, read from its buffer by
// RecvmsgLayout.Parse. The slices point into the buffer.
type RecvmsgOut struct {
	Name    []byte // the source address, as much as fitted (decode it with Source)
	Control []byte // the control data, as much as fitted
	Payload []byte // the data, as much as fitted

	NameLen    int      // the address's real length: more than len(Name) if cut short
	ControlLen int      // the control data's real length
	PayloadLen int      // the message's real length: more than len(Payload) with MsgTrunc
	Flags      MsgFlags // the message's flags (msg_flags)
}

// Parse splits buf, the bytes a multishot recvmsg completion filled (BufRing.Bytes), into
// header, address, control data and payload, as io_uring_recvmsg_validate,
// io_uring_recvmsg_name, io_uring_recvmsg_cmsg_firsthdr and io_uring_recvmsg_payload do. A
// buffer too short for the layout gives an ArgError.
func (l RecvmsgLayout) Parse(buf []byte) (RecvmsgOut, error) {
	hdr, name, ctl := recvmsgOutSize, l.NameLen, l.ControlLen
	if name < 0 || ctl < 0 || len(buf) < hdr || name > len(buf)-hdr || ctl > len(buf)-hdr-name {
		return RecvmsgOut{}, invalid("RecvmsgLayout.Parse", "buffer of %d bytes is too short for layout %+v", len(buf), l)
	}
	var h abi.RecvmsgOut
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&h)), hdr), buf)
	o := RecvmsgOut{
		NameLen:    int(h.Namelen),
		ControlLen: int(h.Controllen),
		PayloadLen: int(h.Payloadlen),
		Flags:      MsgFlags(h.Flags),
	}
	o.Name = buf[hdr : hdr+min(o.NameLen, name)]
	o.Control = buf[hdr+name : hdr+name+min(o.ControlLen, ctl)]
	o.Payload = buf[hdr+name+ctl:]
	return o, nil
}

// Source decodes the message's source address, as SockaddrBuf.Sockaddr does.
func (o *RecvmsgOut) Source() (unix.Sockaddr, error) { return decodeSockaddr(o.Name) }

// SendZCFlags modify the zero-copy sends (sqe->ioprio).
type SendZCFlags uint16

// SendZCReportUsage makes the notification say whether the data was copied after all, in
// CQE.ZCCopied (IORING_SEND_ZC_REPORT_USAGE, 6.2).
const SendZCReportUsage SendZCFlags = abi.IORING_SEND_ZC_REPORT_USAGE

// NotifUsageZCCopied is the bit of a zero-copy notification's result that says the kernel
// copied the data (IORING_NOTIF_USAGE_ZC_COPIED, 6.2); CQE.ZCCopied tests it.
const NotifUsageZCCopied uint32 = abi.IORING_NOTIF_USAGE_ZC_COPIED

// ZCCopied reports whether c is the notification of a zero-copy send prepared with
// SendZCReportUsage whose data the kernel copied rather than sent from the caller's memory (as
// on loopback). Such a notification's Res has the top bit set: it is not an errno.
func (c CQE) ZCCopied() bool { return c.Notif() && uint32(c.Res)&NotifUsageZCCopied != 0 }

// PrepSendZC prepares a send of buf on socket fd that the kernel may transmit from buf itself
// instead of a copy (IORING_OP_SEND_ZC, 6.0; io_uring_prep_send_zc). It posts two completions:
// first the result (the bytes sent, or an errno) with CQEFMore set when a notification follows
// (Linux 6.18 sends one even after most failures), then the notification, with CQEFNotif and
// the same user data, once the kernel no longer uses buf. The Ring holds buf until the
// notification; the caller must not write to it before.
func (r *Ring) PrepSendZC(fd int, buf []byte, flags MsgFlags, zcFlags SendZCFlags) (SQE, error) {
	s, err := r.prepSend("PrepSendZC", abi.IORING_OP_SEND_ZC, fd, buf, flags, nil)
	if err == nil {
		s.e.Ioprio = uint16(zcFlags)
	}
	return s, err
}

// PrepSendZCFixed is PrepSendZC from registered buffer index: buf must lie inside that
// registered buffer (IORING_RECVSEND_FIXED_BUF, 6.0; io_uring_prep_send_zc_fixed).
func (r *Ring) PrepSendZCFixed(fd int, buf []byte, index uint16, flags MsgFlags, zcFlags SendZCFlags) (SQE, error) {
	s, err := r.prepSend("PrepSendZCFixed", abi.IORING_OP_SEND_ZC, fd, buf, flags, nil)
	if err == nil {
		s.e.Ioprio = uint16(zcFlags) | abi.IORING_RECVSEND_FIXED_BUF
		s.e.BufIndex = index
	}
	return s, err
}
