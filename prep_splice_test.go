package uring

import (
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSplice moves file data into a pipe and out into another file, linked so they run in order.
func TestSplice(t *testing.T) {
	r := newRing(t, 8)
	src := tempFile(t, pattern(8192, 3))
	dst := tempFile(t, make([]byte, 2048))
	pr, pw := pipe(t)
	must(t)(r.PrepSplice(int(src.Fd()), 100, int(pw.Fd()), CurrentPos, 1000, 0)).SetUserData(1).SetFlags(SQELink)
	must(t)(r.PrepSplice(int(pr.Fd()), CurrentPos, int(dst.Fd()), 50, 1000, SpliceMove)).SetUserData(2)
	m := byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[1], 1000)
	wantRes(t, m[2], 1000)
	wantBytes(t, readFileAt(t, dst, 50, 1000), pattern(8192, 3)[100:1100])

	// A pipe has no offset; a bad fd is EBADF; at the end of the file the result is 0.
	must(t)(r.PrepSplice(int(src.Fd()), 0, int(pw.Fd()), 10, 10, 0)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.ESPIPE)
	must(t)(r.PrepSplice(-1, CurrentPos, int(pw.Fd()), CurrentPos, 10, 0)).SetUserData(4)
	wantErrno(t, waitOne(t, r), syscall.EBADF)
	must(t)(r.PrepSplice(int(src.Fd()), 8192, int(pw.Fd()), CurrentPos, 10, 0)).SetUserData(5)
	wantRes(t, waitOne(t, r), 0)

	// fdIn from the registered file table.
	registerSparseFiles(t, r, 4)
	must(t)(r.PrepOpenatDirect(unix.AT_FDCWD, src.Name(), unix.O_RDONLY, 0, 1)).SetUserData(6)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepSplice(1, 0, int(pw.Fd()), CurrentPos, 16, SpliceFdInFixed)).SetUserData(7)
	wantRes(t, waitOne(t, r), 16)
	got := make([]byte, 16)
	if _, err := pr.Read(got); err != nil {
		t.Fatal(err)
	}
	wantBytes(t, got, pattern(8192, 3)[:16])

	_, err := r.PrepSplice(1<<40, 0, int(pw.Fd()), CurrentPos, 16, 0)
	wantInvalid(t, r, "fdIn out of range", err)
	wantNoLiveSlots(t, r)
}

// TestTee duplicates a pipe's contents into another pipe without consuming them.
func TestTee(t *testing.T) {
	r := newRing(t, 8)
	ar, aw := pipe(t)
	br, bw := pipe(t)
	aw.Write([]byte("hello"))
	must(t)(r.PrepTee(int(ar.Fd()), int(bw.Fd()), 64, 0)).SetUserData(1)
	wantRes(t, waitOne(t, r), 5)
	for _, p := range []interface{ Read([]byte) (int, error) }{br, ar} {
		got := make([]byte, 8)
		n, err := p.Read(got)
		if err != nil || string(got[:n]) != "hello" {
			t.Fatalf("after tee: %q, %v", got[:n], err)
		}
	}
	// Both ends must be pipes.
	f := tempFile(t, []byte("file"))
	must(t)(r.PrepTee(int(f.Fd()), int(bw.Fd()), 4, 0)).SetUserData(2)
	wantErrno(t, waitOne(t, r), syscall.EINVAL)
	_, err := r.PrepTee(int(ar.Fd()), 1<<40, 4, 0)
	wantInvalid(t, r, "fdOut out of range", err)
	wantNoLiveSlots(t, r)
}

func TestPipe(t *testing.T) {
	r := newRing(t, 8)
	var fds [2]int32
	must(t)(r.PrepPipe(&fds, unix.O_CLOEXEC)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	defer unix.Close(int(fds[0]))
	defer unix.Close(int(fds[1]))
	if fds[0] < 0 || fds[1] < 0 || fds[0] == fds[1] {
		t.Fatalf("fds %v", fds)
	}
	if _, err := unix.Write(int(fds[1]), []byte("through")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 16)
	if n, err := unix.Read(int(fds[0]), got); err != nil || string(got[:n]) != "through" {
		t.Fatalf("read from the new pipe: %q, %v", got[:n], err)
	}
	for _, fd := range fds {
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
			t.Fatalf("fd %d flags %#x, %v: want FD_CLOEXEC", fd, fl, err)
		}
	}
	var bad [2]int32
	must(t)(r.PrepPipe(&bad, unix.O_APPEND)).SetUserData(2)
	wantErrno(t, waitOne(t, r), syscall.EINVAL)
	_, err := r.PrepPipe(nil, 0)
	wantInvalid(t, r, "nil fds", err)
	wantNoLiveSlots(t, r)
}

func TestPipeDirect(t *testing.T) {
	r := newRing(t, 8)
	registerSparseFiles(t, r, 8)
	var fds [2]int32
	must(t)(r.PrepPipeDirect(&fds, 0, 2)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	if fds != [2]int32{2, 3} {
		t.Fatalf("direct pipe in slots %v, want [2 3]", fds)
	}
	var alloc [2]int32
	must(t)(r.PrepPipeDirect(&alloc, 0, FileIndexAlloc)).SetUserData(2)
	wantRes(t, waitOne(t, r), 0)
	if alloc[0] == alloc[1] || alloc[0] == 2 || alloc[0] == 3 || alloc[1] == 2 || alloc[1] == 3 {
		t.Fatalf("allocated slots %v overlap", alloc)
	}
	// Write into one pipe's write slot, read from its read slot.
	for _, p := range [][2]int32{fds, alloc} {
		must(t)(r.PrepWrite(int(p[1]), []byte("fixed"), CurrentPos)).SetUserData(3).SetFlags(SQEFixedFile | SQELink)
		got := make([]byte, 8)
		must(t)(r.PrepRead(int(p[0]), got, CurrentPos)).SetUserData(4).SetFlags(SQEFixedFile)
		m := byUserData(t, submitWait(t, r, 2))
		wantRes(t, m[3], 5)
		wantRes(t, m[4], 5)
		wantBytes(t, got[:5], []byte("fixed"))
	}
	// Slots in use are replaced, not refused (the man page says the operation fails; Linux
	// 6.18 installs the new pipe as it does for every direct descriptor): the old pipe's data
	// is gone with it.
	must(t)(r.PrepWrite(int(fds[1]), []byte("old"), CurrentPos)).SetUserData(5).SetFlags(SQEFixedFile)
	wantRes(t, waitOne(t, r), 3)
	must(t)(r.PrepPipeDirect(&fds, 0, 2)).SetUserData(6)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepWrite(int(fds[1]), []byte("new"), CurrentPos)).SetUserData(7).SetFlags(SQEFixedFile | SQELink)
	got := make([]byte, 8)
	must(t)(r.PrepRead(int(fds[0]), got, CurrentPos)).SetUserData(8).SetFlags(SQEFixedFile)
	m := byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[8], 3)
	wantBytes(t, got[:3], []byte("new"))
	_, err := r.PrepPipeDirect(nil, 0, 0)
	wantInvalid(t, r, "nil fds", err)
	wantNoLiveSlots(t, r)
}
