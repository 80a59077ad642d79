package uring

import (
	"fmt"
	"testing"
)

// BenchmarkNop measures the ring itself: every iteration is one NOP, queued in batches,
// submitted with SubmitAndWait(batch) and reaped with Completions, as the C anchor
// (../shared/anchors/run nop) does with liburing.
func BenchmarkNop(b *testing.B) {
	for _, batch := range []int{1, 8, 32, 128} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			r, err := New(uint32(max(batch, 128)), benchOpts...)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
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
				for c := range r.Completions() {
					if c.Res < 0 {
						b.Fatal(c.Err())
					}
					got++
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
