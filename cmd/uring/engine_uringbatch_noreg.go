//go:build !uringdriver

// TODO(merge): delete this file, and drop the build constraint of engine_uringbatch_reg.go,
// once Ring.RegisterFiles, RegisterBuffers, PrepReadFixed and PrepWriteFixed are on main.

package main

import (
	"fmt"

	"github.com/uringo/uring"
)

// registeredSupported says whether --fixedbufs and --registerfiles work in this build.
const registeredSupported = false

func checkRegistered(o *benchOptions) error {
	switch {
	case o.fixedbufs:
		return fmt.Errorf("--fixedbufs is not supported yet: the Ring has no registered buffers in this build")
	case o.registerfiles:
		return fmt.Errorf("--registerfiles is not supported yet: the Ring has no registered files in this build")
	}
	return nil
}

// batchIO is how a uring-batch job's SQEs name its file: plainly, in this build.
type batchIO struct{ fd int }

func registerBatch(ring *uring.Ring, o *benchOptions, fd int, bufs [][]byte) (batchIO, error) {
	return batchIO{fd: fd}, nil
}

// prep prepares the read or write of slot i's buffer buf at off.
func (b batchIO) prep(ring *uring.Ring, write bool, buf []byte, off int64, i int) (uring.SQE, error) {
	if write {
		return ring.PrepWrite(b.fd, buf, off)
	}
	return ring.PrepRead(b.fd, buf, off)
}
