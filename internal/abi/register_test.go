package abi

import (
	"testing"
	"unsafe"
)

// TestRegisterLayouts checks the structures of register.go against the offsets of the 6.18
// uapi headers (linux/io_uring.h and linux/io_uring/query.h), which Debian's headers lack.
func TestRegisterLayouts(t *testing.T) {
	var (
		h  QueryHdr
		op QueryOpcode
		sc QueryScq
	)
	cases := []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(io_uring_query_hdr)", unsafe.Sizeof(h), 40},
		{"io_uring_query_hdr.query_data", unsafe.Offsetof(h.QueryData), 8},
		{"io_uring_query_hdr.query_op", unsafe.Offsetof(h.QueryOp), 16},
		{"io_uring_query_hdr.size", unsafe.Offsetof(h.Size), 20},
		{"io_uring_query_hdr.result", unsafe.Offsetof(h.Result), 24},
		{"io_uring_query_hdr.__resv", unsafe.Offsetof(h.Resv), 28},
		{"sizeof(io_uring_query_opcode)", unsafe.Sizeof(op), 48},
		{"io_uring_query_opcode.feature_flags", unsafe.Offsetof(op.FeatureFlags), 8},
		{"io_uring_query_opcode.ring_setup_flags", unsafe.Offsetof(op.RingSetupFlags), 16},
		{"io_uring_query_opcode.enter_flags", unsafe.Offsetof(op.EnterFlags), 24},
		{"io_uring_query_opcode.sqe_flags", unsafe.Offsetof(op.SqeFlags), 32},
		{"io_uring_query_opcode.nr_query_opcodes", unsafe.Offsetof(op.NrQueryOpcodes), 40},
		{"sizeof(io_uring_query_scq)", unsafe.Sizeof(sc), 16},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %d, the 6.18 header says %d", c.name, c.got, c.want)
		}
	}
}
