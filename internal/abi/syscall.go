package abi

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Setup is io_uring_setup(2): it creates a ring of at least entries SQEs described by p, fills in
// p and returns the ring's fd (or, with IORING_SETUP_REGISTERED_FD_ONLY, a registered index).
func Setup(entries uint32, p *Params) (int, error) {
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// Enter is io_uring_enter2(2): it submits toSubmit SQEs and, with IORING_ENTER_GETEVENTS, waits
// until minComplete CQEs are ready. arg and argSize are the sigmask or, with
// IORING_ENTER_EXT_ARG, a *GeteventsArg. It returns the number of SQEs consumed.
//
// Enter goes through unix.Syscall6, never RawSyscall: a wait may block, and the runtime must be
// free to hand this thread's P to another goroutine while it does.
func Enter(fd int, toSubmit, minComplete, flags uint32, arg unsafe.Pointer, argSize uintptr) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(fd), uintptr(toSubmit),
		uintptr(minComplete), uintptr(flags), uintptr(arg), argSize)
	if errno != 0 {
		return int(n), errno
	}
	return int(n), nil
}

// Register is io_uring_register(2). opcode may carry IORING_REGISTER_USE_REGISTERED_RING, in
// which case fd is a registered ring index.
func Register(fd int, opcode uint32, arg unsafe.Pointer, nrArgs uint32) (int, error) {
	r, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(fd), uintptr(opcode),
		uintptr(arg), uintptr(nrArgs), 0, 0)
	if errno != 0 {
		return int(r), errno
	}
	return int(r), nil
}

// Errno turns a negative CQE result into its errno, or nil.
func Errno(res int32) error {
	if res >= 0 {
		return nil
	}
	return syscall.Errno(-res)
}
