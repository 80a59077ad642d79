package uring

import (
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

//go:noinline
func growStack(depth int) byte {
	var pad [512]byte
	pad[depth%512] = byte(depth)
	if depth == 0 {
		return pad[0]
	}
	return growStack(depth-1) + pad[(depth*7)%512]
}

// TestMemoryHeldAcrossGCAndStackGrowth starts reads on a pipe into buffers that the submitting
// function keeps in local variables only, then forces garbage collections and deep stack growth
// in that goroutine, then writes to the pipe: every byte must arrive where the caller looks.
// Were a buffer left on the stack, growing the stack would move it away from the address the
// kernel holds; were it collected, the kernel would write into freed memory.
func TestMemoryHeldAcrossGCAndStackGrowth(t *testing.T) {
	r := newRing(t, 64)
	rd, wr := pipe(t)
	const n = 16
	var small [n][24]byte // arrays the compiler would keep on the stack if nothing held them
	for i := range small {
		must(t)(r.PrepRead(int(rd.Fd()), small[i][:], CurrentPos)).SetUserData(uint64(i))
	}
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		growStack(2000 + i*500) // about 1 MiB of frames: the stack is copied several times
		runtime.GC()
		_ = make([]byte, 1<<20) // churn the heap
	}
	want := map[uint64][]byte{}
	for i := 0; i < n; i++ {
		msg := pattern(24, byte(i+1))
		if _, err := wr.Write(msg); err != nil {
			t.Fatal(err)
		}
		c, err := r.WaitCQETimeout(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		wantRes(t, c, 24)
		want[c.UserData] = msg
	}
	for i := range small {
		wantBytes(t, small[i][:], want[uint64(i)])
	}
}

// TestHeapBufferKeptUntilCompletion drops the caller's only reference to a buffer while the
// kernel still holds it: it must not be collected until the completion is reaped.
func TestHeapBufferKeptUntilCompletion(t *testing.T) {
	r := newRing(t, 8)
	rd, wr := pipe(t)
	var collected atomic.Bool
	func() {
		buf := new([4096]byte)
		runtime.SetFinalizer(buf, func(*[4096]byte) { collected.Store(true) })
		iov := [][]byte{buf[:100], make([]byte, 50)}
		must(t)(r.PrepReadv(int(rd.Fd()), iov, CurrentPos)).SetUserData(1)
	}()
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond) // let finalizers run
	}
	if collected.Load() {
		t.Fatal("the buffer was collected while the kernel held it")
	}
	wr.Write(pattern(150, 3))
	wantRes(t, waitOne(t, r), 150)
	for i := 0; i < 20 && !collected.Load(); i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if !collected.Load() {
		t.Fatal("the buffer was never released after its completion")
	}
}

// TestKeepAlive keeps an *os.File alive while a read uses its fd.
func TestKeepAlive(t *testing.T) {
	r := newRing(t, 8)
	var closedByFinalizer atomic.Bool
	rd, wr := pipe(t)
	func() {
		// A dup of the pipe's fd: the *os.File's own finalizer closes it once the file is
		// collected, which must not close an fd number another test has reused since.
		fd, err := unix.Dup(int(rd.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		f := os.NewFile(uintptr(fd), "pipe")
		runtime.SetFinalizer(f, func(*os.File) { closedByFinalizer.Store(true) })
		must(t)(r.PrepRead(int(f.Fd()), make([]byte, 4), CurrentPos)).SetUserData(1).KeepAlive(f)
	}()
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if closedByFinalizer.Load() {
		t.Fatal("the *os.File was finalized while its fd was in use")
	}
	wr.Write([]byte("ping"))
	wantRes(t, waitOne(t, r), 4)
}

// TestCloseWithOperationsInFlight closes a ring while reads wait on a pipe and timeouts run:
// Close cancels them, waits for the kernel to let go, and the buffers are never written after.
func TestCloseWithOperationsInFlight(t *testing.T) {
	r, err := New(32)
	if err != nil {
		t.Fatal(err)
	}
	rd, wr := pipe(t)
	bufs := make([][]byte, 8)
	for i := range bufs {
		bufs[i] = make([]byte, 16)
		must(t)(r.PrepRead(int(rd.Fd()), bufs[i], CurrentPos)).SetUserData(uint64(i))
	}
	must(t)(r.PrepTimeout(time.Hour, 0, 0)).SetUserData(100)
	must(t)(r.PrepPollMultishot(int(rd.Fd()), unix.POLLIN)).SetUserData(101)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	// And some prepared but never submitted.
	for i := 0; i < 3; i++ {
		must(t)(r.PrepRead(int(rd.Fd()), make([]byte, 8), CurrentPos))
	}
	start := time.Now()
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Close took %v", el)
	}
	if r.ops.live != 0 {
		t.Fatalf("%d slots live after Close", r.ops.live)
	}
	if _, err := wr.Write(pattern(128, 9)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	for i, b := range bufs {
		wantBytes(t, b, make([]byte, 16))
		_ = i
	}
	// The bytes are still in the pipe for someone else.
	got := make([]byte, 128)
	if n, _ := rd.Read(got); n != 128 {
		t.Fatalf("pipe holds %d bytes, want 128", n)
	}
}

// TestSignalsDuringWait sends signals to the thread blocked in io_uring_enter: the wait goes on
// (EINTR is retried), nothing is submitted twice, and the completion still arrives.
func TestSignalsDuringWait(t *testing.T) {
	r := newRing(t, 8)
	rd, wr := pipe(t)
	tidc := make(chan int, 1)
	done := make(chan CQE, 1)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		buf := make([]byte, 4)
		s, err := r.PrepRead(int(rd.Fd()), buf, CurrentPos)
		if err != nil {
			errc <- err
			return
		}
		s.SetUserData(77)
		tidc <- unix.Gettid()
		if _, err := r.SubmitAndWait(1); err != nil {
			errc <- err
			return
		}
		c, _ := r.PeekCQE()
		done <- c
	}()
	tid := <-tidc
	time.Sleep(10 * time.Millisecond)
	for i := 0; i < 50; i++ {
		// SIGURG is the runtime's preemption signal: Go ignores it when it did not send it.
		unix.Tgkill(os.Getpid(), tid, syscall.SIGURG)
		time.Sleep(time.Millisecond)
	}
	wr.Write([]byte("done"))
	select {
	case c := <-done:
		if c.UserData != 77 || c.Res != 4 {
			t.Fatalf("%+v", c)
		}
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("the wait never returned")
	}
	if st := r.Stats(); st.Submitted != 1 {
		t.Fatalf("stats %+v: the read was submitted %d times", st, st.Submitted)
	}
}
