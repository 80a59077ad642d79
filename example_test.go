package uring_test

import (
	"fmt"
	"log"
	"os"

	"github.com/uringo/uring"
	"golang.org/x/sys/unix"
)

// Read a file with one read, and take the completion.
func Example() {
	f, err := os.CreateTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	f.WriteString("hello, io_uring")

	r, err := uring.New(8)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	buf := make([]byte, 64)
	sqe, err := r.PrepRead(int(f.Fd()), buf, 0)
	if err != nil {
		log.Fatal(err)
	}
	sqe.SetUserData(1)
	if _, err := r.SubmitAndWait(1); err != nil {
		log.Fatal(err)
	}
	for cqe := range r.Completions() {
		if err := cqe.Err(); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d: %q\n", cqe.UserData, buf[:cqe.Res])
	}
	// Output: 1: "hello, io_uring"
}

// Link operations so they run in order: a write, an fsync, and a read of what was written.
func ExampleSQE_SetFlags() {
	f, _ := os.CreateTemp("", "example")
	defer os.Remove(f.Name())
	defer f.Close()
	r, _ := uring.New(8)
	defer r.Close()

	out := []byte("linked")
	in := make([]byte, len(out))
	s, _ := r.PrepWrite(int(f.Fd()), out, 0)
	s.SetUserData(1).SetFlags(uring.SQELink)
	s, _ = r.PrepFsync(int(f.Fd()), uring.FsyncDatasync)
	s.SetUserData(2).SetFlags(uring.SQELink)
	s, _ = r.PrepRead(int(f.Fd()), in, 0)
	s.SetUserData(3)
	r.SubmitAndWait(3)
	for cqe := range r.Completions() {
		fmt.Println(cqe.UserData, cqe.Res)
	}
	fmt.Printf("%s\n", in)
	// Output:
	// 1 6
	// 2 0
	// 3 6
	// linked
}

// Poll a pipe, as the reference's add_poll_fd does.
func ExampleRing_PrepPollAdd() {
	rd, wr, _ := os.Pipe()
	defer rd.Close()
	defer wr.Close()
	r, _ := uring.New(4)
	defer r.Close()

	s, _ := r.PrepPollAdd(int(rd.Fd()), unix.POLLIN)
	s.SetUserData(454)
	r.Submit()
	wr.Write([]byte("x"))
	cqe, _ := r.WaitCQE()
	fmt.Println(cqe.UserData, cqe.Res&unix.POLLIN != 0)
	// Output: 454 true
}

// Close refuses further use, with an error that matches os.ErrClosed.
func ExampleRing_Close() {
	r, _ := uring.New(4)
	r.Close()
	_, err := r.PrepNop()
	fmt.Println(err, err == uring.ErrClosed)
	// Output: uring: ring is closed true
}
