//! In-process: a simulated device as a `moler_io` transport, for unit tests without sockets.
//!
//! The stream is poll-based like `moler_io::memory`'s, so every runner drives it without a
//! descriptor: a write feeds the session and wakes the reader. The session's deadlines
//! (delays, streamed lines, reboots) are kept by one small timer thread per transport, which
//! ends with it.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Instant, SystemTime};

use moler_io::{Close, PollIo, Stream, Transport};

use crate::{Device, Session};

struct Inner {
    session: Session,
    incoming: VecDeque<u8>,
    reader: Option<Waker>,
    closed: bool,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Wakes the timer thread when the next deadline may have changed or the link closed.
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Plain data: a panic elsewhere cannot leave it half-updated.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the session's output to the reader's side and wakes it.
    fn publish(&self, mut st: MutexGuard<'_, Inner>, out: Vec<u8>) {
        st.incoming.extend(out);
        if st.session.is_closed() || st.session.down_until().is_some() {
            // An in-process link has no reconnecting: a reboot ends it, as a closed socket.
            st.closed = true;
        }
        let waker = if st.incoming.is_empty() && !st.closed { None } else { st.reader.take() };
        drop(st);
        self.changed.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// A transport whose other end is a session with `device`, started now: hand it to any
/// runner (`Runner::spawn`) and drive it with moler commands.
///
/// ```
/// use moler_io::blocking::BlockingStream;
/// use std::io::{Read, Write};
/// let device = moler_sim::Device::from_yaml(
///     "states: {S: {prompt: 'sim> ', commands: [{match: hi, answer: hello}]}}",
/// ).unwrap();
/// let mut io: BlockingStream = moler_sim::memory::transport(device.into(), "doc").into_blocking();
/// io.write_all(b"hi\r").unwrap();
/// let mut seen = Vec::new();
/// let mut buf = [0u8; 64];
/// while !seen.ends_with(b"hello\r\nsim> ") {
///     let n = io.read(&mut buf).unwrap();
///     seen.extend_from_slice(&buf[..n]);
/// }
/// assert_eq!(seen, b"sim> hi\r\nhello\r\nsim> ");
/// ```
pub fn transport(device: Arc<Device>, name: &str) -> Transport {
    open(device, name).0
}

/// [`transport`], and what its stream, its closer and its timer thread share.
fn open(device: Arc<Device>, name: &str) -> (Transport, Arc<Shared>) {
    let mut session = Session::new(device, Instant::now()).with_wall_clock(SystemTime::now());
    let first = session.take_output();
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner { session, incoming: first.into(), reader: None, closed: false }),
        changed: Condvar::new(),
    });
    let timer = Arc::clone(&shared);
    // The timer ends when the link closes; if the thread cannot start, deadlines never fire,
    // which a test sees as a timeout naming the device's silence.
    let _ = std::thread::Builder::new()
        .name("moler-sim-timer".into())
        .spawn(move || timer_loop(&timer));
    let transport = Transport {
        name: format!("sim:{name}"),
        control: None,
        stream: Stream::Poll(Box::new(SimStream(Arc::clone(&shared)))),
        closer: Arc::new(SimCloser(Arc::clone(&shared))),
        greeting: None,
    };
    (transport, shared)
}

fn timer_loop(shared: &Shared) {
    let mut st = shared.lock();
    loop {
        if st.closed {
            return;
        }
        let now = Instant::now();
        match st.session.poll_timeout() {
            Some(t) if t <= now => {
                let out = st.session.handle_timeout(now);
                shared.publish(st, out);
                st = shared.lock();
            }
            Some(t) => {
                st = shared
                    .changed
                    .wait_timeout(st, t - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            None => st = shared.changed.wait(st).unwrap_or_else(PoisonError::into_inner),
        }
    }
}

struct SimCloser(Arc<Shared>);

impl Close for SimCloser {
    fn close(&self) {
        let mut st = self.0.lock();
        st.closed = true;
        let w = st.reader.take();
        drop(st);
        self.0.changed.notify_all();
        if let Some(w) = w {
            w.wake();
        }
    }
}

struct SimStream(Arc<Shared>);

impl Drop for SimStream {
    fn drop(&mut self) {
        SimCloser(Arc::clone(&self.0)).close();
    }
}

impl PollIo for SimStream {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut st = self.0.lock();
        if st.incoming.is_empty() {
            if st.closed {
                return Poll::Ready(Ok(0));
            }
            match &mut st.reader {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        }
        let n = buf.len().min(st.incoming.len());
        for (slot, b) in buf.iter_mut().zip(st.incoming.drain(..n)) {
            *slot = b;
        }
        Poll::Ready(Ok(n))
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let mut st = self.0.lock();
        if st.closed {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the simulated device closed",
            )));
        }
        let out = st.session.feed(buf, Instant::now());
        self.0.publish(st, out);
        Poll::Ready(Ok(buf.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    const DEVICE: &str = "states: {S: {prompt: 'sim> ', commands: [
        {match: slow, answer: done, delay_ms: 300},
        {match: bye, delay_ms: 50, close: true}]}}";

    /// The device's transport, as a blocking stream that has read the first prompt.
    fn opened() -> (moler_io::blocking::BlockingStream, Arc<dyn Close>) {
        let device = Device::from_yaml(DEVICE).unwrap();
        let transport = transport(device.into(), "unit");
        let closer = Arc::clone(&transport.closer);
        let mut io = transport.into_blocking();
        read_until(&mut io, b"sim> ");
        (io, closer)
    }

    fn read_until(io: &mut impl Read, end: &[u8]) -> Vec<u8> {
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !seen.ends_with(end) {
            let n = io.read(&mut buf).unwrap();
            assert!(n > 0, "the link ended; so far {:?}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        seen
    }

    /// One read, which must return within 20 s (a reader nobody wakes fails the test instead
    /// of hanging it): how many bytes, and the stream back.
    fn read_within(
        mut io: moler_io::blocking::BlockingStream,
    ) -> (usize, moler_io::blocking::BlockingStream) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 16];
            let n = io.read(&mut buf).unwrap();
            let _ = tx.send((n, io));
        });
        rx.recv_timeout(Duration::from_secs(20)).expect("the reader was never woken")
    }

    /// A delay is kept: the answer comes no sooner (the timer thread fires deadlines when
    /// due, not at once).
    #[test]
    fn a_delayed_answer_waits_its_delay() {
        let (mut io, _closer) = opened();
        let sent = Instant::now();
        io.write_all(b"slow\r").unwrap();
        assert_eq!(read_until(&mut io, b"sim> "), b"slow\r\ndone\r\nsim> ");
        assert!(sent.elapsed() >= Duration::from_millis(300), "after {:?}", sent.elapsed());
    }

    /// A close that comes later and says nothing still ends the link for a reader already
    /// waiting: it is woken and reads the end.
    #[test]
    fn a_silent_close_wakes_the_waiting_reader() {
        let (mut io, _closer) = opened();
        io.write_all(b"bye\r").unwrap();
        assert_eq!(read_until(&mut io, b"bye\r\n"), b"bye\r\n");
        // Nothing more but the end (the thread runner's read would wait for ever without it).
        assert_eq!(read_within(io).0, 0);
    }

    /// The last task to wait for output is the one woken, as the poll contract says: a reader
    /// that moved to another task (the smol runner's assist hands the reading around) is not
    /// left asleep.
    #[test]
    fn output_wakes_the_last_task_that_waited() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::task::Wake;
        struct Flag(AtomicBool);
        impl Wake for Flag {
            fn wake(self: Arc<Self>) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let device = Device::from_yaml(DEVICE).unwrap();
        let Stream::Poll(mut stream) = transport(device.into(), "unit").stream else {
            panic!("a poll-based stream")
        };
        let (first, second) =
            (Arc::new(Flag(AtomicBool::new(false))), Arc::new(Flag(AtomicBool::new(false))));
        let (first_waker, second_waker) =
            (Waker::from(Arc::clone(&first)), Waker::from(Arc::clone(&second)));
        let mut buf = [0u8; 64];
        // The first prompt, then nothing more to read.
        let mut cx = Context::from_waker(&first_waker);
        assert!(matches!(stream.poll_read(&mut cx, &mut buf), Poll::Ready(Ok(5))));
        assert!(stream.poll_read(&mut cx, &mut buf).is_pending());
        let mut cx = Context::from_waker(&second_waker);
        assert!(stream.poll_read(&mut cx, &mut buf).is_pending());
        assert!(matches!(stream.poll_write(&mut cx, b"slow\r"), Poll::Ready(Ok(5))));
        assert!(second.0.load(Ordering::SeqCst), "the task waiting now was not woken");
        assert!(!first.0.load(Ordering::SeqCst), "the task that left was woken instead");
    }

    /// A transport dropped unclosed (a runner that ends) closes the link: its timer thread
    /// ends (it would wait for the next deadline for ever, holding the session).
    #[test]
    fn dropping_the_transport_ends_its_timer() {
        let (transport, shared) = open(Device::from_yaml(DEVICE).unwrap().into(), "unit");
        let weak = Arc::downgrade(&shared);
        drop((shared, transport));
        let deadline = Instant::now() + Duration::from_secs(20);
        while weak.upgrade().is_some() {
            assert!(Instant::now() < deadline, "the timer thread still holds the session");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Closing the transport ends the link on both sides: reads see its end, writes fail.
    #[test]
    fn closing_ends_reads_and_writes() {
        let (io, closer) = opened();
        closer.close();
        let (n, mut io) = read_within(io);
        assert_eq!(n, 0);
        let err = io.write_all(b"slow\r").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
    }
}
