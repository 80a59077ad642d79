package main

import (
	"context"
	"fmt"
	"os"

	"github.com/uringo/uring/driver"
)

// uring: numjobs goroutines, each making one blocking ReadAt or WriteAt at a time through package
// driver, which shares its rings between them: the way a Go program uses io_uring without
// writing a ring loop, and the engine to set against psync with the same number of goroutines.
// It takes the path package file takes: without --direct a read first tries the page cache with
// one preadv2(RWF_NOWAIT) and goes to the ring for what is not cached (driver.ReadAtCached),
// because one io_uring_enter per cached read costs more than a pread; with --direct every
// operation goes through the ring. uring-ring sends everything through the ring.
var (
	_ = registerEngine(&engine{
		name:    "uring",
		summary: "numjobs goroutines making blocking calls through package driver, as package file does",
		check:   checkBlocking("uring"),
		open:    openDriver,
		run:     func(j *job) error { return runUringDriver(j, !j.o.direct) },
		describe: describeDriver(func(o *benchOptions) string {
			if o.direct {
				return "through the ring (O_DIRECT)"
			}
			return "the page cache first, then the ring"
		}),
	})
	_ = registerEngine(&engine{
		name:     "uring-ring",
		summary:  "like uring, but every operation through the ring, cached or not",
		check:    checkBlocking("uring-ring"),
		open:     openDriver,
		run:      func(j *job) error { return runUringDriver(j, false) },
		describe: describeDriver(func(*benchOptions) string { return "every operation through the ring" }),
	})
)

func openDriver(o *benchOptions) (any, func(), error) {
	d, err := driver.New()
	if err != nil {
		return nil, nil, err
	}
	return d, func() { d.Close() }, nil
}

func describeDriver(path func(o *benchOptions) string) func(o *benchOptions, shared any) string {
	return func(o *benchOptions, shared any) string {
		mode := "?"
		if d, ok := shared.(*driver.Driver); ok {
			mode = d.Mode().String()
		}
		return fmt.Sprintf("%s, one blocking driver call each at a time, %s (driver mode %s)", plural(o.numjobs, "goroutine"), path(o), mode)
	}
}

// runUringDriver runs a job through the driver; cached says whether reads and writes try the
// page cache with one non-waiting system call first.
func runUringDriver(j *job, cached bool) error {
	d := j.shared.(*driver.Driver)
	ctx := context.Background()
	return runBlocking(j, func(f *os.File, o op, buf []byte) (int, error) {
		fd := int(f.Fd())
		switch {
		case o.write && cached:
			return d.WriteAtCached(ctx, fd, buf, o.off)
		case o.write:
			return d.WriteAt(ctx, fd, buf, o.off)
		case cached:
			return d.ReadAtCached(ctx, fd, buf, o.off)
		}
		return d.ReadAt(ctx, fd, buf, o.off)
	})
}
