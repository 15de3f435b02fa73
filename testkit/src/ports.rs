//! Ports for tests: one where connections are refused, one kept for a server the test starts.
//!
//! The usual trick, binding a listener to port 0, reading its port and closing it again, leaves
//! a window: until the port is used, another test's listener (tests run in parallel) may be
//! given it, or a connecting socket may take it as its own ephemeral port. A "refused"
//! connection then opens (to the other listener, or to itself: a TCP self-connect succeeds),
//! and a server started on the port fails to bind it, or, worse, the test takes the other
//! listener for its server and talks to the wrong one. [`RefusedPort`] and [`ServerPort`] close
//! the window: each keeps a socket bound to the port, not listening, for as long as it lives.
//! The kernel gives a port bound that way to no other bind to port 0 and to no connecting
//! socket.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use rustix::net::{AddressFamily, SocketType};

/// A socket bound to a free port on 127.0.0.1 (not listening), `SO_REUSEADDR` as asked, and
/// its port.
fn bind_free(reuse_address: bool, what: &str) -> (OwnedFd, u16) {
    let socket = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None)
        .unwrap_or_else(|e| panic!("a TCP socket for {what}: {e}"));
    if reuse_address {
        rustix::net::sockopt::set_socket_reuseaddr(&socket, true)
            .unwrap_or_else(|e| panic!("SO_REUSEADDR on the socket for {what}: {e}"));
    }
    rustix::net::bind(&socket, &SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
        .unwrap_or_else(|e| panic!("a free port on 127.0.0.1 for {what}: {e}"));
    let bound = rustix::net::getsockname(&socket).expect("the bound address");
    let port = SocketAddrV4::try_from(bound).expect("an IPv4 address").port();
    (socket, port)
}

/// A TCP port on 127.0.0.1 where every connection is refused for as long as this lives.
///
/// A socket is bound there and never listens: a SYN to the port is answered with a reset
/// (`ConnectionRefused`), the kernel gives the port to no other bind to port 0, and a
/// connecting socket never takes an explicitly bound port as its own, so no self-connect.
///
/// ```
/// let refused = moler_testkit::RefusedPort::new();
/// let err = std::net::TcpStream::connect(("127.0.0.1", refused.port())).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
/// ```
#[derive(Debug)]
pub struct RefusedPort {
    _socket: OwnedFd,
    port: u16,
}

impl RefusedPort {
    /// Binds a socket to a free port on 127.0.0.1 without listening.
    ///
    /// # Panics
    /// When the machine gives no socket or no port: a test cannot go on without one.
    pub fn new() -> RefusedPort {
        let (socket, port) = bind_free(false, "a refused port");
        RefusedPort { _socket: socket, port }
    }

    /// The port: connecting to 127.0.0.1 there is refused while `self` lives.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Default for RefusedPort {
    fn default() -> RefusedPort {
        RefusedPort::new()
    }
}

/// A TCP port on 127.0.0.1 kept for a server the test starts (sshd, ser2net, `iperf -s`,
/// `openssl s_server`, `python3 -m http.server`…), for as long as this lives.
///
/// A socket is bound there with `SO_REUSEADDR` and never listens. The kernel gives the port to
/// no bind to port 0 and to no connecting socket, and refuses it to any bind without
/// `SO_REUSEADDR`; a server that sets `SO_REUSEADDR` on its listening socket (every server
/// above does, and so does Rust's `TcpListener`) binds and listens there, on 127.0.0.1 or on
/// any address. So the only listener that can appear on the port is the server's: a test may
/// take "something listens on the port" for "the server is up". Until then connections are
/// refused.
///
/// A server that does not set `SO_REUSEADDR` fails to bind (address in use) at once: a loud
/// failure, never a wrong server.
///
/// ```
/// use std::io::{Read, Write};
///
/// let kept = moler_testkit::ServerPort::new();
/// let refused = std::net::TcpStream::connect(("127.0.0.1", kept.port())).unwrap_err();
/// assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused, "no server yet");
/// // The server (here Rust's listener, which sets SO_REUSEADDR) binds the kept port.
/// let server = std::net::TcpListener::bind(("127.0.0.1", kept.port()))?;
/// let mut client = std::net::TcpStream::connect(("127.0.0.1", kept.port()))?;
/// server.accept()?.0.write_all(b"hello")?;
/// let mut seen = [0; 5];
/// client.read_exact(&mut seen)?;
/// assert_eq!(&seen, b"hello");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct ServerPort {
    _socket: OwnedFd,
    port: u16,
}

impl ServerPort {
    /// Binds a socket with `SO_REUSEADDR` to a free port on 127.0.0.1 without listening.
    ///
    /// # Panics
    /// When the machine gives no socket or no port: a test cannot go on without one.
    pub fn new() -> ServerPort {
        let (socket, port) = bind_free(true, "a server's port");
        ServerPort { _socket: socket, port }
    }

    /// The port, for the server's command line or configuration.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits until the server listens on the port, up to `timeout`; whether it does.
    ///
    /// For a server that says it is ready before it listens: `iperf` 2 prints "Server
    /// listening" from another thread than the one that calls `listen`, and now and then
    /// first (2 runs in 30 here, by `strace -f`), so a client started at that line is
    /// refused. Not by connecting: a probe is a client to the server (ser2net opens its line
    /// for it, `iperf -s -P 1` counts it as its one). The kernel tells no one when a socket
    /// starts listening, so this looks every 10 ms: setup, not a hot path.
    pub fn wait_listening(&self, timeout: Duration) -> bool {
        wait_for(timeout, || listening_on(self.port))
    }
}

/// Whether a TCP socket listens on `port`, on any local address, IPv4 or IPv6
/// (`/proc/net/tcp` and `/proc/net/tcp6`, state `0A`). On a [`ServerPort`]'s port only the
/// server can (see there).
pub fn listening_on(port: u16) -> bool {
    bound_in(&["/proc/net/tcp", "/proc/net/tcp6"], port, Some("0A"))
}

/// Whether a UDP socket is bound to `port`, on any local address, IPv4 or IPv6
/// (`/proc/net/udp` and `/proc/net/udp6`): a UDP server is ready once it is.
pub fn udp_bound(port: u16) -> bool {
    bound_in(&["/proc/net/udp", "/proc/net/udp6"], port, None)
}

/// Waits until a UDP socket is bound to `port`, up to `timeout`; whether one is. For a UDP
/// server that says it is ready before it binds (`iperf -s -u`, as
/// [`ServerPort::wait_listening`] says of TCP).
pub fn wait_udp_bound(port: u16, timeout: Duration) -> bool {
    wait_for(timeout, || udp_bound(port))
}

/// Looks every 10 ms until `ready`, up to `timeout`; whether it was.
fn wait_for(timeout: Duration, ready: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether a socket of one of these `/proc/net` tables has `port` as its local port (and
/// `state`, if given: the fourth column, in hex as the kernel writes it).
fn bound_in(tables: &[&str], port: u16, state: Option<&str>) -> bool {
    let local_port = format!(":{port:04X}");
    tables.iter().any(|table| {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        text.lines().skip(1).any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() > 3
                && fields[1].ends_with(&local_port)
                && state.is_none_or(|s| fields[3] == s)
        })
    })
}

impl Default for ServerPort {
    fn default() -> ServerPort {
        ServerPort::new()
    }
}

#[cfg(test)]
mod tests {
    use super::{listening_on, udp_bound, RefusedPort, ServerPort};
    use std::collections::HashSet;
    use std::io::{ErrorKind, Read, Write};
    use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};

    use rustix::net::{AddressFamily, SocketType};

    #[test]
    fn connections_are_refused_and_the_port_is_taken() {
        let refused = RefusedPort::new();
        for _ in 0..3 {
            let err = TcpStream::connect(("127.0.0.1", refused.port())).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        }
        let taken = TcpListener::bind(("127.0.0.1", refused.port())).unwrap_err();
        assert_eq!(taken.kind(), ErrorKind::AddrInUse, "{taken}");
        let port = refused.port();
        drop(refused);
        TcpListener::bind(("127.0.0.1", port)).expect("the port is free again once dropped");
    }

    /// A bind without `SO_REUSEADDR` (what most non-server code does), as a raw socket: Rust's
    /// `TcpListener` always sets it.
    fn plain_bind(port: u16) -> rustix::io::Result<()> {
        let socket = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None)?;
        rustix::net::bind(&socket, &SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
    }

    #[test]
    fn a_server_port_is_given_to_nobody_else_and_taken_by_the_server() {
        let kept = ServerPort::new();
        let port = kept.port();
        let err = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "no listener yet: {err}");
        assert_eq!(plain_bind(port), Err(rustix::io::Errno::ADDRINUSE), "taken for plain binds");
        // Binds to port 0, with and without SO_REUSEADDR, and connections' own ports, while
        // the port is kept: none of them is given it. 500 of each: the range has ~28,000.
        let others: Vec<ServerPort> = (0..500).map(|_| ServerPort::new()).collect();
        let listeners: Vec<TcpListener> =
            (0..500).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
        // One client per listener: nobody accepts, so no backlog fills.
        let clients: Vec<TcpStream> = listeners
            .iter()
            .map(|l| TcpStream::connect(l.local_addr().unwrap()).unwrap())
            .collect();
        let bound: HashSet<u16> = others
            .iter()
            .map(ServerPort::port)
            .chain(listeners.iter().map(|l| l.local_addr().unwrap().port()))
            .collect();
        assert_eq!(bound.len(), 1000, "every bound port given once");
        assert!(!bound.contains(&port), "the kept port {port} was given to a bind to port 0");
        // Connections to different peers may share their own port; never with a bound one.
        for client in &clients {
            let own = client.local_addr().unwrap().port();
            assert!(own != port && !bound.contains(&own), "a connection took bound port {own}");
        }
        // The server binds it (SO_REUSEADDR, as servers do) and is reached there.
        let server = TcpListener::bind(("127.0.0.1", port)).expect("the server binds the port");
        let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        server.accept().unwrap().0.write_all(b"up").unwrap();
        let mut seen = [0; 2];
        client.read_exact(&mut seen).unwrap();
        assert_eq!(&seen, b"up");
        // A second server on the same port is refused while the first listens.
        let second = TcpListener::bind(("127.0.0.1", port)).unwrap_err();
        assert_eq!(second.kind(), ErrorKind::AddrInUse, "{second}");
    }

    #[test]
    fn listening_is_seen_on_any_address_and_only_once_it_listens() {
        use std::time::Duration;
        let kept = ServerPort::new();
        let port = kept.port();
        // The kept socket is bound, not listening: no listener yet.
        assert!(!listening_on(port));
        assert!(!kept.wait_listening(Duration::from_millis(50)));
        // Bound on any address with SO_REUSEADDR, as iperf binds: seen once it listens.
        let socket = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
        rustix::net::sockopt::set_socket_reuseaddr(&socket, true).unwrap();
        rustix::net::bind(&socket, &SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)).unwrap();
        assert!(!listening_on(port), "bound, not yet listening");
        rustix::net::listen(&socket, 1).unwrap();
        assert!(kept.wait_listening(Duration::from_secs(10)));
        drop(socket);
        assert!(!listening_on(port), "closed");
        // IPv6 too (when the machine has it).
        if let Ok(v6) = TcpListener::bind(("::1", 0)) {
            assert!(listening_on(v6.local_addr().unwrap().port()));
        }
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        assert!(udp_bound(udp.local_addr().unwrap().port()));
        let udp_port = udp.local_addr().unwrap().port();
        drop(udp);
        assert!(!udp_bound(udp_port));
    }
}
