//! A TCP fault proxy on 127.0.0.1: it sits between a connection and an upstream (the
//! [`Simulator`](crate::Simulator), a test sshd) and spoils the stream on purpose, so tests see
//! what a slow, lossy or dying network does to a transport.
//!
//! ```text
//!   connection ──► FaultProxy ──► upstream
//!              ◄── (pieces, delays, stall, reset, half-close) ◄──
//! ```
//!
//! What it does is a [`Faults`] value, set when it starts and replaceable while it runs
//! ([`FaultProxy::set_faults`]): writes cut into 1-byte pieces (both directions), a random
//! delay before some pieces (from a seeded xorshift, so a seed gives the same delays each run),
//! and one [`Fault`] that fires after a number of bytes towards the client: a stall (nothing
//! more is forwarded, the sockets stay open), a reset (RST to the client), a half-close (FIN
//! to the client, the other direction still open).
//!
//! Like the simulator it runs a current-thread tokio runtime on a thread of its own, named
//! `proxy:PORT`; dropping the proxy stops that thread, closes every socket and joins it.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

/// What a [`FaultProxy`] does to the bytes it forwards. The default forwards them untouched.
///
/// ```
/// use std::time::Duration;
/// use moler_testkit::proxy::{Fault, Faults};
///
/// let faults = Faults::default().one_byte_pieces().delays(Duration::from_millis(2), 10).seed(7);
/// assert!(faults.one_byte && faults.fault.is_none());
/// assert_eq!(faults.reset_after(100).fault, Some(Fault::Reset { after: 100 }));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Forward every byte in a write of its own, in both directions.
    pub one_byte: bool,
    /// Wait before some pieces, both directions.
    pub delays: Option<Delays>,
    /// Seeds the delays; each connection and direction derives its own sequence from it.
    pub seed: u64,
    /// What happens after a number of bytes towards the client, counted from when these faults
    /// were set (so a test can warm the connection up first).
    pub fault: Option<Fault>,
}

/// Random delays before forwarded pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delays {
    /// The longest delay; each delayed piece waits a uniform time from zero to this.
    pub max: Duration,
    /// How many pieces in a hundred wait at all. A timer sleeps at least a millisecond, so
    /// delaying every 1-byte piece would make a 2 kB answer take seconds.
    pub percent: u8,
}

/// One fault, firing once after `after` bytes went towards the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Stop forwarding in both directions and keep every socket open, until
    /// [`FaultProxy::resume`] or [`FaultProxy::set_faults`].
    Stall {
        /// Bytes forwarded to the client first.
        after: u64,
    },
    /// Reset the connection: the client's socket closes with a zero linger, so the client
    /// reads an RST (`ECONNRESET`) rather than an end of stream; the upstream is reset too.
    Reset {
        /// Bytes forwarded to the client first.
        after: u64,
    },
    /// Shut down the direction towards the client (a FIN); the client can still send.
    HalfClose {
        /// Bytes forwarded to the client first.
        after: u64,
    },
}

impl Faults {
    /// Cuts every write into 1-byte pieces.
    pub fn one_byte_pieces(mut self) -> Faults {
        self.one_byte = true;
        self
    }

    /// Delays `percent` of the pieces by up to `max` each.
    pub fn delays(mut self, max: Duration, percent: u8) -> Faults {
        self.delays = Some(Delays { max, percent: percent.min(100) });
        self
    }

    /// Seeds the delays.
    pub fn seed(mut self, seed: u64) -> Faults {
        self.seed = seed;
        self
    }

    /// Stalls after `after` bytes towards the client.
    pub fn stall_after(mut self, after: u64) -> Faults {
        self.fault = Some(Fault::Stall { after });
        self
    }

    /// Resets the connection after `after` bytes towards the client.
    pub fn reset_after(mut self, after: u64) -> Faults {
        self.fault = Some(Fault::Reset { after });
        self
    }

    /// Half-closes the connection after `after` bytes towards the client.
    pub fn half_close_after(mut self, after: u64) -> Faults {
        self.fault = Some(Fault::HalfClose { after });
        self
    }
}

/// A running fault proxy; dropping it stops it, closes its sockets and joins its thread.
///
/// ```
/// use std::io::{Read, Write};
/// use moler_testkit::proxy::{FaultProxy, Faults};
/// use moler_testkit::{Simulator, SIM_BANNER};
///
/// let sim = Simulator::start()?;
/// let proxy = FaultProxy::start(sim.addr(), Faults::default().one_byte_pieces())?;
/// let mut stream = std::net::TcpStream::connect(proxy.addr())?;
/// let mut greeting = vec![0; SIM_BANNER.len()];
/// stream.read_exact(&mut greeting)?;
/// assert_eq!(greeting, SIM_BANNER.as_bytes());
/// assert_eq!(proxy.accepted(), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct FaultProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    state: Arc<watch::Sender<State>>,
    stop: Arc<Notify>,
    accepted: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.upstream)
            .field("faults", &self.state.borrow().faults)
            .finish_non_exhaustive()
    }
}

impl FaultProxy {
    /// Starts a proxy on a free port of 127.0.0.1 that forwards each connection it accepts to
    /// `upstream`, applying `faults`.
    pub fn start(upstream: SocketAddr, faults: Faults) -> io::Result<FaultProxy> {
        let std_listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let state = Arc::new(watch::Sender::new(State::armed(faults)));
        let stop = Arc::new(Notify::new());
        let accepted = Arc::new(AtomicUsize::new(0));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (state2, stop2, accepted2) =
            (Arc::clone(&state), Arc::clone(&stop), Arc::clone(&accepted));
        let name = format!("proxy:{}", addr.port());
        let thread = std::thread::Builder::new().name(name).spawn(move || {
            rt.block_on(async move {
                let listener = match TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => return eprintln!("fault proxy: {e}"),
                };
                loop {
                    tokio::select! {
                        _ = stop2.notified() => return,
                        conn = listener.accept() => match conn {
                            Ok((client, _)) => {
                                let index = accepted2.fetch_add(1, Ordering::Relaxed);
                                tokio::spawn(relay(client, upstream, Arc::clone(&state2), index));
                            }
                            // Out of descriptors, say: back off a little, keep serving.
                            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                        },
                    }
                }
            });
            // Dropping the runtime here drops the relay tasks, closing their sockets before
            // the thread ends, so a joined proxy holds nothing.
        })?;
        Ok(FaultProxy { addr, upstream, state, stop, accepted, thread: Some(thread) })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Where it forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// Replaces the faults for every connection, from the next piece on; a stall is lifted
    /// and the new fault's byte count starts now.
    pub fn set_faults(&self, faults: Faults) {
        self.state.send_replace(State::armed(faults));
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        self.state.borrow().faults.clone()
    }

    /// Lifts a stall: what was held back is forwarded, the other faults stay.
    pub fn resume(&self) {
        self.state.send_modify(|s| {
            s.stalled = false;
            s.up_held = false;
        });
    }

    /// Lifts a stall towards the client only: what the client sends stays held until
    /// [`FaultProxy::resume`]. For a test that needs what the server said before the stall
    /// read by the client before the server sees what the client sent meanwhile.
    pub fn resume_towards_client(&self) {
        self.state.send_modify(|s| {
            s.stalled = false;
            s.up_held = true;
        });
    }

    /// How many times the fault fired, so a test knows its error came from the proxy.
    pub fn fired(&self) -> usize {
        self.state.borrow().fired
    }

    /// How many connections it accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // notify_one keeps a permit when nobody waits yet, so the stop is never lost.
        self.stop.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the relays share: the faults and the countdown to the fault.
#[derive(Debug)]
struct State {
    faults: Faults,
    /// Bytes towards the client before the fault fires; `None` once it fired (or none is set).
    left: Option<u64>,
    stalled: bool,
    /// The client's bytes are held though the stall is lifted
    /// ([`FaultProxy::resume_towards_client`]).
    up_held: bool,
    fired: usize,
}

impl State {
    fn armed(faults: Faults) -> State {
        let left = faults.fault.map(|f| match f {
            Fault::Stall { after } | Fault::Reset { after } | Fault::HalfClose { after } => after,
        });
        State { faults, left, stalled: false, up_held: false, fired: 0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Client to upstream.
    Up,
    /// Upstream to client: where the fault's bytes are counted.
    Down,
}

/// How a pump ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Its source ended; it passed the end on as a FIN.
    Eof,
    /// The fault half-closed the client's side.
    HalfClosed,
    /// A reset: the fault's, or an error on either socket that the peers must see as one.
    Reset,
}

/// One connection: connect upstream, pump both ways until both ends finished or one reset.
async fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    state: Arc<watch::Sender<State>>,
    index: usize,
) {
    let mut server = match TcpStream::connect(upstream).await {
        Ok(s) => s,
        Err(_) => {
            // The client sees the refusal as a reset, the closest a proxy can get.
            let _ = client.set_zero_linger();
            return;
        }
    };
    // Each piece leaves as a segment of its own; Nagle would glue 1-byte pieces together.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let seed = state.borrow().faults.seed;
    let end = {
        let (mut client_read, mut client_write) = client.split();
        let (mut server_read, mut server_write) = server.split();
        let up = pump(&mut client_read, &mut server_write, Direction::Up, &state, seed, index);
        let down = pump(&mut server_read, &mut client_write, Direction::Down, &state, seed, index);
        tokio::pin!(up, down);
        let (mut up_done, mut down_done) = (false, false);
        loop {
            tokio::select! {
                end = &mut up, if !up_done => {
                    if end == End::Reset { break End::Reset }
                    up_done = true;
                }
                end = &mut down, if !down_done => {
                    if end == End::Reset { break End::Reset }
                    down_done = true;
                }
            }
            if up_done && down_done {
                break End::Eof;
            }
        }
    };
    if end == End::Reset {
        // Closing with a zero linger sends RST instead of FIN.
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
    }
}

/// Forwards `from` to `to` in pieces, with the delays and the fault in force.
async fn pump(
    from: &mut ReadHalf<'_>,
    to: &mut WriteHalf<'_>,
    direction: Direction,
    state: &watch::Sender<State>,
    seed: u64,
    index: usize,
) -> End {
    let mut rx = state.subscribe();
    let mut rng = Rng::new(seed, index, direction);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // A stalled proxy reads nothing either, so the peers' buffers fill as on a dead link.
        wait_unstalled(&mut rx, direction).await;
        let n = match from.read(&mut buf).await {
            Ok(0) => {
                let _ = to.shutdown().await;
                return End::Eof;
            }
            Ok(n) => n,
            Err(_) => return End::Reset,
        };
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            wait_unstalled(&mut rx, direction).await;
            let (one_byte, delays) = {
                let s = state.borrow();
                (s.faults.one_byte, s.faults.delays)
            };
            if let Some(d) = delays {
                if rng.below(100) < u64::from(d.percent) {
                    let max = u64::try_from(d.max.as_micros()).unwrap_or(u64::MAX - 1);
                    tokio::time::sleep(Duration::from_micros(rng.below(max + 1))).await;
                }
            }
            let want = if one_byte { 1 } else { rest.len() };
            let (len, fired) = match direction {
                Direction::Down => take(state, want),
                Direction::Up => (want, None),
            };
            if len > 0 {
                if to.write_all(&rest[..len]).await.is_err() {
                    return End::Reset;
                }
                rest = &rest[len..];
            }
            match fired {
                // The loop waits at its top until the stall is lifted, then sends the rest.
                None | Some(Fault::Stall { .. }) => {}
                Some(Fault::Reset { .. }) => return End::Reset,
                Some(Fault::HalfClose { .. }) => {
                    let _ = to.shutdown().await;
                    return End::HalfClosed;
                }
            }
        }
    }
}

async fn wait_unstalled(rx: &mut watch::Receiver<State>, direction: Direction) {
    // The sender lives in the proxy and in every relay, so it outlives this wait; the guard
    // is dropped at once, never held across an await.
    let held = |s: &State| s.stalled || (s.up_held && direction == Direction::Up);
    let _ = rx.wait_for(|s| !held(s)).await.map(drop);
}

/// Counts `want` bytes towards the client against the fault: how many may go now, and the
/// fault if it fires with them.
fn take(state: &watch::Sender<State>, want: usize) -> (usize, Option<Fault>) {
    let mut out = (want, None);
    // Only a stall needs the receivers woken (a lifted one does, through send_replace).
    state.send_if_modified(|s| {
        let Some(left) = s.left else { return false };
        let len = usize::try_from(left).map_or(want, |left| left.min(want));
        out.0 = len;
        let left = left - len as u64;
        s.left = Some(left);
        if left > 0 {
            return false;
        }
        s.left = None;
        s.fired += 1;
        out.1 = s.faults.fault;
        s.stalled = matches!(s.faults.fault, Some(Fault::Stall { .. }));
        s.stalled
    });
    out
}

/// xorshift64*: tiny, deterministic, good enough for delays.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, index: usize, direction: Direction) -> Rng {
        // splitmix64 of the seed, connection and direction: never zero, well spread.
        let mut z = seed
            .wrapping_add((index as u64).wrapping_mul(2) + direction as u64)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform enough in `0..n` for test delays (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn the_delays_repeat_for_a_seed_and_differ_between_directions() {
        let run = |seed, dir| {
            let mut r = Rng::new(seed, 0, dir);
            (0..8).map(|_| r.below(1000)).collect::<Vec<_>>()
        };
        assert_eq!(run(7, Direction::Down), run(7, Direction::Down));
        assert_ne!(run(7, Direction::Down), run(7, Direction::Up));
        assert_ne!(run(7, Direction::Down), run(8, Direction::Down));
    }

    #[test]
    fn a_fault_counts_bytes_from_when_it_was_set() {
        let state = watch::Sender::new(State::armed(Faults::default().reset_after(3)));
        assert_eq!(take(&state, 2), (2, None));
        assert_eq!(take(&state, 5), (1, Some(Fault::Reset { after: 3 })));
        assert_eq!(take(&state, 5), (5, None), "fires once");
        assert_eq!(state.borrow().fired, 1);
        state.send_replace(State::armed(Faults::default().stall_after(0)));
        assert_eq!(take(&state, 1), (0, Some(Fault::Stall { after: 0 })));
        assert!(state.borrow().stalled);
    }

    /// A plain echo upstream, one connection.
    fn echo_upstream() -> (SocketAddr, std::thread::JoinHandle<()>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            loop {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if s.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        (addr, t)
    }

    fn read_n(s: &mut std::net::TcpStream, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        s.read_exact(&mut v).unwrap();
        v
    }

    #[test]
    fn pieces_and_delays_keep_the_bytes() {
        let (up, t) = echo_upstream();
        let faults =
            Faults::default().one_byte_pieces().delays(Duration::from_micros(500), 20).seed(3);
        let proxy = FaultProxy::start(up, faults).unwrap();
        let mut s = std::net::TcpStream::connect(proxy.addr()).unwrap();
        let text: Vec<u8> = (0..600u32).map(|i| b'a' + (i % 26) as u8).collect();
        s.write_all(&text).unwrap();
        assert_eq!(read_n(&mut s, text.len()), text);
        drop(s);
        t.join().unwrap();
    }

    #[test]
    fn a_stall_holds_the_bytes_until_resumed_and_a_reset_resets() {
        let (up, t) = echo_upstream();
        let proxy = FaultProxy::start(up, Faults::default().stall_after(4)).unwrap();
        let mut s = std::net::TcpStream::connect(proxy.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        s.write_all(b"abcdefgh").unwrap();
        assert_eq!(read_n(&mut s, 4), b"abcd");
        let mut buf = [0u8; 8];
        let err = s.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "stalled: {err}");
        assert_eq!(proxy.fired(), 1);
        proxy.resume();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        assert_eq!(read_n(&mut s, 4), b"efgh");
        proxy.set_faults(Faults::default().reset_after(2));
        s.write_all(b"xyz").unwrap();
        let mut got = Vec::new();
        let err = loop {
            match s.read(&mut buf) {
                Ok(0) => panic!("a FIN, not a reset, after {got:?}"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        assert_eq!(got, b"xy");
        t.join().unwrap();
    }

    #[test]
    fn a_stall_lifted_towards_the_client_still_holds_what_the_client_sends() {
        let (up, t) = echo_upstream();
        let proxy = FaultProxy::start(up, Faults::default().stall_after(4)).unwrap();
        let mut s = std::net::TcpStream::connect(proxy.addr()).unwrap();
        s.write_all(b"abcdefgh").unwrap();
        assert_eq!(read_n(&mut s, 4), b"abcd");
        eventually_fired(&proxy);
        s.write_all(b"XY").unwrap();
        proxy.resume_towards_client();
        assert_eq!(read_n(&mut s, 4), b"efgh");
        s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let mut buf = [0u8; 8];
        let err = s.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "the client's bytes are held: {err}");
        proxy.resume();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        assert_eq!(read_n(&mut s, 2), b"XY");
        drop(s);
        drop(proxy);
        t.join().unwrap();
    }

    fn eventually_fired(proxy: &FaultProxy) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while proxy.fired() == 0 {
            assert!(std::time::Instant::now() < deadline, "the stall never fired");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_half_close_ends_the_stream_and_keeps_the_other_way_open() {
        let (up, t) = echo_upstream();
        let proxy = FaultProxy::start(up, Faults::default().half_close_after(3)).unwrap();
        let mut s = std::net::TcpStream::connect(proxy.addr()).unwrap();
        s.write_all(b"hello").unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"hel");
        s.write_all(b"still open").unwrap();
        drop(s);
        drop(proxy);
        t.join().unwrap();
    }
}
