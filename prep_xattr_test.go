package uring

import (
	"errors"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestXattr sets and reads user.* attributes by fd and by path. t.TempDir is on ext4 on the
// development machine (and tmpfs has user.* attributes since 6.6), so the full path runs; on
// a file system that refuses user attributes, the test checks that the ring reports the same
// EOPNOTSUPP as the system call.
func TestXattr(t *testing.T) {
	r := newRing(t, 8)
	f := tempFile(t, []byte("x"))
	fd, path := int(f.Fd()), f.Name()
	if err := unix.Fsetxattr(fd, "user.probe", []byte("p"), 0); errors.Is(err, unix.EOPNOTSUPP) {
		t.Logf("%s refuses user.* attributes: checking that the ring says so too", path)
		must(t)(r.PrepFsetxattr(fd, "user.a", []byte("v"), 0)).SetUserData(1)
		wantErrno(t, waitOne(t, r), syscall.EOPNOTSUPP)
		must(t)(r.PrepSetxattr(path, "user.a", []byte("v"), 0)).SetUserData(2)
		wantErrno(t, waitOne(t, r), syscall.EOPNOTSUPP)
		return
	} else if err != nil {
		t.Fatal(err)
	}

	// Set by fd; read back with the system call.
	must(t)(r.PrepFsetxattr(fd, "user.a", []byte("value-a"), 0)).SetUserData(1)
	wantRes(t, waitOne(t, r), 0)
	buf := make([]byte, 64)
	if n, err := unix.Fgetxattr(fd, "user.a", buf); err != nil || string(buf[:n]) != "value-a" {
		t.Fatalf("fgetxattr after PrepFsetxattr: %q, %v", buf[:n], err)
	}
	must(t)(r.PrepFsetxattr(fd, "user.a", []byte("other"), unix.XATTR_CREATE)).SetUserData(2)
	wantErrno(t, waitOne(t, r), syscall.EEXIST)

	// Set by path: XATTR_REPLACE needs an existing attribute; an empty value is an attribute too.
	must(t)(r.PrepSetxattr(path, "user.b", []byte("bb"), unix.XATTR_REPLACE)).SetUserData(3)
	wantErrno(t, waitOne(t, r), syscall.ENODATA)
	must(t)(r.PrepSetxattr(path, "user.b", []byte("bb"), 0)).SetUserData(4)
	must(t)(r.PrepFsetxattr(fd, "user.empty", nil, 0)).SetUserData(5)
	m := byUserData(t, submitWait(t, r, 2))
	wantRes(t, m[4], 0)
	wantRes(t, m[5], 0)
	must(t)(r.PrepSetxattr(path+".missing", "user.b", []byte("bb"), 0)).SetUserData(6)
	wantErrno(t, waitOne(t, r), syscall.ENOENT)

	// Get by fd and by path; an empty buffer asks for the length; a short one is ERANGE.
	clear(buf)
	must(t)(r.PrepFgetxattr(fd, "user.a", buf)).SetUserData(10)
	wantRes(t, waitOne(t, r), 7)
	wantBytes(t, buf[:7], []byte("value-a"))
	must(t)(r.PrepFgetxattr(fd, "user.a", nil)).SetUserData(11)
	wantRes(t, waitOne(t, r), 7)
	must(t)(r.PrepFgetxattr(fd, "user.a", buf[:3])).SetUserData(12)
	wantErrno(t, waitOne(t, r), syscall.ERANGE)
	clear(buf)
	must(t)(r.PrepGetxattr(path, "user.b", buf)).SetUserData(13)
	wantRes(t, waitOne(t, r), 2)
	wantBytes(t, buf[:2], []byte("bb"))
	must(t)(r.PrepGetxattr(path, "user.empty", buf)).SetUserData(14)
	wantRes(t, waitOne(t, r), 0)
	must(t)(r.PrepGetxattr(path, "user.none", buf)).SetUserData(15)
	wantErrno(t, waitOne(t, r), syscall.ENODATA)
	must(t)(r.PrepFgetxattr(-1, "user.a", buf)).SetUserData(16)
	wantErrno(t, waitOne(t, r), syscall.EBADF)

	_, err := r.PrepFsetxattr(fd, "user.\x00a", []byte("v"), 0)
	wantInvalid(t, r, "name with NUL", err)
	_, err = r.PrepGetxattr("p\x00", "user.a", buf)
	wantInvalid(t, r, "path with NUL", err)
	wantNoLiveSlots(t, r)
}
