package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uringo/uring"
	"golang.org/x/sys/unix"
)

func TestMode(t *testing.T) {
	d := newDriver(t)
	if !d.Mode().IOURing() || d.Mode().String() != "io_uring" || d.Mode().Cause() != nil {
		t.Errorf("Mode = %q, want io_uring", d.Mode())
	}
	if d.Shards() != min(runtime.GOMAXPROCS(0), 64) {
		t.Errorf("Shards = %d, want GOMAXPROCS", d.Shards())
	}
	s := newDriver(t, WithSyscalls())
	if s.Mode().IOURing() || s.Mode().String() != "syscalls (io_uring unavailable: forced by driver.WithSyscalls)" {
		t.Errorf("Mode = %q", s.Mode())
	}
	if _, err := New(WithEntries(0)); err == nil {
		t.Error("New(WithEntries(0)) succeeded")
	}
	if n := newDriver(t, WithShards(3), WithEntries(8)); n.Shards() != 3 || n.shards[0].limit != 4 {
		t.Errorf("WithShards(3), WithEntries(8): %d shards, limit %d", n.Shards(), n.shards[0].limit)
	}
}

func TestReadWrite(t *testing.T) {
	for name, d := range modes(t) {
		t.Run(name, func(t *testing.T) {
			f := tempFile(t, pattern(10000, 1))
			fd := int(f.Fd())
			buf := make([]byte, 4096)
			if n, err := d.ReadAt(bg(), fd, buf, 1000); n != 4096 || err != nil {
				t.Fatalf("ReadAt: %d, %v", n, err)
			}
			wantBytes(t, buf, pattern(10000, 1)[1000:5096])
			if n, err := d.ReadAt(bg(), fd, buf, 8000); n != 2000 || err != nil {
				t.Fatalf("ReadAt at the end: %d, %v, want the short count 2000", n, err)
			}
			if n, err := d.ReadAt(bg(), fd, buf, 20000); n != 0 || err != nil {
				t.Fatalf("ReadAt past the end: %d, %v", n, err)
			}
			if n, err := d.ReadAt(bg(), fd, buf, -1); n != 0 || err != syscall.EINVAL {
				t.Fatalf("ReadAt(-1): %d, %v, want EINVAL", n, err)
			}
			if n, err := d.ReadAt(bg(), fd, nil, 0); n != 0 || err != nil {
				t.Fatalf("ReadAt(empty): %d, %v", n, err)
			}
			if n, err := d.WriteAt(bg(), fd, []byte("hello"), 20000); n != 5 || err != nil {
				t.Fatalf("WriteAt: %d, %v", n, err)
			}
			if n, err := d.WriteAt(bg(), fd, []byte("x"), -5); n != 0 || err != syscall.EINVAL {
				t.Fatalf("WriteAt(-5): %d, %v", n, err)
			}
			got := make([]byte, 5)
			if _, err := f.ReadAt(got, 20000); err != nil || string(got) != "hello" {
				t.Fatalf("file holds %q, %v", got, err)
			}
			// At the file position.
			if _, err := f.Seek(100, 0); err != nil {
				t.Fatal(err)
			}
			if n, err := d.Read(bg(), fd, buf[:10]); n != 10 || err != nil {
				t.Fatalf("Read: %d, %v", n, err)
			}
			wantBytes(t, buf[:10], pattern(10000, 1)[100:110])
			if n, err := d.Write(bg(), fd, []byte("abc")); n != 3 || err != nil {
				t.Fatalf("Write: %d, %v", n, err)
			}
			if pos, _ := f.Seek(0, 1); pos != 113 {
				t.Fatalf("position after Read and Write: %d, want 113", pos)
			}
			// Vectored.
			a, b := make([]byte, 3), make([]byte, 4)
			if n, err := d.ReadvAt(bg(), fd, [][]byte{a, nil, b}, 110); n != 7 || err != nil {
				t.Fatalf("ReadvAt: %d, %v", n, err)
			}
			if string(a) != "abc" {
				t.Fatalf("ReadvAt read %q", a)
			}
			wantBytes(t, b, pattern(10000, 1)[113:117])
			if n, err := d.WritevAt(bg(), fd, [][]byte{[]byte("12"), []byte("345")}, 0); n != 5 || err != nil {
				t.Fatalf("WritevAt: %d, %v", n, err)
			}
			if n, err := d.ReadvAt(bg(), fd, nil, 0); n != 0 || err != nil {
				t.Fatalf("ReadvAt(no buffers): %d, %v", n, err)
			}
			// Errors come back as errnos.
			if _, err := d.ReadAt(bg(), 1<<20, buf, 0); err != syscall.EBADF {
				t.Fatalf("ReadAt(bad fd): %v, want EBADF", err)
			}
			if _, err := d.ReadAt(bg(), -3, buf, 0); err != syscall.EBADF {
				t.Fatalf("ReadAt(-3): %v, want EBADF", err)
			}
			dir, err := os.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer dir.Close()
			if _, err := d.ReadAt(bg(), int(dir.Fd()), buf, 0); err != syscall.EISDIR {
				t.Fatalf("ReadAt(directory): %v, want EISDIR", err)
			}
		})
	}
}

func TestFileOps(t *testing.T) {
	for name, d := range modes(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			fd, err := d.Openat(bg(), unix.AT_FDCWD, path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o640)
			if err != nil {
				t.Fatalf("Openat: %v", err)
			}
			if _, err := d.Openat(bg(), unix.AT_FDCWD, path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o640); err != syscall.EEXIST {
				t.Fatalf("Openat(O_EXCL) again: %v, want EEXIST", err)
			}
			if _, err := d.Openat(bg(), unix.AT_FDCWD, "a\x00b", unix.O_RDONLY, 0); err != syscall.EINVAL {
				t.Fatalf("Openat(NUL in path): %v, want EINVAL", err)
			}
			if _, err := d.WriteAt(bg(), fd, pattern(5000, 2), 0); err != nil {
				t.Fatal(err)
			}
			if err := d.Fsync(bg(), fd, false); err != nil {
				t.Fatalf("Fsync: %v", err)
			}
			if err := d.Fsync(bg(), fd, true); err != nil {
				t.Fatalf("Fsync(datasync): %v", err)
			}
			if err := d.Ftruncate(bg(), fd, 3000); err != nil {
				t.Fatalf("Ftruncate: %v", err)
			}
			if err := d.Ftruncate(bg(), fd, -1); err != syscall.EINVAL {
				t.Fatalf("Ftruncate(-1): %v, want EINVAL", err)
			}
			if err := d.Fallocate(bg(), fd, 0, 0, 8192); err != nil {
				t.Fatalf("Fallocate: %v", err)
			}
			if err := d.Fallocate(bg(), fd, uring.FallocPunchHole|uring.FallocKeepSize, 0, 4096); err != nil {
				t.Fatalf("Fallocate(punch): %v", err)
			}
			var st unix.Statx_t
			if err := d.Statx(bg(), fd, "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, &st); err != nil {
				t.Fatalf("Statx: %v", err)
			}
			if st.Size != 8192 || st.Mode&0o777 != 0o640 || st.Mode&unix.S_IFMT != unix.S_IFREG {
				t.Fatalf("Statx: size %d mode %o", st.Size, st.Mode)
			}
			buf := make([]byte, 100)
			if n, err := d.ReadAt(bg(), fd, buf, 0); n != 100 || err != nil || buf[0] != 0 || buf[99] != 0 {
				t.Fatalf("read of the punched hole: %d, %v, %v", n, err, buf[:4])
			}
			if err := d.Statx(bg(), unix.AT_FDCWD, filepath.Join(dir, "missing"), 0, unix.STATX_BASIC_STATS, &st); err != syscall.ENOENT {
				t.Fatalf("Statx(missing): %v, want ENOENT", err)
			}
			if err := d.Statx(bg(), unix.AT_FDCWD, path, 0, unix.STATX_BASIC_STATS, nil); err != syscall.EFAULT {
				t.Fatalf("Statx(nil): %v, want EFAULT", err)
			}
			if err := d.CloseFd(bg(), fd); err != nil {
				t.Fatalf("CloseFd: %v", err)
			}
			if err := unix.Close(fd); err != syscall.EBADF {
				t.Fatalf("the fd is still open after CloseFd: %v", err)
			}
			if err := d.CloseFd(bg(), fd); err != syscall.EBADF {
				t.Fatalf("CloseFd again: %v, want EBADF", err)
			}
			if _, err := d.Openat(bg(), unix.AT_FDCWD, filepath.Join(dir, "missing"), unix.O_RDONLY, 0); err != syscall.ENOENT {
				t.Fatalf("Openat(missing): %v, want ENOENT", err)
			}
		})
	}
}

// TestConcurrent runs many goroutines that each write and read back their own region: a
// completion delivered to the wrong waiter shows up as wrong bytes or counts.
func TestConcurrent(t *testing.T) {
	for _, opts := range [][]Option{nil, {WithShards(1), WithEntries(8)}, {withYield(yieldAlways)}, {withSpread(), WithShards(3)}} {
		d := newDriver(t, opts...)
		const workers, rounds, size = 64, 50, 512
		f := tempFile(t, nil)
		fd := int(f.Fd())
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for g := 0; g < workers; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(g), 9))
				buf := make([]byte, size)
				for r := 0; r < rounds; r++ {
					data := pattern(size, byte(rng.Uint32()))
					off := int64(g * size)
					if n, err := d.WriteAt(bg(), fd, data, off); n != size || err != nil {
						errs <- fmt.Errorf("worker %d: WriteAt: %d, %v", g, n, err)
						return
					}
					clear(buf)
					if n, err := d.ReadAt(bg(), fd, buf, off); n != size || err != nil {
						errs <- fmt.Errorf("worker %d: ReadAt: %d, %v", g, n, err)
						return
					}
					if string(buf) != string(data) {
						errs <- fmt.Errorf("worker %d round %d: read back other bytes", g, r)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		checkIdle(t, d)
		st := d.Stats()
		if st.Ops < workers*rounds*2 {
			t.Errorf("Stats.Ops = %d, want at least %d", st.Ops, workers*rounds*2)
		}
		t.Logf("%+v", st)
	}
}

// TestBackPressure fills a small ring with reads that block (empty pipes): the callers beyond
// its size wait their turn, none is lost, and all complete once data arrives.
func TestBackPressure(t *testing.T) {
	d := newDriver(t, WithShards(1), WithEntries(8))
	s := d.shards[0]
	const readers = 20
	r, w := pipe(t)
	var wg sync.WaitGroup
	results := make(chan int, readers)
	for i := 0; i < readers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1)
			n, err := d.Read(bg(), r, buf)
			if err != nil || n != 1 {
				t.Errorf("Read: %d, %v", n, err)
			}
			results <- int(buf[0])
		}()
	}
	eventually(t, "the ring to fill", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		waiting := 0
		for x := s.turnHead; x != nil; x = x.next {
			waiting++
		}
		return s.used == 4 && s.outstanding == 4 && waiting == readers-4
	})
	for i := 0; i < readers; i++ {
		if _, err := unix.Write(w, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		if s.used > s.limit {
			t.Errorf("%d operations admitted, limit %d", s.used, s.limit)
		}
		s.mu.Unlock()
	}
	wg.Wait()
	close(results)
	seen := map[int]bool{}
	for v := range results {
		seen[v] = true
	}
	if len(seen) != readers {
		t.Errorf("got %d distinct bytes, want %d: a byte was lost or read twice", len(seen), readers)
	}
	if st := d.Stats(); st.Throttled < readers-4 {
		t.Errorf("Stats.Throttled = %d, want at least %d", st.Throttled, readers-4)
	}
}

// TestCancel ends the context of a read that waits in the kernel: the read is cancelled there
// and returns the context's error only after its own completion, and it consumed nothing.
func TestCancel(t *testing.T) {
	d := newDriver(t)
	r, w := pipe(t)
	ctx, cancel := context.WithCancel(bg())
	done := make(chan error)
	buf := make([]byte, 8)
	go func() {
		_, err := d.Read(ctx, r, buf)
		done <- err
	}()
	eventually(t, "the read to be in the kernel", func() bool { return outstanding(d) == 1 })
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Read: %v, want context.Canceled", err)
	}
	if st := d.Stats(); st.Cancels != 1 {
		t.Errorf("Stats.Cancels = %d, want 1", st.Cancels)
	}
	checkIdle(t, d)
	// The cancelled read took nothing from the pipe.
	unix.Write(w, []byte("data"))
	got := make([]byte, 8)
	if n, err := d.Read(bg(), r, got); n != 4 || err != nil || string(got[:4]) != "data" {
		t.Fatalf("Read after the cancel: %d, %v, %q", n, err, got[:n])
	}
	if string(buf) != "\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Errorf("the cancelled read's buffer was written: %q", buf)
	}
	// A context that has already ended submits nothing.
	before := d.Stats().Ops
	if _, err := d.ReadAt(ctx, r, got, 0); err != context.Canceled {
		t.Fatalf("ReadAt(ended ctx): %v", err)
	}
	if err := d.Fsync(ctx, r, false); err != context.Canceled {
		t.Fatalf("Fsync(ended ctx): %v", err)
	}
	if d.Stats().Ops != before {
		t.Error("an ended context submitted an operation")
	}
}

func outstanding(d *Driver) int { return int(d.Stats().InFlight) }

// TestCancelFd cancels every operation waiting on an fd.
func TestCancelFd(t *testing.T) {
	d := newDriver(t)
	r, w := pipe(t)
	other, _ := pipe(t)
	errs := make(chan error, 4)
	for i := 0; i < 3; i++ {
		go func() {
			_, err := d.Read(bg(), r, make([]byte, 1))
			errs <- err
		}()
	}
	ctx, cancel := context.WithCancel(bg())
	go func() {
		_, err := d.Read(ctx, other, make([]byte, 1))
		errs <- err
	}()
	eventually(t, "four reads in the kernel", func() bool { return outstanding(d) == 4 })
	d.CancelFd(r)
	for i := 0; i < 3; i++ {
		if err := <-errs; err != syscall.ECANCELED {
			t.Errorf("read of the cancelled fd: %v, want ECANCELED", err)
		}
	}
	if outstanding(d) != 1 {
		t.Errorf("%d operations in flight, want the read of the other fd", outstanding(d))
	}
	cancel()
	if err := <-errs; err != context.Canceled {
		t.Errorf("the other read: %v", err)
	}
	unix.Write(w, []byte("z"))
	if n, err := d.Read(bg(), r, make([]byte, 1)); n != 1 || err != nil {
		t.Errorf("read after CancelFd: %d, %v", n, err)
	}
}

func TestDeadline(t *testing.T) {
	for name, d := range map[string]*Driver{"io_uring": newDriver(t), "1shard": newDriver(t, WithShards(1))} {
		t.Run(name, func(t *testing.T) {
			r, _ := pipe(t)
			ctx, cancel := context.WithTimeout(bg(), 30*time.Millisecond)
			defer cancel()
			start := time.Now()
			n, err := d.Read(ctx, r, make([]byte, 8))
			if el := time.Since(start); n != 0 || err != context.DeadlineExceeded || el < 20*time.Millisecond || el > 5*time.Second {
				t.Fatalf("Read: %d, %v after %v, want DeadlineExceeded after about 30ms", n, err, el)
			}
		})
	}
}

// TestCancelCompleted: an operation that completes before its cancellation takes effect
// returns its result, not the context's error.
func TestCancelCompleted(t *testing.T) {
	d := newDriver(t, WithShards(1))
	r, w := pipe(t)
	ctx, cancel := context.WithCancel(bg())
	s := d.shards[0]
	done := make(chan error)
	go func() {
		n, err := d.Read(ctx, r, make([]byte, 8))
		if err == nil && n != 3 {
			err = fmt.Errorf("read %d bytes", n)
		}
		done <- err
	}()
	eventually(t, "the read to be in the kernel", func() bool { return outstanding(d) == 1 })
	// Hold the shard so that the completion and the context's end race in our favour: the
	// data arrives first, then the context ends, then the reaper and waiter see both.
	s.mu.Lock()
	unix.Write(w, []byte("abc"))
	for deadline := time.Now().Add(5 * time.Second); s.ring.CQReady() == 0; { // posted, not reaped
		if time.Now().After(deadline) {
			s.mu.Unlock()
			t.Fatal("the read's completion was never posted")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	s.mu.Unlock()
	if err := <-done; err != nil {
		t.Fatalf("Read completed before its cancel: %v, want its result", err)
	}
}

func TestClose(t *testing.T) {
	r, _ := pipe(t)
	fds := openFds(t)
	d, err := New(WithShards(2))
	if err != nil {
		t.Fatal(err)
	}
	const readers = 10
	errs := make(chan error, readers)
	for i := 0; i < readers; i++ {
		go func() {
			_, err := d.Read(bg(), r, make([]byte, 1))
			errs <- err
		}()
	}
	eventually(t, "the reads to be in the kernel", func() bool { return outstanding(d) == readers })
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i := 0; i < readers; i++ {
		if err := <-errs; !errors.Is(err, os.ErrClosed) {
			t.Errorf("read in flight at Close: %v, want os.ErrClosed", err)
		}
	}
	if _, err := d.ReadAt(bg(), r, make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("ReadAt after Close: %v", err)
	}
	if err := d.Batch(bg(), []Op{{Fd: r, Buf: make([]byte, 1)}}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Batch after Close: %v", err)
	}
	if err := d.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	for _, s := range d.shards {
		if !s.ring.Closed() {
			t.Error("a ring is still open")
		}
	}
	if now := openFds(t); now != fds {
		t.Errorf("%d fds open after Close, %d before New", now, fds)
	}
	s, _ := New(WithSyscalls())
	s.Close()
	if _, err := s.ReadAt(bg(), r, make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("syscall-mode ReadAt after Close: %v", err)
	}
}

// TestCloseWaitingInLine: callers waiting for room when Close comes fail with ErrClosed.
func TestCloseWaitingInLine(t *testing.T) {
	d, err := New(WithShards(1), WithEntries(2))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := pipe(t)
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			_, err := d.Read(bg(), r, make([]byte, 1))
			errs <- err
		}()
	}
	eventually(t, "two callers in line", func() bool {
		s := d.shards[0]
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.turnHead != nil && s.turnHead.next != nil
	})
	d.Close()
	for i := 0; i < 3; i++ {
		if err := <-errs; !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read: %v, want os.ErrClosed", err)
		}
	}
}

func TestDefault(t *testing.T) {
	d := Default()
	if d != Default() {
		t.Fatal("Default returned two drivers")
	}
	if !d.Mode().IOURing() {
		t.Fatalf("Default mode %v", d.Mode())
	}
	f := tempFile(t, []byte("default"))
	buf := make([]byte, 7)
	if n, err := d.ReadAt(bg(), int(f.Fd()), buf, 0); n != 7 || err != nil || string(buf) != "default" {
		t.Fatalf("ReadAt: %d, %v", n, err)
	}
	if err := d.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Close(Default): %v", err)
	}
	if _, err := d.ReadAt(bg(), int(f.Fd()), buf, 0); err != nil {
		t.Fatalf("Default stopped working after Close: %v", err)
	}
}

func TestBatch(t *testing.T) {
	for name, d := range modes(t) {
		t.Run(name, func(t *testing.T) {
			const n = 300 // more than one ring holds
			f := tempFile(t, nil)
			fd := int(f.Fd())
			ops := make([]Op, n)
			for i := range ops {
				ops[i] = Op{Write: true, Fd: fd, Buf: pattern(100, byte(i)), Off: int64(i * 100)}
			}
			before := d.Stats()
			if err := d.Batch(bg(), ops); err != nil {
				t.Fatal(err)
			}
			for i, op := range ops {
				if op.N != 100 || op.Err != nil {
					t.Fatalf("write %d: %d, %v", i, op.N, op.Err)
				}
			}
			for i := range ops {
				ops[i] = Op{Fd: fd, Buf: make([]byte, 100), Off: int64(i * 100)}
			}
			ops[3] = Op{Fd: -1, Buf: make([]byte, 10)}
			ops[4] = Op{Fd: fd, Buf: make([]byte, 10), Off: -1}
			ops[5] = Op{Fd: fd, Off: 0}
			ops[6] = Op{Fd: fd, Buf: make([]byte, 10), Off: n * 100}
			if err := d.Batch(bg(), ops); err != nil {
				t.Fatal(err)
			}
			for i, op := range ops {
				switch i {
				case 3:
					if op.Err != syscall.EBADF {
						t.Errorf("bad fd: %v", op.Err)
					}
				case 4:
					if op.Err != syscall.EINVAL {
						t.Errorf("negative offset: %v", op.Err)
					}
				case 5, 6:
					if op.N != 0 || op.Err != nil {
						t.Errorf("op %d: %d, %v, want 0, nil", i, op.N, op.Err)
					}
				default:
					if op.N != 100 || op.Err != nil || string(op.Buf) != string(pattern(100, byte(i))) {
						t.Fatalf("read %d: %d, %v", i, op.N, op.Err)
					}
				}
			}
			if d.Mode().IOURing() {
				if enters := d.Stats().Enters - before.Enters; enters > 8 {
					t.Errorf("two batches of %d took %d enters", n, enters)
				}
			}
			ctx, cancel := context.WithCancel(bg())
			cancel()
			if err := d.Batch(ctx, ops); err != context.Canceled {
				t.Errorf("Batch(ended ctx): %v", err)
			}
		})
	}
}

// TestBatchCancel: a batch of reads that wait in the kernel is cancelled when its context ends.
func TestBatchCancel(t *testing.T) {
	d := newDriver(t)
	r, w := pipe(t)
	ctx, cancel := context.WithTimeout(bg(), 30*time.Millisecond)
	defer cancel()
	ops := make([]Op, 5)
	for i := range ops {
		ops[i] = Op{Fd: r, Buf: make([]byte, 1)}
	}
	f := tempFile(t, []byte("x"))
	ops[0] = Op{Fd: int(f.Fd()), Buf: make([]byte, 1)} // completes at once
	if err := d.Batch(ctx, ops); err != context.DeadlineExceeded {
		t.Fatalf("Batch: %v", err)
	}
	if ops[0].N != 1 || ops[0].Err != nil {
		t.Errorf("the read that completed: %d, %v", ops[0].N, ops[0].Err)
	}
	for _, op := range ops[1:] {
		if op.Err != context.DeadlineExceeded {
			t.Errorf("a cancelled read: %v", op.Err)
		}
	}
	unix.Write(w, []byte("y"))
	if n, err := d.Read(bg(), r, make([]byte, 4)); n != 1 || err != nil {
		t.Errorf("the pipe lost its byte to a cancelled read: %d, %v", n, err)
	}
}

// TestODirect reads with O_DIRECT, which completes after the submitter has moved on: the
// reaper delivers it.
func TestODirect(t *testing.T) {
	d := newDriver(t)
	path := filepath.Join(t.TempDir(), "direct")
	if err := writeSynced(path, pattern(1<<20, 3)); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := alignedBuf()
			for i := 0; i < 20; i++ {
				off := int64((g*20+i)%256) * benchBlock
				if n, err := d.ReadAt(bg(), int(f.Fd()), buf, off); n != benchBlock || err != nil {
					t.Errorf("O_DIRECT ReadAt: %d, %v", n, err)
					return
				}
				if string(buf) != string(pattern(1<<20, 3)[off:off+benchBlock]) {
					t.Errorf("O_DIRECT read other bytes at %d", off)
					return
				}
			}
		}()
	}
	wg.Wait()
	if st := d.Stats(); st.Reaped == 0 {
		t.Errorf("no completion went through the reaper: %+v", st)
	}
}

// TestEnterErrors injects io_uring_enter failures: EINTR and EAGAIN are retried, and an error
// that retrying cannot fix makes the ring unusable and the operations go through system calls,
// the ones whose entries the kernel never saw included.
func TestEnterErrors(t *testing.T) {
	for _, errno := range []syscall.Errno{unix.EINTR, unix.EAGAIN, unix.EBUSY, unix.EBADF} {
		t.Run(errno.Error(), func(t *testing.T) {
			d := newDriver(t, WithShards(1))
			s := d.shards[0]
			fails := 3
			s.mu.Lock()
			s.enterHook = func(n uint32) (int, error) {
				s.mu.Lock()
				fail := fails > 0
				fails--
				s.mu.Unlock()
				if fail {
					return 0, errno
				}
				return s.ring.EnterSubmit(n)
			}
			s.mu.Unlock()
			f := tempFile(t, pattern(100, 4))
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					buf := make([]byte, 10)
					if n, err := d.ReadAt(bg(), int(f.Fd()), buf, int64(g)); n != 10 || err != nil || buf[0] != pattern(100, 4)[g] {
						t.Errorf("ReadAt: %d, %v", n, err)
					}
				}()
			}
			wg.Wait()
			s.mu.Lock()
			broken := s.broken
			s.mu.Unlock()
			if (errno == unix.EBADF) != (broken != nil) {
				t.Errorf("after %v the ring is broken: %v", errno, broken)
			}
		})
	}
}

// TestUnavailable runs the Driver in child processes whose seccomp filter refuses io_uring,
// as a container's default profile (ENOSYS) or kernel.io_uring_disabled (EPERM) would, from
// the start and after the rings were created.
func TestUnavailable(t *testing.T) {
	if v := os.Getenv(childEnv); strings.HasPrefix(v, "deny-") {
		unavailableChild(v)
		return
	}
	for _, c := range []struct{ mode, want string }{
		{"deny-ENOSYS-before", "mode=syscalls (io_uring unavailable: uring: io_uring_setup: function not implemented"},
		{"deny-EPERM-before", "mode=syscalls (io_uring unavailable: uring: io_uring_setup: operation not permitted"},
		{"deny-EPERM-after", "mode=io_uring"},
	} {
		cmd := exec(t, "^TestUnavailable$", c.mode)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s child: %v\n%s", c.mode, err, out)
		}
		s := string(out)
		if !strings.Contains(s, c.want) || !strings.Contains(s, "ops ok") {
			t.Errorf("%s: child said %q", c.mode, s)
		}
	}
}

func unavailableChild(mode string) {
	errno := map[string]syscall.Errno{"ENOSYS": syscall.ENOSYS, "EPERM": syscall.EPERM}[strings.Split(mode, "-")[1]]
	deny := func() {
		if err := denyIOUring(errno); err != nil {
			fmt.Println("sandbox:", err)
			os.Exit(2)
		}
	}
	if strings.HasSuffix(mode, "-before") {
		deny()
	}
	d, err := New()
	if err != nil {
		fmt.Println("New:", err)
		os.Exit(1)
	}
	fmt.Printf("mode=%v\n", d.Mode())
	if strings.HasSuffix(mode, "-after") {
		deny()
	}
	dir, _ := os.MkdirTemp("", "driver-child")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "f")
	fd, err := d.Openat(bg(), unix.AT_FDCWD, path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	check := func(what string, err error) {
		if err != nil {
			fmt.Println(what+":", err)
			os.Exit(1)
		}
	}
	check("Openat", err)
	_, err = d.WriteAt(bg(), fd, []byte("hello"), 0)
	check("WriteAt", err)
	buf := make([]byte, 5)
	n, err := d.ReadAt(bg(), fd, buf, 0)
	check("ReadAt", err)
	if n != 5 || string(buf) != "hello" {
		fmt.Printf("ReadAt: %d %q\n", n, buf)
		os.Exit(1)
	}
	check("Fsync", d.Fsync(bg(), fd, false))
	var st unix.Statx_t
	check("Statx", d.Statx(bg(), fd, "", unix.AT_EMPTY_PATH, unix.STATX_SIZE, &st))
	check("Batch", d.Batch(bg(), []Op{{Fd: fd, Buf: buf}}))
	check("CloseFd", d.CloseFd(bg(), fd))
	fmt.Println("ops ok")
	d.Close()
	os.Exit(0)
}

// TestThreads checks that 64 goroutines doing O_DIRECT reads run on at most GOMAXPROCS+8 OS
// threads, in a process of their own (os.File's blocking reads elsewhere in the tests would
// have left their threads behind).
func TestThreads(t *testing.T) {
	if os.Getenv(childEnv) == "threads" {
		threadsChild()
		return
	}
	out, err := exec(t, "^TestThreads$", "threads").CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var maxThreads, procs, reads int
	if _, err := fmt.Sscanf(string(out), "threads=%d gomaxprocs=%d reads=%d", &maxThreads, &procs, &reads); err != nil {
		t.Fatalf("child said %q", out)
	}
	t.Logf("64 goroutines, %d O_DIRECT reads: at most %d threads with GOMAXPROCS=%d", reads, maxThreads, procs)
	if maxThreads > procs+8 {
		t.Errorf("%d threads, want at most GOMAXPROCS+8 = %d", maxThreads, procs+8)
	}
}

func threadsChild() {
	d, err := New()
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	dir, _ := os.MkdirTemp("", "driver-threads")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "f")
	if err := writeSynced(path, pattern(16<<20, 5)); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	maxThreads, reads := threads(), 0
	stop := time.Now().Add(300 * time.Millisecond)
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := alignedBuf()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			n := 0
			for ; time.Now().Before(stop); n++ {
				if _, err := d.ReadAt(bg(), int(f.Fd()), buf, rng.Int64N(4096)*benchBlock); err != nil {
					fmt.Println(err)
					os.Exit(1)
				}
				if n%16 == 0 {
					t := threads()
					mu.Lock()
					maxThreads = max(maxThreads, t)
					mu.Unlock()
				}
			}
			mu.Lock()
			reads += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("threads=%d gomaxprocs=%d reads=%d\n", max(maxThreads, threads()), runtime.GOMAXPROCS(0), reads)
	ents, _ := os.ReadDir("/proc/self/task")
	for _, e := range ents {
		b, _ := os.ReadFile("/proc/self/task/" + e.Name() + "/comm")
		fmt.Print(strings.TrimSpace(string(b)), " ")
	}
	fmt.Println()
	f.Close()
	d.Close()
	os.Exit(0)
}

// Errors from the fs-like calls keep their errno type, so callers can wrap them in
// *fs.PathError as os does.
func TestErrnoType(t *testing.T) {
	d := newDriver(t)
	_, err := d.Openat(bg(), unix.AT_FDCWD, filepath.Join(t.TempDir(), "missing"), unix.O_RDONLY, 0)
	var errno syscall.Errno
	if !errors.As(err, &errno) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Openat(missing): %T %v", err, err)
	}
}

func openFds(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestBatchStress runs batches larger than a small ring admits at once, alongside single
// calls, from many goroutines.
func TestBatchStress(t *testing.T) {
	d := newDriver(t, WithShards(1), WithEntries(8))
	content := pattern(1<<16, 6)
	f := tempFile(t, content)
	fd := int(f.Fd())
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for round := 0; round < 30; round++ {
				if g%2 == 0 {
					off := rng.Int64N(1<<16 - 100)
					buf := make([]byte, 100)
					if n, err := d.ReadAt(bg(), fd, buf, off); n != 100 || err != nil || string(buf) != string(content[off:off+100]) {
						t.Errorf("ReadAt: %d, %v", n, err)
						return
					}
					continue
				}
				ops := make([]Op, 1+rng.IntN(12))
				for i := range ops {
					ops[i] = Op{Fd: fd, Buf: make([]byte, 64), Off: rng.Int64N(1<<16 - 64)}
				}
				if err := d.Batch(bg(), ops); err != nil {
					t.Errorf("Batch: %v", err)
					return
				}
				for _, op := range ops {
					if op.N != 64 || op.Err != nil || string(op.Buf) != string(content[op.Off:op.Off+64]) {
						t.Errorf("batch read at %d: %d, %v", op.Off, op.N, op.Err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestReadAtCached reads cached data with one system call and goes to the ring for the rest.
func TestReadAtCached(t *testing.T) {
	for name, d := range modes(t) {
		t.Run(name, func(t *testing.T) {
			f := tempFile(t, pattern(1<<20, 8))
			fd := int(f.Fd())
			buf := make([]byte, 4096)
			before := d.Stats().Ops
			if n, err := d.ReadAtCached(bg(), fd, buf, 8192); n != 4096 || err != nil || string(buf) != string(pattern(1<<20, 8)[8192:8192+4096]) {
				t.Fatalf("ReadAtCached: %d, %v", n, err)
			}
			if d.Stats().Ops != before {
				t.Error("a cached read went to the ring")
			}
			// Drop the pages: the read must go to the ring. FADV_DONTNEED may leave some, and
			// readahead may bring them back, so try until one read went to the ring.
			const off = 1 << 19
			ringed := !d.Mode().IOURing()
			for i := 0; i < 200 && !ringed; i++ {
				f.Sync()
				unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED)
				ops := d.Stats().Ops
				n, err := d.ReadAtCached(bg(), fd, buf, off)
				if n == 0 || err != nil || string(buf[:n]) != string(pattern(1<<20, 8)[off:off+n]) {
					t.Fatalf("ReadAtCached of dropped pages: %d, %v", n, err)
				}
				ringed = d.Stats().Ops > ops
			}
			if !ringed {
				t.Error("no read of dropped pages went to the ring")
			}
			if n, err := d.ReadAtCached(bg(), fd, buf, -1); n != 0 || err != syscall.EINVAL {
				t.Errorf("ReadAtCached(-1): %d, %v", n, err)
			}
			if n, err := d.ReadAtCached(bg(), fd, nil, 0); n != 0 || err != nil {
				t.Errorf("ReadAtCached(empty): %d, %v", n, err)
			}
			if _, err := d.ReadAtCached(bg(), 1<<20, buf, 0); err != syscall.EBADF {
				t.Errorf("ReadAtCached(bad fd): %v", err)
			}
			ctx, cancel := context.WithCancel(bg())
			cancel()
			if _, err := d.ReadAtCached(ctx, fd, buf, 0); err != context.Canceled {
				t.Errorf("ReadAtCached(ended ctx): %v", err)
			}
			// At the position, and on a pipe: what is buffered at once, then the ring waits.
			f.Seek(100, 0)
			if n, err := d.ReadCached(bg(), fd, buf[:10]); n != 10 || err != nil || string(buf[:10]) != string(pattern(1<<20, 8)[100:110]) {
				t.Fatalf("ReadCached: %d, %v", n, err)
			}
			if pos, _ := f.Seek(0, 1); pos != 110 {
				t.Errorf("position after ReadCached: %d", pos)
			}
			r, w := pipe(t)
			unix.Write(w, []byte("ab"))
			if n, err := d.ReadCached(bg(), r, buf); n != 2 || err != nil {
				t.Fatalf("ReadCached(pipe with data): %d, %v", n, err)
			}
			go func() {
				time.Sleep(10 * time.Millisecond)
				unix.Write(w, []byte("c"))
			}()
			if n, err := d.ReadCached(bg(), r, buf); n != 1 || err != nil || buf[0] != 'c' {
				t.Fatalf("ReadCached(empty pipe): %d, %v", n, err)
			}
		})
	}
}

// TestWriteAtCached writes into the page cache with one system call where it can, and falls
// back to the ring when it would wait (a full pipe).
func TestWriteAtCached(t *testing.T) {
	for name, d := range modes(t) {
		t.Run(name, func(t *testing.T) {
			f := tempFile(t, pattern(8192, 9))
			fd := int(f.Fd())
			before := d.Stats().Ops
			if n, err := d.WriteAtCached(bg(), fd, []byte("hello"), 100); n != 5 || err != nil {
				t.Fatalf("WriteAtCached: %d, %v", n, err)
			}
			f.Seek(0, io.SeekEnd)
			if n, err := d.WriteCached(bg(), fd, []byte("tail")); n != 4 || err != nil {
				t.Fatalf("WriteCached: %d, %v", n, err)
			}
			got, _ := os.ReadFile(f.Name())
			if string(got[100:105]) != "hello" || string(got[8192:]) != "tail" {
				t.Fatalf("file holds %q ... %q", got[100:105], got[8192:])
			}
			if d.Stats().Ops != before {
				t.Error("a buffered write went to the ring")
			}
			if n, err := d.WriteAtCached(bg(), fd, []byte("x"), -1); n != 0 || err != syscall.EINVAL {
				t.Errorf("WriteAtCached(-1): %d, %v", n, err)
			}
			if n, err := d.WriteAtCached(bg(), fd, nil, 0); n != 0 || err != nil {
				t.Errorf("WriteAtCached(empty): %d, %v", n, err)
			}
			// A full pipe: the write waits in the ring until a reader makes room.
			r, w := pipe(t)
			size, err := unix.FcntlInt(uintptr(w), unix.F_GETPIPE_SZ, 0)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := d.WriteCached(bg(), w, make([]byte, size)); n != size || err != nil {
				t.Fatalf("WriteCached filling the pipe: %d, %v", n, err)
			}
			go func() {
				time.Sleep(10 * time.Millisecond)
				unix.Read(r, make([]byte, size))
			}()
			if n, err := d.WriteCached(bg(), w, []byte("more")); n != 4 || err != nil {
				t.Fatalf("WriteCached to a full pipe: %d, %v", n, err)
			}
			if d.Mode().IOURing() && d.Stats().Ops == before {
				t.Error("the write to a full pipe did not go to the ring")
			}
		})
	}
}

// TestStaleCompletion posts completions whose user data names a freed request (an old
// generation) or no request at all: no waiter sees them and nothing is counted.
func TestStaleCompletion(t *testing.T) {
	d := newDriver(t, WithShards(1))
	s := d.shards[0]
	f := tempFile(t, []byte("abc"))
	if _, err := d.ReadAt(bg(), int(f.Fd()), make([]byte, 3), 0); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 || s.reqs[0].state != reqFree {
		t.Fatalf("request 0: %+v", s.reqs)
	}
	stale := uint64((s.reqs[0].gen-1)&genMask) << 32
	for _, ud := range []uint64{stale, 1 << 20, uint64(s.reqs[0].gen&genMask) << 32} {
		sqe, err := s.ring.PrepNop()
		if err != nil {
			t.Fatal(err)
		}
		sqe.SetUserData(ud)
	}
	if _, err := s.ring.EnterSubmit(s.ring.Publish()); err != nil {
		t.Fatal(err)
	}
	out := s.outstanding
	if n := s.reap(); n != 3 {
		t.Fatalf("reaped %d completions, want 3", n)
	}
	if s.outstanding != out || s.used != 0 || s.reqs[0].state != reqFree {
		t.Errorf("a foreign completion was counted: outstanding %d, used %d, request %+v", s.outstanding, s.used, s.reqs[0])
	}
}
