package driver

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/uringo/uring"
)

// Driver makes blocking file operations for any number of goroutines over a set of rings, or
// over plain system calls where io_uring cannot be had. See the package documentation for how.
type Driver struct {
	shards []*shard
	mode   Mode
	closed atomic.Bool
	// hints gives each P the shard it submits to: sync.Pool keeps a per-P cache, so the
	// goroutines running on one P keep finding the same shard, and goroutines on different
	// Ps different ones, without a P id.
	hints    sync.Pool
	nextHint atomic.Uint32
	closeMu  sync.Mutex
	closeErr error
}

// Mode says how a Driver does its work. Its String is "io_uring", or
// "syscalls (io_uring unavailable: <cause>)".
type Mode struct {
	cause error // nil: io_uring
}

// IOURing reports whether the Driver submits through io_uring.
func (m Mode) IOURing() bool { return m.cause == nil }

// Cause returns why the Driver uses plain system calls (the error from uring.New, or the
// option that forced it), or nil in io_uring mode.
func (m Mode) Cause() error { return m.cause }

// String returns "io_uring", or "syscalls (io_uring unavailable: <cause>)".
func (m Mode) String() string {
	if m.cause == nil {
		return "io_uring"
	}
	return "syscalls (io_uring unavailable: " + m.cause.Error() + ")"
}

// ErrClosed is returned by every call on a closed Driver. It matches os.ErrClosed.
var ErrClosed error = closedError{}

type closedError struct{}

func (closedError) Error() string        { return "driver: closed" }
func (closedError) Is(target error) bool { return target == os.ErrClosed }

// errForcedSyscalls is the Mode cause of a Driver made WithSyscalls.
var errForcedSyscalls = errors.New("forced by driver.WithSyscalls")

// Option configures New.
type Option func(*config)

type config struct {
	shards   int
	entries  uint32
	syscalls bool
	yield    yieldMode
	spread   bool // pick shards at random instead of by P (for measurements)
}

// yieldMode chooses when a goroutine about to submit first lets the other runnable goroutines
// of its P queue their operations (runtime.Gosched), so that one io_uring_enter takes them all.
type yieldMode uint8

const (
	yieldAdaptive yieldMode = iota // see shard.shouldYield
	yieldNever                     // submit at once
	yieldAlways                    // before every submission
)

// WithShards sets the number of rings. The default is GOMAXPROCS at New, at most 64: one per
// P, so that goroutines running at the same time rarely share one.
func WithShards(n int) Option { return func(c *config) { c.shards = n } }

// WithEntries sets the size of each ring's submission queue (rounded up to a power of two; the
// completion queue is twice that). Half of it is the most operations a ring has in flight:
// more wait their turn. The default is 256 (128 operations in flight per ring).
func WithEntries(n uint32) Option { return func(c *config) { c.entries = n } }

// WithSyscalls makes the Driver use plain system calls (pread, pwrite, ...) even where
// io_uring is available, as it does where it is not.
func WithSyscalls() Option { return func(c *config) { c.syscalls = true } }

func withYield(y yieldMode) Option { return func(c *config) { c.yield = y } }

func withSpread() Option { return func(c *config) { c.spread = true } }

// New creates a Driver. Where io_uring is unavailable (uring.IsUnavailable: ENOSYS from a
// seccomp filter, EPERM from kernel.io_uring_disabled) it returns a Driver that uses plain
// system calls, and Mode says why; other failures to create the rings are returned.
func New(opts ...Option) (*Driver, error) {
	c := config{entries: 256}
	for _, o := range opts {
		o(&c)
	}
	if c.shards <= 0 {
		c.shards = min(runtime.GOMAXPROCS(0), 64)
	}
	if c.entries < 2 || c.entries > 32768 {
		return nil, fmt.Errorf("driver: entries %d out of range [2, 32768]", c.entries)
	}
	d := &Driver{}
	if c.syscalls {
		d.mode = Mode{cause: errForcedSyscalls}
		return d, nil
	}
	for i := 0; i < c.shards; i++ {
		s, err := newShard(&c)
		if err != nil {
			for _, s := range d.shards {
				s.close()
			}
			if uring.IsUnavailable(err) {
				return &Driver{mode: Mode{cause: err}}, nil
			}
			return nil, err
		}
		d.shards = append(d.shards, s)
	}
	n := uint32(len(d.shards))
	if c.spread {
		d.hints.New = func() any { return nil }
	} else {
		d.hints.New = func() any { return d.shards[d.nextHint.Add(1)%n] }
	}
	return d, nil
}

var (
	defaultOnce   sync.Once
	defaultDriver *Driver
)

// Default returns the process-wide Driver, created on first use with the default options. It
// never fails: where the rings cannot be created it uses plain system calls (see Mode). It is
// never closed; Close on it returns an error and changes nothing.
func Default() *Driver {
	defaultOnce.Do(func() {
		d, err := New()
		if err != nil {
			d = &Driver{mode: Mode{cause: err}}
		}
		defaultDriver = d
	})
	return defaultDriver
}

// Mode says whether the Driver runs on io_uring or on plain system calls, and why.
func (d *Driver) Mode() Mode { return d.mode }

// Shards returns the number of rings (0 in syscall mode).
func (d *Driver) Shards() int { return len(d.shards) }

// pick returns the shard for the calling goroutine: the one its P last used.
func (d *Driver) pick() *shard {
	v := d.hints.Get()
	if v == nil { // spread: any shard
		return d.shards[cheapIndex(len(d.shards))]
	}
	s := v.(*shard)
	d.hints.Put(v)
	return s
}

var spreadCounter atomic.Uint32

func cheapIndex(n int) int { return int(spreadCounter.Add(1) % uint32(n)) }

// Stats are a Driver's counters, summed over its rings.
type Stats struct {
	Ops       uint64 // operations submitted to the kernel (cancellations included)
	Enters    uint64 // io_uring_enter calls that submitted them
	Inline    uint64 // operations whose submitter found them complete when its enter returned
	Parked    uint64 // times a goroutine parked to wait for a completion or its turn
	Reaped    uint64 // completions the reaper goroutines delivered (the asynchronous ones)
	Handoffs  uint64 // times a submitter handed the submitting role to a waiting goroutine
	Cancels   uint64 // operations cancelled in the kernel (ASYNC_CANCEL) for an ended context
	Throttled uint64 // times a caller waited because its ring had the most operations in flight
	InFlight  uint64 // completions the kernel owes now (operations and cancellations)
}

// Stats returns the Driver's counters so far.
func (d *Driver) Stats() Stats {
	var t Stats
	for _, s := range d.shards {
		s.mu.Lock()
		st := s.stats
		st.InFlight = uint64(s.outstanding)
		s.mu.Unlock()
		t.Ops += st.Ops
		t.Enters += st.Enters
		t.Inline += st.Inline
		t.Parked += st.Parked
		t.Reaped += st.Reaped
		t.Handoffs += st.Handoffs
		t.Cancels += st.Cancels
		t.Throttled += st.Throttled
		t.InFlight += st.InFlight
	}
	return t
}

// Close stops the Driver: new calls fail with an error that matches os.ErrClosed; operations
// in flight finish, or are cancelled in the kernel and complete with ECANCELED; the rings are
// closed once the kernel holds none of their memory; no goroutine or file descriptor of the
// Driver outlives Close. A second Close, or Close of Default, returns an error matching
// os.ErrClosed.
func (d *Driver) Close() error {
	if d == defaultDriver {
		return fmt.Errorf("driver: the Default driver is never closed: %w", ErrClosed)
	}
	d.closeMu.Lock()
	defer d.closeMu.Unlock()
	if !d.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	var errs []error
	for _, s := range d.shards {
		if err := s.close(); err != nil {
			errs = append(errs, err)
		}
	}
	d.closeErr = errors.Join(errs...)
	return d.closeErr
}
