package uring

import (
	"unsafe"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

var (
	_ = registerHelpers(abi.IORING_REGISTER_IOWQ_AFF, "RegisterIOWQAffinity")
	_ = registerHelpers(abi.IORING_UNREGISTER_IOWQ_AFF, "UnregisterIOWQAffinity")
	_ = registerHelpers(abi.IORING_REGISTER_IOWQ_MAX_WORKERS, "RegisterIOWQMaxWorkers")
)

// The kernel's worker threads (io-wq), which run the operations that cannot complete
// without blocking.
//
// io-wq belongs to the submitting thread, not to the ring: without SQPOLL these calls act on
// the workers of the calling OS thread, which exist only once that thread has submitted to an
// io_uring. Make them from a goroutine locked with runtime.LockOSThread that submits on this
// ring; otherwise the kernel answers EINVAL (affinity) or reports zeros (max workers). With
// SQPOLL they act on the workers of the ring's SQPOLL thread, from any thread.

// RegisterIOWQAffinity restricts the worker threads to the CPUs in set
// (IORING_REGISTER_IOWQ_AFF, 5.14; io_uring_register_iowq_aff).
func (r *Ring) RegisterIOWQAffinity(set *unix.CPUSet) error {
	if set == nil {
		return invalid("RegisterIOWQAffinity", "nil CPU set")
	}
	_, err := r.register("IORING_REGISTER_IOWQ_AFF", abi.IORING_REGISTER_IOWQ_AFF,
		unsafe.Pointer(set), uint32(unsafe.Sizeof(*set)))
	return err
}

// UnregisterIOWQAffinity lets the worker threads run on any CPU again
// (IORING_UNREGISTER_IOWQ_AFF, 5.14; io_uring_unregister_iowq_aff).
func (r *Ring) UnregisterIOWQAffinity() error {
	_, err := r.register("IORING_UNREGISTER_IOWQ_AFF", abi.IORING_UNREGISTER_IOWQ_AFF, nil, 0)
	return err
}

// RegisterIOWQMaxWorkers sets the most worker threads io-wq may start for bounded work (file
// and block I/O) and unbounded work (sockets, pipes, ...), and returns the limits in force
// before the call (IORING_REGISTER_IOWQ_MAX_WORKERS, 5.15; io_uring_register_iowq_max_workers).
// A limit of 0 leaves that one unchanged, so (0, 0) only reads them. The limits also apply to
// the other threads that submit on this ring.
func (r *Ring) RegisterIOWQMaxWorkers(bounded, unbounded uint32) (prevBounded, prevUnbounded uint32, err error) {
	const maxInt32 = 1<<31 - 1
	if bounded > maxInt32 || unbounded > maxInt32 {
		return 0, 0, invalid("RegisterIOWQMaxWorkers", "limits %d, %d above the kernel's %d", bounded, unbounded, maxInt32)
	}
	v := [2]uint32{abi.IO_WQ_BOUND: bounded, abi.IO_WQ_UNBOUND: unbounded}
	_, err = r.register("IORING_REGISTER_IOWQ_MAX_WORKERS", abi.IORING_REGISTER_IOWQ_MAX_WORKERS, unsafe.Pointer(&v), 2)
	if err != nil {
		return 0, 0, err
	}
	return v[abi.IO_WQ_BOUND], v[abi.IO_WQ_UNBOUND], nil
}
