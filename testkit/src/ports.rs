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
}

impl Default for ServerPort {
    fn default() -> ServerPort {
        ServerPort::new()
    }
}

#[cfg(test)]
mod tests {
    use super::{RefusedPort, ServerPort};
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
}
