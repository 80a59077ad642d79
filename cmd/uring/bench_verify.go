package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Verifiable blocks (--verify=crc32c). Every block a verifying run writes starts with a header
// that names the block, and a checksum over the whole block:
//
//	[0:8)   magic "uringvfy"
//	[8:16)  the block's offset in the file, little endian
//	[16:20) the block size
//	[20:24) CRC-32C of bytes [0:20) and [24:bs)
//	[24:32) a sequence number, so that rewrites of a block differ
//	[32:bs) payload: the job's random bytes
//
// A block read back must carry the magic, its own offset and size, and a matching checksum: that
// catches torn, misplaced, stale and corrupted writes. As in fio, the blocks written by a run
// with writes are read back and checked when it ends; a read-only run with --verify checks every
// block it reads (a file written earlier by a verifying run), and --verify_only checks every
// block of the region without running the workload.

const (
	verifyMagic  = "uringvfy"
	verifyHeader = 32
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type verifier struct {
	bs   int64
	seed uint64 // the sequence numbers' start
}

// stamp turns buf (one block, its payload already random) into a verifiable block at off.
func (v *verifier) stamp(buf []byte, off int64) {
	copy(buf[0:8], verifyMagic)
	binary.LittleEndian.PutUint64(buf[8:16], uint64(off))
	binary.LittleEndian.PutUint32(buf[16:20], uint32(len(buf)))
	v.seed++
	binary.LittleEndian.PutUint64(buf[24:32], v.seed)
	binary.LittleEndian.PutUint32(buf[20:24], blockSum(buf))
}

func blockSum(buf []byte) uint32 {
	c := crc32.Update(0, castagnoli, buf[:20])
	return crc32.Update(c, castagnoli, buf[24:])
}

// verifyError is a block that does not check out. The bench exits with status 1.
type verifyError struct {
	file string
	off  int64
	why  string
}

func (e *verifyError) Error() string {
	return fmt.Sprintf("verify: %s: block at offset %d: %s", e.file, e.off, e.why)
}

// check verifies that buf holds the block written at off.
func (v *verifier) check(buf []byte, off int64, file string) error {
	bad := func(format string, args ...any) error {
		return &verifyError{file: file, off: off, why: fmt.Sprintf(format, args...)}
	}
	if string(buf[0:8]) != verifyMagic {
		return bad("no verify header (bad magic %q): not written by a --verify run, or overwritten", buf[0:8])
	}
	if got := int64(binary.LittleEndian.Uint64(buf[8:16])); got != off {
		return bad("header names offset %d: misplaced write", got)
	}
	if got := binary.LittleEndian.Uint32(buf[16:20]); int64(got) != int64(len(buf)) {
		return bad("written with bs=%d, read with bs=%d", got, len(buf))
	}
	if want, got := binary.LittleEndian.Uint32(buf[20:24]), blockSum(buf); want != got {
		return bad("crc32c mismatch: header says %08x, data gives %08x", want, got)
	}
	return nil
}

// verifyResult is what the read-back checked.
type verifyResult struct {
	Blocks int64 `json:"blocks"`
	Errors int64 `json:"errors"`
}

// verifyBlocks reads back the blocks of the region that written marks (every block when
// written is nil) and checks each. It stops at the first bad block and returns it as the error.
func verifyBlocks(ctx context.Context, o *benchOptions, t *target, written []uint64) (verifyResult, error) {
	var res verifyResult
	f, err := t.open(o)
	if err != nil {
		return res, err
	}
	defer f.Close()
	nblocks := t.size / o.bs
	per := max(1, (1<<20)/o.bs) // blocks per read: about 1 MiB
	buf, free, err := alignedBuf(int(per * o.bs))
	if err != nil {
		return res, err
	}
	defer free()
	v := verifier{bs: o.bs}
	isSet := func(b int64) bool { return written == nil || written[b/64]&(1<<(b%64)) != 0 }
	for b := int64(0); b < nblocks; {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if !isSet(b) {
			b++
			continue
		}
		n := int64(1)
		for n < per && b+n < nblocks && isSet(b+n) {
			n++
		}
		chunk := buf[:n*o.bs]
		if _, err := f.ReadAt(chunk, b*o.bs); err != nil {
			return res, fmt.Errorf("verify: read at offset %d: %w", b*o.bs, err)
		}
		for i := int64(0); i < n; i++ {
			res.Blocks++
			if err := v.check(chunk[i*o.bs:(i+1)*o.bs], (b+i)*o.bs, t.name); err != nil {
				res.Errors++
				return res, err
			}
		}
		b += n
	}
	return res, nil
}

// mergeWritten ORs the jobs' bitmaps of written blocks.
func mergeWritten(jobs []*job) []uint64 {
	var all []uint64
	for _, j := range jobs {
		if all == nil {
			all = make([]uint64, len(j.written))
		}
		for i, w := range j.written {
			all[i] |= w
		}
	}
	return all
}
