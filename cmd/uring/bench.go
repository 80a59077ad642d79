package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"
)

var _ = register("bench", command{
	summary: "4 KiB random reads through io_uring and os.File, side by side (fio's options)",
	run:     runBench,
})

const benchUsage = `Usage: uring bench [options]

With no options: a side-by-side run of about ten seconds on a temporary file it makes, 4 KiB
random reads through io_uring and through os.File, cached and O_DIRECT, in alternating rounds:
IOPS, latency percentiles, OS threads, CPU time and the ratio.

Options, in fio's words (--name=value; sizes take fio's suffixes, 4k = 4096, 1m, 1g):
  --rw=KIND              read, write, randread (default), randwrite, rw, randrw, or nop
                         (an empty ring round trip: the ring alone)
  --rwmixread=N          percent of reads in rw and randrw (default 50)
  --bs=SIZE              block size (default 4k)
  --size=SIZE            the region of the file to use; the size of the file to make
                         (default: the file's size, or 256m for a file it makes)
  --filename=PATH        the file or block device (default: a temporary file, filled with
                         random data, removed at exit, also on Ctrl-C)
  --directory=DIR        where to make the temporary file (default: $TMPDIR unless it is tmpfs)
  --direct               O_DIRECT: bypass the page cache
  --numjobs=N            jobs, each a goroutine (default 1)
  --iodepth=N            operations in flight per job, for uring-batch (default 1)
  --iodepth_batch_submit=N  refill when N slots are free (default 1; 0 = iodepth)
  --runtime=TIME         stop after TIME (10, 10s, 500ms, 1m); without --time_based a job
                         also stops after one pass of --size
  --time_based           run for --runtime, whatever the size
  --ramp_time=TIME       run this long before measuring
  --ioengine=NAME        psync, uring-batch (or fio's name io_uring), uring, uring-ring (below)
  --fixedbufs            registered buffers (uring-batch)
  --registerfiles        registered files (uring-batch)
  --sqthread_poll        a kernel thread polls the submission queue (uring-batch)
  --hipri                polled completions, with --direct (uring-batch)
  --verify[=crc32c]      make writes verifiable and check them when read back
  --verify_only          only check the blocks of --filename that a --verify run wrote
  --output-format=json   one JSON object instead of text
  --compare=A,B          run engines A and B in alternating rounds and report A's IOPS over B's
                         (median and spread of the rounds); --runtime is per engine (default 2s)
  --rounds=N             rounds of --compare (default 4)
  --kb_base=1000         read k, m, g as powers of 1000 (fio's kb_base)

Engines:
`

func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help") {
		fmt.Fprint(stdout, benchUsage)
		for _, name := range []string{"psync", "uring-batch", "uring", "uring-ring"} {
			fmt.Fprintf(stdout, "  %-12s %s\n", name, engines[name].summary)
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch strings.Join(args, " ") {
	case "":
		return defaultBench(ctx, false, stdout, stderr)
	case "--output-format=json", "--output-format json", "-output-format=json":
		return defaultBench(ctx, true, stdout, stderr)
	}
	o, err := parseBenchArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "uring bench: %v\n", err)
		return 1
	}
	progress := &progressLine{w: stdout, on: !o.json && isTerminal(stdout)}
	var t *target
	if o.rwKind != rwNop {
		var cleanup func()
		var status int
		t, cleanup, status = benchTarget(ctx, o, stderr)
		defer cleanup()
		if t == nil {
			return status
		}
	}
	if o.compare != nil {
		sides := make([]*benchOptions, 2)
		for i, name := range o.compare {
			s := *o
			s.engine = name
			sides[i] = &s
		}
		c, err := runCompare(ctx, "", sides, t, progress, stderr)
		return report(o.json, c, c.Interrupted, err, stdout, stderr)
	}
	var res *benchResult
	if o.verifyOnly {
		res, err = verifyOnly(ctx, o, t)
	} else {
		res, err = runOnce(ctx, o, t, progress)
	}
	if res == nil {
		fmt.Fprintf(stderr, "uring bench: %v\n", err)
		return 1
	}
	if err != nil {
		res.Error = err.Error()
	}
	if o.hist {
		if herr := res.encodeHists(); herr != nil && err == nil {
			err = herr
		}
	}
	return report(o.json, res, res.Interrupted, err, stdout, stderr)
}

// report prints v (a *benchResult or *compareResult, or a list of them) as JSON or text, then the
// error, and returns the exit status: 1 for an error, 130 for an interrupted run, else 0.
func report(asJSON bool, v any, interrupted bool, err error, stdout, stderr io.Writer) int {
	if asJSON {
		writeJSON(stdout, v)
	} else {
		switch v := v.(type) {
		case *benchResult:
			if err == nil || v.Ops > 0 || v.Verify != nil { // a run that failed at once has nothing to show
				v.writeText(stdout)
			}
		case *compareResult:
			v.writeText(stdout)
		}
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "uring bench: %v\n", err)
		return 1
	case interrupted:
		return 130
	}
	return 0
}

// defaultBench is `uring bench` with no options (but perhaps --output-format=json): 4 KiB random
// reads on a temporary file, io_uring against os.File, cached and then O_DIRECT, with 32 reads in
// flight on each side, in alternating rounds: about ten seconds in all.
func defaultBench(ctx context.Context, asJSON bool, stdout, stderr io.Writer) int {
	base := benchOptions{
		rw: "randread", rwKind: rwRandRead, bs: 4096, numjobs: 1, iodepth: 1, batchSubmit: 1,
		runtime: 1600 * time.Millisecond, timeBased: true, ramp: 100 * time.Millisecond, rounds: 4, kbBase: 1024,
	}
	const inflight = 64 // the targets: 64 goroutines against 64
	progress := &progressLine{w: stdout, on: !asJSON && isTerminal(stdout)}
	t, cleanup, status := benchTarget(ctx, &base, stderr)
	defer cleanup()
	if t == nil {
		return status
	}
	ring := defaultEngine()
	if !asJSON {
		fmt.Fprintf(stdout, "uring bench: 4 KiB random reads through io_uring (%s) and os.File (psync), %d in flight each,\n", ring, inflight)
		fmt.Fprintf(stdout, "on a %s temporary file, %s (%s). Options: uring help bench.\n\n", formatSize(t.size), t.name, t.fsType)
	}
	var cases []*compareResult
	var runErr error
	for _, direct := range []bool{false, true} {
		uringSide, psyncSide := base, base
		uringSide.engine, psyncSide.engine = ring, "psync"
		uringSide.direct, psyncSide.direct = direct, direct
		psyncSide.numjobs = inflight
		uringSide.numjobs = inflight
		name := "cached"
		if direct {
			name = "O_DIRECT"
			f, err := t.open(&uringSide)
			if err != nil {
				fmt.Fprintf(stderr, "uring bench: O_DIRECT case skipped: %v\n", err)
				continue
			}
			f.Close()
		}
		c, err := runCompare(ctx, name, []*benchOptions{&uringSide, &psyncSide}, t, progress, stderr)
		cases = append(cases, c)
		if !asJSON {
			c.writeText(stdout)
			fmt.Fprintln(stdout)
		}
		if err != nil || c.Interrupted {
			runErr = err
			break
		}
	}
	interrupted := len(cases) > 0 && cases[len(cases)-1].Interrupted
	if asJSON {
		return report(true, map[string]any{"cases": cases}, interrupted, runErr, stdout, stderr)
	}
	return report(false, nil, interrupted, runErr, stdout, stderr)
}

// benchTarget is prepareTarget for the command: on failure it reports the error and returns a
// nil target and the exit status.
func benchTarget(ctx context.Context, o *benchOptions, stderr io.Writer) (*target, func(), int) {
	t, cleanup, err := prepareTarget(ctx, o)
	switch {
	case err == nil:
		return t, cleanup, 0
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "uring bench: interrupted while laying out the file")
		return nil, cleanup, 130
	}
	fmt.Fprintf(stderr, "uring bench: %v\n", err)
	return nil, cleanup, 1
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
