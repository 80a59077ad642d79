package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// runEnv runs the uring binary with args, env added to the test's environment, and returns its
// stdout, stderr and exit status.
func runEnv(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(uringBinary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running uring %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

func TestUsage(t *testing.T) {
	res := runUring(t, false, "help")
	if res.code != 0 || !strings.Contains(res.stdout, "bench") || !strings.Contains(res.stdout, "cp") {
		t.Fatalf("uring help: status %d, output %q", res.code, res.stdout)
	}
	for _, sub := range []string{"bench", "cp"} {
		res := runUring(t, false, "help", sub)
		if res.code != 0 || !strings.Contains(res.stdout, "Usage: uring "+sub) {
			t.Errorf("uring help %s: status %d, output %q", sub, res.code, res.stdout)
		}
	}
}

// Where io_uring is refused (a container's seccomp profile), bench and cp say so and fail;
// bench's os.File engine still runs.
func TestWithoutIOUring(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.WriteFile(src, []byte("data"), 0o644)
	for _, args := range [][]string{
		{"cp", src, filepath.Join(dir, "dst")},
		{"bench", "--ioengine=uring-batch", "--filename=" + src, "--bs=4", "--runtime=100ms"},
	} {
		res := runUring(t, true, args...)
		if res.code != 1 || !strings.Contains(res.stderr, "io_uring_setup") || !strings.Contains(res.stderr, "function not implemented") {
			t.Errorf("uring %v without io_uring: status %d, stderr %q", args, res.code, res.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dst")); !os.IsNotExist(err) {
		t.Errorf("cp without io_uring made the destination (%v)", err)
	}
	res := runUring(t, true, "bench", "--ioengine=psync", "--filename="+src, "--bs=4", "--runtime=100ms", "--output-format=json")
	if res.code != 0 || !strings.Contains(res.stdout, `"iops"`) {
		t.Errorf("psync bench without io_uring: status %d, stderr %q", res.code, res.stderr)
	}
}

// benchJSON runs uring bench with JSON output in a private TMPDIR, checks that the temporary
// file is gone afterwards, and returns the parsed result.
func benchJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	tmp := t.TempDir()
	out, errOut, code := runEnv(t, []string{"TMPDIR=" + tmp}, append([]string{"bench", "--output-format=json"}, args...)...)
	if code != 0 {
		t.Fatalf("uring bench %v: status %d\nstderr: %s\nstdout: %s", args, code, errOut, out)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("uring bench %v: output is not JSON: %v\n%s", args, err, out)
	}
	assertEmptyDir(t, tmp)
	return v
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Errorf("%s keeps %d entries (the first: %s), want none", dir, len(names), names[0].Name())
	}
}

func num(t *testing.T, v map[string]any, key string) float64 {
	t.Helper()
	f, ok := v[key].(float64)
	if !ok {
		t.Fatalf("JSON field %q is %v (%T), want a number", key, v[key], v[key])
	}
	return f
}

func obj(t *testing.T, v map[string]any, key string) map[string]any {
	t.Helper()
	o, ok := v[key].(map[string]any)
	if !ok {
		t.Fatalf("JSON field %q is %v, want an object", key, v[key])
	}
	return o
}

// checkFigures checks the figures of one direction (or the total) of a result.
func checkFigures(t *testing.T, what string, v map[string]any, runtime, bs float64) {
	t.Helper()
	iops, ops := num(t, v, "iops"), num(t, v, "ops")
	if iops <= 0 || ops <= 0 {
		t.Errorf("%s: iops %v, ops %v, want both above 0", what, iops, ops)
	}
	if got := iops * runtime; got < ops*0.99 || got > ops*1.01 {
		t.Errorf("%s: iops %v over %v s makes %v ops, but ops is %v", what, iops, runtime, got, ops)
	}
	if bs > 0 {
		if bw := num(t, v, "bw_bytes"); bw < iops*bs*0.99 || bw > iops*bs*1.01 {
			t.Errorf("%s: bw_bytes %v, want iops*bs = %v", what, bw, iops*bs)
		}
	}
	lat := obj(t, v, "lat_ns")
	prev := 0.0
	for _, p := range []string{"p50", "p90", "p99", "p999", "max"} {
		x := num(t, lat, p)
		if x <= 0 || x < prev {
			t.Errorf("%s: lat_ns.%s = %v after %v: percentiles must be positive and ordered", what, p, x, prev)
		}
		prev = x
	}
}

// checkResult checks a single run's JSON; it returns the measured runtime.
func checkResult(t *testing.T, what string, v map[string]any, wantRead, wantWrite bool) float64 {
	t.Helper()
	runtime := num(t, v, "runtime_s")
	if runtime <= 0 {
		t.Fatalf("%s: runtime_s %v", what, runtime)
	}
	bs := num(t, v, "bs")
	if v["rw"] == "nop" {
		bs = 0
	}
	checkFigures(t, what, v, runtime, bs)
	for dir, want := range map[string]bool{"read": wantRead, "write": wantWrite} {
		d, ok := v[dir].(map[string]any)
		if ok != want {
			t.Errorf("%s: %s section present %v, want %v", what, dir, ok, want)
			continue
		}
		if ok {
			checkFigures(t, what+" "+dir, d, runtime, bs)
		}
	}
	if th := num(t, v, "threads_peak"); th < 2 || th > 10000 {
		t.Errorf("%s: threads_peak %v, want a thread count", what, th)
	}
	if cpu := num(t, v, "cpu_s"); cpu <= 0 || cpu > runtime*float64(2*64) {
		t.Errorf("%s: cpu_s %v for %v s", what, cpu, runtime)
	}
	return runtime
}

func TestBenchEngines(t *testing.T) {
	t.Parallel()
	type run struct {
		args        []string
		read, write bool
	}
	var runs []run
	names := make([]string, 0, len(engines))
	for n := range engines {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, e := range names {
		for _, rw := range []string{"randread", "read", "randwrite", "randrw"} {
			runs = append(runs, run{[]string{"--ioengine=" + e, "--rw=" + rw}, rw != "randwrite", rw != "randread" && rw != "read"})
		}
		runs = append(runs, run{[]string{"--ioengine=" + e, "--rw=randread", "--direct"}, true, false})
	}
	runs = append(runs, run{[]string{"--ioengine=uring-batch", "--rw=nop", "--iodepth=16"}, true, false},
		run{[]string{"--ioengine=uring-batch", "--rw=randread", "--iodepth=8", "--iodepth_batch_submit=4"}, true, false},
		run{[]string{"--ioengine=uring-batch", "--rw=randread", "--sqthread_poll"}, true, false},
		run{[]string{"--ioengine=io_uring", "--rw=randread"}, true, false})
	runs = append(runs, run{[]string{"--ioengine=uring-batch", "--rw=randrw", "--fixedbufs", "--registerfiles", "--iodepth=8"}, true, true},
		run{[]string{"--ioengine=uring-batch", "--rw=randread", "--fixedbufs", "--direct"}, true, false},
		run{[]string{"--ioengine=uring-batch", "--rw=randwrite", "--registerfiles"}, false, true})
	for _, r := range runs {
		t.Run(strings.Join(r.args, " "), func(t *testing.T) {
			args := append([]string{"--size=4m", "--runtime=250ms", "--time_based", "--numjobs=2", "--iodepth=4"}, r.args...)
			v := benchJSON(t, args...)
			runtime := checkResult(t, strings.Join(r.args, " "), v, r.read, r.write)
			if runtime < 0.2 || runtime > 5 {
				t.Errorf("runtime_s %v for --runtime=250ms", runtime)
			}
		})
	}
}

// Without --time_based a job moves --size bytes: one pass, a known number of operations.
func TestBenchSizeBound(t *testing.T) {
	t.Parallel()
	for _, e := range []string{"psync", "uring-batch", "uring", "uring-ring"} {
		v := benchJSON(t, "--ioengine="+e, "--rw=read", "--size=1m", "--bs=4k", "--numjobs=3", "--iodepth=8")
		if ops := num(t, v, "ops"); ops != 3*256 {
			t.Errorf("%s: %v ops, want 3 jobs x 256 blocks", e, ops)
		}
	}
}

func TestBenchVerify(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "data")
	// A sequential write of every block, read back and checked.
	v := benchJSON(t, "--filename="+file, "--rw=write", "--size=1m", "--bs=4k", "--verify", "--ioengine=uring-batch", "--iodepth=8")
	ver := obj(t, v, "verify")
	if num(t, ver, "blocks") != 256 || num(t, ver, "errors") != 0 {
		t.Fatalf("verify after write: %v, want 256 blocks, 0 errors", ver)
	}
	// Random writes for a while, from two jobs: what they wrote checks out.
	v = benchJSON(t, "--filename="+file, "--rw=randwrite", "--runtime=200ms", "--time_based", "--verify=crc32c", "--numjobs=2", "--iodepth=4", "--ioengine=uring-batch")
	if ver := obj(t, v, "verify"); num(t, ver, "blocks") < 1 || num(t, ver, "errors") != 0 {
		t.Fatalf("verify after randwrite: %v", ver)
	}
	// The file checks out block by block, and read by a verifying read workload.
	v = benchJSON(t, "--filename="+file, "--verify_only")
	if ver := obj(t, v, "verify"); num(t, ver, "blocks") != 256 || num(t, ver, "errors") != 0 {
		t.Fatalf("--verify_only on a good file: %v", ver)
	}
	benchJSON(t, "--filename="+file, "--rw=randread", "--verify", "--runtime=100ms", "--time_based", "--ioengine=psync")

	// One flipped byte in block 5's payload.
	corrupt := func(off int64, with []byte) {
		f, err := os.OpenFile(file, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt(with, off); err != nil {
			t.Fatal(err)
		}
	}
	orig := make([]byte, 1)
	f, _ := os.Open(file)
	f.ReadAt(orig, 5*4096+1000)
	f.Close()
	corrupt(5*4096+1000, []byte{orig[0] ^ 0x40})
	for _, args := range [][]string{
		{"bench", "--filename=" + file, "--verify_only"},
		{"bench", "--filename=" + file, "--rw=read", "--verify", "--ioengine=uring-batch", "--iodepth=4"},
	} {
		out, errOut, code := runEnv(t, nil, args...)
		if code != 1 || !strings.Contains(errOut, "block at offset 20480: crc32c mismatch") {
			t.Errorf("%v on a corrupted file: status %d, stderr %q, stdout %q; want status 1 and the block's crc32c mismatch", args, code, errOut, out)
		}
	}
	// Block 2 overwritten with block 1: a misplaced write.
	corrupt(5*4096+1000, orig)
	block := make([]byte, 4096)
	f, _ = os.Open(file)
	f.ReadAt(block, 4096)
	f.Close()
	corrupt(2*4096, block)
	out, errOut, code := runEnv(t, nil, "bench", "--filename="+file, "--verify_only", "--output-format=json")
	if code != 1 || !strings.Contains(errOut, "block at offset 8192: header names offset 4096") {
		t.Errorf("--verify_only on a misplaced block: status %d, stderr %q", code, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("JSON with a verify error: %v\n%s", err, out)
	}
	if ver := obj(t, res, "verify"); num(t, ver, "errors") != 1 || num(t, ver, "blocks") != 3 {
		t.Errorf("verify of a misplaced block: %v, want the error at the third block", ver)
	}
	// A file never written by --verify.
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, bytes.Repeat([]byte{7}, 8192), 0o644)
	if _, errOut, code := runEnv(t, nil, "bench", "--filename="+plain, "--verify_only"); code != 1 || !strings.Contains(errOut, "no verify header") {
		t.Errorf("--verify_only of a plain file: status %d, stderr %q", code, errOut)
	}
}

func TestBenchBadOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ioengine=foo"}, `unknown ioengine "foo" (engines: psync, `},
		{[]string{"--compare=psync,foo"}, `unknown ioengine "foo"`},
		{[]string{"--compare=psync"}, "--compare takes two different engines"},
		{[]string{"--compare=psync,uring-batch", "--ioengine=psync"}, "exclude each other"},
		{[]string{"--direct", "--bs=1000"}, "bs 1000 is not a multiple of 512, which --direct needs"},
		{[]string{"--direct", "--bs=4KiB"}, "bs 4000 is not a multiple of 512"}, // fio's KiB: 1000
		{[]string{"--filename=" + small}, "is 100 bytes, smaller than bs (4096)"},
		{[]string{"--filename=" + dir}, "is a directory"},
		{[]string{"--filename=/dev/null"}, "not a regular file or a block device"},
		{[]string{"--rw=trim"}, `unknown --rw "trim"`},
		{[]string{"--bs=0"}, "--bs must be positive"},
		{[]string{"--bs=-4k"}, "--bs must be positive"},
		{[]string{"--bs=4q"}, `unknown unit "q"`},
		{[]string{"--size=0"}, "--size must be positive"},
		{[]string{"--size=-1m"}, "--size must be positive"},
		{[]string{"--size=2k"}, "smaller than bs"},
		{[]string{"--runtime=-1"}, "--runtime must be positive"},
		{[]string{"--runtime=5x"}, "bad time"},
		{[]string{"--ramp_time=-1s"}, "--ramp_time must not be negative"},
		{[]string{"--numjobs=0"}, "--numjobs must be at least 1"},
		{[]string{"--iodepth=0"}, "--iodepth must be at least 1"},
		{[]string{"--iodepth=40000"}, "more than a ring holds"},
		{[]string{"--rwmixread=101"}, "--rwmixread must be between 0 and 100"},
		{[]string{"--time_based"}, "--time_based needs --runtime"},
		{[]string{"--fixedbufs", "--ioengine=psync"}, "apply to ioengine uring-batch"},
		{[]string{"--hipri", "--ioengine=uring-batch"}, "--hipri needs --direct"},
		{[]string{"--sqthread_poll", "--ioengine=psync"}, "apply to ioengine uring-batch"},
		{[]string{"--rw=nop", "--ioengine=psync"}, "psync has no nop"},
		{[]string{"--rw=nop", "--filename=x"}, "--rw=nop touches no file"},
		{[]string{"--verify", "--bs=16"}, "--verify needs bs of at least 32"},
		{[]string{"--verify=md5"}, `unknown verify method "md5"`},
		{[]string{"--verify_only"}, "--verify_only needs --filename"},
		{[]string{"--verify_only", "--filename=" + filepath.Join(dir, "none")}, "does not exist"},
		{[]string{"--output-format=xml"}, `unknown --output-format "xml"`},
		{[]string{"--kb_base=10"}, "--kb_base must be 1024 or 1000"},
		{[]string{"--frobnicate=1"}, "unrecognized option '--frobnicate'"},
		{[]string{"--numjobs=x"}, "invalid value"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		out, errOut, code := runEnv(t, []string{"TMPDIR=" + dir}, append([]string{"bench"}, c.args...)...)
		if code != 1 || !strings.Contains(errOut, c.want) || !strings.HasPrefix(errOut, "uring bench: ") {
			t.Errorf("uring bench %v: status %d, stderr %q, stdout %q; want status 1 and %q", c.args, code, errOut, out, c.want)
		}
	}
	// Nothing was left behind in TMPDIR but the files the test made.
	names, _ := os.ReadDir(dir)
	if len(names) != 1 {
		t.Errorf("TMPDIR holds %d entries after bad options, want only the test's file", len(names))
	}
}

// --hipri polls for completions (IORING_SETUP_IOPOLL): it works on a device with polled queues,
// and elsewhere fails with a message that says so.
func TestBenchHipri(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	out, errOut, code := runEnv(t, []string{"TMPDIR=" + tmp}, "bench", "--hipri", "--direct", "--ioengine=uring-batch",
		"--iodepth=4", "--size=4m", "--runtime=200ms", "--time_based", "--output-format=json")
	switch {
	case code == 0:
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		checkResult(t, "hipri", v, true, false)
	case code != 1 || !strings.Contains(errOut, "(--hipri: the device has no polled queues)"):
		t.Errorf("--hipri: status %d, stderr %q", code, errOut)
	}
	assertEmptyDir(t, tmp)
}

// interruptBench starts uring bench with args in a private TMPDIR, waits until it has made its
// temporary file and run for a while, interrupts it with SIGINT, and returns its output and status.
func interruptBench(t *testing.T, args ...string) (string, string, int, string) {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command(uringBinary, append([]string{"bench"}, args...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		names, _ := os.ReadDir(tmp)
		if len(names) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("uring bench made no file in %s", tmp)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second) // past the layout and the ramp
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	}
	return stdout.String(), stderr.String(), code, tmp
}

func TestBenchInterrupt(t *testing.T) {
	t.Parallel()
	t.Run("text", func(t *testing.T) {
		out, errOut, code, tmp := interruptBench(t, "--size=8m", "--runtime=60", "--time_based", "--ioengine=uring-batch", "--iodepth=8")
		if code != 130 || !strings.Contains(out, "IOPS=") || !strings.Contains(out, "interrupted") {
			t.Errorf("interrupted bench: status %d, stdout %q, stderr %q; want status 130 and the figures so far", code, out, errOut)
		}
		assertEmptyDir(t, tmp)
	})
	t.Run("json", func(t *testing.T) {
		out, errOut, code, tmp := interruptBench(t, "--size=8m", "--runtime=60", "--time_based", "--ioengine=psync", "--output-format=json")
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil || code != 130 {
			t.Fatalf("interrupted bench: status %d, %v, stdout %q, stderr %q", code, err, out, errOut)
		}
		if v["interrupted"] != true || num(t, v, "ops") <= 0 || num(t, v, "runtime_s") > 30 {
			t.Errorf("interrupted bench JSON: interrupted %v, ops %v, runtime_s %v", v["interrupted"], v["ops"], v["runtime_s"])
		}
		assertEmptyDir(t, tmp)
	})
	t.Run("compare", func(t *testing.T) {
		out, errOut, code, tmp := interruptBench(t, "--size=8m", "--compare=uring-batch,psync", "--runtime=60", "--output-format=json")
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil || code != 130 {
			t.Fatalf("interrupted compare: status %d, %v, stdout %q, stderr %q", code, err, out, errOut)
		}
		if v["interrupted"] != true {
			t.Errorf("interrupted compare JSON: interrupted %v", v["interrupted"])
		}
		assertEmptyDir(t, tmp)
	})
}

func TestBenchCompare(t *testing.T) {
	t.Parallel()
	v := benchJSON(t, "--compare=uring-batch,psync", "--size=4m", "--runtime=400ms", "--rounds=2", "--iodepth=8", "--numjobs=2")
	results := obj(t, v, "results")
	for _, e := range []string{"uring-batch", "psync"} {
		r := obj(t, results, e)
		runtime := checkResult(t, e, r, true, false)
		if runtime < 0.3 || runtime > 5 {
			t.Errorf("%s: runtime_s %v for 400ms over 2 rounds", e, runtime)
		}
	}
	ratio := obj(t, v, "ratio")
	rounds, _ := ratio["rounds"].([]any)
	mn, md, mx := num(t, ratio, "min"), num(t, ratio, "median"), num(t, ratio, "max")
	if len(rounds) != 2 || mn <= 0 || mn > md || md > mx || ratio["of"] != "uring-batch/psync" {
		t.Errorf("ratio %v: want 2 rounds, 0 < min <= median <= max, of uring-batch/psync", ratio)
	}
}

// The command with no options: the side-by-side run of about ten seconds, cached and O_DIRECT.
func TestBenchDefault(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	out, errOut, code := runEnv(t, []string{"TMPDIR=" + tmp}, "bench")
	if code != 0 {
		t.Fatalf("uring bench: status %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"cached:", "O_DIRECT:", "psync", defaultEngine(), "IOPS", "p99.9", "threads", "IOPS: "} {
		if !strings.Contains(out, want) {
			t.Errorf("uring bench output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "/psync IOPS: "); n != 2 {
		t.Errorf("uring bench prints %d ratios, want 2 (cached, O_DIRECT):\n%s", n, out)
	}
	assertEmptyDir(t, tmp)
}

// openPty returns the two ends of a new pseudo-terminal.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// The progress line (elapsed time, IOPS so far) is shown on a terminal, and only there.
func TestBenchProgressLine(t *testing.T) {
	t.Parallel()
	args := []string{"bench", "--size=4m", "--runtime=1200ms", "--time_based", "--ioengine=uring-batch", "--iodepth=4"}
	for _, c := range []struct {
		json, tty bool
	}{{false, true}, {true, true}, {false, false}} {
		a := args
		if c.json {
			a = append(a, "--output-format=json")
		}
		cmd := exec.Command(uringBinary, a...)
		cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
		var out bytes.Buffer
		var master *os.File
		if c.tty {
			var slave *os.File
			master, slave = openPty(t)
			defer master.Close()
			cmd.Stdout = slave
			done := make(chan struct{})
			go func() { io.Copy(&out, master); close(done) }()
			if err := cmd.Run(); err != nil {
				t.Fatal(err)
			}
			slave.Close()
			master.SetReadDeadline(time.Now().Add(5 * time.Second))
			<-done
		} else {
			cmd.Stdout = &out
			if err := cmd.Run(); err != nil {
				t.Fatal(err)
			}
		}
		progress := regexp.MustCompile(`\r\[ *[0-9.]+s\] uring-batch: [0-9.]+[kM]? IOPS`).MatchString(out.String())
		if progress != (c.tty && !c.json) {
			t.Errorf("json %v, terminal %v: progress line shown %v\n%q", c.json, c.tty, progress, out.String())
		}
	}
}
