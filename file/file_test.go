package file

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/uringo/uring/driver"
	"github.com/uringo/uring/internal/sandbox"
	"golang.org/x/sys/unix"
)

const childEnv = "FILE_TEST_CHILD"

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i%251) ^ seed
	}
	return b
}

// tempFile writes contents to a new file and opens it with File.
func tempFile(t testing.TB, contents []byte, flag int) *File {
	t.Helper()
	name := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(name, contents, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(name, flag, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestMode(t *testing.T) {
	if m := Mode(); !m.IOURing() || m.String() != "io_uring" {
		t.Fatalf("Mode = %v", m)
	}
	f := tempFile(t, nil, os.O_RDONLY)
	if f.Driver() != driver.Default() {
		t.Error("Open does not use the Default driver")
	}
}

// TestIOTest runs testing/iotest's checks of Read, ReadAt and Seek, and its readers that
// split reads in odd ways.
func TestIOTest(t *testing.T) {
	content := pattern(100000, 7)
	f := tempFile(t, content, os.O_RDONLY)
	if err := iotest.TestReader(f, content); err != nil {
		t.Fatalf("iotest.TestReader: %v", err)
	}
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"OneByteReader": iotest.OneByteReader,
		"HalfReader":    iotest.HalfReader,
		"DataErrReader": iotest.DataErrReader,
	} {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(wrap(f))
		if err != nil || !bytes.Equal(got, content) {
			t.Errorf("%s: read %d bytes, %v", name, len(got), err)
		}
	}
	// DataErrReader returns io.EOF with the last data: so must a ReadAt that reaches the end.
	b := make([]byte, 100)
	if n, err := f.ReadAt(b, int64(len(content)-40)); n != 40 || err != io.EOF {
		t.Errorf("ReadAt across the end: %d, %v, want 40, io.EOF", n, err)
	}
	if n, err := f.ReadAt(b[:0], -1); n != 0 || err == nil {
		t.Errorf("ReadAt(empty, -1): %d, %v, want the negative-offset error", n, err)
	}
}

// TestNewFile adopts an *os.File (a pipe, non-blocking in os): the File reads and writes it
// at the position and closes it.
func TestNewFile(t *testing.T) {
	if NewFile(nil) != nil {
		t.Error("NewFile(nil) is not nil")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fr, fw := NewFile(r), NewFile(w)
	if fr.Name() != r.Name() || fr.Fd() != r.Fd() {
		t.Errorf("NewFile: name %q fd %d, os %q %d", fr.Name(), fr.Fd(), r.Name(), r.Fd())
	}
	done := make(chan error)
	go func() {
		buf := make([]byte, 5)
		_, err := io.ReadFull(fr, buf)
		if err == nil && string(buf) != "hello" {
			err = fmt.Errorf("read %q", buf)
		}
		done <- err
	}()
	if n, err := fw.Write([]byte("hel")); n != 3 || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if n, err := fw.WriteString("lo"); n != 2 || err != nil {
		t.Fatalf("WriteString: %d, %v", n, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Read: %v", err)
	}
	if _, err := fr.Seek(0, io.SeekStart); !errors.Is(err, syscall.ESPIPE) {
		t.Errorf("Seek on a pipe: %v, want ESPIPE", err)
	}
	if _, err := fr.ReadAt(make([]byte, 1), 0); !errors.Is(err, syscall.ESPIPE) {
		t.Errorf("ReadAt on a pipe: %v, want ESPIPE", err)
	}
	if err := fw.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("the adopted os.File is still open: %v", err)
	}
	if n, err := fr.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("Read after the writer closed: %d, %v, want io.EOF", n, err)
	}
	fr.Close()
	if fr.Fd() != ^uintptr(0) {
		t.Errorf("Fd after Close: %d", fr.Fd())
	}
}

// TestCloseUnblocks: Close of a File whose read waits on an empty pipe makes the read fail
// with os.ErrClosed, as os.File.Close does for pipes, and then closes the descriptor.
func TestCloseUnblocks(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f := NewFile(r)
	o, ow, _ := os.Pipe()
	defer ow.Close()
	results := make(chan error, 2)
	for _, rd := range []io.Reader{f, o} {
		go func() {
			_, err := rd.Read(make([]byte, 1))
			results <- err
		}()
	}
	// Wait until both reads wait, then close both files.
	for i := 0; i < 5000 && f.Driver().Stats().InFlight == 0; i++ {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond) // and os's read its poller
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	o.Close()
	e1, e2 := <-results, <-results
	if !isPathErr(e1, "read", os.ErrClosed) || !isPathErr(e2, "read", os.ErrClosed) {
		t.Fatalf("reads at Close: %v and %v, want read: file already closed", e1, e2)
	}
	if _, err := r.Write(nil); !errors.Is(err, os.ErrClosed) {
		t.Errorf("the adopted os.File is still open: %v", err)
	}
}

func TestExtras(t *testing.T) {
	f := tempFile(t, pattern(20000, 1), os.O_RDWR)
	if err := f.Datasync(); err != nil {
		t.Fatalf("Datasync: %v", err)
	}
	if err := f.Allocate(0, 40000); err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	if fi, _ := f.Stat(); fi.Size() != 40000 {
		t.Fatalf("size after Allocate: %d", fi.Size())
	}
	if err := f.PunchHole(4096, 8192); err != nil {
		t.Fatalf("PunchHole: %v", err)
	}
	if err := f.ZeroRange(100, 50); err != nil {
		t.Fatalf("ZeroRange: %v", err)
	}
	want := pattern(20000, 1)
	clear(want[4096 : 4096+8192])
	clear(want[100:150])
	got := make([]byte, 20000)
	if _, err := f.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("PunchHole or ZeroRange left other bytes")
	}
	if err := f.Allocate(-1, 10); !isPathErr(err, "fallocate", syscall.EINVAL) {
		t.Errorf("Allocate(-1): %v", err)
	}
	f.Close()
	for name, err := range map[string]error{"Datasync": f.Datasync(), "PunchHole": f.PunchHole(0, 1)} {
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
	var nilFile *File
	if _, err := nilFile.Read(nil); err != os.ErrInvalid {
		t.Errorf("nil File: %v", err)
	}
	if err := nilFile.Close(); err != os.ErrInvalid {
		t.Errorf("nil File Close: %v", err)
	}
}

func isPathErr(err error, op string, errno error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Op == op && errors.Is(pe.Err, errno)
}

func TestBatch(t *testing.T) {
	f := tempFile(t, nil, os.O_RDWR)
	ios := make([]IO, 200)
	for i := range ios {
		ios[i] = IO{Write: true, Buf: pattern(1000, byte(i)), Off: int64(i * 1000)}
	}
	ios[7].Buf = nil
	if err := f.Batch(ios); err != nil {
		t.Fatal(err)
	}
	for i, x := range ios {
		if want := len(x.Buf); x.N != want || x.Err != nil {
			t.Fatalf("write %d: %d, %v", i, x.N, x.Err)
		}
	}
	for i := range ios {
		ios[i] = IO{Buf: make([]byte, 1000), Off: int64(i * 1000)}
	}
	ios[199].Buf = make([]byte, 1500) // past the end
	ios[3].Off = -1
	err := f.Batch(ios)
	if !isPathErrText(err, "readat", "negative offset") {
		t.Errorf("Batch: %v, want the negative offset of ios[3]", err)
	}
	for i, x := range ios {
		switch i {
		case 3:
		case 7:
			if x.N != 1000 || x.Err != nil || !bytes.Equal(x.Buf, make([]byte, 1000)) {
				t.Errorf("read of the hole: %d, %v", x.N, x.Err)
			}
		case 199:
			if x.N != 1000 || x.Err != io.EOF {
				t.Errorf("read across the end: %d, %v", x.N, x.Err)
			}
		default:
			if x.N != 1000 || x.Err != nil || !bytes.Equal(x.Buf, pattern(1000, byte(i))) {
				t.Fatalf("read %d: %d, %v", i, x.N, x.Err)
			}
		}
	}
	a := tempFile(t, nil, os.O_RDWR|os.O_APPEND)
	if err := a.Batch([]IO{{Write: true, Buf: []byte("x")}}); err == nil || err.Error() != errWriteAtInAppendMode.Error() {
		t.Errorf("Batch write in append mode: %v", err)
	}
	f.Close()
	if err := f.Batch([]IO{{Buf: make([]byte, 1)}}); !isPathErr(err, "read", os.ErrClosed) {
		t.Errorf("Batch after Close: %v", err)
	}
}

func isPathErrText(err error, op, text string) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Op == op && pe.Err.Error() == text
}

// TestConcurrentClose closes a File while goroutines use it: each call either works or fails
// with os.ErrClosed, and the descriptor is closed once, after the last of them.
func TestConcurrentClose(t *testing.T) {
	for round := 0; round < 20; round++ {
		f := tempFile(t, pattern(65536, 2), os.O_RDWR)
		fd := int(f.Fd())
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				buf := make([]byte, 4096)
				for i := 0; i < 50; i++ {
					var err error
					if g%2 == 0 {
						_, err = f.ReadAt(buf, int64(i*512))
					} else {
						_, err = f.WriteAt(buf, int64(i*512))
					}
					if err != nil {
						if !isPathErr(err, map[bool]string{true: "read", false: "write"}[g%2 == 0], os.ErrClosed) {
							t.Errorf("during Close: %v", err)
						}
						return
					}
				}
			}()
		}
		close(start)
		if err := f.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		wg.Wait()
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != syscall.EBADF {
			// The fd may have been reused by another test's open: only check ours is gone
			// when nothing else runs.
			t.Logf("fd %d after Close: %v", fd, err)
		}
	}
}

// TestUnavailable: with io_uring refused by a seccomp filter (ENOSYS, as a container's
// default profile does; EPERM, as kernel.io_uring_disabled does), File works through plain
// system calls and says so.
func TestUnavailable(t *testing.T) {
	if v := os.Getenv(childEnv); v != "" {
		unavailableChild(v)
		return
	}
	for _, errno := range []string{"ENOSYS", "EPERM"} {
		cmd := osexec.Command(os.Args[0], "-test.run=^TestUnavailable$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+errno)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s child: %v\n%s", errno, err, out)
		}
		s := string(out)
		for _, want := range []string{
			"mode: syscalls (io_uring unavailable: uring: io_uring_setup: " + map[string]string{"ENOSYS": "function not implemented", "EPERM": "operation not permitted"}[errno],
			"write 11 <nil>", "readat 5 <nil> world", "read 11 <nil>", "read 0 EOF", "stat 11 -rw-",
			"truncate <nil> 5", "sync <nil>", "batch <nil> hello", "close <nil>", "after close: read", "file already closed",
		} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: child output lacks %q:\n%s", errno, want, s)
			}
		}
	}
}

func unavailableChild(errno string) {
	if err := sandbox.DenyIOUring(map[string]syscall.Errno{"ENOSYS": syscall.ENOSYS, "EPERM": syscall.EPERM}[errno]); err != nil {
		fmt.Println("sandbox:", err)
		os.Exit(2)
	}
	fmt.Println("mode:", Mode())
	dir, _ := os.MkdirTemp("", "file-child")
	defer os.RemoveAll(dir)
	f, err := Create(filepath.Join(dir, "f"))
	if err != nil {
		fmt.Println("create:", err)
		os.Exit(1)
	}
	n, err := f.Write([]byte("hello world"))
	fmt.Println("write", n, err)
	b := make([]byte, 5)
	n, err = f.ReadAt(b, 6)
	fmt.Println("readat", n, err, string(b))
	f.Seek(0, io.SeekStart)
	all := make([]byte, 20)
	n, err = f.Read(all)
	fmt.Println("read", n, err)
	n, err = f.Read(all)
	fmt.Println("read", n, err)
	fi, err := f.Stat()
	fmt.Println("stat", fi.Size(), fi.Mode(), err)
	err = f.Truncate(5)
	fi, _ = f.Stat()
	fmt.Println("truncate", err, fi.Size())
	fmt.Println("sync", f.Sync())
	ios := []IO{{Buf: make([]byte, 5)}}
	err = f.Batch(ios)
	fmt.Println("batch", err, string(ios[0].Buf))
	fmt.Println("close", f.Close())
	_, err = f.Read(all)
	fmt.Println("after close:", err)
	os.Exit(0)
}
