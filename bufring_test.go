package uring

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitCQE waits for the next completion, failing after a timeout.
func waitCQE(t testing.TB, r *Ring) CQE {
	t.Helper()
	c, err := r.WaitCQETimeout(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBufRing reads a pipe with a multishot read through a buffer ring, mapped by the
// application or by the kernel, and checks the ring's head as buffers are used and handed back.
func TestBufRing(t *testing.T) {
	for _, flags := range []BufRingFlags{0, BufRingMmap} {
		t.Run(fmt.Sprint(flags), func(t *testing.T) {
			r := newRing(t, 8)
			br := mustBufRing(t)(r.SetupBufRing(7, 3, 32, flags))
			if br.Group() != 7 || br.Count() != 3 || br.Size() != 32 || br.Entries() != 4 || len(br.Buf(2)) != 32 || br.Buf(3) != nil {
				t.Fatalf("group %d count %d size %d entries %d", br.Group(), br.Count(), br.Size(), br.Entries())
			}
			if h, err := br.Head(); err != nil || h != 0 {
				t.Fatalf("head %d, %v", h, err)
			}
			if n, err := br.Available(); err != nil || n != 3 {
				t.Fatalf("available %d, %v", n, err)
			}
			pr, pw := pipe(t)
			must(t)(r.PrepReadMultishot(int(pr.Fd()), CurrentPos, 7)).SetUserData(1)
			submit(t, r)
			var bids []uint16
			for i := 0; i < 3; i++ {
				msg := []byte(fmt.Sprintf("message %d", i))
				if _, err := pw.Write(msg); err != nil {
					t.Fatal(err)
				}
				c, bid := nextShot(t, r, 1)
				wantBytes(t, br.Bytes(c), msg)
				bids = append(bids, bid)
			}
			if h, err := br.Head(); err != nil || h != 3 {
				t.Fatalf("head %d after 3 buffers, %v", h, err)
			}
			if n, _ := br.Available(); n != 0 {
				t.Fatalf("available %d, want 0", n)
			}
			// Handed back, a buffer serves again; its bytes are as the kernel wrote them.
			if err := br.Recycle(bids[1]); err != nil {
				t.Fatal(err)
			}
			if n, _ := br.Available(); n != 1 {
				t.Fatalf("available %d after a recycle, want 1", n)
			}
			pw.Write([]byte("again"))
			c := waitCQE(t, r)
			if bid, _ := c.BufferID(); bid != bids[1] || !c.More() {
				t.Fatalf("completion %+v, want buffer %d", c, bids[1])
			}
			wantBytes(t, br.Bytes(c), []byte("again"))
			wantBytes(t, br.Buf(bids[1])[:5], []byte("again"))
			// Dry: the multishot read ends with ENOBUFS.
			pw.Write([]byte("dry"))
			c = waitCQE(t, r)
			wantErrno(t, c, syscall.ENOBUFS)
			if c.More() || br.Bytes(c) != nil {
				t.Fatalf("ENOBUFS completion %+v", c)
			}
			wantNoLiveSlots(t, r)
			if err := br.Free(); err != nil {
				t.Fatal(err)
			}
			if !br.unmapped || br.Buf(0) != nil || br.Bytes(c) != nil {
				t.Fatal("memory not released by Free with nothing in flight")
			}
			if _, err := br.Head(); err == nil {
				t.Fatal("head of a freed ring")
			}
		})
	}
}

// TestBufRingIncremental consumes one buffer over several completions (IOU_PBUF_RING_INC).
func TestBufRingIncremental(t *testing.T) {
	r := newRing(t, 8)
	br := mustBufRing(t)(r.SetupBufRing(9, 2, 64, BufRingInc))
	a, b := socketpair(t, unix.SOCK_STREAM)
	must(t)(r.PrepRecvMultishot(b, 9, 0)).SetUserData(1)
	submit(t, r)
	var first uint16
	for i := 0; i < 3; i++ {
		msg := []byte(fmt.Sprintf("part %04d!", i)) // 10 bytes
		writeAll(t, a, msg)
		c := waitCQE(t, r)
		bid, _ := c.BufferID()
		if i == 0 {
			first = bid
		}
		if c.Res != 10 || !c.More() || c.Flags&CQEFBufMore == 0 || bid != first {
			t.Fatalf("completion %d: %+v", i, c)
		}
		got := br.Bytes(c)
		wantBytes(t, got, msg)
		if want := &br.Buf(first)[10*i]; &got[0] != want {
			t.Fatalf("completion %d's data is not where the previous one stopped", i)
		}
	}
	// 40 more bytes: the 34 left in the first buffer finish it, the rest start the second.
	msg := pattern(40, 1)
	writeAll(t, a, msg)
	var got []byte
	for len(got) < 40 {
		c := waitCQE(t, r)
		bid, _ := c.BufferID()
		data := br.Bytes(c)
		switch len(got) {
		case 0:
			if bid != first || c.Res != 34 || c.Flags&CQEFBufMore != 0 {
				t.Fatalf("completion finishing the buffer: %+v", c)
			}
			if err := br.Recycle(bid); err != nil {
				t.Fatal(err)
			}
		default:
			if bid == first || c.Flags&CQEFBufMore == 0 || &data[0] != &br.Buf(bid)[0] {
				t.Fatalf("completion starting the next buffer: %+v", c)
			}
		}
		got = append(got, data...)
	}
	wantBytes(t, got, msg)
	must(t)(r.PrepCancel(1, 0)).SetUserData(2)
	submitWait(t, r, 2)
	wantNoLiveSlots(t, r)
}

func TestBufRingBadInput(t *testing.T) {
	r := newRing(t, 4)
	for name, err := range map[string]error{
		"count 0":     second(r.SetupBufRing(1, 0, 16, 0)),
		"count big":   second(r.SetupBufRing(1, 1<<15+1, 16, 0)),
		"size 0":      second(r.SetupBufRing(1, 4, 0, 0)),
		"size big":    second(r.SetupBufRing(1, 4, maxRW+1, 0)),
		"empty count": second(r.SetupBufRingEmpty(1, -1, 16, 0)),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	br := mustBufRing(t)(r.SetupBufRingEmpty(1, 2, 16, 0))
	// The group is taken.
	if _, err := r.SetupBufRing(1, 2, 16, 0); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("second ring for a group: %v, want EEXIST", err)
	}
	// A flag the kernel does not know.
	if _, err := r.SetupBufRing(2, 2, 16, 1<<8); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("unknown flag: %v, want EINVAL", err)
	}
	for name, err := range map[string]error{
		"id":     br.Add(2, 16),
		"len 0":  br.Add(0, 0),
		"len 17": br.Add(0, 17),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Add %s: %v, want ErrInvalid", name, err)
		}
	}
	// More adds than entries before an Advance would overwrite each other.
	for i := 0; i < 2; i++ {
		if err := br.Add(uint16(i), 16); err != nil {
			t.Fatal(err)
		}
	}
	if err := br.Add(0, 16); !errors.Is(err, ErrInvalid) {
		t.Errorf("third Add to a ring of two: %v", err)
	}
	br.Advance()
	if n, _ := br.Available(); n != 2 {
		t.Errorf("available %d, want 2", n)
	}
	// A completion without a buffer, or with an error, has no bytes.
	if br.Bytes(CQE{Res: 5}) != nil || br.Bundle(CQE{Res: -int32(syscall.ENOBUFS), Flags: CQEFBuffer}) != nil {
		t.Error("bytes for a completion without a buffer")
	}
	other := newRing(t, 4)
	if err := other.FreeBufRing(br); !errors.Is(err, ErrInvalid) {
		t.Errorf("FreeBufRing of another ring's: %v", err)
	}
	if err := r.FreeBufRing(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("FreeBufRing(nil): %v", err)
	}
	if err := br.Free(); err != nil {
		t.Fatal(err)
	}
	if err := br.Free(); !errors.Is(err, ErrInvalid) {
		t.Errorf("second Free: %v", err)
	}
	if err := br.Recycle(0); !errors.Is(err, ErrInvalid) {
		t.Errorf("Recycle after Free: %v", err)
	}
	if _, err := r.BufRingHead(1); !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
		t.Errorf("head of an unregistered group: %v", err)
	}
	// The group is free again.
	if _, err := r.SetupBufRing(1, 2, 16, 0); err != nil {
		t.Errorf("group after Free: %v", err)
	}

	fdless := newRing(t, 4, WithRegisteredFdOnly())
	if _, err := fdless.SetupBufRing(1, 2, 16, BufRingMmap); !errors.Is(err, ErrInvalid) {
		t.Errorf("BufRingMmap without a ring fd: %v", err)
	}
	if br, err := fdless.SetupBufRing(1, 2, 16, 0); err != nil || br.Recycle(0) != nil {
		t.Errorf("application-mapped ring without a ring fd: %v", err)
	}
	r.Close()
	if _, err := r.SetupBufRing(3, 2, 16, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("SetupBufRing on a closed ring: %v", err)
	}
}

// TestBufRingLifetime checks that the memory of a buffer ring outlives the operations that may
// write into it: freed while an operation is in flight, it stays until Close.
func TestBufRingLifetime(t *testing.T) {
	r, err := New(8)
	if err != nil {
		t.Fatal(err)
	}
	br := mustBufRing(t)(r.SetupBufRing(4, 2, 16, 0))
	kept := mustBufRing(t)(r.SetupBufRing(5, 2, 16, BufRingMmap))
	a, b := socketpair(t, unix.SOCK_STREAM)
	must(t)(r.PrepRecvMultishot(b, 4, 0)).SetUserData(1)
	submit(t, r)
	if r.ops.live != 1 {
		t.Fatalf("%d slots live: a receive selecting buffers must have one", r.ops.live)
	}
	if err := br.Free(); err != nil {
		t.Fatal(err)
	}
	if br.unmapped {
		t.Fatal("Free released the memory while an operation selecting from it is in flight")
	}
	writeAll(t, a, []byte("x"))
	c := waitCQE(t, r)
	wantErrno(t, c, syscall.ENOBUFS) // the group is gone
	// An armed receive on the other ring: Close cancels it and waits for it before it
	// unmaps the buffers.
	must(t)(r.PrepRecvMultishot(b, 5, 0)).SetUserData(2)
	submit(t, r)
	if r.ops.live != 1 {
		t.Fatalf("%d slots live", r.ops.live)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !br.unmapped || !kept.unmapped || kept.Buf(0) != nil {
		t.Fatal("Close did not release the buffer rings")
	}
	if err := kept.Add(0, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("Add after Close: %v", err)
	}
	if err := kept.Free(); !errors.Is(err, ErrClosed) {
		t.Errorf("Free after Close: %v", err)
	}
	kept.Advance() // does nothing, and does not touch unmapped memory
}

// TestSetBufferGroupHolds checks that an operation selecting buffers with SQE.SetBufferGroup
// takes a slot, so that Close waits for it.
func TestSetBufferGroupHolds(t *testing.T) {
	r := newRing(t, 4)
	s := must(t)(r.PrepNop()).SetBufferGroup(3).SetUserData(9)
	if r.ops.live != 1 || s.Flags()&SQEBufferSelect == 0 || s.e.BufIndex != 3 {
		t.Fatalf("live %d, flags %v, group %d", r.ops.live, s.Flags(), s.e.BufIndex)
	}
	c := waitOne(t, r)
	if c.UserData != 9 {
		t.Fatalf("%+v", c)
	}
	wantNoLiveSlots(t, r)
}
