package uring

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// tokenLike is user data with the top bit set, which the Ring keeps in a slot.
const tokenLike = 1<<63 | 42

// TestSetUserDataPending checks the SetUserData calls the Ring carries out only when it
// publishes (a value that could pass for a token, an operation that holds memory, any call
// after one of those): each completion carries the value set last, flags set in any order
// keep their meaning, and no slot outlives its operation.
func TestSetUserDataPending(t *testing.T) {
	r := newRing(t, 16)
	f := tempFile(t, pattern(64, 3))
	buf := make([]byte, 64)

	must(t)(r.PrepNop()).SetUserData(tokenLike)                                 // a slot for the value
	must(t)(r.PrepNop()).SetUserData(tokenLike + 1).SetUserData(2)              // the last value wins
	must(t)(r.PrepRead(int(f.Fd()), buf, 0)).SetUserData(3)                     // holds memory
	must(t)(r.PrepNop()).SetUserData(tokenLike + 4).SetFlags(SQECQESkipSuccess) // hidden success
	must(t)(r.PrepNopResult(-int32(syscall.EIO))).SetFlags(SQECQESkipSuccess).SetUserData(tokenLike + 5)
	must(t)(r.PrepNop()).SetFlags(SQECQESkipSuccess).KeepAlive(f) // a slot after the flag
	must(t)(r.PrepNop()).SetUserData(7)

	m := byUserData(t, submitWait(t, r, 5))
	if len(m) != 5 {
		t.Fatalf("completions %v, want those of user data tokenLike, 2, 3, tokenLike+5 and 7", m)
	}
	wantRes(t, m[tokenLike], 0)
	wantRes(t, m[2], 0)
	wantRes(t, m[3], 64)
	wantErrno(t, m[tokenLike+5], syscall.EIO)
	wantRes(t, m[7], 0)
	wantBytes(t, buf, pattern(64, 3))
	if r.ops.live != 0 {
		t.Fatalf("%d slots live after every operation completed", r.ops.live)
	}
	if len(r.userData) != 0 {
		t.Fatalf("%d SetUserData calls still pending after the submission", len(r.userData))
	}
}

// TestCancelPendingUserData cancels, by user data, an operation prepared in the same batch
// whose user data the Ring had not yet carried out.
func TestCancelPendingUserData(t *testing.T) {
	r := newRing(t, 8)
	rd, _ := pipe(t)
	buf := make([]byte, 8)
	must(t)(r.PrepRead(int(rd.Fd()), buf, 0)).SetUserData(tokenLike)
	must(t)(r.PrepCancel(tokenLike, 0)).SetUserData(2)
	m := byUserData(t, submitWait(t, r, 2))
	wantErrno(t, m[tokenLike], syscall.ECANCELED)
	wantRes(t, m[2], 0)
}

// TestPrepAfterClose: the queue a closed Ring leaves behind refuses entries with ErrClosed,
// from the inlined path as from the others, and SQE handles taken before do nothing.
func TestPrepAfterClose(t *testing.T) {
	r, err := New(4)
	if err != nil {
		t.Fatal(err)
	}
	s := must(t)(r.PrepNop())
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	s.SetUserData(tokenLike).SetUserData(1) // a handle from before Close: no effect, no panic
	for i := 0; i < 6; i++ {                // past the SQ size: never ErrSQFull
		if _, err := r.PrepNop(); err != ErrClosed {
			t.Fatalf("PrepNop %d after Close: %v, want ErrClosed", i, err)
		}
		if _, err := r.PrepRead(0, make([]byte, 1), 0); err != ErrClosed {
			t.Fatalf("PrepRead %d after Close: %v, want ErrClosed", i, err)
		}
	}
}

// TestHotPathInlines checks that the compiler still inlines the calls a tight loop makes per
// entry, which BenchmarkNop depends on: Go's inliner has a fixed budget that a small change
// to these functions can exceed.
func TestHotPathInlines(t *testing.T) {
	out, err := exec.Command("go", "build", "-gcflags=-m", ".", "./internal/abi").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{"(*Ring).PrepNop", "SQE.SetUserData", "(*Ring).next", "EnterNoWait", "(*completionQueue).publishHead"} {
		if !strings.Contains(string(out), "can inline "+fn+"\n") {
			t.Errorf("%s no longer inlines", fn)
		}
	}
}
