//go:build !amd64

package uring

import "sync/atomic"

// storeRelease stores v at p with release semantics (see barrier_amd64.go). Go's atomic store
// is a release store (STLR on arm64), and more on some architectures.
func storeRelease(p *uint32, v uint32) { atomic.StoreUint32(p, v) }
