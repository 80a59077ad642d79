package uring

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = registerHelpers(abi.IORING_REGISTER_CLOCK, "RegisterClock")
	_ = registerHelpers(abi.IORING_REGISTER_MEM_REGION, "RegisterWaitRegion")
)

// How the ring waits: the clock of its timeouts, and wait arguments registered in advance.

// RegisterClock sets the clock that the ring's wait timeouts (SubmitAndWaitTimeout,
// WaitCQETimeout, wait regions) are measured against: unix.CLOCK_MONOTONIC, the default, or
// unix.CLOCK_BOOTTIME, which also counts time suspended (IORING_REGISTER_CLOCK, 6.12;
// io_uring_register_clock). Other clocks fail with EINVAL.
func (r *Ring) RegisterClock(clock int) error {
	if clock < 0 || clock != int(uint32(clock)) {
		return invalid("RegisterClock", "clock %d", clock)
	}
	arg := abi.ClockRegister{ClockID: uint32(clock)}
	_, err := r.register("IORING_REGISTER_CLOCK", abi.IORING_REGISTER_CLOCK, unsafe.Pointer(&arg), 0)
	return err
}

// WaitRegion is a table of wait arguments registered with the ring, that SubmitAndWaitReg
// names by index: the kernel reads the timeout from memory it already has mapped instead of
// copying an argument in on every wait (IORING_REGISTER_MEM_REGION with
// IORING_MEM_REGION_REG_WAIT_ARG, 6.13). Its memory lies outside the Go heap and lives until
// the ring is closed.
type WaitRegion struct {
	r     *Ring
	mem   []byte        // the mapping, unmapped at Close
	waits []abi.RegWait // mem as wait arguments
}

// RegisterWaitRegion registers a table of n wait arguments, all empty (no timeout) until Set
// (IORING_REGISTER_MEM_REGION, 6.13; io_uring_register_region). The kernel accepts it only on
// a ring made WithDisabled and not yet enabled, and only once per ring.
func (r *Ring) RegisterWaitRegion(n int) (*WaitRegion, error) {
	const method = "RegisterWaitRegion"
	if r.closed {
		return nil, ErrClosed
	}
	if r.rsrc.wait != nil {
		return nil, invalid(method, "the ring already has a wait region")
	}
	size := int(unsafe.Sizeof(abi.RegWait{}))
	if n <= 0 || n > (1<<30)/size {
		return nil, invalid(method, "%d wait arguments", n)
	}
	page := unix.Getpagesize()
	mem, err := unix.Mmap(-1, 0, (n*size+page-1)&^(page-1), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, err
	}
	rd := heapNew[abi.RegionDesc]()
	rd.UserAddr = uint64(uintptr(unsafe.Pointer(&mem[0])))
	rd.Size = uint64(len(mem))
	rd.Flags = abi.IORING_MEM_REGION_TYPE_USER
	reg := abi.MemRegionReg{RegionUptr: ptrArg(rd), Flags: abi.IORING_MEM_REGION_REG_WAIT_ARG}
	_, err = r.register("IORING_REGISTER_MEM_REGION", abi.IORING_REGISTER_MEM_REGION, unsafe.Pointer(&reg), 1)
	runtime.KeepAlive(rd)
	if err != nil {
		unix.Munmap(mem)
		return nil, err
	}
	w := &WaitRegion{r: r, mem: mem, waits: unsafe.Slice((*abi.RegWait)(unsafe.Pointer(&mem[0])), n)}
	r.rsrc.wait = w
	return w, nil
}

// Len returns the number of wait arguments in the region.
func (w *WaitRegion) Len() int {
	if w == nil {
		return 0
	}
	return len(w.waits)
}

// Set writes wait argument i: a wait that names it gives up after timeout (none if 0), and,
// with minWait > 0, returns after minWait with whatever completions are ready even if fewer
// than asked for, as io_uring_enter(2)'s min_wait_usec does (6.12).
func (w *WaitRegion) Set(i int, timeout, minWait time.Duration) error {
	if w == nil {
		return invalid("WaitRegion.Set", "nil WaitRegion")
	}
	if w.r.closed {
		return ErrClosed
	}
	if i < 0 || i >= len(w.waits) {
		return invalid("WaitRegion.Set", "index %d of %d", i, len(w.waits))
	}
	if timeout < 0 || minWait < 0 || minWait/time.Microsecond > 1<<32-1 {
		return invalid("WaitRegion.Set", "timeout %v, minimum wait %v", timeout, minWait)
	}
	// The kernel reads the entry only inside io_uring_enter of this ring, which this goroutine
	// is not in: plain stores suffice.
	e := &w.waits[i]
	*e = abi.RegWait{MinWaitUsec: uint32(minWait / time.Microsecond)}
	if timeout > 0 {
		e.Ts = relTimespec(timeout)
		e.Flags = abi.IORING_REG_WAIT_TS
	}
	return nil
}

// SubmitAndWaitReg submits the prepared SQEs and waits until n completions are ready, with the
// timeout and minimum wait of argument index of the ring's WaitRegion
// (IORING_ENTER_EXT_ARG_REG, 6.13; io_uring_submit_and_wait_reg). A wait that times out fails
// with an error that matches syscall.ETIME. After a signal it goes on waiting for the time left,
// through an ordinary timeout argument. It returns the number of SQEs submitted.
func (r *Ring) SubmitAndWaitReg(n uint32, index int) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	w := r.rsrc.wait
	if w == nil {
		return 0, invalid("SubmitAndWaitReg", "the ring has no wait region")
	}
	if index < 0 || index >= len(w.waits) {
		return 0, invalid("SubmitAndWaitReg", "index %d of %d", index, len(w.waits))
	}
	start := time.Now()
	sqpoll := r.flags&SetupSQPoll != 0
	pending := r.publishSQ()
	flags := abi.IORING_ENTER_GETEVENTS | abi.IORING_ENTER_EXT_ARG | abi.IORING_ENTER_EXT_ARG_REG | r.enterFlags
	toSubmit := pending
	submitted := 0
	if sqpoll {
		toSubmit = 0
		submitted = int(pending)
		r.stats.Submitted += uint64(pending)
		if pending > 0 && r.sq.flags()&abi.IORING_SQ_NEED_WAKEUP != 0 {
			flags |= abi.IORING_ENTER_SQ_WAKEUP
		}
	}
	wait := uint32(0)
	if backlog := uint32(len(r.backlog)); n > backlog {
		wait = n - backlog
	}
	r.cq.publishHead()
	got, err := abi.EnterRegWait(r.enterFd, toSubmit, wait, flags, uintptr(index)*unsafe.Sizeof(abi.RegWait{}))
	r.stats.EnterCalls++
	if !sqpoll && got > 0 {
		submitted += got
		r.stats.Submitted += uint64(got)
	}
	e := &w.waits[index]
	switch {
	case err == nil && (r.CQReady() >= n || e.MinWaitUsec > 0 && r.CQReady() > 0):
		return submitted, nil
	case errors.Is(err, syscall.ETIME):
		return submitted, fmt.Errorf("uring: wait timed out: %w", err)
	case err != nil && !errors.Is(err, syscall.EINTR) && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EBUSY):
		return submitted, fmt.Errorf("uring: io_uring_enter: %w", err)
	}
	// A signal cut the wait short, or the kernel returned after submitting without waiting
	// the whole time: go on with the time left, as the ordinary waits do.
	var deadline *time.Time
	if e.Flags&abi.IORING_REG_WAIT_TS != 0 {
		d := start.Add(time.Duration(e.Ts.Sec)*time.Second + time.Duration(e.Ts.Nsec))
		deadline = &d
	}
	more, err := r.submitAndWait(n, deadline)
	return submitted + more, err
}
