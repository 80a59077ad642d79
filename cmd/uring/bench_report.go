package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// latNS are latency percentiles in nanoseconds, from an HDR histogram.
type latNS struct {
	P50  int64   `json:"p50"`
	P90  int64   `json:"p90"`
	P99  int64   `json:"p99"`
	P999 int64   `json:"p999"`
	Max  int64   `json:"max"`
	Mean float64 `json:"mean"`
}

// dirStats are the figures of one direction (or of both together).
type dirStats struct {
	IOPS    float64 `json:"iops"`
	BwBytes float64 `json:"bw_bytes"` // bytes per second
	Ops     int64   `json:"ops"`
	Lat     latNS   `json:"lat_ns"`
}

// benchResult is what one run of one engine measured. Its JSON is the object `uring bench
// --output-format=json` prints: iops, bw_bytes, ops and lat_ns at the top level for both
// directions together, and read and write apart when the workload has them.
type benchResult struct {
	Engine       string  `json:"engine"`
	EngineDetail string  `json:"engine_detail"`
	RW           string  `json:"rw"`
	BS           int64   `json:"bs"`
	File         string  `json:"filename,omitempty"`
	FS           string  `json:"fs,omitempty"`
	Size         int64   `json:"size,omitempty"`
	Temporary    bool    `json:"temporary_file,omitempty"`
	Direct       bool    `json:"direct"`
	Numjobs      int     `json:"numjobs"`
	Iodepth      int     `json:"iodepth"`
	RuntimeS     float64 `json:"runtime_s"` // the measured time, after the ramp
	dirStats
	Read        *dirStats     `json:"read,omitempty"`
	Write       *dirStats     `json:"write,omitempty"`
	ThreadsPeak int           `json:"threads_peak"` // OS threads of the process at their most
	CPUS        float64       `json:"cpu_s"`        // user+system CPU seconds while measuring
	CPUUserS    float64       `json:"cpu_user_s"`
	CPUSysS     float64       `json:"cpu_sys_s"`
	Verify      *verifyResult `json:"verify,omitempty"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Error       string        `json:"error,omitempty"`
	// HistRead and HistWrite carry the histograms from a --compare round to its parent.
	HistRead  string `json:"hist_read,omitempty"`
	HistWrite string `json:"hist_write,omitempty"`

	hist [2]*hdrhistogram.Histogram // read, write latencies
}

// newResult describes a run of o on t, before anything is measured.
func newResult(o *benchOptions, t *target, detail string) *benchResult {
	r := &benchResult{
		Engine: o.engine, EngineDetail: detail, RW: o.rw, BS: o.bs, Direct: o.direct,
		Numjobs: o.numjobs, Iodepth: o.iodepth,
		hist: [2]*hdrhistogram.Histogram{newHist(), newHist()},
	}
	if t != nil {
		r.File, r.FS, r.Size, r.Temporary = t.name, t.fsType, t.size, t.temporary
	}
	return r
}

// add merges a job's histograms into the result.
func (r *benchResult) add(h [2]*hdrhistogram.Histogram) {
	for d := range h {
		r.hist[d].Merge(h[d])
	}
}

// finish computes the figures from the histograms and the measured time.
func (r *benchResult) finish(elapsed time.Duration) {
	r.RuntimeS = elapsed.Seconds()
	all := newHist()
	for d, h := range r.hist {
		all.Merge(h)
		if h.TotalCount() == 0 {
			continue
		}
		s := r.stats(h)
		if d == 0 {
			r.Read = &s
		} else {
			r.Write = &s
		}
	}
	r.dirStats = r.stats(all)
}

func (r *benchResult) stats(h *hdrhistogram.Histogram) dirStats {
	s := dirStats{Ops: h.TotalCount()}
	if r.RuntimeS > 0 {
		s.IOPS = float64(s.Ops) / r.RuntimeS
		if r.RW != "nop" {
			s.BwBytes = s.IOPS * float64(r.BS)
		}
	}
	if s.Ops > 0 {
		s.Lat = latNS{
			P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P99: h.ValueAtQuantile(99),
			P999: h.ValueAtQuantile(99.9), Max: h.Max(), Mean: h.Mean(),
		}
	}
	return s
}

// encodeHists puts the histograms into the JSON, for a --compare parent.
func (r *benchResult) encodeHists() error {
	for d, dst := range []*string{&r.HistRead, &r.HistWrite} {
		b, err := r.hist[d].Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return err
		}
		*dst = base64.StdEncoding.EncodeToString(b)
	}
	return nil
}

// decodeHists reads the histograms a child put into its JSON.
func (r *benchResult) decodeHists() error {
	for d, src := range []string{r.HistRead, r.HistWrite} {
		b, err := base64.StdEncoding.DecodeString(src)
		if err != nil {
			return err
		}
		h, err := hdrhistogram.Decode(b)
		if err != nil {
			return err
		}
		r.hist[d] = h
	}
	r.HistRead, r.HistWrite = "", ""
	return nil
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// usec writes a latency in microseconds with three significant digits at most.
func usec(ns int64) string {
	us := float64(ns) / 1e3
	switch {
	case us < 10:
		return fmt.Sprintf("%.2f", us)
	case us < 100:
		return fmt.Sprintf("%.1f", us)
	}
	return fmt.Sprintf("%.0f", us)
}

func bandwidth(bps float64) string {
	return formatSize(int64(bps)) + "/s"
}

// describeTarget is the line that says what a run ran on.
func describeTarget(r *benchResult) string {
	s := fmt.Sprintf("%s bs=%s", r.RW, formatSize(r.BS))
	if r.File == "" {
		return s
	}
	kind := "cached"
	if r.Direct {
		kind = "O_DIRECT"
	}
	tmp := ""
	if r.Temporary {
		tmp = ", temporary"
	}
	return fmt.Sprintf("%s, %s, %s (%s, %s%s)", s, kind, r.File, formatSize(r.Size), r.FS, tmp)
}

// writeText prints one run the way fio's normal output reads.
func (r *benchResult) writeText(w io.Writer) {
	fmt.Fprintf(w, "%s: %s\n", r.Engine, r.EngineDetail)
	fmt.Fprintf(w, "  %s\n", describeTarget(r))
	for _, d := range []struct {
		name string
		s    *dirStats
	}{{"read", r.Read}, {"write", r.Write}} {
		if d.s == nil {
			continue
		}
		name := d.name
		if r.RW == "nop" {
			name = "nop"
		}
		fmt.Fprintf(w, "  %s: IOPS=%s", name, formatCount(d.s.IOPS))
		if r.RW != "nop" {
			fmt.Fprintf(w, ", BW=%s", bandwidth(d.s.BwBytes))
		}
		fmt.Fprintf(w, ", %d ops in %.2f s\n", d.s.Ops, r.RuntimeS)
		l := d.s.Lat
		fmt.Fprintf(w, "    lat (usec): p50=%s, p90=%s, p99=%s, p99.9=%s, max=%s, mean=%s\n",
			usec(l.P50), usec(l.P90), usec(l.P99), usec(l.P999), usec(l.Max), usec(int64(l.Mean)))
	}
	if r.Ops == 0 {
		fmt.Fprintf(w, "  no operation completed in %.2f s\n", r.RuntimeS)
	}
	fmt.Fprintf(w, "  OS threads at peak: %d; CPU: %.2f s (user %.2f, sys %.2f)\n", r.ThreadsPeak, r.CPUS, r.CPUUserS, r.CPUSysS)
	if r.Verify != nil {
		fmt.Fprintf(w, "  verify: %d blocks checked, %d bad\n", r.Verify.Blocks, r.Verify.Errors)
	}
	if r.Interrupted {
		fmt.Fprintf(w, "  (interrupted: figures for the %.2f s measured)\n", r.RuntimeS)
	}
}

// compareResult is what --compare (and the default run) reports: each engine's figures over all
// its rounds, and the ratio of their IOPS round by round.
type compareResult struct {
	Name        string                  `json:"name,omitempty"`
	Engines     []string                `json:"engines"`
	Results     map[string]*benchResult `json:"results"`
	Ratio       ratio                   `json:"ratio"`
	Rounds      int                     `json:"rounds"`
	RoundS      float64                 `json:"round_s"`
	Interrupted bool                    `json:"interrupted,omitempty"`
}

// ratio is the IOPS of the first engine over the second's: the median of the rounds' ratios,
// their spread, and each round's.
type ratio struct {
	Of     string    `json:"of"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Rounds []float64 `json:"rounds"`
}

func (c *compareResult) writeText(w io.Writer) {
	first := c.Results[c.Engines[0]]
	title := describeTarget(first)
	if c.Name != "" {
		title = c.Name + ": " + title
	}
	fmt.Fprintf(w, "%s; %d round(s) of %s per engine\n", title, c.Rounds, time.Duration(c.RoundS*float64(time.Second)).Round(time.Millisecond))
	fmt.Fprintf(w, "  %-12s %9s %11s %8s %8s %8s %8s %8s %8s %6s\n", "engine", "IOPS", "BW", "p50 µs", "p90", "p99", "p99.9", "max", "threads", "CPU s")
	for _, name := range c.Engines {
		r := c.Results[name]
		l := r.Lat
		fmt.Fprintf(w, "  %-12s %9s %11s %8s %8s %8s %8s %8s %8d %6.2f\n", name, formatCount(r.IOPS), bandwidth(r.BwBytes),
			usec(l.P50), usec(l.P90), usec(l.P99), usec(l.P999), usec(l.Max), r.ThreadsPeak, r.CPUS)
	}
	for _, name := range c.Engines {
		fmt.Fprintf(w, "  %s: %s\n", name, c.Results[name].EngineDetail)
	}
	if len(c.Ratio.Rounds) > 0 {
		fmt.Fprintf(w, "  %s IOPS: %.2fx (median of %d rounds; min %.2fx, max %.2fx)\n", c.Ratio.Of, c.Ratio.Median, len(c.Ratio.Rounds), c.Ratio.Min, c.Ratio.Max)
	}
	if c.Interrupted {
		fmt.Fprintln(w, "  (interrupted: figures for the rounds measured)")
	}
}

// progressLine is the one-line status a run shows on a terminal: elapsed time and IOPS so far.
// It is off when stdout is not a terminal, or with JSON output.
type progressLine struct {
	w  io.Writer
	on bool
	n  int // the length of the last line, to blank it
}

func (p *progressLine) show(format string, args ...any) {
	if !p.on {
		return
	}
	s := fmt.Sprintf(format, args...)
	pad := max(p.n-len(s), 0)
	fmt.Fprintf(p.w, "\r%s%s", s, strings.Repeat(" ", pad))
	p.n = len(s)
}

// clear blanks the line, before the results are printed.
func (p *progressLine) clear() {
	if p.on && p.n > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.n))
		p.n = 0
	}
}
