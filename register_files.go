package uring

import (
	"runtime"
	"unsafe"

	"github.com/uringo/uring/internal/abi"
)

var (
	_ = registerHelpers(abi.IORING_REGISTER_FILES, "RegisterFiles")
	_ = registerHelpers(abi.IORING_UNREGISTER_FILES, "UnregisterFiles")
	_ = registerHelpers(abi.IORING_REGISTER_FILES2, "RegisterFilesTags", "RegisterFilesSparse")
	_ = registerHelpers(abi.IORING_REGISTER_FILES_UPDATE, "UpdateFiles")
	_ = registerHelpers(abi.IORING_REGISTER_FILES_UPDATE2, "UpdateFilesTags")
	_ = registerHelpers(abi.IORING_REGISTER_FILE_ALLOC_RANGE, "RegisterFileAllocRange")
)

// Registered (fixed, or direct) files.
//
// The kernel takes its own reference to each registered file: closing the fd afterwards does
// not affect the slot. An operation uses slot i with SQE.SetFlags(SQEFixedFile) and fd i.

// FileSlotSkip as an fd of UpdateFiles leaves that slot as it is (IORING_REGISTER_FILES_SKIP,
// 5.12). An fd of -1 empties the slot.
const FileSlotSkip = abi.IORING_REGISTER_FILES_SKIP

// RegisterFiles registers fds as the ring's fixed files 0..len(fds)-1
// (IORING_REGISTER_FILES, 5.1; io_uring_register_files). An fd of -1 leaves its slot empty.
// The table may hold up to 1<<20 files and no more than RLIMIT_NOFILE; a second registration
// fails with EBUSY until UnregisterFiles.
func (r *Ring) RegisterFiles(fds []int) error {
	return r.registerFiles("RegisterFiles", len(fds), fds, nil, false)
}

// RegisterFilesTags is RegisterFiles with a tag per file (IORING_REGISTER_FILES2, 5.13;
// io_uring_register_files_tags). When a tagged file leaves the table and no operation uses it
// any more, the kernel posts a completion whose UserData is the tag and whose Res is 0. A tag of
// 0 asks for none; tags must have the top bit clear; an empty slot (-1) cannot have a tag.
func (r *Ring) RegisterFilesTags(fds []int, tags []uint64) error {
	return r.registerFiles("RegisterFilesTags", len(fds), fds, tags, true)
}

// RegisterFilesSparse registers a table of n empty file slots, for UpdateFiles and the direct
// variants of open, accept, socket and pipe (IORING_REGISTER_FILES2 with
// IORING_RSRC_REGISTER_SPARSE, 5.19; io_uring_register_files_sparse).
func (r *Ring) RegisterFilesSparse(n int) error {
	return r.registerFiles("RegisterFilesSparse", n, nil, nil, false)
}

// registerFiles registers a table of n files: fds, with tags if tagged, or n empty slots if
// fds is nil.
func (r *Ring) registerFiles(method string, n int, fds []int, tags []uint64, tagged bool) error {
	if r.closed {
		return ErrClosed
	}
	if err := fileTable.check(method, n, len(tags), tagged); err != nil {
		return err
	}
	fdv, err := fdArray(method, fds, false)
	if err != nil {
		return err
	}
	tagv, err := tagArray(method, tags)
	if err != nil {
		return err
	}
	return r.registerTable(fileTable, unsafe.Pointer(unsafe.SliceData(fdv)), n, tagv, fds == nil)
}

// fdArray converts fds to the kernel's __s32 array, on the heap. -1 is an empty slot, and with
// skip FileSlotSkip leaves a slot as it is.
func fdArray(method string, fds []int, skip bool) ([]int32, error) {
	if len(fds) == 0 {
		return nil, nil
	}
	out := heapSlice[int32](len(fds))
	for i, fd := range fds {
		if fd < -1 && !(skip && fd == FileSlotSkip) || fd != int(int32(fd)) {
			return nil, invalid(method, "fd %d out of range", fd)
		}
		out[i] = int32(fd)
	}
	return out, nil
}

// UpdateFiles replaces fixed files offset..offset+len(fds)-1 of the registered table
// (IORING_REGISTER_FILES_UPDATE, 5.5; io_uring_register_files_update). An fd of -1 empties its
// slot, FileSlotSkip leaves it. It returns how many slots it processed: fewer than len(fds),
// with no error, when the kernel failed part way. Operations in flight keep the file they
// started with.
func (r *Ring) UpdateFiles(offset int, fds []int) (int, error) {
	return r.updateFiles("UpdateFiles", offset, fds, nil, false)
}

// UpdateFilesTags is UpdateFiles that tags the new files, as RegisterFilesTags does
// (IORING_REGISTER_FILES_UPDATE2, 5.13; io_uring_register_files_update_tag).
func (r *Ring) UpdateFilesTags(offset int, fds []int, tags []uint64) (int, error) {
	return r.updateFiles("UpdateFilesTags", offset, fds, tags, true)
}

func (r *Ring) updateFiles(method string, offset int, fds []int, tags []uint64, tagged bool) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	if err := fileTable.check(method, len(fds), len(tags), tagged); err != nil {
		return 0, err
	}
	if offset < 0 || offset > maxFixedFiles {
		return 0, invalid(method, "offset %d", offset)
	}
	fdv, err := fdArray(method, fds, true)
	if err != nil {
		return 0, err
	}
	tagv, err := tagArray(method, tags)
	if err != nil {
		return 0, err
	}
	if tagged {
		return r.updateTable(fileTable, offset, unsafe.Pointer(unsafe.SliceData(fdv)), len(fds), tagv)
	}
	// Without tags, the original opcode (5.5), as liburing's io_uring_register_files_update.
	up := abi.RsrcUpdate{Offset: uint32(offset), Data: sliceArg(fdv)}
	done, err := r.register("IORING_REGISTER_FILES_UPDATE", abi.IORING_REGISTER_FILES_UPDATE,
		unsafe.Pointer(&up), uint32(len(fds)))
	runtime.KeepAlive(fdv)
	if err != nil {
		return 0, err
	}
	return done, nil
}

// UnregisterFiles removes the registered file table (IORING_UNREGISTER_FILES, 5.1;
// io_uring_unregister_files). Operations in flight keep the files they use.
func (r *Ring) UnregisterFiles() error {
	_, err := r.register("IORING_UNREGISTER_FILES", abi.IORING_UNREGISTER_FILES, nil, 0)
	return err
}

// RegisterFileAllocRange limits the slots the kernel picks from when an operation asks it to
// choose a free one (IORING_FILE_INDEX_ALLOC) to offset..offset+n-1
// (IORING_REGISTER_FILE_ALLOC_RANGE, 6.0; io_uring_register_file_alloc_range). The range must
// lie inside the registered table.
func (r *Ring) RegisterFileAllocRange(offset, n int) error {
	if offset < 0 || n < 0 || offset > maxFixedFiles || n > maxFixedFiles {
		return invalid("RegisterFileAllocRange", "range %d+%d", offset, n)
	}
	arg := abi.FileIndexRange{Off: uint32(offset), Len: uint32(n)}
	_, err := r.register("IORING_REGISTER_FILE_ALLOC_RANGE", abi.IORING_REGISTER_FILE_ALLOC_RANGE, unsafe.Pointer(&arg), 0)
	return err
}
