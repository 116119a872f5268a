//! Handing open descriptors (a [`Connection`](super::Connection)'s socket) to a child inside a
//! [`Process`](super::Process)'s argument, with `SCM_RIGHTS`.
//!
//! While a `Process` encodes its argument, a thread-local list collects the descriptors of the
//! values being encoded; each value encodes as its position in that list. The descriptors travel
//! with the job frame, and the child keeps them in a thread-local table that the values take
//! them from as they are decoded. Outside of that (in a pool task, in a queue) such a value
//! does not encode: a descriptor cannot be sent there.

use std::cell::RefCell;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

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
    let payload = std::mem::size_of_val(fds);
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(payload as u32) } as usize;
    let mut control = vec![0u8; space];
    let mut iov = libc::iovec {
        iov_base: frame.as_ptr() as *mut libc::c_void,
        iov_len: frame.len(),
    };
    // SAFETY: an all-zero msghdr is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = space as _;
    // SAFETY: `msg` points to a control buffer of CMSG_SPACE(payload) bytes, so the first
    // header and its data fit; the fds are copied byte-wise (the data may be unaligned).
    let sent = unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(payload as u32) as _;
        std::ptr::copy_nonoverlapping(fds.as_ptr() as *const u8, libc::CMSG_DATA(cmsg), payload);
        libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL)
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    wire::send_all(sock, &frame[sent as usize..])
}

/// Reads one frame, keeping any descriptors that came with it for [`claim`].
pub(crate) fn receive_frame(sock: &mut UnixStream, buf: &mut Vec<u8>) -> Result<(), WireError> {
    let mut header = [0u8; HEADER];
    // SAFETY: CMSG_SPACE only computes a size.
    let space =
        unsafe { libc::CMSG_SPACE((MAX_FDS * std::mem::size_of::<RawFd>()) as u32) } as usize;
    let mut control = vec![0u8; space];
    let mut iov = libc::iovec {
        iov_base: header.as_mut_ptr() as *mut libc::c_void,
        iov_len: HEADER,
    };
    // SAFETY: an all-zero msghdr is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = space as _;
    let got = loop {
        // SAFETY: `msg` describes `header` and `control`, both alive for the call.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 {
            break n as usize;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err.into());
        }
    };
    if got == 0 {
        return Err(WireError::Truncated);
    }
    let mut received = Vec::new();
    // SAFETY: walking the control messages the kernel wrote into `control` with the CMSG_*
    // macros; SCM_RIGHTS data is an array of ints, read unaligned.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let bytes = (*cmsg).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                let data = libc::CMSG_DATA(cmsg) as *const RawFd;
                for k in 0..bytes / std::mem::size_of::<RawFd>() {
                    let fd = std::ptr::read_unaligned(data.add(k));
                    received.push(Some(OwnedFd::from_raw_fd(fd)));
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    INCOMING.with(|i| *i.borrow_mut() = received);
    if got < HEADER {
        sock.read_exact(&mut header[got..])?;
    }
    let (len, sum) = wire::parse_header(&header)?;
    wire::read_payload(sock, len, sum, buf)
}
