package file

import (
	"io"
	"os"

	"github.com/uringo/uring/driver"
)

// IO is one read or write of a Batch: like ReadAt (Write false) or WriteAt (Write true) of Buf
// at Off. N and Err are its result, as ReadAt or WriteAt would return them.
type IO struct {
	Write bool   // write Buf instead of reading into it
	Buf   []byte // the data, or room for it
	Off   int64  // the offset in the file
	N     int    // bytes moved
	Err   error  // nil, io.EOF (a read that reached the end), or a *fs.PathError
}

// Batch runs every read and write of ios, submitting them together (one io_uring_enter for as
// many as a ring has room for, then again for whatever completed short), and returns when all
// are done. Each IO ends as ReadAt or WriteAt of it would have: complete, or with io.EOF or a
// *fs.PathError in Err. Batch's own error is the first IO's error other than io.EOF, or nil.
// The IOs run in no particular order: do not overlap a write with another IO of the batch.
func (f *File) Batch(ios []IO) error {
	if f == nil {
		return os.ErrInvalid
	}
	ops := make([]driver.Op, 0, len(ios))
	idx := make([]int, 0, len(ios))
	for i := range ios {
		x := &ios[i]
		x.N, x.Err = 0, f.atErr(x.Write, x.Off)
		if x.Err == nil && len(x.Buf) > 0 {
			ops = append(ops, driver.Op{Write: x.Write, Fd: f.fd, Buf: x.Buf[:min(len(x.Buf), maxRW)], Off: x.Off})
			idx = append(idx, i)
		}
	}
	if err := f.beginAt(); err != nil {
		for _, i := range idx {
			ios[i].Err = f.wrapErr(opName(ios[i].Write), err)
		}
		return firstErr(ios)
	}
	defer f.decref()
	for len(ops) > 0 {
		f.d.Batch(bg, ops) // each op carries its result, and the reason the batch stopped
		more, moreIdx := ops[:0], idx[:0]
		for k, op := range ops {
			x := &ios[idx[k]]
			switch {
			case op.Err != nil:
				x.Err = f.wrapErr(opName(x.Write), op.Err)
				continue
			case op.N == 0 && x.Write:
				x.Err = f.wrapErr("write", io.ErrUnexpectedEOF)
				continue
			case op.N == 0:
				x.Err = io.EOF
				continue
			}
			x.N += op.N
			if x.N < len(x.Buf) { // short: the rest in the next round
				end := min(len(x.Buf), x.N+maxRW)
				more = append(more, driver.Op{Write: x.Write, Fd: f.fd, Buf: x.Buf[x.N:end], Off: x.Off + int64(x.N)})
				moreIdx = append(moreIdx, idx[k])
			}
		}
		ops, idx = more, moreIdx
	}
	return firstErr(ios)
}

func opName(write bool) string {
	if write {
		return "write"
	}
	return "read"
}

func firstErr(ios []IO) error {
	for _, x := range ios {
		if x.Err != nil && x.Err != io.EOF {
			return x.Err
		}
	}
	return nil
}
