package uring

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitTarget returns the next completion on a ring that only receives messages.
func waitTarget(t testing.TB, r *Ring) CQE {
	t.Helper()
	c, err := r.WaitCQETimeout(10 * time.Second)
	if err != nil {
		t.Fatalf("no message arrived: %v", err)
	}
	return c
}

func TestMsgRing(t *testing.T) {
	a, b := newRing(t, 8), newRing(t, 8)
	must(t)(a.PrepMsgRing(b.Fd(), 42, 0x1234, 0)).SetUserData(1)
	wantRes(t, waitOne(t, a), 0)
	if c := waitTarget(t, b); c.UserData != 0x1234 || c.Res != 42 || c.Flags != 0 {
		t.Fatalf("target got %+v, want user data 0x1234 and res 42", c)
	}
	// The user data and a negative result arrive unchanged.
	must(t)(a.PrepMsgRing(b.Fd(), -int32(syscall.EIO), 1<<62|5, 0)).SetUserData(2)
	wantRes(t, waitOne(t, a), 0)
	if c := waitTarget(t, b); c.UserData != 1<<62|5 || !errors.Is(c.Err(), syscall.EIO) {
		t.Fatalf("target got %+v", c)
	}
	// Flags passed through to the target's completion.
	must(t)(a.PrepMsgRingCQEFlags(b.Fd(), 5, 77, 0, 1<<20)).SetUserData(3)
	wantRes(t, waitOne(t, a), 0)
	if c := waitTarget(t, b); c.UserData != 77 || c.Res != 5 || c.Flags != 1<<20 {
		t.Fatalf("target got %+v, want flags 1<<20", c)
	}
	// To itself: two completions on the same ring.
	must(t)(a.PrepMsgRing(a.Fd(), 9, 99, 0)).SetUserData(4)
	m := byUserData(t, submitWait(t, a, 2))
	wantRes(t, m[4], 0)
	wantRes(t, m[99], 9)

	// CQE_SKIP is for files only; a non-ring fd is EBADFD; a closed one EBADF.
	must(t)(a.PrepMsgRing(b.Fd(), 1, 1, MsgRingCQESkip)).SetUserData(5)
	wantErrno(t, waitOne(t, a), syscall.EINVAL)
	pr, _ := pipe(t)
	must(t)(a.PrepMsgRing(int(pr.Fd()), 1, 1, 0)).SetUserData(6)
	wantErrno(t, waitOne(t, a), syscall.EBADFD)
	must(t)(a.PrepMsgRing(-1, 1, 1, 0)).SetUserData(7)
	wantErrno(t, waitOne(t, a), syscall.EBADF)
	if c, ok := b.PeekCQE(); ok {
		t.Fatalf("a failed message reached the target: %+v", c)
	}
	wantNoLiveSlots(t, a)
	wantNoLiveSlots(t, b)
}

// TestMsgRingFd hands a registered file from one ring's table to another's.
func TestMsgRingFd(t *testing.T) {
	a, b := newRing(t, 8), newRing(t, 8)
	registerSparseFiles(t, a, 4)
	registerSparseFiles(t, b, 8)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("shared"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t)(a.PrepOpenatDirect(unix.AT_FDCWD, path, unix.O_RDONLY, 0, 0)).SetUserData(1)
	wantRes(t, waitOne(t, a), 0)
	readSlot := func(slot int32) {
		t.Helper()
		buf := make([]byte, 16)
		must(t)(b.PrepRead(int(slot), buf, 0)).SetUserData(100).SetFlags(SQEFixedFile)
		c := waitOne(t, b)
		if c.Res != 6 || string(buf[:6]) != "shared" {
			t.Fatalf("target slot %d read %q (%v)", slot, buf[:max(c.Res, 0)], c.Err())
		}
	}

	must(t)(a.PrepMsgRingFd(b.Fd(), 0, 2, 55, 0)).SetUserData(2)
	wantRes(t, waitOne(t, a), 0)
	if c := waitTarget(t, b); c.UserData != 55 || c.Res != 0 {
		t.Fatalf("target got %+v, want user data 55 and res 0", c)
	}
	readSlot(2)

	must(t)(a.PrepMsgRingFdAlloc(b.Fd(), 0, 56, 0)).SetUserData(3)
	c := waitOne(t, a)
	if c.Res < 0 || c.Res == 2 {
		t.Fatalf("alloc: sender got %d (%v), want a free slot", c.Res, c.Err())
	}
	if tc := waitTarget(t, b); tc.UserData != 56 || tc.Res != c.Res {
		t.Fatalf("target got %+v, want the slot %d", tc, c.Res)
	}
	readSlot(c.Res)

	// With CQE_SKIP the file arrives without a completion on the target.
	must(t)(a.PrepMsgRingFd(b.Fd(), 0, 5, 57, MsgRingCQESkip)).SetUserData(4)
	wantRes(t, waitOne(t, a), 0)
	if c, ok := b.PeekCQE(); ok {
		t.Fatalf("CQE_SKIP: the target got %+v", c)
	}
	readSlot(5)

	// An empty source slot is EBADF; the sender itself as target is EINVAL.
	must(t)(a.PrepMsgRingFd(b.Fd(), 3, 6, 58, 0)).SetUserData(5)
	wantErrno(t, waitOne(t, a), syscall.EBADF)
	must(t)(a.PrepMsgRingFd(a.Fd(), 0, 1, 59, 0)).SetUserData(6)
	wantErrno(t, waitOne(t, a), syscall.EINVAL)
	_, err := a.PrepMsgRingFd(b.Fd(), 0, FileIndexAlloc, 60, 0)
	wantInvalid(t, a, "FileIndexAlloc as a fixed target", err)
	wantNoLiveSlots(t, a)
	wantNoLiveSlots(t, b)
}

func TestSendMsgRing(t *testing.T) {
	b := newRing(t, 8)
	if err := SendMsgRing(b.Fd(), 9, 1234, 0); err != nil {
		t.Fatal(err)
	}
	if c := waitTarget(t, b); c.UserData != 1234 || c.Res != 9 || c.Flags != 0 {
		t.Fatalf("target got %+v", c)
	}
	if err := SendMsgRing(b.Fd(), -1, 5, 1<<21); err != nil {
		t.Fatal(err)
	}
	if c := waitTarget(t, b); c.UserData != 5 || c.Res != -1 || c.Flags != 1<<21 {
		t.Fatalf("target got %+v, want flags 1<<21", c)
	}
	pr, _ := pipe(t)
	if err := SendMsgRing(int(pr.Fd()), 1, 1, 0); !errors.Is(err, syscall.EBADFD) {
		t.Fatalf("to a pipe: %v, want EBADFD", err)
	}
	if err := SendMsgRing(-1, 1, 1, 0); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("to fd -1: %v, want EBADF", err)
	}
	if err := SendMsgRing(1<<40, 1, 1, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("fd out of range: %v, want ErrInvalid", err)
	}
	if c, ok := b.PeekCQE(); ok {
		t.Fatalf("a failed message reached the target: %+v", c)
	}
}

// TestMsgRingTopBitRefused: a message must never look like one of the target's tokens.
func TestMsgRingTopBitRefused(t *testing.T) {
	r := newRing(t, 4)
	other := newRing(t, 4)
	const bad = 1<<63 | 5
	for name, err := range map[string]error{
		"PrepMsgRing":         second(r.PrepMsgRing(other.Fd(), 1, bad, 0)),
		"PrepMsgRingCQEFlags": second(r.PrepMsgRingCQEFlags(other.Fd(), 1, bad, 0, 0)),
		"PrepMsgRingFd":       second(r.PrepMsgRingFd(other.Fd(), 0, 0, bad, 0)),
		"PrepMsgRingFdAlloc":  second(r.PrepMsgRingFdAlloc(other.Fd(), 0, bad, 0)),
		"SendMsgRing":         SendMsgRing(other.Fd(), 1, bad, 0),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s with the top bit set: %v, want ErrInvalid", name, err)
		}
	}
	if r.SQReady() != 0 {
		t.Fatal("refused messages left entries queued")
	}
}
