package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/uringo/uring"
	"golang.org/x/sys/unix"
)

// A shard is one Ring and the goroutines that use it. Its lock (mu) guards every Ring method
// and every field below, except the io_uring_enter call of the submitter (Ring.EnterSubmit),
// which runs unlocked so that other goroutines can queue their operations meanwhile.
//
// Invariants, under mu:
//   - submitting: exactly one goroutine (the submitter) may publish and enter. Whenever entries
//     wait in the SQ (or cancellations wait for room in it) and no goroutine is submitting, the
//     goroutine that notices becomes the submitter. A submitter enters until nothing waits,
//     or, once its own operations are done and it has entered maxExtraRounds more for others,
//     hands the role to a waiter of a queued entry (lead): queued entries are never stranded.
//   - outstanding counts the completions the kernel still owes. While it is above zero and
//     nobody else is looking (the submitter reaps what completes inline), a reaper goroutine
//     waits for them on the netpoller and delivers them.
//   - used ≤ limit (half the SQ, a quarter of the CQ): the operations admitted and not yet
//     completed. The CQ can never overflow, and the SQ has room for every admitted operation
//     (sqWait covers the rare exception); the rest wait in line (turnHead) and are admitted in
//     order as completions free room.
type shard struct {
	mu   sync.Mutex
	ring *uring.Ring

	reqs []request // indexed by the low 32 bits of an operation's user data
	free uint32    // head of the free list of reqs, or noReq

	limit, used int
	outstanding int
	submitting  bool
	queued      []uint32 // requests prepared since the submitter's last Publish, in SQ order
	cancels     []uint64 // user data to cancel (cancelAll, cancelFd|fd), waiting for SQ room

	turnHead, turnTail *waiter   // callers waiting for room, first come first served
	sqWait             []*waiter // callers that found the SQ full, woken after the next enter

	yield yieldMode

	// The reaper: a goroutine that exists only while completions are owed that nobody else
	// will see. It waits on an eventfd the Ring signals (enabled only while it runs).
	efd      *os.File
	efdConn  syscall.RawConn
	reaping  bool
	reaperWG sync.WaitGroup

	closed bool
	idle   chan struct{} // made by close, closed once nothing is owed any more
	broken error         // io_uring_enter failed for good: operations use system calls

	// order mirrors the SQ: the user data of the entry at each position, so that breakShard
	// can tell which requests the kernel never consumed. prepped mirrors the SQ tail.
	order   []uint64
	prepped uint32

	enterHook func(n uint32) (int, error) // tests: replaces Ring.EnterSubmit
	stats     Stats
}

const (
	noReq     = ^uint32(0)
	genMask   = 1<<30 - 1
	tagBit    = uint64(1) << 62 // user data of the driver's own cancellations
	cancelAll = ^uint64(0)      // in shard.cancels: cancel every operation of the ring
	cancelFd  = uint64(1) << 63 // in shard.cancels, with an fd: cancel every operation on it
)

type reqState uint8

const (
	reqFree   reqState = iota
	reqQueued          // prepared: in the SQ or in the kernel
	reqDone            // completed; res holds the result
)

// request is one operation in flight: the waiter to tell and the result.
type request struct {
	w         *waiter
	res       int32
	gen       uint32 // bumped on every release, so a stale completion never matches
	next      uint32 // free-list link
	state     reqState
	cancelled bool // a cancellation has been asked for
	failed    bool // never reached the kernel (breakShard): redo it with a system call
}

// waiter is a goroutine waiting for its operations (or its turn). It parks on ch, a channel
// of capacity one that is empty whenever signaled is false.
type waiter struct {
	ch       chan struct{}
	reqs     []uint32 // the requests it waits for
	pending  int      // how many of them have not completed
	parked   bool     // between its decision to park and its return under the lock
	signaled bool     // a wake-up was sent on ch and not yet taken
	lead     bool     // it was handed the submitter's role
	granted  bool     // it was given room while waiting in line
	need     int      // the room it waits for
	next     *waiter  // next in line
}

var waiters = sync.Pool{New: func() any { return &waiter{ch: make(chan struct{}, 1)} }}

func getWaiter() *waiter { return waiters.Get().(*waiter) }

func putWaiter(w *waiter) {
	w.reqs = w.reqs[:0]
	w.pending, w.lead, w.granted, w.need, w.next = 0, false, false, 0, nil
	waiters.Put(w)
}

func newShard(c *config) (*shard, error) {
	r, err := uring.New(c.entries)
	if err != nil {
		return nil, err
	}
	// Room for twice the operations admitted: the kernel posts the completions of the entries
	// it runs inline before it moves the SQ head past them, so for the length of one enter the
	// entries of operations already completed (and replaced by new ones) still fill the SQ.
	s := &shard{ring: r, free: noReq, limit: int(r.SQEntries() / 2), yield: c.yield}
	s.reqs = make([]request, 0, s.limit)
	s.order = make([]uint64, r.SQEntries())
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("driver: eventfd: %w", err)
	}
	if err := r.RegisterEventfd(efd); err != nil {
		unix.Close(efd)
		r.Close()
		return nil, err
	}
	if err := r.SetEventfdEnabled(false); err != nil {
		unix.Close(efd)
		r.Close()
		return nil, err
	}
	s.efd = os.NewFile(uintptr(efd), "driver-eventfd")
	if s.efdConn, err = s.efd.SyscallConn(); err != nil {
		s.efd.Close()
		r.Close()
		return nil, err
	}
	return s, nil
}

// userData is the kernel user data of request idx: its generation and its index.
func (s *shard) userData(idx uint32) uint64 {
	return uint64(s.reqs[idx].gen&genMask)<<32 | uint64(idx)
}

func (s *shard) allocReq(w *waiter) uint32 {
	idx := s.free
	if idx == noReq {
		idx = uint32(len(s.reqs))
		s.reqs = append(s.reqs, request{})
	} else {
		s.free = s.reqs[idx].next
	}
	q := &s.reqs[idx]
	q.w, q.res, q.state, q.cancelled, q.failed, q.next = w, 0, reqQueued, false, false, noReq
	return idx
}

func (s *shard) freeReq(idx uint32) {
	q := &s.reqs[idx]
	q.w, q.state = nil, reqFree
	q.gen++
	q.next = s.free
	s.free = idx
}

// wake sends w its wake-up if it is parked and has none pending.
func (s *shard) wake(w *waiter) {
	if w.parked && !w.signaled {
		w.signaled = true
		w.ch <- struct{}{}
	}
}

// park waits, unlocked, until w is woken or done is closed, and reports whether it was woken.
func (s *shard) park(w *waiter, done <-chan struct{}) bool {
	w.parked = true
	s.stats.Parked++
	s.mu.Unlock()
	got := false
	if done == nil {
		<-w.ch
		got = true
	} else {
		select {
		case <-w.ch:
			got = true
		case <-done:
		}
	}
	s.mu.Lock()
	w.parked = false
	if !w.signaled {
		return false
	}
	if !got {
		<-w.ch // sent under the lock before we took it: there already
	}
	w.signaled = false
	return true
}

// admit reserves room for n operations, waiting in line when the ring has too many in flight.
// It returns errBroken when the ring can no longer be entered: the caller uses system calls.
func (s *shard) admit(ctx context.Context, w *waiter, n int) error {
	if err := s.refusal(); err != nil {
		return err
	}
	if s.turnHead == nil && s.used+n <= s.limit {
		s.used += n
		return nil
	}
	s.stats.Throttled++
	w.need, w.granted, w.next = n, false, nil
	if s.turnTail == nil {
		s.turnHead = w
	} else {
		s.turnTail.next = w
	}
	s.turnTail = w
	done := ctx.Done()
	for !w.granted && s.refusal() == nil {
		if !s.park(w, done) && !w.granted {
			break // ctx ended
		}
	}
	if !w.granted {
		s.leaveLine(w)
	}
	err := s.refusal()
	if err == nil {
		err = ctx.Err()
	}
	if err != nil && w.granted { // granted, but too late: pass the room on
		s.release(n)
	}
	return err
}

// refusal says why the shard takes no new operations, or nil.
func (s *shard) refusal() error {
	if s.closed {
		return ErrClosed
	}
	if s.broken != nil {
		return errBroken
	}
	return nil
}

// errBroken tells a caller that the ring can no longer be entered (a seccomp filter installed
// after it was created, say): it does its work with system calls instead.
var errBroken = errors.New("driver: ring unusable")

func (s *shard) leaveLine(w *waiter) {
	var prev *waiter
	for x := s.turnHead; x != nil; prev, x = x, x.next {
		if x == w {
			if prev == nil {
				s.turnHead = x.next
			} else {
				prev.next = x.next
			}
			if s.turnTail == x {
				s.turnTail = prev
			}
			break
		}
	}
	w.next = nil
}

// release gives back room for n operations and admits whoever waits for it, in order.
func (s *shard) release(n int) {
	s.used -= n
	for w := s.turnHead; w != nil && s.used+w.need <= s.limit; w = s.turnHead {
		s.used += w.need
		w.granted = true
		s.turnHead = w.next
		if s.turnHead == nil {
			s.turnTail = nil
		}
		w.next = nil
		s.wake(w)
	}
}

// needsSubmit reports whether entries wait in the SQ or cancellations wait for room in it,
// on a ring that can still be entered.
func (s *shard) needsSubmit() bool {
	return s.broken == nil && (s.ring.SQReady() > 0 || len(s.cancels) > 0)
}

// do runs one operation on the calling goroutine's shard and returns its result.
func (d *Driver) do(ctx context.Context, a *opArgs) (int, error) {
	w := getWaiter()
	s := d.lockShard()
	if err := s.admit(ctx, w, 1); err != nil {
		s.mu.Unlock()
		putWaiter(w)
		if err == errBroken {
			return a.syscall()
		}
		return 0, err
	}
	idx, err := s.prep(a, w)
	if err != nil {
		s.release(1)
		s.mu.Unlock()
		putWaiter(w)
		return 0, err
	}
	w.reqs = append(w.reqs, idx)
	w.pending = 1
	s.submitOrQueue(w)
	if w.pending > 0 {
		err = s.wait(ctx, w)
	}
	q := s.reqs[idx]
	s.freeReq(idx)
	closed := s.closed
	s.mu.Unlock()
	putWaiter(w)
	if q.failed {
		return a.syscall()
	}
	n, err := result(q.res, closed, err)
	if err == syscall.EINVAL && a.kind == opFtruncate {
		return a.syscall() // IORING_OP_FTRUNCATE is 6.9: the system call says what EINVAL meant
	}
	return n, err
}

// prep prepares a's entry for waiter w and returns its request.
func (s *shard) prep(a *opArgs, w *waiter) (uint32, error) {
	sqe, err := a.prep(s.ring)
	for err == uring.ErrSQFull {
		// Full for now: a submitter's enter has run entries whose completions freed room for
		// new operations, and has not yet moved the SQ head; or cancellations filled it.
		if s.submitting {
			s.sqWait = append(s.sqWait, w)
			s.park(w, nil)
		} else {
			s.submitting = true
			s.flush(nil)
		}
		if err = s.refusal(); err != nil {
			return 0, err
		}
		sqe, err = a.prep(s.ring)
	}
	if err != nil {
		return 0, err
	}
	idx := s.allocReq(w)
	ud := s.userData(idx)
	sqe.SetUserData(ud)
	s.queuedEntry(ud)
	return idx, nil
}

// result turns a completion into what a caller gets: the result of an operation that
// succeeded, even if its context ended first; the context's error for one cancelled because
// of it; ErrClosed for one cancelled by Close; else the errno.
func result(res int32, closed bool, ctxErr error) (int, error) {
	switch {
	case res >= 0:
		return int(res), nil
	case ctxErr != nil:
		return 0, ctxErr
	case closed && res == -int32(unix.ECANCELED):
		return 0, ErrClosed
	}
	return 0, syscall.Errno(-res)
}

// batch runs ops (reads and writes): as many at a time as a ring has room for, each group
// prepared under one lock and submitted together.
func (d *Driver) batch(ctx context.Context, ops []Op) error {
	w := getWaiter()
	defer putWaiter(w)
	for start := 0; start < len(ops); {
		s := d.lockShard()
		group := ops[start:min(len(ops), start+s.limit)]
		start += len(group)
		if err := s.admit(ctx, w, len(group)); err != nil {
			s.mu.Unlock()
			if err == errBroken {
				for i := range group {
					group[i].syscall()
				}
				continue
			}
			setErr(group, err)
			setErr(ops[start:], err)
			return err
		}
		w.reqs = w.reqs[:0]
		w.pending = 0 // counted as prepared: prep may submit and reap those before
		unused := 0
		for i := range group {
			op := &group[i]
			op.N, op.Err = 0, nil
			err, skip := op.check()
			if !skip {
				var idx uint32
				if idx, err = s.prep(batchArgs(op), w); err == nil {
					w.reqs = append(w.reqs, idx)
					w.pending++
					continue
				}
			}
			op.Err = err // errBroken: redone with a system call below
			w.reqs = append(w.reqs, noReq)
			unused++
		}
		if unused > 0 {
			s.release(unused)
		}
		var err error
		if w.pending > 0 {
			s.submitOrQueue(w)
			if w.pending > 0 {
				err = s.wait(ctx, w)
			}
		}
		closed := s.closed
		var redo []int
		for i, idx := range w.reqs {
			if idx == noReq {
				if group[i].Err == errBroken {
					redo = append(redo, i)
				}
				continue
			}
			q := s.reqs[idx]
			s.freeReq(idx)
			if q.failed {
				redo = append(redo, i)
				continue
			}
			group[i].N, group[i].Err = result(q.res, closed, err)
		}
		s.mu.Unlock()
		for _, i := range redo {
			group[i].syscall()
		}
		if err != nil {
			setErr(ops[start:], err)
			return err
		}
	}
	return nil
}

// lockShard locks and returns the shard for the calling goroutine: the one its P last used,
// unless that one's submitter is in the kernel and another shard is idle. Goroutines that
// queue behind a busy submitter wait for it, and for cached reads, which complete inside the
// submitter's enter one after the other on its CPU, an idle ring on another CPU is faster.
func (d *Driver) lockShard() *shard {
	s := d.pick()
	s.mu.Lock()
	if !s.submitting || len(d.shards) == 1 {
		return s
	}
	for _, o := range d.shards {
		if o != s && o.mu.TryLock() {
			if !o.submitting && o.turnHead == nil && o.used < o.limit {
				s.mu.Unlock()
				return o
			}
			o.mu.Unlock()
		}
	}
	return s
}

// submitOrQueue makes sure w's new entries get submitted: it becomes the submitter if nobody
// is, or leaves them to the submitter. It returns with w's completions reaped if they
// completed inline.
func (s *shard) submitOrQueue(w *waiter) {
	if s.submitting {
		for _, idx := range w.reqs {
			if idx != noReq {
				s.queued = append(s.queued, idx)
			}
		}
		return
	}
	s.submitting = true
	if s.shouldYield(w) {
		// Let the goroutines that are runnable on this P queue their entries first, and take
		// them all in one enter.
		s.mu.Unlock()
		runtime.Gosched()
		s.mu.Lock()
	}
	s.flush(w)
}

// shouldYield says whether a goroutine about to submit should let others queue first: when
// operations of the ring are waiting in the kernel, whose goroutines the reaper wakes
// together and which then submit again together. Not otherwise: cached reads complete inside
// the enter that submits them, on the submitter's CPU one after the other, so gathering them
// from parked goroutines gains nothing over each goroutine entering for itself (measured:
// BenchmarkRatio/cached against cached-yield), and runtime.Gosched, which goes through the
// global run queue and may wake another P, costs a lone goroutine microseconds.
func (s *shard) shouldYield(w *waiter) bool {
	switch s.yield {
	case yieldAlways:
		return true
	case yieldNever:
		return false
	}
	return s.outstanding > w.pending
}

// wait returns when every request of w has completed. It submits when entries are waiting and
// nobody is submitting, takes over submitting when handed the role, and when ctx ends it
// cancels w's requests in the kernel and goes on waiting for their own completions, whose
// memory the kernel holds until then. It returns ctx's error if ctx ended.
func (s *shard) wait(ctx context.Context, w *waiter) error {
	var err error
	done := ctx.Done()
	for w.pending > 0 || w.lead {
		if w.lead || (!s.submitting && s.needsSubmit()) {
			w.lead = false
			s.submitting = true
			s.flush(w)
			continue
		}
		if s.park(w, done) {
			continue
		}
		err, done = ctx.Err(), nil
		for _, idx := range w.reqs {
			if idx == noReq {
				continue
			}
			q := &s.reqs[idx]
			if q.state == reqQueued && !q.cancelled {
				q.cancelled = true
				s.cancels = append(s.cancels, s.userData(idx))
			}
		}
	}
	return err
}

// flush is the submitter's loop: publish what is queued, enter without the lock, reap what
// completed inline, and go on while more was queued meanwhile. A submitter whose own
// operations are done enters at most maxExtraRounds more for others, then hands the role to a
// goroutine whose entries are queued rather than keep its caller waiting.
func (s *shard) flush(self *waiter) {
	extra := 0 // rounds entered for others after our own operations completed
	for backoff := time.Duration(0); s.broken == nil; {
		if len(s.cancels) > 0 {
			s.prepCancels()
		}
		n := s.ring.Publish()
		if n == 0 {
			break
		}
		s.queued = s.queued[:0]
		s.mu.Unlock()
		var got int
		var err error
		if s.enterHook != nil {
			got, err = s.enterHook(n)
		} else {
			got, err = s.ring.EnterSubmit(n)
		}
		s.mu.Lock()
		s.stats.Enters++
		if got > 0 {
			s.stats.Ops += uint64(got)
		}
		s.stats.Inline += uint64(s.reap())
		for i, w := range s.sqWait {
			s.wake(w)
			s.sqWait[i] = nil
		}
		s.sqWait = s.sqWait[:0]
		if err != nil {
			var retry bool
			if retry, backoff = s.enterFailed(err, backoff); !retry {
				break
			}
			continue
		}
		backoff = 0
		if self != nil && self.pending == 0 && s.needsSubmit() {
			if extra++; extra > maxExtraRounds && s.handOff(self) {
				return // the new submitter carries on; submitting stays true
			}
		}
	}
	s.submitting = false
	if s.outstanding > 0 && !s.reaping {
		s.startReaper()
	}
	s.checkIdle()
}

// maxExtraRounds bounds how long a submitter whose own operations are done goes on entering
// for others before it hands the role on. Handing it on at once would keep the ring busy until
// the woken goroutine runs, so everyone arriving meanwhile would queue and park; a few rounds
// drain what queued while its enter ran, and the ring goes back to goroutines submitting their
// own operations.
const maxExtraRounds = 4

// enterFailed handles an io_uring_enter error. Nothing was consumed. EINTR is retried at once;
// a shortage (EAGAIN, EBUSY, ENOMEM) is retried after completions free resources, by the
// reaper when some are owed, else after a short sleep; anything else breaks the shard.
func (s *shard) enterFailed(err error, backoff time.Duration) (retry bool, next time.Duration) {
	switch {
	case errors.Is(err, unix.EINTR):
		return true, backoff
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EBUSY), errors.Is(err, unix.ENOMEM):
		if s.outstanding > int(s.ring.SQReady()) {
			return false, backoff // the reaper resubmits after the next completion
		}
		backoff = min(max(2*backoff, 50*time.Microsecond), 10*time.Millisecond)
		s.mu.Unlock()
		time.Sleep(backoff)
		s.mu.Lock()
		return true, backoff
	}
	s.breakShard(fmt.Errorf("driver: io_uring_enter: %w", err))
	return false, backoff
}

// breakShard marks the ring unusable, after io_uring_enter failed in a way retrying cannot
// fix. Nobody enters it again, so the kernel never reads the entries it has not consumed: their
// requests are failed (their callers redo them with system calls), as are later ones, and
// Ring.Close releases the memory those entries hold. What the kernel did consume completes as
// usual.
func (s *shard) breakShard(err error) {
	s.broken = err
	s.cancels = s.cancels[:0]
	for k := s.prepped - s.ring.SQReady(); k != s.prepped; k++ {
		ud := s.order[k&uint32(len(s.order)-1)]
		s.outstanding--
		if ud&tagBit != 0 {
			continue
		}
		idx := uint32(ud)
		q := &s.reqs[idx]
		if q.state != reqQueued || q.gen&genMask != uint32(ud>>32)&genMask {
			continue
		}
		q.state, q.failed = reqDone, true
		s.release(1)
		if q.w.pending--; q.w.pending == 0 {
			s.wake(q.w)
		}
	}
	for w := s.turnHead; w != nil; w = w.next {
		s.wake(w)
	}
}

// handOff wakes a goroutine whose entries are queued and makes it the submitter.
func (s *shard) handOff(self *waiter) bool {
	for _, idx := range s.queued {
		q := &s.reqs[idx]
		if w := q.w; q.state == reqQueued && w != self && w.parked && !w.lead {
			w.lead = true
			s.wake(w)
			s.stats.Handoffs++
			return true
		}
	}
	return false
}

// prepCancels prepares the cancellations that wait for room in the SQ.
func (s *shard) prepCancels() {
	i := 0
	for ; i < len(s.cancels); i++ {
		ud := s.cancels[i]
		var sqe uring.SQE
		var err error
		switch {
		case ud == cancelAll:
			sqe, err = s.ring.PrepCancel(0, uring.CancelAny|uring.CancelAll)
		case ud&cancelFd != 0:
			sqe, err = s.ring.PrepCancelFd(int(int32(ud)), uring.CancelAll)
		default:
			sqe, err = s.ring.PrepCancel(ud, 0)
		}
		if err != nil {
			break // the SQ is full: the next round
		}
		sqe.SetUserData(tagBit)
		s.queuedEntry(tagBit)
		s.stats.Cancels++
	}
	s.cancels = append(s.cancels[:0], s.cancels[i:]...)
}

// queuedEntry records an entry just prepared, with its user data.
func (s *shard) queuedEntry(ud uint64) {
	s.order[s.prepped&uint32(len(s.order)-1)] = ud
	s.prepped++
	s.outstanding++
}

// reap delivers every completion ready in the CQ and returns how many it delivered.
func (s *shard) reap() int {
	n, freed := 0, 0
	for c := range s.ring.Completions() {
		n++
		if c.UserData&tagBit != 0 {
			s.outstanding--
			continue
		}
		idx, gen := uint32(c.UserData), uint32(c.UserData>>32)&genMask
		if uint64(idx) >= uint64(len(s.reqs)) || s.reqs[idx].state != reqQueued || s.reqs[idx].gen&genMask != gen {
			continue // not ours: cannot happen, and must never reach a waiter
		}
		q := &s.reqs[idx]
		q.res, q.state = c.Res, reqDone
		s.outstanding--
		freed++
		w := q.w
		if w.pending--; w.pending == 0 {
			s.wake(w)
		}
	}
	if freed > 0 {
		s.release(freed)
	}
	return n
}

// startReaper starts the goroutine that waits for the completions owed.
func (s *shard) startReaper() {
	s.reaping = true
	s.ring.SetEventfdEnabled(true)
	s.reaperWG.Add(1)
	go s.reaper()
}

// reaper delivers completions that arrive after their submitter has moved on (O_DIRECT reads,
// pipes, anything the kernel finishes later), parked on the netpoller between batches. It
// exits when nothing is owed.
func (s *shard) reaper() {
	defer s.reaperWG.Done()
	var buf [8]byte
	drained := func(fd uintptr) bool {
		_, err := unix.Read(int(fd), buf[:])
		return err != unix.EAGAIN
	}
	s.mu.Lock()
	for {
		s.stats.Reaped += uint64(s.reap())
		if !s.submitting && s.needsSubmit() {
			s.submitting = true
			s.flush(nil)
		}
		if s.outstanding == 0 {
			break
		}
		s.mu.Unlock()
		err := s.efdConn.Read(drained)
		s.mu.Lock()
		if err != nil {
			break // the eventfd was closed: Close gave up waiting
		}
	}
	s.reaping = false
	s.ring.SetEventfdEnabled(false)
	s.checkIdle()
	s.mu.Unlock()
}

// checkIdle tells close when nothing is owed any more.
func (s *shard) checkIdle() {
	if s.idle != nil && s.outstanding == 0 && !s.submitting && !s.reaping && !s.needsSubmit() {
		close(s.idle)
		s.idle = nil
	}
}

// cancelFd asks the kernel to cancel every operation on fd in flight, and returns without
// waiting for them.
func (s *shard) cancelFd(fd int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outstanding == 0 || s.broken != nil || s.closed {
		return
	}
	s.cancels = append(s.cancels, cancelFd|uint64(uint32(fd)))
	if !s.submitting {
		s.submitting = true
		s.flush(nil)
	}
}

// closeGrace is how long close waits for the kernel to complete what it cancels.
var closeGrace = 10 * time.Second

// close cancels everything in flight, waits until the kernel owes nothing, and closes the
// ring and the eventfd.
func (s *shard) close() error {
	s.mu.Lock()
	s.closed = true
	for w := s.turnHead; w != nil; w = w.next {
		s.wake(w)
	}
	idle := make(chan struct{})
	s.idle = idle
	cancel := func() {
		if s.outstanding > 0 && s.broken == nil {
			s.cancels = append(s.cancels, cancelAll)
			if !s.submitting {
				s.submitting = true
				s.flush(nil)
			}
		}
	}
	cancel()
	s.checkIdle()
	s.mu.Unlock()

	var err error
	tick := time.NewTicker(100 * time.Millisecond)
	deadline := time.Now().Add(closeGrace)
wait:
	for {
		select {
		case <-idle:
			break wait
		case <-tick.C:
			if time.Now().After(deadline) {
				err = fmt.Errorf("driver: close: operations still in flight after %v", closeGrace)
				break wait
			}
			s.mu.Lock()
			cancel() // operations linked or queued behind the first cancellation
			s.mu.Unlock()
		}
	}
	tick.Stop()
	s.efd.Close() // a reaper still waiting (only if we gave up) returns
	s.reaperWG.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.submitting { // only if we gave up: let the submitter's enter return first
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
		s.mu.Lock()
	}
	if cerr := s.ring.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}
