package uring

import (
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var _ = prepHelpers(OpUringCmd, "PrepUringCmd", "PrepCmdSock", "PrepCmdGetsockname")

// Commands to the file's driver (IORING_OP_URING_CMD): NVMe passthrough, ublk, and the socket
// commands.

// cmdOffset is the offset of the command area (sqe->cmd) in an SQE.
const cmdOffset = 48

// CmdSize returns the room for a command's bytes in this Ring's SQEs: 16, or 80 on a Ring made
// WithSQE128.
func (r *Ring) CmdSize() int { return abi.SQESize<<sqeShift(uint32(r.flags)) - cmdOffset }

// PrepUringCmd prepares command cmdOp for the driver of fd, with the command's bytes cmd copied
// into the SQE's command area (at most CmdSize bytes; the rest is zeroed) (IORING_OP_URING_CMD,
// 5.19; io_uring_prep_uring_cmd). The result, and on a Ring made WithCQE32 the second half of
// the completion (CQE.Big), are the driver's. Files whose driver has no commands complete it
// with EOPNOTSUPP. The Ring copies cmd and holds nothing: memory the command points at must be
// managed by the caller, as for PrepUnsafe.
func (r *Ring) PrepUringCmd(cmdOp uint32, fd int, cmd []byte) (SQE, error) {
	if n := r.CmdSize(); len(cmd) > n {
		return SQE{}, invalid("PrepUringCmd", "command of %d bytes does not fit the %d of the SQE", len(cmd), n)
	}
	e, s, err := r.prepCmd("PrepUringCmd", cmdOp, fd)
	if err != nil {
		return SQE{}, err
	}
	area := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(e), cmdOffset)), r.CmdSize())
	clear(area[copy(area, cmd):]) // prep zeroed only the first 64 bytes of a 128-byte entry
	return s, nil
}

// prepCmd fills the fields every URING_CMD has.
func (r *Ring) prepCmd(method string, cmdOp uint32, fd int) (*abi.SQE, SQE, error) {
	e, s, err := r.prep(method, abi.IORING_OP_URING_CMD, fd, 0, 0, 0)
	if err == nil {
		*(*uint32)(unsafe.Pointer(&e.Off)) = cmdOp // cmd_op: the first half of off
	}
	return e, s, err
}

// SocketCmd is a command of PrepCmdSock (SOCKET_URING_OP_*).
type SocketCmd uint32

const (
	// SocketCmdSIOCINQ: the result is the bytes waiting to be read, as ioctl SIOCINQ
	// (SOCKET_URING_OP_SIOCINQ, 6.7). Like SocketCmdSIOCOUTQ it needs a protocol with an
	// ioctl (TCP, UDP, ...); Unix sockets answer EOPNOTSUPP.
	SocketCmdSIOCINQ SocketCmd = abi.SOCKET_URING_OP_SIOCINQ
	// SocketCmdSIOCOUTQ: the result is the bytes not yet sent, as ioctl SIOCOUTQ
	// (SOCKET_URING_OP_SIOCOUTQ, 6.7).
	SocketCmdSIOCOUTQ SocketCmd = abi.SOCKET_URING_OP_SIOCOUTQ
	// SocketCmdGetsockopt: getsockopt(2) of level and optname into optval; the result is the
	// option's length. Linux 6.18 takes level SOL_SOCKET only (SOCKET_URING_OP_GETSOCKOPT,
	// 6.7).
	SocketCmdGetsockopt SocketCmd = abi.SOCKET_URING_OP_GETSOCKOPT
	// SocketCmdSetsockopt: setsockopt(2) of level and optname to optval
	// (SOCKET_URING_OP_SETSOCKOPT, 6.7).
	SocketCmdSetsockopt SocketCmd = abi.SOCKET_URING_OP_SETSOCKOPT
)

// PrepCmdSock prepares socket command op on socket fd, with the option level, optname and
// value optval for SocketCmdGetsockopt and SocketCmdSetsockopt (nil for the others)
// (IORING_OP_URING_CMD, 6.7; io_uring_prep_cmd_sock). The Ring holds optval until the
// completion; a getsockopt writes into it.
func (r *Ring) PrepCmdSock(op SocketCmd, fd, level, optname int, optval []byte) (SQE, error) {
	const method = "PrepCmdSock"
	if level != int(int32(level)) || optname != int(int32(optname)) {
		return SQE{}, invalid(method, "level %d or optname %d out of range", level, optname)
	}
	var p unsafe.Pointer
	if len(optval) > 0 {
		var err error
		if p, _, err = bufPtr(method, optval); err != nil {
			return SQE{}, err
		}
	}
	e, s, err := r.prepCmd(method, uint32(op), fd)
	if err != nil {
		return SQE{}, err
	}
	// level and optname are the two halves of addr; optval is addr3, optlen file_index.
	*(*uint32)(unsafe.Pointer(&e.Addr)) = uint32(level)
	*(*uint32)(unsafe.Add(unsafe.Pointer(&e.Addr), 4)) = uint32(optname)
	e.Addr3 = uint64(uintptr(p))
	e.FileIndex = uint32(len(optval))
	if p != nil {
		r.hold(e, p, nil)
	}
	return s, nil
}

// PrepCmdGetsockname prepares getsockname(2) of socket fd, or getpeername(2) with peer, into
// sa; the result is 0 (SOCKET_URING_OP_GETSOCKNAME, 6.19; io_uring_prep_cmd_getsockname).
// Linux 6.18 and older complete it with EOPNOTSUPP. The Ring holds sa until the completion.
func (r *Ring) PrepCmdGetsockname(fd int, sa *SockaddrBuf, peer bool) (SQE, error) {
	if sa == nil {
		return SQE{}, invalid("PrepCmdGetsockname", "nil SockaddrBuf")
	}
	e, s, err := r.prepCmd("PrepCmdGetsockname", abi.SOCKET_URING_OP_GETSOCKNAME, fd)
	if err != nil {
		return SQE{}, err
	}
	sa.len = uint32(unsafe.Sizeof(sa.raw))
	e.Addr = uint64(uintptr(unsafe.Pointer(&sa.raw)))
	e.Addr3 = uint64(uintptr(unsafe.Pointer(&sa.len)))
	if peer {
		e.FileIndex = 1
	}
	r.hold(e, unsafe.Pointer(sa), nil)
	return s, nil
}
