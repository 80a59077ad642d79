package uring

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

// TestReadWriteFixed reads into and writes from sub-slices of registered Go buffers.
func TestReadWriteFixed(t *testing.T) {
	r := newRing(t, 8)
	data := pattern(3*4096, 7)
	f := tempFile(t, data)
	bufs := [][]byte{make([]byte, 8192), make([]byte, 4096)}
	if err := r.RegisterBuffers(bufs); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepReadFixed(int(f.Fd()), bufs[0][100:100+5000], 4096, 0)).SetUserData(1)
	wantRes(t, waitOne(t, r), 5000)
	wantBytes(t, bufs[0][100:5100], data[4096:4096+5000])

	copy(bufs[1], pattern(4096, 9))
	must(t)(r.PrepWriteFixed(int(f.Fd()), bufs[1][:1000], 10, 1)).SetUserData(2)
	wantRes(t, waitOne(t, r), 1000)
	wantBytes(t, readFileAt(t, f, 10, 1000), pattern(4096, 9)[:1000])

	// A vectored read and write over two pieces of one registered buffer (6.15).
	pieces := [][]byte{bufs[0][0:300], bufs[0][4096 : 4096+700]}
	must(t)(r.PrepReadvFixed(int(f.Fd()), pieces, 8192, 0, 0)).SetUserData(3)
	wantRes(t, waitOne(t, r), 1000)
	wantBytes(t, bufs[0][0:300], data[8192:8192+300])
	wantBytes(t, bufs[0][4096:4096+700], data[8192+300:8192+1000])
	must(t)(r.PrepWritevFixed(int(f.Fd()), [][]byte{bufs[1][0:10], bufs[1][20:30]}, 0, RWFDsync, 1)).SetUserData(4)
	wantRes(t, waitOne(t, r), 20)
	want := append(append([]byte{}, bufs[1][0:10]...), bufs[1][20:30]...)
	wantBytes(t, readFileAt(t, f, 0, 20), want)
	if r.ops.live != 0 {
		t.Fatalf("%d slots live after the completions", r.ops.live)
	}
}

// TestFixedBufferChecks: buffers outside their registration, empty ones, unknown indexes and
// a closed ring are refused before an entry is taken.
func TestFixedBufferChecks(t *testing.T) {
	r := newRing(t, 8)
	f := tempFile(t, pattern(100, 1))
	backing := make([]byte, 8192)
	if _, err := r.PrepReadFixed(int(f.Fd()), backing[:10], 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("no table: %v, want ErrInvalid", err)
	}
	if err := r.RegisterBuffers([][]byte{backing[:4096], nil}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		buf   []byte
		index int
	}{
		{"past the end", backing[2048:4097], 0},
		{"another buffer", make([]byte, 10), 0},
		{"empty", backing[:0], 0},
		{"empty slot", backing[:10], 1},
		{"index out of range", backing[:10], 2},
		{"negative index", backing[:10], -1},
	}
	for _, c := range cases {
		if _, err := r.PrepReadFixed(int(f.Fd()), c.buf, 0, c.index); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", c.name, err)
		}
		if _, err := r.PrepWritevFixed(int(f.Fd()), [][]byte{backing[:10], c.buf}, 0, 0, c.index); !errors.Is(err, ErrInvalid) {
			t.Errorf("writev, %s: %v, want ErrInvalid", c.name, err)
		}
	}
	if _, err := r.PrepReadvFixed(int(f.Fd()), nil, 0, 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("no buffers: %v", err)
	}
	if r.SQReady() != 0 {
		t.Fatalf("refused preps left %d entries queued", r.SQReady())
	}
	// The whole registration is fine, at the very end too.
	must(t)(r.PrepReadFixed(int(f.Fd()), backing[4000:4096], 0, 0)).SetUserData(1)
	wantRes(t, waitOne(t, r), 96)
	r.Close()
	if _, err := r.PrepReadFixed(int(f.Fd()), backing[:10], 0, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("closed ring: %v", err)
	}
}

// TestFixedFileAndBufferUpdates reads through a fixed file into a fixed buffer, replaces the
// file slot and the buffer slot, and reads again: the new file's data lands in the new buffer.
func TestFixedFileAndBufferUpdates(t *testing.T) {
	r := newRing(t, 8)
	a := tempFile(t, pattern(4096, 1))
	b := tempFile(t, pattern(4096, 2))
	if err := r.RegisterFiles([]int{int(a.Fd())}); err != nil {
		t.Fatal(err)
	}
	buf0, buf1 := make([]byte, 4096), make([]byte, 4096)
	if err := r.RegisterBuffers([][]byte{buf0}); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepReadFixed(0, buf0[:512], 0, 0)).SetUserData(1).SetFlags(SQEFixedFile)
	wantRes(t, waitOne(t, r), 512)
	wantBytes(t, buf0[:512], pattern(4096, 1)[:512])

	if n, err := r.UpdateFiles(0, []int{int(b.Fd())}); err != nil || n != 1 {
		t.Fatalf("UpdateFiles: %d, %v", n, err)
	}
	if n, err := r.UpdateBuffers(0, [][]byte{buf1}); err != nil || n != 1 {
		t.Fatalf("UpdateBuffers: %d, %v", n, err)
	}
	if _, err := r.PrepReadFixed(0, buf0[:512], 0, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("the replaced buffer is still accepted: %v", err)
	}
	must(t)(r.PrepReadFixed(0, buf1[:512], 0, 0)).SetUserData(2).SetFlags(SQEFixedFile)
	wantRes(t, waitOne(t, r), 512)
	wantBytes(t, buf1[:512], pattern(4096, 2)[:512])
	wantBytes(t, buf0[:512], pattern(4096, 1)[:512]) // untouched since

	// Emptying the file slot makes a fixed-file read fail with EBADF.
	if _, err := r.UpdateFiles(0, []int{-1}); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepReadFixed(0, buf1[:512], 0, 0)).SetUserData(3).SetFlags(SQEFixedFile)
	wantErrno(t, waitOne(t, r), syscall.EBADF)
	if r.ops.live != 0 {
		t.Fatalf("%d slots live", r.ops.live)
	}
}

// TestPrepFilesUpdate updates the file table from an operation, at an offset and at slots the
// kernel chooses and writes back.
func TestPrepFilesUpdate(t *testing.T) {
	r := newRing(t, 8)
	a := tempFile(t, pattern(64, 3))
	b := tempFile(t, pattern(64, 4))
	if err := r.RegisterFilesSparse(8); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepFilesUpdate([]int32{int32(a.Fd())}, 2)).SetUserData(1)
	wantRes(t, waitOne(t, r), 1)
	buf := make([]byte, 64)
	must(t)(r.PrepRead(2, buf, 0)).SetUserData(2).SetFlags(SQEFixedFile)
	wantRes(t, waitOne(t, r), 64)
	wantBytes(t, buf, pattern(64, 3))

	if err := r.RegisterFileAllocRange(5, 2); err != nil {
		t.Fatal(err)
	}
	fds := []int32{int32(b.Fd()), int32(a.Fd())}
	must(t)(r.PrepFilesUpdate(fds, int(abi.IORING_FILE_INDEX_ALLOC))).SetUserData(3)
	wantRes(t, waitOne(t, r), 2)
	if fds[0] < 5 || fds[0] > 6 || fds[1] < 5 || fds[1] > 6 || fds[0] == fds[1] {
		t.Fatalf("allocated slots %v, want 5 and 6 (the range)", fds)
	}
	must(t)(r.PrepRead(int(fds[0]), buf, 0)).SetUserData(4).SetFlags(SQEFixedFile)
	wantRes(t, waitOne(t, r), 64)
	wantBytes(t, buf, pattern(64, 4))
	// The range is full now.
	must(t)(r.PrepFilesUpdate([]int32{int32(a.Fd())}, -1)).SetUserData(5)
	wantErrno(t, waitOne(t, r), syscall.ENFILE)

	if _, err := r.PrepFilesUpdate(nil, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("no fds: %v", err)
	}
	if _, err := r.PrepFilesUpdate(fds, -2); !errors.Is(err, ErrInvalid) {
		t.Errorf("offset -2: %v", err)
	}
	if r.ops.live != 0 {
		t.Fatalf("%d slots live", r.ops.live)
	}
}

// TestFixedFdInstall turns a registered file into a regular fd, with and without O_CLOEXEC.
func TestFixedFdInstall(t *testing.T) {
	r := newRing(t, 8)
	a := tempFile(t, pattern(32, 5))
	if err := r.RegisterFiles([]int{-1, int(a.Fd())}); err != nil {
		t.Fatal(err)
	}
	for _, flags := range []FixedFdInstallFlags{0, FixedFdNoCloexec} {
		must(t)(r.PrepFixedFdInstall(1, flags)).SetUserData(1)
		c := waitOne(t, r)
		if c.Res < 0 {
			t.Fatalf("install: %v", c.Err())
		}
		fd := int(c.Res)
		fdFlags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil {
			t.Fatal(err)
		}
		if cloexec := fdFlags&unix.FD_CLOEXEC != 0; cloexec != (flags == 0) {
			t.Errorf("flags %d: FD_CLOEXEC %v", flags, cloexec)
		}
		f := os.NewFile(uintptr(fd), "installed")
		got := make([]byte, 32)
		if _, err := f.ReadAt(got, 0); err != nil {
			t.Fatal(err)
		}
		wantBytes(t, got, pattern(32, 5))
		f.Close()
	}
	// An empty slot gives EBADF; an index past the table too.
	must(t)(r.PrepFixedFdInstall(0, 0)).SetUserData(2)
	wantErrno(t, waitOne(t, r), syscall.EBADF)
	if _, err := r.PrepFixedFdInstall(-1, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("index -1: %v", err)
	}
	if _, err := r.PrepFixedFdInstall(0, 2); !errors.Is(err, ErrInvalid) {
		t.Errorf("flags 2: %v", err)
	}
}

// BenchmarkReadFixed compares cached 4 KiB reads into registered buffers (READ_FIXED) with
// plain READs into the same memory, 32 per submission.
func BenchmarkReadFixed(b *testing.B) {
	const batch, size = 32, 4096
	data := pattern(batch*size, 1)
	f := tempFile(b, data)
	for _, fixed := range []bool{false, true} {
		b.Run(map[bool]string{false: "read", true: "read_fixed"}[fixed], func(b *testing.B) {
			r := newRing(b, batch)
			bufs, err := r.AllocBuffers(batch, size)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			b.ReportAllocs()
			for done := 0; done < b.N; {
				n := min(batch, b.N-done)
				for j := range n {
					var err error
					if fixed {
						_, err = r.PrepReadFixed(int(f.Fd()), bufs[j], int64(j*size), j)
					} else {
						_, err = r.PrepRead(int(f.Fd()), bufs[j], int64(j*size))
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				if _, err := r.SubmitAndWait(uint32(n)); err != nil {
					b.Fatal(err)
				}
				for c := range r.Completions() {
					if c.Res != size {
						b.Fatalf("res %d", c.Res)
					}
				}
				done += n
			}
		})
	}
}
