package main

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/uringo/uring"
	"golang.org/x/sys/unix"
)

// The data mover of uring cp: one Ring, reused for every file of a copy, with depth chunks in
// flight. Each chunk is a read into its own buffer followed, when the read completes, by a write
// of what it read at the same offset; the next chunk's read goes out as soon as a buffer is free,
// so reads and writes overlap, and the kernel has many of each at once. Reads carry IOSQE_ASYNC:
// a kernel worker then reads with the page cache's readahead as a blocking read(2) would, which
// measured faster than io_uring's own retry-on-unlocked-page path for uncached files, and
// spreads the two copies (page cache to buffer, buffer to page cache) over two cores for cached
// ones (BENCHMARKS.md). A large source that is mostly not in the page cache is read with
// O_DIRECT instead: the device's DMA fills the buffers, so the data is copied once, from the
// buffer into the destination's page cache, as copy_file_range(2) copies it, and many direct
// reads in flight keep the device busier than readahead does (BENCHMARKS.md). Only the data
// extents of the source are copied (SEEK_DATA/SEEK_HOLE), so holes stay holes.

// waitSlice bounds each wait for completions, so that an interrupt is seen even while an
// operation waits on a source that does not answer.
const waitSlice = 250 * time.Millisecond

// copier moves file data through a Ring.
type copier struct {
	ring   *uring.Ring
	chunk  int
	depth  int        // chunks in flight
	slots  []copySlot // enough for depth and directDepth
	mem    []byte
	free   func()
	async  bool // IOSQE_ASYNC on reads
	reads  int  // reads in flight at most
	splice bool // move chunks through pipes (IORING_OP_SPLICE) rather than buffers
	direct directMode
	// directChunk, directDepth and directReads are the chunk size, the chunks in flight and
	// the reads in flight at most of a copy with direct reads: fewer, larger chunks than
	// buffered reads want (BENCHMARKS.md).
	directChunk, directDepth, directReads int
}

// directMode says when the source is read with O_DIRECT.
type directMode int

const (
	directAuto directMode = iota // when at least directMin bytes and mostly not in the page cache
	directOn                     // whenever the file system allows it
	directOff                    // never
)

// directMin is the smallest source --direct=auto reads with O_DIRECT.
const directMin = 8 << 20

// The geometry of a copy with direct reads, unless --chunk or --inflight say otherwise.
const (
	directChunkDefault = 4 << 20
	directDepthDefault = 8
)

// copySlot is one chunk in flight: the range it covers, and how far it got.
type copySlot struct {
	buf     []byte
	pipe    [2]int // with splice: the pipe the chunk passes through instead of buf
	off     int64  // the chunk's start in both files
	n       int    // bytes to move
	got     int    // bytes read so far
	put     int    // bytes written so far
	writing bool   // the operation in flight is the write
	queued  bool   // an operation of the slot was queued while handling its last completion
}

// newCopier makes a copier of depth chunks of chunk bytes in flight, at most reads of them
// reads. Direct reads use directChunk and directDepth, all of them reads, when those are not
// 0, and the same geometry as buffered ones when they are.
func newCopier(chunk, depth, reads int, async, splice bool, direct directMode, directChunk, directDepth int) (*copier, error) {
	directReads := directDepth
	if directChunk == 0 {
		directChunk, directDepth, directReads = chunk, depth, reads
	}
	ring, err := uring.New(uint32(max(depth, directDepth)))
	if err != nil {
		return nil, err
	}
	c := &copier{ring: ring, chunk: chunk, depth: depth, slots: make([]copySlot, max(depth, directDepth)), async: async,
		reads: reads, splice: splice, direct: direct, directChunk: directChunk, directDepth: directDepth,
		directReads: directReads}
	if splice {
		c.free = func() {}
		for i := range c.slots {
			c.slots[i].pipe = [2]int{-1, -1}
		}
		for i := range c.slots {
			if err := c.slots[i].openPipe(chunk); err != nil {
				c.Close()
				return nil, err
			}
		}
		return c, nil
	}
	// Memory for either geometry; a copy touches only the part its geometry uses.
	mem, free, err := alignedBuf(max(chunk*depth, directChunk*directDepth))
	if err != nil {
		ring.Close()
		return nil, err
	}
	c.mem, c.free = mem, free
	return c, nil
}

// openPipe gives the slot a pipe that holds a whole chunk, so that one splice fills it.
func (s *copySlot) openPipe(chunk int) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	s.pipe = p
	if _, err := unix.FcntlInt(uintptr(p[0]), unix.F_SETPIPE_SZ, chunk); err != nil {
		return err
	}
	return nil
}

func (c *copier) Close() {
	c.ring.Close()
	for i := range c.slots {
		for _, fd := range c.slots[i].pipe {
			if fd > 0 {
				unix.Close(fd)
			}
		}
	}
	c.free()
}

// copyError says which side of a copy failed, for cp's messages.
type copyError struct {
	write bool
	err   error
}

func (e *copyError) Error() string { return e.err.Error() }
func (e *copyError) Unwrap() error { return e.err }

// extents walks the data of a file: SEEK_DATA finds the next byte of data, SEEK_HOLE the end of
// its extent. A file system without holes reports the whole file as one extent; a source that
// cannot seek (a pipe, a character device) is read to its end.
type extents struct {
	fd       int
	pos, end int64
	size     int64 // -1: read until a read returns 0
	done     bool
}

// next returns the next range of at most max bytes to copy.
func (x *extents) next(max int64) (off, n int64, ok bool) {
	if x.done {
		return 0, 0, false
	}
	if x.size < 0 { // a stream: until a read returns 0
		off = x.pos
		x.pos += max
		return off, max, true
	}
	if x.pos >= x.end {
		if x.pos >= x.size {
			x.done = true
			return 0, 0, false
		}
		data, err := unix.Seek(x.fd, x.pos, unix.SEEK_DATA)
		if err != nil {
			if errors.Is(err, unix.ENXIO) { // no data past pos: a hole to the end
				x.done = true
				return 0, 0, false
			}
			data = x.pos // no SEEK_DATA here: all of it is data
		}
		hole, err := unix.Seek(x.fd, data, unix.SEEK_HOLE)
		if err != nil {
			hole = x.size
		}
		x.pos, x.end = data, min(hole, x.size)
		if x.pos >= x.end {
			x.done = true
			return 0, 0, false
		}
	}
	off = x.pos
	n = min(max, x.end-x.pos)
	x.pos += n
	return off, n, true
}

// copyRun is the state of one file's copy.
type copyRun struct {
	c        *copier
	ifd, ofd int
	inPos    bool // the source cannot seek: read at its file position
	outPos   bool // the destination cannot seek: write at its file position
	x        extents
	eof      int64 // where the source ended early, or -1
	err      error // the first error; nothing new is started after it
	progress func(int64)
	idle     []int
	inflight int
	reading  int   // reads in flight
	reads    int   // reads in flight at most
	chunk    int   // bytes per chunk
	align    int64 // with O_DIRECT reads, the alignment they need; 0 without
}

// copy moves the data of in (size bytes, -1 for a stream read to its end) to out at the same
// offsets, skipping holes. It returns where the source's data ended (size, unless the source
// ended early), and a *copyError for a failed read or write. A short write is resumed, and one that writes nothing fails with ENOSPC, as write(2)
// would; a source that ends early (it shrank, or it is a stream) ends the copy there. progress,
// if not nil, is told of every write. If either file cannot seek (a pipe, a device), one chunk
// at a time is moved, in order.
func (c *copier) copy(ctx context.Context, in, out *os.File, size int64, seekable [2]bool, progress func(int64)) (int64, error) {
	r := &copyRun{c: c, ifd: int(in.Fd()), ofd: int(out.Fd()), inPos: !seekable[0], outPos: !seekable[1],
		eof: -1, progress: progress}
	r.x = extents{fd: r.ifd, size: size}
	if r.inPos {
		r.x.size = -1
	} else if r.align = c.directAlign(r.ifd, size); r.align == 0 {
		// As GNU cp does: a larger readahead window for a source read from start to end.
		unix.Fadvise(r.ifd, 0, 0, unix.FADV_SEQUENTIAL)
	}
	// This copy's chunks: buffered reads move depth chunks of chunk bytes, direct reads
	// directDepth of directChunk bytes, each slot's buffer cut from the same memory.
	depth := c.depth
	r.chunk, r.reads = c.chunk, c.reads
	if r.align > 0 {
		depth, r.chunk, r.reads = c.directDepth, c.directChunk, c.directReads
	}
	if !c.splice {
		for i := range depth {
			c.slots[i].buf = c.mem[i*r.chunk : (i+1)*r.chunk]
		}
	}
	if r.inPos || r.outPos {
		depth = 1
	}
	for i := depth - 1; i >= 0; i-- {
		r.idle = append(r.idle, i)
	}
	for {
		if err := ctx.Err(); err != nil && r.err == nil {
			r.err = err
		}
		for r.err == nil && len(r.idle) > 0 && r.reading < r.reads {
			off, n, ok := r.x.next(int64(r.chunk))
			if !ok || (r.eof >= 0 && off >= r.eof) {
				break
			}
			i := r.idle[len(r.idle)-1]
			r.idle = r.idle[:len(r.idle)-1]
			s := &c.slots[i]
			*s = copySlot{buf: s.buf, pipe: s.pipe, off: off, n: int(n)}
			if err := r.queue(s, i, false); err != nil {
				r.fail(err)
				r.idle = append(r.idle, i)
				break
			}
			r.inflight++
		}
		if r.inflight == 0 {
			break
		}
		if _, err := c.ring.SubmitAndWaitTimeout(1, waitSlice); err != nil {
			if errors.Is(err, syscall.ETIME) {
				if ctx.Err() != nil {
					// Interrupted while an operation waits on a source that may never
					// answer (a fifo, a stuck device): leave it to Close to cancel.
					return 0, ctx.Err()
				}
				continue
			}
			// The ring itself failed; Close cancels what is in flight.
			return 0, &copyError{err: err}
		}
		for cqe := range c.ring.Completions() {
			i := int(cqe.UserData)
			s := &c.slots[i]
			s.queued = false
			if !s.writing {
				r.reading--
			}
			r.fail(r.complete(s, i, int(cqe.Res), cqe.Err()))
			if !s.queued {
				r.inflight--
				r.idle = append(r.idle, i)
			}
		}
	}
	if r.eof >= 0 {
		return r.eof, r.err
	}
	return size, r.err
}

func (r *copyRun) fail(err error) {
	if err != nil && r.err == nil {
		r.err = err
	}
}

// complete handles the completion of slot i's operation, and queues what follows it.
func (r *copyRun) complete(s *copySlot, i, res int, err error) error {
	if !s.writing {
		switch {
		case err != nil:
			return &copyError{err: err}
		case res == 0: // the source ended before the chunk did
			if end := s.off + int64(s.got); r.eof < 0 || end < r.eof {
				r.eof = end
			}
			r.x.done = r.x.done || r.inPos
			s.n = s.got
		default:
			// A direct read asks for whole blocks: past the chunk only if the file grew.
			s.got += min(res, s.n-s.got)
		}
		if s.got > s.put {
			return r.queue(s, i, true)
		}
		return nil
	}
	switch {
	case err != nil:
		return &copyError{write: true, err: err}
	case res == 0:
		return &copyError{write: true, err: syscall.ENOSPC}
	}
	s.put += res
	if r.progress != nil {
		r.progress(int64(res))
	}
	switch {
	case s.put < s.got: // a short write: write the rest
		return r.queue(s, i, true)
	case s.got < s.n && r.err == nil: // a short read: read the rest of the chunk
		return r.queue(s, i, false)
	}
	return nil
}

// queue prepares slot i's next operation: the read of the rest of its chunk, or the write of
// what it has read and not yet written.
func (r *copyRun) queue(s *copySlot, i int, write bool) error {
	from, to, fd, atPos := s.got, s.n, r.ifd, r.inPos
	if write {
		from, to, fd, atPos = s.put, s.got, r.ofd, r.outPos
	}
	off := s.off + int64(from)
	if atPos {
		off = uring.CurrentPos
	}
	if !write && r.align > 0 {
		if off%r.align != 0 {
			// Resuming a short read mid-block: buffered reads from here on.
			setDirect(r.ifd, false)
			r.align = 0
		} else {
			// Whole blocks, the last one past the end of the file, where the read stops.
			to = min(from+int(alignUp(int64(to-from), r.align)), len(s.buf))
		}
	}
	var sqe uring.SQE
	var err error
	switch {
	case r.c.splice && write: // from the pipe, what is in it
		sqe, err = r.c.ring.PrepSplice(s.pipe[0], uring.CurrentPos, fd, off, uint32(to-from), uring.SpliceMove)
	case r.c.splice: // into the pipe, which holds a whole chunk
		sqe, err = r.c.ring.PrepSplice(fd, off, s.pipe[1], uring.CurrentPos, uint32(to-from), uring.SpliceMove)
	case write:
		sqe, err = r.c.ring.PrepWrite(fd, s.buf[from:to], off)
	default:
		sqe, err = r.c.ring.PrepRead(fd, s.buf[from:to], off)
	}
	if err != nil {
		return &copyError{write: write, err: err}
	}
	sqe.SetUserData(uint64(i))
	if !write {
		r.reading++
		if r.c.async && r.align == 0 {
			// Not for direct reads: the ring starts those itself without blocking, and
			// a kernel worker would only sit waiting for the device.
			sqe.SetFlags(uring.SQEAsync)
		}
	}
	s.writing, s.queued = write, true
	return nil
}

// directAlign decides whether to read the source fd (size bytes, seekable) with O_DIRECT, and
// if so sets O_DIRECT on it and returns the alignment of offsets and lengths its reads need
// (statx's STATX_DIOALIGN, 6.1). It returns 0 for buffered reads: --direct=false, splice, a
// file system without direct I/O, and with --direct=auto a small source, or one that is at
// least half in the page cache (cachestat(2), 6.5), which buffered reads copy faster.
func (c *copier) directAlign(fd int, size int64) int64 {
	if c.direct == directOff || c.splice || (c.direct == directAuto && size < directMin) {
		return 0
	}
	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_DIOALIGN, &stx); err != nil ||
		stx.Mask&unix.STATX_DIOALIGN == 0 || stx.Dio_offset_align == 0 {
		return 0
	}
	align := int64(stx.Dio_offset_align)
	page := int64(unix.Getpagesize())
	if int64(stx.Dio_mem_align) > page || int64(c.directChunk)%align != 0 {
		return 0 // the buffers are page-aligned, chunk bytes apart
	}
	if c.direct == directAuto {
		var cs unix.Cachestat_t
		if err := unix.Cachestat(uint(fd), &unix.CachestatRange{}, &cs, 0); err != nil {
			return 0
		}
		if pages := (size + page - 1) / page; int64(cs.Cache)*2 >= pages {
			return 0
		}
	}
	if setDirect(fd, true) != nil {
		return 0
	}
	return align
}

// setDirect sets or clears O_DIRECT on fd (fcntl F_SETFL).
func setDirect(fd int, on bool) error {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		fl |= unix.O_DIRECT
	} else {
		fl &^= unix.O_DIRECT
	}
	_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl)
	return err
}

// alignUp rounds n up to a multiple of align.
func alignUp(n, align int64) int64 { return (n + align - 1) / align * align }

// fsync syncs out's data and metadata through the ring (IORING_OP_FSYNC).
func (c *copier) fsync(out *os.File) error {
	sqe, err := c.ring.PrepFsync(int(out.Fd()), 0)
	if err != nil {
		return err
	}
	sqe.SetUserData(0)
	if _, err := c.ring.SubmitAndWait(1); err != nil {
		return err
	}
	for cqe := range c.ring.Completions() {
		if err := cqe.Err(); err != nil {
			return &copyError{write: true, err: err}
		}
	}
	return nil
}
