package uring

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/uringo/uring/internal/testutil"
)

// newRing returns a ring closed at the end of the test.
func newRing(t testing.TB, entries uint32, opts ...Option) *Ring {
	t.Helper()
	r, err := New(entries, opts...)
	if err != nil {
		t.Fatalf("New(%d): %v", entries, err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// tempFile creates a file of the given contents in t.TempDir, open for reading and writing.
func tempFile(t testing.TB, contents []byte) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "uring")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(contents); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func pattern(n int, seed byte) []byte { return testutil.Pattern(n, seed) }

// pipe returns a pipe whose ends are closed at the end of the test.
func pipe(t testing.TB) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// must fails the test on a Prep error and returns the SQE.
func must(t testing.TB) func(SQE, error) SQE {
	return func(s SQE, err error) SQE {
		t.Helper()
		if err != nil {
			t.Fatalf("prep: %v", err)
		}
		return s
	}
}

// submitWait submits and waits for n completions, then returns every completion ready.
func submitWait(t testing.TB, r *Ring, n uint32) []CQE {
	t.Helper()
	if _, err := r.SubmitAndWaitTimeout(n, 10*time.Second); err != nil {
		t.Fatalf("SubmitAndWait(%d): %v", n, err)
	}
	var out []CQE
	for c := range r.Completions() {
		out = append(out, c)
	}
	if uint32(len(out)) < n {
		t.Fatalf("reaped %d completions, want at least %d", len(out), n)
	}
	return out
}

// waitOne submits and returns the next completion, failing after a timeout.
func waitOne(t testing.TB, r *Ring) CQE {
	t.Helper()
	if _, err := r.Submit(); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	c, err := r.WaitCQETimeout(10 * time.Second)
	if err != nil {
		t.Fatalf("WaitCQE: %v", err)
	}
	return c
}

// byUserData indexes completions by user data, failing on duplicates.
func byUserData(t testing.TB, cqes []CQE) map[uint64]CQE {
	t.Helper()
	m := make(map[uint64]CQE, len(cqes))
	for _, c := range cqes {
		if _, dup := m[c.UserData]; dup {
			t.Fatalf("two completions with user data %d", c.UserData)
		}
		m[c.UserData] = c
	}
	return m
}

func wantRes(t testing.TB, c CQE, res int32) {
	t.Helper()
	if c.Res != res {
		t.Fatalf("completion %d: res %d (%v), want %d", c.UserData, c.Res, c.Err(), res)
	}
}

func wantErrno(t testing.TB, c CQE, errno syscall.Errno) {
	t.Helper()
	if !errors.Is(c.Err(), errno) {
		t.Fatalf("completion %d: res %d (%v), want %v", c.UserData, c.Res, c.Err(), errno)
	}
}

func readFileAt(t testing.TB, f *os.File, off int64, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

func wantBytes(t testing.TB, got, want []byte) {
	t.Helper()
	testutil.WantBytes(t, got, want)
}

func tempPath(t testing.TB, name string) string { return filepath.Join(t.TempDir(), name) }

func runtimeLock()   { runtime.LockOSThread() }
func runtimeUnlock() { runtime.UnlockOSThread() }

// wantNoLiveSlots fails if an operation still holds memory after every completion was reaped.
func wantNoLiveSlots(t testing.TB, r *Ring) {
	t.Helper()
	if r.ops.live != 0 {
		t.Fatalf("%d slots still live after every completion", r.ops.live)
	}
}

// registerSparseFiles registers an empty file table of n slots for the direct-descriptor tests.
func registerSparseFiles(t testing.TB, r *Ring, n int) {
	t.Helper()
	if err := r.RegisterFilesSparse(n); err != nil {
		t.Fatalf("registering a sparse file table: %v", err)
	}
}

// registerBuffers registers buf as fixed buffer 0.
func registerBuffers(t testing.TB, r *Ring, buf []byte) {
	t.Helper()
	if err := r.RegisterBuffers([][]byte{buf}); err != nil {
		t.Fatalf("registering a buffer: %v", err)
	}
}
