package uring

import (
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests of the reference URingContext (../shared/seed/uring.rs), ported one for one, each
// asserting at least what the original asserts.

// TestReadParallel queues 64 times the queue depth of reads, waiting for a completion whenever
// the SQ is full, so that both rings wrap many times; every read must come back whole.
func TestReadParallel(t *testing.T) {
	const queueSize = 10
	const bufSize = 0x1000
	r := newRing(t, queueSize)
	data := pattern(bufSize*queueSize, 7)
	f := tempFile(t, data)
	buf := make([]byte, bufSize*queueSize)

	inFlight := map[uint64]bool{}
	reap := func(c CQE) {
		if !inFlight[c.UserData] {
			t.Fatalf("completion for user data %d, which is not in flight", c.UserData)
		}
		delete(inFlight, c.UserData)
		wantRes(t, c, bufSize)
	}
	for i := 0; i < queueSize*64; i++ {
		off := (i % queueSize) * bufSize
		for {
			s, err := r.PrepRead(int(f.Fd()), buf[off:off+bufSize], int64(off))
			if errors.Is(err, ErrSQFull) {
				if _, err := r.Submit(); err != nil {
					t.Fatal(err)
				}
				c, err := r.WaitCQETimeout(10 * time.Second)
				if err != nil {
					t.Fatal(err)
				}
				reap(c)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			s.SetUserData(uint64(i))
			inFlight[uint64(i)] = true
			break
		}
	}
	for len(inFlight) > 0 {
		reap(waitOne(t, r))
	}
	wantBytes(t, buf, data)
	if st := r.Stats(); st.Submitted != queueSize*64 || st.Completed != queueSize*64 {
		t.Errorf("stats %+v, want %d submitted and completed", st, queueSize*64)
	}
}

// TestReadReadv alternates single reads and one-buffer readv at two offsets, twice the queue
// depth, waiting for each.
func TestReadReadv(t *testing.T) {
	const queueSize = 128
	r := newRing(t, queueSize)
	data := pattern(0x1000*2, 3)
	f := tempFile(t, data)
	buf := make([]byte, 0x1000)
	for i := uint64(0); i < queueSize*2; i++ {
		off := int64(i%2) * 0x1000
		clear(buf)
		must(t)(r.PrepRead(int(f.Fd()), buf, off)).SetUserData(i)
		c := waitOne(t, r)
		if c.UserData != i {
			t.Fatalf("user data %d, want %d", c.UserData, i)
		}
		wantRes(t, c, 0x1000)
		wantBytes(t, buf, data[off:off+0x1000])

		clear(buf)
		must(t)(r.PrepReadv(int(f.Fd()), [][]byte{buf}, off)).SetUserData(i)
		c = waitOne(t, r)
		if c.UserData != i {
			t.Fatalf("readv user data %d, want %d", c.UserData, i)
		}
		wantRes(t, c, 0x1000)
		wantBytes(t, buf, data[off:off+0x1000])
	}
}

// TestReadvVec reads into three buffers with one readv.
func TestReadvVec(t *testing.T) {
	const bufSize = 0x2000
	r := newRing(t, 128)
	data := pattern(bufSize*3, 9)
	f := tempFile(t, data)
	b1, b2, b3 := make([]byte, bufSize), make([]byte, bufSize), make([]byte, bufSize)
	must(t)(r.PrepReadv(int(f.Fd()), [][]byte{b1, b2, b3}, 0)).SetUserData(55)
	c := waitOne(t, r)
	if c.UserData != 55 {
		t.Fatalf("user data %d, want 55", c.UserData)
	}
	wantRes(t, c, bufSize*3)
	wantBytes(t, b1, data[:bufSize])
	wantBytes(t, b2, data[bufSize:2*bufSize])
	wantBytes(t, b3, data[2*bufSize:])
}

// TestWriteOneBlock writes one block and checks the file holds it.
func TestWriteOneBlock(t *testing.T) {
	r := newRing(t, 16)
	f := tempFile(t, make([]byte, 8192))
	buf := pattern(4096, 1)
	must(t)(r.PrepWrite(int(f.Fd()), buf, 0)).SetUserData(55)
	c := waitOne(t, r)
	if c.UserData != 55 {
		t.Fatalf("user data %d, want 55", c.UserData)
	}
	wantRes(t, c, 4096)
	wantBytes(t, readFileAt(t, f, 0, 4096), buf)
}

// TestWriteOneSubmitPoll waits for a completion with epoll on the ring's fd, which must not be
// readable before the completion is there.
func TestWriteOneSubmitPoll(t *testing.T) {
	r := newRing(t, 16)
	f := tempFile(t, make([]byte, 8192))
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ep)
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, r.Fd(), &unix.EpollEvent{Events: unix.EPOLLIN, Fd: 1}); err != nil {
		t.Fatal(err)
	}
	events := make([]unix.EpollEvent, 1)
	epollWait := func(msec int) (int, error) {
		for {
			n, err := unix.EpollWait(ep, events, msec)
			if err != unix.EINTR { // Go's preemption signals interrupt waits
				return n, err
			}
		}
	}
	if n, err := epollWait(1); err != nil || n != 0 {
		t.Fatalf("epoll before any completion: %d events, %v; want none", n, err)
	}
	buf := pattern(4096, 2)
	must(t)(r.PrepWrite(int(f.Fd()), buf, 0)).SetUserData(55)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	n, err := epollWait(10000)
	if err != nil || n != 1 || events[0].Fd != 1 {
		t.Fatalf("epoll after submit: %d events %+v, %v; want the ring's", n, events, err)
	}
	c, ok := r.PeekCQE()
	if !ok {
		t.Fatal("epoll said readable but no completion is ready")
	}
	if c.UserData != 55 {
		t.Fatalf("user data %d, want 55", c.UserData)
	}
	wantRes(t, c, 4096)
}

// TestWritevVec writes three buffers at an offset and reads them back.
func TestWritevVec(t *testing.T) {
	const bufSize = 0x2000
	const offset = 0x2000
	r := newRing(t, 128)
	b1, b2, b3 := make([]byte, bufSize), make([]byte, bufSize), make([]byte, bufSize)
	for i := range b1 {
		b1[i], b2[i], b3[i] = 0xaa, 0xff, 0x55
	}
	f := tempFile(t, make([]byte, bufSize*3*2))
	must(t)(r.PrepWritev(int(f.Fd()), [][]byte{b1, b2, b3}, offset)).SetUserData(55)
	c := waitOne(t, r)
	if c.UserData != 55 {
		t.Fatalf("user data %d, want 55", c.UserData)
	}
	wantRes(t, c, bufSize*3)
	wantBytes(t, readFileAt(t, f, offset, bufSize), b1)
	wantBytes(t, readFileAt(t, f, offset+bufSize, bufSize), b2)
	wantBytes(t, readFileAt(t, f, offset+2*bufSize, bufSize), b3)
}

// TestFallocateFsync grows a file by 50 MiB, syncs it, punches the new part out keeping the
// size, and checks the size and the blocks.
func TestFallocateFsync(t *testing.T) {
	path := tempPath(t, "test")
	if err := os.WriteFile(path, make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	const initSize = 4096
	const setSize = initSize + 50<<20
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := newRing(t, 16)

	must(t)(r.PrepFallocate(int(f.Fd()), 0, 0, setSize)).SetUserData(66)
	c := waitOne(t, r)
	if c.UserData != 66 {
		t.Fatalf("user data %d", c.UserData)
	}
	wantRes(t, c, 0)
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != setSize || st.Blocks*512 < setSize {
		t.Fatalf("after fallocate: size %d, %d bytes allocated; want %d of both", st.Size, st.Blocks*512, setSize)
	}

	must(t)(r.PrepFsync(int(f.Fd()), 0)).SetUserData(67)
	c = waitOne(t, r)
	if c.UserData != 67 {
		t.Fatalf("user data %d", c.UserData)
	}
	wantRes(t, c, 0)

	must(t)(r.PrepFallocate(int(f.Fd()), FallocPunchHole|FallocKeepSize, initSize, setSize-initSize)).SetUserData(68)
	c = waitOne(t, r)
	if c.UserData != 68 {
		t.Fatalf("user data %d", c.UserData)
	}
	wantRes(t, c, 0)
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != setSize {
		t.Fatalf("size after punching %d, want %d kept", st.Size, setSize)
	}
	if st.Blocks*512 >= setSize-initSize {
		t.Fatalf("%d bytes still allocated after punching %d", st.Blocks*512, setSize-initSize)
	}
}

// TestDevZeroReadable polls /dev/zero, which is always readable.
func TestDevZeroReadable(t *testing.T) {
	f, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := newRing(t, 16)
	must(t)(r.PrepPollAdd(int(f.Fd()), unix.POLLIN)).SetUserData(454)
	c := waitOne(t, r)
	if c.UserData != 454 {
		t.Fatalf("user data %d, want 454", c.UserData)
	}
	if c.Res&unix.POLLIN == 0 {
		t.Fatalf("poll result %#x, want POLLIN", c.Res)
	}
}
