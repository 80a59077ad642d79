package uring

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// readFixedFile reads 16 bytes through registered file slot and returns the completion.
func readFixedFile(t *testing.T, r *Ring, slot int) (CQE, []byte) {
	t.Helper()
	buf := make([]byte, 16)
	must(t)(r.PrepRead(slot, buf, 0)).SetUserData(uint64(slot) + 1000).SetFlags(SQEFixedFile)
	return waitOne(t, r), buf
}

// TestRegisterFiles registers files with an empty slot, updates, skips and empties slots, and
// checks the registered files outlive their fds.
func TestRegisterFiles(t *testing.T) {
	r := newRing(t, 8)
	a := tempFile(t, pattern(16, 1))
	b := tempFile(t, pattern(16, 2))
	if err := r.RegisterFiles([]int{int(a.Fd()), -1}); err != nil {
		t.Fatal(err)
	}
	c, buf := readFixedFile(t, r, 0)
	wantRes(t, c, 16)
	wantBytes(t, buf, pattern(16, 1))
	c, _ = readFixedFile(t, r, 1)
	wantErrno(t, c, syscall.EBADF)

	if n, err := r.UpdateFiles(0, []int{FileSlotSkip, int(b.Fd())}); err != nil || n != 2 {
		t.Fatalf("UpdateFiles: %d, %v", n, err)
	}
	c, buf = readFixedFile(t, r, 0)
	wantRes(t, c, 16)
	wantBytes(t, buf, pattern(16, 1)) // skipped: still a
	b.Close()                         // the table has its own reference
	c, buf = readFixedFile(t, r, 1)
	wantRes(t, c, 16)
	wantBytes(t, buf, pattern(16, 2))

	if err := r.RegisterFiles([]int{int(a.Fd())}); !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("a second table: %v, want EBUSY", err)
	}
	if _, err := r.UpdateFiles(1, []int{int(a.Fd()), int(a.Fd())}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("update past the table: %v, want EINVAL", err)
	}
	if err := r.UnregisterFiles(); err != nil {
		t.Fatal(err)
	}
	if err := r.UnregisterFiles(); !errors.Is(err, syscall.ENXIO) {
		t.Fatalf("unregistering no table: %v, want ENXIO", err)
	}
	c, _ = readFixedFile(t, r, 0)
	wantErrno(t, c, syscall.EBADF)

	for _, fds := range [][]int{nil, {-3}, {1 << 40}} {
		if err := r.RegisterFiles(fds); !errors.Is(err, ErrInvalid) {
			t.Errorf("RegisterFiles(%v): %v, want ErrInvalid", fds, err)
		}
	}
	if err := r.RegisterFiles([]int{999999}); !errors.Is(err, syscall.EBADF) {
		t.Errorf("a closed fd: %v, want EBADF", err)
	}
	if _, err := r.UpdateFiles(-1, []int{0}); !errors.Is(err, ErrInvalid) {
		t.Errorf("offset -1: %v", err)
	}
	if err := r.RegisterFileAllocRange(-1, 2); !errors.Is(err, ErrInvalid) {
		t.Errorf("alloc range -1: %v", err)
	}
}

// TestFileTags sees the tag of a registered file posted when its slot is replaced or the
// table removed.
func TestFileTags(t *testing.T) {
	r := newRing(t, 8)
	a := tempFile(t, pattern(16, 1))
	if err := r.RegisterFilesTags([]int{int(a.Fd()), -1}, []uint64{11, 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UpdateFilesTags(1, []int{int(a.Fd())}, []uint64{12}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UpdateFiles(0, []int{-1}); err != nil {
		t.Fatal(err)
	}
	if c, err := r.WaitCQETimeout(5 * time.Second); err != nil || c.UserData != 11 || c.Res != 0 {
		t.Fatalf("tag of the replaced file: %+v, %v", c, err)
	}
	c, buf := readFixedFile(t, r, 1)
	wantRes(t, c, 16)
	wantBytes(t, buf, pattern(16, 1))
	if err := r.UnregisterFiles(); err != nil {
		t.Fatal(err)
	}
	if c, err := r.WaitCQETimeout(5 * time.Second); err != nil || c.UserData != 12 {
		t.Fatalf("tag at unregister: %+v, %v", c, err)
	}
	if err := r.RegisterFilesTags([]int{-1}, []uint64{3}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("a tag on an empty slot: %v, want EINVAL", err)
	}
	if err := r.RegisterFilesTags([]int{-1}, []uint64{1 << 63}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a top-bit tag: %v", err)
	}
	if _, err := r.UpdateFilesTags(0, []int{-1}, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("missing tags: %v", err)
	}
}

// TestSparseFilesAndAllocRange registers an empty table and narrows the slots the kernel picks.
func TestSparseFilesAndAllocRange(t *testing.T) {
	r := newRing(t, 8)
	if err := r.RegisterFilesSparse(0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("0 slots: %v", err)
	}
	if err := r.RegisterFilesSparse(4); err != nil {
		t.Fatal(err)
	}
	c, _ := readFixedFile(t, r, 3)
	wantErrno(t, c, syscall.EBADF)
	if err := r.RegisterFileAllocRange(3, 1); err != nil {
		t.Fatal(err)
	}
	a := tempFile(t, pattern(16, 9))
	fds := []int32{int32(a.Fd())}
	must(t)(r.PrepFilesUpdate(fds, -1)).SetUserData(1)
	wantRes(t, waitOne(t, r), 1)
	if fds[0] != 3 {
		t.Fatalf("slot %d chosen, want 3", fds[0])
	}
	c, buf := readFixedFile(t, r, 3)
	wantRes(t, c, 16)
	wantBytes(t, buf, pattern(16, 9))
	if err := r.RegisterFileAllocRange(3, 2); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("a range past the table: %v, want EINVAL", err)
	}
}
