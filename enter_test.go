package uring

import (
	"os"
	"runtime"
	"testing"
)

// TestNoWaitBound checks what decides between the single non-sleeping submit and the blocking
// one: the batch's size and the bytes its entries may copy inline, counted as they are
// prepared (vectored buffers and msghdr buffers included) and started again at each publish.
func TestNoWaitBound(t *testing.T) {
	r := newRing(t, 8)
	f, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	if _, err := r.PrepRead(fd, make([]byte, 4096), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PrepReadv(fd, [][]byte{make([]byte, 100), make([]byte, 200)}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PrepNop(); err != nil {
		t.Fatal(err)
	}
	if got := r.sq.lenSum; got != 4396 {
		t.Errorf("lenSum after a 4096-byte read, a 300-byte readv and a NOP: %d, want 4396", got)
	}
	if _, err := r.SubmitAndWait(3); err != nil {
		t.Fatal(err)
	}
	if got := r.sq.lenSum; got != 0 {
		t.Errorf("lenSum after submitting: %d, want 0", got)
	}
	for c := range r.Completions() {
		if c.Err() != nil {
			t.Errorf("completion %+v", c)
		}
	}

	cases := []struct {
		pending uint32
		lenSum  uint64
		misses  uint8
		want    bool
	}{
		{0, 0, 0, false},
		{1, 0, 0, true},
		{noWaitEntries, noWaitBytes, 0, true},
		{noWaitEntries + 1, 0, 0, false},
		{1, noWaitBytes + 1, 0, false},
		{1, 0, waitMissesMax, false},
	}
	for _, c := range cases {
		r.waitMisses = c.misses
		if got := r.tryNoWait(c.pending, c.lenSum, 1); got != c.want {
			t.Errorf("tryNoWait(%d entries, %d bytes, %d misses) = %v, want %v", c.pending, c.lenSum, c.misses, got, c.want)
		}
	}
	r.waitMisses = 0

	// A batch past the byte bound goes through the blocking call and completes all the same.
	big := [][]byte{make([]byte, noWaitBytes), make([]byte, noWaitBytes)}
	for _, b := range big {
		if _, err := r.PrepRead(fd, b, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.SubmitAndWait(2); err != nil {
		t.Fatal(err)
	}
	n := 0
	for c := range r.Completions() {
		if c.Res <= 0 || c.Res > noWaitBytes { // /dev/zero may stop short
			t.Errorf("read of %d bytes from /dev/zero: %+v", noWaitBytes, c)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d completions, want 2", n)
	}
}

// TestSubmitAndWaitOneCall: a batch whose work completes inline takes one system call, and its
// completions are there when SubmitAndWait returns, in every mode of running completion work:
// the default, COOP_TASKRUN with and without TASKRUN_FLAG, and DEFER_TASKRUN (on a locked
// thread, as it must be), whose completions only GETEVENTS posts. An async read that completes
// between the calls (a pipe written from another goroutine) is found too.
func TestSubmitAndWaitOneCall(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []Option
	}{
		{"default", nil},
		{"coop", []Option{WithCoopTaskrun(false)}},
		{"coop+flag", []Option{WithCoopTaskrun(true)}},
		{"defer", []Option{WithDeferTaskrun()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			runtime.LockOSThread() // the subtest's own goroutine: DEFER_TASKRUN's single issuer
			defer runtime.UnlockOSThread()
			r := newRing(t, 16, c.opts...)
			for i := range 4 {
				before := r.Stats().EnterCalls
				for j := 0; j <= i; j++ {
					must(t)(r.PrepNop()).SetUserData(uint64(j))
				}
				if _, err := r.SubmitAndWait(uint32(i + 1)); err != nil {
					t.Fatal(err)
				}
				if calls := r.Stats().EnterCalls - before; calls != 1 {
					t.Errorf("batch of %d NOPs: %d io_uring_enter calls, want 1", i+1, calls)
				}
				if got := r.CQReady(); got != uint32(i+1) {
					t.Fatalf("batch of %d NOPs: %d completions ready after SubmitAndWait", i+1, got)
				}
				for range r.Completions() {
				}
			}
			rd, wr := pipe(t)
			buf := make([]byte, 4)
			must(t)(r.PrepRead(int(rd.Fd()), buf, 0)).SetUserData(100)
			if _, err := r.Submit(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { wr.Write([]byte("ping")); close(done) }()
			<-done
			must(t)(r.PrepNop()).SetUserData(101)
			m := byUserData(t, submitWait(t, r, 2))
			wantRes(t, m[100], 4)
			wantRes(t, m[101], 0)
			wantBytes(t, buf, []byte("ping"))
		})
	}
}
