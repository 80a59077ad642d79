package driver

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
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
		})
	}
}
