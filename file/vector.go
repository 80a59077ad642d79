package file

import (
	"io"
)

// ReadAtv reads into bufs, in order, from offset off (preadv(2) through IORING_OP_READV),
// with ReadAt's rules: it loops until every buffer is full, and returns io.EOF with the bytes
// read when the file ends first.
func (f *File) ReadAtv(bufs [][]byte, off int64) (n int, err error) {
	return f.vectored(bufs, off, false)
}

// WriteAtv writes bufs, in order, at offset off (pwritev(2) through IORING_OP_WRITEV), with
// WriteAt's rules: it loops until everything is written, and fails on a file opened with
// O_APPEND.
func (f *File) WriteAtv(bufs [][]byte, off int64) (n int, err error) {
	return f.vectored(bufs, off, true)
}

func (f *File) vectored(bufs [][]byte, off int64, write bool) (n int, err error) {
	if err := f.atErr(write, off); err != nil {
		return 0, err
	}
	bufs = trim(append([][]byte(nil), bufs...), 0)
	for len(bufs) > 0 {
		m, e := f.vector(bufs, off, write)
		if e == nil && m == 0 && write {
			e = io.ErrUnexpectedEOF
		}
		if e != nil {
			err = f.wrapErr(opName(write), e)
			break
		}
		n += m
		off += int64(m)
		bufs = trim(bufs, m)
	}
	return n, err
}

// vector does one vectored read or write of at most 1024 buffers (UIO_MAXIOV).
func (f *File) vector(bufs [][]byte, off int64, write bool) (int, error) {
	if err := f.beginAt(); err != nil {
		return 0, err
	}
	defer f.decref()
	bufs = bufs[:min(len(bufs), 1024)]
	if write {
		return f.d.WritevAt(bg, f.fd, bufs, off)
	}
	return eof(f.d.ReadvAt(bg, f.fd, bufs, off))
}

// trim drops the first n bytes of bufs, and the buffers left empty, in place.
func trim(bufs [][]byte, n int) [][]byte {
	out := bufs[:0]
	for _, b := range bufs {
		if n >= len(b) {
			n -= len(b)
			continue
		}
		out = append(out, b[n:])
		n = 0
	}
	return out
}
