// Package driver lets any number of goroutines make blocking file calls (ReadAt, WriteAt,
// Read, Write, vectored reads and writes, Fsync, Fallocate, Ftruncate, Statx, Openat, CloseFd,
// and Batch) through io_uring, without an OS thread per waiting call. Where io_uring cannot be
// had (a seccomp filter's ENOSYS, kernel.io_uring_disabled's EPERM) the same calls go through
// plain system calls, and Mode says so.
//
// # How it works
//
// A Driver has one ring per P (GOMAXPROCS at New), each behind a mutex: a shard. A goroutine
// picks the shard its P used last (a sync.Pool per-P cache; Go has no P id), or, if that
// shard's submitter is in the kernel, any idle shard. It prepares its entry under the lock.
// Then:
//
//   - If nobody is submitting to the ring, it becomes the submitter: it publishes the SQ tail
//     and calls io_uring_enter without the lock (uring.Ring.Publish and EnterSubmit), so other
//     goroutines can queue entries meanwhile; then it takes the lock again, reaps every
//     completion and wakes their goroutines, and goes round again if more was queued. A
//     cached read completes inside the enter that submits it, so the submitter finds its own
//     result right away and returns without ever parking: the common case costs one enter and
//     no wake-up, like pread.
//   - If a submitter is at work, it leaves its entry for it (a combining submitter: one enter
//     for everything that queued during the previous one) and parks on a channel of its own.
//     A submitter whose own operations are done enters a few more rounds for others, then
//     hands the role to a goroutine whose entry is queued.
//   - Completions that come later (O_DIRECT reads, pipes, anything the kernel runs in its
//     workers or through task work) are delivered by a reaper goroutine, which exists only
//     while completions are owed that no submitter will see. It parks in the netpoller on an
//     eventfd registered with the ring (IORING_REGISTER_EVENTFD, which signals for task-work
//     completions too, unlike the _ASYNC variant), and the ring signals the eventfd only while
//     the reaper runs (IORING_CQ_EVENTFD_DISABLED is set otherwise), so inline completions
//     cost no wake-ups. One reaper wake-up delivers a whole batch.
//   - When operations are waiting in the kernel, a goroutine about to submit first calls
//     runtime.Gosched, so that the goroutines the reaper just woke on its P queue their next
//     operations too: one enter then takes them all.
//
// Nothing spins and nothing runs on a timer. A parked goroutine holds no thread: waiting for
// a thousand reads takes a thousand parked goroutines and GOMAXPROCS threads.
//
// One io_uring_enter for one cached read costs more in the kernel than a whole pread, so
// ReadAtCached and ReadCached first try preadv2 with RWF_NOWAIT, which copies what is in the
// page cache without waiting, and go to the ring only for what would wait (never use them on
// O_DIRECT files, where RWF_NOWAIT still waits for the device). WriteAtCached and
// WriteCached do the same for writes, and where the file system cannot take a buffered write
// without blocking (ext4), for which io_uring would hand every write to a kernel worker thread
// at ten times the cost, they make the pwrite system call as os.File does. The file package
// uses them for files not opened with O_DIRECT.
//
// # Limits, cancellation, close
//
// A ring admits at most half its SQ entries of operations at a time (WithEntries; the CQ,
// twice the SQ, then can never overflow); callers beyond that wait their turn, first come
// first served, parked. Every operation's user data is its request slot and a generation, so
// a stale or foreign completion never reaches a waiter.
//
// Every call takes a context. An ended context returns its error without submitting. A
// context that ends while the operation is in the kernel makes the waiter submit
// IORING_OP_ASYNC_CANCEL for it and wait for the operation's own completion (the kernel holds
// its buffer until then; the Ring releases it only then), and the call returns the context's
// error, or the operation's result if it completed first. Deadlines use the same path rather
// than IORING_OP_LINK_TIMEOUT: the context already has its timer, and a linked timeout would
// add an entry, a completion and a kernel timer to every operation that finishes in time,
// which nearly all do (a cached read with a linked timeout that never fires costs 1.75x one
// without; BenchmarkLinkTimeout).
//
// Close makes new calls fail with ErrClosed (it matches os.ErrClosed), cancels what is in
// flight (those calls return ErrClosed too), waits until the kernel owes no completion, and
// closes the rings (which unmaps them) and the eventfds; no goroutine of the Driver outlives
// it.
//
// # Fallback
//
// New falls back to system calls where uring.New fails with uring.IsUnavailable; Mode's
// String is then "syscalls (io_uring unavailable: <cause>)". If io_uring_enter later fails
// for good (a seccomp filter installed after the rings were made), the ring is abandoned and
// its operations, those the kernel never saw included, go through system calls.
package driver
