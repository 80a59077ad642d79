package uring

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

// registerSparseFiles registers an empty file table of n slots for the direct-descriptor tests.
// TODO(merge): use Ring.RegisterFilesSparse
func registerSparseFiles(t testing.TB, r *Ring, n uint32) {
	t.Helper()
	reg := abi.RsrcRegister{Nr: n, Flags: abi.IORING_RSRC_REGISTER_SPARSE}
	if _, err := r.register("IORING_REGISTER_FILES2", abi.IORING_REGISTER_FILES2, unsafe.Pointer(&reg), uint32(unsafe.Sizeof(reg))); err != nil {
		t.Fatalf("registering a sparse file table: %v", err)
	}
}

// wantNoLiveSlots fails if an operation still holds memory after every completion was reaped.
func wantNoLiveSlots(t testing.TB, r *Ring) {
	t.Helper()
	if r.ops.live != 0 {
		t.Fatalf("%d slots still live after every completion", r.ops.live)
	}
}

// wantInvalid fails unless err is an ArgError, and checks that nothing was left queued.
func wantInvalid(t testing.TB, r *Ring, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("%s: %v, want ErrInvalid", what, err)
	}
	if r.SQReady() != 0 {
		t.Fatalf("%s: a refused prep left %d entries queued", what, r.SQReady())
	}
}

// openDir opens dir for use as the dirfd of the *at operations.
func openDir(t testing.TB, dir string) int {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// wantNotExist fails unless path is gone.
func wantNotExist(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s: %v, want it gone", path, err)
	}
}

func TestOpenatClose(t *testing.T) {
	r := newRing(t, 8)
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepOpenat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)).SetUserData(1)
	c := waitOne(t, r)
	if c.Res < 0 {
		t.Fatalf("openat: %v", c.Err())
	}
	fd := int(c.Res)
	buf := make([]byte, 16)
	if n, err := unix.Pread(fd, buf, 0); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read through the opened fd: %q, %v", buf[:n], err)
	}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Fatalf("fd flags %#x, %v: want FD_CLOEXEC", fl, err)
	}

	// Create, exclusively, relative to a directory fd; then the same again.
	dfd := openDir(t, dir)
	must(t)(r.PrepOpenat(dfd, "new", unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)).SetUserData(2)
	c = waitOne(t, r)
	if c.Res < 0 {
		t.Fatalf("openat O_CREAT: %v", c.Err())
	}
	created := int(c.Res)
	if fi, err := os.Stat(filepath.Join(dir, "new")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("created file: %v, %v, want mode 0600", fi, err)
	}
	must(t)(r.PrepOpenat(dfd, "new", unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.EEXIST)
	must(t)(r.PrepOpenat(unix.AT_FDCWD, filepath.Join(dir, "missing"), unix.O_RDONLY|unix.O_CLOEXEC, 0)).SetUserData(4)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)

	// Close both; a second close of the same fd is EBADF.
	must(t)(r.PrepClose(fd)).SetUserData(5)
	must(t)(r.PrepClose(created)).SetUserData(6)
	m := byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[5], 0)
	wantRes(t, m[6], 0)
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("fd %d after close: %v, want EBADF", fd, err)
	}
	must(t)(r.PrepClose(fd)).SetUserData(7)
	wantErrno(t, waitOne(t, r), syscall.EBADF)

	_, err := r.PrepOpenat(unix.AT_FDCWD, "a\x00b", unix.O_RDONLY, 0)
	wantInvalid(t, r, "path with NUL", err)
	_, err = r.PrepOpenat(1<<40, "a", unix.O_RDONLY, 0)
	wantInvalid(t, r, "dirfd out of range", err)
	wantNoLiveSlots(t, r)

	closed := newRing(t, 4)
	closed.Close()
	if _, err := closed.PrepOpenat(unix.AT_FDCWD, path, unix.O_RDONLY, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("PrepOpenat on a closed ring: %v, want ErrClosed", err)
	}
}

func TestOpenat2(t *testing.T) {
	r := newRing(t, 8)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	dfd := openDir(t, dir)
	how := &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH}
	must(t)(r.PrepOpenat2(dfd, "f", how)).SetUserData(1)
	c := waitOne(t, r)
	if c.Res < 0 {
		t.Fatalf("openat2: %v", c.Err())
	}
	buf := make([]byte, 8)
	if n, _ := unix.Pread(int(c.Res), buf, 0); string(buf[:n]) != "abc" {
		t.Fatalf("read %q", buf[:n])
	}
	unix.Close(int(c.Res))
	// RESOLVE_BENEATH refuses a path that leaves the directory.
	must(t)(r.PrepOpenat2(dfd, "../f", how)).SetUserData(2)
	wantErrno(t, waitOne(t, r), syscall.EXDEV)
	must(t)(r.PrepOpenat2(dfd, "missing", how)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)
	_, err := r.PrepOpenat2(dfd, "f", nil)
	wantInvalid(t, r, "nil open_how", err)
	wantNoLiveSlots(t, r)
}

// TestOpenCloseDirect opens files into the registered file table, reads through the slots, and
// closes them.
func TestOpenCloseDirect(t *testing.T) {
	r := newRing(t, 8)
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("direct"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Without a table the kernel has nowhere to put the file.
	must(t)(r.PrepOpenatDirect(unix.AT_FDCWD, path, unix.O_RDONLY, 0, 0)).SetUserData(1)
	wantErrno(t, waitOne(t, r), syscall.ENXIO)

	registerSparseFiles(t, r, 8)
	readSlot := func(slot int) string {
		t.Helper()
		buf := make([]byte, 16)
		must(t)(r.PrepRead(slot, buf, 0)).SetUserData(100).SetFlags(SQEFixedFile)
		c := waitOne(t, r)
		if c.Res < 0 {
			t.Fatalf("read from slot %d: %v", slot, c.Err())
		}
		return string(buf[:c.Res])
	}
	must(t)(r.PrepOpenatDirect(unix.AT_FDCWD, path, unix.O_RDONLY, 0, 3)).SetUserData(2)
	wantRes(t, waitOne(t, r), 0)
	if got := readSlot(3); got != "direct" {
		t.Fatalf("slot 3 read %q", got)
	}
	must(t)(r.PrepOpenatDirect(unix.AT_FDCWD, path, unix.O_RDONLY, 0, FileIndexAlloc)).SetUserData(3)
	c := waitOne(t, r)
	if c.Res < 0 || c.Res == 3 || c.Res >= 8 {
		t.Fatalf("allocated slot %d (%v), want a free one", c.Res, c.Err())
	}
	if got := readSlot(int(c.Res)); got != "direct" {
		t.Fatalf("allocated slot read %q", got)
	}
	dfd := openDir(t, dir)
	must(t)(r.PrepOpenat2Direct(dfd, "f", &unix.OpenHow{Flags: unix.O_RDONLY}, 5)).SetUserData(4)
	wantRes(t, waitOne(t, r), 0)
	if got := readSlot(5); got != "direct" {
		t.Fatalf("slot 5 read %q", got)
	}
	// A direct descriptor cannot be close-on-exec.
	must(t)(r.PrepOpenatDirect(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_CLOEXEC, 0, 6)).SetUserData(5)
	wantErrno(t, waitOne(t, r), syscall.EINVAL)

	must(t)(r.PrepCloseDirect(3)).SetUserData(6)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepRead(3, make([]byte, 4), 0)).SetUserData(7).SetFlags(SQEFixedFile)
	wantErrno(t, waitOne(t, r), syscall.EBADF)
	must(t)(r.PrepCloseDirect(3)).SetUserData(8)
	wantErrno(t, waitOne(t, r), syscall.EBADF)

	_, err := r.PrepOpenatDirect(unix.AT_FDCWD, path, unix.O_RDONLY, 0, FileIndexAlloc-1)
	wantInvalid(t, r, "file index out of range", err)
	_, err = r.PrepCloseDirect(FileIndexAlloc)
	wantInvalid(t, r, "close of FileIndexAlloc", err)
	wantNoLiveSlots(t, r)
}

func TestStatx(t *testing.T) {
	r := newRing(t, 8)
	f := tempFile(t, pattern(1234, 0))
	var st unix.Statx_t
	must(t)(r.PrepStatx(unix.AT_FDCWD, f.Name(), 0, unix.STATX_BASIC_STATS, &st)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	if st.Mask&unix.STATX_SIZE == 0 || st.Size != 1234 || st.Mode&unix.S_IFMT != unix.S_IFREG {
		t.Fatalf("statx: mask %#x size %d mode %o", st.Mask, st.Size, st.Mode)
	}
	// The fd itself, with an empty path.
	var st2 unix.Statx_t
	must(t)(r.PrepStatx(int(f.Fd()), "", unix.AT_EMPTY_PATH, unix.STATX_INO, &st2)).SetUserData(2)
	wantRes(t, waitOne(t, r), 0)
	if st2.Ino != st.Ino || st2.Ino == 0 {
		t.Fatalf("statx of the fd: inode %d, want %d", st2.Ino, st.Ino)
	}
	must(t)(r.PrepStatx(unix.AT_FDCWD, f.Name()+".missing", 0, unix.STATX_BASIC_STATS, &st2)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)
	must(t)(r.PrepStatx(-1, "relative", 0, unix.STATX_BASIC_STATS, &st2)).SetUserData(4)
	wantErrno(t, waitOne(t, r), syscall.EBADF)
	_, err := r.PrepStatx(unix.AT_FDCWD, f.Name(), 0, unix.STATX_BASIC_STATS, nil)
	wantInvalid(t, r, "nil statx", err)
	wantNoLiveSlots(t, r)
}

func TestRenameat(t *testing.T) {
	r := newRing(t, 8)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("A"), 0o600)
	must(t)(r.PrepRename(a, b)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	wantNotExist(t, a)
	if got, err := os.ReadFile(b); err != nil || string(got) != "A" {
		t.Fatalf("renamed file: %q, %v", got, err)
	}
	// Relative to directory fds, and RENAME_NOREPLACE onto an existing file.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o700)
	dfd, sfd := openDir(t, dir), openDir(t, sub)
	must(t)(r.PrepRenameat(dfd, "b", sfd, "c", 0)).SetUserData(2)
	wantRes(t, waitOne(t, r), 0)
	wantNotExist(t, b)
	os.WriteFile(a, []byte("new A"), 0o600)
	must(t)(r.PrepRenameat(dfd, "a", sfd, "c", unix.RENAME_NOREPLACE)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.EEXIST)
	if got, _ := os.ReadFile(filepath.Join(sub, "c")); string(got) != "A" {
		t.Fatalf("NOREPLACE replaced the target: %q", got)
	}
	must(t)(r.PrepRename(filepath.Join(dir, "missing"), b)).SetUserData(4)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)
	_, err := r.PrepRename(a, "b\x00")
	wantInvalid(t, r, "new path with NUL", err)
	_, err = r.PrepRenameat(dfd, "a", 1<<40, "b", 0)
	wantInvalid(t, r, "new dirfd out of range", err)
	wantNoLiveSlots(t, r)
}

func TestUnlinkat(t *testing.T) {
	r := newRing(t, 8)
	dir := t.TempDir()
	f, d := filepath.Join(dir, "f"), filepath.Join(dir, "d")
	os.WriteFile(f, nil, 0o600)
	os.Mkdir(d, 0o700)
	must(t)(r.PrepUnlink(f, 0)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	wantNotExist(t, f)
	must(t)(r.PrepUnlink(d, 0)).SetUserData(2)
	wantErrno(t, waitOne(t, r), syscall.EISDIR)
	dfd := openDir(t, dir)
	must(t)(r.PrepUnlinkat(dfd, "d", unix.AT_REMOVEDIR)).SetUserData(3)
	wantRes(t, waitOne(t, r), 0)
	wantNotExist(t, d)
	must(t)(r.PrepUnlinkat(dfd, "f", 0)).SetUserData(4)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)
	wantNoLiveSlots(t, r)
}

func TestMkdirat(t *testing.T) {
	r := newRing(t, 8)
	dir := t.TempDir()
	d := filepath.Join(dir, "d")
	must(t)(r.PrepMkdir(d, 0o700)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("mkdir: %v, %v, want a 0700 directory", fi, err)
	}
	dfd := openDir(t, d)
	must(t)(r.PrepMkdirat(dfd, "e", 0o700)).SetUserData(2)
	wantRes(t, waitOne(t, r), 0)
	if fi, err := os.Stat(filepath.Join(d, "e")); err != nil || !fi.IsDir() {
		t.Fatalf("mkdirat: %v, %v", fi, err)
	}
	must(t)(r.PrepMkdir(d, 0o700)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.EEXIST)
	must(t)(r.PrepMkdir(filepath.Join(dir, "no", "such"), 0o700)).SetUserData(4)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)
	wantNoLiveSlots(t, r)
}

func TestSymlinkat(t *testing.T) {
	r := newRing(t, 8)
	dir := t.TempDir()
	l := filepath.Join(dir, "l")
	must(t)(r.PrepSymlink("some/target", l)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	if got, err := os.Readlink(l); err != nil || got != "some/target" {
		t.Fatalf("readlink: %q, %v", got, err)
	}
	dfd := openDir(t, dir)
	must(t)(r.PrepSymlinkat("l", dfd, "l2")).SetUserData(2)
	wantRes(t, waitOne(t, r), 0)
	if got, err := os.Readlink(filepath.Join(dir, "l2")); err != nil || got != "l" {
		t.Fatalf("readlink: %q, %v", got, err)
	}
	must(t)(r.PrepSymlink("x", l)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.EEXIST)
	_, err := r.PrepSymlink("x\x00", l)
	wantInvalid(t, r, "target with NUL", err)
	wantNoLiveSlots(t, r)
}

func TestLinkat(t *testing.T) {
	r := newRing(t, 8)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("A"), 0o600)
	must(t)(r.PrepLink(a, b, 0)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	fa, _ := os.Stat(a)
	fb, err := os.Stat(b)
	if err != nil || !os.SameFile(fa, fb) || fa.Sys().(*syscall.Stat_t).Nlink != 2 {
		t.Fatalf("hard link: %v, %v", fb, err)
	}
	// Through a symbolic link: without AT_SYMLINK_FOLLOW the link itself is linked.
	os.Symlink("a", filepath.Join(dir, "s"))
	dfd := openDir(t, dir)
	must(t)(r.PrepLinkat(dfd, "s", dfd, "viaS", 0)).SetUserData(2)
	must(t)(r.PrepLinkat(dfd, "s", dfd, "viaTarget", unix.AT_SYMLINK_FOLLOW)).SetUserData(3)
	m := byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[2], 0)
	wantRes(t, m[3], 0)
	if fi, err := os.Lstat(filepath.Join(dir, "viaS")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("linkat without AT_SYMLINK_FOLLOW: %v, %v, want a symlink", fi, err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "viaTarget")); err != nil || !os.SameFile(fi, fa) {
		t.Fatalf("linkat with AT_SYMLINK_FOLLOW: %v, %v, want the target", fi, err)
	}
	must(t)(r.PrepLink(a, b, 0)).SetUserData(4)
	wantErrno(t, waitOne(t, r), syscall.EEXIST)
	must(t)(r.PrepLink(filepath.Join(dir, "missing"), filepath.Join(dir, "c"), 0)).SetUserData(5)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)
	wantNoLiveSlots(t, r)
}

func TestFadvise(t *testing.T) {
	r := newRing(t, 8)
	f := tempFile(t, pattern(8192, 1))
	fd := int(f.Fd())
	must(t)(r.PrepFadvise(fd, 0, 4096, unix.FADV_DONTNEED)).SetUserData(1)
	must(t)(r.PrepFadvise64(fd, 0, 8<<30, unix.FADV_WILLNEED)).SetUserData(2)
	must(t)(r.PrepFadvise(fd, 0, 0, 12345)).SetUserData(3)
	must(t)(r.PrepFadvise(-1, 0, 0, unix.FADV_NORMAL)).SetUserData(4)
	m := byUserData(t, submitWait(t, r, 4))
	wantRes(t, m[1], 0)
	wantRes(t, m[2], 0)
	wantErrno(t, m[3], syscall.EINVAL)
	wantErrno(t, m[4], syscall.EBADF)
	wantBytes(t, readFileAt(t, f, 0, 8192), pattern(8192, 1))
}

func TestMadvise(t *testing.T) {
	r := newRing(t, 8)
	page := os.Getpagesize()
	// Memory from mmap: MADV_DONTNEED on a private anonymous mapping zeroes it.
	m, err := unix.Mmap(-1, 0, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	for i := range m {
		m[i] = 0xaa
	}
	must(t)(r.PrepMadvise(m, unix.MADV_DONTNEED)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	if !bytes.Equal(m, make([]byte, 2*page)) {
		t.Fatal("MADV_DONTNEED left the mapping's contents")
	}

	// Go memory: a page inside a larger slice, held until the completion.
	b := make([]byte, 3*page)
	off := (page - int(uintptr(unsafe.Pointer(&b[0]))%uintptr(page))) % page
	sub := b[off : off+page]
	for i := range b {
		b[i] = 0x55
	}
	must(t)(r.PrepMadvise(sub, unix.MADV_DONTNEED)).SetUserData(2)
	if r.ops.live != 1 {
		t.Fatalf("%d slots live after PrepMadvise, want 1 holding the memory", r.ops.live)
	}
	wantRes(t, waitOne(t, r), 0)
	if !bytes.Equal(sub, make([]byte, page)) {
		t.Fatal("MADV_DONTNEED left the page's contents")
	}
	for i := range b {
		if (i < off || i >= off+page) && b[i] != 0x55 {
			t.Fatalf("MADV_DONTNEED reached byte %d, outside the slice it was given", i)
		}
	}
	must(t)(r.PrepMadvise(sub, unix.MADV_WILLNEED)).SetUserData(3)
	must(t)(r.PrepMadvise(sub, 12345)).SetUserData(4)
	res := byUserData(t, submitWait(t, r, 2))
	wantRes(t, res[3], 0)
	wantErrno(t, res[4], syscall.EINVAL)

	// Anything but whole pages is refused: the advice would reach past the slice.
	_, err = r.PrepMadvise(b[off+1:off+1+page], unix.MADV_DONTNEED)
	wantInvalid(t, r, "unaligned start", err)
	_, err = r.PrepMadvise(sub[:page-1], unix.MADV_DONTNEED)
	wantInvalid(t, r, "partial page", err)
	_, err = r.PrepMadvise(nil, unix.MADV_DONTNEED)
	wantInvalid(t, r, "empty", err)
	wantNoLiveSlots(t, r)
}

func TestFtruncate(t *testing.T) {
	r := newRing(t, 8)
	f := tempFile(t, pattern(100, 0))
	must(t)(r.PrepFtruncate(int(f.Fd()), 10)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	if fi, _ := f.Stat(); fi.Size() != 10 {
		t.Fatalf("size %d after ftruncate to 10", fi.Size())
	}
	must(t)(r.PrepFtruncate(int(f.Fd()), 1<<20)).SetUserData(2)
	wantRes(t, waitOne(t, r), 0)
	if fi, _ := f.Stat(); fi.Size() != 1<<20 {
		t.Fatalf("size %d after ftruncate to 1 MiB", fi.Size())
	}
	must(t)(r.PrepFtruncate(int(f.Fd()), -1)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.EINVAL)
	must(t)(r.PrepFtruncate(-1, 0)).SetUserData(4)
	wantErrno(t, waitOne(t, r), syscall.EBADF)
}

// TestPathMemoryHeldAcrossGC drops every reference to the paths after the prep, collects and
// reuses memory, and only then submits: the kernel must still read the paths it was given.
func TestPathMemoryHeldAcrossGC(t *testing.T) {
	r := newRing(t, 16)
	dir := t.TempDir()
	const n = 8
	func() {
		for i := 0; i < n; i++ {
			// Built at run time, so the strings live on the heap and nothing else holds them.
			p := filepath.Join(dir, fmt.Sprintf("dir-%02d", i))
			must(t)(r.PrepMkdir(p, 0o700)).SetUserData(uint64(i)).SetFlags(SQELink)
			must(t)(r.PrepRename(p, p+"-renamed")).SetUserData(uint64(100 + i))
		}
	}()
	if r.ops.live != 2*n {
		t.Fatalf("%d slots live, want %d holding the paths", r.ops.live, 2*n)
	}
	var junk [][]byte
	for i := 0; i < 3; i++ {
		runtime.GC()
		for j := 0; j < 10000; j++ {
			junk = append(junk, bytes.Repeat([]byte{'X'}, len(dir)+16))
		}
	}
	runtime.KeepAlive(junk)
	m := byUserData(t, submitWait(t, r, 2*n))
	for i := 0; i < n; i++ {
		wantRes(t, m[uint64(i)], 0)
		wantRes(t, m[uint64(100+i)], 0)
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != n {
		t.Fatalf("directory holds %d entries (%v), want %d", len(ents), err, n)
	}
	for i, e := range ents {
		if want := fmt.Sprintf("dir-%02d-renamed", i); e.Name() != want || !e.IsDir() {
			t.Fatalf("entry %d is %q, want directory %q", i, e.Name(), want)
		}
		if strings.Contains(e.Name(), "X") {
			t.Fatalf("the kernel read reused memory: %q", e.Name())
		}
	}
	wantNoLiveSlots(t, r)
}
