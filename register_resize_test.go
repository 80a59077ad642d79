package uring

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
)

// TestResizeRings grows and shrinks the queues of a DEFER_TASKRUN ring (kernel and NO_MMAP
// memory alike) with completions waiting, and uses the ring after each resize.
func TestResizeRings(t *testing.T) {
	for _, opts := range [][]Option{{WithDeferTaskrun()}, {WithDeferTaskrun(), WithNoMmap()}} {
		onLockedThread(t, func() error {
			r, err := New(8, opts...)
			if err != nil {
				return err
			}
			defer r.Close()
			// Completions waiting across the resize come back afterwards.
			for i := range 5 {
				must(t)(r.PrepNop()).SetUserData(uint64(i))
			}
			if _, err := r.SubmitAndWait(5); err != nil {
				return err
			}
			if err := r.ResizeRings(64, 256); err != nil {
				return err
			}
			if r.SQEntries() != 64 || r.CQEntries() != 256 {
				return fmt.Errorf("after growing: SQ %d, CQ %d", r.SQEntries(), r.CQEntries())
			}
			if n := len(byUserData(t, submitWait(t, r, 0))); n != 5 {
				return fmt.Errorf("%d completions of the 5 posted before the resize", n)
			}
			// The whole new SQ at once, then reads that hold memory.
			for i := range 64 {
				must(t)(r.PrepNop()).SetUserData(uint64(100 + i))
			}
			if got := byUserData(t, submitWait(t, r, 64)); len(got) != 64 {
				return fmt.Errorf("%d completions of 64", len(got))
			}
			f := tempFile(t, pattern(512, 3))
			buf := make([]byte, 512)
			must(t)(r.PrepRead(int(f.Fd()), buf, 0)).SetUserData(1)
			wantRes(t, waitOne(t, r), 512)
			wantBytes(t, buf, pattern(512, 3))

			if err := r.ResizeRings(4, 0); err != nil {
				return err
			}
			if r.SQEntries() != 4 || r.CQEntries() != 8 {
				return fmt.Errorf("after shrinking: SQ %d, CQ %d", r.SQEntries(), r.CQEntries())
			}
			for i := range 4 {
				must(t)(r.PrepNop()).SetUserData(uint64(200 + i))
			}
			if _, err := r.PrepNop(); !errors.Is(err, ErrSQFull) {
				return fmt.Errorf("a fifth entry in a 4-entry SQ: %v", err)
			}
			if err := r.ResizeRings(16, 0); !errors.Is(err, ErrInvalid) {
				return fmt.Errorf("resizing with entries prepared: %v", err)
			}
			if got := byUserData(t, submitWait(t, r, 4)); len(got) != 4 {
				return fmt.Errorf("%d completions of 4", len(got))
			}
			if r.ops.live != 0 {
				return fmt.Errorf("%d slots live", r.ops.live)
			}
			return nil
		})
	}
}

// TestResizeRingsRefused: the kernel resizes only DEFER_TASKRUN rings; bad sizes are refused
// before it sees them.
func TestResizeRingsRefused(t *testing.T) {
	r := newRing(t, 8)
	if err := r.ResizeRings(16, 0); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("resizing a plain ring: %v, want EINVAL", err)
	}
	must(t)(r.PrepNop()).SetUserData(1)
	wantRes(t, waitOne(t, r), 0) // still works
	for _, c := range [][2]uint32{{0, 0}, {1 << 16, 0}, {16, 8}, {16, 1 << 20}} {
		if err := r.ResizeRings(c[0], c[1]); !errors.Is(err, ErrInvalid) {
			t.Errorf("ResizeRings(%d, %d): %v", c[0], c[1], err)
		}
	}
	r.Close()
	if err := r.ResizeRings(16, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("closed: %v", err)
	}
}
