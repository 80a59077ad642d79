package main

import (
	"fmt"
	"io"
)

var _ = register("probe", command{
	summary: "show what this kernel's io_uring offers (--json for machines)",
	run:     runProbe,
})

func runProbe(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "uring probe: not written yet")
	return 1
}
