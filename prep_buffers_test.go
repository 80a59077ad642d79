package uring

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestProvideBuffers hands the kernel Go memory as a classic buffer group, drops the caller's
// reference and collects garbage, then receives into it: the Ring must have kept it.
func TestProvideBuffers(t *testing.T) {
	r := newRing(t, 8)
	const size, n = 32, 4
	var base unsafe.Pointer
	func() {
		mem := make([]byte, size*n+5) // the 5 bytes left over are no buffer
		base = unsafe.Pointer(&mem[0])
		must(t)(r.PrepProvideBuffers(mem, size, 6, 10)).SetUserData(1)
	}()
	wantRes(t, waitOne(t, r), 0)
	for i := 0; i < 3; i++ {
		runtime.GC()
		_ = make([]byte, size*n+5)
	}
	mem := unsafe.Slice((*byte)(base), size*n) // what the Ring holds, by its address
	if _, ok := r.rsrc.provided[base]; !ok {
		t.Fatal("the provided memory is not held")
	}
	a, b := socketpair(t, unix.SOCK_DGRAM)
	must(t)(r.PrepRecvMultishot(b, 6, 0)).SetUserData(2)
	submit(t, r)
	used := map[uint16]bool{}
	for i := 0; i < n; i++ {
		msg := []byte(fmt.Sprintf("datagram %d", i))
		writeAll(t, a, msg)
		c, bid := nextShot(t, r, 2)
		if bid < 10 || bid >= 10+n || used[bid] {
			t.Fatalf("buffer id %d: not one of those provided, or used twice", bid)
		}
		used[bid] = true
		at := int(bid-10) * size
		wantBytes(t, mem[at:at+int(c.Res)], msg)
	}
	writeAll(t, a, []byte("no room"))
	c := waitCQE(t, r)
	wantErrno(t, c, syscall.ENOBUFS)
	wantNoLiveSlots(t, r)

	// Providing the same memory again (recycling) holds nothing more.
	before := len(r.rsrc.provided)
	must(t)(r.PrepProvideBuffers(mem, size, 6, 10)).SetUserData(3)
	wantRes(t, waitOne(t, r), 0)
	if len(r.rsrc.provided) != before {
		t.Fatalf("%d blocks held after providing the same memory again, want %d", len(r.rsrc.provided), before)
	}
	must(t)(r.PrepRecvMultishot(b, 6, 0)).SetUserData(4)
	c = waitOne(t, r) // the datagram that found no buffer waited in the socket
	bid, _ := c.BufferID()
	wantBytes(t, mem[int(bid-10)*size:][:c.Res], []byte("no room"))
	must(t)(r.PrepCancel(4, 0)).SetUserData(5)
	submitWait(t, r, 2)
	wantNoLiveSlots(t, r)

	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if r.rsrc.provided != nil {
		t.Fatal("Close did not drop the provided memory")
	}
}

func TestRemoveBuffers(t *testing.T) {
	r := newRing(t, 8)
	mem := make([]byte, 8*16)
	must(t)(r.PrepProvideBuffers(mem, 16, 2, 0)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepRemoveBuffers(3, 2)).SetUserData(2)
	wantRes(t, waitOne(t, r), 3)
	must(t)(r.PrepRemoveBuffers(100, 2)).SetUserData(3)
	wantRes(t, waitOne(t, r), 5)
	must(t)(r.PrepRemoveBuffers(1, 2)).SetUserData(4)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepRemoveBuffers(1, 99)).SetUserData(4)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)
	// A multishot read takes classic buffers too.
	must(t)(r.PrepProvideBuffers(mem, 16, 2, 0)).SetUserData(5)
	wantRes(t, waitOne(t, r), 0)
	pr, pw := pipe(t)
	pw.Write([]byte("data"))
	must(t)(r.PrepReadMultishot(int(pr.Fd()), CurrentPos, 2)).SetUserData(6)
	c := waitOne(t, r)
	bid, ok := c.BufferID()
	if c.Res != 4 || !c.More() || !ok || bid >= 8 {
		t.Fatalf("multishot read from a classic group: %+v (%v)", c, c.Err())
	}
	wantBytes(t, mem[int(bid)*16:][:4], []byte("data"))
	must(t)(r.PrepCancel(6, 0)).SetUserData(7)
	submitWait(t, r, 2)
	wantNoLiveSlots(t, r)

	for name, err := range map[string]error{
		"provide size 0":    second(r.PrepProvideBuffers(mem, 0, 1, 0)),
		"provide size big":  second(r.PrepProvideBuffers(mem, maxRW+1, 1, 0)),
		"provide too small": second(r.PrepProvideBuffers(mem[:15], 16, 1, 0)),
		"provide nil":       second(r.PrepProvideBuffers(nil, 16, 1, 0)),
		"provide ids":       second(r.PrepProvideBuffers(mem, 16, 1, 65530)),
		"remove 0":          second(r.PrepRemoveBuffers(0, 1)),
		"remove big":        second(r.PrepRemoveBuffers(1<<16+1, 1)),
		"read mshot fd":     second(r.PrepReadMultishot(1<<40, 0, 1)),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if r.SQReady() != 0 {
		t.Fatalf("refused preps left %d entries queued", r.SQReady())
	}
}

// TestReadMultishot reads a pipe with one multishot read until the writer closes it.
func TestReadMultishot(t *testing.T) {
	r := newRing(t, 8)
	br := mustBufRing(t)(r.SetupBufRing(1, 4, 16, 0))
	pr, pw := pipe(t)
	must(t)(r.PrepReadMultishot(int(pr.Fd()), CurrentPos, 1)).SetUserData(1)
	submit(t, r)
	for i := 0; i < 6; i++ {
		msg := []byte(fmt.Sprintf("read %d", i))
		if _, err := pw.Write(msg); err != nil {
			t.Fatal(err)
		}
		c, bid := nextShot(t, r, 1)
		wantBytes(t, br.Bytes(c), msg)
		if err := br.Recycle(bid); err != nil {
			t.Fatal(err)
		}
	}
	// A read takes at most a buffer: 20 bytes come in two completions.
	pw.Write([]byte("twenty bytes, not 16"))
	var got []byte
	for len(got) < 20 {
		c := waitCQE(t, r)
		if c.Res > 16 || !c.More() {
			t.Fatalf("read %+v", c)
		}
		got = append(got, br.Bytes(c)...)
		bid, _ := c.BufferID()
		br.Recycle(bid)
	}
	wantBytes(t, got, []byte("twenty bytes, not 16"))
	pw.Close()
	c := waitCQE(t, r)
	if c.UserData != 1 || c.Res != 0 || c.More() {
		t.Fatalf("end of file: %+v", c)
	}
	wantNoLiveSlots(t, r)
	// A regular file cannot be polled: the kernel refuses.
	f := tempFile(t, []byte("file"))
	must(t)(r.PrepReadMultishot(int(f.Fd()), 0, 1)).SetUserData(2)
	wantErrno(t, waitOne(t, r), syscall.EBADFD)
	wantNoLiveSlots(t, r)
}
