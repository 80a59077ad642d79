package uring

import (
	"errors"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/uringo/uring/internal/abi"
	"golang.org/x/sys/unix"
)

// TestZcrxRegistration checks the paths of IORING_REGISTER_ZCRX_IFQ that a machine without a
// zero-copy capable NIC can reach: the ring's requirements, an unknown interface (ENODEV), and
// loopback, which has no such support (EOPNOTSUPP). Without CAP_NET_ADMIN the kernel says EPERM
// before it looks at the interface.
func TestZcrxRegistration(t *testing.T) {
	plain := newRing(t, 4)
	if _, err := plain.RegisterZcrxIfq(1, 0, 64, 1<<16); !errors.Is(err, ErrInvalid) {
		t.Errorf("a ring without DEFER_TASKRUN and CQE32: %v, want ErrInvalid", err)
	}
	// DEFER_TASKRUN rings belong to one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := newRing(t, 4, WithDeferTaskrun(), WithCQE32())
	for name, err := range map[string]error{
		"ifindex 0":  second(r.RegisterZcrxIfq(0, 0, 64, 1<<16)),
		"rxq -1":     second(r.RegisterZcrxIfq(1, -1, 64, 1<<16)),
		"entries 0":  second(r.RegisterZcrxIfq(1, 0, 0, 1<<16)),
		"entries":    second(r.RegisterZcrxIfq(1, 0, 1<<16, 1<<16)),
		"area 0":     second(r.RegisterZcrxIfq(1, 0, 64, 0)),
		"area large": second(r.RegisterZcrxIfq(1, 0, 64, maxRW+1)),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	root := os.Geteuid() == 0
	_, err = r.RegisterZcrxIfq(lo.Index, 0, 64, 1<<16)
	if root && !errors.Is(err, syscall.EOPNOTSUPP) || !root && !errors.Is(err, syscall.EPERM) {
		t.Errorf("loopback: %v, want EOPNOTSUPP (EPERM without CAP_NET_ADMIN)", err)
	}
	_, err = r.RegisterZcrxIfq(1<<30, 0, 64, 1<<16)
	if root && !errors.Is(err, syscall.ENODEV) || !root && !errors.Is(err, syscall.EPERM) {
		t.Errorf("unknown interface: %v, want ENODEV (EPERM without CAP_NET_ADMIN)", err)
	}
	r.Close()
	if _, err := r.RegisterZcrxIfq(1, 0, 64, 1<<16); !errors.Is(err, ErrClosed) {
		t.Errorf("closed ring: %v", err)
	}
}

// TestRecvZC checks the receive's entry and the kernel's answer when no queue is registered
// under the id.
func TestRecvZC(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := newRing(t, 4, WithDeferTaskrun(), WithCQE32())
	_, s := tcpPair(t, unix.AF_INET)
	q := must(t)(r.PrepRecvZC(s, 3, 100)).SetUserData(1)
	if q.e.Opcode != uint8(OpRecvZC) || q.e.FileIndex != 3 || q.e.Len != 100 || ioprio(q) != abi.IORING_RECV_MULTISHOT {
		t.Fatalf("entry % x", q.Bytes())
	}
	wantErrno(t, waitOne(t, r), syscall.EINVAL)
	if _, err := r.PrepRecvZC(s, 0, -1); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative length: %v", err)
	}
	wantNoLiveSlots(t, r)
}
