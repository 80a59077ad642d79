package uring

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// TestRegisterSyncMsg posts completions into a ring from another goroutine, waking its waiter.
func TestRegisterSyncMsg(t *testing.T) {
	r := newRing(t, 8)
	sent := make(chan error, 1)
	go func() {
		time.Sleep(20 * time.Millisecond)
		sent <- r.RegisterSyncMsg(42, -5, 0)
	}()
	c, err := r.WaitCQETimeout(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserData != 42 || c.Res != -5 || c.Flags != 0 {
		t.Fatalf("completion %+v, want user data 42, res -5", c)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterSyncMsg(43, 1, CQEFlags(1<<20)); err != nil {
		t.Fatal(err)
	}
	if c, err := r.WaitCQETimeout(5 * time.Second); err != nil || c.UserData != 43 || c.Flags != 1<<20 {
		t.Fatalf("with flags: %+v, %v", c, err)
	}
	if err := r.RegisterSyncMsg(1<<63, 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("top-bit user data: %v", err)
	}
	d := newRing(t, 8, WithDisabled())
	if err := d.RegisterSyncMsg(1, 0, 0); !errors.Is(err, syscall.EBADFD) {
		t.Errorf("disabled ring: %v, want EBADFD", err)
	}
	r.Close()
	if err := r.RegisterSyncMsg(1, 0, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("closed: %v", err)
	}
}
