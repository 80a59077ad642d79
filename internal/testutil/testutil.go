// Package testutil holds the test helpers that more than one package's tests use. Only tests
// import it.
package testutil

import (
	"bytes"
	"testing"
)

// Pattern returns n bytes that differ at every offset of a 251-byte period, varied by seed.
func Pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i%251) ^ seed
	}
	return b
}

// WantBytes fails the test, naming the first offset that differs, unless got equals want.
func WantBytes(t testing.TB, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("bytes differ at offset %d (len %d, want len %d)", i, len(got), len(want))
	}
}
