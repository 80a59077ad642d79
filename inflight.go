package uring

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Go memory that the kernel holds.
//
// An SQE lives in memory the garbage collector never scans, so the address of a buffer written
// into it keeps nothing alive. Every operation that points the kernel at Go memory therefore
// takes a slot in the opTable, which holds real pointers to that memory until the operation's
// final completion is reaped. Holding a pointer in a heap object also makes the compiler move
// the memory off the goroutine's stack, where it could be moved when the stack grows.
//
// Such an operation carries a token as its kernel user data: the top bit set, the slot's
// generation and its index. The completion's token leads straight back to the slot (no map),
// and the slot gives back the caller's own user data. Operations that hold no Go memory and
// whose user data has the top bit clear carry the caller's user data unchanged, and cost
// nothing here.

const (
	tokenBit = uint64(1) << 63
	noSlot   = ^uint32(0)
)

func isToken(userData uint64) bool { return userData&tokenBit != 0 }

type opSlot struct {
	user     uint64            // the caller's user data
	hold     [2]unsafe.Pointer // Go memory the kernel may read or write
	extra    any               // further memory, for operations that need more than two pointers
	iov      []unix.Iovec      // iovec storage, reused by the next operation in this slot
	gen      uint32            // bumped on every release, so a stale token never matches
	next     uint32            // free-list link
	live     bool
	swallow  bool // the caller asked for SQECQESkipSuccess: hide a successful final completion
	internal bool // an operation of the Ring's own: never returned to the caller
}

type opTable struct {
	slots []opSlot
	free  uint32 // first free slot, or noSlot
	live  int    // slots in use
}

func (t *opTable) init(gen uint32) {
	t.free = noSlot
	t.slots = make([]opSlot, 0, 64)
	t.slots = append(t.slots, opSlot{gen: gen, next: noSlot})
	t.free = 0
}

// alloc takes a free slot and returns its index and the token that names it.
func (t *opTable) alloc() (uint32, uint64) {
	idx := t.free
	if idx == noSlot {
		idx = uint32(len(t.slots))
		gen := uint32(0)
		if idx > 0 {
			gen = t.slots[idx-1].gen * 2654435761 // any value: generations need only differ per slot
		}
		t.slots = append(t.slots, opSlot{gen: gen})
	} else {
		t.free = t.slots[idx].next
	}
	s := &t.slots[idx]
	s.live = true
	t.live++
	return idx, tokenBit | uint64(s.gen&0x7fffffff)<<32 | uint64(idx)
}

// lookup returns the live slot a token names, or nil for a token that names none (a stale one,
// or user data from another ring's MSG_RING that merely looks like a token).
func (t *opTable) lookup(token uint64) (uint32, *opSlot) {
	idx := uint32(token)
	if uint64(idx) >= uint64(len(t.slots)) {
		return 0, nil
	}
	s := &t.slots[idx]
	if !s.live || uint64(s.gen&0x7fffffff) != (token>>32)&0x7fffffff {
		return 0, nil
	}
	return idx, s
}

// release frees a slot: the memory it held may now be collected.
func (t *opTable) release(idx uint32) {
	s := &t.slots[idx]
	s.hold = [2]unsafe.Pointer{}
	s.extra = nil
	clear(s.iov)
	s.iov = s.iov[:0]
	s.user = 0
	s.swallow, s.internal, s.live = false, false, false
	s.gen++
	s.next = t.free
	t.free = idx
	t.live--
}

func (t *opTable) releaseToken(token uint64) {
	if idx, s := t.lookup(token); s != nil {
		t.release(idx)
	}
}

// findUser returns the token of the first live slot whose caller user data is v, for the
// operations that name their target by user data (cancel, poll and timeout updates).
func (t *opTable) findUser(v uint64) (uint64, bool) {
	for i := range t.slots {
		s := &t.slots[i]
		if s.live && !s.internal && s.user == v {
			return tokenBit | uint64(s.gen&0x7fffffff)<<32 | uint64(i), true
		}
	}
	return 0, false
}

// abandoned keeps the memory of operations that Close could not see finish: the kernel may
// still write to it, so it must never be collected.
var abandoned struct {
	sync.Mutex
	slots [][]opSlot
}

// abandon moves every live slot's memory to the abandoned list.
func (t *opTable) abandon() {
	var keep []opSlot
	for i := range t.slots {
		if t.slots[i].live {
			keep = append(keep, t.slots[i])
		}
	}
	abandoned.Lock()
	abandoned.slots = append(abandoned.slots, keep)
	abandoned.Unlock()
	t.slots, t.live, t.free = nil, 0, noSlot
}
