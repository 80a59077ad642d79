package driver

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/uringo/uring"
)

// Benchmarks of the goroutine layer against os.File, side by side in one run:
//
//	go test ./driver -run '^$' -bench . -benchtime 2s -count 5
//
// CachedRead: 4 KiB reads at random offsets of a file in the page cache, from 64 goroutines.
// DirectRead: the same with O_DIRECT, from 64 goroutines. ReadLatency: one goroutine, one
// cached read at a time; p50-ns is the median latency. The file is 256 MiB; set
// URING_BENCH_FILE_MB=1024 for the 1 GiB of the targets. Each reports IOPS and, for the driver,
// enters/op (io_uring_enter calls per read) and parked/op (goroutine parks per read).

const benchBlock = 4096

var bench struct {
	once sync.Once
	dir  string
	path string
	size int64
	err  error
}

func benchFile(b *testing.B) (string, int64) {
	bench.once.Do(func() {
		mb := int64(256)
		if v := os.Getenv("URING_BENCH_FILE_MB"); v != "" {
			fmt.Sscan(v, &mb)
		}
		bench.size = mb << 20
		bench.dir, bench.err = os.MkdirTemp("", "driver-bench")
		if bench.err != nil {
			return
		}
		bench.path = filepath.Join(bench.dir, "data")
		f, err := os.Create(bench.path)
		if err != nil {
			bench.err = err
			return
		}
		defer f.Close()
		buf := make([]byte, 1<<20)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		for off := int64(0); off < bench.size; off += int64(len(buf)) {
			if _, err := f.Write(buf); err != nil {
				bench.err = err
				return
			}
		}
		bench.err = f.Sync()
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path, bench.size
}

func cleanupBench() {
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
}

// warm reads the whole file once so that it is in the page cache.
// openCached opens the benchmark file with its data in the page cache, closed when b ends.
func openCached(b *testing.B) (*os.File, int64) {
	path, size := benchFile(b)
	warm(b, path)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f, size
}

func warm(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Read(buf); err != nil {
			break
		}
	}
}

// reader is one way of doing a 4 KiB read.
type reader struct {
	name string
	read func(f *os.File, fd int, p []byte, off int64) (int, error)
	d    *Driver
}

func readers(b *testing.B) []reader {
	ctx := context.Background()
	rs := []reader{{name: "os", read: func(f *os.File, _ int, p []byte, off int64) (int, error) { return f.ReadAt(p, off) }}}
	for _, v := range []struct {
		name string
		opts []Option
	}{
		{"driver", nil},
		{"driver-noyield", []Option{withYield(yieldNever)}},
		{"driver-yield", []Option{withYield(yieldAlways)}},
		{"driver-spread", []Option{withSpread()}},
		{"driver-1shard", []Option{WithShards(1)}},
		{"syscalls", []Option{WithSyscalls()}},
	} {
		d, err := New(v.opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { d.Close() })
		rs = append(rs, reader{name: v.name, d: d, read: func(_ *os.File, fd int, p []byte, off int64) (int, error) {
			return d.ReadAt(ctx, fd, p, off)
		}})
		if v.name == "driver" {
			rs = append(rs, reader{name: "driver-ReadAtCached", d: d, read: func(_ *os.File, fd int, p []byte, off int64) (int, error) {
				return d.ReadAtCached(ctx, fd, p, off)
			}})
		}
	}
	return rs
}

// alignedBuf returns a 4 KiB buffer aligned for O_DIRECT.
func alignedBuf() []byte {
	b := make([]byte, 2*benchBlock)
	off := int(-uintptr(unsafe.Pointer(&b[0])) & (benchBlock - 1))
	return b[off : off+benchBlock]
}

func threads() int {
	ents, _ := os.ReadDir("/proc/self/task")
	return len(ents)
}

func benchParallel(b *testing.B, flags int) {
	path, size := benchFile(b)
	if flags == 0 {
		warm(b, path)
	}
	blocks := size / benchBlock
	for _, r := range readers(b) {
		b.Run(r.name, func(b *testing.B) {
			f, err := os.OpenFile(path, os.O_RDONLY|flags, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			fd := int(f.Fd())
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			var before Stats
			if r.d != nil {
				before = r.d.Stats()
			}
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				buf := alignedBuf()
				rng := rand.New(rand.NewPCG(rand.Uint64(), 0))
				for pb.Next() {
					off := rng.Int64N(blocks) * benchBlock
					if n, err := r.read(f, fd, buf, off); n != benchBlock || err != nil {
						b.Errorf("read at %d: %d, %v", off, n, err)
						return
					}
				}
			})
			b.StopTimer()
			el := time.Since(start)
			b.ReportMetric(float64(b.N)/el.Seconds(), "IOPS")
			b.ReportMetric(float64(threads()), "threads")
			if r.d != nil {
				st := r.d.Stats()
				b.ReportMetric(float64(st.Enters-before.Enters)/float64(b.N), "enters/op")
				b.ReportMetric(float64(st.Parked-before.Parked)/float64(b.N), "parked/op")
			}
			runtime.KeepAlive(f)
		})
	}
}

// BenchmarkCachedRead: 4 KiB random reads of a cached file from 64 goroutines.
func BenchmarkCachedRead(b *testing.B) { benchParallel(b, 0) }

// BenchmarkDirectRead: 4 KiB random O_DIRECT reads from 64 goroutines.
func BenchmarkDirectRead(b *testing.B) { benchParallel(b, syscall.O_DIRECT) }

// BenchmarkReadLatency: one goroutine, one cached 4 KiB read at a time; p50-ns is the median.
func BenchmarkReadLatency(b *testing.B) {
	path, size := benchFile(b)
	warm(b, path)
	blocks := size / benchBlock
	for _, r := range readers(b) {
		b.Run(r.name, func(b *testing.B) {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			fd := int(f.Fd())
			buf := make([]byte, benchBlock)
			rng := rand.New(rand.NewPCG(1, 2))
			lat := make([]time.Duration, 0, min(b.N, 1<<20))
			var before Stats
			if r.d != nil {
				before = r.d.Stats()
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				off := rng.Int64N(blocks) * benchBlock
				t := time.Now()
				if n, err := r.read(f, fd, buf, off); n != benchBlock || err != nil {
					b.Fatalf("read at %d: %d, %v", off, n, err)
				}
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(t))
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			if r.d != nil { // reads that did not complete inside their enter
				b.ReportMetric(float64(r.d.Stats().Reaped-before.Reaped)/float64(b.N), "async/op")
			}
		})
	}
}

// BenchmarkRatio measures the driver against os.File side by side: it alternates between
// them in slices of 100 ms (URING_BENCH_SLICE_MS) for 10 rounds (URING_BENCH_ROUNDS), so that
// a load that comes and goes on a shared machine weighs on both alike, and reports each one's
// IOPS and their ratio. Run it once: go test ./driver -run '^$' -bench Ratio -benchtime 1x.
func BenchmarkRatio(b *testing.B) {
	for _, c := range []struct {
		name  string
		flags int
		opts  []Option
	}{
		{"cached", 0, nil},
		{"cached-noyield", 0, []Option{withYield(yieldNever)}},
		{"cached-yield", 0, []Option{withYield(yieldAlways)}},
		{"cached-ReadAtCached", 0, nil},
		{"direct", syscall.O_DIRECT, nil},
		{"direct-noyield", syscall.O_DIRECT, []Option{withYield(yieldNever)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			path, size := benchFile(b)
			if c.flags == 0 {
				warm(b, path)
			}
			f, err := os.OpenFile(path, os.O_RDONLY|c.flags, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			d, err := New(c.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			fd, blocks, ctx := int(f.Fd()), size/benchBlock, context.Background()
			slice, rounds := envInt("URING_BENCH_SLICE_MS", 100), envInt("URING_BENCH_ROUNDS", 10)
			run := func(read func(p []byte, off int64) (int, error)) (int64, time.Duration) {
				var wg sync.WaitGroup
				var mu sync.Mutex
				total := int64(0)
				stop := time.Now().Add(time.Duration(slice) * time.Millisecond)
				start := time.Now()
				for g := 0; g < 64; g++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						buf := alignedBuf()
						rng := rand.New(rand.NewPCG(rand.Uint64(), 0))
						n := int64(0)
						for ; n%64 != 0 || time.Now().Before(stop); n++ {
							if m, err := read(buf, rng.Int64N(blocks)*benchBlock); m != benchBlock || err != nil {
								b.Errorf("read: %d, %v", m, err)
								return
							}
						}
						mu.Lock()
						total += n
						mu.Unlock()
					}()
				}
				wg.Wait()
				return total, time.Since(start)
			}
			var osOps, drvOps int64
			var osTime, drvTime time.Duration
			read := func(p []byte, off int64) (int, error) { return d.ReadAt(ctx, fd, p, off) }
			if strings.HasSuffix(c.name, "-ReadAtCached") {
				read = func(p []byte, off int64) (int, error) { return d.ReadAtCached(ctx, fd, p, off) }
			}
			b.ResetTimer()
			for range b.N {
				for r := 0; r < rounds; r++ {
					n, t := run(f.ReadAt)
					osOps, osTime = osOps+n, osTime+t
					n, t = run(read)
					drvOps, drvTime = drvOps+n, drvTime+t
				}
			}
			osIOPS, drvIOPS := float64(osOps)/osTime.Seconds(), float64(drvOps)/drvTime.Seconds()
			b.ReportMetric(osIOPS, "os-IOPS")
			b.ReportMetric(drvIOPS, "driver-IOPS")
			b.ReportMetric(drvIOPS/osIOPS, "ratio")
			st := d.Stats()
			b.ReportMetric(float64(st.Enters)/float64(drvOps), "enters/op")
			b.ReportMetric(float64(st.Parked)/float64(drvOps), "parked/op")
		})
	}
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		fmt.Sscan(v, &def)
	}
	return def
}

// BenchmarkKernel is what the kernel gives without the driver, for comparison: two goroutines
// (one per CPU here), each doing cached 4 KiB random reads with pread (batch=0) or on a Ring
// of its own in batches of 1, 4 and 16. It bounds what any goroutine layer can reach.
func BenchmarkKernel(b *testing.B) {
	f, size := openCached(b)
	for _, batch := range []int{0, 1, 4, 16} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			var wg sync.WaitGroup
			start := time.Now()
			for g := 0; g < 2; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(g), 2))
					if batch == 0 {
						buf := make([]byte, benchBlock)
						for i := 0; i < b.N/2; i++ {
							f.ReadAt(buf, rng.Int64N(size/benchBlock)*benchBlock)
						}
						return
					}
					r, err := uring.New(256)
					if err != nil {
						b.Error(err)
						return
					}
					defer r.Close()
					bufs := make([][]byte, batch)
					for i := range bufs {
						bufs[i] = make([]byte, benchBlock)
					}
					for i := 0; i < b.N/2; i += batch {
						for j := range bufs {
							r.PrepRead(int(f.Fd()), bufs[j], rng.Int64N(size/benchBlock)*benchBlock)
						}
						r.SubmitAndWait(uint32(batch))
						for c := range r.Completions() {
							if c.Res != benchBlock {
								b.Errorf("read: %d", c.Res)
							}
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "IOPS")
		})
	}
}

// BenchmarkLinkTimeout is why deadlines do not use IORING_OP_LINK_TIMEOUT: a cached read on a
// Ring alone, and the same read with a linked timeout that never fires, which is what every
// call with a deadline would pay.
func BenchmarkLinkTimeout(b *testing.B) {
	f, size := openCached(b)
	for _, linked := range []bool{false, true} {
		b.Run(map[bool]string{false: "read", true: "read+link_timeout"}[linked], func(b *testing.B) {
			r, err := uring.New(256)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			buf := make([]byte, benchBlock)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := 0; i < b.N; i++ {
				s, err := r.PrepRead(int(f.Fd()), buf, rng.Int64N(size/benchBlock)*benchBlock)
				if err != nil {
					b.Fatal(err)
				}
				n := uint32(1)
				if linked {
					s.SetFlags(uring.SQELink)
					if _, err := r.PrepLinkTimeout(time.Second, 0); err != nil {
						b.Fatal(err)
					}
					n = 2
				}
				if _, err := r.SubmitAndWait(n); err != nil {
					b.Fatal(err)
				}
				for range r.Completions() {
				}
			}
		})
	}
}

// BenchmarkWriteLatency: one goroutine overwriting 4 KiB blocks of a 64 MiB file in the page
// cache, with os.File.WriteAt, the ring (WriteAt) and WriteAtCached. On ext4, which cannot take
// a buffered write without blocking, the ring hands each one to a kernel worker thread.
func BenchmarkWriteLatency(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "w"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	const size = 64 << 20
	if _, err := f.WriteAt(make([]byte, size), 0); err != nil {
		b.Fatal(err)
	}
	f.Sync()
	d, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx, fd, p := context.Background(), int(f.Fd()), make([]byte, benchBlock)
	for _, w := range []struct {
		name  string
		write func(off int64) (int, error)
	}{
		{"os", func(off int64) (int, error) { return f.WriteAt(p, off) }},
		{"driver", func(off int64) (int, error) { return d.WriteAt(ctx, fd, p, off) }},
		{"driver-WriteAtCached", func(off int64) (int, error) { return d.WriteAtCached(ctx, fd, p, off) }},
	} {
		b.Run(w.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			before := d.Stats()
			for i := 0; i < b.N; i++ {
				if n, err := w.write(rng.Int64N(size/benchBlock) * benchBlock); n != benchBlock || err != nil {
					b.Fatalf("write: %d, %v", n, err)
				}
			}
			b.ReportMetric(float64(d.Stats().Reaped-before.Reaped)/float64(b.N), "async/op")
		})
	}
}
