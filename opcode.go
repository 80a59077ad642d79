package uring

import (
	"strconv"

	"github.com/uringo/uring/internal/abi"
)

// Op is an io_uring operation code (enum io_uring_op).
type Op uint8

// The operations, with the kernel that added each. The Prep methods named in OpList build them.
const (
	OpNop            Op = abi.IORING_OP_NOP
	OpReadv          Op = abi.IORING_OP_READV
	OpWritev         Op = abi.IORING_OP_WRITEV
	OpFsync          Op = abi.IORING_OP_FSYNC
	OpReadFixed      Op = abi.IORING_OP_READ_FIXED
	OpWriteFixed     Op = abi.IORING_OP_WRITE_FIXED
	OpPollAdd        Op = abi.IORING_OP_POLL_ADD
	OpPollRemove     Op = abi.IORING_OP_POLL_REMOVE
	OpSyncFileRange  Op = abi.IORING_OP_SYNC_FILE_RANGE
	OpSendmsg        Op = abi.IORING_OP_SENDMSG
	OpRecvmsg        Op = abi.IORING_OP_RECVMSG
	OpTimeout        Op = abi.IORING_OP_TIMEOUT
	OpTimeoutRemove  Op = abi.IORING_OP_TIMEOUT_REMOVE
	OpAccept         Op = abi.IORING_OP_ACCEPT
	OpAsyncCancel    Op = abi.IORING_OP_ASYNC_CANCEL
	OpLinkTimeout    Op = abi.IORING_OP_LINK_TIMEOUT
	OpConnect        Op = abi.IORING_OP_CONNECT
	OpFallocate      Op = abi.IORING_OP_FALLOCATE
	OpOpenat         Op = abi.IORING_OP_OPENAT
	OpClose          Op = abi.IORING_OP_CLOSE
	OpFilesUpdate    Op = abi.IORING_OP_FILES_UPDATE
	OpStatx          Op = abi.IORING_OP_STATX
	OpRead           Op = abi.IORING_OP_READ
	OpWrite          Op = abi.IORING_OP_WRITE
	OpFadvise        Op = abi.IORING_OP_FADVISE
	OpMadvise        Op = abi.IORING_OP_MADVISE
	OpSend           Op = abi.IORING_OP_SEND
	OpRecv           Op = abi.IORING_OP_RECV
	OpOpenat2        Op = abi.IORING_OP_OPENAT2
	OpEpollCtl       Op = abi.IORING_OP_EPOLL_CTL
	OpSplice         Op = abi.IORING_OP_SPLICE
	OpProvideBuffers Op = abi.IORING_OP_PROVIDE_BUFFERS
	OpRemoveBuffers  Op = abi.IORING_OP_REMOVE_BUFFERS
	OpTee            Op = abi.IORING_OP_TEE
	OpShutdown       Op = abi.IORING_OP_SHUTDOWN
	OpRenameat       Op = abi.IORING_OP_RENAMEAT
	OpUnlinkat       Op = abi.IORING_OP_UNLINKAT
	OpMkdirat        Op = abi.IORING_OP_MKDIRAT
	OpSymlinkat      Op = abi.IORING_OP_SYMLINKAT
	OpLinkat         Op = abi.IORING_OP_LINKAT
	OpMsgRing        Op = abi.IORING_OP_MSG_RING
	OpFsetxattr      Op = abi.IORING_OP_FSETXATTR
	OpSetxattr       Op = abi.IORING_OP_SETXATTR
	OpFgetxattr      Op = abi.IORING_OP_FGETXATTR
	OpGetxattr       Op = abi.IORING_OP_GETXATTR
	OpSocket         Op = abi.IORING_OP_SOCKET
	OpUringCmd       Op = abi.IORING_OP_URING_CMD
	OpSendZC         Op = abi.IORING_OP_SEND_ZC
	OpSendmsgZC      Op = abi.IORING_OP_SENDMSG_ZC
	OpReadMultishot  Op = abi.IORING_OP_READ_MULTISHOT
	OpWaitid         Op = abi.IORING_OP_WAITID
	OpFutexWait      Op = abi.IORING_OP_FUTEX_WAIT
	OpFutexWake      Op = abi.IORING_OP_FUTEX_WAKE
	OpFutexWaitv     Op = abi.IORING_OP_FUTEX_WAITV
	OpFixedFdInstall Op = abi.IORING_OP_FIXED_FD_INSTALL
	OpFtruncate      Op = abi.IORING_OP_FTRUNCATE
	OpBind           Op = abi.IORING_OP_BIND
	OpListen         Op = abi.IORING_OP_LISTEN
	OpRecvZC         Op = abi.IORING_OP_RECV_ZC
	OpEpollWait      Op = abi.IORING_OP_EPOLL_WAIT
	OpReadvFixed     Op = abi.IORING_OP_READV_FIXED
	OpWritevFixed    Op = abi.IORING_OP_WRITEV_FIXED
	OpPipe           Op = abi.IORING_OP_PIPE
	OpNop128         Op = abi.IORING_OP_NOP128
	OpUringCmd128    Op = abi.IORING_OP_URING_CMD128
)

// OpInfo describes one operation: the kernel's name and the first kernel that has it.
type OpInfo struct {
	Op        Op
	Name      string // IORING_OP_ name without the prefix, like "READV"
	MinKernel string // like "5.1"
}

// OpList lists every operation this library knows, indexed by its code.
var OpList = []OpInfo{
	{OpNop, "NOP", "5.1"},
	{OpReadv, "READV", "5.1"},
	{OpWritev, "WRITEV", "5.1"},
	{OpFsync, "FSYNC", "5.1"},
	{OpReadFixed, "READ_FIXED", "5.1"},
	{OpWriteFixed, "WRITE_FIXED", "5.1"},
	{OpPollAdd, "POLL_ADD", "5.1"},
	{OpPollRemove, "POLL_REMOVE", "5.1"},
	{OpSyncFileRange, "SYNC_FILE_RANGE", "5.2"},
	{OpSendmsg, "SENDMSG", "5.3"},
	{OpRecvmsg, "RECVMSG", "5.3"},
	{OpTimeout, "TIMEOUT", "5.4"},
	{OpTimeoutRemove, "TIMEOUT_REMOVE", "5.5"},
	{OpAccept, "ACCEPT", "5.5"},
	{OpAsyncCancel, "ASYNC_CANCEL", "5.5"},
	{OpLinkTimeout, "LINK_TIMEOUT", "5.5"},
	{OpConnect, "CONNECT", "5.5"},
	{OpFallocate, "FALLOCATE", "5.6"},
	{OpOpenat, "OPENAT", "5.6"},
	{OpClose, "CLOSE", "5.6"},
	{OpFilesUpdate, "FILES_UPDATE", "5.6"},
	{OpStatx, "STATX", "5.6"},
	{OpRead, "READ", "5.6"},
	{OpWrite, "WRITE", "5.6"},
	{OpFadvise, "FADVISE", "5.6"},
	{OpMadvise, "MADVISE", "5.6"},
	{OpSend, "SEND", "5.6"},
	{OpRecv, "RECV", "5.6"},
	{OpOpenat2, "OPENAT2", "5.6"},
	{OpEpollCtl, "EPOLL_CTL", "5.6"},
	{OpSplice, "SPLICE", "5.7"},
	{OpProvideBuffers, "PROVIDE_BUFFERS", "5.7"},
	{OpRemoveBuffers, "REMOVE_BUFFERS", "5.7"},
	{OpTee, "TEE", "5.8"},
	{OpShutdown, "SHUTDOWN", "5.11"},
	{OpRenameat, "RENAMEAT", "5.11"},
	{OpUnlinkat, "UNLINKAT", "5.11"},
	{OpMkdirat, "MKDIRAT", "5.15"},
	{OpSymlinkat, "SYMLINKAT", "5.15"},
	{OpLinkat, "LINKAT", "5.15"},
	{OpMsgRing, "MSG_RING", "5.18"},
	{OpFsetxattr, "FSETXATTR", "5.19"},
	{OpSetxattr, "SETXATTR", "5.19"},
	{OpFgetxattr, "FGETXATTR", "5.19"},
	{OpGetxattr, "GETXATTR", "5.19"},
	{OpSocket, "SOCKET", "5.19"},
	{OpUringCmd, "URING_CMD", "5.19"},
	{OpSendZC, "SEND_ZC", "6.0"},
	{OpSendmsgZC, "SENDMSG_ZC", "6.1"},
	{OpReadMultishot, "READ_MULTISHOT", "6.7"},
	{OpWaitid, "WAITID", "6.7"},
	{OpFutexWait, "FUTEX_WAIT", "6.7"},
	{OpFutexWake, "FUTEX_WAKE", "6.7"},
	{OpFutexWaitv, "FUTEX_WAITV", "6.7"},
	{OpFixedFdInstall, "FIXED_FD_INSTALL", "6.8"},
	{OpFtruncate, "FTRUNCATE", "6.9"},
	{OpBind, "BIND", "6.11"},
	{OpListen, "LISTEN", "6.11"},
	{OpRecvZC, "RECV_ZC", "6.15"},
	{OpEpollWait, "EPOLL_WAIT", "6.15"},
	{OpReadvFixed, "READV_FIXED", "6.15"},
	{OpWritevFixed, "WRITEV_FIXED", "6.15"},
	{OpPipe, "PIPE", "6.16"},
	{OpNop128, "NOP128", "6.19"},
	{OpUringCmd128, "URING_CMD128", "6.19"},
}

// String returns the kernel's name without the IORING_OP_ prefix, like "READV".
func (op Op) String() string {
	if int(op) < len(OpList) {
		return OpList[op].Name
	}
	return "OP_" + strconv.Itoa(int(op))
}

// MinKernel returns the first Linux release that has the operation, like "5.6", or "" if unknown.
func (op Op) MinKernel() string {
	if int(op) < len(OpList) {
		return OpList[op].MinKernel
	}
	return ""
}

// Helpers returns the names of the Ring methods that prepare the operation, like
// ["PrepReadv", "PrepReadv2"], or none where this library has no helper for it.
func (op Op) Helpers() []string { return opHelpers[op] }

// opHelpers is filled in by the files that define the Prep methods, each next to its methods,
// through prepHelpers; a test checks every name against the Ring's method set.
var opHelpers = map[Op][]string{}

// prepHelpers records the Prep methods of op. Each prep file calls it from a package-level var.
func prepHelpers(op Op, methods ...string) struct{} {
	opHelpers[op] = append(opHelpers[op], methods...)
	return struct{}{}
}
