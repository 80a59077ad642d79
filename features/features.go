// Package features answers, once per process, what the running kernel's io_uring offers: whether
// io_uring is usable at all, and whether it has a given operation, setup flag, feature bit or
// io_uring_register(2) opcode. It is modelled on cilium/ebpf's features package.
//
// Every question has three outcomes:
//
//   - nil: the kernel has it;
//   - an error that matches uring.ErrNotSupported (a *uring.NotSupportedError naming the thing
//     and the first kernel that has it): the kernel lacks it;
//   - any other error: the answer could not be had (io_uring is unavailable to this process, the
//     kernel ran out of memory, a seccomp filter answered for it...). Such an answer is not a
//     "no": code that falls back on ErrNotSupported should treat it as a failure.
//
// Definite answers (the first two) are cached for the life of the process, and the functions are
// safe for concurrent use; an inconclusive answer is not cached, so a later call asks again.
package features

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/uringo/uring"
	"golang.org/x/sys/unix"
)

// memo holds the answer of a probe once it is definite: nil or ErrNotSupported. A call after an
// inconclusive answer runs the probe again. The mutex also keeps two callers from probing at once.
type memo[T any] struct {
	mu   sync.Mutex
	done bool
	v    T
	err  error
}

func (m *memo[T]) get(probe func() (T, error), definite func(T, error) bool) (T, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return m.v, m.err
	}
	v, err := probe()
	if definite(v, err) {
		m.done, m.v, m.err = true, v, err
	}
	return v, err
}

// conclusive reports whether err is a definite answer: supported (nil) or not (ErrNotSupported).
func conclusive(err error) bool { return err == nil || errors.Is(err, uring.ErrNotSupported) }

// inconclusive says that whether what is supported could not be found out, and why.
func inconclusive(what string, err error) error {
	return fmt.Errorf("features: cannot tell whether %s is supported: %w", what, err)
}

// basicFacts is what one throwaway ring tells: its setup error, its feature bits, its probe.
type basicFacts struct {
	setupErr error // from uring.New: io_uring is unusable
	features uring.Features
	probe    *uring.Probe
	probeErr error // from Ring.Probe
}

var basicsMemo memo[basicFacts]

// basicRuns counts the throwaway rings made for basics, for the tests of the cache.
var basicRuns int

// basics sets up a ring with no flags, notes its features and probes its operations. The facts
// are kept once io_uring is known usable (or known unusable: ENOSYS, EPERM) and the probe has a
// definite answer.
func basics() basicFacts {
	f, _ := basicsMemo.get(func() (basicFacts, error) {
		basicRuns++
		var f basicFacts
		r, err := uring.New(1)
		if err != nil {
			f.setupErr = err
			return f, nil
		}
		defer r.Close()
		f.features = r.Features()
		f.probe, f.probeErr = r.Probe()
		return f, nil
	}, func(f basicFacts, _ error) bool {
		if f.setupErr != nil {
			return uring.IsUnavailable(f.setupErr)
		}
		return conclusive(f.probeErr)
	})
	return f
}

// Available reports whether io_uring can be used by this process. If it cannot, the error wraps
// the *uring.SetupError of io_uring_setup(2), which names the cause (uring.IsUnavailable is true
// for a kernel without io_uring, a seccomp filter, or kernel.io_uring_disabled).
func Available() error {
	if err := availability(basics()); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	return nil
}

// availability is the error of setting up a ring, if any. The *uring.SetupError of an
// unavailable io_uring says so itself ("io_uring is unavailable: ...").
func availability(f basicFacts) error {
	if err := f.setupErr; err != nil && !uring.IsUnavailable(err) {
		return fmt.Errorf("io_uring could not be set up: %w", err)
	}
	return f.setupErr
}

// HaveOp reports whether the kernel supports the operation op, from the answer of
// IORING_REGISTER_PROBE (5.6) on a throwaway ring, made once per process.
//
// A kernel before 5.6 cannot be asked: there every operation of 5.1 is supported (io_uring came
// with them), every operation of 5.6 or later is not, and the answer for those of 5.2 to 5.5 is
// inconclusive.
func HaveOp(op uring.Op) error {
	what := "IORING_OP_" + op.String()
	f := basics()
	if err := availability(f); err != nil {
		return inconclusive(what, err)
	}
	notSupported := &uring.NotSupportedError{What: what, MinKernel: op.MinKernel()}
	if f.probeErr != nil {
		if !errors.Is(f.probeErr, uring.ErrNotSupported) {
			return inconclusive(what, f.probeErr)
		}
		// No IORING_REGISTER_PROBE: the kernel is older than 5.6.
		switch {
		case op.MinKernel() == "5.1":
			return nil
		case op.MinKernel() != "" && versionAtLeast(op.MinKernel(), 5, 6):
			return notSupported
		}
		return inconclusive(what, f.probeErr)
	}
	if f.probe.Supported(op) {
		return nil
	}
	return notSupported
}

// HaveFeature reports whether the kernel sets the feature bit f (one IORING_FEAT_* bit) in the
// parameters io_uring_setup(2) fills in, read from a throwaway ring made once per process.
func HaveFeature(f uring.Features) error {
	info, err := lookup("HaveFeature", "feature bit", uring.FeatureList, f, func(i uring.FeatureInfo) uring.Features { return i.Feature })
	if err != nil {
		return err
	}
	what := "IORING_FEAT_" + info.Name
	facts := basics()
	if err := availability(facts); err != nil {
		return inconclusive(what, err)
	}
	if facts.features.Has(f) {
		return nil
	}
	return &uring.NotSupportedError{What: what, MinKernel: info.MinKernel}
}

var kernelRelease = sync.OnceValue(func() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
})

// KernelRelease returns the running kernel's release, as uname -r prints it ("6.18.3-arch1"), or
// "" if uname(2) fails.
func KernelRelease() string { return kernelRelease() }

// lookup returns the entry of list whose key is k, or an *uring.ArgError naming the function.
func lookup[E any, K comparable](fn, kind string, list []E, k K, key func(E) K) (E, error) {
	i := slices.IndexFunc(list, func(e E) bool { return key(e) == k })
	if i < 0 {
		var zero E
		return zero, &uring.ArgError{Method: "features." + fn, Reason: fmt.Sprintf("%v is not one %s this library knows", k, kind)}
	}
	return list[i], nil
}

// versionAtLeast reports whether a version like "5.19" is at least major.minor.
func versionAtLeast(v string, major, minor int) bool {
	first, second, _ := strings.Cut(v, ".")
	a, err1 := strconv.Atoi(first)
	b, err2 := strconv.Atoi(second)
	if err1 != nil || err2 != nil {
		return false
	}
	return a > major || a == major && b >= minor
}
