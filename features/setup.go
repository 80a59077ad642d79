package features

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/uringo/uring"
	"golang.org/x/sys/unix"
)

// setupMemos holds one memo per setup flag asked about.
var setupMemos sync.Map // uring.SetupFlags -> *memo[struct{}]

// HaveSetupFlag reports whether io_uring_setup(2) accepts the setup flag f (one IORING_SETUP_*
// bit). It creates a throwaway ring with f and whatever f needs beside it (SQ_AFF needs SQPOLL,
// TASKRUN_FLAG needs COOP_TASKRUN, DEFER_TASKRUN needs SINGLE_ISSUER, REGISTERED_FD_ONLY needs
// NO_MMAP, HYBRID_IOPOLL needs IOPOLL, SQ_REWIND needs NO_SQARRAY), on a goroutine locked to its
// thread for the flags that tie a ring to one. The kernel refuses a flag it does not know with
// EINVAL, which is the "not supported" answer; any other failure is inconclusive.
func HaveSetupFlag(f uring.SetupFlags) error {
	info, err := lookup("HaveSetupFlag", "setup flag", uring.SetupFlagList, f, func(i uring.SetupFlagInfo) uring.SetupFlags { return i.Flag })
	if err != nil {
		return err
	}
	what := "IORING_SETUP_" + info.Name
	if err := Available(); err != nil {
		return inconclusive(what, err)
	}
	m, _ := setupMemos.LoadOrStore(f, new(memo[struct{}]))
	_, err = m.(*memo[struct{}]).get(func() (struct{}, error) {
		return struct{}{}, trySetupFlag(info, what)
	}, func(_ struct{}, err error) bool { return conclusive(err) })
	return err
}

// trySetupFlag creates and closes a ring with the flag, on a locked thread.
func trySetupFlag(info uring.SetupFlagInfo, what string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		errc <- setupWith(info.Flag)
	}()
	err := <-errc
	if err == nil {
		return nil
	}
	var se *uring.SetupError
	if errors.As(err, &se) && se.Op == "io_uring_setup" && errors.Is(se.Err, syscall.EINVAL) {
		return &uring.NotSupportedError{What: what, MinKernel: info.MinKernel, Errno: syscall.EINVAL}
	}
	return inconclusive(what, err)
}

// setupWith creates a ring with flag f and what f needs, and closes it. Every other optional
// flag stays off: NO_SQARRAY, which New sets by default, too.
func setupWith(f uring.SetupFlags) error {
	opts := []uring.Option{uring.WithNoSQArray(false)}
	switch f {
	case uring.SetupSQPoll:
		opts = append(opts, uring.WithSQPoll(10*time.Millisecond))
	case uring.SetupSQAff:
		cpu, err := allowedCPU()
		if err != nil {
			return err
		}
		opts = append(opts, uring.WithSQPoll(10*time.Millisecond), uring.WithSQPollCPU(cpu))
	case uring.SetupCQSize:
		opts = append(opts, uring.WithCQSize(16))
	case uring.SetupAttachWQ:
		base, err := uring.New(1)
		if err != nil {
			return err
		}
		defer base.Close()
		opts = append(opts, uring.WithAttachWQ(base))
	case uring.SetupTaskrunFlag:
		opts = append(opts, uring.WithCoopTaskrun(true))
	case uring.SetupDeferTaskrun:
		opts = append(opts, uring.WithDeferTaskrun())
	case uring.SetupRegisteredFdOnly:
		opts = append(opts, uring.WithRegisteredFdOnly())
	case uring.SetupHybridIOPoll:
		opts = append(opts, uring.WithHybridIOPoll())
	case uring.SetupNoSQArray:
		opts = []uring.Option{uring.WithNoSQArray(true)}
	case uring.SetupSQRewind:
		opts = []uring.Option{uring.WithNoSQArray(true), uring.WithFlags(f)}
	default:
		opts = append(opts, uring.WithFlags(f))
	}
	r, err := uring.New(4, opts...)
	if err != nil {
		return err
	}
	return r.Close()
}

// allowedCPU returns a CPU this thread may run on, for IORING_SETUP_SQ_AFF: the kernel refuses
// a CPU outside the task's cpuset with EINVAL, which would read as "not supported".
func allowedCPU() (int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0, fmt.Errorf("sched_getaffinity: %w", err)
	}
	for cpu := 0; cpu < len(set)*64; cpu++ {
		if set.IsSet(cpu) {
			return cpu, nil
		}
	}
	return 0, errors.New("sched_getaffinity: no CPU allowed")
}
