package file

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The differential test: the same random sequence of operations on an *os.File and on a
// *File, comparing every result, every error (its type, Op and cause), the file positions and
// the files' contents.

// sameErr reports whether two errors say the same thing, allowing for the two paths.
func sameErr(a, b error, pathA, pathB string) bool {
	if a == nil || b == nil {
		return a == b
	}
	var pa, pb *fs.PathError
	if errors.As(a, &pa) != errors.As(b, &pb) {
		return false
	}
	if pa != nil {
		return pa.Op == pb.Op && pa.Path == pathA && pb.Path == pathB && pa.Err.Error() == pb.Err.Error() &&
			errors.Is(pa.Err, os.ErrClosed) == errors.Is(pb.Err, os.ErrClosed)
	}
	return a.Error() == b.Error() && (a == io.EOF) == (b == io.EOF)
}

type differ struct {
	t      *testing.T
	rng    *rand.Rand
	o      *os.File
	f      *File
	closed bool
	log    []string
	errs   map[string]int // errors seen, by kind: the test must exercise the error paths
}

func (d *differ) fail(format string, args ...any) {
	d.t.Helper()
	last := d.log[max(0, len(d.log)-10):]
	d.t.Fatalf("after %d ops (last: %q): %s", len(d.log), last, fmt.Sprintf(format, args...))
}

func (d *differ) same(what string, n1, n2 int64, e1, e2 error) {
	d.t.Helper()
	if n1 != n2 || !sameErr(e1, e2, d.o.Name(), d.f.Name()) {
		d.fail("%s: os gave %d, %v; File gave %d, %v", what, n1, e1, n2, e2)
	}
	if e1 != nil {
		d.errs[fmt.Sprintf("%s: %v", what, errors.Unwrap(e1))]++
	}
}

func (d *differ) data(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(d.rng.Uint32())
	}
	return b
}

// size picks a length: often small, sometimes 0, sometimes several pages.
func (d *differ) size() int {
	switch d.rng.IntN(6) {
	case 0:
		return 0
	case 1:
		return 1 + d.rng.IntN(20000)
	}
	return 1 + d.rng.IntN(600)
}

func (d *differ) offset() int64 {
	fi, err := d.o.Stat()
	end := int64(0)
	if err == nil {
		end = fi.Size()
	}
	switch d.rng.IntN(10) {
	case 0:
		return -1 - d.rng.Int64N(10)
	case 1:
		return end + d.rng.Int64N(5000)
	}
	return d.rng.Int64N(end + 100)
}

func (d *differ) step() {
	d.t.Helper()
	switch op := d.rng.IntN(14); op {
	case 0, 1:
		n := d.size()
		b1, b2 := make([]byte, n), make([]byte, n)
		n1, e1 := d.o.Read(b1)
		n2, e2 := d.f.Read(b2)
		d.log = append(d.log, fmt.Sprintf("Read(%d)", n))
		d.same("Read", int64(n1), int64(n2), e1, e2)
		if !bytes.Equal(b1[:n1], b2[:n2]) {
			d.fail("Read read other bytes")
		}
	case 2, 3:
		n, off := d.size(), d.offset()
		b1, b2 := make([]byte, n), make([]byte, n)
		n1, e1 := d.o.ReadAt(b1, off)
		n2, e2 := d.f.ReadAt(b2, off)
		d.log = append(d.log, fmt.Sprintf("ReadAt(%d, %d)", n, off))
		d.same("ReadAt", int64(n1), int64(n2), e1, e2)
		if !bytes.Equal(b1[:n1], b2[:n2]) {
			d.fail("ReadAt read other bytes")
		}
	case 4, 5:
		b := d.data(d.size())
		n1, e1 := d.o.Write(b)
		n2, e2 := d.f.Write(b)
		d.log = append(d.log, fmt.Sprintf("Write(%d)", len(b)))
		d.same("Write", int64(n1), int64(n2), e1, e2)
	case 6, 7:
		b, off := d.data(d.size()), d.offset()
		n1, e1 := d.o.WriteAt(b, off)
		n2, e2 := d.f.WriteAt(b, off)
		d.log = append(d.log, fmt.Sprintf("WriteAt(%d, %d)", len(b), off))
		d.same("WriteAt", int64(n1), int64(n2), e1, e2)
	case 8:
		whence := d.rng.IntN(4) // 3 is invalid
		off := d.rng.Int64N(20000) - 2000
		n1, e1 := d.o.Seek(off, whence)
		n2, e2 := d.f.Seek(off, whence)
		d.log = append(d.log, fmt.Sprintf("Seek(%d, %d)", off, whence))
		d.same("Seek", n1, n2, e1, e2)
	case 9:
		size := d.rng.Int64N(30000) - 100
		e1, e2 := d.o.Truncate(size), d.f.Truncate(size)
		d.log = append(d.log, fmt.Sprintf("Truncate(%d)", size))
		d.same("Truncate", 0, 0, e1, e2)
	case 10:
		e1, e2 := d.o.Sync(), d.f.Sync()
		d.log = append(d.log, "Sync")
		d.same("Sync", 0, 0, e1, e2)
	case 11:
		fi1, e1 := d.o.Stat()
		fi2, e2 := d.f.Stat()
		d.log = append(d.log, "Stat")
		d.same("Stat", 0, 0, e1, e2)
		if e1 == nil && (fi1.Name() != fi2.Name() || fi1.Size() != fi2.Size() || fi1.Mode() != fi2.Mode() || fi1.IsDir() != fi2.IsDir()) {
			d.fail("Stat: os %v %d %v, File %v %d %v", fi1.Name(), fi1.Size(), fi1.Mode(), fi2.Name(), fi2.Size(), fi2.Mode())
		}
	case 12:
		s := string(d.data(d.rng.IntN(100)))
		n1, e1 := d.o.WriteString(s)
		n2, e2 := d.f.WriteString(s)
		d.log = append(d.log, "WriteString")
		d.same("WriteString", int64(n1), int64(n2), e1, e2)
	case 13:
		d.vectored()
	}
}

// vectored compares ReadAtv and WriteAtv with os's ReadAt and WriteAt of the same bytes.
func (d *differ) vectored() {
	var bufs [][]byte
	total := 0
	for i := d.rng.IntN(5); i >= 0; i-- {
		b := d.data(d.rng.IntN(3000))
		bufs = append(bufs, b)
		total += len(b)
	}
	off := d.offset()
	if d.rng.IntN(2) == 0 {
		flat := bytes.Join(bufs, nil)
		n1, e1 := d.o.WriteAt(flat, off)
		n2, e2 := d.f.WriteAtv(bufs, off)
		d.log = append(d.log, fmt.Sprintf("WriteAtv(%d, %d)", total, off))
		d.same("WriteAtv", int64(n1), int64(n2), e1, e2)
		return
	}
	flat := make([]byte, total)
	n1, e1 := d.o.ReadAt(flat, off)
	for _, b := range bufs {
		clear(b)
	}
	n2, e2 := d.f.ReadAtv(bufs, off)
	d.log = append(d.log, fmt.Sprintf("ReadAtv(%d, %d)", total, off))
	d.same("ReadAtv", int64(n1), int64(n2), e1, e2)
	if got := bytes.Join(bufs, nil); !bytes.Equal(flat[:n1], got[:n2]) {
		d.fail("ReadAtv read other bytes")
	}
}

// check compares the positions and the contents of the two files.
func (d *differ) check() {
	d.t.Helper()
	if !d.closed {
		p1, e1 := d.o.Seek(0, io.SeekCurrent)
		p2, e2 := d.f.Seek(0, io.SeekCurrent)
		d.same("position", p1, p2, e1, e2)
	}
	c1, err := os.ReadFile(d.o.Name())
	if err != nil {
		d.t.Fatal(err)
	}
	c2, err := os.ReadFile(d.f.Name())
	if err != nil {
		d.t.Fatal(err)
	}
	if !bytes.Equal(c1, c2) {
		d.fail("contents differ: os %d bytes, File %d bytes", len(c1), len(c2))
	}
}

func TestDifferential(t *testing.T) {
	for _, c := range []struct {
		name string
		flag int
		perm os.FileMode
	}{
		{"rdwr", os.O_RDWR | os.O_CREATE, 0o644},
		{"append", os.O_RDWR | os.O_CREATE | os.O_APPEND, 0o600},
		{"wronly", os.O_WRONLY | os.O_CREATE | os.O_TRUNC, 0o640},
		{"rdonly", os.O_RDONLY, 0},
		{"wronly-append", os.O_WRONLY | os.O_APPEND, 0},
	} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/seed=%d", c.name, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, uint64(c.flag)))
				dirA, dirB := t.TempDir(), t.TempDir()
				initial := make([]byte, rng.IntN(50000))
				for i := range initial {
					initial[i] = byte(rng.Uint32())
				}
				for _, dir := range []string{dirA, dirB} {
					if err := os.WriteFile(filepath.Join(dir, "f"), initial, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				o, e1 := os.OpenFile(filepath.Join(dirA, "f"), c.flag, c.perm)
				f, e2 := OpenFile(filepath.Join(dirB, "f"), c.flag, c.perm)
				if e1 != nil || e2 != nil {
					t.Fatalf("open: %v, %v", e1, e2)
				}
				defer o.Close()
				d := &differ{t: t, rng: rng, o: o, f: f, errs: map[string]int{}}
				const ops = 1500
				for i := 0; i < ops; i++ {
					d.step()
					if i%50 == 49 {
						d.check()
					}
				}
				d.check()
				e1, e2 = o.Close(), f.Close()
				d.log = append(d.log, "Close")
				d.same("Close", 0, 0, e1, e2)
				d.closed = true
				for i := 0; i < 40; i++ { // everything fails the same way after Close
					d.step()
				}
				e1, e2 = o.Close(), f.Close()
				d.same("second Close", 0, 0, e1, e2)
				d.check()
				if len(d.errs) < 5 {
					t.Errorf("only %d kinds of error seen: %v", len(d.errs), d.errs)
				}
				t.Logf("errors compared: %v", d.errs)
			})
		}
	}
}

// TestOpenErrors compares the errors of opening.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "exists")
	if err := os.WriteFile(existing, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		flag int
	}{
		{filepath.Join(dir, "missing"), os.O_RDONLY},
		{existing, os.O_RDWR | os.O_CREATE | os.O_EXCL},
		{filepath.Join(dir, "missing", "deeper"), os.O_RDWR | os.O_CREATE},
		{dir, os.O_RDWR},
		{"bad\x00name", os.O_RDONLY},
		{existing + "/", os.O_RDONLY},
	} {
		o, e1 := os.OpenFile(c.name, c.flag, 0o600)
		f, e2 := OpenFile(c.name, c.flag, 0o600)
		if o != nil {
			o.Close()
		}
		if f != nil {
			f.Close()
		}
		if (o == nil) != (f == nil) || !sameErr(e1, e2, c.name, c.name) {
			t.Errorf("OpenFile(%q, %#x): os %v, File %v", c.name, c.flag, e1, e2)
		}
	}
	// Create and the permission bits.
	f, err := Create(filepath.Join(dir, "new"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o, err := os.Create(filepath.Join(dir, "new-os"))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	fi1, _ := o.Stat()
	fi2, _ := f.Stat()
	if fi1.Mode() != fi2.Mode() {
		t.Errorf("Create: mode %v, os's %v", fi2.Mode(), fi1.Mode())
	}
	// Setuid, setgid and sticky bits, as os passes them.
	for _, perm := range []os.FileMode{0o755 | os.ModeSetgid, 0o700 | os.ModeSticky, 0o750 | os.ModeSetuid} {
		name := filepath.Join(dir, fmt.Sprint("perm", uint32(perm)))
		f, err := OpenFile(name, os.O_RDWR|os.O_CREATE, perm)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := f.Stat()
		f.Close()
		want, _ := os.Stat(name)
		if err != nil || fi.Mode() != want.Mode() || fi.Mode()&os.ModePerm != perm&os.ModePerm {
			t.Errorf("OpenFile(%v): Stat %v, %v; os.Stat %v", perm, fi.Mode(), err, want.Mode())
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Size != 0 || st.Nlink != 1 {
			t.Errorf("Stat().Sys(): %T %+v", fi.Sys(), fi.Sys())
		}
	}
}
