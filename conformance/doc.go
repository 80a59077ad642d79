// Package conformance checks, in its tests, that the prep helpers of github.com/uringo/uring
// build the same submission queue entries as liburing's io_uring_prep_* functions, the reference
// whose man pages the library's helpers follow.
//
// It is a module of its own because it needs cgo and Debian's liburing-dev (liburing 2.3; install
// it with apt-get install liburing-dev): the library itself stays free of cgo. Run it with
//
//	cd conformance && go test ./...
package conformance
