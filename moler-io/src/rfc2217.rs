//! The RFC 2217 transport: a serial port behind a console server (`ser2net`, a terminal
//! server), reached over telnet with the COM-PORT-OPTION (44) to set the port's line.
//!
//! [`connect`] opens the telnet session (the [`telnet`](crate::telnet) codec: `IAC` escaped
//! both ways, BINARY asked for both ways), offers COM-PORT-OPTION and, once the server agrees,
//! sends SET-BAUDRATE, SET-DATASIZE, SET-PARITY, SET-STOPSIZE and SET-CONTROL (the flow
//! control). It returns once the server acknowledged each of them with the value it set,
//! within [`Rfc2217Options::connect_timeout`]; a server that refuses the option, does not
//! answer or sets another value fails the opening with an [`Error::Stream`] naming it. The
//! acknowledged settings stay readable through [`Control::serial_settings`].
//!
//! Later notifications from the server (NOTIFY-LINESTATE, NOTIFY-MODEMSTATE, acknowledgments)
//! are taken out of the data and recorded; a signature request is answered. FLOWCONTROL-SUSPEND
//! is not honoured (the socket's own flow control still applies).
//!
//! [`Control::send_break`] sends SET-CONTROL BREAK-ON, then BREAK-OFF 250 ms later. It waits
//! the 250 ms in the caller's thread; the bytes go out at once unless the socket is full, in
//! which case they follow the data already queued.
//!
//! A console server's raw TCP port (no telnet, the port's settings fixed on the server) is not
//! this transport but [`tcp`](crate::tcp).

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::serial::{FlowControl, Parity, SerialSettings, StopBits};
use crate::tcp::ShutdownCloser;
use crate::telnet::codec::{Codec, Event, Policy, BINARY, COM_PORT, SGA};
use crate::telnet::{lock, Handler, TelnetIo, Wire};
use crate::{Control, Error, Greeting, Stream, Transport};

/// COM-PORT-OPTION commands, client to server (the server answers with 100 more).
mod cmd {
    pub const SIGNATURE: u8 = 0;
    pub const SET_BAUDRATE: u8 = 1;
    pub const SET_DATASIZE: u8 = 2;
    pub const SET_PARITY: u8 = 3;
    pub const SET_STOPSIZE: u8 = 4;
    pub const SET_CONTROL: u8 = 5;
    pub const NOTIFY_LINESTATE: u8 = 6;
    pub const NOTIFY_MODEMSTATE: u8 = 7;
    /// Added to a command in the server's answers.
    pub const SERVER: u8 = 100;
}

/// SET-CONTROL values.
mod control {
    pub const NO_FLOW: u8 = 1;
    pub const XON_XOFF: u8 = 2;
    pub const HARDWARE: u8 = 3;
    pub const BREAK_ON: u8 = 5;
    pub const BREAK_OFF: u8 = 6;
}

/// How to reach the port.
#[derive(Debug, Clone)]
pub struct Rfc2217Options {
    /// How long the TCP connect, and then the negotiation of the settings, may take each
    /// (default 10 s).
    pub connect_timeout: Duration,
    /// The line settings to set on the server's port.
    pub settings: SerialSettings,
    /// What the device prints once it is ready, if commands must wait for it (default none).
    pub greeting: Option<Greeting>,
}

impl Default for Rfc2217Options {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            settings: SerialSettings::default(),
            greeting: None,
        }
    }
}

/// What the server acknowledged.
#[derive(Debug, Default, Clone)]
struct Status {
    baud_rate: Option<u32>,
    data_bits: Option<u8>,
    parity: Option<Parity>,
    stop_bits: Option<StopBits>,
    flow_control: Option<FlowControl>,
    line_state: u8,
    modem_state: u8,
}

impl Status {
    fn settings(&self) -> Option<SerialSettings> {
        Some(SerialSettings {
            baud_rate: self.baud_rate?,
            data_bits: self.data_bits?,
            parity: self.parity?,
            stop_bits: self.stop_bits?,
            flow_control: self.flow_control?,
        })
    }
}

/// The COM-PORT-OPTION's side of the session.
struct ComPort {
    wanted: SerialSettings,
    status: Arc<Mutex<Status>>,
}

impl Handler for ComPort {
    fn event(&mut self, event: Event, codec: &mut Codec) -> io::Result<()> {
        match event {
            Event::Local(COM_PORT, true) => {
                let s = &self.wanted;
                let mut baud = vec![cmd::SET_BAUDRATE];
                baud.extend_from_slice(&s.baud_rate.to_be_bytes());
                codec.subnegotiate(COM_PORT, &baud);
                codec.subnegotiate(COM_PORT, &[cmd::SET_DATASIZE, s.data_bits]);
                codec.subnegotiate(COM_PORT, &[cmd::SET_PARITY, parity_code(s.parity)]);
                codec.subnegotiate(COM_PORT, &[cmd::SET_STOPSIZE, stop_code(s.stop_bits)]);
                let flow = match s.flow_control {
                    FlowControl::None => control::NO_FLOW,
                    FlowControl::Software => control::XON_XOFF,
                    FlowControl::Hardware => control::HARDWARE,
                };
                codec.subnegotiate(COM_PORT, &[cmd::SET_CONTROL, flow]);
                Ok(())
            }
            Event::Local(COM_PORT, false) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the server refuses the COM-PORT-OPTION (no RFC 2217 there: a raw or plain \
                 telnet port?)",
            )),
            Event::Sub(COM_PORT, payload) => {
                self.answer(&payload, codec);
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl ComPort {
    fn answer(&mut self, payload: &[u8], codec: &mut Codec) {
        let Some((&code, value)) = payload.split_first() else { return };
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        let byte = value.first().copied();
        // Only the server's codes (100 and up) land on a command: a client's (below 100, sent
        // back by a confused server) wraps to 156 and up, which is none.
        match code.wrapping_sub(cmd::SERVER) {
            cmd::SIGNATURE if value.is_empty() => {
                let mut signature = vec![cmd::SIGNATURE];
                signature.extend_from_slice(b"moler-rs");
                codec.subnegotiate(COM_PORT, &signature);
            }
            cmd::SET_BAUDRATE => {
                if let Ok(bytes) = <[u8; 4]>::try_from(value) {
                    status.baud_rate = Some(u32::from_be_bytes(bytes));
                }
            }
            cmd::SET_DATASIZE => status.data_bits = byte,
            cmd::SET_PARITY => {
                status.parity = byte.and_then(|b| match b {
                    1 => Some(Parity::None),
                    2 => Some(Parity::Odd),
                    3 => Some(Parity::Even),
                    4 => Some(Parity::Mark),
                    5 => Some(Parity::Space),
                    _ => None,
                });
            }
            cmd::SET_STOPSIZE => {
                status.stop_bits = byte.and_then(|b| match b {
                    1 => Some(StopBits::One),
                    2 => Some(StopBits::Two),
                    3 => Some(StopBits::OnePointFive),
                    _ => None,
                });
            }
            cmd::SET_CONTROL => match byte {
                Some(control::NO_FLOW) => status.flow_control = Some(FlowControl::None),
                Some(control::XON_XOFF) => status.flow_control = Some(FlowControl::Software),
                Some(control::HARDWARE) => status.flow_control = Some(FlowControl::Hardware),
                _ => {}
            },
            cmd::NOTIFY_LINESTATE => status.line_state = byte.unwrap_or(0),
            cmd::NOTIFY_MODEMSTATE => status.modem_state = byte.unwrap_or(0),
            _ => {}
        }
    }
}

fn parity_code(p: Parity) -> u8 {
    match p {
        Parity::None => 1,
        Parity::Odd => 2,
        Parity::Even => 3,
        Parity::Mark => 4,
        Parity::Space => 5,
    }
}

fn stop_code(s: StopBits) -> u8 {
    match s {
        StopBits::One => 1,
        StopBits::Two => 2,
        StopBits::OnePointFive => 3,
    }
}

/// Connects to the RFC 2217 server at `host:port`, sets the port's line as `options` say and
/// returns the session as a transport named `rfc2217:host:port` whose
/// [`control`](Transport::control) sends breaks and tells the acknowledged settings.
pub fn connect(host: &str, port: u16, options: &Rfc2217Options) -> Result<Transport, Error> {
    let policy = Policy {
        local: vec![COM_PORT, BINARY, SGA],
        remote: vec![BINARY, SGA],
        offer: vec![COM_PORT, BINARY],
        ask: vec![BINARY, SGA],
        terminal_type: String::new(),
        window: None,
    };
    let status = Arc::new(Mutex::new(Status::default()));
    let handler = ComPort { wanted: options.settings, status: Arc::clone(&status) };
    let (mut io, fd) = TelnetIo::connect(
        host,
        port,
        options.connect_timeout,
        "rfc2217",
        policy,
        Some(Box::new(handler)),
    )?;
    let deadline = Instant::now() + options.connect_timeout;
    let status2 = Arc::clone(&status);
    let negotiated = io.negotiate_until(deadline, |_: &Wire| {
        Ok(status2.lock().unwrap_or_else(PoisonError::into_inner).settings().is_some())
    });
    let fail = |step, source| Error::Stream { transport: io.name.clone(), step, source };
    negotiated.map_err(|e| fail("negotiate the port settings (RFC 2217)", e))?;
    let got = status.lock().unwrap_or_else(PoisonError::into_inner).settings();
    if got != Some(options.settings) {
        let got = got.map_or_else(|| "nothing".to_owned(), |s| s.to_string());
        let e = io::Error::new(
            io::ErrorKind::InvalidData,
            format!("asked for {}, the server set {got}", options.settings),
        );
        return Err(fail("negotiate the port settings (RFC 2217)", e));
    }
    let control = Rfc2217Control {
        wire: Arc::clone(&io.wire),
        fd: Arc::clone(&fd),
        status,
        name: io.name.clone(),
    };
    Ok(Transport {
        name: io.name.clone(),
        stream: Stream::Fd(Box::new(io)),
        closer: Arc::new(ShutdownCloser(fd)),
        greeting: options.greeting.clone(),
        control: Some(Arc::new(control)),
    })
}

struct Rfc2217Control {
    wire: Arc<Mutex<Wire>>,
    fd: Arc<OwnedFd>,
    status: Arc<Mutex<Status>>,
    name: String,
}

impl Rfc2217Control {
    fn set_control(&self, value: u8) -> io::Result<()> {
        let mut wire = lock(&self.wire);
        wire.codec.subnegotiate(COM_PORT, &[cmd::SET_CONTROL, value]);
        wire.flush(self.fd.as_fd()).map_err(|e| {
            Error::Stream { transport: self.name.clone(), step: "send a break", source: e }.into()
        })
    }
}

impl Control for Rfc2217Control {
    fn send_break(&self) -> io::Result<()> {
        self.set_control(control::BREAK_ON)?;
        std::thread::sleep(Duration::from_millis(250));
        self.set_control(control::BREAK_OFF)
    }

    fn serial_settings(&self) -> Option<SerialSettings> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner).settings()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telnet::codec::{DO, DONT, IAC, SB, SE};

    /// A session's COM-PORT side, wanting 9600 7E2 with hardware flow control.
    fn com_port() -> (Codec, ComPort) {
        let wanted = SerialSettings {
            baud_rate: 9600,
            data_bits: 7,
            parity: Parity::Even,
            stop_bits: StopBits::Two,
            flow_control: FlowControl::Hardware,
        };
        let status = Arc::new(Mutex::new(Status::default()));
        (Codec::new(Policy::default()), ComPort { wanted, status })
    }

    /// Feeds what the server sent and hands the codec's events to the handler, as `Wire` does.
    fn from_server(codec: &mut Codec, port: &mut ComPort, bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut data = Vec::new();
        codec.feed(bytes, &mut data);
        for event in codec.take_events() {
            port.event(event, codec)?;
        }
        Ok(codec.take_output())
    }

    fn sub(payload: &[u8]) -> Vec<u8> {
        let mut out = vec![IAC, SB, COM_PORT];
        out.extend_from_slice(payload);
        out.extend_from_slice(&[IAC, SE]);
        out
    }

    fn settings(port: &ComPort) -> Option<SerialSettings> {
        port.status.lock().unwrap().settings()
    }

    #[test]
    fn once_the_option_is_on_the_line_settings_go_out() {
        let (mut codec, mut port) = com_port();
        codec.request_local(COM_PORT);
        codec.take_output();
        let out = from_server(&mut codec, &mut port, &[IAC, DO, COM_PORT]).unwrap();
        let mut want = sub(&[1, 0, 0, 0x25, 0x80]);
        want.extend(sub(&[2, 7]));
        want.extend(sub(&[3, 3]));
        want.extend(sub(&[4, 2]));
        want.extend(sub(&[5, 3]));
        assert_eq!(out, want);
    }

    #[test]
    fn a_refused_option_is_an_error_saying_what_the_port_may_be() {
        let (mut codec, mut port) = com_port();
        codec.request_local(COM_PORT);
        let err = from_server(&mut codec, &mut port, &[IAC, DONT, COM_PORT]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        assert!(err.to_string().contains("refuses the COM-PORT-OPTION"), "{err}");
    }

    #[test]
    fn the_settings_are_known_once_the_server_acknowledged_all_five() {
        let (mut codec, mut port) = com_port();
        let acks = [
            sub(&[101, 0, 0, 0x25, 0x80]),
            sub(&[102, 7]),
            sub(&[103, 3]),
            sub(&[104, 2]),
            sub(&[105, 3]),
        ];
        for ack in &acks {
            assert_eq!(settings(&port), None, "not all acknowledged yet");
            assert!(from_server(&mut codec, &mut port, ack).unwrap().is_empty());
        }
        assert_eq!(settings(&port), Some(port.wanted));
        // A break's acknowledgment is not a flow control setting.
        from_server(&mut codec, &mut port, &sub(&[105, control::BREAK_ON])).unwrap();
        assert_eq!(settings(&port).unwrap().flow_control, FlowControl::Hardware);
    }

    #[test]
    fn each_code_the_server_sets_is_read_back() {
        let (mut codec, mut port) = com_port();
        for (code, parity) in [
            (1, Parity::None),
            (2, Parity::Odd),
            (3, Parity::Even),
            (4, Parity::Mark),
            (5, Parity::Space),
        ] {
            from_server(&mut codec, &mut port, &sub(&[103, code])).unwrap();
            assert_eq!(port.status.lock().unwrap().parity, Some(parity));
        }
        for (code, stop) in [(1, StopBits::One), (2, StopBits::Two), (3, StopBits::OnePointFive)] {
            from_server(&mut codec, &mut port, &sub(&[104, code])).unwrap();
            assert_eq!(port.status.lock().unwrap().stop_bits, Some(stop));
        }
        for (code, flow) in [(1, FlowControl::None), (2, FlowControl::Software)] {
            from_server(&mut codec, &mut port, &sub(&[105, code])).unwrap();
            assert_eq!(port.status.lock().unwrap().flow_control, Some(flow));
        }
        // Values it does not know, or a short baud rate, set nothing.
        from_server(&mut codec, &mut port, &sub(&[103, 9])).unwrap();
        from_server(&mut codec, &mut port, &sub(&[104, 0])).unwrap();
        from_server(&mut codec, &mut port, &sub(&[101, 0, 0, 0x25])).unwrap();
        let status = port.status.lock().unwrap().clone();
        assert_eq!((status.parity, status.stop_bits, status.baud_rate), (None, None, None));
        // Line and modem state notifications are recorded.
        from_server(&mut codec, &mut port, &sub(&[106, 0x60])).unwrap();
        from_server(&mut codec, &mut port, &sub(&[107, 0x30])).unwrap();
        let status = port.status.lock().unwrap().clone();
        assert_eq!((status.line_state, status.modem_state), (0x60, 0x30));
    }

    #[test]
    fn client_commands_echoed_back_are_not_acknowledgments() {
        let (mut codec, mut port) = com_port();
        for payload in [&[1, 0, 0, 0x25, 0x80][..], &[2, 7], &[3, 3], &[4, 2], &[5, 3], &[6, 1]] {
            from_server(&mut codec, &mut port, &sub(payload)).unwrap();
        }
        let status = port.status.lock().unwrap().clone();
        assert_eq!(status.settings(), None);
        assert_eq!((status.baud_rate, status.data_bits, status.line_state), (None, None, 0));
    }

    #[test]
    fn a_signature_request_is_answered_and_a_signature_is_not() {
        let (mut codec, mut port) = com_port();
        let out = from_server(&mut codec, &mut port, &sub(&[100])).unwrap();
        assert_eq!(out, sub(b"\0moler-rs"));
        let out = from_server(&mut codec, &mut port, &sub(b"\x64ser2net")).unwrap();
        assert!(out.is_empty(), "the server's own signature needs no answer");
        let out = from_server(&mut codec, &mut port, &sub(&[0])).unwrap();
        assert!(out.is_empty(), "a client's request (code 0) is not the server's");
        // Nothing at all in the subnegotiation: ignored.
        assert!(from_server(&mut codec, &mut port, &sub(&[])).unwrap().is_empty());
    }
}
