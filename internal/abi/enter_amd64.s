#include "textflag.h"

// func enterNoWait(fd, toSubmit, flags uintptr) (n, errno uintptr)
//
// io_uring_enter(fd, toSubmit, 0, flags, NULL, 0) with no scheduler bookkeeping, like
// syscall.RawSyscall6 without its three layers of wrappers. Only for calls that cannot sleep.
TEXT ·enterNoWait(SB), NOSPLIT, $0-40
	MOVQ	fd+0(FP), DI
	MOVQ	toSubmit+8(FP), SI
	XORL	DX, DX
	MOVQ	flags+16(FP), R10
	XORL	R8, R8
	XORL	R9, R9
	MOVL	$426, AX // SYS_io_uring_enter
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	NEGQ	AX
	MOVQ	$-1, n+24(FP)
	MOVQ	AX, errno+32(FP)
	RET
ok:
	MOVQ	AX, n+24(FP)
	MOVQ	$0, errno+32(FP)
	RET
