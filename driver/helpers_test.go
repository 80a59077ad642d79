package driver

import (
	"context"
	"os"
	osexec "os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/uringo/uring/internal/sandbox"
	"github.com/uringo/uring/internal/testutil"
	"golang.org/x/sys/unix"
)

// childEnv names the environment variable that makes the test binary a child process for
// the tests that need a process of their own (seccomp filters, thread counts).
const childEnv = "DRIVER_TEST_CHILD"

// newDriver returns a Driver closed at the end of the test, after checking that it has
// nothing left in flight.
func newDriver(t testing.TB, opts ...Option) *Driver {
	t.Helper()
	d, err := New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		checkIdle(t, d)
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

// checkIdle fails the test if a shard of d still counts operations or requests in flight.
func checkIdle(t testing.TB, d *Driver) {
	t.Helper()
	for i, s := range d.shards {
		s.mu.Lock()
		live := 0
		for _, q := range s.reqs {
			if q.state != reqFree {
				live++
			}
		}
		used, out, sub := s.used, s.outstanding, s.submitting
		s.mu.Unlock()
		if live != 0 || used != 0 || out != 0 || sub {
			t.Errorf("shard %d: %d requests live, %d admitted, %d completions owed, submitting %v", i, live, used, out, sub)
		}
	}
}

// modes returns a Driver on io_uring and one on system calls, for tests that both must pass.
func modes(t *testing.T) map[string]*Driver {
	return map[string]*Driver{"io_uring": newDriver(t), "syscalls": newDriver(t, WithSyscalls())}
}

func tempFile(t testing.TB, contents []byte) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(contents); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// pipe returns a blocking pipe (os.Pipe's are non-blocking), closed at the end of the test.
func pipe(t testing.TB) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

func pattern(n int, seed byte) []byte { return testutil.Pattern(n, seed) }

func wantBytes(t testing.TB, got, want []byte) {
	t.Helper()
	testutil.WantBytes(t, got, want)
}

func bg() context.Context { return context.Background() }

// eventually polls cond for up to 5 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// exec returns a command that runs the test binary again as a child, running only the tests
// that match run, with childEnv set to mode.
func exec(t testing.TB, run, mode string) *osexec.Cmd {
	cmd := osexec.Command(os.Args[0], "-test.run="+run, "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	return cmd
}

func denyIOUring(errno syscall.Errno) error { return sandbox.DenyIOUring(errno) }

// writeSynced writes a file and syncs it: O_DIRECT reads of a range with dirty pages cannot be
// issued without waiting (IOCB_NOWAIT fails), so io_uring hands them to its worker threads.
func writeSynced(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}
