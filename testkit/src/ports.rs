//! Ports for tests that need a connection refused.
//!
//! The usual trick, binding a listener to port 0, reading its port and closing it again, leaves
//! a window: until the test connects, another test's listener (tests run in parallel) may be
//! given that port, or the connecting socket itself may be (its own ephemeral port equal to the
//! port it connects to on the same address: a TCP self-connect, which succeeds). Either way the
//! "refused" connection opens. [`RefusedPort`] closes the window.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::OwnedFd;

use rustix::net::{AddressFamily, SocketType};

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
        let socket = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None)
            .expect("a TCP socket for a refused port");
        rustix::net::bind(&socket, &SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
            .expect("a free port on 127.0.0.1");
        let bound = rustix::net::getsockname(&socket).expect("the bound address");
        let port = SocketAddrV4::try_from(bound).expect("an IPv4 address").port();
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

#[cfg(test)]
mod tests {
    use super::RefusedPort;
    use std::io::ErrorKind;
    use std::net::{TcpListener, TcpStream};

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
}
