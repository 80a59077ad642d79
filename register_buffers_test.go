package uring

import (
	"errors"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// readFixedInto reads n bytes of f at 0 into fixed buffer index and checks the data.
func readFixedInto(t *testing.T, r *Ring, fd int, buf []byte, index int, want []byte) {
	t.Helper()
	must(t)(r.PrepReadFixed(fd, buf, 0, index)).SetUserData(100)
	wantRes(t, waitOne(t, r), int32(len(buf)))
	wantBytes(t, buf, want[:len(buf)])
}

// TestBufferTagsAndSparse fills a sparse table with tagged buffers and sees each tag posted
// once its buffer is replaced, then unregistered.
func TestBufferTagsAndSparse(t *testing.T) {
	r := newRing(t, 8)
	data := pattern(4096, 3)
	f := tempFile(t, data)
	if err := r.RegisterBuffersSparse(4); err != nil {
		t.Fatal(err)
	}
	if r.RegisteredBuffer(1) != nil {
		t.Fatal("a sparse slot has memory")
	}
	a, b := make([]byte, 1024), make([]byte, 2048)
	if n, err := r.UpdateBuffersTags(1, [][]byte{a}, []uint64{77}); err != nil || n != 1 {
		t.Fatalf("UpdateBuffersTags: %d, %v", n, err)
	}
	readFixedInto(t, r, int(f.Fd()), a, 1, data)

	// Replacing the tagged buffer posts its tag, with result 0.
	if _, err := r.UpdateBuffersTags(1, [][]byte{b}, []uint64{78}); err != nil {
		t.Fatal(err)
	}
	c, err := r.WaitCQETimeout(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserData != 77 || c.Res != 0 {
		t.Fatalf("tag completion %+v, want user data 77, res 0", c)
	}
	readFixedInto(t, r, int(f.Fd()), b[:100], 1, data)

	// Registering over a table is refused; unregistering posts the remaining tag.
	if err := r.RegisterBuffers([][]byte{a}); !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("second table: %v, want EBUSY", err)
	}
	if err := r.UnregisterBuffers(); err != nil {
		t.Fatal(err)
	}
	if c, err := r.WaitCQETimeout(5 * time.Second); err != nil || c.UserData != 78 {
		t.Fatalf("tag after unregister: %+v, %v", c, err)
	}
	if err := r.UnregisterBuffers(); !errors.Is(err, syscall.ENXIO) {
		t.Fatalf("unregistering no table: %v, want ENXIO", err)
	}

	// Tags for a whole table at once.
	if err := r.RegisterBuffersTags([][]byte{a, b}, []uint64{5, 0}); err != nil {
		t.Fatal(err)
	}
	if err := r.UnregisterBuffers(); err != nil {
		t.Fatal(err)
	}
	if c, err := r.WaitCQETimeout(5 * time.Second); err != nil || c.UserData != 5 {
		t.Fatalf("tag of a table: %+v, %v", c, err)
	}
	if _, ok := r.PeekCQE(); ok {
		t.Fatal("a completion for the untagged buffer")
	}
}

// TestBufferRegistrationErrors checks the arguments refused before and by the kernel.
func TestBufferRegistrationErrors(t *testing.T) {
	r := newRing(t, 8)
	a := make([]byte, 100)
	if err := r.RegisterBuffers(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no buffers: %v", err)
	}
	if err := r.RegisterBuffers(make([][]byte, maxFixedBuffers+1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("too many buffers: %v", err)
	}
	if err := r.RegisterBuffersTags([][]byte{a}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("missing tags: %v", err)
	}
	if err := r.RegisterBuffersTags([][]byte{a}, []uint64{1 << 63}); !errors.Is(err, ErrInvalid) {
		t.Errorf("top-bit tag: %v", err)
	}
	if err := r.RegisterBuffersTags([][]byte{nil}, []uint64{1}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("tag on an empty slot: %v, want EINVAL", err)
	}
	if err := r.RegisterBuffersSparse(0); !errors.Is(err, ErrInvalid) {
		t.Errorf("0 sparse slots: %v", err)
	}
	if _, err := r.UpdateBuffers(0, [][]byte{a}); !errors.Is(err, syscall.ENXIO) {
		t.Errorf("update without a table: %v, want ENXIO", err)
	}
	if err := r.RegisterBuffers([][]byte{a, nil}); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int{-1, 2, 1 << 20} {
		if _, err := r.UpdateBuffers(off, [][]byte{a}); !errors.Is(err, ErrInvalid) {
			t.Errorf("update at %d: %v", off, err)
		}
	}
	if _, err := r.UpdateBuffers(0, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty update: %v", err)
	}
	if _, err := r.AllocBuffers(0, 10); !errors.Is(err, ErrInvalid) {
		t.Errorf("AllocBuffers(0): %v", err)
	}
	if _, err := r.AllocBuffers(1, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("AllocBuffers size 0: %v", err)
	}
	r.Close()
	if err := r.RegisterBuffers([][]byte{a}); !errors.Is(err, ErrClosed) {
		t.Errorf("closed: %v", err)
	}
	if err := r.UnregisterBuffers(); !errors.Is(err, ErrClosed) {
		t.Errorf("closed: %v", err)
	}
	if r.RegisteredBuffer(0) != nil {
		t.Error("a closed ring still reports a buffer")
	}
}

// TestAllocBuffers reads into buffers mapped outside the Go heap.
func TestAllocBuffers(t *testing.T) {
	r := newRing(t, 8)
	data := pattern(8192, 6)
	f := tempFile(t, data)
	bufs, err := r.AllocBuffers(3, 5000)
	if err != nil {
		t.Fatal(err)
	}
	page := uintptr(unix.Getpagesize())
	for i, b := range bufs {
		if len(b) != 5000 || cap(b) != 5000 || uintptr(unsafe.Pointer(&b[0]))%page != 0 {
			t.Fatalf("buffer %d: len %d cap %d at %p", i, len(b), cap(b), &b[0])
		}
		if &r.RegisteredBuffer(i)[0] != &b[0] {
			t.Fatalf("RegisteredBuffer(%d) is not the allocated buffer", i)
		}
	}
	readFixedInto(t, r, int(f.Fd()), bufs[2], 2, data)
	if _, err := r.AllocBuffers(1, 10); !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("a second table: %v, want EBUSY", err)
	}
}

// TestCloneBuffers clones a whole table, then part of one over an existing table, and uses the
// clones after the source ring is closed.
func TestCloneBuffers(t *testing.T) {
	src := newRing(t, 8)
	dst := newRing(t, 8)
	data := pattern(4096, 8)
	f := tempFile(t, data)
	heap := [][]byte{make([]byte, 512), make([]byte, 512), make([]byte, 512)}
	if err := src.RegisterBuffers(heap); err != nil {
		t.Fatal(err)
	}
	if err := dst.CloneBuffers(src); err != nil {
		t.Fatal(err)
	}
	readFixedInto(t, dst, int(f.Fd()), heap[2], 2, data)
	if err := dst.CloneBuffers(src); !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("clone over a table: %v, want EBUSY", err)
	}

	// Replace slot 1 of a four-slot table with src's slot 0; slots 0, 2 and 3 stay.
	other := newRing(t, 8)
	own := [][]byte{make([]byte, 64), make([]byte, 64), make([]byte, 64), make([]byte, 64)}
	if err := other.RegisterBuffers(own); err != nil {
		t.Fatal(err)
	}
	if err := other.CloneBuffersOffset(src, 1, 0, 1, CloneReplace); err != nil {
		t.Fatal(err)
	}
	if &other.RegisteredBuffer(1)[0] != &heap[0][0] {
		t.Fatal("slot 1 is not src's buffer 0")
	}
	readFixedInto(t, other, int(f.Fd()), heap[0][:100], 1, data)
	readFixedInto(t, other, int(f.Fd()), own[3], 3, data)
	readFixedInto(t, other, int(f.Fd()), own[0], 0, data)
	if _, err := other.PrepReadFixed(int(f.Fd()), own[1], 0, 1); !errors.Is(err, ErrInvalid) {
		t.Fatalf("the replaced buffer is still accepted: %v", err)
	}

	// Growing the table: src's 3 buffers at slot 3 make it 6 long.
	if err := other.CloneBuffersOffset(src, 3, 0, 3, CloneReplace); err != nil {
		t.Fatal(err)
	}
	readFixedInto(t, other, int(f.Fd()), heap[2][:10], 5, data)
	readFixedInto(t, other, int(f.Fd()), own[2], 2, data)

	// Mapped buffers outlive the ring that allocated them while a clone has them.
	asrc := newRing(t, 8)
	bufs, err := asrc.AllocBuffers(2, 4096)
	if err != nil {
		t.Fatal(err)
	}
	adst := newRing(t, 8)
	if err := adst.CloneBuffers(asrc); err != nil {
		t.Fatal(err)
	}
	asrc.Close()
	src.Close()
	runtime.GC()
	readFixedInto(t, adst, int(f.Fd()), bufs[1], 1, data)
	readFixedInto(t, dst, int(f.Fd()), heap[1], 1, data)

	if err := dst.CloneBuffers(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil source: %v", err)
	}
	if err := dst.CloneBuffers(src); !errors.Is(err, ErrClosed) {
		t.Errorf("closed source: %v", err)
	}
	if err := dst.CloneBuffersOffset(other, -1, 0, 1, CloneReplace); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative offset: %v", err)
	}
	if err := dst.CloneBuffersOffset(other, 0, 0, 1, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown flags: %v", err)
	}
}

// TestRegisteredBufferKeptAlive registers a Go buffer, drops every reference of the caller's
// and runs the garbage collector: the buffer is not collected while registered, READ_FIXED
// still fills it, and it is collected once unregistered.
func TestRegisteredBufferKeptAlive(t *testing.T) {
	r := newRing(t, 8)
	data := pattern(65536, 4)
	f := tempFile(t, data)
	var collected atomic.Bool
	func() {
		arr := new([65536]byte)
		runtime.SetFinalizer(arr, func(*[65536]byte) { collected.Store(true) })
		if err := r.RegisterBuffers([][]byte{arr[:]}); err != nil {
			t.Fatal(err)
		}
	}()
	for range 3 {
		runtime.GC()
		_ = make([]byte, 1<<20) // churn the heap
	}
	time.Sleep(10 * time.Millisecond) // let finalizers run, if any were queued
	if collected.Load() {
		t.Fatal("the registered buffer was collected")
	}
	buf := r.RegisteredBuffer(0)
	must(t)(r.PrepReadFixed(int(f.Fd()), buf, 0, 0)).SetUserData(1)
	wantRes(t, waitOne(t, r), 65536)
	wantBytes(t, buf, data)
	buf = nil

	if err := r.UnregisterBuffers(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !collected.Load() && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if !collected.Load() {
		t.Fatal("the buffer was never collected after UnregisterBuffers")
	}
}

// TestUnregisterWhileInFlight unregisters a buffer while a read into it waits on a pipe: the
// Ring keeps it until the read completes into it.
func TestUnregisterWhileInFlight(t *testing.T) {
	r := newRing(t, 8)
	rd, wr := pipe(t)
	buf := make([]byte, 64)
	if err := r.RegisterBuffers([][]byte{buf}); err != nil {
		t.Fatal(err)
	}
	must(t)(r.PrepReadFixed(int(rd.Fd()), buf[:5], CurrentPos, 0)).SetUserData(1)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if err := r.UnregisterBuffers(); err != nil {
		t.Fatal(err)
	}
	if len(r.rsrc.retired) != 1 {
		t.Fatalf("%d buffers retired while a read is in flight, want 1", len(r.rsrc.retired))
	}
	wr.Write([]byte("hello"))
	c, err := r.WaitCQETimeout(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wantRes(t, c, 5)
	wantBytes(t, buf[:5], []byte("hello"))
	if err := r.RegisterBuffers([][]byte{make([]byte, 8)}); err != nil {
		t.Fatal(err)
	}
	if len(r.rsrc.retired) != 0 || r.ops.live != 0 {
		t.Fatalf("after the completion: %d retired, %d live", len(r.rsrc.retired), r.ops.live)
	}
}

// TestCloneFromRegisteredFdOnly clones the buffers of a ring that has no fd, by its registered
// index (IORING_REGISTER_SRC_REGISTERED), from the thread that owns the index.
func TestCloneFromRegisteredFdOnly(t *testing.T) {
	data := pattern(256, 5)
	f := tempFile(t, data)
	onLockedThread(t, func() error {
		src, err := New(8, WithRegisteredFdOnly())
		if err != nil {
			return err
		}
		defer src.Close()
		buf := make([]byte, 256)
		if err := src.RegisterBuffers([][]byte{buf}); err != nil {
			return err
		}
		dst, err := New(8)
		if err != nil {
			return err
		}
		defer dst.Close()
		if err := dst.CloneBuffers(src); err != nil {
			return err
		}
		readFixedInto(t, dst, int(f.Fd()), buf, 0, data)
		return nil
	})
}
