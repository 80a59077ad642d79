// Package file is os.File's behaviour over io_uring: Open, Create, OpenFile and the methods of
// *os.File, through a driver.Driver, so that any number of goroutines can do file I/O without
// an OS thread each. Where io_uring is unavailable (a seccomp filter, kernel.io_uring_disabled)
// the same calls go through plain system calls; Mode says which.
//
// Every method behaves as os.File's does: short reads and writes are looped where os loops
// them, the end of a file is io.EOF, errors are *fs.PathError with os's Op names ("open",
// "read", "write", "seek", "close", "truncate", "sync", "stat", "readat", "writeat"), negative
// offsets are refused as os refuses them, WriteAt on a file opened with O_APPEND fails as in
// os, empty buffers return 0, nil, and every method of a closed File fails with an error
// matching os.ErrClosed. Beyond os.File: Datasync, Allocate, PunchHole, ZeroRange, the vectored
// ReadAtv and WriteAtv, and Batch, which runs many reads and writes with one submission.
//
// Reads and writes of a file not opened with O_DIRECT first try the page cache with one
// system call that never waits (driver.ReadAtCached, WriteAtCached), and go through the ring
// for what would wait; O_DIRECT files go through the ring. ARCHITECTURE.md has the
// measurements behind each choice.
//
// A File is safe for concurrent use. As in os, Read calls are serialised with each other, and
// Write calls with each other; ReadAt and WriteAt run in parallel. Close does not wait: it
// cancels the calls waiting on the file (a read of an empty pipe fails with os.ErrClosed, as
// in os), and the descriptor is closed when the last call in flight finishes, so its number is
// never reused under a call.
package file

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/uringo/uring"
	"github.com/uringo/uring/driver"
	"golang.org/x/sys/unix"
)

// File is an open file descriptor, like *os.File.
type File struct {
	d      *driver.Driver
	name   string
	fd     int
	owner  *os.File // an adopted *os.File: kept alive, and closed by Close
	append bool     // opened with O_APPEND by OpenFile: WriteAt is refused, as os does
	direct bool     // opened with O_DIRECT: reads and writes go straight to the ring

	// refs counts the operations using fd, plus closedBit once Close was called: the last
	// one out closes fd, so the number is never reused under an operation.
	refs    atomic.Int64
	cleanup runtime.Cleanup
	// seek is 0 until the first positioned operation asks, then seekable or stream. A ring
	// reads a pipe or socket at any offset, ignoring it; pread(2) refuses with ESPIPE, as
	// the positioned methods must.
	seek    atomic.Int32
	closeMu sync.Mutex // one close of fd at a time
	rmu     sync.Mutex // serialises Read, as os's read lock does
	wmu     sync.Mutex // serialises Write, as os's write lock does
}

const closedBit = int64(1) << 62

// maxRW is what os reads or writes in one system call (internal/poll's maxRW).
const maxRW = 1 << 30

// errClosing is returned by incref on a closed File; wrapErr turns it into os.ErrClosed.
var errClosing = errors.New("use of closed file")

// errWriteAtInAppendMode is os's error for WriteAt on a file opened with O_APPEND.
var errWriteAtInAppendMode = errors.New("os: invalid use of WriteAt on file opened with O_APPEND")

// atErr returns the error os gives a positioned read (write false) or write before any I/O:
// a nil File, a write to a file opened with O_APPEND, a negative offset.
func (f *File) atErr(write bool, off int64) error {
	switch {
	case f == nil:
		return os.ErrInvalid
	case write && f.append:
		return errWriteAtInAppendMode
	case off < 0 && write:
		return &fs.PathError{Op: "writeat", Path: f.name, Err: errors.New("negative offset")}
	case off < 0:
		return &fs.PathError{Op: "readat", Path: f.name, Err: errors.New("negative offset")}
	}
	return nil
}

// Open opens the named file for reading, as os.Open does.
func Open(name string) (*File, error) { return OpenFile(name, os.O_RDONLY, 0) }

// Create creates or truncates the named file, as os.Create does (mode 0666 before umask).
func Create(name string) (*File, error) {
	return OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens the named file with flag (os.O_RDONLY, os.O_CREATE, ...) and, for a file it
// creates, perm, as os.OpenFile does, through IORING_OP_OPENAT on the Default driver.
func OpenFile(name string, flag int, perm os.FileMode) (*File, error) {
	return OpenFileWith(driver.Default(), name, flag, perm)
}

// OpenFileWith is OpenFile on the Driver d.
func OpenFileWith(d *driver.Driver, name string, flag int, perm os.FileMode) (*File, error) {
	fd, err := d.Openat(context.Background(), unix.AT_FDCWD, name, flag|unix.O_CLOEXEC, syscallMode(perm))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f := newFile(d, fd, name)
	f.append = flag&os.O_APPEND != 0
	f.direct = flag&syscall.O_DIRECT != 0
	return f, nil
}

func newFile(d *driver.Driver, fd int, name string) *File {
	f := &File{d: d, fd: fd, name: name}
	// Like os's finalizer: a File dropped without Close does not leak its descriptor.
	f.cleanup = runtime.AddCleanup(f, func(fd int) { unix.Close(fd) }, fd)
	return f
}

// NewFile adopts an open *os.File: the File uses its descriptor, keeps it alive, and closes it
// on Close. Like os.File.Fd, it puts the descriptor in blocking mode. It returns nil for nil.
func NewFile(f *os.File) *File { return NewFileWith(driver.Default(), f) }

// NewFileWith is NewFile on the Driver d.
func NewFileWith(d *driver.Driver, f *os.File) *File {
	if f == nil {
		return nil
	}
	nf := &File{d: d, fd: int(f.Fd()), name: f.Name(), owner: f}
	fl, err := unix.FcntlInt(uintptr(nf.fd), unix.F_GETFL, 0)
	nf.direct = err != nil || fl&syscall.O_DIRECT != 0
	return nf
}

// syscallMode turns an os.FileMode into open(2)'s mode bits, as os does.
func syscallMode(m os.FileMode) uint32 {
	o := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		o |= unix.S_ISUID
	}
	if m&os.ModeSetgid != 0 {
		o |= unix.S_ISGID
	}
	if m&os.ModeSticky != 0 {
		o |= unix.S_ISVTX
	}
	return o
}

// Mode says whether the Default driver, which Open, Create and OpenFile use, runs on io_uring
// or on plain system calls, and why.
func Mode() driver.Mode { return driver.Default().Mode() }

// Driver returns the Driver the File's operations go through.
func (f *File) Driver() *driver.Driver { return f.d }

// Name returns the name the file was opened with, as os.File.Name does.
func (f *File) Name() string { return f.name }

// Fd returns the file descriptor, or ^uintptr(0) once the File is closed, as os.File.Fd does.
// It stays valid only while the File is neither closed nor collected.
func (f *File) Fd() uintptr {
	if f == nil || f.refs.Load()&closedBit != 0 {
		return ^uintptr(0)
	}
	return uintptr(f.fd)
}

const (
	seekable = 1
	stream   = 2
)

// positioned returns ESPIPE for a file that has no position (pipes, sockets, terminals), as
// pread(2) and pwrite(2) do. It asks lseek(2) once.
func (f *File) positioned() error {
	s := f.seek.Load()
	if s == 0 {
		s = seekable
		if _, err := unix.Seek(f.fd, 0, io.SeekCurrent); err == syscall.ESPIPE {
			s = stream
		}
		f.seek.Store(s)
	}
	if s == stream {
		return syscall.ESPIPE
	}
	return nil
}

// beginAt counts a positioned operation in, or returns errClosing, or ESPIPE for a file that
// has no position. The caller calls decref when it returns nil.
func (f *File) beginAt() error {
	if err := f.incref(); err != nil {
		return err
	}
	if err := f.positioned(); err != nil {
		f.decref()
		return err
	}
	return nil
}

// incref counts an operation in, or returns errClosing.
func (f *File) incref() error {
	for {
		old := f.refs.Load()
		if old&closedBit != 0 {
			return errClosing
		}
		if f.refs.CompareAndSwap(old, old+1) {
			return nil
		}
	}
}

// decref counts an operation out, closing the descriptor if it was the last after Close.
func (f *File) decref() {
	if f.refs.Add(-1) == closedBit {
		f.destroy()
	}
}

// destroy closes the descriptor.
func (f *File) destroy() error {
	f.closeMu.Lock()
	defer f.closeMu.Unlock()
	if f.owner != nil {
		return f.owner.Close()
	}
	f.cleanup.Stop()
	err := f.d.CloseFd(context.Background(), f.fd)
	if errors.Is(err, os.ErrClosed) { // the Driver was closed: the system call, then
		err = unix.Close(f.fd)
	}
	runtime.KeepAlive(f)
	return err
}

// Close closes the File, as os.File.Close does: later calls fail with an error matching
// os.ErrClosed, and so does a second Close. Operations in flight are cancelled in the kernel
// where they are waiting (a read of an empty pipe returns os.ErrClosed, as in os) or finish;
// the last one closes the descriptor.
func (f *File) Close() error {
	if f == nil {
		return os.ErrInvalid
	}
	for {
		old := f.refs.Load()
		if old&closedBit != 0 {
			return &fs.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
		}
		if f.refs.CompareAndSwap(old, old|closedBit) {
			if old != 0 {
				// Unblock the callers waiting on the file (a pipe read, say), as os does
				// for pollable files; the last one out closes it.
				f.d.CancelFd(f.fd)
				return nil
			}
			break
		}
	}
	if err := f.destroy(); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // from the adopted os.File
			return err
		}
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// wrapErr wraps an error of the system call behind op in a *fs.PathError, as os does.
func (f *File) wrapErr(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	if err == errClosing || (err == syscall.ECANCELED && f.refs.Load()&closedBit != 0) {
		err = os.ErrClosed // closed before or while the operation ran
	}
	return &fs.PathError{Op: op, Path: f.name, Err: err}
}

var bg = context.Background()

// Read reads up to len(b) bytes at the file position, as os.File.Read does: one read, io.EOF
// at the end of the file.
func (f *File) Read(b []byte) (int, error) {
	if f == nil {
		return 0, os.ErrInvalid
	}
	n, err := f.read(b)
	return n, f.wrapErr("read", err)
}

func (f *File) read(b []byte) (int, error) {
	if err := f.incref(); err != nil {
		return 0, err
	}
	defer f.decref()
	f.rmu.Lock()
	defer f.rmu.Unlock()
	if len(b) == 0 {
		return 0, nil
	}
	if len(b) > maxRW {
		b = b[:maxRW]
	}
	if f.direct {
		return eof(f.d.Read(bg, f.fd, b))
	}
	n, err := f.d.ReadCached(bg, f.fd, b)
	if err == nil && n > 0 && n < len(b) && f.positioned() == nil {
		// Only the start was cached. read(2) of a regular file returns all it can, and
		// os.File.Read with it: read the rest through the ring.
		m, err2 := f.d.Read(bg, f.fd, b[n:])
		if err2 == nil {
			n += m
		}
	}
	return eof(n, err)
}

// eof turns a zero-byte read into io.EOF, as os does.
func eof(n int, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// ReadAt reads len(b) bytes at offset off, as os.File.ReadAt does: it loops over short reads
// and returns io.EOF with the bytes read when the file ends first. Unless the file was opened
// with O_DIRECT, it reads what is in the page cache with one system call
// (driver.ReadAtCached) and goes through the ring for the rest.
func (f *File) ReadAt(b []byte, off int64) (n int, err error) { return f.at(b, off, false) }

// at is ReadAt (write false) or WriteAt: os's loop over pread or pwrite.
func (f *File) at(b []byte, off int64, write bool) (n int, err error) {
	if err := f.atErr(write, off); err != nil {
		return 0, err
	}
	for len(b) > 0 {
		var m int
		var e error
		if write {
			m, e = f.pwrite(b, off)
		} else {
			m, e = f.pread(b, off)
		}
		if e != nil {
			err = f.wrapErr(opName(write), e)
			break
		}
		n += m
		b = b[m:]
		off += int64(m)
	}
	return n, err
}

func (f *File) pread(b []byte, off int64) (int, error) {
	if err := f.beginAt(); err != nil {
		return 0, err
	}
	defer f.decref()
	if len(b) > maxRW {
		b = b[:maxRW]
	}
	if f.direct {
		return eof(f.d.ReadAt(bg, f.fd, b, off))
	}
	return eof(f.d.ReadAtCached(bg, f.fd, b, off))
}

// Write writes b at the file position (at the end with O_APPEND), as os.File.Write does: it
// loops until all of b is written or an error occurs, and returns io.ErrShortWrite if it
// wrote less without one.
func (f *File) Write(b []byte) (n int, err error) {
	if f == nil {
		return 0, os.ErrInvalid
	}
	n, e := f.write(b)
	if n < 0 {
		n = 0
	}
	if n != len(b) {
		err = io.ErrShortWrite
	}
	if e != nil {
		err = f.wrapErr("write", e)
	}
	return n, err
}

func (f *File) write(b []byte) (int, error) {
	if err := f.incref(); err != nil {
		return 0, err
	}
	defer f.decref()
	f.wmu.Lock()
	defer f.wmu.Unlock()
	if len(b) == 0 {
		// os writes zero bytes with a system call, which reports a descriptor not open
		// for writing; a ring refuses an empty buffer, so do as os does.
		for {
			_, err := unix.Write(f.fd, nil)
			if err != syscall.EINTR {
				return 0, err
			}
		}
	}
	write := f.d.WriteCached
	if f.direct {
		write = f.d.Write
	}
	return loopWrite(b, func(p []byte) (int, error) { return write(bg, f.fd, p) })
}

// loopWrite writes all of b with write, as internal/poll does: maxRW at a time, retrying
// short writes, stopping at an error or a write of nothing (io.ErrUnexpectedEOF).
func loopWrite(b []byte, write func(p []byte) (int, error)) (int, error) {
	nn := 0
	for {
		end := len(b)
		if end-nn > maxRW {
			end = nn + maxRW
		}
		n, err := write(b[nn:end])
		if n > 0 {
			nn += n
		}
		if nn == len(b) {
			return nn, err
		}
		if err != nil {
			return nn, err
		}
		if n == 0 {
			return nn, io.ErrUnexpectedEOF
		}
	}
}

// WriteString is Write of the bytes of s.
func (f *File) WriteString(s string) (int, error) { return f.Write([]byte(s)) }

// WriteAt writes b at offset off, as os.File.WriteAt does: it loops until all of b is written,
// and fails on a file opened with O_APPEND.
func (f *File) WriteAt(b []byte, off int64) (n int, err error) { return f.at(b, off, true) }

func (f *File) pwrite(b []byte, off int64) (int, error) {
	if err := f.beginAt(); err != nil {
		return 0, err
	}
	defer f.decref()
	write, pos := f.d.WriteAtCached, off
	if f.direct {
		write = f.d.WriteAt
	}
	return loopWrite(b, func(p []byte) (int, error) {
		n, err := write(bg, f.fd, p, pos)
		pos += int64(max(n, 0))
		return n, err
	})
}

// Seek sets the file position for the next Read or Write, as os.File.Seek does (lseek(2);
// io_uring has no seek).
func (f *File) Seek(offset int64, whence int) (int64, error) {
	if f == nil {
		return 0, os.ErrInvalid
	}
	if err := f.incref(); err != nil {
		return 0, f.wrapErr("seek", err)
	}
	defer f.decref()
	r, err := unix.Seek(f.fd, offset, whence)
	if err != nil {
		return 0, f.wrapErr("seek", err)
	}
	return r, nil
}

// Sync commits the file's contents and metadata to stable storage, as os.File.Sync does
// (fsync(2) through IORING_OP_FSYNC).
func (f *File) Sync() error {
	return f.simple("sync", func() error { return f.d.Fsync(bg, f.fd, false) })
}

// Datasync commits the file's contents and the metadata needed to read them back, as
// fdatasync(2) does (IORING_OP_FSYNC with IORING_FSYNC_DATASYNC). Its errors' Op is
// "datasync".
func (f *File) Datasync() error {
	return f.simple("datasync", func() error { return f.d.Fsync(bg, f.fd, true) })
}

// Truncate changes the size of the file, as os.File.Truncate does (IORING_OP_FTRUNCATE).
func (f *File) Truncate(size int64) error {
	return f.simple("truncate", func() error { return f.d.Ftruncate(bg, f.fd, size) })
}

// Allocate makes sure the disk space for [off, off+length) is allocated, growing the file if
// needed (fallocate(2) with mode 0, through IORING_OP_FALLOCATE). Its errors' Op is
// "fallocate".
func (f *File) Allocate(off, length int64) error { return f.fallocate(0, off, length) }

// PunchHole deallocates [off, off+length), which then reads as zeros; the size is kept
// (FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE).
func (f *File) PunchHole(off, length int64) error {
	return f.fallocate(uring.FallocPunchHole|uring.FallocKeepSize, off, length)
}

// ZeroRange makes [off, off+length) read as zeros, allocating it and growing the file if the
// range ends past it (FALLOC_FL_ZERO_RANGE).
func (f *File) ZeroRange(off, length int64) error {
	return f.fallocate(uring.FallocZeroRange, off, length)
}

func (f *File) fallocate(mode uint32, off, length int64) error {
	return f.simple("fallocate", func() error { return f.d.Fallocate(bg, f.fd, mode, off, length) })
}

// simple runs an operation that returns only an error, wrapped with op.
func (f *File) simple(op string, do func() error) error {
	if f == nil {
		return os.ErrInvalid
	}
	if err := f.incref(); err != nil {
		return f.wrapErr(op, err)
	}
	defer f.decref()
	return f.wrapErr(op, do())
}
