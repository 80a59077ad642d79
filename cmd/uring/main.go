// Command uring shows what io_uring this kernel offers, measures it beside os.File, and copies
// files through it.
//
//	uring probe [--json]        what this kernel's io_uring offers
//	uring bench [fio options]   4 KiB random reads through io_uring and os.File, side by side
//	uring cp [-r] [-p] SRC DST  copy files through io_uring
//
// Install with: go install github.com/uringo/uring/cmd/uring@latest
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand: its one-line summary and what runs it with the arguments after its
// name. run returns the process exit status.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is filled in by the file of each subcommand.
var commands = map[string]command{}

func register(name string, c command) struct{} {
	commands[name] = c
	return struct{}{}
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run([]string{"--help"}, stdout, stderr)
			}
		}
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "uring: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "uring: io_uring from Go, measured and put to work")
	fmt.Fprintln(w, "\nUsage: uring COMMAND [options]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-7s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'uring help COMMAND' for a command's options.")
}
