package uring

// storeRelease stores v at p with release semantics: stores and loads before it in program order
// are visible to (or complete before) whoever observes v. On amd64 every store is a release
// store (x86-TSO never reorders a store before earlier loads or stores), and the Go compiler
// keeps memory operations in program order around it, so a plain MOV does, where
// atomic.StoreUint32 would be an XCHG: a full barrier that waits for the store buffer to drain,
// which after filling SQEs costs tens of cycles. liburing's io_uring_smp_store_release is the
// same on x86. Where a full barrier is needed (the SQPOLL tail store before reading the SQ
// flags), the callers use atomic.StoreUint32.
func storeRelease(p *uint32, v uint32) { *p = v }
