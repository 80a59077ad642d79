package uring

import (
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var (
	_ = prepHelpers(OpFsetxattr, "PrepFsetxattr")
	_ = prepHelpers(OpSetxattr, "PrepSetxattr")
	_ = prepHelpers(OpFgetxattr, "PrepFgetxattr")
	_ = prepHelpers(OpGetxattr, "PrepGetxattr")
)

// Extended attributes.
//
// Names are Go strings ("user.comment"), handed to the kernel as NUL-terminated copies; values
// are []byte. The Ring holds the name, the value and the path until the completion.

// xattrMem holds the three pieces of Go memory of a path-based xattr operation.
type xattrMem struct{ name, value, path unsafe.Pointer }

// prepXattr prepares an xattr operation: the name in addr, the value in addr2 and its length
// in len, the path (if any) in addr3.
func (r *Ring) prepXattr(method string, op uint8, fd int, path *string, name string, value []byte, flags int) (SQE, error) {
	np, err := cString(method, "name", name)
	if err != nil {
		return SQE{}, err
	}
	var pp unsafe.Pointer
	if path != nil {
		if pp, err = cString(method, "path", *path); err != nil {
			return SQE{}, err
		}
	}
	if uint64(len(value)) > uint64(^uint32(0)) {
		return SQE{}, invalid(method, "value of %d bytes is too long", len(value))
	}
	var vp unsafe.Pointer // none for an empty value: a size query, or an empty attribute
	if len(value) > 0 {
		vp = unsafe.Pointer(unsafe.SliceData(value))
	}
	e, s, err := r.prep(method, op, fd, uint64(uintptr(np)), uint32(len(value)), uint64(uintptr(vp)))
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = uint32(flags)
	e.Addr3 = uint64(uintptr(pp))
	if pp == nil {
		r.hold(e, np, vp)
	} else {
		r.hold(e, nil, nil).extra = &xattrMem{np, vp, pp}
	}
	return s, nil
}

// PrepFsetxattr prepares fsetxattr(2): set the extended attribute name of the file open as fd
// to value, with flags unix.XATTR_CREATE (fail with EEXIST if it exists) or XATTR_REPLACE
// (fail with ENODATA if it does not), or 0 (IORING_OP_FSETXATTR, 5.19; io_uring_prep_fsetxattr).
// The result is 0.
func (r *Ring) PrepFsetxattr(fd int, name string, value []byte, flags int) (SQE, error) {
	return r.prepXattr("PrepFsetxattr", abi.IORING_OP_FSETXATTR, fd, nil, name, value, flags)
}

// PrepSetxattr prepares setxattr(2): PrepFsetxattr on the file at path, following symbolic
// links (IORING_OP_SETXATTR, 5.19; io_uring_prep_setxattr).
func (r *Ring) PrepSetxattr(path, name string, value []byte, flags int) (SQE, error) {
	return r.prepXattr("PrepSetxattr", abi.IORING_OP_SETXATTR, 0, &path, name, value, flags)
}

// PrepFgetxattr prepares fgetxattr(2): read the extended attribute name of the file open as
// fd into value (IORING_OP_FGETXATTR, 5.19; io_uring_prep_fgetxattr). The result is the
// attribute's length; ERANGE if value is too small, ENODATA if there is no such attribute.
// An empty value asks only for the length.
func (r *Ring) PrepFgetxattr(fd int, name string, value []byte) (SQE, error) {
	return r.prepXattr("PrepFgetxattr", abi.IORING_OP_FGETXATTR, fd, nil, name, value, 0)
}

// PrepGetxattr prepares getxattr(2): PrepFgetxattr on the file at path, following symbolic
// links (IORING_OP_GETXATTR, 5.19; io_uring_prep_getxattr).
func (r *Ring) PrepGetxattr(path, name string, value []byte) (SQE, error) {
	return r.prepXattr("PrepGetxattr", abi.IORING_OP_GETXATTR, 0, &path, name, value, 0)
}
