// Package uring is io_uring for Go: a Ring that queues operations to the kernel and hands back
// their completions, with every operation, flag and registration of Linux 6.18.
//
// # Memory safety
//
// The kernel reads and writes the memory an operation points it at (buffers, iovec arrays,
// paths, timespecs, socket addresses) at any time until the operation completes, while the
// garbage collector knows nothing of the pointers in the submission queue. The Ring therefore
// holds every such piece of Go memory itself, from Prep until the operation's final completion
// has been reaped, which also keeps it off goroutine stacks that could move. Callers never need
// unsafe; PrepUnsafe is the explicit escape hatch for memory they manage themselves.
//
// # Use
//
// Prepare operations with the Prep methods (named after liburing's io_uring_prep_* helpers, so
// their man pages apply), set user data and flags on the returned SQE, Submit, and take
// completions with PeekCQE, WaitCQE or the Completions iterator. A Ring belongs to one goroutine
// at a time; the driver package shares rings between goroutines.
//
// Errors are sentinels for errors.Is (ErrSQFull, ErrClosed, ErrNotSupported, ErrInvalid), a
// *SetupError from New that wraps the errno, and negative completion results as
// syscall.Errno through CQE.Err.
package uring
