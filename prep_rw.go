package uring

import (
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = prepHelpers(OpRead, "PrepRead")
	_ = prepHelpers(OpWrite, "PrepWrite")
	_ = prepHelpers(OpReadv, "PrepReadv", "PrepReadv2")
	_ = prepHelpers(OpWritev, "PrepWritev", "PrepWritev2")
	_ = prepHelpers(OpFsync, "PrepFsync")
	_ = prepHelpers(OpFallocate, "PrepFallocate")
	_ = prepHelpers(OpSyncFileRange, "PrepSyncFileRange")
)

// Reads, writes, syncs and space allocation on files.

// CurrentPos as the offset of a read or write uses and advances the file position, as read(2)
// and write(2) do (needs IORING_FEAT_RW_CUR_POS, 5.6).
const CurrentPos int64 = -1

// RWFlags are the per-call flags of preadv2(2) and pwritev2(2) (RWF_*), for PrepReadv2 and
// PrepWritev2.
type RWFlags uint32

const (
	RWFHiPri  RWFlags = unix.RWF_HIPRI  // poll for completion (O_DIRECT on polled devices)
	RWFDsync  RWFlags = unix.RWF_DSYNC  // write as if O_DSYNC
	RWFSync   RWFlags = unix.RWF_SYNC   // write as if O_SYNC
	RWFNoWait RWFlags = unix.RWF_NOWAIT // fail with EAGAIN rather than block
	RWFAppend RWFlags = unix.RWF_APPEND // write at the end, as if O_APPEND
)

func iovecOf(b []byte) unix.Iovec {
	return unix.Iovec{Base: unsafe.SliceData(b), Len: uint64(len(b))}
}

// PrepRead prepares a read of up to len(buf) bytes from fd at offset into buf (IORING_OP_READ,
// 5.6; io_uring_prep_read, pread(2)). offset CurrentPos reads at the file position. The result
// is the number of bytes read, short at end of file or on pipes and sockets. buf is held by the
// Ring until the completion is reaped; it must not be empty.
func (r *Ring) PrepRead(fd int, buf []byte, offset int64) (SQE, error) {
	return r.prepBuf("PrepRead", abi.IORING_OP_READ, fd, buf, offset)
}

// PrepWrite prepares a write of buf to fd at offset (IORING_OP_WRITE, 5.6; io_uring_prep_write,
// pwrite(2)). offset CurrentPos writes at the file position (or the end, with O_APPEND). The
// result is the number of bytes written.
func (r *Ring) PrepWrite(fd int, buf []byte, offset int64) (SQE, error) {
	return r.prepBuf("PrepWrite", abi.IORING_OP_WRITE, fd, buf, offset)
}

func (r *Ring) prepBuf(method string, op uint8, fd int, buf []byte, offset int64) (SQE, error) {
	p, n, err := bufPtr(method, buf)
	if err != nil {
		return SQE{}, err
	}
	e, s, err := r.prep(method, op, fd, uint64(uintptr(p)), n, uint64(offset))
	if err != nil {
		return SQE{}, err
	}
	r.hold(e, p, nil)
	return s, nil
}

// PrepReadv prepares a vectored read into bufs from fd at offset (IORING_OP_READV, 5.1;
// io_uring_prep_readv, preadv(2)). The reference URingContext sends even single-buffer reads
// this way. The Ring builds the iovec array and holds it and every buffer until completion.
func (r *Ring) PrepReadv(fd int, bufs [][]byte, offset int64) (SQE, error) {
	return r.prepVec("PrepReadv", abi.IORING_OP_READV, fd, bufs, offset, 0)
}

// PrepReadv2 is PrepReadv with preadv2(2)'s per-call flags (io_uring_prep_readv2).
func (r *Ring) PrepReadv2(fd int, bufs [][]byte, offset int64, flags RWFlags) (SQE, error) {
	return r.prepVec("PrepReadv2", abi.IORING_OP_READV, fd, bufs, offset, flags)
}

// PrepWritev prepares a vectored write of bufs to fd at offset (IORING_OP_WRITEV, 5.1;
// io_uring_prep_writev, pwritev(2)).
func (r *Ring) PrepWritev(fd int, bufs [][]byte, offset int64) (SQE, error) {
	return r.prepVec("PrepWritev", abi.IORING_OP_WRITEV, fd, bufs, offset, 0)
}

// PrepWritev2 is PrepWritev with pwritev2(2)'s per-call flags (io_uring_prep_writev2).
func (r *Ring) PrepWritev2(fd int, bufs [][]byte, offset int64, flags RWFlags) (SQE, error) {
	return r.prepVec("PrepWritev2", abi.IORING_OP_WRITEV, fd, bufs, offset, flags)
}

func (r *Ring) prepVec(method string, op uint8, fd int, bufs [][]byte, offset int64, flags RWFlags) (SQE, error) {
	if len(bufs) == 0 {
		return SQE{}, invalid(method, "no buffers")
	}
	e, s, err := r.prep(method, op, fd, 0, 0, uint64(offset))
	if err != nil {
		return SQE{}, err
	}
	slot := r.hold(e, nil, nil)
	p, n, _ := r.iovecs(method, slot, bufs)
	e.Addr = uint64(uintptr(p))
	e.Len = n
	e.OpFlags = uint32(flags)
	return s, nil
}

// FsyncFlags modify PrepFsync.
type FsyncFlags uint32

// FsyncDatasync syncs the data and only the metadata needed to read it, as fdatasync(2)
// (IORING_FSYNC_DATASYNC, 5.1).
const FsyncDatasync FsyncFlags = abi.IORING_FSYNC_DATASYNC

// PrepFsync prepares an fsync(2) of fd, or with FsyncDatasync an fdatasync(2)
// (IORING_OP_FSYNC, 5.1; io_uring_prep_fsync). It orders nothing by itself against operations
// in flight: link it after the writes it must follow.
func (r *Ring) PrepFsync(fd int, flags FsyncFlags) (SQE, error) {
	e, s, err := r.prep("PrepFsync", abi.IORING_OP_FSYNC, fd, 0, 0, 0)
	if err == nil {
		e.OpFlags = uint32(flags)
	}
	return s, err
}

// Fallocate modes for PrepFallocate, as fallocate(2) takes them.
const (
	FallocKeepSize  = unix.FALLOC_FL_KEEP_SIZE  // allocate without changing the file size
	FallocPunchHole = unix.FALLOC_FL_PUNCH_HOLE // deallocate; needs FallocKeepSize
	FallocZeroRange = unix.FALLOC_FL_ZERO_RANGE // zero, allocating as needed
)

// PrepFallocate prepares fallocate(2) of fd over [offset, offset+length) in mode: 0 to allocate
// and extend, FallocPunchHole|FallocKeepSize to punch a hole, FallocZeroRange to zero
// (IORING_OP_FALLOCATE, 5.6; io_uring_prep_fallocate).
func (r *Ring) PrepFallocate(fd int, mode uint32, offset, length int64) (SQE, error) {
	// The kernel takes the length in addr and the mode in len.
	_, s, err := r.prep("PrepFallocate", abi.IORING_OP_FALLOCATE, fd, uint64(length), mode, uint64(offset))
	return s, err
}

// PrepSyncFileRange prepares sync_file_range(2) of fd over [offset, offset+n)
// (IORING_OP_SYNC_FILE_RANGE, 5.2; io_uring_prep_sync_file_range). flags are the
// SYNC_FILE_RANGE_* bits of golang.org/x/sys/unix.
func (r *Ring) PrepSyncFileRange(fd int, offset int64, n uint32, flags uint32) (SQE, error) {
	e, s, err := r.prep("PrepSyncFileRange", abi.IORING_OP_SYNC_FILE_RANGE, fd, 0, n, uint64(offset))
	if err == nil {
		e.OpFlags = flags
	}
	return s, err
}
