package uring

import (
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// futex(2) operations for the other side of the tests (FUTEX_WAIT and FUTEX_WAKE with
// FUTEX_PRIVATE_FLAG); golang.org/x/sys/unix does not name them.
const (
	sysFutexWaitPrivate = 0 | 128
	sysFutexWakePrivate = 1 | 128
)

// futexWakeSys wakes up to n private waiters on the word at addr with futex(2).
func futexWakeSys(addr unsafe.Pointer, n int) (int, error) {
	woken, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(addr), sysFutexWakePrivate, uintptr(n), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(woken), nil
}

// TestFutexWaitWokenByGoroutine: the ring waits on a Go word; a goroutine changes it and wakes
// it with futex(2).
func TestFutexWaitWokenByGoroutine(t *testing.T) {
	r := newRing(t, 8)
	word := new(uint32)
	must(t)(r.PrepFutexWait(word, 0, FutexBitsetMatchAny, FutexPrivate)).SetUserData(1)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	// The wait is queued inside the submission, so a wake from now on finds it.
	if c, ok := r.PeekCQE(); ok {
		t.Fatalf("the wait completed before the wake: %+v", c)
	}
	woke := make(chan int, 1)
	go func() {
		atomic.StoreUint32(word, 1)
		n, err := futexWakeSys(unsafe.Pointer(word), 1)
		if err != nil {
			t.Error(err)
		}
		woke <- n
	}()
	c, err := r.WaitCQETimeout(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wantRes(t, c, 0)
	if n := <-woke; n != 1 {
		t.Fatalf("futex(2) woke %d waiters, want the ring's 1", n)
	}

	// A word that no longer holds the value: EAGAIN at once.
	must(t)(r.PrepFutexWait(word, 0, FutexBitsetMatchAny, FutexPrivate)).SetUserData(2)
	wantErrno(t, waitOne(t, r), syscall.EAGAIN)
	// The kernel refuses an empty mask.
	must(t)(r.PrepFutexWait(word, 1, 0, FutexPrivate)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.EINVAL)

	_, err = r.PrepFutexWait(nil, 0, FutexBitsetMatchAny, 0)
	wantInvalid(t, r, "nil word", err)
	_, err = r.PrepFutexWait(word, 0, FutexBitsetMatchAny, 0x4)
	wantInvalid(t, r, "unknown flag", err)
	wantNoLiveSlots(t, r)
}

// TestFutexWakeFromRing: a goroutine blocks in futex(2); the ring wakes it. Then a wait and a
// wake on the same ring, with masks.
func TestFutexWakeFromRing(t *testing.T) {
	r := newRing(t, 8)
	word := new(uint32)
	done := make(chan error, 1)
	go func() {
		_, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), sysFutexWaitPrivate, 0, 0, 0, 0)
		if errno != 0 {
			done <- errno
			return
		}
		done <- nil
	}()
	// The goroutine may not be waiting yet: wake until one waiter was woken.
	deadline := time.Now().Add(10 * time.Second)
	for {
		must(t)(r.PrepFutexWake(word, 1, FutexBitsetMatchAny, FutexPrivate)).SetUserData(1)
		c := waitOne(t, r)
		if c.Res == 1 {
			break
		}
		wantRes(t, c, 0)
		if time.Now().After(deadline) {
			t.Fatal("the goroutine never waited on the futex")
		}
		time.Sleep(time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatalf("futex(2) wait: %v", err)
	}
	runtime.KeepAlive(word)

	// Two waits with different masks; a wake with one mask wakes only its waiter.
	must(t)(r.PrepFutexWait(word, 0, 0b01, FutexPrivate)).SetUserData(2)
	must(t)(r.PrepFutexWait(word, 0, 0b10, FutexPrivate)).SetUserData(3)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepFutexWake(word, 10, 0b10, FutexPrivate)).SetUserData(4)
	m := byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[4], 1)
	wantRes(t, m[3], 0)
	if _, ok := m[2]; ok {
		t.Fatalf("a wake for mask 0b10 woke the waiter on 0b01: %+v", m[2])
	}
	// Shared (not private) waits are not woken by private wakes.
	must(t)(r.PrepFutexWake(word, 10, FutexBitsetMatchAny, 0)).SetUserData(5)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepCancel(2, 0)).SetUserData(6)
	m = byUserData(t, submitWait(t, r, 2))
	// Linux 6.18 reports a cancelled futex wait with 1 (the count its futex cancel returns),
	// where other operations give 0.
	if m[6].Res < 0 {
		t.Fatalf("cancel of the futex wait: %v", m[6].Err())
	}
	wantErrno(t, m[2], syscall.ECANCELED)
	wantNoLiveSlots(t, r)
}

func TestFutexWaitv(t *testing.T) {
	r := newRing(t, 8)
	a, b := new(uint32), new(uint32)
	*b = 7
	must(t)(r.PrepFutexWaitv([]FutexWaitv{{a, 0, FutexPrivate}, {b, 7, FutexPrivate}})).SetUserData(1)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepFutexWake(b, 1, FutexBitsetMatchAny, FutexPrivate)).SetUserData(2)
	m := byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[2], 1)
	wantRes(t, m[1], 1) // the index of the word that was woken

	// One word no longer holds its value: EAGAIN.
	must(t)(r.PrepFutexWaitv([]FutexWaitv{{a, 0, FutexPrivate}, {b, 8, FutexPrivate}})).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.EAGAIN)

	_, err := r.PrepFutexWaitv(nil)
	wantInvalid(t, r, "no futexes", err)
	_, err = r.PrepFutexWaitv(make([]FutexWaitv, 129))
	wantInvalid(t, r, "129 futexes", err)
	_, err = r.PrepFutexWaitv([]FutexWaitv{{a, 0, 0}, {nil, 0, 0}})
	wantInvalid(t, r, "nil word", err)
	_, err = r.PrepFutexWaitv([]FutexWaitv{{a, 0, 0x80000}})
	wantInvalid(t, r, "unknown flag", err)
	wantNoLiveSlots(t, r)
}

// TestFutexMemoryHeld drops every reference to a futex word after the prep: the ring must keep
// it (its value, which the kernel reads at submission, and its address, which names the
// futex) until the completion, and let it go after.
func TestFutexMemoryHeld(t *testing.T) {
	r := newRing(t, 8)
	type block struct {
		word uint32
		_    [60]byte // big enough to be an object of its own, with a cleanup
	}
	var collected atomic.Bool
	addr := func() uintptr {
		b := &block{word: 0x5a5a}
		runtime.AddCleanup(b, func(*atomic.Bool) { collected.Store(true) }, &collected)
		must(t)(r.PrepFutexWait(&b.word, 0x5a5a, FutexBitsetMatchAny, FutexPrivate)).SetUserData(1)
		return uintptr(unsafe.Pointer(&b.word))
	}()
	for i := 0; i < 3; i++ {
		runtime.GC()
		_ = make([]block, 1000) // reuse what was freed
	}
	if collected.Load() {
		t.Fatal("the futex word was collected while the ring held it")
	}
	// The kernel reads the value at submission: a freed and reused word would fail with EAGAIN.
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if c, ok := r.PeekCQE(); ok {
		t.Fatalf("the wait completed at once: %+v", c)
	}
	// Wake by address alone, as another process sharing the word would.
	if _, _, errno := unix.Syscall6(unix.SYS_FUTEX, addr, sysFutexWakePrivate, 1, 0, 0, 0); errno != 0 {
		t.Fatal(errno)
	}
	c, err := r.WaitCQETimeout(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wantRes(t, c, 0)
	wantNoLiveSlots(t, r)
	// Released with the completion: now it may go.
	for deadline := time.Now().Add(5 * time.Second); !collected.Load(); {
		if time.Now().After(deadline) {
			t.Fatal("the futex word was never collected after the completion")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

// Child-state codes of siginfo_t.si_code for SIGCHLD (CLD_*); golang.org/x/sys/unix lacks them.
const (
	cldExited = 1
	cldKilled = 2
)

// startChild starts /bin/sh -c script and returns its process, released at the end of the test.
func startChild(t *testing.T, script string) *os.Process {
	t.Helper()
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", script}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill(); p.Wait() }) // reap it, unless the ring did
	return p
}

func TestWaitid(t *testing.T) {
	r := newRing(t, 8)
	p := startChild(t, "exit 7")
	// WNOWAIT leaves the child waitable.
	var si unix.Siginfo
	must(t)(r.PrepWaitid(unix.P_PID, p.Pid, &si, unix.WEXITED|unix.WNOWAIT)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	pid, uid, status := SiginfoChild(&si)
	if si.Signo != int32(unix.SIGCHLD) || si.Code != cldExited || pid != p.Pid || status != 7 || uid != os.Getuid() {
		t.Fatalf("siginfo: signo %d code %d pid %d (want %d) uid %d status %d", si.Signo, si.Code, pid, p.Pid, uid, status)
	}
	// Now reap it.
	var si2 unix.Siginfo
	must(t)(r.PrepWaitid(unix.P_PID, p.Pid, &si2, unix.WEXITED)).SetUserData(2)
	wantRes(t, waitOne(t, r), 0)
	if pid, _, status := SiginfoChild(&si2); pid != p.Pid || status != 7 {
		t.Fatalf("reaping: pid %d status %d", pid, status)
	}
	// Gone: another wait finds no such child.
	must(t)(r.PrepWaitid(unix.P_PID, p.Pid, nil, unix.WEXITED)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.ECHILD)
	if _, err := p.Wait(); err == nil {
		t.Fatal("os.Process.Wait found the child the ring reaped")
	}
	wantNoLiveSlots(t, r)
}

// TestWaitidPending waits for children that have not exited yet, by pid and by pidfd.
func TestWaitidPending(t *testing.T) {
	r := newRing(t, 8)
	killed := startChild(t, "exec sleep 30")
	pidfd, err := unix.PidfdOpen(killed.Pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	var si unix.Siginfo
	must(t)(r.PrepWaitid(unix.P_PIDFD, pidfd, &si, unix.WEXITED)).SetUserData(1)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if c, ok := r.PeekCQE(); ok {
		t.Fatalf("waitid completed while the child runs: %+v", c)
	}
	if err := killed.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c, err := r.WaitCQETimeout(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wantRes(t, c, 0)
	if pid, _, status := SiginfoChild(&si); si.Code != cldKilled || status != int(syscall.SIGKILL) || pid != killed.Pid {
		t.Fatalf("siginfo: code %d pid %d status %d, want CLD_KILLED by SIGKILL", si.Code, pid, status)
	}
	// WNOHANG on a running child: 0 at once, and no pid.
	running := startChild(t, "exec sleep 30")
	var si2 unix.Siginfo
	must(t)(r.PrepWaitid(unix.P_PID, running.Pid, &si2, unix.WEXITED|unix.WNOHANG)).SetUserData(2)
	wantRes(t, waitOne(t, r), 0)
	if pid, _, _ := SiginfoChild(&si2); pid != 0 {
		t.Fatalf("WNOHANG on a running child reported pid %d", pid)
	}
	running.Kill()
	// This process is nobody's child here.
	must(t)(r.PrepWaitid(unix.P_PID, os.Getpid(), nil, unix.WEXITED)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.ECHILD)
	_, err = r.PrepWaitid(unix.P_PID, 1<<40, nil, unix.WEXITED)
	wantInvalid(t, r, "id out of range", err)
	wantNoLiveSlots(t, r)
}
