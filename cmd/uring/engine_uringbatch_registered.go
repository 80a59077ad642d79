package main

import "github.com/uringo/uring"

// batchIO is how a uring-batch job's SQEs name its file and buffers: plainly, or with
// --registerfiles as index 0 of the ring's file table (IOSQE_FIXED_FILE), and with --fixedbufs
// each slot's buffer as the registered buffer of the same index (READ_FIXED, WRITE_FIXED), as
// the C anchor's "fixed" mode does.
type batchIO struct {
	fd        int
	fixedFile bool
	fixedBufs bool
}

// registerBatch registers what the options ask for with the job's ring.
func registerBatch(ring *uring.Ring, o *benchOptions, fd int, bufs [][]byte) (batchIO, error) {
	b := batchIO{fd: fd}
	if o.registerfiles && fd >= 0 {
		if err := ring.RegisterFiles([]int{fd}); err != nil {
			return b, err
		}
		b.fd, b.fixedFile = 0, true
	}
	if o.fixedbufs && o.rwKind != rwNop {
		if err := ring.RegisterBuffers(bufs); err != nil {
			return b, err
		}
		b.fixedBufs = true
	}
	return b, nil
}

// prep prepares the read or write of slot i's buffer buf at off.
func (b batchIO) prep(ring *uring.Ring, write bool, buf []byte, off int64, i int) (uring.SQE, error) {
	var sqe uring.SQE
	var err error
	switch {
	case b.fixedBufs && write:
		sqe, err = ring.PrepWriteFixed(b.fd, buf, off, i)
	case b.fixedBufs:
		sqe, err = ring.PrepReadFixed(b.fd, buf, off, i)
	case write:
		sqe, err = ring.PrepWrite(b.fd, buf, off)
	default:
		sqe, err = ring.PrepRead(b.fd, buf, off)
	}
	if err == nil && b.fixedFile {
		sqe.SetFlags(uring.SQEFixedFile)
	}
	return sqe, err
}
