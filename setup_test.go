package uring

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

// TestRingMemory places rings in memory the caller maps (io_uring_queue_init_mem), checks the
// size and alignment rules, and runs operations on them.
func TestRingMemory(t *testing.T) {
	for _, opts := range [][]Option{nil, {WithCQSize(1024)}, {WithSQE128(), WithCQE32()}, {WithNoSQArray(false)}} {
		size, err := RingMemorySize(64, opts...)
		if err != nil {
			t.Fatal(err)
		}
		page := unix.Getpagesize()
		if size%page != 0 || size < 64*64+2*64*16 {
			t.Fatalf("RingMemorySize %d", size)
		}
		mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Munmap(mem) }) // after the ring is closed
		r := newRing(t, 64, append(opts, WithRingMemory(mem))...)
		if r.Flags()&SetupNoMmap == 0 {
			t.Fatal("NO_MMAP not set")
		}
		f := tempFile(t, pattern(4096, 2))
		for i := range 64 {
			must(t)(r.PrepRead(int(f.Fd()), make([]byte, 64), int64(i*64))).SetUserData(uint64(i))
		}
		got := byUserData(t, submitWait(t, r, 64))
		for i := range 64 {
			wantRes(t, got[uint64(i)], 64)
		}
		if r.ops.live != 0 {
			t.Fatalf("%d slots live", r.ops.live)
		}

		if _, err := New(64, append(opts, WithRingMemory(mem[:size-page]))...); !errors.Is(err, ErrInvalid) {
			t.Errorf("memory a page short: %v, want ErrInvalid", err)
		}
		if _, err := New(64, append(opts, WithRingMemory(mem[64:]))...); !errors.Is(err, ErrInvalid) {
			t.Errorf("unaligned memory: %v, want ErrInvalid", err)
		}
	}
	if _, err := New(8, WithRingMemory(nil)); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil memory: %v, want ErrInvalid", err)
	}
	if _, err := RingMemorySize(0); !errors.Is(err, ErrInvalid) {
		t.Errorf("RingMemorySize(0): %v", err)
	}
}

// TestRegisteredFdOnly makes a ring that has no fd, only a registered index, in caller memory
// too, and uses it from its thread.
func TestRegisteredFdOnly(t *testing.T) {
	size, err := RingMemorySize(8)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	for _, opts := range [][]Option{{WithRegisteredFdOnly()}, {WithRegisteredFdOnly(), WithRingMemory(mem)}} {
		onLockedThread(t, func() error {
			r, err := New(8, opts...)
			if err != nil {
				return err
			}
			defer r.Close()
			if r.Fd() != -1 {
				return fmt.Errorf("Fd %d, want -1", r.Fd())
			}
			must(t)(r.PrepNop()).SetUserData(1)
			buf := make([]byte, 8)
			must(t)(r.PrepRead(unix.Stdin, buf, 0)).SetUserData(2).SetFlags(SQEFixedFile) // no table: EBADF
			got := byUserData(t, submitWait(t, r, 2))
			wantRes(t, got[1], 0)
			wantErrno(t, got[2], syscall.EBADF)
			if _, err := r.Probe(); err != nil {
				return fmt.Errorf("a register call through the index: %w", err)
			}
			if err := r.UnregisterRingFd(); !errors.Is(err, ErrInvalid) {
				return fmt.Errorf("UnregisterRingFd: %v", err)
			}
			return nil
		})
	}
}

// TestHybridIOPoll: setup accepts HYBRID_IOPOLL, a NOP completes, and a buffered read of a
// regular file is refused with EOPNOTSUPP, as on any IOPOLL ring (polled I/O needs O_DIRECT on
// a block device with poll queues, which this test machine need not have).
func TestHybridIOPoll(t *testing.T) {
	for _, opt := range []Option{WithIOPoll(), WithHybridIOPoll()} {
		r := newRing(t, 8, opt)
		if r.Flags()&SetupIOPoll == 0 {
			t.Fatal("IOPOLL not set")
		}
		must(t)(r.PrepNop()).SetUserData(1)
		wantRes(t, waitOne(t, r), 0)
		f := tempFile(t, pattern(4096, 1))
		must(t)(r.PrepRead(int(f.Fd()), make([]byte, 512), 0)).SetUserData(2)
		wantErrno(t, waitOne(t, r), syscall.EOPNOTSUPP)
	}
	if r := newRing(t, 8, WithHybridIOPoll()); r.Flags()&SetupHybridIOPoll == 0 {
		t.Fatal("HYBRID_IOPOLL not set")
	}
	if _, err := New(8, WithFlags(SetupHybridIOPoll)); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("HYBRID_IOPOLL without IOPOLL: %v, want EINVAL", err)
	}
}

// TestCQEMixedNop posts 16- and 32-byte completions into one mixed CQ.
func TestCQEMixedNop(t *testing.T) {
	r := newRing(t, 8, WithCQEMixed(), WithCQSize(64))
	for i := range 6 {
		s, e, err := r.PrepUnsafe()
		if err != nil {
			t.Fatal(err)
		}
		e.Opcode = abi.IORING_OP_NOP
		if i%2 == 1 {
			e.OpFlags = abi.IORING_NOP_CQE32
		}
		s.SetUserData(uint64(i))
	}
	got := byUserData(t, submitWait(t, r, 6))
	for i := range 6 {
		c := got[uint64(i)]
		wantRes(t, c, 0)
		if big := c.Flags&CQEF32 != 0; big != (i%2 == 1) {
			t.Errorf("completion %d: flags %v", i, c.Flags)
		}
	}
}

// TestSQPollWakeup lets the SQPOLL thread go to sleep, sees IORING_SQ_NEED_WAKEUP, and checks
// that a submission wakes it.
func TestSQPollWakeup(t *testing.T) {
	r := newRing(t, 8, WithSQPoll(10*time.Millisecond))
	must(t)(r.PrepNop()).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	deadline := time.Now().Add(5 * time.Second)
	for r.sq.flags()&abi.IORING_SQ_NEED_WAKEUP == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the SQPOLL thread never went to sleep")
		}
		time.Sleep(50 * time.Millisecond)
	}
	calls := r.Stats().EnterCalls
	must(t)(r.PrepNop()).SetUserData(2)
	c := waitOne(t, r)
	if c.UserData != 2 {
		t.Fatalf("completion %+v", c)
	}
	wantRes(t, c, 0)
	if r.Stats().EnterCalls == calls {
		t.Fatal("no io_uring_enter to wake the sleeping thread")
	}
}
