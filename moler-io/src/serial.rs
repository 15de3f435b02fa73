//! The serial transport: a local tty (`/dev/ttyUSB0`, `/dev/ttyS0`, a pseudo-terminal) with
//! its line settings: baud rate, data bits, parity, stop bits, flow control.
//!
//! [`open`] opens the device non-blocking (`O_NOCTTY`: it never becomes this process's
//! controlling terminal), puts it in raw mode with the settings (termios) and hands it over as
//! a descriptor every runner waits on, like any other transport. [`Control::send_break`] on
//! the transport (or `ConnectionHandle::send_break` once a runner drives it) sends a break.
//!
//! A port that vanishes (a USB adapter pulled, the other end of a pty closed) ends the
//! connection with an [`Error::Stream`] that names the port; opening it again once it is back
//! works as the first time.
//!
//! A serial port behind a console server is [`rfc2217`](crate::rfc2217) (the same settings,
//! sent over telnet) or, for a raw TCP port whose settings are the server's, just
//! [`tcp`](crate::tcp).

use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustix::fs::{Mode, OFlags};
use rustix::termios::{self, ControlModes, InputModes, OptionalActions, SpecialCodeIndex};

use crate::{Close, Control, Error, FdIo, Greeting, Interest, Op, Stream, Transport};

/// Parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parity {
    /// No parity bit (the default).
    #[default]
    None,
    /// Odd parity.
    Odd,
    /// Even parity.
    Even,
    /// The parity bit always 1.
    Mark,
    /// The parity bit always 0.
    Space,
}

/// Stop bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StopBits {
    /// One (the default).
    #[default]
    One,
    /// One and a half (RFC 2217 only; a local port treats it as two, as termios does with 5
    /// data bits).
    OnePointFive,
    /// Two.
    Two,
}

/// Flow control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowControl {
    /// None (the default).
    #[default]
    None,
    /// XON/XOFF.
    Software,
    /// RTS/CTS.
    Hardware,
}

/// A serial line's settings. The default is 115200 baud, 8 data bits, no parity, 1 stop bit
/// (`8N1`), no flow control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerialSettings {
    /// Bits per second (any rate the driver takes; Linux takes arbitrary ones).
    pub baud_rate: u32,
    /// Data bits: 5 to 8.
    pub data_bits: u8,
    /// Parity.
    pub parity: Parity,
    /// Stop bits.
    pub stop_bits: StopBits,
    /// Flow control.
    pub flow_control: FlowControl,
}

impl Default for SerialSettings {
    fn default() -> Self {
        Self {
            baud_rate: 115_200,
            data_bits: 8,
            parity: Parity::None,
            stop_bits: StopBits::One,
            flow_control: FlowControl::None,
        }
    }
}

impl fmt::Display for SerialSettings {
    /// `115200 8N1`, then the flow control if any (`9600 7E2 rtscts`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parity = match self.parity {
            Parity::None => 'N',
            Parity::Odd => 'O',
            Parity::Even => 'E',
            Parity::Mark => 'M',
            Parity::Space => 'S',
        };
        let stop = match self.stop_bits {
            StopBits::One => "1",
            StopBits::OnePointFive => "1.5",
            StopBits::Two => "2",
        };
        write!(f, "{} {}{parity}{stop}", self.baud_rate, self.data_bits)?;
        match self.flow_control {
            FlowControl::None => Ok(()),
            FlowControl::Software => f.write_str(" xonxoff"),
            FlowControl::Hardware => f.write_str(" rtscts"),
        }
    }
}

/// Which local port, with which settings.
#[derive(Debug, Clone)]
pub struct SerialOptions {
    /// The device (`/dev/ttyUSB0`, a pty's `/dev/pts/N`, a `socat` link).
    pub port: PathBuf,
    /// The line settings.
    pub settings: SerialSettings,
    /// What the device prints once it is ready, if commands must wait for it (default none;
    /// a console that is already up prints nothing until it is sent a line).
    pub greeting: Option<Greeting>,
}

impl SerialOptions {
    /// `port` at the default settings (115200 8N1, no flow control).
    pub fn new(port: impl Into<PathBuf>) -> Self {
        Self { port: port.into(), settings: SerialSettings::default(), greeting: None }
    }

    /// Sets the baud rate.
    pub fn baud_rate(mut self, baud_rate: u32) -> Self {
        self.settings.baud_rate = baud_rate;
        self
    }
}

/// Opens a local serial port as a transport named `serial:PORT`. Errors name the port and the
/// step ([`Error::Setup`]: `serial:/dev/ttyUSB9: open` → `No such file or directory`; a file
/// that is no tty fails at `read the line settings`).
///
/// ```
/// use std::io::{Read, Write};
/// use moler_io::serial::{open, SerialOptions};
/// // A pseudo-terminal stands in for a port: its slave side is what `open` opens.
/// let master = rustix::pty::openpt(rustix::pty::OpenptFlags::RDWR | rustix::pty::OpenptFlags::NOCTTY)?;
/// rustix::pty::grantpt(&master)?;
/// rustix::pty::unlockpt(&master)?;
/// let port = rustix::pty::ptsname(&master, Vec::new())?.into_string()?;
/// let mut io = open(&SerialOptions::new(&port).baud_rate(9600))?.into_blocking();
/// let control = io.control().expect("a serial port has a control");
/// assert_eq!(control.serial_settings().unwrap().to_string(), "9600 8N1");
/// io.write_all(b"AT\r")?;
/// let mut got = [0; 3];
/// rustix::io::read(&master, &mut got)?;
/// assert_eq!(&got, b"AT\r");
/// rustix::io::write(&master, b"OK\r\n")?;
/// let mut answer = [0; 4];
/// io.read_exact(&mut answer)?;
/// assert_eq!(&answer, b"OK\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open(options: &SerialOptions) -> Result<Transport, Error> {
    let name = format!("serial:{}", options.port.display());
    let setup = |step| {
        let transport = name.clone();
        move |source: rustix::io::Errno| Error::Setup { transport, step, source: source.into() }
    };
    let flags = OFlags::RDWR | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(&options.port, flags, Mode::empty()).map_err(setup("open"))?;
    let mut t = termios::tcgetattr(&fd).map_err(setup("read the line settings"))?;
    apply(&mut t, &options.settings).map_err(setup("set the baud rate"))?;
    termios::tcsetattr(&fd, OptionalActions::Now, &t).map_err(setup("set the line settings"))?;
    let fd = Arc::new(fd);
    let closed = Arc::new(AtomicBool::new(false));
    Ok(Transport {
        name: name.clone(),
        stream: Stream::Fd(Box::new(SerialIo {
            fd: Arc::clone(&fd),
            closed: Arc::clone(&closed),
            name: name.clone(),
        })),
        closer: Arc::new(SerialCloser(closed)),
        greeting: options.greeting.clone(),
        control: Some(Arc::new(SerialControl { fd, name })),
    })
}

/// Raw mode with `s`.
fn apply(t: &mut termios::Termios, s: &SerialSettings) -> rustix::io::Result<()> {
    t.make_raw();
    let c = &mut t.control_modes;
    c.remove(
        ControlModes::CSIZE
            | ControlModes::PARENB
            | ControlModes::PARODD
            | ControlModes::CMSPAR
            | ControlModes::CSTOPB
            | ControlModes::CRTSCTS,
    );
    c.insert(ControlModes::CREAD | ControlModes::CLOCAL);
    c.insert(match s.data_bits {
        5 => ControlModes::CS5,
        6 => ControlModes::CS6,
        7 => ControlModes::CS7,
        _ => ControlModes::CS8,
    });
    match s.parity {
        Parity::None => {}
        Parity::Even => c.insert(ControlModes::PARENB),
        Parity::Odd => c.insert(ControlModes::PARENB | ControlModes::PARODD),
        Parity::Mark => {
            c.insert(ControlModes::PARENB | ControlModes::PARODD | ControlModes::CMSPAR)
        }
        Parity::Space => c.insert(ControlModes::PARENB | ControlModes::CMSPAR),
    }
    if s.stop_bits != StopBits::One {
        c.insert(ControlModes::CSTOPB);
    }
    t.input_modes.remove(InputModes::IXON | InputModes::IXOFF | InputModes::IXANY);
    match s.flow_control {
        FlowControl::None => {}
        FlowControl::Software => t.input_modes.insert(InputModes::IXON | InputModes::IXOFF),
        FlowControl::Hardware => t.control_modes.insert(ControlModes::CRTSCTS),
    }
    t.special_codes[SpecialCodeIndex::VMIN] = 1;
    t.special_codes[SpecialCodeIndex::VTIME] = 0;
    t.set_speed(s.baud_rate)
}

/// The settings a tty's termios say.
pub fn settings_of(fd: impl AsFd) -> io::Result<SerialSettings> {
    Ok(settings_in(&termios::tcgetattr(fd)?))
}

/// The settings `t` says.
fn settings_in(t: &termios::Termios) -> SerialSettings {
    let c = t.control_modes;
    let size = c & ControlModes::CSIZE;
    let data_bits = if size == ControlModes::CS5 {
        5
    } else if size == ControlModes::CS6 {
        6
    } else if size == ControlModes::CS7 {
        7
    } else {
        8
    };
    let parity = match (
        c.contains(ControlModes::PARENB),
        c.contains(ControlModes::PARODD),
        c.contains(ControlModes::CMSPAR),
    ) {
        (false, _, _) => Parity::None,
        (true, false, false) => Parity::Even,
        (true, true, false) => Parity::Odd,
        (true, true, true) => Parity::Mark,
        (true, false, true) => Parity::Space,
    };
    let flow_control = if c.contains(ControlModes::CRTSCTS) {
        FlowControl::Hardware
    } else if t.input_modes.contains(InputModes::IXON) {
        FlowControl::Software
    } else {
        FlowControl::None
    };
    SerialSettings {
        baud_rate: t.output_speed(),
        data_bits,
        parity,
        stop_bits: if c.contains(ControlModes::CSTOPB) { StopBits::Two } else { StopBits::One },
        flow_control,
    }
}

/// Why a read or write ended the connection: the port went away.
const GONE: &str = "the port hung up (unplugged, or its other end closed)";

struct SerialIo {
    fd: Arc<OwnedFd>,
    closed: Arc<AtomicBool>,
    name: String,
}

impl SerialIo {
    fn failed(&self, step: &'static str, e: io::Error) -> io::Error {
        Error::Stream { transport: self.name.clone(), step, source: e }.into()
    }
}

impl FdIo for SerialIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(0);
        }
        let asked = buf.len();
        match rustix::io::read(&*self.fd, buf) {
            // A tty never ends by itself: no data at all is a hang-up.
            Ok(0) if asked > 0 => {
                Err(self.failed("read", io::Error::new(io::ErrorKind::BrokenPipe, GONE)))
            }
            Ok(n) => Ok(n),
            Err(rustix::io::Errno::AGAIN) => Err(io::ErrorKind::WouldBlock.into()),
            Err(rustix::io::Errno::INTR) => Err(io::ErrorKind::Interrupted.into()),
            Err(
                e @ (rustix::io::Errno::IO | rustix::io::Errno::NODEV | rustix::io::Errno::NXIO),
            ) => Err(self
                .failed("read", io::Error::new(io::ErrorKind::BrokenPipe, format!("{GONE}: {e}")))),
            Err(e) => Err(self.failed("read", e.into())),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        match rustix::io::write(&*self.fd, buf) {
            Ok(n) => Ok(n),
            Err(rustix::io::Errno::AGAIN) => Err(io::ErrorKind::WouldBlock.into()),
            Err(rustix::io::Errno::INTR) => Err(io::ErrorKind::Interrupted.into()),
            Err(
                e @ (rustix::io::Errno::IO | rustix::io::Errno::NODEV | rustix::io::Errno::NXIO),
            ) => Err(self.failed(
                "write",
                io::Error::new(io::ErrorKind::BrokenPipe, format!("{GONE}: {e}")),
            )),
            Err(e) => Err(self.failed("write", e.into())),
        }
    }

    fn blocked_on(&self, op: Op) -> (BorrowedFd<'_>, Interest) {
        match op {
            Op::Read => (self.fd.as_fd(), Interest::Readable),
            Op::Write => (self.fd.as_fd(), Interest::Writable),
        }
    }

    fn fixed_readiness(&self) -> bool {
        true
    }
}

/// Marks the port closed: reads then end, writes fail. (A tty cannot be shut down like a
/// socket; the runner closing a connection drops its stream, which closes the descriptor.)
struct SerialCloser(Arc<AtomicBool>);

impl Close for SerialCloser {
    fn close(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A local port's break and settings.
struct SerialControl {
    fd: Arc<OwnedFd>,
    name: String,
}

impl Control for SerialControl {
    fn send_break(&self) -> io::Result<()> {
        termios::tcsendbreak(&*self.fd).map_err(|e| {
            Error::Stream { transport: self.name.clone(), step: "send a break", source: e.into() }
                .into()
        })
    }

    fn serial_settings(&self) -> Option<SerialSettings> {
        settings_of(&*self.fd).ok()
    }
}

/// True when `path` names a local device rather than `host:port` (it starts with `/` or `.`,
/// or has no `:`).
pub fn is_local_port(path: &str) -> bool {
    path.starts_with('/') || path.starts_with('.') || !path.contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::termios::LocalModes;

    /// Every setting a port can be given is what its termios then say, whatever the port's
    /// line was set to before (each combination on top of the one before it: every bit goes
    /// on and off again), in raw mode, reading as soon as a byte came, and receiving whatever
    /// the modem lines say. A pseudo-terminal's termios to change (written back to no line: a
    /// pty's driver would force 8 data bits and no parity).
    #[test]
    fn every_setting_is_what_the_termios_then_say() {
        let master =
            rustix::pty::openpt(rustix::pty::OpenptFlags::RDWR | rustix::pty::OpenptFlags::NOCTTY)
                .unwrap();
        let mut t = termios::tcgetattr(&master).unwrap();
        let parities = [Parity::None, Parity::Odd, Parity::Even, Parity::Mark, Parity::Space];
        let stops = [StopBits::One, StopBits::OnePointFive, StopBits::Two];
        let flows = [FlowControl::None, FlowControl::Software, FlowControl::Hardware];
        let mut tried = 0;
        for baud_rate in [115_200, 9600, 300] {
            for data_bits in [5, 6, 7, 8] {
                for parity in parities {
                    for stop_bits in stops {
                        for flow_control in flows {
                            let s = SerialSettings {
                                baud_rate,
                                data_bits,
                                parity,
                                stop_bits,
                                flow_control,
                            };
                            apply(&mut t, &s).unwrap();
                            // One and a half is two on a local port (termios has no 1.5).
                            let stop_bits = match stop_bits {
                                StopBits::OnePointFive => StopBits::Two,
                                other => other,
                            };
                            assert_eq!(settings_in(&t), SerialSettings { stop_bits, ..s }, "{s}");
                            let c = t.control_modes;
                            assert!(c.contains(ControlModes::CREAD | ControlModes::CLOCAL), "{s}");
                            let soft = InputModes::IXON | InputModes::IXOFF;
                            assert_eq!(
                                t.input_modes.intersection(soft | InputModes::IXANY),
                                if flow_control == FlowControl::Software {
                                    soft
                                } else {
                                    InputModes::empty()
                                },
                                "{s}"
                            );
                            let cooked = LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG;
                            assert!(t.local_modes.intersection(cooked).is_empty(), "raw: {s}");
                            assert_eq!(t.special_codes[SpecialCodeIndex::VMIN], 1);
                            assert_eq!(t.special_codes[SpecialCodeIndex::VTIME], 0);
                            tried += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(tried, 3 * 4 * 5 * 3 * 3);
    }

    /// A local port is a path (`/dev/…`, `./…`, or a name without a colon); anything else is
    /// `host:port` for RFC 2217, an IPv6 host in brackets too.
    #[test]
    fn a_path_is_a_local_port_and_host_port_is_not() {
        for local in [
            "/dev/ttyUSB0",
            "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0",
            "./ttyS0",
            "./a:b",
            "ttyS0",
        ] {
            assert!(is_local_port(local), "{local}");
        }
        for remote in ["console-server:2217", "10.0.0.1:7000", "[::1]:2217", "host:"] {
            assert!(!is_local_port(remote), "{remote}");
        }
    }

    /// A pseudo-terminal's two ends: the master, and the slave opened as a port.
    fn port() -> (OwnedFd, Transport) {
        use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let slave = ptsname(&master, Vec::new()).unwrap();
        let transport = open(&SerialOptions::new(slave.to_str().unwrap())).unwrap();
        (master, transport)
    }

    /// A read into no room reads nothing and is no hang-up; once the port is closed, reads
    /// end and writes fail, though the descriptor is still open (the runner drops it later).
    #[test]
    fn a_closed_port_ends_its_reads_and_fails_its_writes() {
        let (master, transport) = port();
        let Stream::Fd(mut io) = transport.stream else { panic!("a descriptor stream") };
        rustix::io::write(&master, b"x").unwrap();
        assert_eq!(io.read(&mut []).unwrap(), 0, "nothing asked, nothing read");
        assert_eq!(io.write(b"ok").unwrap(), 2);
        transport.closer.close();
        assert_eq!(io.read(&mut [0; 8]).unwrap(), 0, "the end of the stream");
        let e = io.write(b"more").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe, "{e}");
        // What was written before the close went out.
        let mut got = [0; 8];
        let n = rustix::io::read(&master, &mut got).unwrap();
        assert_eq!(&got[..n], b"ok");
    }
}
