package main

import (
	"bytes"
	"crypto/rand"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func writeRandom(t *testing.T, path string, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

func cpOK(t *testing.T, args ...string) {
	t.Helper()
	out, errOut, code := runEnv(t, nil, append([]string{"cp"}, args...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("uring cp %v: status %d, stderr %q, stdout %q", args, code, errOut, out)
	}
}

func sameContents(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Fatalf("%s (%d bytes) and %s (%d bytes) differ", a, len(x), b, len(y))
	}
}

// noTemps checks that no temporary file of uring cp is left in dir.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	names, _ := os.ReadDir(dir)
	for _, n := range names {
		if strings.Contains(n.Name(), ".uring-cp-") {
			t.Errorf("temporary file %s left in %s", n.Name(), dir)
		}
	}
}

func stat(t *testing.T, path string) *syscall.Stat_t {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return &st
}

func TestCpFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	for _, n := range []int{0, 1, 4095, 4096, 256<<10 + 7, 3<<20 + 12345} {
		writeRandom(t, src, n)
		os.Chmod(src, 0o751)
		cpOK(t, src, dst)
		sameContents(t, src, dst)
		if m := stat(t, dst).Mode & 0o7777; m != 0o751&^0o022 && m != 0o751 {
			t.Errorf("%d bytes: mode %o, want the source's 751 less the umask", n, m)
		}
		os.Remove(dst)
	}
	// Onto an existing file: replaced, keeping the destination's mode as GNU cp does.
	writeRandom(t, dst, 100)
	os.Chmod(dst, 0o600)
	cpOK(t, src, dst)
	sameContents(t, src, dst)
	if m := stat(t, dst).Mode & 0o777; m != 0o600 {
		t.Errorf("existing destination: mode %o, want its own 600", m)
	}
	// Through a symbolic link to an existing file, as GNU cp writes; not through a dangling one.
	target, link := filepath.Join(dir, "target"), filepath.Join(dir, "link")
	writeRandom(t, target, 10)
	os.Symlink("target", link)
	cpOK(t, src, link)
	sameContents(t, src, target)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	dangling := filepath.Join(dir, "dangling")
	os.Symlink("nowhere", dangling)
	if _, errOut, code := runEnv(t, nil, "cp", src, dangling); code != 1 || errOut != "cp: not writing through dangling symlink '"+dangling+"'\n" {
		t.Errorf("cp onto a dangling link: status %d, stderr %q", code, errOut)
	}
	// Into a directory, with a trailing slash, and several sources at once.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	other := filepath.Join(dir, "other")
	writeRandom(t, other, 5000)
	cpOK(t, src, other, sub+"/")
	sameContents(t, src, filepath.Join(sub, "src"))
	sameContents(t, other, filepath.Join(sub, "other"))
	noTemps(t, dir)
	noTemps(t, sub)
	// A source that is not a regular file: its contents.
	cpOK(t, "/dev/null", dst)
	if fi, _ := os.Stat(dst); fi.Size() != 0 {
		t.Errorf("cp /dev/null: %d bytes", fi.Size())
	}
	// A file of /proc, whose size says 0: its contents, read to the end.
	cpOK(t, "/proc/self/mountinfo", dst)
	if b, _ := os.ReadFile(dst); !bytes.Contains(b, []byte(" / ")) {
		t.Errorf("cp /proc/self/mountinfo: %q", b)
	}
}

func TestCpSparse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "sparse"), filepath.Join(dir, "copy")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 1<<20)
	rand.Read(data)
	for _, off := range []int64{0, 20 << 20, 41<<20 + 4096} {
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Truncate(64 << 20) // a hole at the end too
	f.Close()
	cpOK(t, src, dst)
	sameContents(t, src, dst)
	s, d := stat(t, src), stat(t, dst)
	if d.Size != 64<<20 {
		t.Errorf("copy is %d bytes, want %d", d.Size, 64<<20)
	}
	if d.Blocks > s.Blocks+64 || d.Blocks*512 > 8<<20 {
		t.Errorf("copy has %d blocks of 512 bytes, the source %d: holes not kept", d.Blocks, s.Blocks)
	}
	// A file that is all hole.
	os.Truncate(src, 0)
	os.Truncate(src, 10<<20)
	cpOK(t, src, dst)
	sameContents(t, src, dst)
	if d := stat(t, dst); d.Blocks != 0 || d.Size != 10<<20 {
		t.Errorf("copy of a hole: %d bytes, %d blocks; want 10 MiB and no blocks", d.Size, d.Blocks)
	}
}

func TestCpRecursive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "tree")
	for _, d := range []string{"tree/a/b/c", "tree/empty", "tree/d"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	for i, f := range []string{"tree/f1", "tree/a/f2", "tree/a/b/c/f3", "tree/d/f4"} {
		writeRandom(t, filepath.Join(dir, f), 1000*i+17)
	}
	os.Symlink("../f1", filepath.Join(src, "a", "link"))
	os.Chmod(filepath.Join(src, "d"), 0o750)
	os.Chmod(filepath.Join(src, "d", "f4"), 0o600)
	syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644)

	// Into a new name, then into an existing directory.
	cpOK(t, "-r", src, filepath.Join(dir, "copy"))
	into := filepath.Join(dir, "into")
	os.Mkdir(into, 0o755)
	cpOK(t, "-R", src, into)
	for _, dst := range []string{filepath.Join(dir, "copy"), filepath.Join(into, "tree")} {
		var n int
		filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(src, p)
			q := filepath.Join(dst, rel)
			si, di := stat(t, p), stat(t, q)
			if si.Mode&syscall.S_IFMT != di.Mode&syscall.S_IFMT {
				t.Errorf("%s: type %o, want %o", q, di.Mode&syscall.S_IFMT, si.Mode&syscall.S_IFMT)
			}
			switch si.Mode & syscall.S_IFMT {
			case syscall.S_IFREG:
				sameContents(t, p, q)
			case syscall.S_IFLNK:
				a, _ := os.Readlink(p)
				b, _ := os.Readlink(q)
				if a != b {
					t.Errorf("%s -> %q, want %q", q, b, a)
				}
			}
			if si.Mode&syscall.S_IFMT != syscall.S_IFLNK && di.Mode&0o777 != si.Mode&0o777&^0o022 {
				t.Errorf("%s: mode %o, want %o", q, di.Mode&0o777, si.Mode&0o777)
			}
			noTemps(t, filepath.Dir(q))
			n++
			return nil
		})
		if n != 12 {
			t.Errorf("walked %d entries, want 12", n)
		}
	}
}

func TestCpPreserve(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o700)
	file := filepath.Join(src, "f")
	writeRandom(t, file, 70000)
	os.Chmod(file, 0o640)
	mtime := time.Date(2001, 2, 3, 4, 5, 6, 789123456, time.UTC)
	atime := time.Date(2002, 1, 1, 0, 0, 0, 0, time.UTC)
	setTimes := func() { // reading the source moves its atime on
		os.Chtimes(file, atime, mtime)
		os.Chtimes(src, atime, mtime)
	}
	setTimes()
	cpOK(t, "-p", file, filepath.Join(dir, "fp"))
	setTimes()
	cpOK(t, "-rp", src, filepath.Join(dir, "dp"))
	cpOK(t, file, filepath.Join(dir, "plain"))
	for _, c := range []struct {
		path string
		mode uint32
	}{{"fp", 0o640}, {"dp/f", 0o640}, {"dp", 0o700}} {
		st := stat(t, filepath.Join(dir, c.path))
		if got := time.Unix(st.Mtim.Unix()); !got.Equal(mtime) {
			t.Errorf("%s: mtime %v, want %v", c.path, got, mtime)
		}
		if got := time.Unix(st.Atim.Unix()); !got.Equal(atime) {
			t.Errorf("%s: atime %v, want %v", c.path, got, atime)
		}
		if st.Mode&0o7777 != c.mode {
			t.Errorf("%s: mode %o, want %o", c.path, st.Mode&0o7777, c.mode)
		}
	}
	if st := stat(t, filepath.Join(dir, "plain")); time.Unix(st.Mtim.Unix()).Equal(mtime) {
		t.Errorf("without -p the copy keeps the source's mtime")
	}
}

func TestCpErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	writeRandom(t, a, 10000)
	d := filepath.Join(dir, "d")
	os.Mkdir(d, 0o755)
	os.Mkdir(filepath.Join(d, "sub"), 0o755)
	os.Mkdir(filepath.Join(d, "a"), 0o755)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuch", "x"}, "cp: cannot stat 'nosuch': No such file or directory\n"},
		{[]string{"d", "x"}, "cp: -r not specified; omitting directory 'd'\n"},
		{[]string{"a", "a"}, "cp: 'a' and 'a' are the same file\n"},
		{[]string{"a", "."}, "cp: 'a' and './a' are the same file\n"},
		{[]string{"a", "d"}, "cp: cannot overwrite directory 'd/a' with non-directory\n"},
		{[]string{"-r", "d", "a"}, "cp: cannot overwrite non-directory 'a' with directory 'd'\n"},
		{[]string{"-r", "d", "d/sub"}, "cp: cannot copy a directory, 'd', into itself, 'd/sub/d'\n"},
		{[]string{"a"}, "cp: missing destination file operand after 'a'\nTry 'uring cp --help' for more information.\n"},
		{[]string{}, "cp: missing file operand\nTry 'uring cp --help' for more information.\n"},
		{[]string{"a", "a", "nosuch"}, "cp: target 'nosuch': No such file or directory\n"},
		{[]string{"a", "d", "a"}, "cp: target 'a': Not a directory\n"},
		{[]string{"-x", "a", "b"}, "cp: invalid option -- 'x'\nTry 'uring cp --help' for more information.\n"},
		{[]string{"--bogus", "a", "b"}, "cp: unrecognized option '--bogus'\nTry 'uring cp --help' for more information.\n"},
		{[]string{"a", "/dev/full"}, "cp: error writing '/dev/full': No space left on device\n"},
		{[]string{"a", "a/x"}, "cp: cannot create regular file 'a/x': Not a directory\n"},
		{[]string{"a", "nosuchdir/x"}, "cp: cannot create regular file 'nosuchdir/x': No such file or directory\n"},
		{[]string{"nosuch", "a", "d/sub"}, "cp: cannot stat 'nosuch': No such file or directory\n"},
	} {
		cmd := exec.Command(uringBinary, append([]string{"cp"}, c.args...)...)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		exit, _ := err.(*exec.ExitError)
		if exit == nil || exit.ExitCode() != 1 || stderr.String() != c.want {
			t.Errorf("uring cp %v: %v, stderr %q; want status 1 and %q", c.args, err, stderr.String(), c.want)
		}
	}
	// The one good source of the last case was copied all the same, as GNU cp does.
	sameContents(t, a, filepath.Join(d, "sub", "a"))
	noTemps(t, dir)
	noTemps(t, d)
}

// A copy that fails part way leaves no destination that looks complete: a new one is not made,
// an existing one keeps its old contents.
func TestCpFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "big")
	writeRandom(t, src, 4<<20)
	old := []byte("the old contents\n")
	existing := filepath.Join(dir, "existing")
	os.WriteFile(existing, old, 0o644)
	for _, dst := range []string{filepath.Join(dir, "new"), existing} {
		// A file size limit of 1 MiB: writes past it fail with EFBIG.
		cmd := exec.Command("sh", "-c", `ulimit -f 2048 && exec "$0" cp "$1" "$2"`, uringBinary, src, dst)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		want := "cp: error writing '" + dst + "': File too large\n"
		if exit, _ := err.(*exec.ExitError); exit == nil || exit.ExitCode() != 1 || stderr.String() != want {
			t.Errorf("copy past the file size limit: %v, stderr %q; want status 1 and %q", err, stderr.String(), want)
		}
	}
	// A source that fails on its first read: /proc/self/mem at address 0.
	out := filepath.Join(dir, "new")
	if _, errOut, code := runEnv(t, nil, "cp", "/proc/self/mem", out); code != 1 ||
		errOut != "cp: error reading '/proc/self/mem': Input/output error\n" {
		t.Errorf("copy of a source that fails to read: status %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("failed copy: the new destination exists (%v)", err)
	}
	if b, _ := os.ReadFile(existing); !bytes.Equal(b, old) {
		t.Errorf("failed copy: the existing destination holds %d bytes, want its old contents", len(b))
	}
	noTemps(t, dir)
}

// An interrupt (Ctrl-C) stops a copy and removes its temporary file, even while a read waits
// on a source that does not answer.
func TestCpInterrupt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo, dst := filepath.Join(dir, "fifo"), filepath.Join(dir, "dst")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(uringBinary, "cp", fifo, dst)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for cp to open it
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write(bytes.Repeat([]byte("x"), 100000))
	deadline := time.Now().Add(10 * time.Second)
	for !hasTemp(dir) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	if exit, _ := err.(*exec.ExitError); exit == nil || exit.ExitCode() != 130 || stderr.String() != "cp: interrupted\n" {
		t.Errorf("interrupted cp: %v, stderr %q; want status 130", err, stderr.String())
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("interrupted cp: the destination exists (%v)", err)
	}
	noTemps(t, dir)
}

func hasTemp(dir string) bool {
	names, _ := os.ReadDir(dir)
	for _, n := range names {
		if strings.Contains(n.Name(), ".uring-cp-") {
			return true
		}
	}
	return false
}

func TestCpFsyncAndVerbose(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	writeRandom(t, src, 300000)
	out, errOut, code := runEnv(t, nil, "cp", "--fsync", "-v", src, dst)
	if code != 0 || errOut != "" || out != "'"+src+"' -> '"+dst+"'\n" {
		t.Fatalf("uring cp --fsync -v: status %d, stdout %q, stderr %q", code, out, errOut)
	}
	sameContents(t, src, dst)
	for _, tuning := range [][]string{{"--chunk=4k", "--inflight=1"}, {"--chunk", "1m", "--inflight", "3", "--reads=1", "--async=false"}} {
		os.Remove(dst)
		cpOK(t, append(tuning, src, dst)...)
		sameContents(t, src, dst)
	}
	if _, errOut, code := runEnv(t, nil, "cp", "--chunk=5", src, dst); code != 1 || !strings.Contains(errOut, "invalid --chunk '5'") {
		t.Errorf("uring cp --chunk=5: status %d, stderr %q", code, errOut)
	}
}

// TestCpSplice copies through pipes with IORING_OP_SPLICE instead of buffers: the same bytes,
// and the same holes.
func TestCpSplice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	for _, n := range []int{1, 4096, 1<<20 + 3, 5<<20 + 12345} {
		writeRandom(t, src, n)
		cpOK(t, "--splice=true", "--chunk=1m", "--inflight=4", src, dst)
		sameContents(t, src, dst)
		os.Remove(dst)
	}
	if _, errOut, code := runEnv(t, nil, "cp", "--splice=maybe", src, dst); code == 0 || !strings.Contains(errOut, "--splice") {
		t.Errorf("--splice=maybe: status %d, stderr %q", code, errOut)
	}
	noTemps(t, dir)
}

// TestCpDirect copies with O_DIRECT reads: sizes that end mid-block, a sparse source whose
// holes stay holes, with the default direct geometry and with a chunk of the caller's.
func TestCpDirect(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	for _, n := range []int{1, 4096, 4<<20 + 3, 9<<20 + 12345} {
		writeRandom(t, src, n)
		for _, args := range [][]string{{"--direct=true"}, {"--direct=true", "--chunk=64k", "--inflight=3"}, {"--direct=auto"}} {
			cpOK(t, append(args, src, dst)...)
			sameContents(t, src, dst)
			os.Remove(dst)
		}
	}
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 1<<20)
	rand.Read(data)
	for _, off := range []int64{4096, 20 << 20} {
		f.WriteAt(data, off)
	}
	f.Truncate(30<<20 + 7)
	f.Close()
	cpOK(t, "--direct=true", src, dst)
	sameContents(t, src, dst)
	if s, d := stat(t, src), stat(t, dst); d.Blocks > s.Blocks+64 {
		t.Errorf("copy has %d blocks of 512 bytes, the source %d: holes not kept", d.Blocks, s.Blocks)
	}
	if _, errOut, code := runEnv(t, nil, "cp", "--direct=maybe", src, dst); code == 0 || !strings.Contains(errOut, "invalid --direct 'maybe': auto, true or false") {
		t.Errorf("--direct=maybe: status %d, stderr %q", code, errOut)
	}
	noTemps(t, dir)
}

// TestDirectAlign checks the choice between direct and buffered reads on this machine's file
// system, which supports direct I/O: on when asked for, off when asked, and with auto off for
// a source in the page cache and on for one that is not.
func TestDirectAlign(t *testing.T) {
	path := filepath.Join(t.TempDir(), "src")
	writeRandom(t, path, 16<<20) // written, so in the page cache
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_DIOALIGN, &stx); err != nil || stx.Dio_offset_align == 0 {
		t.Skipf("the file system of %s offers no direct I/O (statx STATX_DIOALIGN: %v)", path, err)
	}
	open := func() *os.File {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	c := &copier{chunk: 256 << 10, directChunk: directChunkDefault}
	for _, want := range []struct {
		mode   directMode
		direct bool
	}{{directOn, true}, {directOff, false}, {directAuto, false}} {
		c.direct = want.mode
		if got := c.directAlign(int(open().Fd()), 16<<20) > 0; got != want.direct {
			t.Errorf("mode %d on a cached file: direct %v, want %v", want.mode, got, want.direct)
		}
	}
	// Out of the page cache: written back, then dropped (POSIX_FADV_DONTNEED drops clean pages).
	f := open()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	c.direct = directAuto
	g := open()
	if got := c.directAlign(int(g.Fd()), 16<<20); got == 0 {
		t.Errorf("auto on a file out of the page cache: buffered reads, want direct")
	}
	if fl, _ := unix.FcntlInt(g.Fd(), unix.F_GETFL, 0); fl&unix.O_DIRECT == 0 {
		t.Errorf("direct reads chosen but O_DIRECT not set on the fd")
	}
	c.direct = directAuto
	if got := c.directAlign(int(open().Fd()), directMin-1); got != 0 {
		t.Errorf("auto on a file under %d bytes: direct reads", directMin)
	}
}
