package uring

import (
	"strconv"
	"strings"

	"github.com/uringo/uring/internal/abi"
)

// SQEFlags are the flags of one submission (sqe->flags, IOSQE_*), set with SQE.SetFlags.
type SQEFlags uint8

const (
	// SQEFixedFile: the fd is an index into the registered file table (IOSQE_FIXED_FILE, 5.1).
	SQEFixedFile SQEFlags = abi.IOSQE_FIXED_FILE
	// SQEDrain: start only after every earlier submission has completed (IOSQE_IO_DRAIN, 5.2).
	SQEDrain SQEFlags = abi.IOSQE_IO_DRAIN
	// SQELink: the next submission starts only when this one succeeds; a failure cancels the
	// rest of the chain with ECANCELED (IOSQE_IO_LINK, 5.3).
	SQELink SQEFlags = abi.IOSQE_IO_LINK
	// SQEHardLink: like SQELink, but the chain goes on whatever this one's result
	// (IOSQE_IO_HARDLINK, 5.5).
	SQEHardLink SQEFlags = abi.IOSQE_IO_HARDLINK
	// SQEAsync: issue from a kernel worker without trying inline first (IOSQE_ASYNC, 5.6).
	SQEAsync SQEFlags = abi.IOSQE_ASYNC
	// SQEBufferSelect: take the buffer from a provided-buffer group; set by
	// SQE.SetBufferGroup (IOSQE_BUFFER_SELECT, 5.7).
	SQEBufferSelect SQEFlags = abi.IOSQE_BUFFER_SELECT
	// SQECQESkipSuccess: post no completion if the operation succeeds
	// (IOSQE_CQE_SKIP_SUCCESS, 5.17). For an operation that holds Go memory the Ring keeps
	// the kernel's completion, so that it knows when the memory is free, and hides it instead.
	SQECQESkipSuccess SQEFlags = abi.IOSQE_CQE_SKIP_SUCCESS
)

var sqeFlagNames = []string{"FIXED_FILE", "IO_DRAIN", "IO_LINK", "IO_HARDLINK", "ASYNC", "BUFFER_SELECT", "CQE_SKIP_SUCCESS"}

func (f SQEFlags) String() string { return bitNames(uint64(f), sqeFlagNames) }

// SetupFlags are the io_uring_setup(2) flags (IORING_SETUP_*). New sets them from its options;
// Ring.Flags reports those in effect.
type SetupFlags uint32

// The setup flags, with the kernel that added each.
const (
	SetupIOPoll           SetupFlags = abi.IORING_SETUP_IOPOLL             // 5.1
	SetupSQPoll           SetupFlags = abi.IORING_SETUP_SQPOLL             // 5.1
	SetupSQAff            SetupFlags = abi.IORING_SETUP_SQ_AFF             // 5.1
	SetupCQSize           SetupFlags = abi.IORING_SETUP_CQSIZE             // 5.5
	SetupClamp            SetupFlags = abi.IORING_SETUP_CLAMP              // 5.6
	SetupAttachWQ         SetupFlags = abi.IORING_SETUP_ATTACH_WQ          // 5.6
	SetupRDisabled        SetupFlags = abi.IORING_SETUP_R_DISABLED         // 5.10
	SetupSubmitAll        SetupFlags = abi.IORING_SETUP_SUBMIT_ALL         // 5.18
	SetupCoopTaskrun      SetupFlags = abi.IORING_SETUP_COOP_TASKRUN       // 5.19
	SetupTaskrunFlag      SetupFlags = abi.IORING_SETUP_TASKRUN_FLAG       // 5.19
	SetupSQE128           SetupFlags = abi.IORING_SETUP_SQE128             // 5.19
	SetupCQE32            SetupFlags = abi.IORING_SETUP_CQE32              // 5.19
	SetupSingleIssuer     SetupFlags = abi.IORING_SETUP_SINGLE_ISSUER      // 6.0
	SetupDeferTaskrun     SetupFlags = abi.IORING_SETUP_DEFER_TASKRUN      // 6.1
	SetupNoMmap           SetupFlags = abi.IORING_SETUP_NO_MMAP            // 6.5
	SetupRegisteredFdOnly SetupFlags = abi.IORING_SETUP_REGISTERED_FD_ONLY // 6.5
	SetupNoSQArray        SetupFlags = abi.IORING_SETUP_NO_SQARRAY         // 6.6
	SetupHybridIOPoll     SetupFlags = abi.IORING_SETUP_HYBRID_IOPOLL      // 6.13
	SetupCQEMixed         SetupFlags = abi.IORING_SETUP_CQE_MIXED          // 6.18
	SetupSQEMixed         SetupFlags = abi.IORING_SETUP_SQE_MIXED          // 6.19
	SetupSQRewind         SetupFlags = abi.IORING_SETUP_SQ_REWIND          // 7.0
)

// SetupFlagInfo describes one setup flag: its kernel name and the first kernel that has it.
type SetupFlagInfo struct {
	Flag      SetupFlags
	Name      string // IORING_SETUP_ name without the prefix, like "SQPOLL"
	MinKernel string
}

// SetupFlagList lists every setup flag this library knows, in bit order.
var SetupFlagList = []SetupFlagInfo{
	{SetupIOPoll, "IOPOLL", "5.1"},
	{SetupSQPoll, "SQPOLL", "5.1"},
	{SetupSQAff, "SQ_AFF", "5.1"},
	{SetupCQSize, "CQSIZE", "5.5"},
	{SetupClamp, "CLAMP", "5.6"},
	{SetupAttachWQ, "ATTACH_WQ", "5.6"},
	{SetupRDisabled, "R_DISABLED", "5.10"},
	{SetupSubmitAll, "SUBMIT_ALL", "5.18"},
	{SetupCoopTaskrun, "COOP_TASKRUN", "5.19"},
	{SetupTaskrunFlag, "TASKRUN_FLAG", "5.19"},
	{SetupSQE128, "SQE128", "5.19"},
	{SetupCQE32, "CQE32", "5.19"},
	{SetupSingleIssuer, "SINGLE_ISSUER", "6.0"},
	{SetupDeferTaskrun, "DEFER_TASKRUN", "6.1"},
	{SetupNoMmap, "NO_MMAP", "6.5"},
	{SetupRegisteredFdOnly, "REGISTERED_FD_ONLY", "6.5"},
	{SetupNoSQArray, "NO_SQARRAY", "6.6"},
	{SetupHybridIOPoll, "HYBRID_IOPOLL", "6.13"},
	{SetupCQEMixed, "CQE_MIXED", "6.18"},
	{SetupSQEMixed, "SQE_MIXED", "6.19"},
	{SetupSQRewind, "SQ_REWIND", "7.0"},
}

func (f SetupFlags) String() string {
	names := make([]string, len(SetupFlagList))
	for i, s := range SetupFlagList {
		names[i] = s.Name
	}
	return bitNames(uint64(f), names)
}

// Features are the IORING_FEAT_* bits the kernel reports at setup; Ring.Features returns them.
type Features uint32

// The feature bits, with the kernel that added each.
const (
	FeatSingleMmap     Features = abi.IORING_FEAT_SINGLE_MMAP     // 5.4
	FeatNoDrop         Features = abi.IORING_FEAT_NODROP          // 5.5
	FeatSubmitStable   Features = abi.IORING_FEAT_SUBMIT_STABLE   // 5.5
	FeatRWCurPos       Features = abi.IORING_FEAT_RW_CUR_POS      // 5.6
	FeatCurPersonality Features = abi.IORING_FEAT_CUR_PERSONALITY // 5.6
	FeatFastPoll       Features = abi.IORING_FEAT_FAST_POLL       // 5.7
	FeatPoll32Bits     Features = abi.IORING_FEAT_POLL_32BITS     // 5.9
	FeatSQPollNonfixed Features = abi.IORING_FEAT_SQPOLL_NONFIXED // 5.11
	FeatExtArg         Features = abi.IORING_FEAT_EXT_ARG         // 5.11
	FeatNativeWorkers  Features = abi.IORING_FEAT_NATIVE_WORKERS  // 5.12
	FeatRsrcTags       Features = abi.IORING_FEAT_RSRC_TAGS       // 5.13
	FeatCQESkip        Features = abi.IORING_FEAT_CQE_SKIP        // 5.17
	FeatLinkedFile     Features = abi.IORING_FEAT_LINKED_FILE     // 5.17
	FeatRegRegRing     Features = abi.IORING_FEAT_REG_REG_RING    // 6.3
	FeatRecvSendBundle Features = abi.IORING_FEAT_RECVSEND_BUNDLE // 6.10
	FeatMinTimeout     Features = abi.IORING_FEAT_MIN_TIMEOUT     // 6.12
	FeatRWAttr         Features = abi.IORING_FEAT_RW_ATTR         // 6.15
	FeatNoIOWait       Features = abi.IORING_FEAT_NO_IOWAIT       // 6.15
)

// FeatureInfo describes one feature bit.
type FeatureInfo struct {
	Feature   Features
	Name      string // IORING_FEAT_ name without the prefix, like "NODROP"
	MinKernel string
}

// FeatureList lists every feature bit this library knows, in bit order.
var FeatureList = []FeatureInfo{
	{FeatSingleMmap, "SINGLE_MMAP", "5.4"},
	{FeatNoDrop, "NODROP", "5.5"},
	{FeatSubmitStable, "SUBMIT_STABLE", "5.5"},
	{FeatRWCurPos, "RW_CUR_POS", "5.6"},
	{FeatCurPersonality, "CUR_PERSONALITY", "5.6"},
	{FeatFastPoll, "FAST_POLL", "5.7"},
	{FeatPoll32Bits, "POLL_32BITS", "5.9"},
	{FeatSQPollNonfixed, "SQPOLL_NONFIXED", "5.11"},
	{FeatExtArg, "EXT_ARG", "5.11"},
	{FeatNativeWorkers, "NATIVE_WORKERS", "5.12"},
	{FeatRsrcTags, "RSRC_TAGS", "5.13"},
	{FeatCQESkip, "CQE_SKIP", "5.17"},
	{FeatLinkedFile, "LINKED_FILE", "5.17"},
	{FeatRegRegRing, "REG_REG_RING", "6.3"},
	{FeatRecvSendBundle, "RECVSEND_BUNDLE", "6.10"},
	{FeatMinTimeout, "MIN_TIMEOUT", "6.12"},
	{FeatRWAttr, "RW_ATTR", "6.15"},
	{FeatNoIOWait, "NO_IOWAIT", "6.15"},
}

func (f Features) String() string {
	names := make([]string, len(FeatureList))
	for i, s := range FeatureList {
		names[i] = s.Name
	}
	return bitNames(uint64(f), names)
}

// Has reports whether every bit of want is set.
func (f Features) Has(want Features) bool { return f&want == want }

// CQEFlags are the flags of a completion (cqe->flags, IORING_CQE_F_*).
type CQEFlags uint32

const (
	// CQEFBuffer: a provided buffer was used; CQE.BufferID says which (5.7).
	CQEFBuffer CQEFlags = abi.IORING_CQE_F_BUFFER
	// CQEFMore: a multishot operation will post more completions (5.13).
	CQEFMore CQEFlags = abi.IORING_CQE_F_MORE
	// CQEFSockNonempty: the socket had more data after this receive (5.19).
	CQEFSockNonempty CQEFlags = abi.IORING_CQE_F_SOCK_NONEMPTY
	// CQEFNotif: the notification completion of a zero-copy send (6.0).
	CQEFNotif CQEFlags = abi.IORING_CQE_F_NOTIF
	// CQEFBufMore: an incrementally consumed buffer will be used by more completions (6.12).
	CQEFBufMore CQEFlags = abi.IORING_CQE_F_BUF_MORE
	// CQEFSkip: a padding entry of a mixed-size CQ; the Ring never returns these (6.18).
	CQEFSkip CQEFlags = abi.IORING_CQE_F_SKIP
	// CQEF32: a 32-byte completion in a mixed-size CQ; CQE.Big holds its second half (6.18).
	CQEF32 CQEFlags = abi.IORING_CQE_F_32
	// CQEFTstampHW: a TX timestamp completion carries a hardware timestamp (6.17).
	CQEFTstampHW CQEFlags = abi.IORING_CQE_F_TSTAMP_HW
)

var cqeFlagNames = []string{0: "BUFFER", 1: "MORE", 2: "SOCK_NONEMPTY", 3: "NOTIF", 4: "BUF_MORE", 5: "SKIP", 15: "F_32", 16: "TSTAMP_HW"}

func (f CQEFlags) String() string {
	if f&CQEFBuffer != 0 {
		f &= 0xffff // the high half is the buffer id, not flags
	}
	return bitNames(uint64(f), cqeFlagNames)
}

// bitNames writes the set bits of v as names joined by "|", and unnamed bits in hex.
func bitNames(v uint64, names []string) string {
	if v == 0 {
		return "0"
	}
	var parts []string
	for bit := 0; bit < 64; bit++ {
		if v&(1<<bit) == 0 {
			continue
		}
		if bit < len(names) && names[bit] != "" {
			parts = append(parts, names[bit])
		} else {
			parts = append(parts, "0x"+strconv.FormatUint(uint64(1)<<bit, 16))
		}
	}
	return strings.Join(parts, "|")
}
