package uring

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// onLockedThread runs f on a goroutine locked to its OS thread, as io-wq settings and
// single-issuer rings require, and fails the test with its error.
func onLockedThread(t *testing.T, f func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := errors.New("stopped early (a t.Fatal on the locked thread)")
		defer func() { done <- err }()
		err = f()
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestIOWQMaxWorkers sets the worker limits and reads them back, from the submitting thread.
func TestIOWQMaxWorkers(t *testing.T) {
	r := newRing(t, 8)
	onLockedThread(t, func() error {
		must(t)(r.PrepNop()).SetUserData(1).SetFlags(SQEAsync) // gives this thread its io-wq
		waitOne(t, r)
		b0, u0, err := r.RegisterIOWQMaxWorkers(0, 0)
		if err != nil {
			return err
		}
		if b0 == 0 || u0 == 0 {
			t.Errorf("current limits %d, %d: the thread has no io-wq", b0, u0)
		}
		if b, u, err := r.RegisterIOWQMaxWorkers(2, 3); err != nil || b != b0 || u != u0 {
			t.Errorf("setting 2, 3 returned %d, %d, %v; want the old %d, %d", b, u, err, b0, u0)
		}
		if b, u, err := r.RegisterIOWQMaxWorkers(0, 0); err != nil || b != 2 || u != 3 {
			t.Errorf("reading back: %d, %d, %v; want 2, 3", b, u, err)
		}
		if b, u, err := r.RegisterIOWQMaxWorkers(0, 7); err != nil || b != 2 || u != 3 {
			t.Errorf("setting only unbound: %d, %d, %v", b, u, err)
		}
		if b, u, _ := r.RegisterIOWQMaxWorkers(b0, u0); b != 2 || u != 7 {
			t.Errorf("restoring: old limits %d, %d; want 2, 7", b, u)
		}
		return nil
	})
	if _, _, err := r.RegisterIOWQMaxWorkers(1<<31, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("a limit above INT_MAX: %v", err)
	}
}

// TestIOWQAffinity pins the workers of the submitting thread, and of an SQPOLL ring, to CPU 0.
func TestIOWQAffinity(t *testing.T) {
	r := newRing(t, 8)
	var set unix.CPUSet
	set.Set(0)
	onLockedThread(t, func() error {
		must(t)(r.PrepNop()).SetUserData(1).SetFlags(SQEAsync)
		waitOne(t, r)
		if err := r.RegisterIOWQAffinity(&set); err != nil {
			return err
		}
		f := tempFile(t, pattern(64, 1))
		must(t)(r.PrepRead(int(f.Fd()), make([]byte, 64), 0)).SetUserData(2).SetFlags(SQEAsync)
		wantRes(t, waitOne(t, r), 64)
		return r.UnregisterIOWQAffinity()
	})
	sq := newRing(t, 8, WithSQPoll(100*time.Millisecond))
	if err := sq.RegisterIOWQAffinity(&set); err != nil {
		t.Fatalf("SQPOLL ring: %v", err)
	}
	if err := sq.UnregisterIOWQAffinity(); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterIOWQAffinity(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil set: %v", err)
	}
}
