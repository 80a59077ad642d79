package uring

import (
	"fmt"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var _ = registerHelpers(abi.IORING_REGISTER_RESIZE_RINGS, "ResizeRings")

// ResizeRings gives the ring new queues of sqEntries submissions and cqEntries completions
// (0: twice sqEntries), rounded up to powers of two, keeping everything in flight
// (IORING_REGISTER_RESIZE_RINGS, 6.13; io_uring_resize_rings). The kernel resizes only rings
// made WithDeferTaskrun, and fails with EINVAL for others; it fails with EOVERFLOW if the
// completions waiting do not fit the new CQ.
//
// Every prepared SQE must have been submitted first (an SQE handle points into the old queue):
// ResizeRings refuses with an ArgError otherwise. Completions already posted are moved aside
// by the Ring, so nothing is lost and the reaping methods return them as usual. The queues are
// mapped again (or, for a NO_MMAP ring, allocated again by the Ring); if that fails after the
// kernel has switched, the ring cannot be used and is closed.
func (r *Ring) ResizeRings(sqEntries, cqEntries uint32) error {
	const method = "ResizeRings"
	if r.closed {
		return ErrClosed
	}
	if sqEntries == 0 || sqEntries > abi.MaxEntries {
		return invalid(method, "%d SQ entries (1 to %d)", sqEntries, abi.MaxEntries)
	}
	if cqEntries != 0 && (cqEntries < sqEntries || cqEntries > abi.MaxCQEntries) {
		return invalid(method, "%d CQ entries (%d to %d)", cqEntries, sqEntries, abi.MaxCQEntries)
	}
	if n := r.sq.tail - r.sq.kernelHead(); n != 0 {
		return invalid(method, "%d prepared SQEs are not submitted yet", n)
	}
	r.stashCompletions()

	p := abi.Params{SQEntries: sqEntries, CQEntries: cqEntries}
	if cqEntries != 0 {
		p.Flags = abi.IORING_SETUP_CQSIZE
	}
	var fresh [][]byte // the memory of a NO_MMAP ring's new queues
	noMmap := r.flags&SetupNoMmap != 0
	if noMmap {
		// The kernel lays the new rings out with the ring's own flags (SQE128, CQE32, ...).
		lp := p
		lp.Flags |= r.params.Flags
		sqesSize, ringsSize := ringSizes(sqEntries, &lp)
		for _, size := range []uintptr{sqesSize, ringsSize} {
			b, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
			if err != nil {
				unmapAll(fresh)
				return err
			}
			fresh = append(fresh, b)
		}
		p.SQOff.UserAddr = uint64(uintptr(unsafe.Pointer(&fresh[0][0])))
		p.CQOff.UserAddr = uint64(uintptr(unsafe.Pointer(&fresh[1][0])))
	}
	if _, err := r.register("IORING_REGISTER_RESIZE_RINGS", abi.IORING_REGISTER_RESIZE_RINGS, unsafe.Pointer(&p), 1); err != nil {
		unmapAll(fresh)
		return err
	}

	// The kernel now uses the new queues, with the same head and tail counters.
	old := r.regions
	r.regions = nil
	r.params.SQEntries, r.params.CQEntries = p.SQEntries, p.CQEntries
	r.params.SQOff, r.params.CQOff = p.SQOff, p.CQOff
	if noMmap {
		r.regions = fresh
		r.placeRings(&r.params, fresh[0], fresh[1])
	} else if err := r.mapRings(); err != nil {
		r.regions = old
		r.Close()
		return fmt.Errorf("uring: %s: mapping the resized rings: %w; the ring is closed", method, err)
	}
	unmapAll(old)
	r.initQueues()
	return nil
}
