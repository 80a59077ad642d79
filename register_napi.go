package uring

import (
	"time"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var (
	_ = registerHelpers(abi.IORING_REGISTER_NAPI, "RegisterNapi", "RegisterNapiID", "UnregisterNapiID")
	_ = registerHelpers(abi.IORING_UNREGISTER_NAPI, "UnregisterNapi")
)

// NapiTracking chooses which network queues a ring busy-polls (io_uring_napi_tracking_strategy).
type NapiTracking uint8

const (
	// NapiDynamic polls the NAPI instances of the sockets the ring's operations use
	// (IO_URING_NAPI_TRACKING_DYNAMIC, 6.9).
	NapiDynamic NapiTracking = abi.IO_URING_NAPI_TRACKING_DYNAMIC
	// NapiStatic polls only the NAPI ids added with RegisterNapiID
	// (IO_URING_NAPI_TRACKING_STATIC, 6.13).
	NapiStatic NapiTracking = abi.IO_URING_NAPI_TRACKING_STATIC
	// NapiInactive is what the kernel reports while busy polling is off
	// (IO_URING_NAPI_TRACKING_INACTIVE, 6.13).
	NapiInactive NapiTracking = abi.IO_URING_NAPI_TRACKING_INACTIVE
)

// Napi are the busy-poll settings of a ring (struct io_uring_napi).
type Napi struct {
	// BusyPoll is how long a wait for completions busy-polls the network queues before it
	// sleeps, in microseconds (the kernel caps it, at 10 ms on recent kernels).
	BusyPoll time.Duration
	// PreferBusyPoll asks the driver to defer interrupts while the ring polls.
	PreferBusyPoll bool
	// Tracking chooses the queues polled.
	Tracking NapiTracking
}

// RegisterNapi turns on busy polling of network queues while the ring waits for completions,
// with settings n, and returns the settings in force before (IORING_REGISTER_NAPI, 6.9;
// io_uring_register_napi). The kernel refuses it on an IOPOLL ring (EINVAL), and on a kernel
// built without CONFIG_NET_RX_BUSY_POLL.
func (r *Ring) RegisterNapi(n Napi) (Napi, error) {
	if n.BusyPoll < 0 || n.BusyPoll/time.Microsecond > 1<<32-1 {
		return Napi{}, invalid("RegisterNapi", "busy-poll time %v", n.BusyPoll)
	}
	if n.Tracking != NapiDynamic && n.Tracking != NapiStatic {
		return Napi{}, invalid("RegisterNapi", "tracking %d: use NapiDynamic or NapiStatic", n.Tracking)
	}
	arg := abi.Napi{BusyPollTo: uint32(n.BusyPoll / time.Microsecond), Opcode: abi.IO_URING_NAPI_REGISTER_OP, OpParam: uint32(n.Tracking)}
	if n.PreferBusyPoll {
		arg.PreferBusyPoll = 1
	}
	return r.napi("IORING_REGISTER_NAPI", abi.IORING_REGISTER_NAPI, &arg)
}

// UnregisterNapi turns busy polling off and returns the settings it had
// (IORING_UNREGISTER_NAPI, 6.9; io_uring_unregister_napi).
func (r *Ring) UnregisterNapi() (Napi, error) {
	var arg abi.Napi
	return r.napi("IORING_UNREGISTER_NAPI", abi.IORING_UNREGISTER_NAPI, &arg)
}

// RegisterNapiID adds NAPI instance id (a socket's SO_INCOMING_NAPI_ID) to the queues a ring
// with NapiStatic tracking polls (IO_URING_NAPI_STATIC_ADD_ID, 6.13).
func (r *Ring) RegisterNapiID(id uint32) error {
	arg := abi.Napi{Opcode: abi.IO_URING_NAPI_STATIC_ADD_ID, OpParam: id}
	_, err := r.napi("IORING_REGISTER_NAPI", abi.IORING_REGISTER_NAPI, &arg)
	return err
}

// UnregisterNapiID removes NAPI instance id from the queues a ring with NapiStatic tracking
// polls (IO_URING_NAPI_STATIC_DEL_ID, 6.13).
func (r *Ring) UnregisterNapiID(id uint32) error {
	arg := abi.Napi{Opcode: abi.IO_URING_NAPI_STATIC_DEL_ID, OpParam: id}
	_, err := r.napi("IORING_REGISTER_NAPI", abi.IORING_REGISTER_NAPI, &arg)
	return err
}

// napi makes a NAPI register call; the kernel writes the previous settings back into arg.
func (r *Ring) napi(name string, op uint32, arg *abi.Napi) (Napi, error) {
	if _, err := r.register(name, op, unsafe.Pointer(arg), 1); err != nil {
		return Napi{}, err
	}
	return Napi{
		BusyPoll:       time.Duration(arg.BusyPollTo) * time.Microsecond,
		PreferBusyPoll: arg.PreferBusyPoll != 0,
		Tracking:       NapiTracking(arg.OpParam),
	}, nil
}
