package uring

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestRegisterClock switches the ring's wait clock to CLOCK_BOOTTIME and back; a timed wait
// still times out.
func TestRegisterClock(t *testing.T) {
	r := newRing(t, 8)
	if err := r.RegisterClock(unix.CLOCK_BOOTTIME); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := r.WaitCQETimeout(30 * time.Millisecond); !errors.Is(err, syscall.ETIME) {
		t.Fatalf("wait: %v, want ETIME", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond || d > 5*time.Second {
		t.Fatalf("a 30ms wait on CLOCK_BOOTTIME took %v", d)
	}
	if err := r.RegisterClock(unix.CLOCK_MONOTONIC); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterClock(unix.CLOCK_REALTIME); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("CLOCK_REALTIME: %v, want EINVAL", err)
	}
	if err := r.RegisterClock(-1); !errors.Is(err, ErrInvalid) {
		t.Fatalf("clock -1: %v", err)
	}
}

// TestWaitRegion registers wait arguments on a disabled ring and waits with them: a timeout
// fires, a completion ends the wait, an empty argument waits for the completion.
func TestWaitRegion(t *testing.T) {
	r := newRing(t, 8, WithDisabled())
	w, err := r.RegisterWaitRegion(4)
	if err != nil {
		t.Fatal(err)
	}
	if w.Len() != 4 {
		t.Fatalf("Len %d", w.Len())
	}
	if _, err := r.RegisterWaitRegion(1); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a second region: %v", err)
	}
	if err := r.EnableRings(); err != nil {
		t.Fatal(err)
	}
	if err := w.Set(3, 30*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := r.SubmitAndWaitReg(1, 3); !errors.Is(err, syscall.ETIME) {
		t.Fatalf("wait with nothing in flight: %v, want ETIME", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond || d > 5*time.Second {
		t.Fatalf("a 30ms registered wait took %v", d)
	}

	must(t)(r.PrepNop()).SetUserData(1)
	must(t)(r.PrepTimeout(20*time.Millisecond, 0, 0)).SetUserData(2)
	if n, err := r.SubmitAndWaitReg(2, 3); err != nil || n != 2 {
		t.Fatalf("SubmitAndWaitReg: %d, %v", n, err)
	}
	got := byUserData(t, submitWait(t, r, 0))
	wantRes(t, got[1], 0)
	wantErrno(t, got[2], syscall.ETIME)

	// Argument 0 has no timeout: it waits for the read that the write completes.
	rd, wr := pipe(t)
	must(t)(r.PrepRead(int(rd.Fd()), make([]byte, 4), CurrentPos)).SetUserData(3)
	go func() {
		time.Sleep(20 * time.Millisecond)
		wr.Write([]byte("ping"))
	}()
	if _, err := r.SubmitAndWaitReg(1, 0); err != nil {
		t.Fatal(err)
	}
	c, ok := r.PeekCQE()
	if !ok {
		t.Fatal("no completion after the wait")
	}
	wantRes(t, c, 4)

	// A minimum wait returns with the one completion ready before the timeout.
	if err := w.Set(1, 5*time.Second, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepNop()).SetUserData(4)
	start = time.Now()
	if _, err := r.SubmitAndWaitReg(2, 1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("the minimum wait did not end the wait: %v", d)
	}
	wantRes(t, waitOne(t, r), 0)

	for _, i := range []int{-1, 4} {
		if _, err := r.SubmitAndWaitReg(1, i); !errors.Is(err, ErrInvalid) {
			t.Errorf("index %d: %v", i, err)
		}
		if err := w.Set(i, 0, 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("Set(%d): %v", i, err)
		}
	}
	if err := w.Set(0, -1, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative timeout: %v", err)
	}
	if r.ops.live != 0 {
		t.Fatalf("%d slots live", r.ops.live)
	}
	r.Close()
	if err := w.Set(0, time.Second, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Set after Close: %v", err)
	}
	if _, err := r.SubmitAndWaitReg(1, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("wait after Close: %v", err)
	}
}

// TestWaitRegionNeedsDisabledRing: the kernel takes wait regions only before the ring starts,
// and a ring without one refuses registered waits.
func TestWaitRegionNeedsDisabledRing(t *testing.T) {
	r := newRing(t, 8)
	if _, err := r.SubmitAndWaitReg(1, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no region: %v", err)
	}
	if _, err := r.RegisterWaitRegion(2); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("region on an enabled ring: %v, want EINVAL", err)
	}
	if _, err := r.RegisterWaitRegion(0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("0 arguments: %v", err)
	}
}
