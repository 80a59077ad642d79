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
var _ = registerEngine(&engine{
	name:    "uring",
	summary: "numjobs goroutines making blocking calls through package driver",
	check:   checkBlocking("uring"),
	open: func(o *benchOptions) (any, func(), error) {
		d, err := driver.New()
		if err != nil {
			return nil, nil, err
		}
		return d, func() { d.Close() }, nil
	},
	run: runUringDriver,
	describe: func(o *benchOptions, shared any) string {
		mode := "?"
		if d, ok := shared.(*driver.Driver); ok {
			mode = d.Mode().String()
		}
		return fmt.Sprintf("%s, one blocking driver call each at a time (driver mode %s)", plural(o.numjobs, "goroutine"), mode)
	},
})

func runUringDriver(j *job) error {
	d := j.shared.(*driver.Driver)
	ctx := context.Background()
	return runBlocking(j, func(f *os.File, o op, buf []byte) (int, error) {
		if o.write {
			return d.WriteAt(ctx, int(f.Fd()), buf, o.off)
		}
		return d.ReadAt(ctx, int(f.Fd()), buf, o.off)
	})
}
