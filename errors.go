package uring

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// Sentinel errors, for errors.Is.
var (
	// ErrSQFull is returned by the Prep methods when every submission queue entry is in use:
	// submit (or reap completions, with SQPOLL) and try again. It is the reference
	// URingContext's NoSpace.
	ErrSQFull = errors.New("uring: submission queue is full")

	// ErrClosed is returned by every method of a Ring that has been closed. It matches
	// os.ErrClosed too.
	ErrClosed = closedError{}

	// ErrNotSupported is wrapped by the errors that say this kernel lacks an operation, a flag
	// or a feature; the wrapping error names it and the kernel that added it.
	ErrNotSupported = errors.New("not supported by this kernel")

	// ErrInvalid is wrapped by the errors for arguments the library refuses before the kernel
	// sees them: empty buffers, sizes out of range, nil pointers.
	ErrInvalid = errors.New("invalid argument")
)

type closedError struct{}

func (closedError) Error() string { return "uring: ring is closed" }

// Is makes errors.Is(ErrClosed, os.ErrClosed) true, so code written for files works unchanged.
func (closedError) Is(target error) bool { return target == os.ErrClosed }

// invalid returns an error that wraps ErrInvalid, naming the method and what was wrong.
func invalid(method, format string, args ...any) error {
	return &ArgError{Method: method, Reason: fmt.Sprintf(format, args...)}
}

// ArgError is returned for an argument that the library refuses before it reaches the kernel.
// It matches ErrInvalid with errors.Is.
type ArgError struct {
	Method string // the method called, like "PrepRead"
	Reason string // what was wrong, like "empty buffer"
}

func (e *ArgError) Error() string { return "uring: " + e.Method + ": " + e.Reason }

// Unwrap returns ErrInvalid.
func (e *ArgError) Unwrap() error { return ErrInvalid }

// NotSupportedError says that the running kernel lacks something the caller asked for. It
// matches ErrNotSupported with errors.Is, and the errno the kernel gave, if any.
type NotSupportedError struct {
	What      string // "IORING_OP_RECV_ZC", "IORING_SETUP_CQE_MIXED", ...
	MinKernel string // the first kernel that has it, like "6.15"
	Errno     error  // the kernel's answer, when there was one
}

func (e *NotSupportedError) Error() string {
	s := "uring: " + e.What + " is not supported by this kernel"
	if e.MinKernel != "" {
		s += " (it needs Linux " + e.MinKernel + ")"
	}
	if e.Errno != nil {
		s += ": " + e.Errno.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrNotSupported) true.
func (e *NotSupportedError) Is(target error) bool { return target == ErrNotSupported }

// Unwrap returns the kernel's errno.
func (e *NotSupportedError) Unwrap() error { return e.Errno }

// SetupError is returned by New when io_uring_setup(2) or mapping the rings fails. It wraps the
// errno, so errors.Is(err, syscall.ENOSYS) and errors.Is(err, syscall.EPERM) work, and its
// message names the likely cause.
type SetupError struct {
	Op    string // "io_uring_setup", "mmap", ...
	Err   error  // the errno
	Cause string // a sentence on the likely cause, or ""
}

func (e *SetupError) Error() string {
	s := "uring: " + e.Op + ": " + e.Err.Error()
	if e.Cause != "" {
		s += " (" + e.Cause + ")"
	}
	return s
}

// Unwrap returns the errno.
func (e *SetupError) Unwrap() error { return e.Err }

// Unavailable reports whether the error says that io_uring cannot be used at all in this
// process (ENOSYS: no kernel support or a seccomp filter; EPERM: disabled by sysctl or policy),
// as opposed to a bad argument or a resource limit.
func (e *SetupError) Unavailable() bool {
	return errors.Is(e.Err, syscall.ENOSYS) || errors.Is(e.Err, syscall.EPERM)
}

// IsUnavailable reports whether err says that io_uring cannot be used in this process at all.
// Code that can fall back to plain system calls checks it after New.
func IsUnavailable(err error) bool {
	var se *SetupError
	return errors.As(err, &se) && se.Unavailable()
}

// setupCause explains an io_uring_setup failure in words.
func setupCause(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSYS):
		return "io_uring is unavailable: the kernel was built without it, or a seccomp filter " +
			"(a container runtime's default profile, say) blocks io_uring_setup"
	case errors.Is(err, syscall.EPERM):
		if b, rerr := os.ReadFile("/proc/sys/kernel/io_uring_disabled"); rerr == nil {
			switch strings.TrimSpace(string(b)) {
			case "2":
				return "io_uring is unavailable: it is disabled for every process by kernel.io_uring_disabled=2"
			case "1":
				return "io_uring is unavailable: kernel.io_uring_disabled=1 allows it only to processes " +
					"with CAP_SYS_ADMIN or in the group kernel.io_uring_group"
			}
		}
		return "io_uring is unavailable: refused by kernel.io_uring_disabled, a seccomp filter or an LSM policy"
	case errors.Is(err, syscall.ENOMEM):
		return "the kernel could not allocate the rings: RLIMIT_MEMLOCK (ulimit -l) may be too low on kernels before 5.12"
	case errors.Is(err, syscall.EINVAL):
		return "the kernel refused these parameters: a setup flag it does not know, a bad combination, or a size out of range"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files"
	}
	return ""
}
