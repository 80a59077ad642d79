package features

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"unsafe"

	"github.com/uringo/uring"
	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

// How HaveRegisterOp tells a register opcode the kernel knows from one it does not.
//
// The kernel refuses an opcode it does not know with EINVAL, both from its first check
// (opcode >= IORING_REGISTER_LAST, since 6.3) and from the default branch of its switch. EINVAL
// is also what most opcodes answer to arguments they refuse, so a probe must pass arguments that
// get past the opcode's argument checks and draw an answer that only its own code gives. Each
// opcode below is called once on a throwaway ring, with arguments chosen from the kernel's code
// (io_uring/register.c and the functions it calls, 5.1 to 6.18) so that:
//
//   - most take the address of a page mapped PROT_NONE, with the count the opcode demands: the
//     opcode's first act is to copy its argument in (or out), which fails with EFAULT and
//     changes nothing;
//   - the unregister opcodes of a resource the ring does not have answer ENXIO, and those that
//     need a ring started disabled (RESTRICTIONS, ENABLE_RINGS) answer EBADFD;
//   - four are called for real, because every argument they take short of a real one is refused
//     with EINVAL: REGISTER_PERSONALITY (it takes no argument and returns an id), then
//     UNREGISTER_PERSONALITY of that id (an unknown id is EINVAL), UNREGISTER_IOWQ_AFF (it takes
//     no argument and resets the calling thread's io-wq CPU affinity) and QUERY with no query
//     (which does nothing).
//
// The ring is made with DEFER_TASKRUN and CQE32 where the kernel has them (6.1), because
// RESIZE_RINGS and ZCRX_IFQ refuse any other ring with EINVAL before they look at their
// argument. SEND_MSG_RING is "blind": only fd -1 reaches it (6.13); a kernel that looks the fd
// up first (before 6.3) answers EBADF, which also means it lacks the opcode. NAPI and the ZCRX
// opcodes answer EOPNOTSUPP on a kernel built without them, which counts as not supported.
//
// The probes run on a goroutine locked to its thread that exits without unlocking, so the
// runtime ends that thread, and with it whatever the probes changed in its io_uring task
// context (the io-wq affinity that UNREGISTER_IOWQ_AFF reset). Any answer outside these is
// inconclusive, and so is everything if UNREGISTER_BUFFERS on the fresh ring, which every
// kernel answers with ENXIO, draws anything else (a seccomp filter that answers for the kernel).

// regArg is the argument a register probe passes.
type regArg uint8

const (
	argNil   regArg = iota // NULL
	argFault               // a page mapped PROT_NONE: copying from or to it fails with EFAULT
)

// regProbe is how one register opcode is called, and which answers prove the kernel knows it.
type regProbe struct {
	arg    regArg
	nr     uint32
	blind  bool            // call with fd -1 (io_uring_register_blind), not on the ring
	known  []syscall.Errno // answers only the opcode's own code gives; 0 is success
	config string          // the kernel option without which the opcode answers EOPNOTSUPP
}

var (
	sizeRsrcRegister = uint32(unsafe.Sizeof(abi.RsrcRegister{})) // the "size" nr_args of FILES2, BUFFERS2
	sizeRsrcUpdate2  = uint32(unsafe.Sizeof(abi.RsrcUpdate2{}))  // of FILES_UPDATE2, BUFFERS_UPDATE

	eFault = []syscall.Errno{syscall.EFAULT}
)

// regProbes has one entry per opcode of uring.RegisterOpList, indexed by code.
var regProbes = [...]regProbe{
	abi.IORING_REGISTER_BUFFERS:          {arg: argFault, nr: 1, known: eFault},
	abi.IORING_UNREGISTER_BUFFERS:        {arg: argNil, known: []syscall.Errno{syscall.ENXIO}},
	abi.IORING_REGISTER_FILES:            {arg: argFault, nr: 1, known: eFault},
	abi.IORING_UNREGISTER_FILES:          {arg: argNil, known: []syscall.Errno{syscall.ENXIO}},
	abi.IORING_REGISTER_EVENTFD:          {arg: argFault, nr: 1, known: eFault},
	abi.IORING_UNREGISTER_EVENTFD:        {arg: argNil, known: []syscall.Errno{syscall.ENXIO}},
	abi.IORING_REGISTER_FILES_UPDATE:     {arg: argFault, nr: 1, known: []syscall.Errno{syscall.EFAULT, syscall.ENXIO}}, // ENXIO: no files, before 5.13
	abi.IORING_REGISTER_EVENTFD_ASYNC:    {arg: argFault, nr: 1, known: eFault},
	abi.IORING_REGISTER_PROBE:            {arg: argFault, nr: 1, known: eFault},
	abi.IORING_REGISTER_PERSONALITY:      {arg: argNil, known: []syscall.Errno{0}},
	abi.IORING_UNREGISTER_PERSONALITY:    {arg: argNil, known: []syscall.Errno{0}}, // nr: the id just registered
	abi.IORING_REGISTER_RESTRICTIONS:     {arg: argFault, nr: 1, known: []syscall.Errno{syscall.EBADFD}},
	abi.IORING_REGISTER_ENABLE_RINGS:     {arg: argNil, known: []syscall.Errno{syscall.EBADFD}},
	abi.IORING_REGISTER_FILES2:           {arg: argFault, nr: sizeRsrcRegister, known: eFault},
	abi.IORING_REGISTER_FILES_UPDATE2:    {arg: argFault, nr: sizeRsrcUpdate2, known: eFault},
	abi.IORING_REGISTER_BUFFERS2:         {arg: argFault, nr: sizeRsrcRegister, known: eFault},
	abi.IORING_REGISTER_BUFFERS_UPDATE:   {arg: argFault, nr: sizeRsrcUpdate2, known: eFault},
	abi.IORING_REGISTER_IOWQ_AFF:         {arg: argFault, nr: 8, known: eFault},
	abi.IORING_UNREGISTER_IOWQ_AFF:       {arg: argNil, known: []syscall.Errno{0}},
	abi.IORING_REGISTER_IOWQ_MAX_WORKERS: {arg: argFault, nr: 2, known: eFault},
	abi.IORING_REGISTER_RING_FDS:         {arg: argFault, nr: 1, known: eFault},
	abi.IORING_UNREGISTER_RING_FDS:       {arg: argFault, nr: 1, known: []syscall.Errno{syscall.EFAULT, 0}}, // 0: the thread has no io_uring context
	abi.IORING_REGISTER_PBUF_RING:        {arg: argFault, nr: 1, known: eFault},
	abi.IORING_UNREGISTER_PBUF_RING:      {arg: argFault, nr: 1, known: eFault},
	abi.IORING_REGISTER_SYNC_CANCEL:      {arg: argFault, nr: 1, known: eFault},
	abi.IORING_REGISTER_FILE_ALLOC_RANGE: {arg: argFault, nr: 0, known: eFault},
	abi.IORING_REGISTER_PBUF_STATUS:      {arg: argFault, nr: 1, known: eFault},
	abi.IORING_REGISTER_NAPI:             {arg: argFault, nr: 1, known: eFault, config: "CONFIG_NET_RX_BUSY_POLL"},
	abi.IORING_UNREGISTER_NAPI:           {arg: argFault, nr: 1, known: eFault, config: "CONFIG_NET_RX_BUSY_POLL"},
	abi.IORING_REGISTER_CLOCK:            {arg: argFault, nr: 0, known: eFault},
	abi.IORING_REGISTER_CLONE_BUFFERS:    {arg: argFault, nr: 1, known: eFault},
	abi.IORING_REGISTER_SEND_MSG_RING:    {arg: argFault, nr: 1, blind: true, known: eFault},
	abi.IORING_REGISTER_ZCRX_IFQ:         {arg: argFault, nr: 1, known: []syscall.Errno{syscall.EFAULT, syscall.EPERM}, config: "CONFIG_IO_URING_ZCRX"}, // EPERM: no CAP_NET_ADMIN
	abi.IORING_REGISTER_RESIZE_RINGS:     {arg: argFault, nr: 1, known: eFault},
	abi.IORING_REGISTER_MEM_REGION:       {arg: argFault, nr: 1, known: eFault},
	abi.IORING_REGISTER_QUERY:            {arg: argNil, known: []syscall.Errno{0}},
	abi.IORING_REGISTER_ZCRX_CTRL:        {arg: argFault, nr: 0, known: eFault, config: "CONFIG_IO_URING_ZCRX"},
	abi.IORING_REGISTER_BPF_FILTER:       {arg: argFault, nr: 1, known: []syscall.Errno{syscall.EFAULT, syscall.EACCES, syscall.EPERM}}, // EACCES/EPERM: not privileged
}

var registerMemo memo[[]error]

// HaveRegisterOp reports whether the kernel knows the io_uring_register(2) opcode op. All
// opcodes are probed together, once per process, on a throwaway ring; the comment at the top of
// this file says how each is told apart.
func HaveRegisterOp(op uring.RegisterOp) error {
	if int(op) >= len(uring.RegisterOpList) {
		return &uring.ArgError{Method: "features.HaveRegisterOp", Reason: fmt.Sprintf("%v is not a register opcode this library knows", op)}
	}
	what := "IORING_" + uring.RegisterOpList[op].Name
	if err := Available(); err != nil {
		return inconclusive(what, err)
	}
	answers, err := registerMemo.get(probeRegisterOps, func(answers []error, err error) bool {
		return err == nil && !slices.ContainsFunc(answers, func(e error) bool { return !conclusive(e) })
	})
	if err != nil {
		return inconclusive(what, err)
	}
	return answers[op]
}

// probeRegisterOps calls every register opcode on a locked thread that ends with the probe, and
// turns the kernel's answers into the answers of HaveRegisterOp.
func probeRegisterOps() ([]error, error) {
	type result struct {
		raw []error
		err error
	}
	c := make(chan result, 1)
	go func() {
		// Never unlocked: the runtime ends the thread when this goroutine returns.
		runtime.LockOSThread()
		raw, err := callRegisterOps()
		c <- result{raw, err}
	}()
	res := <-c
	if res.err != nil {
		return nil, res.err
	}
	if control := res.raw[abi.IORING_UNREGISTER_BUFFERS]; !errors.Is(control, syscall.ENXIO) {
		return nil, fmt.Errorf("io_uring_register answered %v to IORING_UNREGISTER_BUFFERS on a fresh ring, where every kernel answers ENXIO", control)
	}
	answers := make([]error, len(res.raw))
	for op, raw := range res.raw {
		answers[op] = classify(uring.RegisterOp(op), regProbes[op], raw)
	}
	return answers, nil
}

// callRegisterOps makes the throwaway ring and calls each opcode, returning the kernel's answers.
func callRegisterOps() ([]error, error) {
	r, err := uring.New(1, uring.WithDeferTaskrun(), uring.WithCQE32())
	if errors.Is(err, syscall.EINVAL) {
		r, err = uring.New(1) // before 6.1, which has neither RESIZE_RINGS nor ZCRX_IFQ
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	fault, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	defer unix.Munmap(fault)

	raw := make([]error, len(regProbes))
	personality := -1
	for op, p := range regProbes {
		fd := r.Fd()
		if p.blind {
			fd = -1
		}
		var arg unsafe.Pointer
		if p.arg == argFault {
			arg = unsafe.Pointer(unsafe.SliceData(fault))
		}
		nr := p.nr
		if op == abi.IORING_UNREGISTER_PERSONALITY {
			if personality < 0 {
				// The personality was not registered: both opcodes came in 5.6, so the
				// answer to the one is the answer to the other.
				raw[op] = raw[abi.IORING_REGISTER_PERSONALITY]
				continue
			}
			nr = uint32(personality)
		}
		n, err := abi.Register(fd, uint32(op), arg, nr)
		if op == abi.IORING_REGISTER_PERSONALITY && err == nil {
			personality = n
		}
		raw[op] = err
	}
	return raw, nil
}

// classify turns the kernel's answer to a probe into HaveRegisterOp's.
func classify(op uring.RegisterOp, p regProbe, raw error) error {
	info := uring.RegisterOpList[op]
	what := "IORING_" + info.Name
	var errno syscall.Errno
	if raw != nil && !errors.As(raw, &errno) {
		return inconclusive(what, raw)
	}
	switch {
	case slices.Contains(p.known, errno):
		return nil
	case errno == syscall.EOPNOTSUPP && p.config != "":
		return &uring.NotSupportedError{What: what + " (the kernel was built without " + p.config + ")", MinKernel: info.MinKernel, Errno: errno}
	case errno == syscall.EINVAL, p.blind && errno == syscall.EBADF:
		return &uring.NotSupportedError{What: what, MinKernel: info.MinKernel, Errno: errno}
	}
	return inconclusive(what, fmt.Errorf("io_uring_register answered %v to the probe, which says neither yes nor no", raw))
}
