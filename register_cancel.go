package uring

import (
	"time"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var _ = registerHelpers(abi.IORING_REGISTER_SYNC_CANCEL, "RegisterSyncCancel", "RegisterSyncCancelFd")

// RegisterSyncCancel cancels the operation whose user data is userData (every operation with
// CancelAny, every match with CancelAll) and waits until the operations it found have ended,
// without an SQE (IORING_REGISTER_SYNC_CANCEL, 6.0; io_uring_register_sync_cancel). The
// cancelled operations still post their own completions, usually with ECANCELED. It fails with
// ENOENT when nothing matched, and with ETIME when timeout passed first; a timeout of 0 or less
// waits as long as it takes.
func (r *Ring) RegisterSyncCancel(userData uint64, flags CancelFlags, timeout time.Duration) error {
	reg := abi.SyncCancelReg{Fd: -1, Flags: uint32(flags)}
	if flags&CancelAny == 0 {
		reg.Addr = r.target(userData)
	}
	return r.syncCancel("RegisterSyncCancel", &reg, flags, timeout)
}

// RegisterSyncCancelFd is RegisterSyncCancel for the operations on fd, or on registered file
// fd with CancelFdFixed (IORING_ASYNC_CANCEL_FD, 6.0; io_uring_register_sync_cancel).
func (r *Ring) RegisterSyncCancelFd(fd int, flags CancelFlags, timeout time.Duration) error {
	if fd != int(int32(fd)) || fd < 0 {
		return invalid("RegisterSyncCancelFd", "fd %d out of range", fd)
	}
	reg := abi.SyncCancelReg{Fd: int32(fd), Flags: uint32(flags) | cancelFd}
	return r.syncCancel("RegisterSyncCancelFd", &reg, flags, timeout)
}

func (r *Ring) syncCancel(method string, reg *abi.SyncCancelReg, flags CancelFlags, timeout time.Duration) error {
	if flags&^(CancelAll|CancelAny|CancelFdFixed) != 0 {
		return invalid(method, "unknown flags %#x", uint32(flags))
	}
	reg.Timeout = abi.KernelTimespec{Sec: -1, Nsec: -1} // the kernel's "no timeout"
	if timeout > 0 {
		reg.Timeout = relTimespec(timeout)
	}
	_, err := r.register("IORING_REGISTER_SYNC_CANCEL", abi.IORING_REGISTER_SYNC_CANCEL, unsafe.Pointer(reg), 1)
	return err
}
