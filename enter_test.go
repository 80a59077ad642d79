package uring

import (
	"os"
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
