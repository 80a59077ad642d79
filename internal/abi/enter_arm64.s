#include "textflag.h"

// func enterNoWait(fd, toSubmit, flags uintptr) (n, errno uintptr)
//
// io_uring_enter(fd, toSubmit, 0, flags, NULL, 0) with no scheduler bookkeeping, like
// syscall.RawSyscall6 without its three layers of wrappers. Only for calls that cannot sleep.
TEXT ·enterNoWait(SB), NOSPLIT, $0-40
	MOVD	fd+0(FP), R0
	MOVD	toSubmit+8(FP), R1
	MOVD	$0, R2
	MOVD	flags+16(FP), R3
	MOVD	$0, R4
	MOVD	$0, R5
	MOVD	$426, R8 // SYS_io_uring_enter
	SVC
	CMN	$4095, R0
	BCC	ok
	MOVD	$-1, R4
	MOVD	R4, n+24(FP)
	NEG	R0, R0
	MOVD	R0, errno+32(FP)
	RET
ok:
	MOVD	R0, n+24(FP)
	MOVD	ZR, errno+32(FP)
	RET
