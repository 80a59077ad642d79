package uring

import (
	"github.com/uringo/uring/internal/abi"
)

var (
	_ = prepHelpers(OpPollAdd, "PrepPollAdd", "PrepPollMultishot")
	_ = prepHelpers(OpPollRemove, "PrepPollRemove", "PrepPollUpdate")
)

// Polling file descriptors for readiness.

// PollUpdateFlags say what PrepPollUpdate changes.
type PollUpdateFlags uint32

const (
	// PollUpdateEvents replaces the events polled for (IORING_POLL_UPDATE_EVENTS, 5.13).
	PollUpdateEvents PollUpdateFlags = abi.IORING_POLL_UPDATE_EVENTS
	// PollUpdateUserData replaces the user data of later completions
	// (IORING_POLL_UPDATE_USER_DATA, 5.13).
	PollUpdateUserData PollUpdateFlags = abi.IORING_POLL_UPDATE_USER_DATA
	// PollAddMulti turns the request multishot (IORING_POLL_ADD_MULTI, 5.13).
	PollAddMulti PollUpdateFlags = abi.IORING_POLL_ADD_MULTI
)

// PrepPollAdd prepares a one-shot poll of fd for events (POLLIN, POLLOUT, ... from
// golang.org/x/sys/unix), like poll(2) on one fd: it completes once with the events that are
// ready (IORING_OP_POLL_ADD, 5.1; io_uring_prep_poll_add). It is the reference's add_poll_fd.
func (r *Ring) PrepPollAdd(fd int, events uint32) (SQE, error) {
	return r.prepPoll("PrepPollAdd", fd, events, 0)
}

// PrepPollMultishot prepares a poll that posts a completion each time fd becomes ready, with
// CQEFMore set while it stays armed (IORING_POLL_ADD_MULTI, 5.13; io_uring_prep_poll_multishot).
func (r *Ring) PrepPollMultishot(fd int, events uint32) (SQE, error) {
	return r.prepPoll("PrepPollMultishot", fd, events, abi.IORING_POLL_ADD_MULTI)
}

func (r *Ring) prepPoll(method string, fd int, events, mode uint32) (SQE, error) {
	e, s, err := r.prep(method, abi.IORING_OP_POLL_ADD, fd, 0, mode, 0)
	if err == nil {
		e.OpFlags = events // poll32_events
	}
	return s, err
}

// PrepPollRemove prepares the removal of the poll whose user data is userData; the poll
// completes with ECANCELED, and this operation with 0 or ENOENT (IORING_OP_POLL_REMOVE, 5.1;
// io_uring_prep_poll_remove). It is the reference's remove_poll_fd.
func (r *Ring) PrepPollRemove(userData uint64) (SQE, error) {
	_, s, err := r.prep("PrepPollRemove", abi.IORING_OP_POLL_REMOVE, -1, r.target(userData), 0, 0)
	return s, err
}

// PrepPollUpdate prepares an update of the poll whose user data is oldUserData: with
// PollUpdateEvents it polls for events instead, with PollUpdateUserData its later completions
// carry newUserData (IORING_OP_POLL_REMOVE with update flags, 5.13; io_uring_prep_poll_update).
func (r *Ring) PrepPollUpdate(oldUserData, newUserData uint64, events uint32, flags PollUpdateFlags) (SQE, error) {
	target := r.target(oldUserData)
	e, s, err := r.prep("PrepPollUpdate", abi.IORING_OP_POLL_REMOVE, -1, target, uint32(flags), 0)
	if err != nil {
		return SQE{}, err
	}
	e.OpFlags = events
	if flags&PollUpdateUserData != 0 {
		e.Off = r.retarget(target, newUserData)
	}
	return s, nil
}

// target returns the kernel user data of the live operation the caller knows as v: the token
// of one that holds Go memory, else v itself. A v that looks like a token but names no live
// operation becomes a value no operation carries, so it matches nothing.
func (r *Ring) target(v uint64) uint64 {
	r.applyUserData()
	if tok, ok := r.ops.findUser(v); ok {
		return tok
	}
	if isToken(v) {
		return noTarget
	}
	return v
}

// noTarget is a token no slot can have: its index is never allocated.
const noTarget = tokenBit | 0x7fffffff<<32 | 0xffffffff

// retarget returns the kernel user data that an operation now known by target should carry
// from now on so that its completions read newUser. An operation with a slot keeps its token
// and the slot takes the new value; others take the value itself, or a new slot for a value
// that looks like a token.
func (r *Ring) retarget(target, newUser uint64) uint64 {
	if _, slot := r.ops.lookup(target); slot != nil {
		slot.user = newUser
		return target
	}
	if isToken(newUser) {
		idx, tok := r.ops.alloc()
		r.ops.slots[idx].user = newUser
		return tok
	}
	return newUser
}
