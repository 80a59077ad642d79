// Package sandbox makes io_uring unavailable to the calling process, the way a container's
// seccomp profile or kernel.io_uring_disabled does, so that tests can check what the library
// does then without changing the whole machine. It is for tests: a process cannot undo it.
package sandbox

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DenyIOUring installs a seccomp filter, on every thread of the process, under which
// io_uring_setup(2), io_uring_enter(2) and io_uring_register(2) fail with errno.
func DenyIOUring(errno syscall.Errno) error {
	const (
		ldAbsW = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		retK   = unix.BPF_RET | unix.BPF_K
	)
	var arch uint32
	switch runtime.GOARCH {
	case "amd64":
		arch = unix.AUDIT_ARCH_X86_64
	case "arm64":
		arch = unix.AUDIT_ARCH_AARCH64
	default:
		return fmt.Errorf("sandbox: no seccomp arch for %s", runtime.GOARCH)
	}
	allow := uint32(unix.SECCOMP_RET_ALLOW)
	deny := uint32(unix.SECCOMP_RET_ERRNO) | uint32(errno)&unix.SECCOMP_RET_DATA
	prog := []unix.SockFilter{
		{Code: ldAbsW, K: 4}, // seccomp_data.arch
		{Code: jeqK, K: arch, Jt: 1, Jf: 0},
		{Code: retK, K: allow}, // another ABI: leave it alone
		{Code: ldAbsW, K: 0},   // seccomp_data.nr
		{Code: jeqK, K: unix.SYS_IO_URING_SETUP, Jt: 3},
		{Code: jeqK, K: unix.SYS_IO_URING_ENTER, Jt: 2},
		{Code: jeqK, K: unix.SYS_IO_URING_REGISTER, Jt: 1},
		{Code: retK, K: allow},
		{Code: retK, K: deny},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("sandbox: PR_SET_NO_NEW_PRIVS: %w", err)
	}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if e != 0 {
		return fmt.Errorf("sandbox: seccomp: %w", e)
	}
	return nil
}
