package driver

import (
	"context"
	"math"
	"strings"
	"syscall"
	"unsafe"

	"github.com/uringo/uring"
	"golang.org/x/sys/unix"
)

// The operations. Each takes a context: a context already ended returns its error without
// submitting anything; one that ends while the operation is in the kernel cancels it there
// (IORING_OP_ASYNC_CANCEL) and returns the context's error once the kernel has completed the
// operation, unless it completed successfully first, in which case its result is returned.
// Results are the kernel's, as the system call gives them: short counts are not retried, and
// errors are syscall.Errno. A closed Driver returns an error matching os.ErrClosed.

type opKind uint8

const (
	opRead opKind = iota
	opWrite
	opReadv
	opWritev
	opFsync
	opFallocate
	opFtruncate
	opStatx
	opOpenat
	opClose
)

// opArgs describes one operation, for the ring (prep) and for the system call (syscall).
type opArgs struct {
	kind  opKind
	fd    int
	buf   []byte
	bufs  [][]byte
	off   int64  // offset, or uring.CurrentPos for the file position
	n     int64  // fallocate's length, ftruncate's size
	flags uint32 // fsync's, fallocate's mode, openat's, statx's
	mode  uint32 // openat's mode, statx's mask
	path  string
	stat  *unix.Statx_t
}

// ReadAt reads up to len(p) bytes from fd at offset off, as pread(2) does (IORING_OP_READ).
// It returns 0, nil for an empty p and EINVAL for a negative offset. Unlike pread, which
// fails with ESPIPE, a ring reads a pipe or socket at any offset, ignoring it.
func (d *Driver) ReadAt(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	return d.rw(ctx, opRead, fd, p, off)
}

// ReadAtCached is ReadAt for a file whose data is likely in the page cache. It first reads with
// preadv2(2) and RWF_NOWAIT, which copies what is cached and fails with EAGAIN rather than
// wait for the device, and submits to a ring only when that fails: a cached read then costs
// one system call, less than an io_uring_enter for one read (about 0.9x os.File's IOPS
// instead of 0.65x on the development machine; see ARCHITECTURE.md). Reads of what is not
// cached go to the ring as with ReadAt, and may return a short count where only the start of
// p was cached.
//
// Never use it on a file opened with O_DIRECT: there RWF_NOWAIT does not avoid the wait for
// the device, and the call would hold its thread for the whole read, as pread does.
func (d *Driver) ReadAtCached(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	return d.readCached(ctx, fd, p, off)
}

// ReadCached is Read (at the file position) with ReadAtCached's first try; on a pipe or a
// socket that try reads what is buffered, and the ring waits for the rest. The same rule
// about O_DIRECT applies.
func (d *Driver) ReadCached(ctx context.Context, fd int, p []byte) (int, error) {
	return d.readCached(ctx, fd, p, uring.CurrentPos)
}

// WriteAtCached is WriteAt for a file not opened with O_DIRECT. It first writes with
// pwritev2(2) and RWF_NOWAIT, which copies into the page cache what can be copied without
// waiting, and submits to a ring only when that would wait (EAGAIN). Where the file system
// cannot take buffered writes without blocking at all (EOPNOTSUPP: ext4, for one), io_uring
// hands every such write to a kernel worker thread, about ten times the cost of pwrite on the
// development machine (27 us against 2.5 us), so WriteAtCached makes the pwrite(2) system call
// itself, as os.File does. The same rule about O_DIRECT as for ReadAtCached applies.
func (d *Driver) WriteAtCached(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	return d.writeCached(ctx, fd, p, off)
}

// WriteCached is Write (at the file position, or the end with O_APPEND) with WriteAtCached's
// first try. On a full pipe or socket the ring waits for room.
func (d *Driver) WriteCached(ctx context.Context, fd int, p []byte) (int, error) {
	return d.writeCached(ctx, fd, p, uring.CurrentPos)
}

func (d *Driver) readCached(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	if d.tryCached(ctx, fd, p) {
		// preadv2 takes -1 as "at the file position", as the ring does.
		n, err := rwNoWait(unix.SYS_PREADV2, fd, p, off)
		switch err {
		case nil:
			return n, nil
		case syscall.EAGAIN, syscall.EOPNOTSUPP, syscall.EINTR: // the ring, then
		default:
			return 0, err
		}
	}
	return d.rw(ctx, opRead, fd, p, off)
}

func (d *Driver) writeCached(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	if d.tryCached(ctx, fd, p) {
		n, err := rwNoWait(unix.SYS_PWRITEV2, fd, p, off)
		switch err {
		case nil:
			return n, nil
		case syscall.EOPNOTSUPP: // no buffered write without blocking: the plain call
			a := opArgs{kind: opWrite, fd: fd, buf: p, off: off}
			return a.syscall()
		case syscall.EAGAIN, syscall.EINTR: // the ring, then
		default:
			return 0, err
		}
	}
	return d.rw(ctx, opWrite, fd, p, off)
}

// rawNoWaitMax is the largest transfer rwNoWait makes without the scheduler's bookkeeping.
const rawNoWaitMax = 64 << 10

// rwNoWait is preadv2(2) or pwritev2(2) (trap) of one buffer with RWF_NOWAIT: it moves what it
// can without waiting for the device and fails with EAGAIN otherwise. Since it cannot wait, a
// transfer of up to rawNoWaitMax bytes goes through RawSyscall6, as io_uring submissions do
// (abi.EnterNoWait), saving the scheduler's entersyscall/exitsyscall; a larger copy may run
// long, and goes through Syscall6. The iovec lives on the stack for the length of the call, as
// unix.Preadv2 would put it on the heap, once per call.
func rwNoWait(trap uintptr, fd int, p []byte, off int64) (int, error) {
	iov := unix.Iovec{Base: unsafe.SliceData(p), Len: uint64(len(p))}
	var n uintptr
	var errno syscall.Errno
	if len(p) <= rawNoWaitMax {
		n, _, errno = unix.RawSyscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1, uintptr(off), uintptr(off>>32), unix.RWF_NOWAIT)
	} else {
		n, _, errno = unix.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1, uintptr(off), uintptr(off>>32), unix.RWF_NOWAIT)
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// tryCached says whether a call may try the page cache with a system call first: it has bytes
// to move, the Driver is open and on io_uring, the fd is plausible, and ctx has not ended.
func (d *Driver) tryCached(ctx context.Context, fd int, p []byte) bool {
	return len(p) > 0 && len(d.shards) > 0 && fd >= 0 && !d.closed.Load() && (ctx == nil || ctx.Err() == nil)
}

// WriteAt writes p to fd at offset off, as pwrite(2) does (IORING_OP_WRITE).
func (d *Driver) WriteAt(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	return d.rw(ctx, opWrite, fd, p, off)
}

// Read reads up to len(p) bytes from fd at its file position and advances it, as read(2) does
// (IORING_OP_READ at offset -1): for pipes, sockets, terminals, and files read in sequence.
func (d *Driver) Read(ctx context.Context, fd int, p []byte) (int, error) {
	return d.rw(ctx, opRead, fd, p, uring.CurrentPos)
}

// Write writes p to fd at its file position (at the end with O_APPEND), as write(2) does
// (IORING_OP_WRITE at offset -1).
func (d *Driver) Write(ctx context.Context, fd int, p []byte) (int, error) {
	return d.rw(ctx, opWrite, fd, p, uring.CurrentPos)
}

func (d *Driver) rw(ctx context.Context, kind opKind, fd int, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		if err := d.check(ctx, fd); err != nil {
			return 0, err
		}
		return 0, nil
	}
	return d.run(ctx, &opArgs{kind: kind, fd: fd, buf: p, off: off})
}

// ReadvAt reads into bufs in order from fd at offset off, as preadv(2) does (IORING_OP_READV).
func (d *Driver) ReadvAt(ctx context.Context, fd int, bufs [][]byte, off int64) (int, error) {
	return d.rwv(ctx, opReadv, fd, bufs, off)
}

// WritevAt writes bufs in order to fd at offset off, as pwritev(2) does (IORING_OP_WRITEV).
func (d *Driver) WritevAt(ctx context.Context, fd int, bufs [][]byte, off int64) (int, error) {
	return d.rwv(ctx, opWritev, fd, bufs, off)
}

func (d *Driver) rwv(ctx context.Context, kind opKind, fd int, bufs [][]byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if len(bufs) > 1024 { // UIO_MAXIOV
		return 0, syscall.EINVAL
	}
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if total == 0 {
		if err := d.check(ctx, fd); err != nil {
			return 0, err
		}
		return 0, nil
	}
	return d.run(ctx, &opArgs{kind: kind, fd: fd, bufs: bufs, off: off})
}

// Fsync flushes fd's data and metadata to its device, as fsync(2) does, or with datasync only
// what reading the data back needs, as fdatasync(2) does (IORING_OP_FSYNC).
func (d *Driver) Fsync(ctx context.Context, fd int, datasync bool) error {
	a := opArgs{kind: opFsync, fd: fd}
	if datasync {
		a.flags = uint32(uring.FsyncDatasync)
	}
	_, err := d.run(ctx, &a)
	return err
}

// Fallocate allocates, deallocates or zeroes fd's space over [off, off+length), as
// fallocate(2) does with mode (uring.FallocKeepSize, FallocPunchHole, FallocZeroRange)
// (IORING_OP_FALLOCATE).
func (d *Driver) Fallocate(ctx context.Context, fd int, mode uint32, off, length int64) error {
	_, err := d.run(ctx, &opArgs{kind: opFallocate, fd: fd, flags: mode, off: off, n: length})
	return err
}

// Ftruncate sets fd's size, as ftruncate(2) does (IORING_OP_FTRUNCATE, 6.9; the system call
// on older kernels).
func (d *Driver) Ftruncate(ctx context.Context, fd int, size int64) error {
	_, err := d.run(ctx, &opArgs{kind: opFtruncate, fd: fd, n: size})
	return err
}

// Statx fills st with the status of path relative to dirfd, as statx(2) does; with path ""
// and unix.AT_EMPTY_PATH in flags, of dirfd itself (IORING_OP_STATX).
func (d *Driver) Statx(ctx context.Context, dirfd int, path string, flags int, mask uint32, st *unix.Statx_t) error {
	if st == nil {
		return syscall.EFAULT
	}
	_, err := d.run(ctx, &opArgs{kind: opStatx, fd: dirfd, path: path, flags: uint32(flags), mode: mask, stat: st})
	return err
}

// Openat opens path relative to dirfd (unix.AT_FDCWD: the working directory) with flags and
// mode, as openat(2) does, and returns the new fd (IORING_OP_OPENAT). Add unix.O_CLOEXEC to
// flags as os.OpenFile does; the Driver adds nothing. An Openat whose context ends after the
// kernel opened the file returns the fd, never leaks it.
func (d *Driver) Openat(ctx context.Context, dirfd int, path string, flags int, mode uint32) (int, error) {
	fd, err := d.run(ctx, &opArgs{kind: opOpenat, fd: dirfd, path: path, flags: uint32(flags), mode: mode})
	if err != nil {
		return -1, err
	}
	return fd, nil
}

// CloseFd closes fd, as close(2) does (IORING_OP_CLOSE). As with close(2), the fd is gone even
// when an error is returned. The caller must make sure no operation on fd is in flight.
func (d *Driver) CloseFd(ctx context.Context, fd int) error {
	_, err := d.run(ctx, &opArgs{kind: opClose, fd: fd})
	return err
}

// CancelFd asks the kernel to cancel every operation on fd that is in flight
// (IORING_OP_ASYNC_CANCEL with IORING_ASYNC_CANCEL_FD|ALL, 5.19), and returns without waiting:
// those calls return ECANCELED, or their result if they completed first. Reads of pipes and
// sockets that wait for data are cancelled; file I/O that is under way may not be. A closer
// uses it to unblock the callers of an fd before closing it, as os.File.Close does for pipes.
func (d *Driver) CancelFd(fd int) {
	if d.closed.Load() || fd < 0 || fd > math.MaxInt32 {
		return
	}
	for _, s := range d.shards {
		s.cancelFd(fd)
	}
}

// Op is one read or write of a Batch. N and Err are its result.
type Op struct {
	Write bool   // write Buf instead of reading into it
	Fd    int    // the file
	Buf   []byte // the data, or room for it
	Off   int64  // the offset in the file, at least 0
	N     int    // bytes moved, as the kernel gave them (short counts are not retried)
	Err   error  // nil, a syscall.Errno, or the reason the batch stopped
}

// Batch runs every operation of ops, submitting them together (one io_uring_enter for as many
// as the ring has room for), and returns when all have completed. Each Op's N and Err hold its
// result. The error is non-nil only when the batch could not run to the end: the context
// ended (ops it cancelled report the context's error) or the Driver was closed.
func (d *Driver) Batch(ctx context.Context, ops []Op) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if d.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(d.shards) == 0 {
		for i := range ops {
			if err := ctx.Err(); err != nil {
				setErr(ops[i:], err)
				return err
			}
			ops[i].syscall()
		}
		return nil
	}
	return d.batch(ctx, ops)
}

func setErr(ops []Op, err error) {
	for i := range ops {
		ops[i].N, ops[i].Err = 0, err
	}
}

// check returns the error of an Op refused before it reaches the kernel, or that it has
// nothing to do (an empty buffer: 0, nil); skip says whether it is either.
func (op *Op) check() (err error, skip bool) {
	switch {
	case op.Off < 0:
		return syscall.EINVAL, true
	case op.Fd < 0 || op.Fd != int(int32(op.Fd)):
		return syscall.EBADF, true
	case len(op.Buf) == 0:
		return nil, true
	}
	return nil, false
}

// syscall does op with a system call.
func (op *Op) syscall() {
	if err, skip := op.check(); skip {
		op.N, op.Err = 0, err
		return
	}
	op.N, op.Err = batchArgs(op).syscall()
}

func batchArgs(op *Op) *opArgs {
	a := &opArgs{kind: opRead, fd: op.Fd, buf: op.Buf, off: op.Off}
	if op.Write {
		a.kind = opWrite
	}
	return a
}

// check returns why an operation on fd cannot start: the Driver is closed, ctx has ended, or
// fd is not a descriptor at all.
func (d *Driver) check(ctx context.Context, fd int) error {
	if d.closed.Load() {
		return ErrClosed
	}
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if fd < 0 || fd > math.MaxInt32 {
		return syscall.EBADF
	}
	return nil
}

// run does one operation on the calling goroutine's ring, or with a system call.
func (d *Driver) run(ctx context.Context, a *opArgs) (int, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if d.closed.Load() {
		return 0, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if a.fd != int(int32(a.fd)) || (a.fd < 0 && !(a.fd == unix.AT_FDCWD && (a.kind == opOpenat || a.kind == opStatx))) {
		return 0, syscall.EBADF
	}
	if (a.kind == opOpenat || a.kind == opStatx) && strings.IndexByte(a.path, 0) >= 0 {
		return 0, syscall.EINVAL // as unix.Openat and unix.Statx say
	}
	if len(d.shards) == 0 {
		return a.syscall()
	}
	return d.do(ctx, a)
}

// prep prepares the operation's entry on r.
func (a *opArgs) prep(r *uring.Ring) (uring.SQE, error) {
	switch a.kind {
	case opRead:
		return r.PrepRead(a.fd, a.buf, a.off)
	case opWrite:
		return r.PrepWrite(a.fd, a.buf, a.off)
	case opReadv:
		return r.PrepReadv(a.fd, a.bufs, a.off)
	case opWritev:
		return r.PrepWritev(a.fd, a.bufs, a.off)
	case opFsync:
		return r.PrepFsync(a.fd, uring.FsyncFlags(a.flags))
	case opFallocate:
		return r.PrepFallocate(a.fd, a.flags, a.off, a.n)
	case opFtruncate:
		return r.PrepFtruncate(a.fd, a.n)
	case opStatx:
		return r.PrepStatx(a.fd, a.path, int(a.flags), a.mode, a.stat)
	case opOpenat:
		return r.PrepOpenat(a.fd, a.path, int(a.flags), a.mode)
	case opClose:
		return r.PrepClose(a.fd)
	}
	return uring.SQE{}, syscall.ENOSYS
}

// syscall does the operation with plain system calls, retrying after EINTR (except close,
// which must never be retried).
func (a *opArgs) syscall() (int, error) {
	for {
		n, err := a.syscallOnce()
		if err == nil {
			return n, nil
		}
		if err != syscall.EINTR || a.kind == opClose {
			return 0, err
		}
	}
}

func (a *opArgs) syscallOnce() (int, error) {
	switch a.kind {
	case opRead:
		if a.off == uring.CurrentPos {
			return unix.Read(a.fd, a.buf)
		}
		return unix.Pread(a.fd, a.buf, a.off)
	case opWrite:
		if a.off == uring.CurrentPos {
			return unix.Write(a.fd, a.buf)
		}
		return unix.Pwrite(a.fd, a.buf, a.off)
	case opReadv:
		return unix.Preadv(a.fd, a.bufs, a.off)
	case opWritev:
		return unix.Pwritev(a.fd, a.bufs, a.off)
	case opFsync:
		if a.flags&uint32(uring.FsyncDatasync) != 0 {
			return 0, unix.Fdatasync(a.fd)
		}
		return 0, unix.Fsync(a.fd)
	case opFallocate:
		return 0, unix.Fallocate(a.fd, a.flags, a.off, a.n)
	case opFtruncate:
		return 0, unix.Ftruncate(a.fd, a.n)
	case opStatx:
		return 0, unix.Statx(a.fd, a.path, int(a.flags), int(a.mode), a.stat)
	case opOpenat:
		return unix.Openat(a.fd, a.path, int(a.flags), a.mode)
	case opClose:
		return 0, unix.Close(a.fd)
	}
	return 0, syscall.ENOSYS
}
