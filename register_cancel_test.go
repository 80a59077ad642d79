package uring

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// TestSyncCancel cancels reads blocked on an empty pipe without an SQE: by user data, then
// every read on the fd.
func TestSyncCancel(t *testing.T) {
	r := newRing(t, 8)
	rd, _ := pipe(t)
	must(t)(r.PrepRead(int(rd.Fd()), make([]byte, 8), CurrentPos)).SetUserData(1)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterSyncCancel(1, 0, time.Second); err != nil {
		t.Fatal(err)
	}
	c, err := r.WaitCQETimeout(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserData != 1 {
		t.Fatalf("completion %+v, want user data 1", c)
	}
	wantErrno(t, c, syscall.ECANCELED)
	if err := r.RegisterSyncCancel(1, 0, time.Second); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("cancelling it again: %v, want ENOENT", err)
	}

	for i := uint64(10); i < 13; i++ {
		must(t)(r.PrepRead(int(rd.Fd()), make([]byte, 8), CurrentPos)).SetUserData(i)
	}
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterSyncCancelFd(int(rd.Fd()), CancelAll, 0); err != nil {
		t.Fatal(err)
	}
	got := byUserData(t, submitWait(t, r, 3))
	for i := uint64(10); i < 13; i++ {
		wantErrno(t, got[i], syscall.ECANCELED)
	}
	if r.ops.live != 0 {
		t.Fatalf("%d slots live", r.ops.live)
	}
	if err := r.RegisterSyncCancelFd(-1, 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("fd -1: %v", err)
	}
	if err := r.RegisterSyncCancel(1, 1<<10, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown flags: %v", err)
	}
}
