package uring

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var _ = registerHelpers(abi.IORING_REGISTER_QUERY, "Query")

// QueryInfo is what IORING_REGISTER_QUERY reports about the running kernel's io_uring.
type QueryInfo struct {
	Ops         int        // operation codes the kernel knows: IORING_OP_* 0..Ops-1
	RegisterOps int        // register opcodes it knows: 0..RegisterOps-1
	QueryOps    int        // query operations it knows
	Features    Features   // every IORING_FEAT_* bit it can report
	SetupFlags  SetupFlags // every IORING_SETUP_* flag it accepts
	EnterFlags  uint32     // every IORING_ENTER_* flag it accepts
	SQEFlags    SQEFlags   // every IOSQE_* flag it accepts

	// RingHeaderSize and RingHeaderAlign are the size and alignment of the header of the
	// rings, for memory given with WithRingMemory (IO_URING_QUERY_SCQ); 0 where the kernel
	// does not answer that query.
	RingHeaderSize, RingHeaderAlign int
}

// Query asks the kernel what its io_uring supports, without a ring (IORING_REGISTER_QUERY with
// fd -1, 6.18; io_uring_register_query). A kernel before 6.18 gives a NotSupportedError.
func Query() (QueryInfo, error) { return query(-1, 0) }

// Query is the package's Query made through this ring (IORING_REGISTER_QUERY, 6.18).
func (r *Ring) Query() (QueryInfo, error) {
	if r.closed {
		return QueryInfo{}, ErrClosed
	}
	return query(r.enterFd, r.registerFlag)
}

// query sends one chain of two queries: the opcodes and flags, and the ring layout.
func query(fd int, registerFlag uint32) (QueryInfo, error) {
	ops := heapNew[abi.QueryOpcode]()
	scq := heapNew[abi.QueryScq]()
	next := heapNew[abi.QueryHdr]()
	*next = abi.QueryHdr{QueryData: ptrArg(scq), QueryOp: abi.IO_URING_QUERY_SCQ, Size: uint32(unsafe.Sizeof(*scq))}
	hdr := abi.QueryHdr{NextEntry: ptrArg(next), QueryData: ptrArg(ops), QueryOp: abi.IO_URING_QUERY_OPCODES, Size: uint32(unsafe.Sizeof(*ops))}
	_, err := abi.Register(fd, abi.IORING_REGISTER_QUERY|registerFlag, unsafe.Pointer(&hdr), 0)
	runtime.KeepAlive(ops)
	runtime.KeepAlive(scq)
	runtime.KeepAlive(next)
	if err != nil {
		if errors.Is(err, syscall.EINVAL) {
			return QueryInfo{}, &NotSupportedError{What: "IORING_REGISTER_QUERY", MinKernel: "6.18", Errno: err}
		}
		return QueryInfo{}, fmt.Errorf("uring: IORING_REGISTER_QUERY: %w", err)
	}
	if hdr.Result < 0 {
		return QueryInfo{}, &NotSupportedError{What: "IO_URING_QUERY_OPCODES", MinKernel: "6.18", Errno: syscall.Errno(-hdr.Result)}
	}
	info := QueryInfo{
		Ops:         int(ops.NrRequestOpcodes),
		RegisterOps: int(ops.NrRegisterOpcodes),
		QueryOps:    int(ops.NrQueryOpcodes),
		Features:    Features(ops.FeatureFlags),
		SetupFlags:  SetupFlags(ops.RingSetupFlags),
		EnterFlags:  uint32(ops.EnterFlags),
		SQEFlags:    SQEFlags(ops.SqeFlags),
	}
	if next.Result == 0 {
		info.RingHeaderSize, info.RingHeaderAlign = int(scq.HdrSize), int(scq.HdrAlignment)
	}
	return info, nil
}
