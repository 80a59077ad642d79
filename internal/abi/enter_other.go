//go:build !amd64 && !arm64

package abi

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// EnterNoWait is Enter without the scheduler's bookkeeping (entersyscall/exitsyscall). Only for
// calls that cannot sleep: submitting without IORING_ENTER_SQ_WAIT, and GETEVENTS with no
// minimum, which flushes completions but never waits. A call that may wait must use Enter. It
// returns the errno itself, 0 for success.
func EnterNoWait(fd int, toSubmit, flags uint32) (int, syscall.Errno) {
	n, _, errno := unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(fd), uintptr(toSubmit), 0, uintptr(flags), 0, 0)
	return int(n), errno
}
