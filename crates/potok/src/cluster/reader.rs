//! Who reads a pool's result stream: a caller that waits, when it can; else the pool's reader
//! thread.
//!
//! A result travels caller ─XADD▶ Redis ─▶ worker ─FINISH▶ Redis ─XREAD▶ reader. When the
//! reader is the waiting caller itself, that is four wake-ups; when it is a reader thread that
//! then wakes the caller, five. Each wake-up of another CPU costs tens of µs on a small
//! machine (more under load), so a waiting caller reads the stream itself when nobody else is.
//!
//! ```text
//!  a waiting caller ─ seat free? ─ yes ─▶ leader: XREAD BLOCK on the seat's own connection
//!        │                                (CLIENT UNBLOCK of the reader thread's XREAD in the
//!        │                                same round trip), hands out every entry read, leaves
//!        └─ no ─▶ follower: waits on its call's condvar for whoever reads
//!
//!  the reader thread: XREAD while results are due and nobody leads (at once when a follower
//!  waits; else once the seat has been empty for GRACE, for callers that only poll `ready`);
//!  parked otherwise; the pool's upkeep once a second either way
//! ```
//!
//! Each reader reads from where the shared cursor stood and hands out only the entries past it
//! (under its lock), so every entry reaches its call once whoever read it.
//!
//! A call can also leave its read on the seat ([`Sent`]): when the seat is free as the call is
//! queued, its XADDs and an XREAD of the results go in one write on the seat's connection, and
//! the call returns without waiting for either reply. The next leader (normally the same
//! caller, in `get`) reads those replies first: the entry ids, then the XREAD's, which the
//! broker answered as soon as a result came. The caller so waits on the broker once per call
//! instead of twice (the XADD's reply, then the XREAD's), and the broker wakes once for both.
//!
//! ```text
//!  apply_async ─ seat free? ─ yes ─▶ one write: [CLIENT UNBLOCK reader thread] XADD… XREAD BLOCK
//!        │                           (the seat now holds what was Sent; nobody waits on it yet)
//!        └─ no ─▶ XADD… on the pool's connection, waiting for the ids
//!  get ─▶ leader ─ the seat holds Sent? ─ yes ─▶ read its replies (ids, then the XREAD's)
//!                                       └ no ─▶ a new XREAD, as above
//! ```

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::broker::Conn;

/// How long the seat stays empty before the reader thread reads for callers that do not wait.
pub(crate) const GRACE: Duration = Duration::from_millis(20);
/// The longest single XREAD BLOCK, so stopping and deadlines are noticed.
pub(crate) const READ_BLOCK: Duration = Duration::from_millis(200);

/// A stream entry id (`ms-seq`), ordered as Redis orders them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EntryId(u64, u64);

impl EntryId {
    pub(crate) fn parse(s: &str) -> Option<EntryId> {
        let (ms, seq) = s.split_once('-')?;
        Some(EntryId(ms.parse().ok()?, seq.parse().ok()?))
    }
}

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.0, self.1)
    }
}

/// What a waiting caller did: read a round itself, or found another reader and follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Round {
    /// It led one round (results it read are handed out; look again).
    Read,
    /// Another caller leads: this one is counted as a follower until [`Pump::unfollow`].
    Follow,
    /// The pool is stopping: nothing more will be read (its calls were failed already).
    Stopped,
}

/// A pool's results, as seen by a call waiting for them.
pub(crate) trait Pump: Send + Sync {
    /// Leads one read of the result stream (blocking at most until `deadline`, and at most
    /// [`READ_BLOCK`]) if nobody else does; else becomes a follower.
    fn read_round(&self, deadline: Option<Instant>) -> Round;
    /// Ends a follower's wait begun by [`Round::Follow`].
    fn unfollow(&self);
}

/// The reader thread's next step, from [`Reading::thread_turn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turn {
    /// Read the stream (it is marked as reading: callers taking the seat kick it out).
    Read,
    /// Nothing to read before the upkeep is due.
    Upkeep,
    /// The pool is stopping.
    Stop,
}

#[derive(Debug)]
struct Coord {
    leader: bool,
    followers: usize,
    /// When the last leader left the seat.
    left: Instant,
    /// The reader thread is in (or about to send) its XREAD, on the client with this id.
    thread_reading: bool,
    thread_client: Option<i64>,
    stopping: bool,
}

/// The reading side of one pool.
#[derive(Debug)]
pub(crate) struct Reading {
    coord: Mutex<Coord>,
    /// The reader thread parks here.
    wake: Condvar,
    /// The leader's connection (made on first use), and what was sent on it unanswered.
    seat: Mutex<SeatConn>,
    /// The last entry handed out.
    cursor: Mutex<EntryId>,
    /// The seat connection's client id on the broker (for CLIENT UNBLOCK), once made.
    seat_client: Mutex<Option<i64>>,
}

/// Commands written on the seat's connection whose replies nobody has read yet: optionally a
/// CLIENT UNBLOCK, then one XADD per chunk, then an XREAD of the result stream.
#[derive(Debug)]
pub(crate) struct Sent {
    /// Replies to skip first (the CLIENT UNBLOCK of the reader thread).
    pub(crate) skip: usize,
    /// The chunks whose XADD replies (their entry ids) come next, in order.
    pub(crate) chunks: Vec<u64>,
    /// When the XREAD was written: the broker answers it by `at + READ_BLOCK`.
    pub(crate) at: Instant,
}

#[derive(Debug, Default)]
struct SeatConn {
    conn: Option<Conn>,
    sent: Option<Sent>,
}

/// The seat, held by a leading caller for one round (or by `terminate`, to read what was
/// [`Sent`]).
pub(crate) struct Seat<'a> {
    reading: &'a Reading,
    seat: MutexGuard<'a, SeatConn>,
    /// Taken as the leader (the coordination is told when it leaves).
    led: bool,
    /// The reader thread's client, to unblock in the same round trip.
    pub(crate) kick: Option<i64>,
}

impl Seat<'_> {
    /// The seat's connection, made with `connect` if there is none (which also gives its
    /// client id).
    pub(crate) fn conn(
        &mut self,
        connect: impl FnOnce() -> Result<(Conn, Option<i64>), String>,
    ) -> Result<&mut Conn, String> {
        if self.seat.conn.is_none() {
            let (conn, client) = connect()?;
            *self.reading.seat_client.lock() = client;
            self.seat.conn = Some(conn);
        }
        Ok(self.seat.conn.as_mut().expect("just made"))
    }

    /// The connection, if there is one.
    pub(crate) fn existing_conn(&mut self) -> Option<&mut Conn> {
        self.seat.conn.as_mut()
    }

    /// Forgets the connection (broken, or with replies nobody will read).
    pub(crate) fn drop_conn(&mut self) {
        self.seat.conn = None;
        self.seat.sent = None;
        *self.reading.seat_client.lock() = None;
    }

    /// Whether something was sent on the connection and not answered yet.
    pub(crate) fn has_sent(&self) -> bool {
        self.seat.sent.is_some()
    }

    /// What was sent and not answered, to read now.
    pub(crate) fn take_sent(&mut self) -> Option<Sent> {
        self.seat.sent.take()
    }

    /// Notes what was just written on the connection, for the next reader of the seat.
    pub(crate) fn set_sent(&mut self, sent: Sent) {
        self.seat.sent = Some(sent);
    }
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        if !self.led {
            return;
        }
        let mut c = self.reading.coord.lock();
        c.leader = false;
        c.left = Instant::now();
        if c.followers > 0 {
            // Somebody still waits: the reader thread reads for them from now on.
            self.reading.wake.notify_all();
        }
    }
}

impl Reading {
    pub(crate) fn new() -> Reading {
        Reading {
            coord: Mutex::new(Coord {
                leader: false,
                followers: 0,
                left: Instant::now(),
                thread_reading: false,
                thread_client: None,
                stopping: false,
            }),
            wake: Condvar::new(),
            seat: Mutex::new(SeatConn::default()),
            cursor: Mutex::new(EntryId::default()),
            seat_client: Mutex::new(None),
        }
    }

    /// Takes the seat if it is free; else counts the caller as a follower (`Err(true)`), or
    /// says the pool is stopping (`Err(false)`).
    pub(crate) fn try_lead(&self) -> Result<Seat<'_>, bool> {
        let kick = {
            let mut c = self.coord.lock();
            if c.stopping {
                return Err(false);
            }
            if c.leader {
                c.followers += 1;
                return Err(true);
            }
            c.leader = true;
            if c.thread_reading {
                c.thread_client
            } else {
                None
            }
        };
        Ok(Seat {
            reading: self,
            seat: self.seat.lock(),
            led: true,
            kick,
        })
    }

    /// Takes the seat as the leader if it is free, without waiting or following (to queue a
    /// call with its read, see [`Sent`]).
    pub(crate) fn try_seat(&self) -> Option<Seat<'_>> {
        let kick = {
            let mut c = self.coord.lock();
            if c.stopping || c.leader {
                return None;
            }
            c.leader = true;
            if c.thread_reading {
                c.thread_client
            } else {
                None
            }
        };
        Some(Seat {
            reading: self,
            seat: self.seat.lock(),
            led: true,
            kick,
        })
    }

    /// The seat's connection, not as a leader: waits for a leader's round to end (`terminate`
    /// unblocks its read first, see [`seat_client`](Self::seat_client)).
    pub(crate) fn lock_seat(&self) -> Seat<'_> {
        Seat {
            reading: self,
            seat: self.seat.lock(),
            led: false,
            kick: None,
        }
    }

    /// The seat connection's client id, if it is connected.
    pub(crate) fn seat_client(&self) -> Option<i64> {
        *self.seat_client.lock()
    }

    /// Counts a waiter that wants results read for it without leading (`join`).
    pub(crate) fn follow(&self) {
        let mut c = self.coord.lock();
        c.followers += 1;
        if !c.leader {
            self.wake.notify_all();
        }
    }

    pub(crate) fn unfollow(&self) {
        let mut c = self.coord.lock();
        c.followers = c.followers.saturating_sub(1);
    }

    /// The reader thread's client id on the broker (for CLIENT UNBLOCK).
    pub(crate) fn set_thread_client(&self, id: Option<i64>) {
        self.coord.lock().thread_client = id;
    }

    /// Parks the reader thread until it should read (`in_flight` says whether results are
    /// due), or until `upkeep`, or until the pool stops or replaces this thread (`replaced`;
    /// see [`nudge`](Self::nudge)).
    pub(crate) fn thread_turn(
        &self,
        in_flight: impl Fn() -> bool,
        upkeep: Instant,
        replaced: impl Fn() -> bool,
    ) -> Turn {
        let mut c = self.coord.lock();
        loop {
            if c.stopping || replaced() {
                return Turn::Stop;
            }
            let now = Instant::now();
            if now >= upkeep {
                return Turn::Upkeep;
            }
            let quiet = c.left + GRACE;
            if !c.leader && (c.followers > 0 || now >= quiet) && in_flight() {
                c.thread_reading = true;
                return Turn::Read;
            }
            let until = if !c.leader && now < quiet {
                quiet
            } else {
                now + GRACE
            };
            self.wake.wait_until(&mut c, until.min(upkeep));
        }
    }

    /// Wakes the reader thread to look again (it is being replaced); the id of its client if
    /// it is blocked in an XREAD (to unblock).
    pub(crate) fn nudge(&self) -> Option<i64> {
        let c = self.coord.lock();
        self.wake.notify_all();
        if c.thread_reading {
            c.thread_client
        } else {
            None
        }
    }

    /// Moves the cursor to `to` if it is behind (the pool got its broker back: what the
    /// result stream holds up to `to` is stale).
    pub(crate) fn skip_to(&self, to: EntryId) {
        let mut cursor = self.cursor.lock();
        if *cursor < to {
            *cursor = to;
        }
    }

    /// The reader thread's XREAD returned.
    pub(crate) fn thread_read_done(&self) {
        self.coord.lock().thread_reading = false;
    }

    /// Stops the reader thread; the id of its client if it is blocked in an XREAD (to unblock).
    pub(crate) fn stop(&self) -> Option<i64> {
        let mut c = self.coord.lock();
        c.stopping = true;
        self.wake.notify_all();
        if c.thread_reading {
            c.thread_client
        } else {
            None
        }
    }

    /// The last entry handed out, locked: hand out only entries past it, and move it.
    pub(crate) fn cursor(&self) -> MutexGuard<'_, EntryId> {
        self.cursor.lock()
    }
}
