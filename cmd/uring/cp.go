package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/sys/unix"
)

var _ = register("cp", command{
	summary: "copy files through io_uring, like cp(1): -r, -p, holes kept",
	run:     runCp,
})

const cpUsage = `Usage: uring cp [options] SRC DST
       uring cp [options] SRC... DIR

Copies files through io_uring: reads and writes pipelined, many in flight; holes of sparse
files kept. Each file is written under a temporary name in its directory and renamed into
place when complete, so a failed copy never leaves a file that looks complete. An existing
destination is replaced, not rewritten in place: other hard links to it keep the old contents.

  -r, -R, --recursive   copy directories recursively (symbolic links are copied as links)
  -p                    keep mode, ownership (as root) and timestamps (--preserve)
  -v, --verbose         say what is being done
      --fsync           sync each file (and its directory) before finishing with it
      --chunk=SIZE      bytes per read and write (default 256k; 4m with direct reads)
      --inflight=N      chunks in flight (default 16; 8 with direct reads)
      --reads=N         reads in flight at most (default: --inflight)
      --async=BOOL      issue reads from kernel workers (IOSQE_ASYNC; default true)
      --splice=BOOL     move each chunk through a pipe with IORING_OP_SPLICE instead of a
                        buffer: one copy of the data instead of two
      --direct=WHEN     read the source with O_DIRECT: auto (default: a source of 8 MiB or
                        more, less than half of it in the page cache), true or false
  -h, --help            this help

A progress bar is shown for large files when standard error is a terminal.
`

// cpOptions are the options of uring cp.
type cpOptions struct {
	recursive, preserve, verbose, fsync bool
	chunk, inflight, reads              int
	async, splice                       bool
	direct                              directMode
	tuned                               bool // --chunk or --inflight given
}

// progressMin is the size from which a file's copy gets a progress bar on a terminal.
const progressMin = 64 << 20

// cpRun is one uring cp: its options, where it reports, and whether anything failed.
type cpRun struct {
	o      cpOptions
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	c      *copier
	umask  os.FileMode
	failed bool
	tty    bool // stderr is a terminal: show progress bars
}

func runCp(args []string, stdout, stderr io.Writer) int {
	o, operands, err := parseCpArgs(args)
	if err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, cpUsage)
			return 0
		}
		fmt.Fprintf(stderr, "cp: %v\nTry 'uring cp --help' for more information.\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := &cpRun{o: o, ctx: ctx, stdout: stdout, stderr: stderr, tty: isTerminal(stderr)}
	old := unix.Umask(0)
	unix.Umask(old)
	r.umask = os.FileMode(old)
	dchunk, ddepth := directChunkDefault, directDepthDefault
	if o.tuned {
		dchunk, ddepth = 0, 0 // the geometry asked for, whatever the reads
	}
	c, err := newCopier(o.chunk, o.inflight, min(o.reads, o.inflight), o.async, o.splice, o.direct, dchunk, ddepth)
	if err != nil {
		fmt.Fprintf(stderr, "cp: %v\n", err)
		return 1
	}
	defer c.Close()
	r.c = c

	dst := operands[len(operands)-1]
	srcs := operands[:len(operands)-1]
	dstInfo, dstErr := os.Stat(dst)
	intoDir := dstErr == nil && dstInfo.IsDir()
	if len(srcs) > 1 && !intoDir {
		if dstErr != nil && errors.Is(dstErr, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "cp: target %s: No such file or directory\n", quote(dst))
		} else {
			fmt.Fprintf(stderr, "cp: target %s: Not a directory\n", quote(dst))
		}
		return 1
	}
	for _, src := range srcs {
		if ctx.Err() != nil {
			break
		}
		target := dst
		if intoDir {
			target = joinPath(dst, filepath.Base(src))
		}
		r.copyTop(src, target)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "cp: interrupted")
		return 130
	}
	if r.failed {
		return 1
	}
	return 0
}

var errHelp = errors.New("help")

// parseCpArgs reads cp's options the way GNU getopt does: short options may be grouped (-rp),
// long ones take =VALUE, and -- ends the options.
func parseCpArgs(args []string) (cpOptions, []string, error) {
	o := cpOptions{chunk: 256 << 10, inflight: 16, reads: 16, async: true}
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands = append(operands, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			var err error
			switch name {
			case "recursive":
				o.recursive = true
			case "preserve":
				if hasVal && val != "all" && val != "mode,ownership,timestamps" {
					for _, attr := range strings.Split(val, ",") {
						switch attr {
						case "mode", "ownership", "timestamps":
						default:
							return o, nil, fmt.Errorf("invalid argument %s for '--preserve' (this cp keeps mode, ownership, timestamps)", quote(attr))
						}
					}
				}
				o.preserve = true
			case "verbose":
				o.verbose = true
			case "fsync":
				o.fsync = true
			case "help":
				return o, nil, errHelp
			case "chunk", "inflight", "reads", "async", "splice", "direct":
				if !hasVal {
					if i+1 >= len(args) {
						return o, nil, fmt.Errorf("option '--%s' requires an argument", name)
					}
					i++
					val = args[i]
				}
				err = o.setTuning(name, val)
			default:
				return o, nil, fmt.Errorf("unrecognized option '%s'", a)
			}
			if err != nil {
				return o, nil, err
			}
		case len(a) > 1 && a[0] == '-':
			for _, ch := range a[1:] {
				switch ch {
				case 'r', 'R':
					o.recursive = true
				case 'p':
					o.preserve = true
				case 'v':
					o.verbose = true
				case 'h':
					return o, nil, errHelp
				default:
					return o, nil, fmt.Errorf("invalid option -- '%c'", ch)
				}
			}
		default:
			operands = append(operands, a)
		}
	}
	switch len(operands) {
	case 0:
		return o, nil, errors.New("missing file operand")
	case 1:
		return o, nil, fmt.Errorf("missing destination file operand after %s", quote(operands[0]))
	}
	return o, operands, nil
}

func (o *cpOptions) setTuning(name, val string) error {
	switch name {
	case "chunk":
		n, err := parseSize(val, 1024)
		if err != nil || n < 4096 || n > 64<<20 || n%4096 != 0 {
			return fmt.Errorf("invalid --chunk %s: a multiple of 4k from 4k to 64m", quote(val))
		}
		o.chunk, o.tuned = int(n), true
	case "inflight", "reads":
		var n int
		if _, err := fmt.Sscan(val, &n); err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("invalid --%s %s: 1 to 1024", name, quote(val))
		}
		if name == "reads" {
			o.reads = n
		} else {
			o.inflight, o.tuned = n, true
		}
	case "direct":
		switch val {
		case "auto":
			o.direct = directAuto
		case "true", "1":
			o.direct = directOn
		case "false", "0":
			o.direct = directOff
		default:
			return fmt.Errorf("invalid --direct %s: auto, true or false", quote(val))
		}
	case "async", "splice":
		var on bool
		switch val {
		case "true", "1":
			on = true
		case "false", "0":
		default:
			return fmt.Errorf("invalid --%s %s: true or false", name, quote(val))
		}
		if name == "async" {
			o.async = on
		} else {
			o.splice = on
		}
	}
	return nil
}

// quote writes a file name the way GNU cp's messages do, in single quotes.
func quote(name string) string {
	if strings.Contains(name, "'") {
		return `"` + name + `"`
	}
	return "'" + name + "'"
}

// joinPath names dir/base as GNU cp does in its messages: dir as given.
func joinPath(dir, base string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + base
	}
	return dir + "/" + base
}

// errorf reports one failure; the copy goes on with the next file, and cp exits with status 1.
func (r *cpRun) errorf(format string, args ...any) {
	r.failed = true
	fmt.Fprintf(r.stderr, "cp: "+format+"\n", args...)
}

// errText is an error as GNU cp ends its messages: the system's words for an errno.
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return errText(pe.Err)
	}
	return err.Error()
}

// copyTop copies one command-line operand. Without -r, a symbolic link is followed; with it, it
// is copied as a link, as GNU cp -r does.
func (r *cpRun) copyTop(src, dst string) {
	var st os.FileInfo
	var err error
	if r.o.recursive {
		st, err = os.Lstat(src)
	} else {
		st, err = os.Stat(src)
	}
	if err != nil {
		r.errorf("cannot stat %s: %s", quote(src), errText(err))
		return
	}
	if st.IsDir() {
		if !r.o.recursive {
			r.errorf("-r not specified; omitting directory %s", quote(src))
			return
		}
		if into, err := isInside(src, dst); err == nil && into {
			r.errorf("cannot copy a directory, %s, into itself, %s", quote(src), quote(dst))
			return
		}
	}
	r.copyEntry(src, dst, st)
}

// isInside reports whether dst (which may not exist yet) lies inside directory src.
func isInside(src, dst string) (bool, error) {
	s, err := filepath.EvalSymlinks(src)
	if err != nil {
		return false, err
	}
	s, _ = filepath.Abs(s)
	d, err := filepath.EvalSymlinks(filepath.Dir(filepath.Clean(dst)))
	if err != nil {
		return false, err
	}
	d, _ = filepath.Abs(d)
	return d == s || strings.HasPrefix(d, s+"/"), nil
}

// copyEntry copies src, of type st, to dst.
func (r *cpRun) copyEntry(src, dst string, st os.FileInfo) {
	if r.ctx.Err() != nil {
		return
	}
	switch m := st.Mode(); {
	case m.IsDir():
		r.copyDir(src, dst, st)
	case m.IsRegular():
		r.copyFile(src, dst)
	case m&os.ModeSymlink != 0:
		r.copySymlink(src, dst, st)
	case r.o.recursive:
		r.copySpecial(src, dst, st)
	default:
		r.copyFile(src, dst) // a device or a fifo named on the command line: its contents
	}
}

func (r *cpRun) verbose(src, dst string) {
	if r.o.verbose {
		fmt.Fprintf(r.stdout, "%s -> %s\n", quote(src), quote(dst))
	}
}

// copyDir copies a directory tree. The directory is made writable by its owner while it is
// filled, and gets its final mode (and with -p its times) once its entries are in.
func (r *cpRun) copyDir(src, dst string, st os.FileInfo) {
	made := false
	if dt, err := os.Lstat(dst); err == nil {
		if !dt.IsDir() {
			r.errorf("cannot overwrite non-directory %s with directory %s", quote(dst), quote(src))
			return
		}
	} else {
		if err := os.Mkdir(dst, st.Mode().Perm()|0o700); err != nil {
			r.errorf("cannot create directory %s: %s", quote(dst), errText(err))
			return
		}
		made = true
		r.verbose(src, dst)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		r.errorf("cannot access %s: %s", quote(src), errText(err))
	}
	for _, e := range entries {
		if r.ctx.Err() != nil {
			return
		}
		s, d := joinPath(src, e.Name()), joinPath(dst, e.Name())
		info, err := os.Lstat(s)
		if err != nil {
			r.errorf("cannot stat %s: %s", quote(s), errText(err))
			continue
		}
		r.copyEntry(s, d, info)
	}
	if made || r.o.preserve {
		if err := os.Chmod(dst, r.mode(st, nil)); err != nil {
			r.errorf("setting permissions for %s: %s", quote(dst), errText(err))
		}
	}
	if r.o.preserve {
		r.preserve(dst, st, false)
	}
	if r.o.fsync {
		syncPath(dst)
	}
}

// mode is the mode a copy gets: the source's with -p; an existing destination's own; else the
// source's permissions less the umask, as GNU cp gives them.
func (r *cpRun) mode(st os.FileInfo, existing os.FileInfo) os.FileMode {
	m := st.Mode()
	perm := m.Perm() | m&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)
	switch {
	case r.o.preserve:
		return perm
	case existing != nil:
		e := existing.Mode()
		return e.Perm() | e&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)
	}
	return m.Perm() &^ r.umask
}

// preserve sets the times (and as root the owner) of path from st, for -p.
func (r *cpRun) preserve(path string, st os.FileInfo, link bool) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	flags := 0
	if link {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	if os.Geteuid() == 0 {
		if err := unix.Fchownat(unix.AT_FDCWD, path, int(sys.Uid), int(sys.Gid), flags); err != nil {
			r.errorf("failed to preserve ownership for %s: %s", quote(path), errText(err))
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(sys.Atim.Nano()), unix.NsecToTimespec(sys.Mtim.Nano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, flags); err != nil {
		r.errorf("preserving times for %s: %s", quote(path), errText(err))
	}
}

// copyFile copies a regular file (or the contents of a device or fifo named on the command
// line) into a temporary file beside dst, and renames it into place once complete. An existing
// destination that is not a regular file (a device, a fifo) is written in place, as GNU cp does.
func (r *cpRun) copyFile(src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		r.errorf("cannot open %s for reading: %s", quote(src), errText(err))
		return
	}
	defer in.Close()
	st, err := in.Stat() // the times to keep are those from before the reads
	if err != nil {
		r.errorf("cannot stat %s: %s", quote(src), errText(err))
		return
	}
	existing, err := os.Stat(dst)
	if err == nil {
		switch {
		case os.SameFile(st, existing):
			r.errorf("%s and %s are the same file", quote(src), quote(dst))
			return
		case existing.IsDir():
			r.errorf("cannot overwrite directory %s with non-directory", quote(dst))
			return
		case !existing.Mode().IsRegular():
			r.copyInPlace(in, src, dst, st)
			return
		}
	} else {
		existing = nil
	}
	// place is where the copy goes: dst, or the file a symbolic link dst points to, since cp
	// writes through a link to an existing file.
	place := dst
	if li, err := os.Lstat(dst); err == nil && li.Mode()&os.ModeSymlink != 0 {
		if existing == nil {
			r.errorf("not writing through dangling symlink %s", quote(dst))
			return
		}
		if place, err = filepath.EvalSymlinks(dst); err != nil {
			r.errorf("cannot create regular file %s: %s", quote(dst), errText(err))
			return
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(place), "."+filepath.Base(place)+".uring-cp-*")
	if err != nil {
		r.errorf("cannot create regular file %s: %s", quote(dst), errText(err))
		return
	}
	ok := false
	defer func() {
		if !ok { // failed or interrupted: nothing that looks like a copy stays behind
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if !r.moveData(in, tmp, src, dst, st) {
		return
	}
	if err := tmp.Chmod(r.mode(st, existing)); err != nil {
		r.errorf("setting permissions for %s: %s", quote(dst), errText(err))
		return
	}
	if r.o.preserve {
		r.preserve(tmp.Name(), st, false)
	}
	if r.o.fsync {
		if err := r.c.fsync(tmp); err != nil {
			r.errorf("error writing %s: %s", quote(dst), errText(err))
			return
		}
	}
	if err := tmp.Close(); err != nil {
		r.errorf("error writing %s: %s", quote(dst), errText(err))
		return
	}
	if err := os.Rename(tmp.Name(), place); err != nil {
		r.errorf("cannot create regular file %s: %s", quote(dst), errText(err))
		return
	}
	ok = true
	if r.o.fsync {
		syncPath(filepath.Dir(place))
	}
	r.verbose(src, dst)
}

// moveData copies the data of in to out, and sets out's size; it reports failures itself.
func (r *cpRun) moveData(in, out *os.File, src, dst string, st os.FileInfo) bool {
	size := st.Size()
	// A regular file is copied by its extents up to its size. One that says it is empty may
	// not be (the files of /proc and /sys): it is read to its end, as a pipe is. A block
	// device's size is where its end is.
	seekable := [2]bool{st.Mode().IsRegular() && size > 0, true}
	if st.Mode()&os.ModeDevice != 0 && st.Mode()&os.ModeCharDevice == 0 {
		if end, err := in.Seek(0, io.SeekEnd); err == nil {
			size, seekable[0] = end, true
		}
	}
	if ost, err := out.Stat(); err == nil && !ost.Mode().IsRegular() {
		seekable[1] = false
	}
	if !seekable[0] {
		size = -1
	}
	var progress func(int64)
	if r.tty && size >= progressMin {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(r.stderr),
			progressbar.OptionSetDescription(filepath.Base(src)),
			progressbar.OptionShowBytes(true),
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetWidth(30))
		defer bar.Close()
		progress = func(n int64) { bar.Add64(n) }
	}
	end, err := r.c.copy(r.ctx, in, out, size, seekable, progress)
	if err != nil {
		var ce *copyError
		switch {
		case r.ctx.Err() != nil:
		case errors.As(err, &ce) && ce.write:
			r.errorf("error writing %s: %s", quote(dst), errText(err))
		default:
			r.errorf("error reading %s: %s", quote(src), errText(err))
		}
		return false
	}
	if seekable[1] {
		if err := out.Truncate(end); err != nil {
			r.errorf("error writing %s: %s", quote(dst), errText(err))
			return false
		}
	}
	return true
}

// copyInPlace writes into an existing destination that is not a regular file.
func (r *cpRun) copyInPlace(in *os.File, src, dst string, st os.FileInfo) {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		r.errorf("cannot open %s for writing: %s", quote(dst), errText(err))
		return
	}
	defer out.Close()
	if r.moveData(in, out, src, dst, st) {
		r.verbose(src, dst)
	}
}

// copySymlink makes dst a symbolic link with src's target (under -r).
func (r *cpRun) copySymlink(src, dst string, st os.FileInfo) {
	target, err := os.Readlink(src)
	if err != nil {
		r.errorf("cannot read symbolic link %s: %s", quote(src), errText(err))
		return
	}
	r.placeNew(dst, func(tmp string) error { return os.Symlink(target, tmp) }, "cannot create symbolic link")
	if r.o.preserve {
		r.preserve(dst, st, true)
	}
	r.verbose(src, dst)
}

// copySpecial makes a fifo or device node like src (under -r).
func (r *cpRun) copySpecial(src, dst string, st os.FileInfo) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || st.Mode()&os.ModeSocket != 0 {
		r.errorf("cannot create special file %s: %s", quote(dst), "Operation not supported")
		return
	}
	mode := uint32(r.mode(st, nil)) | sys.Mode&unix.S_IFMT
	if !r.placeNew(dst, func(tmp string) error { return unix.Mknod(tmp, mode, int(sys.Rdev)) }, "cannot create special file") {
		return
	}
	if r.o.preserve {
		r.preserve(dst, st, false)
	}
	r.verbose(src, dst)
}

// placeNew makes a new entry with create under a temporary name beside dst and renames it into
// place, so an existing dst is replaced whole or not at all.
func (r *cpRun) placeNew(dst string, create func(tmp string) error, what string) bool {
	dir, base := filepath.Dir(dst), filepath.Base(dst)
	var tmp string
	var err error
	for range 100 {
		tmp = filepath.Join(dir, fmt.Sprintf(".%s.uring-cp-%d", base, time.Now().UnixNano()))
		if err = create(tmp); !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err == nil {
		if err = os.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
		}
	}
	if err != nil {
		r.errorf("%s %s: %s", what, quote(dst), errText(err))
		return false
	}
	return true
}

// syncPath fsyncs a directory, so that the names made in it are on disk (--fsync).
func syncPath(path string) {
	if f, err := os.Open(path); err == nil {
		f.Sync()
		f.Close()
	}
}
