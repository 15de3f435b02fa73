//! The TCP transport: a network console, a device simulator, anything that talks over a socket.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use crate::fd::FdStream;
use crate::{Close, Error, Greeting, Stream, Transport};

/// How to connect.
#[derive(Debug, Clone)]
pub struct TcpOptions {
    /// How long one connection attempt may take (default 10 s). Each resolved address gets it.
    pub connect_timeout: Duration,
    /// Disable Nagle's algorithm, so a command line leaves at once (default on).
    pub nodelay: bool,
    /// What the device prints once it is ready (a banner, then its prompt), if commands must
    /// wait for it (default none).
    pub greeting: Option<Greeting>,
}

impl Default for TcpOptions {
    fn default() -> Self {
        Self { connect_timeout: Duration::from_secs(10), nodelay: true, greeting: None }
    }
}

/// Connects to `host:port`. An error names the address ([`Error::Connect`]: `connect to
/// 127.0.0.1:2323`) and keeps the cause as its source (`Connection refused (os error 111)`).
///
/// On the connection, the peer closing reads as the end of the stream (a closed-connection
/// error with no reason) and a reset as an error whose reason is the reset.
///
/// ```
/// use std::io::{Read, Write};
/// use moler_io::tcp::{connect, TcpOptions};
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let port = listener.local_addr()?.port();
/// let device = std::thread::spawn(move || {
///     let (mut peer, _) = listener.accept().unwrap();
///     peer.write_all(b"router> ").unwrap();
/// });
/// let mut io = connect("127.0.0.1", port, &TcpOptions::default())?.into_blocking();
/// let mut seen = [0; 8];
/// io.read_exact(&mut seen)?;
/// assert_eq!(&seen, b"router> ");
/// device.join().unwrap();
/// let refused = connect("127.0.0.1", port, &TcpOptions::default()).unwrap_err();
/// assert_eq!(refused.to_string(), format!("connect to 127.0.0.1:{port}"));
/// assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn connect(host: &str, port: u16, options: &TcpOptions) -> Result<Transport, Error> {
    let stream = connect_socket(host, port, options.connect_timeout)?;
    let mut transport = from_stream(stream, &address(host, port), options.nodelay)?;
    transport.greeting = options.greeting.clone();
    Ok(transport)
}

/// `host:port` as a name, with an IPv6 address in brackets (`[::1]:7002`, not `::1:7002`,
/// where the port could be read as the address's last group).
///
/// ```
/// use moler_io::tcp::address;
/// assert_eq!(address("127.0.0.1", 23), "127.0.0.1:23");
/// assert_eq!(address("::1", 7002), "[::1]:7002");
/// assert_eq!(address("[::1]", 7002), "[::1]:7002");
/// assert_eq!(address("router.lab", 2001), "router.lab:2001");
/// ```
pub fn address(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A socket connected to the first address of `host` (an IPv6 address with or without
/// brackets) that answers within `timeout`; errors name `host:port` ([`Error::Connect`]).
pub(crate) fn connect_socket(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, Error> {
    let name_it = |source: io::Error| Error::Connect { address: address(host, port), source };
    // An IPv6 address may come in brackets, as URLs and known_hosts files write it.
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let addrs: Vec<SocketAddr> = (bare, port).to_socket_addrs().map_err(name_it)?.collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolved to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(name_it(last))
}

/// A transport over a socket connected by other means.
pub fn from_stream(stream: TcpStream, name: &str, nodelay: bool) -> Result<Transport, Error> {
    let transport = format!("tcp:{name}");
    let setup = |step| {
        let transport = transport.clone();
        move |source| Error::Setup { transport, step, source }
    };
    stream.set_nodelay(nodelay).map_err(setup("set TCP_NODELAY"))?;
    // One descriptor per connection, shared by the stream and its closer (10,000 connections
    // must fit under a 20,000 open-file limit).
    let fd = Arc::new(OwnedFd::from(stream));
    let stream =
        FdStream::shared(Arc::clone(&fd)).map_err(setup("make the socket non-blocking"))?;
    Ok(Transport {
        name: transport,
        control: None,
        stream: Stream::Fd(Box::new(stream)),
        closer: Arc::new(ShutdownCloser(fd)),
        greeting: None,
    })
}

/// Shuts a socket down: the reader sees the end of the stream at once, the peer a FIN. The SSH
/// transport closes its session's socket the same way.
pub(crate) struct ShutdownCloser(pub(crate) Arc<OwnedFd>);

impl Close for ShutdownCloser {
    fn close(&self) {
        let _ = rustix::net::shutdown(&*self.0, rustix::net::Shutdown::Both);
    }
}
