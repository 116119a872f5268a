//! [`List`]: the unbounded lock-free FIFO under `Queue(0)`, `SimpleQueue` and very large bounds.
//!
//! A linked list of blocks of `LAP - 1` slots, with a head and a tail each made of an index and
//! a block pointer (the design of crossbeam's `SegQueue` and of crossbeam-channel's list
//! flavour; written here to pay fewer atomic read-modify-writes per item).
//!
//! ```text
//!   head ──▶ [ r r r . w w   ] ──▶ [ w w . . . . . ] ◀── tail
//!             read    written          free slots
//! ```
//!
//! - An index counts positions: `index >> SHIFT` is the position, `position % LAP` the slot in
//!   the block (offset `LAP - 1` means "the thread that took the block's last slot is
//!   installing the next block": others wait). Bit 0 of the head index (`HAS_NEXT`) says the
//!   head block is not the tail block, so a consumer need not read the tail to know the list
//!   is not empty.
//! - A producer claims a position with a `SeqCst` compare-exchange of the tail index, writes
//!   the value, then sets the slot's `WRITE` bit with a plain release store (no
//!   read-modify-write: nobody else writes a slot's state before `WRITE` is set). The producer
//!   of a block's last slot allocates the next block and links it.
//! - A consumer returns `None` if the head position equals the tail position; otherwise it
//!   claims the head position with a `SeqCst` compare-exchange, waits for `WRITE`, takes the
//!   value, and sets `READ` with a plain release store, its last access to the block.
//! - Freeing a block: the consumer of its last slot moved the head past it, so no new thread
//!   can reach it; it frees the block once every other slot's `READ` is set. A reader that is
//!   still inside (preempted) keeps the block in `retired` instead, freed by a later consumer
//!   of a last slot (or by `Drop`). crossbeam marks each slot read with a `fetch_or` so the
//!   last reader frees the block; a plain store and the rare retired list save a full barrier
//!   on every push and every pop.
//!
//! A thread only dereferences a block after its compare-exchange claimed a position in it, so
//! a stale block pointer read before a failed compare-exchange is never followed.

use std::ptr;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};

use crossbeam_utils::CachePadded;

use super::list_sync::{fence, AtomicPtr, AtomicUsize, Backoff, Mutex, ValueCell, LAP};

/// Slots per block.
pub(crate) const BLOCK_CAP: usize = LAP - 1;
/// Index bits below the position.
const SHIFT: usize = 1;
/// In the head index: the head block has a next block (so the list is not empty).
const HAS_NEXT: usize = 1;

/// The slot's value has been written.
const WRITE: usize = 1;
/// The slot's value has been taken.
const READ: usize = 2;

struct Slot<T> {
    value: ValueCell<T>,
    state: AtomicUsize,
}

struct Block<T> {
    next: AtomicPtr<Block<T>>,
    slots: [Slot<T>; BLOCK_CAP],
}

impl<T> Block<T> {
    fn new() -> Box<Block<T>> {
        Box::new(Block {
            next: AtomicPtr::new(ptr::null_mut()),
            slots: std::array::from_fn(|_| Slot {
                value: ValueCell::new(),
                state: AtomicUsize::new(0),
            }),
        })
    }

    /// The next block, once its installer has linked it.
    fn wait_next(&self) -> *mut Block<T> {
        let backoff = Backoff::new();
        loop {
            let next = self.next.load(Acquire);
            if !next.is_null() {
                return next;
            }
            backoff.snooze();
        }
    }

    /// Whether every slot but the last has been read (the last one's reader asks).
    fn all_read(&self) -> bool {
        self.slots[..BLOCK_CAP - 1]
            .iter()
            .all(|slot| slot.state.load(Acquire) & READ != 0)
    }
}

impl<T> Slot<T> {
    fn wait_write(&self) {
        let backoff = Backoff::new();
        while self.state.load(Acquire) & WRITE == 0 {
            backoff.snooze();
        }
    }
}

/// One end of the list.
struct End<T> {
    index: AtomicUsize,
    block: AtomicPtr<Block<T>>,
}

/// An unbounded multi-producer multi-consumer FIFO (see the module docs).
pub(crate) struct List<T> {
    head: CachePadded<End<T>>,
    tail: CachePadded<End<T>>,
    /// Blocks the head has passed whose readers had not all finished when the last one left.
    retired: Mutex<Vec<*mut Block<T>>>,
    /// Whether `retired` may hold a block (a hint, so the usual case takes no lock).
    has_retired: AtomicUsize,
}

// SAFETY: values move from the pushing thread to the popping one (so `T: Send`); the blocks
// are shared through atomics under the protocol in the module docs.
unsafe impl<T: Send> Send for List<T> {}
// SAFETY: as above: every shared access goes through atomics or is ordered by a slot's state.
unsafe impl<T: Send> Sync for List<T> {}

/// The number of values a list holds from position 0 up to `index` (one position per block
/// is not a slot).
fn count(index: usize) -> usize {
    let position = index >> SHIFT;
    position - position / LAP
}

impl<T> List<T> {
    pub(crate) fn new() -> Self {
        let first = Box::into_raw(Block::new());
        List {
            head: CachePadded::new(End {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(first),
            }),
            tail: CachePadded::new(End {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(first),
            }),
            retired: Mutex::new(Vec::new()),
            has_retired: AtomicUsize::new(0),
        }
    }

    /// Appends `value`.
    pub(crate) fn push(&self, value: T) {
        let backoff = Backoff::new();
        let mut tail = self.tail.index.load(Acquire);
        let mut block = self.tail.block.load(Acquire);
        let mut next_block: Option<Box<Block<T>>> = None;
        loop {
            let offset = (tail >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // The next block is being installed.
                backoff.snooze();
                tail = self.tail.index.load(Acquire);
                block = self.tail.block.load(Acquire);
                continue;
            }
            if offset + 1 == BLOCK_CAP && next_block.is_none() {
                // Allocated before claiming the last slot, so the others wait less.
                next_block = Some(Block::new());
            }
            let new_tail = tail + (1 << SHIFT);
            match self
                .tail
                .index
                .compare_exchange_weak(tail, new_tail, SeqCst, Acquire)
            {
                Ok(_) => {
                    if offset + 1 == BLOCK_CAP {
                        let next = Box::into_raw(next_block.take().expect("allocated above"));
                        self.tail.block.store(next, Release);
                        self.tail.index.store(new_tail + (1 << SHIFT), Release);
                        // SAFETY: the claimed position is in `block`, which stays allocated
                        // until this slot is read (module docs).
                        unsafe { (*block).next.store(next, Release) };
                    }
                    // SAFETY: as above; the claimed slot is this thread's to write, once.
                    unsafe {
                        let slot = (*block).slots.get_unchecked(offset);
                        slot.value.write(value);
                        slot.state.store(WRITE, Release);
                    }
                    return;
                }
                Err(now) => {
                    tail = now;
                    block = self.tail.block.load(Acquire);
                    backoff.spin();
                }
            }
        }
    }

    /// Takes the oldest value, or `None` if the list is empty.
    pub(crate) fn pop(&self) -> Option<T> {
        let backoff = Backoff::new();
        let mut head = self.head.index.load(Acquire);
        let mut block = self.head.block.load(Acquire);
        loop {
            let offset = (head >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // The head is moving to the next block.
                backoff.snooze();
                head = self.head.index.load(Acquire);
                block = self.head.block.load(Acquire);
                continue;
            }
            let mut new_head = head + (1 << SHIFT);
            if new_head & HAS_NEXT == 0 {
                fence(SeqCst);
                let tail = self.tail.index.load(Relaxed);
                if head >> SHIFT == tail >> SHIFT {
                    return None;
                }
                if (head >> SHIFT) / LAP != (tail >> SHIFT) / LAP {
                    new_head |= HAS_NEXT;
                }
            }
            match self
                .head
                .index
                .compare_exchange_weak(head, new_head, SeqCst, Acquire)
            {
                Ok(_) => {
                    // SAFETY: the claimed position is in `block`, which stays allocated until
                    // this thread marks its slot read (or, for the last slot, retires it).
                    unsafe {
                        if offset + 1 == BLOCK_CAP {
                            let next = (*block).wait_next();
                            let mut next_index = (new_head & !HAS_NEXT) + (1 << SHIFT);
                            if !(*next).next.load(Relaxed).is_null() {
                                next_index |= HAS_NEXT;
                            }
                            self.head.block.store(next, Release);
                            self.head.index.store(next_index, Release);
                        }
                        let slot = (*block).slots.get_unchecked(offset);
                        slot.wait_write();
                        let value = slot.value.take();
                        if offset + 1 == BLOCK_CAP {
                            self.retire(block);
                        } else {
                            slot.state.store(WRITE | READ, Release);
                        }
                        return Some(value);
                    }
                }
                Err(now) => {
                    head = now;
                    block = self.head.block.load(Acquire);
                    backoff.spin();
                }
            }
        }
    }

    /// Frees `block`, whose last slot this thread has just read, once its other readers are
    /// done; and any retired block whose readers are done by now.
    ///
    /// # Safety
    ///
    /// The head has moved past `block`, and this thread read its last slot.
    #[cold]
    unsafe fn retire(&self, block: *mut Block<T>) {
        // SAFETY: `block` is allocated until freed here (the caller's contract).
        let done = unsafe { (*block).all_read() };
        if done && self.has_retired.load(Relaxed) == 0 {
            // SAFETY: every reader is done and no thread can reach the block any more.
            drop(unsafe { Box::from_raw(block) });
            return;
        }
        let mut retired = self.retired.lock().unwrap_or_else(|e| e.into_inner());
        retired.push(block);
        retired.retain(|&block| {
            // SAFETY: a retired block is allocated until freed here, under the lock.
            let done = unsafe { (*block).all_read() };
            if done {
                // SAFETY: as above, and every reader is done.
                drop(unsafe { Box::from_raw(block) });
            }
            !done
        });
        self.has_retired.store(retired.len(), Relaxed);
    }

    /// How many values the list holds (a `SeqCst` snapshot).
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.index.load(SeqCst);
            let head = self.head.index.load(SeqCst);
            if self.tail.index.load(SeqCst) == tail {
                return count(tail) - count(head);
            }
        }
    }

    /// Whether the list holds no value (`SeqCst` reads).
    pub(crate) fn is_empty(&self) -> bool {
        let head = self.head.index.load(SeqCst);
        let tail = self.tail.index.load(SeqCst);
        head >> SHIFT == tail >> SHIFT
    }
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        let tail = self.tail.index.load(Relaxed) >> SHIFT;
        let mut head = self.head.index.load(Relaxed) >> SHIFT;
        let mut block = self.head.block.load(Relaxed);
        // SAFETY: `&mut self`: no other thread is inside; the blocks from the head's on are
        // linked and allocated, slots between head and tail hold values, nothing else does.
        unsafe {
            while head != tail {
                let offset = head % LAP;
                if offset < BLOCK_CAP {
                    drop((*block).slots[offset].value.take());
                } else {
                    let next = (*block).next.load(Relaxed);
                    drop(Box::from_raw(block));
                    block = next;
                }
                head += 1;
            }
            drop(Box::from_raw(block));
        }
        let retired = self.retired.get_mut().unwrap_or_else(|e| e.into_inner());
        for &block in retired.iter() {
            // SAFETY: retired blocks are freed only here or in `retire`, under the lock.
            drop(unsafe { Box::from_raw(block) });
        }
    }
}
