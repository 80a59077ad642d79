package main

import (
	"fmt"
	"os"
)

// psync: os.File.ReadAt and WriteAt, one blocking call at a time from each of numjobs goroutines.
// The baseline every io_uring engine is set against; like fio's psync it ignores --iodepth.
var _ = registerEngine(&engine{
	name:    "psync",
	summary: "os.File.ReadAt/WriteAt (pread/pwrite), one call at a time per job: the baseline",
	check:   checkBlocking("psync"),
	run: func(j *job) error {
		return runBlocking(j, func(f *os.File, o op, buf []byte) (int, error) {
			if o.write {
				return f.WriteAt(buf, o.off)
			}
			return f.ReadAt(buf, o.off)
		})
	},
	describe: func(o *benchOptions, _ any) string {
		return fmt.Sprintf("%s, one os.File call each at a time", plural(o.numjobs, "goroutine"))
	},
})
