package uring

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uringo/uring/internal/sandbox"
	"golang.org/x/sys/unix"
)

func TestNewEntriesOutOfRange(t *testing.T) {
	for _, n := range []uint32{0, 32769, 1 << 31} {
		r, err := New(n)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("New(%d) = %v, %v; want ErrInvalid", n, r, err)
		}
	}
	r := newRing(t, 100000, WithClamp())
	if r.SQEntries() != 32768 {
		t.Errorf("clamped SQ has %d entries, want 32768", r.SQEntries())
	}
	if r.Flags()&SetupClamp == 0 {
		t.Errorf("flags %v lack CLAMP", r.Flags())
	}
}

func TestNewRoundsUpAndSizesCQ(t *testing.T) {
	r := newRing(t, 5)
	if r.SQEntries() != 8 || r.CQEntries() != 16 {
		t.Errorf("New(5): SQ %d CQ %d, want 8 and 16", r.SQEntries(), r.CQEntries())
	}
	r2 := newRing(t, 8, WithCQSize(100))
	if r2.CQEntries() != 128 {
		t.Errorf("WithCQSize(100): CQ %d, want 128", r2.CQEntries())
	}
	if _, err := New(8, WithCQSize(0)); !errors.Is(err, ErrInvalid) {
		t.Errorf("WithCQSize(0): %v, want ErrInvalid", err)
	}
	_, err := New(64, WithCQSize(8))
	var se *SetupError
	if !errors.As(err, &se) || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("CQ smaller than SQ: %v, want a SetupError wrapping EINVAL", err)
	}
	if se.Unavailable() || !strings.Contains(err.Error(), "refused these parameters") {
		t.Errorf("EINVAL explained as %q", err)
	}
}

func TestParamsAndFeatures(t *testing.T) {
	r := newRing(t, 8)
	p := r.Params()
	if p.SQEntries != 8 || p.CQEntries != 16 || p.SQOff.Tail == 0 || p.CQOff.Cqes == 0 {
		t.Errorf("params %+v look unfilled", p)
	}
	for _, f := range []Features{FeatSingleMmap, FeatNoDrop, FeatSubmitStable, FeatExtArg, FeatCQESkip} {
		if !r.Features().Has(f) {
			t.Errorf("features %v lack %v, which Linux 6.18 has", r.Features(), f)
		}
	}
	if r.Flags()&SetupNoSQArray == 0 {
		t.Errorf("default flags %v: NO_SQARRAY expected on Linux 6.6+", r.Flags())
	}
	if !strings.Contains(r.Features().String(), "NODROP") {
		t.Errorf("Features.String() = %q", r.Features().String())
	}
	r2 := newRing(t, 8, WithNoSQArray(false))
	if r2.Flags()&SetupNoSQArray != 0 {
		t.Errorf("WithNoSQArray(false) still set it")
	}
	// Both layouts must work.
	for _, rr := range []*Ring{r, r2} {
		for i := 0; i < 20; i++ {
			must(t)(rr.PrepNop()).SetUserData(uint64(i))
			if c := waitOne(t, rr); c.UserData != uint64(i) {
				t.Fatalf("nop %d came back as %d", i, c.UserData)
			}
		}
	}
}

// TestSetupOptions creates a ring with each option and checks that the kernel took the flag and
// that the ring works.
func TestSetupOptions(t *testing.T) {
	base := newRing(t, 4)
	cases := []struct {
		name string
		opts []Option
		want SetupFlags
	}{
		{"SQPoll", []Option{WithSQPoll(50 * time.Millisecond)}, SetupSQPoll},
		{"SQPollCPU", []Option{WithSQPoll(50 * time.Millisecond), WithSQPollCPU(0)}, SetupSQPoll | SetupSQAff},
		{"CoopTaskrun", []Option{WithCoopTaskrun(false)}, SetupCoopTaskrun},
		{"CoopTaskrunFlag", []Option{WithCoopTaskrun(true)}, SetupCoopTaskrun | SetupTaskrunFlag},
		{"SubmitAll", []Option{WithSubmitAll()}, SetupSubmitAll},
		{"AttachWQ", []Option{WithAttachWQ(base)}, SetupAttachWQ},
		{"SQE128", []Option{WithSQE128()}, SetupSQE128},
		{"CQE32", []Option{WithCQE32()}, SetupCQE32},
		{"CQEMixed", []Option{WithCQEMixed()}, SetupCQEMixed},
		{"NoMmap", []Option{WithNoMmap()}, SetupNoMmap},
		{"NoSQArrayRequired", []Option{WithNoSQArray(true)}, SetupNoSQArray},
		{"RawFlags", []Option{WithFlags(SetupSubmitAll)}, SetupSubmitAll},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRing(t, 8, c.opts...)
			if r.Flags()&c.want != c.want {
				t.Fatalf("flags %v, want %v set", r.Flags(), c.want)
			}
			for i := 0; i < 40; i++ { // past the ring size: the queues wrap
				must(t)(r.PrepNop()).SetUserData(uint64(i) + 1000)
				c := waitOne(t, r)
				if c.UserData != uint64(i)+1000 || c.Res != 0 {
					t.Fatalf("nop %d: %+v", i, c)
				}
			}
		})
	}
}

// TestSingleIssuerOptions runs the options that tie a ring to one thread from a locked goroutine.
func TestSingleIssuerOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  Option
		want SetupFlags
	}{
		{"SingleIssuer", WithSingleIssuer(), SetupSingleIssuer},
		{"DeferTaskrun", WithDeferTaskrun(), SetupSingleIssuer | SetupDeferTaskrun | SetupTaskrunFlag},
		{"RegisteredFdOnly", WithRegisteredFdOnly(), SetupRegisteredFdOnly | SetupNoMmap},
	} {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				done <- func() error {
					r, err := New(8, c.opt)
					if err != nil {
						return err
					}
					defer r.Close()
					if r.Flags()&c.want != c.want {
						return fmt.Errorf("flags %v, want %v", r.Flags(), c.want)
					}
					if c.want&SetupRegisteredFdOnly != 0 && r.Fd() != -1 {
						return fmt.Errorf("Fd() = %d for a ring without an fd", r.Fd())
					}
					for i := 0; i < 20; i++ {
						s, err := r.PrepNop()
						if err != nil {
							return err
						}
						s.SetUserData(uint64(i))
						if _, err := r.Submit(); err != nil {
							return err
						}
						cqe, err := r.WaitCQETimeout(5 * time.Second)
						if err != nil {
							return err
						}
						if cqe.UserData != uint64(i) {
							return fmt.Errorf("nop %d came back as %d", i, cqe.UserData)
						}
					}
					return r.Close()
				}()
			}()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSingleIssuerRefusesAnotherThread shows the kernel refusing a second submitter.
func TestSingleIssuerRefusesAnotherThread(t *testing.T) {
	ready := make(chan *Ring)
	release := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		r, err := New(8, WithSingleIssuer())
		if err != nil {
			t.Error(err)
			close(ready)
			return
		}
		s, _ := r.PrepNop()
		s.SetUserData(1)
		r.Submit() // the first submitter becomes the issuer
		r.WaitCQETimeout(5 * time.Second)
		ready <- r
		<-release
		r.Close()
	}()
	r := <-ready
	if r == nil {
		return
	}
	defer close(release)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // a thread other than the issuer's
		defer runtime.UnlockOSThread()
		s, err := r.PrepNop()
		if err != nil {
			errc <- err
			return
		}
		s.SetUserData(2)
		_, err = r.Submit()
		errc <- err
	}()
	if err := <-errc; !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("submit from a second thread: %v, want EEXIST", err)
	}
}

func TestDisabledRingAndEnable(t *testing.T) {
	r := newRing(t, 8, WithDisabled())
	if r.Flags()&SetupRDisabled == 0 {
		t.Fatalf("flags %v", r.Flags())
	}
	must(t)(r.PrepNop()).SetUserData(1)
	if _, err := r.Submit(); !errors.Is(err, unix.EBADFD) {
		t.Fatalf("submit to a disabled ring: %v, want EBADFD", err)
	}
	if err := r.EnableRings(); err != nil {
		t.Fatal(err)
	}
	if c := waitOne(t, r); c.UserData != 1 {
		t.Fatalf("%+v", c)
	}
}

func TestCloseTwiceAndUseAfterClose(t *testing.T) {
	r, err := New(8)
	if err != nil {
		t.Fatal(err)
	}
	fd := r.Fd()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); !errors.Is(err, ErrClosed) || !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close: %v, want ErrClosed matching os.ErrClosed", err)
	}
	if r.Fd() != -1 || !r.Closed() {
		t.Fatalf("Fd() = %d after Close", r.Fd())
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("the ring's fd is still open after Close: %v", err)
	}
	checks := map[string]error{}
	_, checks["PrepNop"] = r.PrepNop()
	_, checks["PrepRead"] = r.PrepRead(0, make([]byte, 1), 0)
	_, checks["Submit"] = r.Submit()
	_, checks["SubmitAndWait"] = r.SubmitAndWait(1)
	_, checks["WaitCQE"] = r.WaitCQE()
	checks["WaitCQEs"] = r.WaitCQEs(1)
	checks["EnableRings"] = r.EnableRings()
	checks["RegisterRingFd"] = r.RegisterRingFd()
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if _, ok := r.PeekCQE(); ok {
		t.Error("PeekCQE found a completion on a closed ring")
	}
	for range r.Completions() {
		t.Error("Completions yielded on a closed ring")
	}
	if r.CQReady() != 0 || r.SQReady() != 0 || r.SQSpaceLeft() != 0 {
		t.Error("queue counts nonzero on a closed ring")
	}
}

// TestSetupUnavailable runs New in a child process whose seccomp filter refuses io_uring, as a
// container's default profile (ENOSYS) or a policy (EPERM) would.
func TestSetupUnavailable(t *testing.T) {
	if name := os.Getenv("URING_TEST_DENY"); name != "" {
		errno := map[string]syscall.Errno{"ENOSYS": syscall.ENOSYS, "EPERM": syscall.EPERM}[name]
		if err := sandbox.DenyIOUring(errno); err != nil {
			fmt.Println("sandbox:", err)
			os.Exit(2)
		}
		_, err := New(8)
		fmt.Printf("is=%v unavailable=%v msg=%v\n", errors.Is(err, errno), IsUnavailable(err), err)
		os.Exit(0)
	}
	for name, cause := range map[string]string{"ENOSYS": "seccomp filter", "EPERM": "io_uring is unavailable"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSetupUnavailable$")
		cmd.Env = append(os.Environ(), "URING_TEST_DENY="+name)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s child: %v\n%s", name, err, out)
		}
		s := string(out)
		if !strings.Contains(s, "is=true unavailable=true") || !strings.Contains(s, cause) {
			t.Errorf("%s: child said %q", name, s)
		}
	}
}
