package uring

import (
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var (
	_ = registerHelpers(abi.IORING_REGISTER_RESTRICTIONS, "RegisterRestrictions")
	_ = registerHelpers(abi.IORING_REGISTER_PERSONALITY, "RegisterPersonality")
	_ = registerHelpers(abi.IORING_UNREGISTER_PERSONALITY, "UnregisterPersonality")
)

// Access control: what a ring may do (restrictions) and with whose credentials (personalities).

// Restriction is one rule of RegisterRestrictions: an operation, a register opcode, or SQE flags
// the ring allows or requires. Build it with AllowOp, AllowRegisterOp, AllowSQEFlags or
// RequireSQEFlags.
type Restriction struct {
	kind  uint16
	value uint8
}

// AllowOp allows SQEs of operation op (IORING_RESTRICTION_SQE_OP, 5.10).
func AllowOp(op Op) Restriction {
	return Restriction{abi.IORING_RESTRICTION_SQE_OP, uint8(op)}
}

// AllowRegisterOp allows io_uring_register(2) opcode op on the ring
// (IORING_RESTRICTION_REGISTER_OP, 5.10).
func AllowRegisterOp(op RegisterOp) Restriction {
	return Restriction{abi.IORING_RESTRICTION_REGISTER_OP, uint8(op)}
}

// AllowSQEFlags sets the SQE flags an entry may carry; with no such rule it may carry none
// (IORING_RESTRICTION_SQE_FLAGS_ALLOWED, 5.10). The last rule of its kind wins.
func AllowSQEFlags(f SQEFlags) Restriction {
	return Restriction{abi.IORING_RESTRICTION_SQE_FLAGS_ALLOWED, uint8(f)}
}

// RequireSQEFlags sets the SQE flags every entry must carry
// (IORING_RESTRICTION_SQE_FLAGS_REQUIRED, 5.10). The last rule of its kind wins.
func RequireSQEFlags(f SQEFlags) Restriction {
	return Restriction{abi.IORING_RESTRICTION_SQE_FLAGS_REQUIRED, uint8(f)}
}

// RegisterRestrictions limits what the ring may do, once and for good
// (IORING_REGISTER_RESTRICTIONS, 5.10; io_uring_register_restrictions). The ring must have been
// made WithDisabled; the rules take effect at EnableRings, and a second call fails with EBUSY.
// Afterwards an SQE of an operation not allowed, or with flags outside the allowed set, or
// without the required ones, completes with EACCES; a register opcode not allowed fails with
// EACCES.
//
// The Ring's own calls are subject to the rules too: allow REGISTER_SYNC_CANCEL if operations
// may be in flight when the ring is closed, or Close cannot cancel them and waits for them.
func (r *Ring) RegisterRestrictions(rules ...Restriction) error {
	if len(rules) == 0 {
		return invalid("RegisterRestrictions", "no rules")
	}
	res := make([]abi.Restriction, len(rules))
	for i, rule := range rules {
		res[i] = abi.Restriction{Opcode: rule.kind, Arg: rule.value}
	}
	_, err := r.register("IORING_REGISTER_RESTRICTIONS", abi.IORING_REGISTER_RESTRICTIONS,
		unsafe.Pointer(unsafe.SliceData(res)), uint32(len(res)))
	return err
}

// RegisterPersonality registers the credentials of the calling thread and returns their id,
// for SQE.SetPersonality: an operation with that id runs with these credentials whatever the
// submitting thread's are (IORING_REGISTER_PERSONALITY, 5.6; io_uring_register_personality).
//
// Go's syscall.Setuid and friends change every thread of the process at once, so the calling
// thread's credentials are normally the process's. To register others, change them on one
// thread with raw system calls (unix.RawSyscall(unix.SYS_SETRESUID, ...)) from a goroutine
// locked with runtime.LockOSThread, register, and let that goroutine end without unlocking,
// so that the thread dies with its changed credentials.
func (r *Ring) RegisterPersonality() (uint16, error) {
	id, err := r.register("IORING_REGISTER_PERSONALITY", abi.IORING_REGISTER_PERSONALITY, nil, 0)
	return uint16(id), err
}

// UnregisterPersonality forgets the credentials registered as id
// (IORING_UNREGISTER_PERSONALITY, 5.6; io_uring_unregister_personality). Operations already
// submitted with it keep them.
func (r *Ring) UnregisterPersonality(id uint16) error {
	_, err := r.register("IORING_UNREGISTER_PERSONALITY", abi.IORING_UNREGISTER_PERSONALITY, nil, uint32(id))
	return err
}
