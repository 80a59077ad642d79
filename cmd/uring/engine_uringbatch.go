package main

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/uringo/uring"
)

// uring-batch: each job is one goroutine with its own uring.Ring, keeping --iodepth operations in
// flight. It waits for at least one completion, reaps every completion ready, and refills the
// free slots in one batch that the next wait submits: the loop of the C anchor
// ../shared/anchors/c/randread.c, written against the Ring. --iodepth_batch_submit holds the
// refill back until that many slots are free.
var _ = registerEngine(&engine{
	name:    "uring-batch",
	summary: "one uring.Ring per job, iodepth in flight, refilled in batches (the C anchor's loop)",
	check:   checkUringBatch,
	run:     runUringBatch,
	describe: func(o *benchOptions, _ any) string {
		return fmt.Sprintf("%s, a Ring each with %d in flight", plural(o.numjobs, "goroutine"), o.iodepth)
	},
})

func checkUringBatch(o *benchOptions) error {
	if o.hipri && !o.direct {
		return fmt.Errorf("--hipri needs --direct: polled completions exist only for O_DIRECT I/O")
	}
	return nil
}

// batchSlot is one operation in flight: what it does and when it was submitted.
type batchSlot struct {
	op  op
	buf []byte
	t0  int64
}

func runUringBatch(j *job) error {
	o := j.o
	var opts []uring.Option
	if o.sqpoll {
		opts = append(opts, uring.WithSQPoll(100*time.Millisecond))
	}
	if o.hipri {
		opts = append(opts, uring.WithIOPoll())
	}
	entries := o.iodepth
	if o.sqpoll {
		// The SQPOLL thread posts completions before it moves the SQ head on: entries whose
		// completions were reaped may still count as used, up to iodepth of them.
		entries *= 2
	}
	mem, free, err := alignedBuf(o.iodepth * int(o.bs))
	if err != nil {
		return err
	}
	defer free() // after the ring is closed: its buffers may be registered
	fillRandom(mem)
	ring, err := uring.New(uint32(entries), opts...)
	if err != nil {
		return err
	}
	defer ring.Close()
	fd := -1
	if o.rwKind != rwNop {
		f, err := j.openFile()
		if err != nil {
			return err
		}
		defer f.Close()
		fd = int(f.Fd())
	}
	slots := make([]batchSlot, o.iodepth)
	idle := make([]int, 0, o.iodepth)
	bufs := make([][]byte, o.iodepth)
	for i := range slots {
		slots[i].buf = mem[i*int(o.bs) : (i+1)*int(o.bs)]
		bufs[i] = slots[i].buf
		idle = append(idle, i)
	}
	bio, err := registerBatch(ring, o, fd, bufs)
	if err != nil {
		return err
	}
	batch := o.batchSubmit
	if batch == 0 || batch > o.iodepth {
		batch = o.iodepth
	}
	inflight := 0
	done := false
	for {
		if !done && (len(idle) >= batch || inflight == 0) {
			now := j.elapsed()
			for len(idle) > 0 {
				op, ok := j.next()
				if !ok {
					done = true
					break
				}
				i := idle[len(idle)-1]
				s := &slots[i]
				s.op, s.t0 = op, now
				if err := prepBatchOp(ring, j, bio, s, i); err != nil {
					return err
				}
				idle = idle[:len(idle)-1]
				inflight++
			}
		}
		if inflight == 0 {
			return nil
		}
		if _, err := ring.SubmitAndWait(1); err != nil {
			return err
		}
		now := j.elapsed()
		var first error
		// Operations submitted in one batch and reaped in one batch took the same time:
		// record each such run once.
		var run batchRun
		for c := range ring.Completions() {
			i := int(c.UserData)
			s := &slots[i]
			if s.op.write != run.write || s.t0 != run.t0 {
				j.completedN(run.write, now-run.t0, run.n)
				run = batchRun{write: s.op.write, t0: s.t0}
			}
			run.n++
			inflight--
			idle = append(idle, i)
			n, cerr := int(c.Res), c.Err()
			if errors.Is(cerr, syscall.EOPNOTSUPP) && o.hipri {
				cerr = fmt.Errorf("%w (--hipri: the device has no polled queues)", cerr)
			}
			if err := j.finish(s.op, s.buf, n, cerr); err != nil && first == nil {
				first = err
			}
		}
		j.completedN(run.write, now-run.t0, run.n)
		if first != nil {
			return first
		}
	}
}

// batchRun is a run of completions with the same direction and submission time.
type batchRun struct {
	write bool
	t0, n int64
}

func prepBatchOp(ring *uring.Ring, j *job, bio batchIO, s *batchSlot, i int) error {
	var sqe uring.SQE
	var err error
	switch {
	case j.o.rwKind == rwNop:
		sqe, err = ring.PrepNop()
	default:
		j.prepare(s.op, s.buf)
		sqe, err = bio.prep(ring, s.op.write, s.buf, s.op.off, i)
	}
	if err != nil {
		return err
	}
	sqe.SetUserData(uint64(i))
	return nil
}
