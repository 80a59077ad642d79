package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"time"
)

// --compare runs two engines on the same file in alternating rounds (A B, B A, A B, ...), each
// round in a child process of its own, so that each engine's OS threads and CPU time are its
// own and drift in the machine's load falls on both. It reports each engine's figures over all
// its rounds and the ratio of their IOPS round by round: the median, and the spread.

// runCompare runs the rounds of sides (two engines, each with its own options) on t.
func runCompare(ctx context.Context, name string, sides []*benchOptions, t *target, progress *progressLine, stderr io.Writer) (*compareResult, error) {
	rounds := sides[0].rounds
	per := sides[0].runtime / time.Duration(rounds)
	c := &compareResult{Name: name, Results: map[string]*benchResult{}, Rounds: rounds, RoundS: per.Seconds()}
	type total struct {
		res      *benchResult
		measured time.Duration
		iops     []float64
	}
	totals := make([]*total, len(sides))
	for k, s := range sides {
		c.Engines = append(c.Engines, s.engine)
		totals[k] = &total{res: newResult(s, t, "")}
		c.Results[s.engine] = totals[k].res
	}
	start := time.Now()
	var runErr error
rounds:
	for r := 0; r < rounds; r++ {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, k := range order {
			s, tot := sides[k], totals[k]
			progress.show("[%5.1fs] round %d/%d: %s", time.Since(start).Seconds(), r+1, rounds, s.engine)
			res, err := runChild(ctx, s, t, per, stderr)
			if res != nil {
				tot.res.add(res.hist)
				tot.measured += time.Duration(res.RuntimeS * float64(time.Second))
				tot.res.CPUUserS += res.CPUUserS
				tot.res.CPUSysS += res.CPUSysS
				tot.res.ThreadsPeak = max(tot.res.ThreadsPeak, res.ThreadsPeak)
				tot.res.EngineDetail = res.EngineDetail
				if res.Verify != nil {
					if tot.res.Verify == nil {
						tot.res.Verify = &verifyResult{}
					}
					tot.res.Verify.Blocks += res.Verify.Blocks
					tot.res.Verify.Errors += res.Verify.Errors
				}
				if !res.Interrupted {
					tot.iops = append(tot.iops, res.IOPS)
				}
			}
			if err != nil {
				runErr = fmt.Errorf("%s, round %d: %w", s.engine, r+1, err)
				break rounds
			}
			if ctx.Err() != nil || res.Interrupted {
				c.Interrupted = true
				break rounds
			}
		}
	}
	progress.clear()
	for _, tot := range totals {
		tot.res.finish(tot.measured)
		tot.res.CPUS = tot.res.CPUUserS + tot.res.CPUSysS
		tot.res.Interrupted = c.Interrupted
	}
	c.Ratio = roundRatio(c.Engines[0]+"/"+c.Engines[1], totals[0].iops, totals[1].iops)
	return c, runErr
}

// roundRatio pairs the rounds of a and b and reports a/b: median, min, max and each.
func roundRatio(of string, a, b []float64) ratio {
	r := ratio{Of: of}
	for i := 0; i < min(len(a), len(b)); i++ {
		if b[i] > 0 {
			r.Rounds = append(r.Rounds, a[i]/b[i])
		}
	}
	if len(r.Rounds) == 0 {
		return r
	}
	s := slices.Clone(r.Rounds)
	slices.Sort(s)
	r.Min, r.Max = s[0], s[len(s)-1]
	if n := len(s); n%2 == 1 {
		r.Median = s[n/2]
	} else {
		r.Median = (s[n/2-1] + s[n/2]) / 2
	}
	return r
}

// runChild runs one round: this program, as `uring bench` on one engine with JSON output and
// its histograms. An interrupt is passed on to the child, which reports what it measured.
func runChild(ctx context.Context, s *benchOptions, t *target, d time.Duration, stderr io.Writer) (*benchResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	cmd := exec.Command(exe, s.childArgs(s.engine, t, d)...)
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		cmd.Process.Signal(os.Interrupt)
		err = <-done
	}
	var res benchResult
	if jerr := json.Unmarshal(out.Bytes(), &res); jerr != nil {
		if err != nil {
			return nil, fmt.Errorf("the round's process failed: %w", err)
		}
		return nil, fmt.Errorf("the round's process wrote no result: %w", jerr)
	}
	if herr := res.decodeHists(); herr != nil {
		return nil, fmt.Errorf("the round's latency histograms: %w", herr)
	}
	if res.Error != "" {
		return &res, errors.New(res.Error)
	}
	return &res, nil
}
