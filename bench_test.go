package uring

import (
	"fmt"
	"testing"
)

// BenchmarkNop measures the ring itself: every iteration is one NOP, queued in batches,
// submitted with SubmitAndWait(batch) and reaped with PeekBatchCQE, as the C anchor
// (../shared/anchors/run nop) does with liburing (io_uring_for_each_cqe, io_uring_cq_advance).
// scripts/nop-vs-liburing.sh runs the two side by side. BenchmarkNopIter reaps with the
// Completions iterator instead.
func BenchmarkNop(b *testing.B) { benchNop(b, false) }

// BenchmarkNopIter is BenchmarkNop reaping with the Completions iterator.
func BenchmarkNopIter(b *testing.B) { benchNop(b, true) }

func benchNop(b *testing.B, iter bool) {
	for _, batch := range []int{1, 8, 32, 128} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			r, err := New(uint32(max(batch, 128)), benchOpts...)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			cqes := make([]CQE, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(batch, b.N-done)
				for j := 0; j < n; j++ {
					s, err := r.PrepNop()
					if err != nil {
						b.Fatal(err)
					}
					s.SetUserData(uint64(j))
				}
				if _, err := r.SubmitAndWait(uint32(n)); err != nil {
					b.Fatal(err)
				}
				got := 0
				if iter {
					for c := range r.Completions() {
						if c.Res < 0 {
							b.Fatal(c.Err())
						}
						got++
					}
				} else {
					// As the C anchor does: reap what is there until the batch is in,
					// waiting only if the kernel has not posted all of it.
					for got < n {
						k := r.PeekBatchCQE(cqes)
						for i := range cqes[:k] {
							if cqes[i].Res < 0 {
								b.Fatal(cqes[i].Err())
							}
						}
						got += k
						if got < n {
							if err := r.WaitCQEs(uint32(n - got)); err != nil {
								b.Fatal(err)
							}
						}
					}
				}
				if got != n {
					b.Fatalf("reaped %d of %d", got, n)
				}
				done += n
			}
		})
	}
}

var benchOpts []Option

// BenchmarkPrepNop measures the user-space side of preparing an entry, without the kernel:
// PrepNop and SetUserData, as BenchmarkNop's loop calls them, for 32 entries that are then
// dropped unsubmitted.
func BenchmarkPrepNop(b *testing.B) {
	r, err := New(128, benchOpts...)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	for done := 0; done < b.N; done += 32 {
		for j := range 32 {
			s, err := r.PrepNop()
			if err != nil {
				b.Fatal(err)
			}
			s.SetUserData(uint64(j))
		}
		r.sq.tail = r.sq.published // drop them: nothing was published
	}
}
