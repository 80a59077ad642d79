package abi

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// field names a C member and the offset the Go struct gives it.
type field struct {
	c      string
	offset uintptr
}

// layout is one kernel structure: its C name, the size of the Go type, and its members.
type layout struct {
	c      string
	size   uintptr
	fields []field
}

func f(c string, off uintptr) field { return field{c, off} }

// headerLayouts are the structures that the machine's <linux/io_uring.h> (Debian's
// linux-libc-dev, 6.1 on the development machines) already has. Fields added since are
// listed in newerLayouts instead.
func headerLayouts() []layout {
	var sqe SQE
	var cqe CQE
	var sqo SQRingOffsets
	var cqo CQRingOffsets
	var p Params
	var ga GeteventsArg
	var fu FilesUpdate
	var rr RsrcRegister
	var ru RsrcUpdate
	var ru2 RsrcUpdate2
	var po ProbeOp
	var pr Probe
	var rs Restriction
	var b Buf
	var br BufReg
	var sc SyncCancelReg
	var fir FileIndexRange
	var ro RecvmsgOut
	var fw FutexWaitv
	var ts KernelTimespec
	return []layout{
		{"struct io_uring_sqe", unsafe.Sizeof(sqe), []field{
			f("opcode", unsafe.Offsetof(sqe.Opcode)),
			f("flags", unsafe.Offsetof(sqe.Flags)),
			f("ioprio", unsafe.Offsetof(sqe.Ioprio)),
			f("fd", unsafe.Offsetof(sqe.Fd)),
			f("off", unsafe.Offsetof(sqe.Off)),
			f("addr2", unsafe.Offsetof(sqe.Off)),
			f("cmd_op", unsafe.Offsetof(sqe.Off)),
			f("addr", unsafe.Offsetof(sqe.Addr)),
			f("splice_off_in", unsafe.Offsetof(sqe.Addr)),
			f("len", unsafe.Offsetof(sqe.Len)),
			f("rw_flags", unsafe.Offsetof(sqe.OpFlags)),
			f("fsync_flags", unsafe.Offsetof(sqe.OpFlags)),
			f("poll32_events", unsafe.Offsetof(sqe.OpFlags)),
			f("timeout_flags", unsafe.Offsetof(sqe.OpFlags)),
			f("cancel_flags", unsafe.Offsetof(sqe.OpFlags)),
			f("msg_ring_flags", unsafe.Offsetof(sqe.OpFlags)),
			f("uring_cmd_flags", unsafe.Offsetof(sqe.OpFlags)),
			f("user_data", unsafe.Offsetof(sqe.UserData)),
			f("buf_index", unsafe.Offsetof(sqe.BufIndex)),
			f("buf_group", unsafe.Offsetof(sqe.BufIndex)),
			f("personality", unsafe.Offsetof(sqe.Personality)),
			f("splice_fd_in", unsafe.Offsetof(sqe.FileIndex)),
			f("file_index", unsafe.Offsetof(sqe.FileIndex)),
			f("addr3", unsafe.Offsetof(sqe.Addr3)),
			f("__pad2", unsafe.Offsetof(sqe.Pad2)),
			f("cmd", unsafe.Offsetof(sqe.Addr3)),
		}},
		{"struct io_uring_cqe", unsafe.Sizeof(cqe), []field{
			f("user_data", unsafe.Offsetof(cqe.UserData)),
			f("res", unsafe.Offsetof(cqe.Res)),
			f("flags", unsafe.Offsetof(cqe.Flags)),
			f("big_cqe", unsafe.Sizeof(cqe)),
		}},
		{"struct io_sqring_offsets", unsafe.Sizeof(sqo), []field{
			f("head", unsafe.Offsetof(sqo.Head)),
			f("tail", unsafe.Offsetof(sqo.Tail)),
			f("ring_mask", unsafe.Offsetof(sqo.RingMask)),
			f("ring_entries", unsafe.Offsetof(sqo.RingEntries)),
			f("flags", unsafe.Offsetof(sqo.Flags)),
			f("dropped", unsafe.Offsetof(sqo.Dropped)),
			f("array", unsafe.Offsetof(sqo.Array)),
			f("resv1", unsafe.Offsetof(sqo.Resv1)),
		}},
		{"struct io_cqring_offsets", unsafe.Sizeof(cqo), []field{
			f("head", unsafe.Offsetof(cqo.Head)),
			f("tail", unsafe.Offsetof(cqo.Tail)),
			f("ring_mask", unsafe.Offsetof(cqo.RingMask)),
			f("ring_entries", unsafe.Offsetof(cqo.RingEntries)),
			f("overflow", unsafe.Offsetof(cqo.Overflow)),
			f("cqes", unsafe.Offsetof(cqo.Cqes)),
			f("flags", unsafe.Offsetof(cqo.Flags)),
			f("resv1", unsafe.Offsetof(cqo.Resv1)),
		}},
		{"struct io_uring_params", unsafe.Sizeof(p), []field{
			f("sq_entries", unsafe.Offsetof(p.SQEntries)),
			f("cq_entries", unsafe.Offsetof(p.CQEntries)),
			f("flags", unsafe.Offsetof(p.Flags)),
			f("sq_thread_cpu", unsafe.Offsetof(p.SQThreadCPU)),
			f("sq_thread_idle", unsafe.Offsetof(p.SQThreadIdle)),
			f("features", unsafe.Offsetof(p.Features)),
			f("wq_fd", unsafe.Offsetof(p.WQFd)),
			f("resv", unsafe.Offsetof(p.Resv)),
			f("sq_off", unsafe.Offsetof(p.SQOff)),
			f("cq_off", unsafe.Offsetof(p.CQOff)),
		}},
		{"struct io_uring_getevents_arg", unsafe.Sizeof(ga), []field{
			f("sigmask", unsafe.Offsetof(ga.Sigmask)),
			f("sigmask_sz", unsafe.Offsetof(ga.SigmaskSz)),
			f("pad", unsafe.Offsetof(ga.MinWaitUsec)),
			f("ts", unsafe.Offsetof(ga.Ts)),
		}},
		{"struct io_uring_files_update", unsafe.Sizeof(fu), []field{
			f("offset", unsafe.Offsetof(fu.Offset)),
			f("resv", unsafe.Offsetof(fu.Resv)),
			f("fds", unsafe.Offsetof(fu.Fds)),
		}},
		{"struct io_uring_rsrc_register", unsafe.Sizeof(rr), []field{
			f("nr", unsafe.Offsetof(rr.Nr)),
			f("flags", unsafe.Offsetof(rr.Flags)),
			f("resv2", unsafe.Offsetof(rr.Resv2)),
			f("data", unsafe.Offsetof(rr.Data)),
			f("tags", unsafe.Offsetof(rr.Tags)),
		}},
		{"struct io_uring_rsrc_update", unsafe.Sizeof(ru), []field{
			f("offset", unsafe.Offsetof(ru.Offset)),
			f("resv", unsafe.Offsetof(ru.Resv)),
			f("data", unsafe.Offsetof(ru.Data)),
		}},
		{"struct io_uring_rsrc_update2", unsafe.Sizeof(ru2), []field{
			f("offset", unsafe.Offsetof(ru2.Offset)),
			f("resv", unsafe.Offsetof(ru2.Resv)),
			f("data", unsafe.Offsetof(ru2.Data)),
			f("tags", unsafe.Offsetof(ru2.Tags)),
			f("nr", unsafe.Offsetof(ru2.Nr)),
			f("resv2", unsafe.Offsetof(ru2.Resv2)),
		}},
		{"struct io_uring_probe_op", unsafe.Sizeof(po), []field{
			f("op", unsafe.Offsetof(po.Op)),
			f("resv", unsafe.Offsetof(po.Resv)),
			f("flags", unsafe.Offsetof(po.Flags)),
			f("resv2", unsafe.Offsetof(po.Resv2)),
		}},
		{"struct io_uring_probe", ProbeHeaderSize, []field{
			f("last_op", unsafe.Offsetof(pr.LastOp)),
			f("ops_len", unsafe.Offsetof(pr.OpsLen)),
			f("resv", unsafe.Offsetof(pr.Resv)),
			f("resv2", unsafe.Offsetof(pr.Resv2)),
			f("ops", unsafe.Offsetof(pr.Ops)),
		}},
		{"struct io_uring_restriction", unsafe.Sizeof(rs), []field{
			f("opcode", unsafe.Offsetof(rs.Opcode)),
			f("register_op", unsafe.Offsetof(rs.Arg)),
			f("sqe_op", unsafe.Offsetof(rs.Arg)),
			f("sqe_flags", unsafe.Offsetof(rs.Arg)),
			f("resv", unsafe.Offsetof(rs.Resv)),
			f("resv2", unsafe.Offsetof(rs.Resv2)),
		}},
		{"struct io_uring_buf", unsafe.Sizeof(b), []field{
			f("addr", unsafe.Offsetof(b.Addr)),
			f("len", unsafe.Offsetof(b.Len)),
			f("bid", unsafe.Offsetof(b.Bid)),
			f("resv", unsafe.Offsetof(b.Resv)),
		}},
		{"struct io_uring_buf_ring", unsafe.Sizeof(b), []field{
			f("tail", BufRingTailOffset),
			f("bufs", 0),
		}},
		{"struct io_uring_buf_reg", unsafe.Sizeof(br), []field{
			f("ring_addr", unsafe.Offsetof(br.RingAddr)),
			f("ring_entries", unsafe.Offsetof(br.RingEntries)),
			f("bgid", unsafe.Offsetof(br.Bgid)),
			f("pad", unsafe.Offsetof(br.Flags)),
			f("resv", unsafe.Offsetof(br.MinLeft)),
		}},
		{"struct io_uring_sync_cancel_reg", unsafe.Sizeof(sc), []field{
			f("addr", unsafe.Offsetof(sc.Addr)),
			f("fd", unsafe.Offsetof(sc.Fd)),
			f("flags", unsafe.Offsetof(sc.Flags)),
			f("timeout", unsafe.Offsetof(sc.Timeout)),
			f("pad", unsafe.Offsetof(sc.Opcode)),
		}},
		{"struct io_uring_file_index_range", unsafe.Sizeof(fir), []field{
			f("off", unsafe.Offsetof(fir.Off)),
			f("len", unsafe.Offsetof(fir.Len)),
			f("resv", unsafe.Offsetof(fir.Resv)),
		}},
		{"struct io_uring_recvmsg_out", unsafe.Sizeof(ro), []field{
			f("namelen", unsafe.Offsetof(ro.Namelen)),
			f("controllen", unsafe.Offsetof(ro.Controllen)),
			f("payloadlen", unsafe.Offsetof(ro.Payloadlen)),
			f("flags", unsafe.Offsetof(ro.Flags)),
		}},
		{"struct futex_waitv", unsafe.Sizeof(fw), []field{
			f("val", unsafe.Offsetof(fw.Val)),
			f("uaddr", unsafe.Offsetof(fw.Uaddr)),
			f("flags", unsafe.Offsetof(fw.Flags)),
			f("__reserved", unsafe.Offsetof(fw.Reserved)),
		}},
		{"struct __kernel_timespec", unsafe.Sizeof(ts), []field{
			f("tv_sec", unsafe.Offsetof(ts.Sec)),
			f("tv_nsec", unsafe.Offsetof(ts.Nsec)),
		}},
	}
}

// TestLayoutAgainstKernelHeaders compiles a C program against the machine's kernel headers that
// prints the size and the offset of every member listed in headerLayouts, and compares.
func TestLayoutAgainstKernelHeaders(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Fatalf("a C compiler is needed to check the ABI against <linux/io_uring.h>: %v", err)
	}
	layouts := headerLayouts()
	var src strings.Builder
	src.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include <linux/io_uring.h>\n#include <linux/futex.h>\n#include <linux/time_types.h>\nint main(void) {\n")
	for _, l := range layouts {
		fmt.Fprintf(&src, "\tprintf(\"%s|sizeof %%zu\\n\", sizeof(%s));\n", l.c, l.c)
		for _, fl := range l.fields {
			fmt.Fprintf(&src, "\tprintf(\"%s|%s %%zu\\n\", offsetof(%s, %s));\n", l.c, fl.c, l.c, fl.c)
		}
	}
	src.WriteString("\treturn 0;\n}\n")

	dir := t.TempDir()
	cfile := filepath.Join(dir, "layout.c")
	bin := filepath.Join(dir, "layout")
	if err := os.WriteFile(cfile, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-o", bin, cfile).CombinedOutput(); err != nil {
		t.Fatalf("compiling the layout probe: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("running the layout probe: %v", err)
	}
	got := map[string]uintptr{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		key, val := line[:i], line[i+1:]
		n, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			t.Fatalf("bad probe line %q", sc.Text())
		}
		got[key] = uintptr(n)
	}
	checked := 0
	for _, l := range layouts {
		if c := got[l.c+"|sizeof"]; c != l.size && l.c != "struct io_uring_buf_ring" {
			t.Errorf("sizeof(%s) = %d in C, %d in Go", l.c, c, l.size)
		}
		for _, fl := range l.fields {
			key := l.c + "|" + fl.c
			c, ok := got[key]
			if !ok {
				t.Errorf("%s: no offset printed", key)
				continue
			}
			if c != fl.offset {
				t.Errorf("offsetof(%s, %s) = %d in C, %d in Go", l.c, fl.c, c, fl.offset)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("only %d offsets checked", checked)
	}
}

// TestLayoutNewerThanHeaders checks the structures that the 6.1 headers lack against the offsets
// of the Linux 6.18 uapi header, written out here by hand.
func TestLayoutNewerThanHeaders(t *testing.T) {
	var (
		bs  BufStatus
		nap Napi
		clk ClockRegister
		cb  CloneBuffers
		rd  RegionDesc
		mr  MemRegionReg
		rw  RegWait
		zr  ZcrxIfqReg
		za  ZcrxAreaReg
		zo  ZcrxOffsets
		zq  ZcrxRqe
		zc  ZcrxCqe
	)
	cases := []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(io_uring_buf_status)", unsafe.Sizeof(bs), 40},
		{"io_uring_buf_status.head", unsafe.Offsetof(bs.Head), 4},
		{"sizeof(io_uring_napi)", unsafe.Sizeof(nap), 16},
		{"io_uring_napi.prefer_busy_poll", unsafe.Offsetof(nap.PreferBusyPoll), 4},
		{"io_uring_napi.opcode", unsafe.Offsetof(nap.Opcode), 5},
		{"io_uring_napi.op_param", unsafe.Offsetof(nap.OpParam), 8},
		{"sizeof(io_uring_clock_register)", unsafe.Sizeof(clk), 16},
		{"sizeof(io_uring_clone_buffers)", unsafe.Sizeof(cb), 32},
		{"io_uring_clone_buffers.nr", unsafe.Offsetof(cb.Nr), 16},
		{"sizeof(io_uring_region_desc)", unsafe.Sizeof(rd), 64},
		{"io_uring_region_desc.mmap_offset", unsafe.Offsetof(rd.MmapOffset), 24},
		{"sizeof(io_uring_mem_region_reg)", unsafe.Sizeof(mr), 32},
		{"io_uring_mem_region_reg.flags", unsafe.Offsetof(mr.Flags), 8},
		{"sizeof(io_uring_reg_wait)", unsafe.Sizeof(rw), 64},
		{"io_uring_reg_wait.min_wait_usec", unsafe.Offsetof(rw.MinWaitUsec), 16},
		{"io_uring_reg_wait.sigmask", unsafe.Offsetof(rw.Sigmask), 24},
		{"io_uring_reg_wait.sigmask_sz", unsafe.Offsetof(rw.SigmaskSz), 32},
		{"sizeof(io_uring_zcrx_ifq_reg)", unsafe.Sizeof(zr), 96},
		{"io_uring_zcrx_ifq_reg.offsets", unsafe.Offsetof(zr.Offsets), 32},
		{"io_uring_zcrx_ifq_reg.zcrx_id", unsafe.Offsetof(zr.ZcrxID), 64},
		{"sizeof(io_uring_zcrx_area_reg)", unsafe.Sizeof(za), 48},
		{"sizeof(io_uring_zcrx_offsets)", unsafe.Sizeof(zo), 32},
		{"sizeof(io_uring_zcrx_rqe)", unsafe.Sizeof(zq), 16},
		{"sizeof(io_uring_zcrx_cqe)", unsafe.Sizeof(zc), 16},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %d, the 6.18 header says %d", c.name, c.got, c.want)
		}
	}
}

// TestConstantsAgainstKernelHeaders checks a sample of every constant family against the headers.
func TestConstantsAgainstKernelHeaders(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Fatalf("a C compiler is needed: %v", err)
	}
	consts := map[string]int64{
		"IORING_OP_NOP": IORING_OP_NOP, "IORING_OP_READV": IORING_OP_READV,
		"IORING_OP_SEND_ZC": IORING_OP_SEND_ZC, "IORING_OP_SENDMSG_ZC": IORING_OP_SENDMSG_ZC,
		"IORING_OP_URING_CMD": IORING_OP_URING_CMD, "IORING_OP_SOCKET": IORING_OP_SOCKET,
		"IORING_OP_MSG_RING": IORING_OP_MSG_RING, "IORING_OP_LINKAT": IORING_OP_LINKAT,
		"IOSQE_CQE_SKIP_SUCCESS": IOSQE_CQE_SKIP_SUCCESS, "IOSQE_BUFFER_SELECT": IOSQE_BUFFER_SELECT,
		"IORING_SETUP_DEFER_TASKRUN": IORING_SETUP_DEFER_TASKRUN, "IORING_SETUP_SINGLE_ISSUER": IORING_SETUP_SINGLE_ISSUER,
		"IORING_SETUP_CQE32": IORING_SETUP_CQE32, "IORING_SETUP_SQE128": IORING_SETUP_SQE128,
		"IORING_SETUP_COOP_TASKRUN": IORING_SETUP_COOP_TASKRUN, "IORING_SETUP_R_DISABLED": IORING_SETUP_R_DISABLED,
		"IORING_ENTER_REGISTERED_RING": IORING_ENTER_REGISTERED_RING, "IORING_ENTER_EXT_ARG": IORING_ENTER_EXT_ARG,
		"IORING_FEAT_LINKED_FILE": IORING_FEAT_LINKED_FILE, "IORING_FEAT_NODROP": IORING_FEAT_NODROP,
		"IORING_CQE_F_NOTIF": IORING_CQE_F_NOTIF, "IORING_CQE_F_MORE": IORING_CQE_F_MORE,
		"IORING_CQE_BUFFER_SHIFT": IORING_CQE_BUFFER_SHIFT,
		"IORING_OFF_SQ_RING":      IORING_OFF_SQ_RING, "IORING_OFF_CQ_RING": IORING_OFF_CQ_RING,
		"IORING_OFF_SQES":                  IORING_OFF_SQES,
		"IORING_REGISTER_FILE_ALLOC_RANGE": IORING_REGISTER_FILE_ALLOC_RANGE,
		"IORING_REGISTER_SYNC_CANCEL":      IORING_REGISTER_SYNC_CANCEL, "IORING_REGISTER_PBUF_RING": IORING_REGISTER_PBUF_RING,
		"IORING_TIMEOUT_ETIME_SUCCESS": IORING_TIMEOUT_ETIME_SUCCESS, "IORING_LINK_TIMEOUT_UPDATE": IORING_LINK_TIMEOUT_UPDATE,
		"IORING_POLL_ADD_LEVEL": IORING_POLL_ADD_LEVEL, "IORING_ASYNC_CANCEL_FD_FIXED": IORING_ASYNC_CANCEL_FD_FIXED,
		"IORING_SEND_ZC_REPORT_USAGE": IORING_SEND_ZC_REPORT_USAGE, "IORING_RECVSEND_FIXED_BUF": IORING_RECVSEND_FIXED_BUF,
		"IORING_ACCEPT_MULTISHOT": IORING_ACCEPT_MULTISHOT, "IORING_MSG_RING_CQE_SKIP": IORING_MSG_RING_CQE_SKIP,
		"IORING_MSG_SEND_FD": IORING_MSG_SEND_FD, "IORING_URING_CMD_FIXED": IORING_URING_CMD_FIXED,
		"IORING_RSRC_REGISTER_SPARSE": IORING_RSRC_REGISTER_SPARSE, "IORING_REGISTER_FILES_SKIP": IORING_REGISTER_FILES_SKIP,
		"IORING_RESTRICTION_SQE_FLAGS_REQUIRED": IORING_RESTRICTION_SQE_FLAGS_REQUIRED,
		"IORING_SQ_TASKRUN":                     IORING_SQ_TASKRUN, "IORING_CQ_EVENTFD_DISABLED": IORING_CQ_EVENTFD_DISABLED,
		"SPLICE_F_FD_IN_FIXED": SPLICE_F_FD_IN_FIXED, "IORING_NOTIF_USAGE_ZC_COPIED": IORING_NOTIF_USAGE_ZC_COPIED,
		"IORING_FILE_INDEX_ALLOC": int64(IORING_FILE_INDEX_ALLOC),
	}
	var src strings.Builder
	src.WriteString("#include <stdio.h>\n#include <linux/io_uring.h>\nint main(void) {\n")
	for name := range consts {
		fmt.Fprintf(&src, "\tprintf(\"%s %%lld\\n\", (long long)%s);\n", name, name)
	}
	src.WriteString("\treturn 0;\n}\n")
	dir := t.TempDir()
	cfile, bin := filepath.Join(dir, "c.c"), filepath.Join(dir, "c")
	if err := os.WriteFile(cfile, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-o", bin, cfile).CombinedOutput(); err != nil {
		t.Fatalf("compiling: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, val, _ := strings.Cut(line, " ")
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		// The header's unsigned 32-bit values come back as such; compare in 32 bits.
		if uint32(n) != uint32(consts[name]) {
			t.Errorf("%s = %d in the header, %d here", name, n, consts[name])
		}
		seen++
	}
	if seen != len(consts) {
		t.Errorf("checked %d constants of %d", seen, len(consts))
	}
}

// TestEnterErrors checks that both enter paths turn a failing call into its errno.
func TestEnterErrors(t *testing.T) {
	if _, errno := EnterNoWait(-1, 1, 0); errno != unix.EBADF {
		t.Errorf("EnterNoWait(-1): %v, want EBADF", errno)
	}
	if _, err := Enter(-1, 0, 1, IORING_ENTER_GETEVENTS, nil, 0); err != unix.EBADF {
		t.Errorf("Enter(-1): %v, want EBADF", err)
	}
	var p Params
	fd, err := Setup(4, &p)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if n, err := EnterNoWait(fd, 0, IORING_ENTER_GETEVENTS); n != 0 || err != 0 {
		t.Errorf("EnterNoWait on an idle ring: %d, %v", n, err)
	}
	if _, err := Setup(0, &Params{}); err != unix.EINVAL {
		t.Errorf("Setup(0): %v, want EINVAL", err)
	}
}
