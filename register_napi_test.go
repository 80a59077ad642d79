package uring

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// TestNapi registers busy polling, switches to static tracking with an id, and turns it off,
// checking the previous settings the kernel reports each time. Loopback has no NAPI instance,
// so the settings are what can be checked here: a ring that busy-polls still completes
// operations.
func TestNapi(t *testing.T) {
	r := newRing(t, 8)
	prev, err := r.RegisterNapi(Napi{BusyPoll: 50 * time.Microsecond, PreferBusyPoll: true})
	if err != nil {
		t.Fatal(err)
	}
	if prev.Tracking != NapiInactive {
		t.Errorf("settings before the first registration: %+v, want tracking inactive", prev)
	}
	prev, err = r.RegisterNapi(Napi{BusyPoll: 20 * time.Millisecond, Tracking: NapiStatic})
	if err != nil {
		t.Fatal(err)
	}
	if prev != (Napi{BusyPoll: 50 * time.Microsecond, PreferBusyPoll: true, Tracking: NapiDynamic}) {
		t.Errorf("previous settings %+v", prev)
	}
	if err := r.RegisterNapiID(0); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("napi id 0: %v, want EINVAL", err)
	}
	if err := r.RegisterNapiID(1 << 20); err != nil {
		t.Errorf("adding a napi id under static tracking: %v", err)
	}
	if err := r.UnregisterNapiID(1 << 20); err != nil {
		t.Errorf("removing it: %v", err)
	}
	must(t)(r.PrepNop()).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	prev, err = r.UnregisterNapi()
	if err != nil {
		t.Fatal(err)
	}
	// The kernel caps the busy-poll time (at 10 ms since 6.18.y) and does not report the
	// tracking mode when unregistering.
	if prev.BusyPoll <= 50*time.Microsecond || prev.BusyPoll > 20*time.Millisecond || prev.PreferBusyPoll {
		t.Errorf("settings at unregister %+v", prev)
	}
	if err := r.RegisterNapiID(1 << 20); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("adding an id without static tracking: %v, want EINVAL", err)
	}
	if _, err := r.RegisterNapi(Napi{Tracking: NapiInactive}); !errors.Is(err, ErrInvalid) {
		t.Errorf("tracking inactive: %v", err)
	}
	if _, err := r.RegisterNapi(Napi{BusyPoll: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative time: %v", err)
	}
	iop := newRing(t, 8, WithIOPoll())
	if _, err := iop.RegisterNapi(Napi{}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("IOPOLL ring: %v, want EINVAL", err)
	}
}
