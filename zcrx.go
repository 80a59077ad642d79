package uring

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = registerHelpers(abi.IORING_REGISTER_ZCRX_IFQ, "RegisterZcrxIfq")
	_ = prepHelpers(OpRecvZC, "PrepRecvZC")
)

// Zero-copy receive (zcrx, 6.15): a NIC receive queue delivers packet payloads straight into
// an area of the application's memory, and RECV_ZC completions say where.
//
// It needs what loopback and virtual devices do not have: a NIC whose driver supports header/
// data split and memory providers on a receive queue, flow steering that sends the connection
// to that queue, CAP_NET_ADMIN, and a Ring made WithDeferTaskrun and WithCQE32 (or
// WithCQEMixed), because each completion carries a struct io_uring_zcrx_cqe in its second
// half. This package registers the queue and prepares the receive. Reading the data
// (CQE.Big.Word0 holds the offset into the area) and handing buffers back through the refill
// queue (the ring at ZcrxIfq's region) are not implemented: no machine this package is tested
// on has such a NIC.

// ZcrxIfq is a network receive queue registered for zero-copy receive, with its data area
// and refill queue, both held outside the Go heap until the Ring is closed.
type ZcrxIfq struct {
	id      uint32
	area    []byte
	region  []byte
	offsets abi.ZcrxOffsets
}

// ID returns the queue's id, for PrepRecvZC.
func (q *ZcrxIfq) ID() uint32 { return q.id }

// RegisterZcrxIfq registers receive queue rxq of the network interface with index ifindex for
// zero-copy receive, with a data area of areaSize bytes (rounded up to pages) and a refill
// queue of rqEntries entries (rounded up to a power of two, at most 32768)
// (IORING_REGISTER_ZCRX_IFQ, 6.15; io_uring_register_ifq). See above for what it needs; the
// kernel answers EPERM without CAP_NET_ADMIN, ENODEV for an unknown interface, and EOPNOTSUPP
// for a device without the support (loopback, veth, most virtual NICs).
func (r *Ring) RegisterZcrxIfq(ifindex, rxq int, rqEntries uint32, areaSize int) (*ZcrxIfq, error) {
	const method = "RegisterZcrxIfq"
	page := os.Getpagesize()
	switch {
	case r.closed:
		return nil, ErrClosed
	case r.flags&SetupDeferTaskrun == 0 || r.flags&(SetupCQE32|SetupCQEMixed) == 0:
		return nil, invalid(method, "zero-copy receive needs a Ring made WithDeferTaskrun and WithCQE32 or WithCQEMixed")
	case ifindex <= 0 || ifindex != int(int32(ifindex)) || rxq < 0 || rxq != int(int32(rxq)):
		return nil, invalid(method, "interface index %d or queue %d out of range", ifindex, rxq)
	case rqEntries == 0 || rqEntries > maxBufRingEntries:
		return nil, invalid(method, "refill queue of %d entries out of range [1, %d]", rqEntries, maxBufRingEntries)
	case areaSize <= 0 || areaSize > maxRW:
		return nil, invalid(method, "area size %d out of range", areaSize)
	}
	q := &ZcrxIfq{}
	var err error
	if q.area, err = mmapAnon((areaSize + page - 1) &^ (page - 1)); err != nil {
		return nil, fmt.Errorf("uring: %s: mmap area: %w", method, err)
	}
	// The refill queue: a header (head and tail, a page here) then the entries.
	regionSize := (page + int(roundPow2(rqEntries))*int(unsafe.Sizeof(abi.ZcrxRqe{})) + page - 1) &^ (page - 1)
	if q.region, err = mmapAnon(regionSize); err != nil {
		q.unmap()
		return nil, fmt.Errorf("uring: %s: mmap refill queue: %w", method, err)
	}
	area := abi.ZcrxAreaReg{Addr: uint64(uintptr(unsafe.Pointer(&q.area[0]))), Len: uint64(len(q.area))}
	rd := abi.RegionDesc{
		UserAddr: uint64(uintptr(unsafe.Pointer(&q.region[0]))),
		Size:     uint64(len(q.region)),
		Flags:    abi.IORING_MEM_REGION_TYPE_USER,
	}
	reg := abi.ZcrxIfqReg{
		IfIdx:     uint32(ifindex),
		IfRxq:     uint32(rxq),
		RqEntries: rqEntries,
		AreaPtr:   uint64(uintptr(unsafe.Pointer(&area))),
		RegionPtr: uint64(uintptr(unsafe.Pointer(&rd))),
	}
	_, err = r.register("IORING_REGISTER_ZCRX_IFQ", abi.IORING_REGISTER_ZCRX_IFQ, unsafe.Pointer(&reg), 1)
	runtime.KeepAlive(&area) // the kernel read them through addresses Go cannot see
	runtime.KeepAlive(&rd)
	if err != nil {
		q.unmap()
		return nil, err
	}
	q.id, q.offsets = reg.ZcrxID, reg.Offsets
	r.rsrc.onRelease(q.unmap) // the kernel pinned the pages: unmapping never frees them under it
	return q, nil
}

func (q *ZcrxIfq) unmap() {
	for _, b := range [][]byte{q.area, q.region} {
		if b != nil {
			unix.Munmap(b)
		}
	}
	q.area, q.region = nil, nil
}

// PrepRecvZC prepares a multishot zero-copy receive on socket fd through registered queue
// zcrxID, of up to n bytes in all (0: no limit) (IORING_OP_RECV_ZC, 6.15; liburing has no
// helper). Each completion is 32 bytes, its Big.Word0 the data's offset in the queue's area. With
// no queue registered as zcrxID the kernel completes it with EINVAL.
func (r *Ring) PrepRecvZC(fd int, zcrxID uint32, n int) (SQE, error) {
	if n < 0 || n > maxRW {
		return SQE{}, invalid("PrepRecvZC", "length %d out of range", n)
	}
	e, s, err := r.prep("PrepRecvZC", abi.IORING_OP_RECV_ZC, fd, 0, uint32(n), 0)
	if err == nil {
		e.Ioprio = abi.IORING_RECV_MULTISHOT // the kernel takes only multishot
		e.FileIndex = zcrxID                 // zcrx_ifq_idx
	}
	return s, err
}
