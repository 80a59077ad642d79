package uring

import (
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func newEpoll(t testing.TB) int {
	t.Helper()
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(ep) })
	return ep
}

func TestEpollCtl(t *testing.T) {
	r := newRing(t, 8)
	ep := newEpoll(t)
	pr, pw := pipe(t)
	rfd := int(pr.Fd())
	must(t)(r.PrepEpollCtl(ep, unix.EPOLL_CTL_ADD, rfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(rfd)})).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepEpollCtl(ep, unix.EPOLL_CTL_ADD, rfd, &unix.EpollEvent{Events: unix.EPOLLIN})).SetUserData(2)
	wantErrno(t, waitOne(t, r), syscall.EEXIST)

	// The registration is real: epoll_wait(2) sees the pipe readable, with our data.
	pw.Write([]byte("x"))
	evs := make([]unix.EpollEvent, 2)
	if n, err := unix.EpollWait(ep, evs, 1000); err != nil || n != 1 || evs[0].Fd != int32(rfd) || evs[0].Events&unix.EPOLLIN == 0 {
		t.Fatalf("epoll_wait after PrepEpollCtl: %d %v %+v", n, err, evs[0])
	}
	must(t)(r.PrepEpollCtl(ep, unix.EPOLL_CTL_MOD, rfd, &unix.EpollEvent{Events: unix.EPOLLOUT, Fd: 99})).SetUserData(3)
	wantRes(t, waitOne(t, r), 0)
	if n, _ := unix.EpollWait(ep, evs, 0); n != 0 {
		t.Fatalf("after MOD to EPOLLOUT on a read end: %d events %+v", n, evs[0])
	}
	must(t)(r.PrepEpollCtl(ep, unix.EPOLL_CTL_DEL, rfd, nil)).SetUserData(4)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepEpollCtl(ep, unix.EPOLL_CTL_DEL, rfd, nil)).SetUserData(5)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)
	must(t)(r.PrepEpollCtl(ep, unix.EPOLL_CTL_ADD, -1, &unix.EpollEvent{Events: unix.EPOLLIN})).SetUserData(6)
	wantErrno(t, waitOne(t, r), syscall.EBADF)
	must(t)(r.PrepEpollCtl(rfd, unix.EPOLL_CTL_ADD, int(pw.Fd()), &unix.EpollEvent{Events: unix.EPOLLOUT})).SetUserData(7)
	wantErrno(t, waitOne(t, r), syscall.EINVAL) // not an epoll fd

	_, err := r.PrepEpollCtl(ep, unix.EPOLL_CTL_ADD, rfd, nil)
	wantInvalid(t, r, "nil event for ADD", err)
	_, err = r.PrepEpollCtl(ep, unix.EPOLL_CTL_ADD, 1<<40, &unix.EpollEvent{})
	wantInvalid(t, r, "fd out of range", err)
	wantNoLiveSlots(t, r)
}

func TestEpollWait(t *testing.T) {
	r := newRing(t, 8)
	ep := newEpoll(t)
	pr, pw := pipe(t)
	rfd := int(pr.Fd())
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, rfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(rfd)}); err != nil {
		t.Fatal(err)
	}
	evs := make([]unix.EpollEvent, 4)
	must(t)(r.PrepEpollWait(ep, evs)).SetUserData(1)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if c, ok := r.PeekCQE(); ok {
		t.Fatalf("epoll wait completed with nothing ready: %+v", c)
	}
	pw.Write([]byte("x"))
	c, err := r.WaitCQETimeout(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wantRes(t, c, 1)
	if evs[0].Fd != int32(rfd) || evs[0].Events&unix.EPOLLIN == 0 {
		t.Fatalf("event %+v, want EPOLLIN for fd %d", evs[0], rfd)
	}
	// Ready now: completes at once.
	must(t)(r.PrepEpollWait(ep, evs[:1])).SetUserData(2)
	wantRes(t, waitOne(t, r), 1)
	must(t)(r.PrepEpollWait(rfd, evs)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.EINVAL) // not an epoll fd
	_, err = r.PrepEpollWait(ep, nil)
	wantInvalid(t, r, "no events", err)
	wantNoLiveSlots(t, r)
}
