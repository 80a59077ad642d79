package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// defaultFileSize is the size of the temporary file a bench makes when --size is not given.
const defaultFileSize = 256 << 20

// target is the file a bench runs on.
type target struct {
	name      string
	size      int64 // the region: a whole number of blocks
	temporary bool  // made by this run, removed when it ends
	fsType    string
}

// open opens the target for one job: read-write when the workload writes, O_DIRECT with --direct.
func (t *target) open(o *benchOptions) (*os.File, error) {
	flags := os.O_RDONLY
	if o.writes() {
		flags = os.O_RDWR
	}
	if o.direct {
		flags |= syscall.O_DIRECT
	}
	f, err := os.OpenFile(t.name, flags, 0)
	if err != nil {
		if o.direct && errors.Is(err, syscall.EINVAL) {
			return nil, fmt.Errorf("--direct: the filesystem of %s (%s) does not support O_DIRECT", t.name, t.fsType)
		}
		return nil, err
	}
	return f, nil
}

// prepareTarget finds or makes the file of a run. A temporary file (no --filename) is made in
// --directory, or in $TMPDIR unless that is memory (tmpfs), filled with random data (verifiable
// blocks with --verify) and synced, so that O_DIRECT reads come from the device. The returned
// cleanup removes it; the caller defers it, so that an interrupted run removes it too.
func prepareTarget(ctx context.Context, o *benchOptions) (t *target, cleanup func(), err error) {
	t = &target{}
	cleanup = func() {}
	name := o.filename
	if name == "" {
		dir := o.directory
		if dir == "" {
			dir = tempDir()
		}
		f, err := os.CreateTemp(dir, "uring-bench-*.tmp")
		if err != nil {
			return nil, cleanup, fmt.Errorf("cannot make the temporary file: %w", err)
		}
		t.name, t.temporary = f.Name(), true
		cleanup = func() { os.Remove(t.name) }
		t.fsType = fsType(t.name)
		size := o.size
		if size == 0 {
			size = defaultFileSize
		}
		t.size = size / o.bs * o.bs
		err = layout(ctx, f, o, 0, t.size)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, cleanup, err
		}
		return t, cleanup, nil
	}
	t.name = name
	st, err := os.Stat(name)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if o.verifyOnly {
			return nil, cleanup, fmt.Errorf("--verify_only: %s does not exist", name)
		}
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, cleanup, err
		}
		size := o.size
		if size == 0 {
			size = defaultFileSize
		}
		t.size = size / o.bs * o.bs
		t.fsType = fsType(name)
		err = layout(ctx, f, o, 0, t.size)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return t, cleanup, err
	case err != nil:
		return nil, cleanup, err
	case st.IsDir():
		return nil, cleanup, fmt.Errorf("--filename %s is a directory", name)
	}
	t.fsType = fsType(name)
	fsize := st.Size()
	if st.Mode()&os.ModeDevice != 0 && st.Mode()&os.ModeCharDevice == 0 {
		f, err := os.Open(name)
		if err != nil {
			return nil, cleanup, err
		}
		fsize, err = f.Seek(0, io.SeekEnd)
		f.Close()
		if err != nil {
			return nil, cleanup, err
		}
	} else if !st.Mode().IsRegular() {
		return nil, cleanup, fmt.Errorf("--filename %s is not a regular file or a block device", name)
	}
	size := fsize
	if o.size > 0 {
		size = o.size
	}
	if size < o.bs {
		return nil, cleanup, fmt.Errorf("file %s is %d bytes, smaller than bs (%d)", name, fsize, o.bs)
	}
	t.size = size / o.bs * o.bs
	if t.size > fsize {
		// fio lays out a file that is smaller than the size asked for.
		if o.verifyOnly || !st.Mode().IsRegular() {
			return nil, cleanup, fmt.Errorf("file %s is %d bytes, smaller than --size (%d)", name, fsize, t.size)
		}
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			return nil, cleanup, err
		}
		from := fsize / o.bs * o.bs
		err = layout(ctx, f, o, from, t.size)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, cleanup, err
		}
	}
	return t, cleanup, nil
}

// layout fills [from, to) of f with random data (verifiable blocks with --verify) and syncs it.
func layout(ctx context.Context, f *os.File, o *benchOptions, from, to int64) error {
	if err := f.Truncate(to); err != nil {
		return err
	}
	const chunk = 1 << 20
	buf := make([]byte, max(chunk/o.bs, 1)*o.bs)
	rng := newRandom()
	v := verifier{bs: o.bs}
	for off := from; off < to; {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := buf[:min(int64(len(buf)), to-off)]
		rng.Read(b)
		if o.verify != "" {
			for i := int64(0); i+o.bs <= int64(len(b)); i += o.bs {
				v.stamp(b[i:i+o.bs], off+i)
			}
		}
		if _, err := f.WriteAt(b, off); err != nil {
			return fmt.Errorf("laying out %s: %w", f.Name(), err)
		}
		off += int64(len(b))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("laying out %s: %w", f.Name(), err)
	}
	return nil
}

// tempDir is where a bench makes its temporary file: $TMPDIR (or /tmp), unless that is kept in
// memory, where O_DIRECT would measure memory rather than a device; then the current directory.
func tempDir() string {
	dir := os.TempDir()
	if t := fsType(dir); t == "tmpfs" || t == "ramfs" {
		if wd, err := os.Getwd(); err == nil && unix.Access(wd, unix.W_OK) == nil {
			if t := fsType(wd); t != "tmpfs" && t != "ramfs" {
				return wd
			}
		}
	}
	return dir
}

// fsType names the filesystem path lives on, for the report.
func fsType(path string) string {
	var s unix.Statfs_t
	if err := unix.Statfs(filepath.Dir(path), &s); err != nil {
		if err := unix.Statfs(path, &s); err != nil {
			return "unknown"
		}
	}
	switch uint32(s.Type) {
	case unix.EXT4_SUPER_MAGIC:
		return "ext4"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.RAMFS_MAGIC:
		return "ramfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	case unix.F2FS_SUPER_MAGIC:
		return "f2fs"
	}
	return fmt.Sprintf("0x%x", uint32(s.Type))
}

// alignedBuf returns n bytes of page-aligned memory outside the Go heap, as O_DIRECT needs, and
// the function that releases it. From hugeMin bytes up the memory starts on a huge page boundary
// and asks for transparent huge pages (MADV_HUGEPAGE): the kernel's copies to and from it then
// miss the TLB far less, which under a hypervisor's nested paging costs the most.
func alignedBuf(n int) ([]byte, func(), error) {
	page := unix.Getpagesize()
	size := (n + page - 1) / page * page
	extra := 0
	if n >= hugeMin {
		extra = hugePage // room to start on a huge page boundary
	}
	b, err := unix.Mmap(-1, 0, size+extra, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, nil, fmt.Errorf("allocating %d bytes of buffers: %w", n, err)
	}
	free := func() { unix.Munmap(b) }
	if extra > 0 {
		skip := (hugePage - int(uintptr(unsafe.Pointer(&b[0]))%hugePage)) % hugePage
		// Advice only: without THP the memory works all the same.
		unix.Madvise(b[skip:skip+size], unix.MADV_HUGEPAGE)
		return b[skip : skip+n], free, nil
	}
	return b[:n], free, nil
}

// hugePage is the size of a transparent huge page on amd64 and arm64 with 4 KiB pages; hugeMin
// the buffer size from which alignedBuf asks for them.
const (
	hugePage = 2 << 20
	hugeMin  = 4 << 20
)
