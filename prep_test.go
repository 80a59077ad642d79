package uring

import (
	"errors"
	"math"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestNop(t *testing.T) {
	r := newRing(t, 4)
	must(t)(r.PrepNop()).SetUserData(math.MaxUint64) // a value with the top bit set
	c := waitOne(t, r)
	if c.UserData != math.MaxUint64 || c.Res != 0 {
		t.Fatalf("%+v", c)
	}
	must(t)(r.PrepNopResult(-int32(syscall.EIO))).SetUserData(2)
	wantErrno(t, waitOne(t, r), syscall.EIO)
	must(t)(r.PrepNopResult(42)).SetUserData(3)
	wantRes(t, waitOne(t, r), 42)
}

// TestBadInput checks the errors for arguments refused before the kernel, and the errno for
// those the kernel refuses.
func TestBadInput(t *testing.T) {
	r := newRing(t, 8)
	f := tempFile(t, []byte("data"))
	for name, err := range map[string]error{
		"PrepRead nil":      second(r.PrepRead(int(f.Fd()), nil, 0)),
		"PrepRead empty":    second(r.PrepRead(int(f.Fd()), []byte{}, 0)),
		"PrepWrite empty":   second(r.PrepWrite(int(f.Fd()), make([]byte, 0, 10), 0)),
		"PrepReadv none":    second(r.PrepReadv(int(f.Fd()), nil, 0)),
		"PrepWritev none":   second(r.PrepWritev(int(f.Fd()), [][]byte{}, 0)),
		"PrepRead huge fd":  second(r.PrepRead(1<<40, make([]byte, 1), 0)),
		"PrepFsync huge fd": second(r.PrepFsync(-1<<40, 0)),
		"PrepPollAdd huge":  second(r.PrepPollAdd(math.MaxInt32+1, unix.POLLIN)),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if r.SQReady() != 0 {
		t.Fatalf("refused preps left %d entries queued", r.SQReady())
	}

	// Negative and closed fds reach the kernel, which answers EBADF in the completion.
	closed, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	closedFd := int(closed.Fd())
	closed.Close()
	buf := make([]byte, 4)
	must(t)(r.PrepRead(-1, buf, 0)).SetUserData(1)
	must(t)(r.PrepWrite(-5, buf, 0)).SetUserData(2)
	must(t)(r.PrepRead(closedFd, buf, 0)).SetUserData(3)
	must(t)(r.PrepFsync(closedFd, 0)).SetUserData(4)
	must(t)(r.PrepPollAdd(-1, unix.POLLIN)).SetUserData(5)
	for ud, c := range byUserData(t, submitWait(t, r, 5)) {
		if !errors.Is(c.Err(), syscall.EBADF) {
			t.Errorf("op %d on a bad fd: %v, want EBADF", ud, c.Err())
		}
	}
	// A negative offset other than CurrentPos is the kernel's EINVAL.
	must(t)(r.PrepRead(int(f.Fd()), buf, -7)).SetUserData(6)
	wantErrno(t, waitOne(t, r), syscall.EINVAL)
}

func second[T any](_ T, err error) error { return err }

func TestSQFull(t *testing.T) {
	r := newRing(t, 4)
	for i := 0; i < 4; i++ {
		must(t)(r.PrepNop())
	}
	if r.SQSpaceLeft() != 0 || r.SQReady() != 4 {
		t.Fatalf("space %d ready %d", r.SQSpaceLeft(), r.SQReady())
	}
	if _, err := r.PrepNop(); !errors.Is(err, ErrSQFull) {
		t.Fatalf("fifth prep on a 4-entry ring: %v, want ErrSQFull", err)
	}
	buf := make([]byte, 8)
	if _, err := r.PrepRead(0, buf, 0); !errors.Is(err, ErrSQFull) {
		t.Fatalf("%v", err)
	}
	if r.ops.live != 0 {
		t.Fatalf("a refused read kept %d slots", r.ops.live)
	}
	if n, err := r.Submit(); n != 4 || err != nil {
		t.Fatalf("Submit = %d, %v", n, err)
	}
	if _, err := r.PrepNop(); err != nil {
		t.Fatalf("after submit: %v", err)
	}
}

// TestSQEHandleAfterSubmit: setters on a submitted entry must not touch it.
func TestSQEHandleAfterSubmit(t *testing.T) {
	r := newRing(t, 4)
	s := must(t)(r.PrepNop()).SetUserData(1)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	s2 := must(t)(r.PrepNop()).SetUserData(2) // reuses nothing yet, but s is stale now
	s.SetUserData(99).SetFlags(SQEDrain)
	if s2.Flags() != 0 {
		t.Fatalf("a stale handle changed another entry: flags %v", s2.Flags())
	}
	got := byUserData(t, submitWait(t, r, 2))
	if _, ok := got[1]; !ok || len(got) != 2 {
		t.Fatalf("completions %v, want user data 1 and 2", got)
	}
	var zero SQE
	zero.SetUserData(3).SetFlags(SQELink).KeepAlive(r) // no panic on the zero handle
	if zero.Bytes() != nil || zero.Flags() != 0 {
		t.Fatal("zero handle")
	}
}

func TestSQEBytes(t *testing.T) {
	r := newRing(t, 4)
	s := must(t)(r.PrepFsync(7, FsyncDatasync)).SetUserData(0x0102030405060708).SetFlags(SQELink)
	b := s.Bytes()
	if len(b) != 64 || b[0] != byte(OpFsync) || b[1] != byte(SQELink) || b[4] != 7 || b[28] != 1 || b[32] != 8 || b[39] != 1 {
		t.Fatalf("bytes % x", b)
	}
}

// TestLinkChains: a failing member cancels the rest of a soft chain; a hard link goes on.
func TestLinkChains(t *testing.T) {
	r := newRing(t, 16)
	f := tempFile(t, make([]byte, 4096))
	data := pattern(4096, 5)
	got := make([]byte, 4096)
	// write -> fsync -> read back, linked: runs in order.
	must(t)(r.PrepWrite(int(f.Fd()), data, 0)).SetUserData(1).SetFlags(SQELink)
	must(t)(r.PrepFsync(int(f.Fd()), 0)).SetUserData(2).SetFlags(SQELink)
	must(t)(r.PrepRead(int(f.Fd()), got, 0)).SetUserData(3)
	m := byUserData(t, submitWait(t, r, 3))
	wantRes(t, m[1], 4096)
	wantRes(t, m[2], 0)
	wantRes(t, m[3], 4096)
	wantBytes(t, got, data)

	// A failing member cancels what follows it in a soft chain.
	must(t)(r.PrepNop()).SetUserData(10).SetFlags(SQELink)
	must(t)(r.PrepNopResult(-int32(syscall.EIO))).SetUserData(11).SetFlags(SQELink)
	must(t)(r.PrepNop()).SetUserData(12).SetFlags(SQELink)
	must(t)(r.PrepRead(int(f.Fd()), got, 0)).SetUserData(13)
	m = byUserData(t, submitWait(t, r, 4))
	wantRes(t, m[10], 0)
	wantErrno(t, m[11], syscall.EIO)
	wantErrno(t, m[12], syscall.ECANCELED)
	wantErrno(t, m[13], syscall.ECANCELED)

	// With a hard link the chain goes on.
	must(t)(r.PrepNopResult(-int32(syscall.EIO))).SetUserData(20).SetFlags(SQEHardLink)
	must(t)(r.PrepNop()).SetUserData(21)
	m = byUserData(t, submitWait(t, r, 2))
	wantErrno(t, m[20], syscall.EIO)
	wantRes(t, m[21], 0)
	if r.ops.live != 0 {
		t.Fatalf("%d slots still live after every completion", r.ops.live)
	}
}

// TestDrain: a drained entry starts only after everything before it completed.
func TestDrain(t *testing.T) {
	r := newRing(t, 8)
	must(t)(r.PrepTimeout(20*time.Millisecond, 0, 0)).SetUserData(1)
	must(t)(r.PrepNop()).SetUserData(2).SetFlags(SQEDrain)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	var order []uint64
	for len(order) < 2 {
		c, err := r.WaitCQETimeout(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, c.UserData)
	}
	if order[0] != 1 || order[1] != 2 {
		t.Fatalf("completion order %v, want the timeout before the drained NOP", order)
	}
}

// TestSkipSuccess: no completion for a success, one for a failure; for an operation that holds
// Go memory the Ring hides the success itself, and releases the memory.
func TestSkipSuccess(t *testing.T) {
	r := newRing(t, 8)
	f := tempFile(t, pattern(64, 1))
	buf := make([]byte, 64)
	must(t)(r.PrepNop()).SetUserData(1).SetFlags(SQECQESkipSuccess)
	s := must(t)(r.PrepRead(int(f.Fd()), buf, 0)).SetUserData(2).SetFlags(SQECQESkipSuccess)
	if s.Flags()&SQECQESkipSuccess == 0 {
		t.Errorf("Flags() = %v, lost the skip flag", s.Flags())
	}
	must(t)(r.PrepRead(-1, buf, 0)).SetUserData(3).SetFlags(SQECQESkipSuccess)
	must(t)(r.PrepNopResult(-int32(syscall.EIO))).SetUserData(4).SetFlags(SQECQESkipSuccess)
	must(t)(r.PrepNop()).SetUserData(5)
	// Everything here completes inline, so one submission posts all there is.
	m := byUserData(t, submitWait(t, r, 3))
	if len(m) != 3 {
		t.Fatalf("completions %v, want only 3, 4 and 5", m)
	}
	wantErrno(t, m[3], syscall.EBADF)
	wantErrno(t, m[4], syscall.EIO)
	wantRes(t, m[5], 0)
	wantBytes(t, buf, pattern(64, 1))
	if r.ops.live != 0 {
		t.Fatalf("%d slots live: a hidden completion leaked its memory", r.ops.live)
	}
}

func TestPollMultishotUpdateRemove(t *testing.T) {
	r := newRing(t, 8)
	rd, wr := pipe(t)
	must(t)(r.PrepPollMultishot(int(rd.Fd()), unix.POLLIN)).SetUserData(7)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := wr.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		c, err := r.WaitCQETimeout(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if c.UserData != 7 || c.Res&unix.POLLIN == 0 || !c.More() {
			t.Fatalf("poll event %d: %+v, want POLLIN with MORE", i, c)
		}
		rd.Read(make([]byte, 8))
	}
	// Change the user data of later events, then remove the poll.
	must(t)(r.PrepPollUpdate(7, 8, 0, PollUpdateUserData|PollAddMulti)).SetUserData(100)
	wantRes(t, waitOne(t, r), 0)
	wr.Write([]byte{1})
	c, err := r.WaitCQETimeout(5 * time.Second)
	if err != nil || c.UserData != 8 {
		t.Fatalf("after the update: %+v %v, want user data 8", c, err)
	}
	must(t)(r.PrepPollRemove(8)).SetUserData(101)
	m := byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[101], 0)
	if m[8].More() || !errors.Is(m[8].Err(), syscall.ECANCELED) {
		t.Fatalf("removed poll: %+v, want ECANCELED without MORE", m[8])
	}
	must(t)(r.PrepPollRemove(12345)).SetUserData(102)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)
}

// TestPollLevelRefused records that Linux refuses IORING_POLL_ADD_LEVEL on POLL_ADD (the flag
// exists in the uapi header only); the package offers no helper for it.
func TestPollLevelRefused(t *testing.T) {
	r := newRing(t, 4)
	rd, _ := pipe(t)
	s, e, err := r.PrepUnsafe()
	if err != nil {
		t.Fatal(err)
	}
	e.Opcode, e.Fd, e.Len, e.OpFlags = uint8(OpPollAdd), int32(rd.Fd()), 1<<3, unix.POLLIN
	s.SetUserData(1)
	wantErrno(t, waitOne(t, r), syscall.EINVAL)
}

func TestTimeouts(t *testing.T) {
	r := newRing(t, 16)
	start := time.Now()
	must(t)(r.PrepTimeout(30*time.Millisecond, 0, 0)).SetUserData(1)
	wantErrno(t, waitOne(t, r), syscall.ETIME)
	if el := time.Since(start); el < 25*time.Millisecond {
		t.Fatalf("30ms timeout fired after %v", el)
	}

	// A count: completes with 0 once two other completions have been posted.
	must(t)(r.PrepTimeout(10*time.Second, 2, 0)).SetUserData(2)
	must(t)(r.PrepNop()).SetUserData(3)
	must(t)(r.PrepNop()).SetUserData(4)
	m := byUserData(t, submitWait(t, r, 3))
	wantRes(t, m[2], 0)

	// Absolute, on each clock.
	for _, fl := range []TimeoutFlags{0, TimeoutBoottime, TimeoutRealtime} {
		start = time.Now()
		must(t)(r.PrepTimeoutAt(time.Now().Add(30*time.Millisecond), 0, fl)).SetUserData(5)
		wantErrno(t, waitOne(t, r), syscall.ETIME)
		if el := time.Since(start); el < 20*time.Millisecond || el > 5*time.Second {
			t.Fatalf("absolute timeout (flags %d) fired after %v", fl, el)
		}
	}

	// ETIME as success lets a chain go on.
	must(t)(r.PrepTimeout(time.Millisecond, 0, TimeoutETimeSuccess)).SetUserData(6).SetFlags(SQELink)
	must(t)(r.PrepNop()).SetUserData(7)
	m = byUserData(t, submitWait(t, r, 2))
	wantErrno(t, m[6], syscall.ETIME)
	wantRes(t, m[7], 0)

	// Remove and update.
	must(t)(r.PrepTimeout(10*time.Second, 0, 0)).SetUserData(8)
	must(t)(r.PrepTimeoutRemove(8, 0)).SetUserData(9)
	m = byUserData(t, submitWait(t, r, 2))
	wantErrno(t, m[8], syscall.ECANCELED)
	wantRes(t, m[9], 0)
	must(t)(r.PrepTimeout(10*time.Second, 0, 0)).SetUserData(10)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	must(t)(r.PrepTimeoutUpdate(10, 10*time.Millisecond, 0)).SetUserData(11)
	m = byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[11], 0)
	wantErrno(t, m[10], syscall.ETIME)
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("updated timeout fired after %v", el)
	}

	// Multishot: fires three times, the last without MORE.
	must(t)(r.PrepTimeout(5*time.Millisecond, 3, TimeoutMultishot)).SetUserData(12)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		c, err := r.WaitCQETimeout(5 * time.Second)
		if err != nil || c.UserData != 12 || c.More() != (i < 2) {
			t.Fatalf("multishot expiry %d: %+v %v", i, c, err)
		}
	}
	if r.ops.live != 0 {
		t.Fatalf("%d slots live after all timeouts completed", r.ops.live)
	}
}

// TestLinkTimeout cancels a read that does not complete in time, and leaves one that does.
func TestLinkTimeout(t *testing.T) {
	r := newRing(t, 8)
	rd, wr := pipe(t)
	buf := make([]byte, 8)
	must(t)(r.PrepRead(int(rd.Fd()), buf, CurrentPos)).SetUserData(1).SetFlags(SQELink)
	must(t)(r.PrepLinkTimeout(20*time.Millisecond, 0)).SetUserData(2)
	m := byUserData(t, submitWait(t, r, 2))
	wantErrno(t, m[1], syscall.ECANCELED)
	wantErrno(t, m[2], syscall.ETIME)

	wr.Write([]byte("hello"))
	must(t)(r.PrepRead(int(rd.Fd()), buf, CurrentPos)).SetUserData(3).SetFlags(SQELink)
	must(t)(r.PrepLinkTimeout(5*time.Second, 0)).SetUserData(4)
	m = byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[3], 5)
	wantErrno(t, m[4], syscall.ECANCELED)
	wantBytes(t, buf[:5], []byte("hello"))
}

// TestCancel cancels reads that wait on a pipe, by user data and by fd, and checks that the
// buffers are released only on the target's own completion.
func TestCancel(t *testing.T) {
	r := newRing(t, 16)
	rd, wr := pipe(t)
	bufs := make([][]byte, 4)
	for i := range bufs {
		bufs[i] = make([]byte, 8)
		must(t)(r.PrepRead(int(rd.Fd()), bufs[i], CurrentPos)).SetUserData(uint64(i + 1))
	}
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepCancel(1, 0)).SetUserData(100)
	m := byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[100], 0)
	wantErrno(t, m[1], syscall.ECANCELED)

	must(t)(r.PrepCancel(999, 0)).SetUserData(101)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)

	must(t)(r.PrepCancelFd(int(rd.Fd()), CancelAll)).SetUserData(102)
	m = byUserData(t, submitWait(t, r, 4))
	wantRes(t, m[102], 3)
	for ud := uint64(2); ud <= 4; ud++ {
		wantErrno(t, m[ud], syscall.ECANCELED)
	}
	if r.ops.live != 0 {
		t.Fatalf("%d slots live after every read was cancelled", r.ops.live)
	}
	// Nothing reads the pipe any more: written bytes stay in it.
	wr.Write([]byte("after"))
	for _, b := range bufs {
		wantBytes(t, b, make([]byte, 8))
	}

	// CancelAny takes everything.
	must(t)(r.PrepRead(int(rd.Fd()), make([]byte, 1), CurrentPos)).SetUserData(5) // gets "a"
	must(t)(r.PrepTimeout(time.Hour, 0, 0)).SetUserData(6)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if c, _ := r.WaitCQETimeout(5 * time.Second); c.UserData != 5 {
		t.Fatalf("%+v", c)
	}
	must(t)(r.PrepCancel(0, CancelAny|CancelAll)).SetUserData(103)
	m = byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[103], 1)
	wantErrno(t, m[6], syscall.ECANCELED)
}

// TestLinkTimeoutUpdate shortens a linked timeout with TimeoutLinkUpdate (the entry carries
// IORING_TIMEOUT_UPDATE too, as liburing's io_uring_prep_timeout_update sets it): the poll it
// guards is cancelled soon after, not ten seconds later.
func TestLinkTimeoutUpdate(t *testing.T) {
	r := newRing(t, 8)
	pr, _ := pipe(t)
	must(t)(r.PrepPollAdd(int(pr.Fd()), unix.POLLIN)).SetUserData(1).SetFlags(SQELink)
	must(t)(r.PrepLinkTimeout(10*time.Second, 0)).SetUserData(2)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	must(t)(r.PrepTimeoutUpdate(2, 20*time.Millisecond, TimeoutLinkUpdate)).SetUserData(3)
	m := byUserData(t, submitWait(t, r, 3))
	wantRes(t, m[3], 0)
	wantErrno(t, m[1], syscall.ECANCELED)
	wantErrno(t, m[2], syscall.ETIME)
	if el := time.Since(start); el < 10*time.Millisecond || el > 5*time.Second {
		t.Fatalf("the updated link timeout fired after %v", el)
	}
	if r.ops.live != 0 {
		t.Fatalf("%d slots live", r.ops.live)
	}
}
