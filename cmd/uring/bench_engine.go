package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// An engine moves the blocks of bench jobs: psync (os.File), uring-batch (one Ring per job),
// uring (the driver package). Each engine lives in its own file, engine_NAME.go, and registers
// itself here; everything else (the workload, the clock, the histograms, verification) is the
// job's, shared by all engines.
type engine struct {
	name    string
	summary string // one line for --help and the report
	// check refuses options the engine cannot honour; it runs before any file is made.
	check func(o *benchOptions) error
	// open, when set, makes what the jobs of a run share (j.shared), once per run, and returns
	// the function that releases it.
	open func(o *benchOptions) (shared any, release func(), err error)
	// run runs one job until j.next says it is done, calling j.completed for every operation,
	// and returns the first error (a failed or short operation, a failed verification).
	run func(j *job) error
	// describe says how the engine runs the options, for the report.
	describe func(o *benchOptions, shared any) string
}

var engines = map[string]*engine{}

func registerEngine(e *engine) struct{} {
	engines[e.name] = e
	return struct{}{}
}

func engineNames() string {
	names := make([]string, 0, len(engines))
	for n := range engines {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// defaultEngine is the io_uring engine a bench uses unless told otherwise: the driver's.
func defaultEngine() string { return "uring" }

// runState is what the jobs of one run share: when to count operations, when to stop. The
// controlling goroutine writes it; jobs read it once per operation (or batch).
type runState struct {
	measuring atomic.Bool // past the ramp: record operations
	stop      atomic.Bool // finish the operations in flight and return
}

// Latency histograms: 1 ns to 100 s at 3 significant digits, one per job and direction, merged
// when the run is over, so that recording takes no lock.
const (
	histMin    = 1
	histMax    = int64(100 * time.Second)
	histDigits = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// job is one worker of a run: numjobs of them run at once, each in its own goroutine.
type job struct {
	id     int
	o      *benchOptions
	t      *target
	rs     *runState
	shared any       // what the engine's open made
	start  time.Time // the time base of completed's latencies

	nblocks int64  // blocks in the region
	rng     uint64 // xorshift64* state
	seq     int64  // next block of a sequential workload
	budget  int64  // operations left for a size-bound run; -1 when time-bound

	hist  [2]*hdrhistogram.Histogram // read, write latencies in ns
	ops   [2]int64                   // operations recorded, per direction
	count atomic.Int64               // operations recorded, read by the progress line
	_     [56]byte                   // keep count off its neighbours' cache lines

	written []uint64 // with --verify and writes: the blocks this job wrote
	verify  verifier
}

func newJob(id int, o *benchOptions, t *target, rs *runState, start time.Time) *job {
	j := &job{id: id, o: o, t: t, rs: rs, start: start, budget: -1}
	if t != nil {
		j.nblocks = t.size / o.bs
	} else { // --rw=nop: no file; a size-bound run makes --size/bs operations
		j.nblocks = max(o.size, defaultFileSize) / o.bs
		if o.size > 0 {
			j.nblocks = o.size / o.bs
		}
	}
	j.rng = 0x9E3779B97F4A7C15 ^ uint64(id+1)*0xBF58476D1CE4E5B9 ^ uint64(start.UnixNano())
	if j.rng == 0 {
		j.rng = 1
	}
	if !o.timeBased {
		// fio: without time_based each job moves size bytes (one pass over the region).
		j.budget = j.nblocks
	}
	j.hist = [2]*hdrhistogram.Histogram{newHist(), newHist()}
	if o.verify != "" && o.writes() {
		j.written = make([]uint64, (j.nblocks+63)/64)
	}
	j.verify = verifier{bs: o.bs, seed: j.rng}
	return j
}

func (j *job) rand() uint64 {
	x := j.rng
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	j.rng = x
	return x * 0x2545F4914F6CDD1D
}

// op is one operation a job asks its engine for.
type op struct {
	off   int64
	write bool
}

// next returns the next operation, or false when the job is done: the run is stopping, or a
// size-bound job has moved its bytes.
func (j *job) next() (op, bool) {
	if j.rs.stop.Load() || j.budget == 0 {
		return op{}, false
	}
	if j.budget > 0 && j.rs.measuring.Load() {
		j.budget--
	}
	var o op
	if j.o.random() {
		o.off = int64(j.rand()%uint64(j.nblocks)) * j.o.bs
	} else {
		o.off = j.seq * j.o.bs
		if j.seq++; j.seq == j.nblocks {
			j.seq = 0
		}
	}
	switch {
	case j.o.rwKind == rwNop:
	case j.o.reads() && j.o.writes():
		o.write = j.rand()%100 >= uint64(j.o.rwmixread)
	default:
		o.write = j.o.writes()
	}
	return o, true
}

// elapsed is the time stamp engines take around operations, in ns since the run began.
func (j *job) elapsed() int64 { return int64(time.Since(j.start)) }

// completed records one finished operation that took lat ns, if the run is past its ramp.
func (j *job) completed(write bool, lat int64) { j.completedN(write, lat, 1) }

// completedN records n finished operations of one direction that each took lat ns: a batch
// engine's operations submitted together and reaped together.
func (j *job) completedN(write bool, lat, n int64) {
	if n == 0 || !j.rs.measuring.Load() {
		return
	}
	d := 0
	if write {
		d = 1
	}
	j.hist[d].RecordValues(min(max(lat, histMin), histMax), n)
	j.ops[d] += n
	j.count.Add(n)
}

// prepare readies buf for op: with --verify a write gets its block header and checksum, and
// the block is marked as written for the read-back.
func (j *job) prepare(o op, buf []byte) {
	if !o.write || j.o.verify == "" {
		return
	}
	j.verify.stamp(buf, o.off)
	b := o.off / j.o.bs
	j.written[b/64] |= 1 << (b % 64)
}

// finish checks an operation's result: an error, a short transfer, or (with --verify on a
// read-only workload) a block that does not check out.
func (j *job) finish(o op, buf []byte, n int, err error) error {
	what := "read"
	if o.write {
		what = "write"
	}
	if err != nil {
		return fmt.Errorf("%s at offset %d: %w", what, o.off, err)
	}
	if j.o.rwKind == rwNop {
		return nil
	}
	if n != len(buf) {
		return fmt.Errorf("short %s at offset %d: %d of %d bytes", what, o.off, n, len(buf))
	}
	if !o.write && j.o.verify != "" && !j.o.writes() {
		return j.verify.check(buf, o.off, j.t.name)
	}
	return nil
}

// openFile opens the target for one job with the run's flags (O_DIRECT with --direct).
func (j *job) openFile() (*os.File, error) { return j.t.open(j.o) }

// runBlocking is the loop of the engines that make one blocking call at a time per job: call
// moves one block between buf and f (a file of the job's own) and returns the bytes moved.
func runBlocking(j *job, call func(f *os.File, o op, buf []byte) (int, error)) error {
	f, err := j.openFile()
	if err != nil {
		return err
	}
	defer f.Close()
	buf, free, err := alignedBuf(int(j.o.bs))
	if err != nil {
		return err
	}
	defer free()
	fillRandom(buf)
	for {
		o, ok := j.next()
		if !ok {
			return nil
		}
		j.prepare(o, buf)
		t0 := j.elapsed()
		n, err := call(f, o, buf)
		j.completed(o.write, j.elapsed()-t0)
		if err := j.finish(o, buf, n, err); err != nil {
			return err
		}
	}
}

// checkBlocking refuses the options that only a ring loop of the bench's own can honour.
func checkBlocking(name string) func(o *benchOptions) error {
	return func(o *benchOptions) error {
		switch {
		case o.rwKind == rwNop:
			return fmt.Errorf("ioengine %s has no nop: --rw=nop measures a ring alone (ioengine uring-batch)", name)
		case o.fixedbufs, o.registerfiles, o.sqpoll, o.hipri:
			return fmt.Errorf("--fixedbufs, --registerfiles, --sqthread_poll and --hipri apply to ioengine uring-batch, not %s", name)
		}
		return nil
	}
}

// newRandom returns a fast generator of random bytes with a random seed.
func newRandom() *rand.ChaCha8 {
	var seed [32]byte
	for i := range seed {
		seed[i] = byte(rand.Uint32())
	}
	return rand.NewChaCha8(seed)
}

// fillRandom fills b with random bytes: what writes write when they are not verifiable.
func fillRandom(b []byte) { newRandom().Read(b) }
