package uring

import (
	"encoding/binary"
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
