package abi

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Structures and constants of io_uring_register(2) newer than the 6.1 headers of the development
// machines, checked against the offsets of the 6.18 uapi headers in register_test.go.

// NAPI operations (io_uring_napi.opcode, 6.13).
const (
	IO_URING_NAPI_REGISTER_OP   = 0 // register, or change the tracking strategy (op_param)
	IO_URING_NAPI_STATIC_ADD_ID = 1 // add the napi id op_param to a static tracking list
	IO_URING_NAPI_STATIC_DEL_ID = 2 // remove the napi id op_param from it
)

// NAPI tracking strategies (io_uring_napi.op_param of IO_URING_NAPI_REGISTER_OP, 6.13).
const (
	IO_URING_NAPI_TRACKING_DYNAMIC  = 0
	IO_URING_NAPI_TRACKING_STATIC   = 1
	IO_URING_NAPI_TRACKING_INACTIVE = 255
)

// Query operations (io_uring_query_hdr.query_op; linux/io_uring/query.h, 6.18).
const (
	IO_URING_QUERY_OPCODES = 0
	IO_URING_QUERY_ZCRX    = 1
	IO_URING_QUERY_SCQ     = 2
)

// QueryHdr is struct io_uring_query_hdr, one entry of the chain IORING_REGISTER_QUERY takes.
// Offsets: NextEntry 0, QueryData 8, QueryOp 16, Size 20, Result 24, Resv 28; size 40.
type QueryHdr struct {
	NextEntry uint64 // *QueryHdr, or 0 for the last entry
	QueryData uint64 // the structure query_op fills
	QueryOp   uint32
	Size      uint32 // in: the size of query_data; out: the size the kernel filled
	Result    int32  // out: 0 or a negated errno for this entry
	Resv      [3]uint32
}

// QueryOpcode is struct io_uring_query_opcode, the answer to IO_URING_QUERY_OPCODES.
// Offsets: NrRequestOpcodes 0, NrRegisterOpcodes 4, FeatureFlags 8, RingSetupFlags 16,
// EnterFlags 24, SqeFlags 32, NrQueryOpcodes 40; size 48.
type QueryOpcode struct {
	NrRequestOpcodes  uint32
	NrRegisterOpcodes uint32
	FeatureFlags      uint64
	RingSetupFlags    uint64
	EnterFlags        uint64
	SqeFlags          uint64
	NrQueryOpcodes    uint32
	Pad               uint32
}

// QueryScq is struct io_uring_query_scq, the answer to IO_URING_QUERY_SCQ: the size and
// alignment of the header of the rings, for IORING_SETUP_NO_MMAP memory. Size 16.
type QueryScq struct {
	HdrSize      uint64
	HdrAlignment uint64
}

// EnterRegWait is Enter with IORING_ENTER_EXT_ARG_REG (6.13): its argument is not an address
// but a byte offset into the ring's registered wait region, which an unsafe.Pointer must not
// carry, and the argument size is that of one RegWait.
func EnterRegWait(fd int, toSubmit, minComplete, flags uint32, offset uintptr) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(fd), uintptr(toSubmit),
		uintptr(minComplete), uintptr(flags), offset, unsafe.Sizeof(RegWait{}))
	if errno != 0 {
		return int(n), errno
	}
	return int(n), nil
}
