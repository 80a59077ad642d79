package uring

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/uringo/uring/internal/abi"
)

// TestCQOverflowLosesNothing keeps far more operations in flight than the CQ holds: the kernel
// parks the rest (IORING_FEAT_NODROP) and flags the SQ, and the Ring flushes them back.
func TestCQOverflowLosesNothing(t *testing.T) {
	const total = 200
	r := newRing(t, 8, WithCQSize(8))
	for i := 0; i < total; {
		for j := 0; j < 8 && i < total; j++ {
			must(t)(r.PrepNop()).SetUserData(uint64(i))
			i++
		}
		if _, err := r.Submit(); err != nil {
			t.Fatalf("submit with %d completions unreaped: %v", i, err)
		}
	}
	if r.sq.flags()&abi.IORING_SQ_CQ_OVERFLOW == 0 {
		t.Fatal("the CQ did not overflow: the test proves nothing")
	}
	seen := make([]bool, total)
	for n := 0; n < total; {
		got := 0
		for c := range r.Completions() {
			if c.UserData >= total || seen[c.UserData] {
				t.Fatalf("unexpected or duplicate completion %d", c.UserData)
			}
			seen[c.UserData] = true
			got++
		}
		if got == 0 {
			if _, err := r.WaitCQETimeout(time.Second); err != nil {
				t.Fatalf("after %d of %d completions: %v", n, total, err)
			}
			n++ // WaitCQE consumed one; mark it below
			continue
		}
		n += got
	}
	if r.CQOverflow() != 0 {
		t.Errorf("kernel dropped %d completions", r.CQOverflow())
	}
}

// TestCQOverflowWithPeek drains an overflowed CQ with PeekCQE alone.
func TestCQOverflowWithPeek(t *testing.T) {
	const total = 64
	r := newRing(t, 4, WithCQSize(4))
	for i := 0; i < total; i += 4 {
		for j := 0; j < 4; j++ {
			must(t)(r.PrepNop()).SetUserData(uint64(i + j))
		}
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[uint64]bool{}
	for {
		c, ok := r.PeekCQE()
		if !ok {
			break
		}
		if seen[c.UserData] {
			t.Fatalf("duplicate %d", c.UserData)
		}
		seen[c.UserData] = true
	}
	if len(seen) != total {
		t.Fatalf("peeked %d completions of %d", len(seen), total)
	}
}

// TestCompletionsStopEarly breaks out of the loop: what was not consumed stays.
func TestCompletionsStopEarly(t *testing.T) {
	r := newRing(t, 8)
	for i := 0; i < 6; i++ {
		must(t)(r.PrepNop()).SetUserData(uint64(i))
	}
	if _, err := r.SubmitAndWait(6); err != nil {
		t.Fatal(err)
	}
	n := 0
	for range r.Completions() {
		n++
		if n == 2 {
			break
		}
	}
	if r.CQReady() != 4 {
		t.Fatalf("after taking 2 of 6, %d ready", r.CQReady())
	}
	var rest []uint64
	for c := range r.Completions() {
		rest = append(rest, c.UserData)
	}
	if len(rest) != 4 || rest[0] != 2 || rest[3] != 5 {
		t.Fatalf("rest %v, want [2 3 4 5]", rest)
	}
	if st := r.Stats(); st.Completed != 6 || st.Submitted != 6 {
		t.Errorf("stats %+v", st)
	}
}

// TestWaitTimeouts checks that the waits give up with ETIME when nothing completes.
func TestWaitTimeouts(t *testing.T) {
	r := newRing(t, 8)
	start := time.Now()
	if _, err := r.WaitCQETimeout(30 * time.Millisecond); !errors.Is(err, syscall.ETIME) {
		t.Fatalf("WaitCQETimeout on an idle ring: %v, want ETIME", err)
	}
	if el := time.Since(start); el < 25*time.Millisecond || el > 5*time.Second {
		t.Errorf("the wait took %v", el)
	}
	rd, _ := pipe(t)
	buf := make([]byte, 8)
	must(t)(r.PrepRead(int(rd.Fd()), buf, CurrentPos)).SetUserData(9)
	n, err := r.SubmitAndWaitTimeout(1, 30*time.Millisecond)
	if !errors.Is(err, syscall.ETIME) || n != 1 {
		t.Fatalf("SubmitAndWaitTimeout on a read that blocks: %d, %v; want 1 submitted and ETIME", n, err)
	}
}

// TestCQE32 reads the second half of 32-byte CQEs, filled by NOP with IORING_NOP_CQE32.
func TestCQE32(t *testing.T) {
	for _, opt := range []Option{WithCQE32(), WithCQEMixed()} {
		r := newRing(t, 8, opt, WithCQSize(256))
		for i := uint64(0); i < 40; i++ {
			s, e, err := r.PrepUnsafe()
			if err != nil {
				t.Fatal(err)
			}
			e.Opcode = abi.IORING_OP_NOP
			e.OpFlags = abi.IORING_NOP_CQE32
			e.Off, e.Addr = 0x1111+i, 0x2222+i
			s.SetUserData(i)
			if i%3 == 0 {
				must(t)(r.PrepNop()).SetUserData(1000 + i) // a 16-byte one between
			}
			if _, err := r.Submit(); err != nil {
				t.Fatal(err)
			}
		}
		big, small := 0, 0
		deadline := time.Now().Add(5 * time.Second)
		for big+small < 54 && time.Now().Before(deadline) {
			for c := range r.Completions() {
				if c.UserData >= 1000 {
					small++
					if r.Flags()&SetupCQEMixed != 0 && c.Flags&CQEF32 != 0 {
						t.Errorf("16-byte NOP flagged F_32")
					}
					continue
				}
				if c.Big != (BigCQE{0x1111 + c.UserData, 0x2222 + c.UserData}) {
					t.Fatalf("%v: big half %#x for %d", r.Flags(), c.Big, c.UserData)
				}
				if r.Flags()&SetupCQEMixed != 0 && c.Flags&CQEF32 == 0 {
					t.Errorf("mixed ring: big CQE without F_32")
				}
				big++
			}
			if big+small < 54 {
				if _, err := r.WaitCQETimeout(time.Until(deadline)); err == nil {
					t.Fatalf("WaitCQE took a completion the loop should have seen")
				}
			}
		}
		if big != 40 || small != 14 {
			t.Fatalf("%v: %d big and %d small completions, want 40 and 14", r.Flags(), big, small)
		}
	}
}

func TestCQEHelpers(t *testing.T) {
	c := CQE{Res: -int32(syscall.ECANCELED), Flags: CQEFBuffer | CQEFMore | 7<<16}
	if !errors.Is(c.Err(), syscall.ECANCELED) || !c.More() || c.Notif() {
		t.Errorf("helpers on %+v", c)
	}
	if id, ok := c.BufferID(); !ok || id != 7 {
		t.Errorf("BufferID %d %v", id, ok)
	}
	if s := c.Flags.String(); s != "BUFFER|MORE" {
		t.Errorf("flags string %q", s)
	}
	if (CQE{Res: 5}).Err() != nil {
		t.Error("Err on a positive result")
	}
}

// TestPeekBatchCQE reaps into a caller's buffer: in pieces, through tokens, with hidden
// successes left out, and after an overflow.
func TestPeekBatchCQE(t *testing.T) {
	r := newRing(t, 16)
	f := tempFile(t, pattern(4096, 2))
	for i := 0; i < 6; i++ {
		must(t)(r.PrepNop()).SetUserData(uint64(i))
	}
	buf := make([]byte, 100)
	must(t)(r.PrepRead(int(f.Fd()), buf, 0)).SetUserData(6)                                         // a token
	must(t)(r.PrepRead(int(f.Fd()), make([]byte, 8), 0)).SetUserData(7).SetFlags(SQECQESkipSuccess) // hidden
	if _, err := r.SubmitAndWait(7); err != nil {
		t.Fatal(err)
	}
	cqes := make([]CQE, 4)
	var got []uint64
	for n := r.PeekBatchCQE(cqes); n > 0; n = r.PeekBatchCQE(cqes) {
		for _, c := range cqes[:n] {
			got = append(got, c.UserData)
		}
	}
	if len(got) != 7 || got[0] != 0 || got[6] != 6 {
		t.Fatalf("reaped %v, want 0..6", got)
	}
	wantBytes(t, buf, pattern(100, 2))
	if r.ops.live != 0 || r.CQReady() != 0 {
		t.Fatalf("%d slots live, %d ready", r.ops.live, r.CQReady())
	}
	if n := r.PeekBatchCQE(nil); n != 0 {
		t.Fatalf("PeekBatchCQE(nil) = %d", n)
	}

	// Overflow: the completions held back in the kernel come out too.
	o := newRing(t, 4, WithCQSize(4))
	for i := 0; i < 32; i += 4 {
		for j := 0; j < 4; j++ {
			must(t)(o.PrepNop()).SetUserData(uint64(i + j))
		}
		if _, err := o.Submit(); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[uint64]bool{}
	big := make([]CQE, 64)
	for n := o.PeekBatchCQE(big); n > 0; n = o.PeekBatchCQE(big) {
		for _, c := range big[:n] {
			seen[c.UserData] = true
		}
	}
	if len(seen) != 32 {
		t.Fatalf("after an overflow reaped %d of 32", len(seen))
	}
}
