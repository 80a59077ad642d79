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

// OpInfo describes one operation: the kernel's name, the first kernel that has it, and the Ring
// methods of this library that prepare it (none where the library has no helper yet).
type OpInfo struct {
	Op        Op
	Name      string   // IORING_OP_ name without the prefix, like "READV"
	MinKernel string   // like "5.1"
	Helpers   []string // Ring methods, like "PrepReadv"
}

// OpList lists every operation this library knows, indexed by its code.
var OpList = []OpInfo{
	{OpNop, "NOP", "5.1", []string{"PrepNop", "PrepNopResult"}},
	{OpReadv, "READV", "5.1", []string{"PrepReadv"}},
	{OpWritev, "WRITEV", "5.1", []string{"PrepWritev"}},
	{OpFsync, "FSYNC", "5.1", []string{"PrepFsync"}},
	{OpReadFixed, "READ_FIXED", "5.1", nil},
	{OpWriteFixed, "WRITE_FIXED", "5.1", nil},
	{OpPollAdd, "POLL_ADD", "5.1", []string{"PrepPollAdd", "PrepPollMultishot"}},
	{OpPollRemove, "POLL_REMOVE", "5.1", []string{"PrepPollRemove", "PrepPollUpdate"}},
	{OpSyncFileRange, "SYNC_FILE_RANGE", "5.2", []string{"PrepSyncFileRange"}},
	{OpSendmsg, "SENDMSG", "5.3", nil},
	{OpRecvmsg, "RECVMSG", "5.3", nil},
	{OpTimeout, "TIMEOUT", "5.4", []string{"PrepTimeout", "PrepTimeoutAt"}},
	{OpTimeoutRemove, "TIMEOUT_REMOVE", "5.5", []string{"PrepTimeoutRemove", "PrepTimeoutUpdate"}},
	{OpAccept, "ACCEPT", "5.5", nil},
	{OpAsyncCancel, "ASYNC_CANCEL", "5.5", []string{"PrepCancel", "PrepCancelFd"}},
	{OpLinkTimeout, "LINK_TIMEOUT", "5.5", []string{"PrepLinkTimeout"}},
	{OpConnect, "CONNECT", "5.5", nil},
	{OpFallocate, "FALLOCATE", "5.6", []string{"PrepFallocate"}},
	{OpOpenat, "OPENAT", "5.6", nil},
	{OpClose, "CLOSE", "5.6", nil},
	{OpFilesUpdate, "FILES_UPDATE", "5.6", nil},
	{OpStatx, "STATX", "5.6", nil},
	{OpRead, "READ", "5.6", []string{"PrepRead"}},
	{OpWrite, "WRITE", "5.6", []string{"PrepWrite"}},
	{OpFadvise, "FADVISE", "5.6", nil},
	{OpMadvise, "MADVISE", "5.6", nil},
	{OpSend, "SEND", "5.6", nil},
	{OpRecv, "RECV", "5.6", nil},
	{OpOpenat2, "OPENAT2", "5.6", nil},
	{OpEpollCtl, "EPOLL_CTL", "5.6", nil},
	{OpSplice, "SPLICE", "5.7", nil},
	{OpProvideBuffers, "PROVIDE_BUFFERS", "5.7", nil},
	{OpRemoveBuffers, "REMOVE_BUFFERS", "5.7", nil},
	{OpTee, "TEE", "5.8", nil},
	{OpShutdown, "SHUTDOWN", "5.11", nil},
	{OpRenameat, "RENAMEAT", "5.11", nil},
	{OpUnlinkat, "UNLINKAT", "5.11", nil},
	{OpMkdirat, "MKDIRAT", "5.15", nil},
	{OpSymlinkat, "SYMLINKAT", "5.15", nil},
	{OpLinkat, "LINKAT", "5.15", nil},
	{OpMsgRing, "MSG_RING", "5.18", nil},
	{OpFsetxattr, "FSETXATTR", "5.19", nil},
	{OpSetxattr, "SETXATTR", "5.19", nil},
	{OpFgetxattr, "FGETXATTR", "5.19", nil},
	{OpGetxattr, "GETXATTR", "5.19", nil},
	{OpSocket, "SOCKET", "5.19", nil},
	{OpUringCmd, "URING_CMD", "5.19", nil},
	{OpSendZC, "SEND_ZC", "6.0", nil},
	{OpSendmsgZC, "SENDMSG_ZC", "6.1", nil},
	{OpReadMultishot, "READ_MULTISHOT", "6.7", nil},
	{OpWaitid, "WAITID", "6.7", nil},
	{OpFutexWait, "FUTEX_WAIT", "6.7", nil},
	{OpFutexWake, "FUTEX_WAKE", "6.7", nil},
	{OpFutexWaitv, "FUTEX_WAITV", "6.7", nil},
	{OpFixedFdInstall, "FIXED_FD_INSTALL", "6.8", nil},
	{OpFtruncate, "FTRUNCATE", "6.9", nil},
	{OpBind, "BIND", "6.11", nil},
	{OpListen, "LISTEN", "6.11", nil},
	{OpRecvZC, "RECV_ZC", "6.15", nil},
	{OpEpollWait, "EPOLL_WAIT", "6.15", nil},
	{OpReadvFixed, "READV_FIXED", "6.15", nil},
	{OpWritevFixed, "WRITEV_FIXED", "6.15", nil},
	{OpPipe, "PIPE", "6.16", nil},
	{OpNop128, "NOP128", "6.19", nil},
	{OpUringCmd128, "URING_CMD128", "6.19", nil},
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
