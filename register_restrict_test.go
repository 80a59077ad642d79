package uring

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

// TestRestrictions allows NOP, READ and two register opcodes on a disabled ring, enables it,
// and sees everything else refused with EACCES.
func TestRestrictions(t *testing.T) {
	r := newRing(t, 8, WithDisabled())
	err := r.RegisterRestrictions(
		AllowOp(OpNop), AllowOp(OpRead),
		AllowRegisterOp(abi.IORING_REGISTER_PROBE), AllowRegisterOp(abi.IORING_REGISTER_SYNC_CANCEL),
		AllowSQEFlags(SQELink),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterRestrictions(AllowOp(OpNop)); !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("second restrictions: %v, want EBUSY", err)
	}
	if err := r.EnableRings(); err != nil {
		t.Fatal(err)
	}
	f := tempFile(t, pattern(16, 1))
	must(t)(r.PrepRead(int(f.Fd()), make([]byte, 16), 0)).SetUserData(1).SetFlags(SQELink)
	must(t)(r.PrepNop()).SetUserData(2)
	got := byUserData(t, submitWait(t, r, 2))
	wantRes(t, got[1], 16)
	wantRes(t, got[2], 0)
	must(t)(r.PrepWrite(int(f.Fd()), []byte("x"), 0)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.EACCES) // WRITE is not allowed
	must(t)(r.PrepNop()).SetUserData(4).SetFlags(SQEAsync)
	wantErrno(t, waitOne(t, r), syscall.EACCES) // IOSQE_ASYNC is not an allowed flag
	// A refused entry in a link chain fails the chain: the entries linked before it
	// complete with ECANCELED.
	must(t)(r.PrepRead(int(f.Fd()), make([]byte, 16), 0)).SetUserData(5).SetFlags(SQELink)
	must(t)(r.PrepWrite(int(f.Fd()), []byte("x"), 0)).SetUserData(6)
	got = byUserData(t, submitWait(t, r, 2))
	wantErrno(t, got[5], syscall.ECANCELED)
	wantErrno(t, got[6], syscall.EACCES)

	if _, err := r.Probe(); err != nil {
		t.Fatalf("an allowed register opcode: %v", err)
	}
	if err := r.RegisterFilesSparse(4); !errors.Is(err, syscall.EACCES) {
		t.Fatalf("a register opcode not allowed: %v, want EACCES", err)
	}
	if r.ops.live != 0 {
		t.Fatalf("%d slots live", r.ops.live)
	}
}

// TestRequiredSQEFlags requires IOSQE_FIXED_FILE on every SQE.
func TestRequiredSQEFlags(t *testing.T) {
	r := newRing(t, 8, WithDisabled())
	if err := r.RegisterRestrictions(AllowOp(OpRead), RequireSQEFlags(SQEFixedFile), AllowSQEFlags(SQEFixedFile)); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterRestrictions(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no rules: %v", err)
	}
	f := tempFile(t, pattern(16, 2))
	if err := r.RegisterFiles([]int{int(f.Fd())}); err != nil { // before enabling: no rules yet
		t.Fatal(err)
	}
	if err := r.EnableRings(); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepRead(int(f.Fd()), make([]byte, 16), 0)).SetUserData(1)
	must(t)(r.PrepRead(0, make([]byte, 16), 0)).SetUserData(2).SetFlags(SQEFixedFile)
	got := byUserData(t, submitWait(t, r, 2))
	wantErrno(t, got[1], syscall.EACCES)
	wantRes(t, got[2], 16)
}

// TestRestrictionsNeedDisabledRing: an enabled ring refuses restrictions with EBADFD.
func TestRestrictionsNeedDisabledRing(t *testing.T) {
	r := newRing(t, 8)
	if err := r.RegisterRestrictions(AllowOp(OpNop)); !errors.Is(err, syscall.EBADFD) {
		t.Fatalf("restrictions on an enabled ring: %v, want EBADFD", err)
	}
}

// TestPersonality registers the credentials of a thread switched to the nobody user, and opens
// a file only root may read: with the personality the open fails with EACCES, without it
// succeeds, whatever thread submits.
func TestPersonality(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching a thread to another user needs root")
	}
	r := newRing(t, 8)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	path := filepath.Join(dir, "secret")
	if err := os.WriteFile(path, []byte("root only"), 0o600); err != nil {
		t.Fatal(err)
	}

	type result struct {
		id  uint16
		err error
	}
	done := make(chan result)
	go func() {
		// This thread changes its own credentials only (a raw setresuid, not Go's
		// process-wide one) and is never unlocked, so it dies with them.
		runtime.LockOSThread()
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, ^uintptr(0), 65534, ^uintptr(0)); e != 0 {
			done <- result{err: e}
			return
		}
		id, err := r.RegisterPersonality()
		done <- result{id, err}
	}()
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.id == 0 {
		t.Fatal("personality id 0, which an SQE cannot name")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the process lost root: the credential change leaked")
	}

	openat := func(personality uint16) CQE {
		t.Helper()
		p := append([]byte(path), 0)
		s, e, err := r.PrepUnsafe()
		if err != nil {
			t.Fatal(err)
		}
		e.Opcode = abi.IORING_OP_OPENAT
		e.Fd = unix.AT_FDCWD
		e.Addr = uint64(uintptr(unsafe.Pointer(&p[0])))
		e.OpFlags = unix.O_RDONLY | unix.O_CLOEXEC
		s.SetUserData(uint64(personality) + 1).SetPersonality(personality)
		c := waitOne(t, r)
		runtime.KeepAlive(p)
		if c.Res >= 0 {
			unix.Close(int(c.Res))
		}
		return c
	}
	wantErrno(t, openat(res.id), syscall.EACCES)
	if c := openat(0); c.Res < 0 {
		t.Fatalf("open without the personality: %v", c.Err())
	}
	if err := r.UnregisterPersonality(res.id); err != nil {
		t.Fatal(err)
	}
	if err := r.UnregisterPersonality(res.id); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("unregistering twice: %v, want EINVAL", err)
	}
	wantErrno(t, openat(res.id), syscall.EINVAL) // an unknown personality
}
