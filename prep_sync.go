package uring

import (
	"encoding/binary"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = prepHelpers(OpFutexWait, "PrepFutexWait")
	_ = prepHelpers(OpFutexWake, "PrepFutexWake")
	_ = prepHelpers(OpFutexWaitv, "PrepFutexWaitv")
	_ = prepHelpers(OpWaitid, "PrepWaitid")
)

// Synchronisation: futexes and waiting for child processes.

// FutexFlags are the futex2(2) flags of a futex operation.
//
// The futex word is always a *uint32, so the Ring sets the size flag (FUTEX2_SIZE_U32, the only
// size Linux supports) itself; the flags only choose how the word is matched.
type FutexFlags uint32

// FutexPrivate: the futex word is shared only by the threads of this process, not through
// shared memory with others, which makes the kernel's look-up cheaper (FUTEX2_PRIVATE, 6.7).
// Both sides must agree: a private wait is woken only by a private wake (FUTEX_WAKE_PRIVATE
// for futex(2)).
const FutexPrivate FutexFlags = futex2Private

// FutexBitsetMatchAny as the mask of PrepFutexWait or PrepFutexWake matches every waiter and
// waker (FUTEX_BITSET_MATCH_ANY).
const FutexBitsetMatchAny uint32 = 0xffffffff

// futex2 flags (include/uapi/linux/futex.h); x/sys/unix does not have them.
const (
	futex2SizeU32  = 0x02
	futex2Private  = 128
	futexWaitvMax  = 128 // FUTEX_WAITV_MAX
	futexFlagsMask = FutexPrivate
)

// futex2Flags checks the caller's flags and adds the size of a 32-bit word.
func futex2Flags(method string, flags FutexFlags) (uint32, error) {
	if flags&^futexFlagsMask != 0 {
		return 0, invalid(method, "unknown futex flags %#x", uint32(flags&^futexFlagsMask))
	}
	return uint32(flags) | futex2SizeU32, nil
}

// PrepFutexWait prepares a wait on the futex word futex: if *futex still holds val, the
// operation waits until a wake whose mask shares a bit with mask (FutexBitsetMatchAny for
// any) names the same word, and completes with 0; if not, it completes at once with EAGAIN
// (IORING_OP_FUTEX_WAIT, 6.7; io_uring_prep_futex_wait, futex(2) FUTEX_WAIT_BITSET). It has no
// timeout of its own: link a PrepLinkTimeout, or cancel it.
//
// The Ring holds the word until the completion, so its address, which names the futex, stays
// the same; a goroutine may change and wake it with sync/atomic and futex(2), or with another
// ring's PrepFutexWake.
func (r *Ring) PrepFutexWait(futex *uint32, val, mask uint32, flags FutexFlags) (SQE, error) {
	return r.prepFutex("PrepFutexWait", abi.IORING_OP_FUTEX_WAIT, futex, val, mask, flags)
}

// PrepFutexWake prepares a wake of up to n waiters on the futex word futex whose masks share a
// bit with mask (IORING_OP_FUTEX_WAKE, 6.7; io_uring_prep_futex_wake, futex(2)
// FUTEX_WAKE_BITSET). The result is the number woken.
func (r *Ring) PrepFutexWake(futex *uint32, n, mask uint32, flags FutexFlags) (SQE, error) {
	return r.prepFutex("PrepFutexWake", abi.IORING_OP_FUTEX_WAKE, futex, n, mask, flags)
}

func (r *Ring) prepFutex(method string, op uint8, futex *uint32, val, mask uint32, flags FutexFlags) (SQE, error) {
	if futex == nil {
		return SQE{}, invalid(method, "nil futex word")
	}
	f2, err := futex2Flags(method, flags)
	if err != nil {
		return SQE{}, err
	}
	p := unsafe.Pointer(futex)
	// The futex2 flags go in sqe->fd; sqe->futex_flags (io_uring's own) must be 0.
	e, s, err := r.prep(method, op, int(f2), uint64(uintptr(p)), 0, uint64(val))
	if err != nil {
		return SQE{}, err
	}
	e.Addr3 = uint64(mask)
	r.hold(e, p, nil)
	return s, nil
}

// FutexWaitv is one futex of PrepFutexWaitv (struct futex_waitv, built by the Ring from Go
// pointers).
type FutexWaitv struct {
	Futex *uint32    // the futex word
	Val   uint32     // the value to wait while *Futex holds it
	Flags FutexFlags // FutexPrivate, or 0
}

// futexvMem holds what a FUTEX_WAITV hands the kernel: the array of struct futex_waitv, and
// the caller's entries, whose pointers keep the words alive.
type futexvMem struct {
	raw   []abi.FutexWaitv
	words []FutexWaitv
}

// PrepFutexWaitv prepares a wait on up to 128 futexes at once, as futex_waitv(2): if every word
// still holds its Val, it waits until one of them is woken and completes with that one's index
// in futexes; if one does not, it completes at once with EAGAIN (IORING_OP_FUTEX_WAITV, 6.7;
// io_uring_prep_futex_waitv). The Ring copies futexes and holds every word until the
// completion.
func (r *Ring) PrepFutexWaitv(futexes []FutexWaitv) (SQE, error) {
	const method = "PrepFutexWaitv"
	if len(futexes) == 0 || len(futexes) > futexWaitvMax {
		return SQE{}, invalid(method, "%d futexes, want 1 to %d", len(futexes), futexWaitvMax)
	}
	m := &futexvMem{raw: make([]abi.FutexWaitv, len(futexes)), words: append([]FutexWaitv(nil), futexes...)}
	for i, w := range m.words {
		if w.Futex == nil {
			return SQE{}, invalid(method, "futex %d: nil futex word", i)
		}
		f2, err := futex2Flags(method, w.Flags)
		if err != nil {
			return SQE{}, err
		}
		m.raw[i] = abi.FutexWaitv{Val: uint64(w.Val), Uaddr: uint64(uintptr(unsafe.Pointer(w.Futex))), Flags: f2}
	}
	p := unsafe.Pointer(unsafe.SliceData(m.raw))
	e, s, err := r.prep(method, abi.IORING_OP_FUTEX_WAITV, 0, uint64(uintptr(p)), uint32(len(m.raw)), 0)
	if err != nil {
		return SQE{}, err
	}
	r.hold(e, p, nil).extra = m
	return s, nil
}

// PrepWaitid prepares waitid(2): wait for a state change of the children that idtype and id
// select (unix.P_PID with a pid, P_PIDFD with a pidfd, P_PGID, P_ALL), among those options
// asks for (unix.WEXITED, WSTOPPED, WCONTINUED; WNOHANG not to wait; WNOWAIT to leave the
// child waitable) (IORING_OP_WAITID, 6.7; io_uring_prep_waitid). The result is 0, or ECHILD
// when no such child exists; the kernel fills info (which may be nil): its Signo is SIGCHLD
// and its Code says what happened (CLD_EXITED, CLD_KILLED, ...), and SiginfoChild reads the
// rest. The Ring holds info until the completion.
//
// A child reaped this way (without WNOWAIT) is gone: os.Process.Wait and exec.Cmd.Wait on it
// fail afterwards.
func (r *Ring) PrepWaitid(idtype, id int, info *unix.Siginfo, options int) (SQE, error) {
	// The id goes in sqe->fd, the idtype in len, the options in file_index, info in addr2.
	e, s, err := r.prep("PrepWaitid", abi.IORING_OP_WAITID, id, 0, uint32(idtype), uint64(uintptr(unsafe.Pointer(info))))
	if err != nil {
		return SQE{}, err
	}
	e.FileIndex = uint32(options)
	if info != nil {
		r.hold(e, unsafe.Pointer(info), nil)
	}
	return s, nil
}

// SiginfoChild returns the fields waitid(2) fills in a siginfo_t for a child (si_pid, si_uid,
// si_status), which golang.org/x/sys/unix.Siginfo does not name: the child's pid, its real
// uid, and its exit code (info.Code CLD_EXITED) or the signal that killed, stopped or
// continued it.
func SiginfoChild(info *unix.Siginfo) (pid, uid, status int) {
	// The union follows si_signo, si_errno and si_code, aligned for a pointer: at 16 on 64-bit
	// systems, 12 on 32-bit ones. Its _sigchld member starts with pid, uid and status.
	if info == nil {
		return 0, 0, 0
	}
	const off = (12 + unsafe.Sizeof(uintptr(0)) - 1) &^ (unsafe.Sizeof(uintptr(0)) - 1)
	b := (*[unsafe.Sizeof(unix.Siginfo{})]byte)(unsafe.Pointer(info))[off:]
	ne := binary.NativeEndian
	return int(int32(ne.Uint32(b))), int(ne.Uint32(b[4:])), int(int32(ne.Uint32(b[8:])))
}
