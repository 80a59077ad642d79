// Package abi is the io_uring kernel interface: the structures shared with the kernel, every
// opcode, flag and register code of Linux 6.18 (and the few newer ones liburing already names),
// and the three raw system calls. It mirrors include/uapi/linux/io_uring.h; names are the
// kernel's, so the kernel and liburing documentation apply word for word.
//
// Nothing here keeps Go memory alive or checks arguments: that is the job of the packages above.
package abi

// Opcodes (enum io_uring_op). The kernel that added each is in the comment.
const (
	IORING_OP_NOP              = 0  // 5.1
	IORING_OP_READV            = 1  // 5.1
	IORING_OP_WRITEV           = 2  // 5.1
	IORING_OP_FSYNC            = 3  // 5.1
	IORING_OP_READ_FIXED       = 4  // 5.1
	IORING_OP_WRITE_FIXED      = 5  // 5.1
	IORING_OP_POLL_ADD         = 6  // 5.1
	IORING_OP_POLL_REMOVE      = 7  // 5.1
	IORING_OP_SYNC_FILE_RANGE  = 8  // 5.2
	IORING_OP_SENDMSG          = 9  // 5.3
	IORING_OP_RECVMSG          = 10 // 5.3
	IORING_OP_TIMEOUT          = 11 // 5.4
	IORING_OP_TIMEOUT_REMOVE   = 12 // 5.5
	IORING_OP_ACCEPT           = 13 // 5.5
	IORING_OP_ASYNC_CANCEL     = 14 // 5.5
	IORING_OP_LINK_TIMEOUT     = 15 // 5.5
	IORING_OP_CONNECT          = 16 // 5.5
	IORING_OP_FALLOCATE        = 17 // 5.6
	IORING_OP_OPENAT           = 18 // 5.6
	IORING_OP_CLOSE            = 19 // 5.6
	IORING_OP_FILES_UPDATE     = 20 // 5.6
	IORING_OP_STATX            = 21 // 5.6
	IORING_OP_READ             = 22 // 5.6
	IORING_OP_WRITE            = 23 // 5.6
	IORING_OP_FADVISE          = 24 // 5.6
	IORING_OP_MADVISE          = 25 // 5.6
	IORING_OP_SEND             = 26 // 5.6
	IORING_OP_RECV             = 27 // 5.6
	IORING_OP_OPENAT2          = 28 // 5.6
	IORING_OP_EPOLL_CTL        = 29 // 5.6
	IORING_OP_SPLICE           = 30 // 5.7
	IORING_OP_PROVIDE_BUFFERS  = 31 // 5.7
	IORING_OP_REMOVE_BUFFERS   = 32 // 5.7
	IORING_OP_TEE              = 33 // 5.8
	IORING_OP_SHUTDOWN         = 34 // 5.11
	IORING_OP_RENAMEAT         = 35 // 5.11
	IORING_OP_UNLINKAT         = 36 // 5.11
	IORING_OP_MKDIRAT          = 37 // 5.15
	IORING_OP_SYMLINKAT        = 38 // 5.15
	IORING_OP_LINKAT           = 39 // 5.15
	IORING_OP_MSG_RING         = 40 // 5.18
	IORING_OP_FSETXATTR        = 41 // 5.19
	IORING_OP_SETXATTR         = 42 // 5.19
	IORING_OP_FGETXATTR        = 43 // 5.19
	IORING_OP_GETXATTR         = 44 // 5.19
	IORING_OP_SOCKET           = 45 // 5.19
	IORING_OP_URING_CMD        = 46 // 5.19
	IORING_OP_SEND_ZC          = 47 // 6.0
	IORING_OP_SENDMSG_ZC       = 48 // 6.1
	IORING_OP_READ_MULTISHOT   = 49 // 6.7
	IORING_OP_WAITID           = 50 // 6.7
	IORING_OP_FUTEX_WAIT       = 51 // 6.7
	IORING_OP_FUTEX_WAKE       = 52 // 6.7
	IORING_OP_FUTEX_WAITV      = 53 // 6.7
	IORING_OP_FIXED_FD_INSTALL = 54 // 6.8
	IORING_OP_FTRUNCATE        = 55 // 6.9
	IORING_OP_BIND             = 56 // 6.11
	IORING_OP_LISTEN           = 57 // 6.11
	IORING_OP_RECV_ZC          = 58 // 6.15
	IORING_OP_EPOLL_WAIT       = 59 // 6.15
	IORING_OP_READV_FIXED      = 60 // 6.15
	IORING_OP_WRITEV_FIXED     = 61 // 6.15
	IORING_OP_PIPE             = 62 // 6.16
	IORING_OP_NOP128           = 63 // 6.19
	IORING_OP_URING_CMD128     = 64 // 6.19
	IORING_OP_LAST             = 65
)

// SQE flags (sqe->flags).
const (
	IOSQE_FIXED_FILE       = 1 << 0 // 5.1
	IOSQE_IO_DRAIN         = 1 << 1 // 5.2
	IOSQE_IO_LINK          = 1 << 2 // 5.3
	IOSQE_IO_HARDLINK      = 1 << 3 // 5.5
	IOSQE_ASYNC            = 1 << 4 // 5.6
	IOSQE_BUFFER_SELECT    = 1 << 5 // 5.7
	IOSQE_CQE_SKIP_SUCCESS = 1 << 6 // 5.17
)

// Setup flags (io_uring_params.flags).
const (
	IORING_SETUP_IOPOLL             = 1 << 0  // 5.1
	IORING_SETUP_SQPOLL             = 1 << 1  // 5.1
	IORING_SETUP_SQ_AFF             = 1 << 2  // 5.1
	IORING_SETUP_CQSIZE             = 1 << 3  // 5.5
	IORING_SETUP_CLAMP              = 1 << 4  // 5.6
	IORING_SETUP_ATTACH_WQ          = 1 << 5  // 5.6
	IORING_SETUP_R_DISABLED         = 1 << 6  // 5.10
	IORING_SETUP_SUBMIT_ALL         = 1 << 7  // 5.18
	IORING_SETUP_COOP_TASKRUN       = 1 << 8  // 5.19
	IORING_SETUP_TASKRUN_FLAG       = 1 << 9  // 5.19
	IORING_SETUP_SQE128             = 1 << 10 // 5.19
	IORING_SETUP_CQE32              = 1 << 11 // 5.19
	IORING_SETUP_SINGLE_ISSUER      = 1 << 12 // 6.0
	IORING_SETUP_DEFER_TASKRUN      = 1 << 13 // 6.1
	IORING_SETUP_NO_MMAP            = 1 << 14 // 6.5
	IORING_SETUP_REGISTERED_FD_ONLY = 1 << 15 // 6.5
	IORING_SETUP_NO_SQARRAY         = 1 << 16 // 6.6
	IORING_SETUP_HYBRID_IOPOLL      = 1 << 17 // 6.13
	IORING_SETUP_CQE_MIXED          = 1 << 18 // 6.18
	IORING_SETUP_SQE_MIXED          = 1 << 19 // 6.19
	IORING_SETUP_SQ_REWIND          = 1 << 20 // 7.0
)

// io_uring_enter(2) flags.
const (
	IORING_ENTER_GETEVENTS       = 1 << 0 // 5.1
	IORING_ENTER_SQ_WAKEUP       = 1 << 1 // 5.1
	IORING_ENTER_SQ_WAIT         = 1 << 2 // 5.10
	IORING_ENTER_EXT_ARG         = 1 << 3 // 5.11
	IORING_ENTER_REGISTERED_RING = 1 << 4 // 5.18
	IORING_ENTER_ABS_TIMER       = 1 << 5 // 6.12
	IORING_ENTER_EXT_ARG_REG     = 1 << 6 // 6.13
	IORING_ENTER_NO_IOWAIT       = 1 << 7 // 6.15
)

// SQ ring flags (the word at sq_off.flags), written by the kernel.
const (
	IORING_SQ_NEED_WAKEUP = 1 << 0 // 5.1
	IORING_SQ_CQ_OVERFLOW = 1 << 1 // 5.8
	IORING_SQ_TASKRUN     = 1 << 2 // 5.19
)

// CQ ring flags (the word at cq_off.flags), written by the application.
const (
	IORING_CQ_EVENTFD_DISABLED = 1 << 0 // 5.8
)

// CQE flags (cqe->flags).
const (
	IORING_CQE_F_BUFFER        = 1 << 0  // 5.7
	IORING_CQE_F_MORE          = 1 << 1  // 5.13
	IORING_CQE_F_SOCK_NONEMPTY = 1 << 2  // 5.19
	IORING_CQE_F_NOTIF         = 1 << 3  // 6.0
	IORING_CQE_F_BUF_MORE      = 1 << 4  // 6.12
	IORING_CQE_F_SKIP          = 1 << 5  // 6.18
	IORING_CQE_F_32            = 1 << 15 // 6.18
	IORING_CQE_F_TSTAMP_HW     = 1 << 16 // 6.17
	IORING_CQE_BUFFER_SHIFT    = 16
)

// Feature flags (io_uring_params.features), set by the kernel.
const (
	IORING_FEAT_SINGLE_MMAP     = 1 << 0  // 5.4
	IORING_FEAT_NODROP          = 1 << 1  // 5.5
	IORING_FEAT_SUBMIT_STABLE   = 1 << 2  // 5.5
	IORING_FEAT_RW_CUR_POS      = 1 << 3  // 5.6
	IORING_FEAT_CUR_PERSONALITY = 1 << 4  // 5.6
	IORING_FEAT_FAST_POLL       = 1 << 5  // 5.7
	IORING_FEAT_POLL_32BITS     = 1 << 6  // 5.9
	IORING_FEAT_SQPOLL_NONFIXED = 1 << 7  // 5.11
	IORING_FEAT_EXT_ARG         = 1 << 8  // 5.11
	IORING_FEAT_NATIVE_WORKERS  = 1 << 9  // 5.12
	IORING_FEAT_RSRC_TAGS       = 1 << 10 // 5.13
	IORING_FEAT_CQE_SKIP        = 1 << 11 // 5.17
	IORING_FEAT_LINKED_FILE     = 1 << 12 // 5.17
	IORING_FEAT_REG_REG_RING    = 1 << 13 // 6.3
	IORING_FEAT_RECVSEND_BUNDLE = 1 << 14 // 6.10
	IORING_FEAT_MIN_TIMEOUT     = 1 << 15 // 6.12
	IORING_FEAT_RW_ATTR         = 1 << 16 // 6.15
	IORING_FEAT_NO_IOWAIT       = 1 << 17 // 6.15
)

// io_uring_register(2) opcodes.
const (
	IORING_REGISTER_BUFFERS             = 0  // 5.1
	IORING_UNREGISTER_BUFFERS           = 1  // 5.1
	IORING_REGISTER_FILES               = 2  // 5.1
	IORING_UNREGISTER_FILES             = 3  // 5.1
	IORING_REGISTER_EVENTFD             = 4  // 5.2
	IORING_UNREGISTER_EVENTFD           = 5  // 5.2
	IORING_REGISTER_FILES_UPDATE        = 6  // 5.5
	IORING_REGISTER_EVENTFD_ASYNC       = 7  // 5.6
	IORING_REGISTER_PROBE               = 8  // 5.6
	IORING_REGISTER_PERSONALITY         = 9  // 5.6
	IORING_UNREGISTER_PERSONALITY       = 10 // 5.6
	IORING_REGISTER_RESTRICTIONS        = 11 // 5.10
	IORING_REGISTER_ENABLE_RINGS        = 12 // 5.10
	IORING_REGISTER_FILES2              = 13 // 5.13
	IORING_REGISTER_FILES_UPDATE2       = 14 // 5.13
	IORING_REGISTER_BUFFERS2            = 15 // 5.13
	IORING_REGISTER_BUFFERS_UPDATE      = 16 // 5.13
	IORING_REGISTER_IOWQ_AFF            = 17 // 5.14
	IORING_UNREGISTER_IOWQ_AFF          = 18 // 5.14
	IORING_REGISTER_IOWQ_MAX_WORKERS    = 19 // 5.15
	IORING_REGISTER_RING_FDS            = 20 // 5.18
	IORING_UNREGISTER_RING_FDS          = 21 // 5.18
	IORING_REGISTER_PBUF_RING           = 22 // 5.19
	IORING_UNREGISTER_PBUF_RING         = 23 // 5.19
	IORING_REGISTER_SYNC_CANCEL         = 24 // 6.0
	IORING_REGISTER_FILE_ALLOC_RANGE    = 25 // 6.0
	IORING_REGISTER_PBUF_STATUS         = 26 // 6.8
	IORING_REGISTER_NAPI                = 27 // 6.9
	IORING_UNREGISTER_NAPI              = 28 // 6.9
	IORING_REGISTER_CLOCK               = 29 // 6.12
	IORING_REGISTER_CLONE_BUFFERS       = 30 // 6.12
	IORING_REGISTER_SEND_MSG_RING       = 31 // 6.13
	IORING_REGISTER_ZCRX_IFQ            = 32 // 6.15
	IORING_REGISTER_RESIZE_RINGS        = 33 // 6.13
	IORING_REGISTER_MEM_REGION          = 34 // 6.13
	IORING_REGISTER_QUERY               = 35 // 6.18
	IORING_REGISTER_ZCRX_CTRL           = 36 // 6.19
	IORING_REGISTER_BPF_FILTER          = 37 // 7.0
	IORING_REGISTER_LAST                = 38
	IORING_REGISTER_USE_REGISTERED_RING = 1 << 31 // 6.3
)

// mmap(2) offsets of the ring regions.
const (
	IORING_OFF_SQ_RING    = 0
	IORING_OFF_CQ_RING    = 0x8000000
	IORING_OFF_SQES       = 0x10000000
	IORING_OFF_PBUF_RING  = 0x80000000
	IORING_OFF_PBUF_SHIFT = 16
	IORING_OFF_MMAP_MASK  = 0xf8000000
)

// sqe->fsync_flags.
const IORING_FSYNC_DATASYNC = 1 << 0 // 5.1

// sqe->timeout_flags.
const (
	IORING_TIMEOUT_ABS           = 1 << 0 // 5.4
	IORING_TIMEOUT_UPDATE        = 1 << 1 // 5.11
	IORING_TIMEOUT_BOOTTIME      = 1 << 2 // 5.15
	IORING_TIMEOUT_REALTIME      = 1 << 3 // 5.15
	IORING_LINK_TIMEOUT_UPDATE   = 1 << 4 // 5.15
	IORING_TIMEOUT_ETIME_SUCCESS = 1 << 5 // 5.16
	IORING_TIMEOUT_MULTISHOT     = 1 << 6 // 6.4
	IORING_TIMEOUT_IMMEDIATE_ARG = 1 << 7 // 7.1
	IORING_TIMEOUT_CLOCK_MASK    = IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME
	IORING_TIMEOUT_UPDATE_MASK   = IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE
)

// sqe->splice_flags: the fd_in of SPLICE and TEE is a fixed file.
const SPLICE_F_FD_IN_FIXED = 1 << 31 // 5.7

// POLL_ADD and POLL_REMOVE command flags (in sqe->len).
const (
	IORING_POLL_ADD_MULTI        = 1 << 0 // 5.13
	IORING_POLL_UPDATE_EVENTS    = 1 << 1 // 5.13
	IORING_POLL_UPDATE_USER_DATA = 1 << 2 // 5.13
	IORING_POLL_ADD_LEVEL        = 1 << 3 // 6.0
)

// ASYNC_CANCEL flags (sqe->cancel_flags) and IORING_REGISTER_SYNC_CANCEL.
const (
	IORING_ASYNC_CANCEL_ALL      = 1 << 0 // 5.19
	IORING_ASYNC_CANCEL_FD       = 1 << 1 // 5.19
	IORING_ASYNC_CANCEL_ANY      = 1 << 2 // 5.19
	IORING_ASYNC_CANCEL_FD_FIXED = 1 << 3 // 6.0
	IORING_ASYNC_CANCEL_USERDATA = 1 << 4 // 6.6
	IORING_ASYNC_CANCEL_OP       = 1 << 5 // 6.6
)

// send, sendmsg, recv and recvmsg flags (sqe->ioprio).
const (
	IORING_RECVSEND_POLL_FIRST  = 1 << 0 // 5.19
	IORING_RECV_MULTISHOT       = 1 << 1 // 6.0
	IORING_RECVSEND_FIXED_BUF   = 1 << 2 // 6.0
	IORING_SEND_ZC_REPORT_USAGE = 1 << 3 // 6.2
	IORING_RECVSEND_BUNDLE      = 1 << 4 // 6.10
	IORING_SEND_VECTORIZED      = 1 << 5 // 6.17
)

// IORING_NOTIF_USAGE_ZC_COPIED is set in the res of a zero-copy notification CQE when
// IORING_SEND_ZC_REPORT_USAGE was asked and the data was copied after all.
const IORING_NOTIF_USAGE_ZC_COPIED = 1 << 31 // 6.2

// accept flags (sqe->ioprio).
const (
	IORING_ACCEPT_MULTISHOT  = 1 << 0 // 5.19
	IORING_ACCEPT_DONTWAIT   = 1 << 1 // 6.10
	IORING_ACCEPT_POLL_FIRST = 1 << 2 // 6.10
)

// MSG_RING commands (sqe->addr) and flags (sqe->msg_ring_flags).
const (
	IORING_MSG_DATA            = 0      // 5.18
	IORING_MSG_SEND_FD         = 1      // 6.0
	IORING_MSG_RING_CQE_SKIP   = 1 << 0 // 6.2
	IORING_MSG_RING_FLAGS_PASS = 1 << 1 // 6.3
)

// FIXED_FD_INSTALL flags (sqe->install_fd_flags).
const IORING_FIXED_FD_NO_CLOEXEC = 1 << 0 // 6.8

// NOP flags (sqe->nop_flags).
const (
	IORING_NOP_INJECT_RESULT = 1 << 0 // 6.12
	IORING_NOP_FILE          = 1 << 1 // 6.12
	IORING_NOP_FIXED_FILE    = 1 << 2 // 6.12
	IORING_NOP_FIXED_BUFFER  = 1 << 3 // 6.12
	IORING_NOP_TW            = 1 << 4 // 6.17
	IORING_NOP_CQE32         = 1 << 5 // 6.18
)

// URING_CMD flags (sqe->uring_cmd_flags).
const IORING_URING_CMD_FIXED = 1 << 0 // 6.1

// IORING_FILE_INDEX_ALLOC in sqe->file_index asks the kernel to pick a free direct
// descriptor for OPENAT, OPENAT2, ACCEPT, SOCKET and PIPE (5.19).
const IORING_FILE_INDEX_ALLOC = ^uint32(0)

// IORING_REGISTER_FILES_SKIP in a files update leaves that slot as it is (5.12).
const IORING_REGISTER_FILES_SKIP = -2

// IORING_RSRC_REGISTER_SPARSE registers an empty table of the given size (5.19).
const IORING_RSRC_REGISTER_SPARSE = 1 << 0

// IO_URING_OP_SUPPORTED is set in io_uring_probe_op.flags for an opcode the kernel has.
const IO_URING_OP_SUPPORTED = 1 << 0

// Restriction kinds (io_uring_restriction.opcode).
const (
	IORING_RESTRICTION_REGISTER_OP        = 0
	IORING_RESTRICTION_SQE_OP             = 1
	IORING_RESTRICTION_SQE_FLAGS_ALLOWED  = 2
	IORING_RESTRICTION_SQE_FLAGS_REQUIRED = 3
)

// Provided-buffer ring flags (io_uring_buf_reg.flags).
const (
	IOU_PBUF_RING_MMAP = 1 // 6.4
	IOU_PBUF_RING_INC  = 2 // 6.12
)

// io-wq worker kinds, the two entries of IORING_REGISTER_IOWQ_MAX_WORKERS.
const (
	IO_WQ_BOUND   = 0
	IO_WQ_UNBOUND = 1
)

// Registered-buffer clone flags (io_uring_clone_buffers.flags).
const (
	IORING_REGISTER_SRC_REGISTERED = 1 << 0 // 6.12
	IORING_REGISTER_DST_REPLACE    = 1 << 1 // 6.13
)

// Memory regions.
const (
	IORING_MEM_REGION_TYPE_USER    = 1 // 6.13: io_uring_region_desc.flags, memory at user_addr
	IORING_MEM_REGION_REG_WAIT_ARG = 1 // 6.13: io_uring_mem_region_reg.flags, wait arguments
	IORING_REG_WAIT_TS             = 1 // 6.13: io_uring_reg_wait.flags, ts is valid
)

// Socket commands of IORING_OP_URING_CMD on a socket (sqe->cmd_op).
const (
	SOCKET_URING_OP_SIOCINQ      = 0 // 6.7
	SOCKET_URING_OP_SIOCOUTQ     = 1 // 6.7
	SOCKET_URING_OP_GETSOCKOPT   = 2 // 6.7
	SOCKET_URING_OP_SETSOCKOPT   = 3 // 6.7
	SOCKET_URING_OP_TX_TIMESTAMP = 4 // 6.17
	SOCKET_URING_OP_GETSOCKNAME  = 5 // 6.19
)

// Zero-copy receive.
const (
	IORING_ZCRX_AREA_SHIFT  = 48
	IORING_ZCRX_AREA_DMABUF = 1
	ZCRX_REG_IMPORT         = 1
)

// Limits the kernel enforces on io_uring_setup(2) (IORING_MAX_ENTRIES, IORING_MAX_CQ_ENTRIES).
const (
	MaxEntries   = 32768
	MaxCQEntries = 2 * MaxEntries
)
