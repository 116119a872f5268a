//! Handing open descriptors (a [`Connection`](super::Connection)'s socket) to a child inside a
//! [`Process`](super::Process)'s argument, with `SCM_RIGHTS`.
//!
//! While a `Process` encodes its argument, a thread-local list collects the descriptors of the
//! values being encoded; each value encodes as its position in that list. The descriptors travel
//! with the job frame, and the child keeps them in a thread-local table that the values take
//! them from as they are decoded. Outside of that (in a pool task, in a queue) such a value
//! does not encode: a descriptor cannot be sent there.

use std::cell::RefCell;
use std::io::{self, IoSlice, IoSliceMut, Read};
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use rustix::net::{
    recvmsg, sendmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};

use super::wire::{self, WireError, HEADER};

/// Most descriptors one Process argument may carry.
const MAX_FDS: usize = 64;

thread_local! {
    static OUTGOING: RefCell<Option<Vec<RawFd>>> = const { RefCell::new(None) };
    static INCOMING: RefCell<Vec<Option<OwnedFd>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `encode` while collecting the descriptors that values offer.
pub(crate) fn collecting<T>(encode: impl FnOnce() -> T) -> (T, Vec<RawFd>) {
    OUTGOING.with(|o| *o.borrow_mut() = Some(Vec::new()));
    let out = encode();
    let fds = OUTGOING.with(|o| o.borrow_mut().take()).unwrap_or_default();
    (out, fds)
}

/// Offers a descriptor to the current collection; its index there, or `None` if nothing
/// collects (the value is not inside a Process argument).
pub(crate) fn offer(fd: RawFd) -> Option<u64> {
    OUTGOING.with(|o| {
        let mut o = o.borrow_mut();
        let list = o.as_mut()?;
        if list.len() >= MAX_FDS {
            return None;
        }
        list.push(fd);
        Some(list.len() as u64 - 1)
    })
}

/// Takes the received descriptor at `index`.
pub(crate) fn claim(index: u64) -> Option<OwnedFd> {
    INCOMING.with(|i| i.borrow_mut().get_mut(index as usize)?.take())
}

/// Closes received descriptors that no value claimed.
pub(crate) fn drop_received() {
    INCOMING.with(|i| i.borrow_mut().clear());
}

/// Sends a finished frame with `fds` attached to its first bytes.
pub(crate) fn send_frame(sock: &UnixStream, frame: &[u8], fds: &[RawFd]) -> io::Result<()> {
    if fds.is_empty() {
        return wire::send_all(sock, frame);
    }
    let borrowed: Vec<BorrowedFd<'_>> = fds
        .iter()
        // SAFETY: each descriptor was offered by a value inside the argument being sent
        // (`offer`), which owns it and outlives this call.
        .map(|&fd| unsafe { BorrowedFd::borrow_raw(fd) })
        .collect();
    let mut space = vec![MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(fds.len()))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&borrowed)) {
        return Err(io::Error::other(
            "the descriptors do not fit their control message",
        ));
    }
    let sent = loop {
        match sendmsg(
            sock,
            &[IoSlice::new(frame)],
            &mut control,
            SendFlags::NOSIGNAL,
        ) {
            Ok(n) => break n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(err) => return Err(err.into()),
        }
    };
    wire::send_all(sock, &frame[sent..])
}

/// Reads one frame, keeping any descriptors that came with it for [`claim`].
pub(crate) fn receive_frame(sock: &mut UnixStream, buf: &mut Vec<u8>) -> Result<(), WireError> {
    let mut header = [0u8; HEADER];
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let got = loop {
        let mut iov = [IoSliceMut::new(&mut header)];
        match recvmsg(&*sock, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC) {
            Ok(msg) => break msg.bytes,
            Err(rustix::io::Errno::INTR) => continue,
            Err(err) => return Err(io::Error::from(err).into()),
        }
    };
    if got == 0 {
        return Err(WireError::Truncated);
    }
    let mut received = Vec::new();
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = message {
            received.extend(fds.map(Some));
        }
    }
    INCOMING.with(|i| *i.borrow_mut() = received);
    if got < HEADER {
        sock.read_exact(&mut header[got..])?;
    }
    let (len, sum) = wire::parse_header(&header)?;
    wire::read_payload(sock, len, sum, buf)
}
