//go:build amd64 || arm64

package abi

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Both architectures number io_uring_enter 426 (the generic syscall table); the assembly
// hard-codes it, so check.
const _ = uint(unix.SYS_IO_URING_ENTER-426) + uint(426-unix.SYS_IO_URING_ENTER)

func enterNoWait(fd, toSubmit, flags uintptr) (n, errno uintptr)

// EnterNoWait is Enter without the scheduler's bookkeeping (entersyscall/exitsyscall, about
// 45ns here) and without the runtime's syscall wrappers (about 30ns more). Only for calls that
// cannot sleep: submitting without IORING_ENTER_SQ_WAIT, and GETEVENTS with no minimum, which
// flushes completions but never waits. A call that may wait must use Enter, so that the runtime
// can hand this thread's P to other goroutines meanwhile. It returns the errno itself (0 for
// success) rather than an error, so that it is small enough to inline into the submit path.
func EnterNoWait(fd int, toSubmit, flags uint32) (int, syscall.Errno) {
	n, errno := enterNoWait(uintptr(fd), uintptr(toSubmit), uintptr(flags))
	return int(n), syscall.Errno(errno)
}
