package uring

import (
	"sync"
	"testing"
)

// TestPublishEnterSubmit splits Submit: Publish counts what the kernel must consume, and
// EnterSubmit, run on another goroutine while the owner prepares more entries, submits it.
func TestPublishEnterSubmit(t *testing.T) {
	r := newRing(t, 8)
	if n := r.Publish(); n != 0 {
		t.Fatalf("Publish with nothing prepared: %d", n)
	}
	f := tempFile(t, pattern(4096, 1))
	bufs := make([][]byte, 4)
	for i := range bufs {
		bufs[i] = make([]byte, 1024)
		must(t)(r.PrepRead(int(f.Fd()), bufs[i], int64(i*1024))).SetUserData(uint64(i))
	}
	n := r.Publish()
	if n != 4 {
		t.Fatalf("Publish: %d, want 4", n)
	}
	var wg sync.WaitGroup
	var got int
	var err error
	wg.Add(1)
	go func() { // the submitter, without the Ring's owner
		defer wg.Done()
		got, err = r.EnterSubmit(n)
	}()
	must(t)(r.PrepNop()).SetUserData(4) // the owner prepares meanwhile
	wg.Wait()
	if got != 4 || err != nil {
		t.Fatalf("EnterSubmit: %d, %v", got, err)
	}
	if n := r.Publish(); n != 1 {
		t.Fatalf("Publish after the submission: %d, want the NOP only", n)
	}
	if got, err := r.EnterSubmit(10); got != 1 || err != nil { // asking for more is harmless
		t.Fatalf("EnterSubmit(10) with one published: %d, %v", got, err)
	}
	cqes := byUserData(t, submitWait(t, r, 0))
	for i := 0; i < 4; i++ {
		wantRes(t, cqes[uint64(i)], 1024)
		wantBytes(t, bufs[i], pattern(4096, 1)[i*1024:(i+1)*1024])
	}
	wantRes(t, cqes[4], 0)
	if r.ops.live != 0 {
		t.Errorf("%d slots live", r.ops.live)
	}
	r.Close()
	if n := r.Publish(); n != 0 {
		t.Errorf("Publish on a closed ring: %d", n)
	}
}
