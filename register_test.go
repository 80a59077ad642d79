package uring

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestEventfd registers an eventfd, sees it signalled by a completion, turns it off, and checks
// that the async variant stays quiet for completions posted inline.
func TestEventfd(t *testing.T) {
	r := newRing(t, 8)
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(efd)
	readCount := func() uint64 {
		var b [8]byte
		if _, err := unix.Read(efd, b[:]); err != nil {
			return 0
		}
		return binary.LittleEndian.Uint64(b[:])
	}
	if err := r.RegisterEventfd(efd); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepNop()).SetUserData(1)
	waitOne(t, r)
	if readCount() == 0 {
		t.Fatal("the eventfd was not signalled for a completion")
	}
	if err := r.SetEventfdEnabled(false); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepNop()).SetUserData(2)
	waitOne(t, r)
	if n := readCount(); n != 0 {
		t.Fatalf("disabled eventfd counted %d", n)
	}
	r.SetEventfdEnabled(true)
	if err := r.UnregisterEventfd(); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepNop()).SetUserData(3)
	waitOne(t, r)
	if n := readCount(); n != 0 {
		t.Fatalf("unregistered eventfd counted %d", n)
	}

	// Async: an inline NOP does not signal; a read done by a kernel worker (SQEAsync) does.
	if err := r.RegisterEventfdAsync(efd); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepNop()).SetUserData(4)
	waitOne(t, r)
	if n := readCount(); n != 0 {
		t.Fatalf("async eventfd counted an inline completion: %d", n)
	}
	rd, wr := pipe(t)
	must(t)(r.PrepRead(int(rd.Fd()), make([]byte, 4), CurrentPos)).SetUserData(5).SetFlags(SQEAsync)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	wr.Write([]byte("abcd"))
	if _, err := r.WaitCQETimeout(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if readCount() == 0 {
		t.Fatal("async eventfd not signalled for a completion posted by a kernel worker")
	}
	if err := r.RegisterEventfd(-1); err == nil {
		t.Fatal("registering fd -1 worked")
	}
	_ = os.Getpid
}

// TestRegisterRingFd enters through the registered index from a locked thread.
func TestRegisterRingFd(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		runtimeLock()
		defer runtimeUnlock()
		r, err := New(8)
		if err != nil {
			done <- err
			return
		}
		defer r.Close()
		if err := r.RegisterRingFd(); err != nil {
			done <- err
			return
		}
		for i := 0; i < 10; i++ {
			s, _ := r.PrepNop()
			s.SetUserData(uint64(i))
			if _, err := r.SubmitAndWait(1); err != nil {
				done <- err
				return
			}
			r.PeekCQE()
		}
		if err := r.UnregisterRingFd(); err != nil {
			done <- err
			return
		}
		s, _ := r.PrepNop()
		s.SetUserData(1)
		_, err = r.SubmitAndWait(1)
		done <- err
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRegisterOnClosedRing: every registration method of a closed ring returns ErrClosed.
func TestRegisterOnClosedRing(t *testing.T) {
	r, err := New(8)
	if err != nil {
		t.Fatal(err)
	}
	other := newRing(t, 8)
	r.Close()
	var set unix.CPUSet
	calls := map[string]func() error{
		"RegisterBuffers":        func() error { return r.RegisterBuffers([][]byte{make([]byte, 8)}) },
		"RegisterBuffersSparse":  func() error { return r.RegisterBuffersSparse(2) },
		"UpdateBuffers":          func() error { _, err := r.UpdateBuffers(0, [][]byte{make([]byte, 8)}); return err },
		"UnregisterBuffers":      r.UnregisterBuffers,
		"AllocBuffers":           func() error { _, err := r.AllocBuffers(1, 8); return err },
		"CloneBuffers":           func() error { return r.CloneBuffers(other) },
		"RegisterFiles":          func() error { return r.RegisterFiles([]int{0}) },
		"UpdateFiles":            func() error { _, err := r.UpdateFiles(0, []int{0}); return err },
		"UnregisterFiles":        r.UnregisterFiles,
		"RegisterFileAllocRange": func() error { return r.RegisterFileAllocRange(0, 1) },
		"Probe":                  func() error { _, err := r.Probe(); return err },
		"RegisterRestrictions":   func() error { return r.RegisterRestrictions(AllowOp(OpNop)) },
		"RegisterPersonality":    func() error { _, err := r.RegisterPersonality(); return err },
		"UnregisterPersonality":  func() error { return r.UnregisterPersonality(1) },
		"RegisterIOWQAffinity":   func() error { return r.RegisterIOWQAffinity(&set) },
		"UnregisterIOWQAffinity": r.UnregisterIOWQAffinity,
		"RegisterIOWQMaxWorkers": func() error { _, _, err := r.RegisterIOWQMaxWorkers(0, 0); return err },
		"RegisterSyncCancel":     func() error { return r.RegisterSyncCancel(1, 0, 0) },
		"RegisterNapi":           func() error { _, err := r.RegisterNapi(Napi{}); return err },
		"UnregisterNapi":         func() error { _, err := r.UnregisterNapi(); return err },
		"RegisterClock":          func() error { return r.RegisterClock(unix.CLOCK_MONOTONIC) },
		"RegisterWaitRegion":     func() error { _, err := r.RegisterWaitRegion(1); return err },
		"ResizeRings":            func() error { return r.ResizeRings(8, 0) },
		"Query":                  func() error { _, err := r.Query(); return err },
		"RegisterSyncMsg":        func() error { return r.RegisterSyncMsg(1, 0, 0) },
		"EnableRings":            r.EnableRings,
		"RegisterEventfd":        func() error { return r.RegisterEventfd(0) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s on a closed ring: %v, want ErrClosed", name, err)
		}
	}
	var w *WaitRegion
	if w.Len() != 0 || !errors.Is(w.Set(0, 0, 0), ErrInvalid) {
		t.Error("a nil WaitRegion")
	}
}
