package abi

// The structures below are laid out exactly as the kernel's; layout_test.go checks every size and
// offset against the machine's <linux/io_uring.h>, and the offsets of the structures newer than
// those headers against the values written in their comments (from the 6.18 uapi header).

// SQE is struct io_uring_sqe, the 64-byte submission queue entry. Unions are flattened to the
// member the name gives; the comment lists the other members that share the field.
type SQE struct {
	Opcode      uint8  // opcode
	Flags       uint8  // flags: IOSQE_*
	Ioprio      uint16 // ioprio; send/recv/accept flags
	Fd          int32  // fd
	Off         uint64 // off | addr2 | {cmd_op, __pad1}
	Addr        uint64 // addr | splice_off_in | {level, optname}
	Len         uint32 // len
	OpFlags     uint32 // rw_flags | fsync_flags | poll32_events | timeout_flags | ... (the op's flag word)
	UserData    uint64 // user_data
	BufIndex    uint16 // buf_index | buf_group
	Personality uint16 // personality
	FileIndex   uint32 // splice_fd_in | file_index | zcrx_ifq_idx | optlen | {addr_len, __pad3}
	Addr3       uint64 // addr3 | attr_ptr | optval | cmd[0..8]
	Pad2        uint64 // __pad2[0] | attr_type_mask | cmd[8..16]
}

// SQESize is the size of one SQE; rings set up with IORING_SETUP_SQE128 use two per entry.
const SQESize = 64

// CQE is struct io_uring_cqe without the big_cqe tail of 32-byte CQEs.
type CQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// CQESize is the size of one CQE; rings set up with IORING_SETUP_CQE32 use two per entry.
const CQESize = 16

// SQRingOffsets is struct io_sqring_offsets.
type SQRingOffsets struct {
	Head        uint32
	Tail        uint32
	RingMask    uint32
	RingEntries uint32
	Flags       uint32
	Dropped     uint32
	Array       uint32
	Resv1       uint32
	UserAddr    uint64 // 6.5: ring memory for IORING_SETUP_NO_MMAP
}

// CQRingOffsets is struct io_cqring_offsets.
type CQRingOffsets struct {
	Head        uint32
	Tail        uint32
	RingMask    uint32
	RingEntries uint32
	Overflow    uint32
	Cqes        uint32
	Flags       uint32
	Resv1       uint32
	UserAddr    uint64 // 6.5: ring memory for IORING_SETUP_NO_MMAP
}

// Params is struct io_uring_params, passed to io_uring_setup(2) and filled in by it.
type Params struct {
	SQEntries    uint32
	CQEntries    uint32
	Flags        uint32
	SQThreadCPU  uint32
	SQThreadIdle uint32 // milliseconds
	Features     uint32
	WQFd         uint32
	Resv         [3]uint32
	SQOff        SQRingOffsets
	CQOff        CQRingOffsets
}

// KernelTimespec is struct __kernel_timespec.
type KernelTimespec struct {
	Sec  int64
	Nsec int64
}

// GeteventsArg is struct io_uring_getevents_arg, the argument of IORING_ENTER_EXT_ARG (5.11).
type GeteventsArg struct {
	Sigmask     uint64
	SigmaskSz   uint32
	MinWaitUsec uint32 // 6.12
	Ts          uint64 // *KernelTimespec
}

// FilesUpdate is struct io_uring_files_update (IORING_REGISTER_FILES_UPDATE, IORING_OP_FILES_UPDATE).
type FilesUpdate struct {
	Offset uint32
	Resv   uint32
	Fds    uint64 // *int32
}

// RsrcRegister is struct io_uring_rsrc_register (IORING_REGISTER_FILES2, IORING_REGISTER_BUFFERS2).
type RsrcRegister struct {
	Nr    uint32
	Flags uint32
	Resv2 uint64
	Data  uint64
	Tags  uint64
}

// RsrcUpdate is struct io_uring_rsrc_update (IORING_REGISTER_RING_FDS and friends).
type RsrcUpdate struct {
	Offset uint32
	Resv   uint32
	Data   uint64
}

// RsrcUpdate2 is struct io_uring_rsrc_update2 (IORING_REGISTER_FILES_UPDATE2, IORING_REGISTER_BUFFERS_UPDATE).
type RsrcUpdate2 struct {
	Offset uint32
	Resv   uint32
	Data   uint64
	Tags   uint64
	Nr     uint32
	Resv2  uint32
}

// ProbeOp is struct io_uring_probe_op.
type ProbeOp struct {
	Op    uint8
	Resv  uint8
	Flags uint16
	Resv2 uint32
}

// Probe is struct io_uring_probe with room for every opcode up to 255 (IORING_REGISTER_PROBE).
type Probe struct {
	LastOp uint8
	OpsLen uint8
	Resv   uint16
	Resv2  [3]uint32
	Ops    [256]ProbeOp
}

// ProbeHeaderSize is the size of struct io_uring_probe without its ops.
const ProbeHeaderSize = 16

// Restriction is struct io_uring_restriction (IORING_REGISTER_RESTRICTIONS).
type Restriction struct {
	Opcode uint16
	Arg    uint8 // register_op | sqe_op | sqe_flags
	Resv   uint8
	Resv2  [3]uint32
}

// BufReg is struct io_uring_buf_reg (IORING_REGISTER_PBUF_RING).
type BufReg struct {
	RingAddr    uint64
	RingEntries uint32
	Bgid        uint16
	Flags       uint16
	MinLeft     uint32 // 6.18; reserved before
	Resv        [5]uint32
}

// Buf is struct io_uring_buf, one entry of a provided-buffer ring. The ring's tail shares the
// first entry's Resv field (offset 14).
type Buf struct {
	Addr uint64
	Len  uint32
	Bid  uint16
	Resv uint16
}

// BufRingTailOffset is the offset of the tail in struct io_uring_buf_ring.
const BufRingTailOffset = 14

// BufStatus is struct io_uring_buf_status (IORING_REGISTER_PBUF_STATUS, 6.8).
// Offsets: BufGroup 0, Head 4; size 40.
type BufStatus struct {
	BufGroup uint32
	Head     uint32
	Resv     [8]uint32
}

// SyncCancelReg is struct io_uring_sync_cancel_reg (IORING_REGISTER_SYNC_CANCEL).
type SyncCancelReg struct {
	Addr    uint64
	Fd      int32
	Flags   uint32
	Timeout KernelTimespec
	Opcode  uint8
	Pad     [7]uint8
	Pad2    [3]uint64
}

// FileIndexRange is struct io_uring_file_index_range (IORING_REGISTER_FILE_ALLOC_RANGE).
type FileIndexRange struct {
	Off  uint32
	Len  uint32
	Resv uint64
}

// RecvmsgOut is struct io_uring_recvmsg_out, the header multishot recvmsg writes into each buffer.
type RecvmsgOut struct {
	Namelen    uint32
	Controllen uint32
	Payloadlen uint32
	Flags      uint32
}

// Napi is struct io_uring_napi (IORING_REGISTER_NAPI, 6.9).
// Offsets: BusyPollTo 0, PreferBusyPoll 4, Opcode 5, Pad 6, OpParam 8, Resv 12; size 16.
type Napi struct {
	BusyPollTo     uint32
	PreferBusyPoll uint8
	Opcode         uint8 // 6.13: IO_URING_NAPI_REGISTER_OP / STATIC_* ; 0 before
	Pad            [2]uint8
	OpParam        uint32 // 6.13
	Resv           uint32
}

// ClockRegister is struct io_uring_clock_register (IORING_REGISTER_CLOCK, 6.12). Size 16.
type ClockRegister struct {
	ClockID uint32
	Resv    [3]uint32
}

// CloneBuffers is struct io_uring_clone_buffers (IORING_REGISTER_CLONE_BUFFERS, 6.12).
// Offsets: SrcFd 0, Flags 4, SrcOff 8, DstOff 12, Nr 16, Pad 20; size 32.
type CloneBuffers struct {
	SrcFd  uint32
	Flags  uint32
	SrcOff uint32
	DstOff uint32
	Nr     uint32
	Pad    [3]uint32
}

// RegionDesc is struct io_uring_region_desc (6.13).
// Offsets: UserAddr 0, Size 8, Flags 16, ID 20, MmapOffset 24, Resv 32; size 64.
type RegionDesc struct {
	UserAddr   uint64
	Size       uint64
	Flags      uint32
	ID         uint32
	MmapOffset uint64
	Resv       [4]uint64
}

// MemRegionReg is struct io_uring_mem_region_reg (IORING_REGISTER_MEM_REGION, 6.13).
// Offsets: RegionUptr 0, Flags 8, Resv 16; size 32.
type MemRegionReg struct {
	RegionUptr uint64
	Flags      uint64
	Resv       [2]uint64
}

// RegWait is struct io_uring_reg_wait, one registered wait argument (IORING_ENTER_EXT_ARG_REG, 6.13).
// Offsets: Ts 0, MinWaitUsec 16, Flags 20, Sigmask 24, SigmaskSz 32; size 64.
type RegWait struct {
	Ts          KernelTimespec
	MinWaitUsec uint32
	Flags       uint32
	Sigmask     uint64
	SigmaskSz   uint32
	Pad         [3]uint32
	Pad2        [2]uint64
}

// FutexWaitv is struct futex_waitv, one entry of IORING_OP_FUTEX_WAITV (and futex_waitv(2)).
type FutexWaitv struct {
	Val      uint64
	Uaddr    uint64
	Flags    uint32
	Reserved uint32
}

// ZcrxRqe is struct io_uring_zcrx_rqe, a refill-queue entry of zero-copy receive (6.15).
type ZcrxRqe struct {
	Off uint64
	Len uint32
	Pad uint32
}

// ZcrxCqe is struct io_uring_zcrx_cqe, the second half of a RECV_ZC CQE32 (6.15).
type ZcrxCqe struct {
	Off uint64
	Pad uint64
}

// ZcrxOffsets is struct io_uring_zcrx_offsets (6.15).
type ZcrxOffsets struct {
	Head  uint32
	Tail  uint32
	Rqes  uint32
	Resv2 uint32
	Resv  [2]uint64
}

// ZcrxAreaReg is struct io_uring_zcrx_area_reg (6.15).
type ZcrxAreaReg struct {
	Addr        uint64
	Len         uint64
	RqAreaToken uint64
	Flags       uint32
	DmabufFd    uint32
	Resv2       [2]uint64
}

// ZcrxIfqReg is struct io_uring_zcrx_ifq_reg, the argument of IORING_REGISTER_ZCRX_IFQ (6.15).
// Offsets: IfIdx 0, IfRxq 4, RqEntries 8, Flags 12, AreaPtr 16, RegionPtr 24, Offsets 32,
// ZcrxID 64, RxBufLen 68; size 96.
type ZcrxIfqReg struct {
	IfIdx     uint32
	IfRxq     uint32
	RqEntries uint32
	Flags     uint32
	AreaPtr   uint64
	RegionPtr uint64
	Offsets   ZcrxOffsets
	ZcrxID    uint32
	RxBufLen  uint32
	Resv      [3]uint64
}
