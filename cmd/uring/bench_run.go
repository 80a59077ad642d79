package main

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// runOnce runs one engine over t in this process: numjobs jobs, a ramp, the measured time, then
// (with --verify and writes) the read-back. An interrupted run (ctx done) returns what it measured
// with Interrupted set. A job's error stops the run; the result holds what was measured before it.
func runOnce(ctx context.Context, o *benchOptions, t *target, progress *progressLine) (*benchResult, error) {
	e := engines[o.engine]
	var shared any
	if e.open != nil {
		s, release, err := e.open(o)
		if err != nil {
			return nil, err
		}
		defer release()
		shared = s
	}
	res := newResult(o, t, e.describe(o, shared))
	threads := startThreadSampler()
	rs := &runState{}
	start := time.Now()
	jobs := make([]*job, o.numjobs)
	for i := range jobs {
		jobs[i] = newJob(i, o, t, rs, start)
		jobs[i].shared = shared
	}

	var measureFrom time.Time
	var cpuFrom cpuTime
	beginMeasuring := func() {
		measureFrom, cpuFrom = time.Now(), readCPU()
		rs.measuring.Store(true)
	}
	if o.ramp == 0 {
		beginMeasuring()
	}

	errc := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			if err := e.run(j); err != nil {
				errc <- err
			}
		})
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	var runErr error
	interrupted := false
	wait := func(d time.Duration) bool { // false when the run must end now
		var timeout <-chan time.Time
		if d > 0 {
			tm := time.NewTimer(d)
			defer tm.Stop()
			timeout = tm.C
		}
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-timeout:
				return true
			case <-ctx.Done():
				interrupted = true
				return false
			case runErr = <-errc:
				return false
			case <-allDone:
				return false
			case now := <-tick.C:
				if rs.measuring.Load() {
					var n int64
					for _, j := range jobs {
						n += j.count.Load()
					}
					el := now.Sub(measureFrom)
					progress.show("[%5.1fs] %s: %s IOPS", el.Seconds(), o.engine, formatCount(float64(n)/el.Seconds()))
				} else {
					progress.show("[ramp] %s", o.engine)
				}
			}
		}
	}
	if o.ramp > 0 {
		if wait(o.ramp) {
			beginMeasuring()
		}
	}
	if rs.measuring.Load() {
		wait(o.runtime)
	}
	measured := time.Duration(0)
	var cpu cpuTime
	if rs.measuring.Load() {
		measured, cpu = time.Since(measureFrom), readCPU().sub(cpuFrom)
	}
	rs.measuring.Store(false)
	rs.stop.Store(true)
	<-allDone
	progress.clear()
	if runErr == nil {
		select {
		case runErr = <-errc:
		default:
		}
	}
	for _, j := range jobs {
		res.add(j.hist)
	}
	res.finish(measured)
	res.CPUUserS, res.CPUSysS = cpu.user.Seconds(), cpu.sys.Seconds()
	res.CPUS = res.CPUUserS + res.CPUSysS
	res.ThreadsPeak = threads.stop()
	res.Interrupted = interrupted
	if runErr != nil || interrupted {
		return res, runErr
	}
	if o.verify != "" && o.writes() {
		v, err := verifyBlocks(ctx, o, t, mergeWritten(jobs))
		res.Verify = &v
		if err != nil {
			if errors.Is(err, context.Canceled) {
				res.Interrupted = true
				return res, nil
			}
			return res, err
		}
	}
	return res, nil
}

// verifyOnly is --verify_only: the read-back of every block of the region, with no workload.
func verifyOnly(ctx context.Context, o *benchOptions, t *target) (*benchResult, error) {
	res := newResult(o, t, "--verify_only: every block read back and checked, no workload")
	start := time.Now()
	v, err := verifyBlocks(ctx, o, t, nil)
	res.finish(time.Since(start))
	res.Verify = &v
	if errors.Is(err, context.Canceled) {
		res.Interrupted, err = true, nil
	}
	return res, err
}

// cpuTime is the user and system CPU time of the whole process, kernel io_uring workers included
// (they are threads of the process).
type cpuTime struct{ user, sys time.Duration }

func readCPU() cpuTime {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return cpuTime{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())}
}

func (c cpuTime) sub(d cpuTime) cpuTime { return cpuTime{c.user - d.user, c.sys - d.sys} }

// threadSampler counts the process's OS threads (/proc/self/task, io_uring's kernel workers
// included) every few milliseconds and keeps the peak.
type threadSampler struct {
	peak atomic.Int64
	quit chan struct{}
	done chan struct{}
}

func startThreadSampler() *threadSampler {
	s := &threadSampler{quit: make(chan struct{}), done: make(chan struct{})}
	s.peak.Store(int64(countThreads()))
	go func() {
		defer close(s.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-tick.C:
				if n := int64(countThreads()); n > s.peak.Load() {
					s.peak.Store(n)
				}
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak.
func (s *threadSampler) stop() int {
	close(s.quit)
	<-s.done
	return int(max(s.peak.Load(), int64(countThreads())))
}

func countThreads() int {
	d, err := os.Open("/proc/self/task")
	if err != nil {
		return 0
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	return len(names)
}
