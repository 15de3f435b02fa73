//! The telnet protocol (RFC 854, 855, 1143), sans-IO: bytes from the network in, the data they
//! carry and the replies to send out. No socket, no clock: the [`telnet`](super) transport and
//! the [`rfc2217`](crate::rfc2217) transport drive it, and tests feed it directly.
//!
//! Options are negotiated with RFC 1143's "Q method" (each side of each option is `No`, `Yes`
//! or `WantYes`; this side never turns an option off by itself, so RFC 1143's `WantNo` does
//! not occur): a request is answered once, an answer is never answered, so two sides that
//! disagree cannot loop. What this side agrees to is [`Policy`]'s; everything else
//! is refused with `DONT`/`WONT`.
//!
//! Received data: `IAC IAC` is one `0xFF`; commands and subnegotiations are taken out (also
//! when split across reads); `CR NUL` becomes `CR` unless the peer sends in BINARY mode (RFC
//! 854's bare carriage return). Sent data: `0xFF` doubled; a `CR` not followed by `LF` in the
//! same write goes out as `CR NUL` unless this side sends in BINARY mode.
//!
//! ```
//! use moler_io::telnet::codec::{Codec, Policy, IAC, DO, WILL, ECHO, NAWS, SGA};
//! let mut telnet = Codec::new(Policy::client("vt100", Some((80, 24))));
//! assert_eq!(telnet.take_output(), [IAC, WILL, NAWS, IAC, DO, SGA]);
//! let mut data = Vec::new();
//! telnet.feed(&[IAC, WILL, ECHO, b'h', b'i', IAC, IAC], &mut data);
//! assert_eq!(data, [b'h', b'i', 0xFF]);
//! assert_eq!(telnet.take_output(), [IAC, DO, ECHO]);
//! assert!(telnet.remote_enabled(ECHO));
//! let mut wire = Vec::new();
//! telnet.encode(b"a\xFFb\r", &mut wire);
//! assert_eq!(wire, b"a\xFF\xFFb\r\0");
//! ```

/// Interpret As Command.
pub const IAC: u8 = 255;
/// Refuses (or stops) an option on the other side.
pub const DONT: u8 = 254;
/// Asks the other side to use an option.
pub const DO: u8 = 253;
/// Refuses (or stops) an option on this side.
pub const WONT: u8 = 252;
/// Offers to use an option on this side.
pub const WILL: u8 = 251;
/// Starts a subnegotiation.
pub const SB: u8 = 250;
/// Ends a subnegotiation.
pub const SE: u8 = 240;

/// BINARY (RFC 856): 8-bit data, no `CR NUL` rule.
pub const BINARY: u8 = 0;
/// ECHO (RFC 857).
pub const ECHO: u8 = 1;
/// SUPPRESS-GO-AHEAD (RFC 858).
pub const SGA: u8 = 3;
/// TERMINAL-TYPE (RFC 1091).
pub const TTYPE: u8 = 24;
/// NAWS, the window size (RFC 1073).
pub const NAWS: u8 = 31;
/// COM-PORT-OPTION (RFC 2217).
pub const COM_PORT: u8 = 44;

/// The longest subnegotiation kept; the rest of a longer one is dropped (a peer cannot make
/// the codec grow without bound).
pub const MAX_SUB: usize = 4096;

/// What this side agrees to, and asks for when the session starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Options this side performs when asked (`DO x` answered `WILL x`).
    pub local: Vec<u8>,
    /// Options the peer may perform (`WILL x` answered `DO x`).
    pub remote: Vec<u8>,
    /// Options this side offers at the start (`WILL x`); they must be in `local`.
    pub offer: Vec<u8>,
    /// Options asked of the peer at the start (`DO x`); they must be in `remote`.
    pub ask: Vec<u8>,
    /// The terminal type sent when the peer asks for it (TERMINAL-TYPE).
    pub terminal_type: String,
    /// The window size (columns, rows) sent once NAWS is on; `None` refuses NAWS.
    pub window: Option<(u16, u16)>,
}

impl Policy {
    /// A terminal client's: the peer may echo, suppress go-ahead and send binary; this side
    /// sends its terminal type, window size (if given), binary and suppresses go-ahead; it asks
    /// for SUPPRESS-GO-AHEAD and offers NAWS.
    pub fn client(terminal_type: &str, window: Option<(u16, u16)>) -> Policy {
        let mut local = vec![TTYPE, SGA, BINARY];
        let mut offer = Vec::new();
        if window.is_some() {
            local.push(NAWS);
            offer.push(NAWS);
        }
        Policy {
            local,
            remote: vec![ECHO, SGA, BINARY],
            offer,
            ask: vec![SGA],
            terminal_type: terminal_type.to_owned(),
            window,
        }
    }

    /// Also asks for BINARY both ways (8-bit clean data, no `CR NUL`).
    pub fn binary(mut self) -> Policy {
        self.offer.push(BINARY);
        self.ask.push(BINARY);
        self
    }
}

/// Something the transport above the codec may want to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// This side's option went on (`true`) or off, or a request for it was refused (`false`).
    Local(u8, bool),
    /// The peer's option went on or off, or a request for it was refused.
    Remote(u8, bool),
    /// A subnegotiation the codec does not handle itself: option and payload (unescaped).
    Sub(u8, Vec<u8>),
}

/// One side of one option (RFC 1143, without `WantNo`: this side never turns an option off
/// by itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Q {
    #[default]
    No,
    Yes,
    WantYes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum In {
    #[default]
    Data,
    Iac,
    Verb(u8),
    SubOption,
    Sub,
    SubIac,
}

/// A telnet session's protocol state. See the [module](self).
#[derive(Debug)]
pub struct Codec {
    policy: Policy,
    us: [Q; 256],
    him: [Q; 256],
    state: In,
    /// The last data byte received was a `CR`.
    cr: bool,
    sub_option: u8,
    sub: Vec<u8>,
    out: Vec<u8>,
    events: Vec<Event>,
}

impl Codec {
    /// A session that starts by offering and asking what `policy` says (see
    /// [`Codec::take_output`]).
    pub fn new(policy: Policy) -> Codec {
        let mut codec = Codec {
            policy,
            us: [Q::No; 256],
            him: [Q::No; 256],
            state: In::Data,
            cr: false,
            sub_option: 0,
            sub: Vec::new(),
            out: Vec::new(),
            events: Vec::new(),
        };
        for option in codec.policy.offer.clone() {
            codec.request_local(option);
        }
        for option in codec.policy.ask.clone() {
            codec.request_remote(option);
        }
        codec
    }

    /// Offers `option` on this side (`WILL`), unless it is on or asked for already.
    pub fn request_local(&mut self, option: u8) {
        if self.us[usize::from(option)] == Q::No {
            self.us[usize::from(option)] = Q::WantYes;
            self.out.extend_from_slice(&[IAC, WILL, option]);
        }
    }

    /// Asks the peer to perform `option` (`DO`), unless it does or was asked already.
    pub fn request_remote(&mut self, option: u8) {
        if self.him[usize::from(option)] == Q::No {
            self.him[usize::from(option)] = Q::WantYes;
            self.out.extend_from_slice(&[IAC, DO, option]);
        }
    }

    /// True when this side performs `option`.
    pub fn local_enabled(&self, option: u8) -> bool {
        self.us[usize::from(option)] == Q::Yes
    }

    /// True when the peer performs `option`.
    pub fn remote_enabled(&self, option: u8) -> bool {
        self.him[usize::from(option)] == Q::Yes
    }

    /// True while this side's request for `option` is unanswered.
    pub fn local_pending(&self, option: u8) -> bool {
        self.us[usize::from(option)] == Q::WantYes
    }

    /// What to send to the peer (replies, requests, subnegotiations), taken out of the codec.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Moves what to send to the peer to the end of `out`.
    pub fn drain_output_into(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.out);
    }

    /// The events since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// True when there are events to take.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Queues a subnegotiation: `IAC SB option payload IAC SE`, `0xFF` in the payload doubled.
    pub fn subnegotiate(&mut self, option: u8, payload: &[u8]) {
        self.out.extend_from_slice(&[IAC, SB, option]);
        escape_into(payload, &mut self.out);
        self.out.extend_from_slice(&[IAC, SE]);
    }

    /// Changes the window size; sent at once if NAWS is on.
    pub fn set_window(&mut self, cols: u16, rows: u16) {
        self.policy.window = Some((cols, rows));
        if self.local_enabled(NAWS) {
            self.send_window();
        }
    }

    fn send_window(&mut self) {
        if let Some((cols, rows)) = self.policy.window {
            let [c1, c2] = cols.to_be_bytes();
            let [r1, r2] = rows.to_be_bytes();
            self.subnegotiate(NAWS, &[c1, c2, r1, r2]);
        }
    }

    /// Appends `data` to `out` as it goes on the wire: `0xFF` doubled, and (unless this side
    /// sends in BINARY mode) a `CR` not followed by `LF` as `CR NUL`.
    pub fn encode(&self, data: &[u8], out: &mut Vec<u8>) {
        if self.local_enabled(BINARY) {
            return escape_into(data, out);
        }
        out.reserve(data.len() + 2);
        // Runs of plain bytes go whole (a command line has none of the two bytes, mostly).
        let mut rest = data;
        while let Some(i) = memchr::memchr2(IAC, b'\r', rest) {
            out.extend_from_slice(&rest[..i]);
            match rest[i] {
                IAC => out.extend_from_slice(&[IAC, IAC]),
                _ if rest.get(i + 1) == Some(&b'\n') => out.push(b'\r'),
                _ => out.extend_from_slice(b"\r\0"),
            }
            rest = &rest[i + 1..];
        }
        out.extend_from_slice(rest);
    }

    /// Takes `input` from the network: its data is appended to `data`; replies wait in
    /// [`Codec::take_output`], events in [`Codec::take_events`]. Any input is accepted: what is
    /// not valid telnet is dropped, never a panic.
    pub fn feed(&mut self, input: &[u8], data: &mut Vec<u8>) {
        data.reserve(input.len());
        let binary = self.remote_enabled(BINARY);
        let mut i = 0;
        while i < input.len() {
            if self.state == In::Data {
                // The common case: a run of plain data.
                let run = &input[i..];
                let end =
                    if binary { memchr::memchr(IAC, run) } else { memchr::memchr2(IAC, 0, run) };
                let end = end.unwrap_or(run.len());
                if end > 0 {
                    data.extend_from_slice(&run[..end]);
                    self.cr = run[end - 1] == b'\r';
                    i += end;
                    continue;
                }
            }
            let b = input[i];
            i += 1;
            self.state = match (self.state, b) {
                (In::Data, IAC) => In::Iac,
                (In::Data, b) => {
                    // A NUL (only seen here outside BINARY): after CR it is the bare-CR filler.
                    if !self.cr {
                        data.push(b);
                    }
                    self.cr = false;
                    In::Data
                }
                (In::Iac, IAC) => {
                    data.push(IAC);
                    self.cr = false;
                    In::Data
                }
                (In::Iac, WILL | WONT | DO | DONT) => In::Verb(b),
                (In::Iac, SB) => In::SubOption,
                // NOP, DM, BRK, IP, AO, AYT, EC, EL, GA, a stray SE: nothing to do.
                (In::Iac, _) => In::Data,
                (In::Verb(verb), option) => {
                    self.negotiate(verb, option);
                    In::Data
                }
                (In::SubOption, option) => {
                    self.sub_option = option;
                    self.sub.clear();
                    In::Sub
                }
                (In::Sub, IAC) => In::SubIac,
                (In::Sub, b) => {
                    self.push_sub(b);
                    In::Sub
                }
                (In::SubIac, IAC) => {
                    self.push_sub(IAC);
                    In::Sub
                }
                (In::SubIac, SE) => {
                    self.subnegotiation();
                    In::Data
                }
                // IAC and something else inside a subnegotiation: the peer forgot `IAC SE`. End
                // the subnegotiation there and read the byte as a command.
                (In::SubIac, b) => {
                    self.subnegotiation();
                    match b {
                        WILL | WONT | DO | DONT => In::Verb(b),
                        SB => In::SubOption,
                        _ => In::Data,
                    }
                }
            };
        }
    }

    fn push_sub(&mut self, b: u8) {
        if self.sub.len() < MAX_SUB {
            self.sub.push(b);
        }
    }

    fn subnegotiation(&mut self) {
        let payload = std::mem::take(&mut self.sub);
        match self.sub_option {
            // TERMINAL-TYPE SEND: answer IS <type>.
            TTYPE if self.local_enabled(TTYPE) && payload.first() == Some(&1) => {
                let mut answer = vec![0];
                answer.extend_from_slice(self.policy.terminal_type.as_bytes());
                self.subnegotiate(TTYPE, &answer);
            }
            TTYPE | NAWS => {}
            option => self.events.push(Event::Sub(option, payload)),
        }
    }

    fn negotiate(&mut self, verb: u8, option: u8) {
        let o = usize::from(option);
        match verb {
            WILL => match self.him[o] {
                Q::No if self.policy.remote.contains(&option) => {
                    self.him[o] = Q::Yes;
                    self.out.extend_from_slice(&[IAC, DO, option]);
                    self.events.push(Event::Remote(option, true));
                }
                Q::No => self.out.extend_from_slice(&[IAC, DONT, option]),
                Q::Yes => {}
                Q::WantYes => {
                    self.him[o] = Q::Yes;
                    self.events.push(Event::Remote(option, true));
                }
            },
            WONT => match self.him[o] {
                Q::No => {}
                Q::Yes => {
                    self.him[o] = Q::No;
                    self.out.extend_from_slice(&[IAC, DONT, option]);
                    self.events.push(Event::Remote(option, false));
                }
                Q::WantYes => {
                    self.him[o] = Q::No;
                    self.events.push(Event::Remote(option, false));
                }
            },
            DO => match self.us[o] {
                Q::No if self.policy.local.contains(&option) => {
                    self.us[o] = Q::Yes;
                    self.out.extend_from_slice(&[IAC, WILL, option]);
                    self.local_on(option);
                }
                Q::No => self.out.extend_from_slice(&[IAC, WONT, option]),
                Q::Yes => {}
                Q::WantYes => {
                    self.us[o] = Q::Yes;
                    self.local_on(option);
                }
            },
            DONT => match self.us[o] {
                Q::No => {}
                Q::Yes => {
                    self.us[o] = Q::No;
                    self.out.extend_from_slice(&[IAC, WONT, option]);
                    self.events.push(Event::Local(option, false));
                }
                Q::WantYes => {
                    self.us[o] = Q::No;
                    self.events.push(Event::Local(option, false));
                }
            },
            _ => {}
        }
    }

    fn local_on(&mut self, option: u8) {
        if option == NAWS {
            self.send_window();
        }
        self.events.push(Event::Local(option, true));
    }
}

/// Appends `data` to `out` with every `0xFF` doubled.
pub fn escape_into(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len());
    for chunk in data.split_inclusive(|&b| b == IAC) {
        out.extend_from_slice(chunk);
        if chunk.last() == Some(&IAC) {
            out.push(IAC);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Codec {
        let mut c = Codec::new(Policy::client("vt100", Some((300, 50))));
        assert_eq!(c.take_output(), [IAC, WILL, NAWS, IAC, DO, SGA]);
        c
    }

    fn feed(c: &mut Codec, input: &[u8]) -> Vec<u8> {
        let mut data = Vec::new();
        c.feed(input, &mut data);
        data
    }

    #[test]
    fn unsupported_options_are_refused_once_and_never_loop() {
        let mut c = client();
        assert!(feed(&mut c, &[IAC, WILL, 200, IAC, DO, 201]).is_empty());
        assert_eq!(c.take_output(), [IAC, DONT, 200, IAC, WONT, 201]);
        // A refusal of something we never had is not answered (no loop).
        feed(&mut c, &[IAC, WONT, 200, IAC, DONT, 201]);
        assert!(c.take_output().is_empty());
        // Agreeing twice is answered once.
        feed(&mut c, &[IAC, WILL, ECHO, IAC, WILL, ECHO]);
        assert_eq!(c.take_output(), [IAC, DO, ECHO]);
        // Our own request acknowledged: no answer.
        feed(&mut c, &[IAC, WILL, SGA]);
        assert!(c.take_output().is_empty());
        assert!(c.remote_enabled(SGA));
        // Turned off by the peer: acknowledged once.
        feed(&mut c, &[IAC, WONT, ECHO, IAC, WONT, ECHO]);
        assert_eq!(c.take_output(), [IAC, DONT, ECHO]);
        assert!(!c.remote_enabled(ECHO));
    }

    #[test]
    fn naws_and_terminal_type_are_answered() {
        let mut c = client();
        feed(&mut c, &[IAC, DO, NAWS, IAC, DO, TTYPE, IAC, SB, TTYPE, 1, IAC, SE]);
        let mut want = vec![IAC, SB, NAWS, 1, 44, 0, 50, IAC, SE, IAC, WILL, TTYPE];
        want.extend_from_slice(&[IAC, SB, TTYPE, 0, b'v', b't', b'1', b'0', b'0', IAC, SE]);
        assert_eq!(c.take_output(), want);
        c.set_window(255, 0xFF00);
        assert_eq!(c.take_output(), [IAC, SB, NAWS, 0, IAC, IAC, IAC, IAC, 0, IAC, SE]);
    }

    #[test]
    fn cr_nul_is_a_bare_cr_and_cr_lf_stays() {
        let mut c = client();
        assert_eq!(feed(&mut c, b"a\r\0b\r\nc\r"), b"a\rb\r\nc\r");
        assert_eq!(feed(&mut c, b"\0d"), b"d", "split across reads");
        assert_eq!(feed(&mut c, b"x\0y"), b"x\0y", "a NUL elsewhere is data");
        feed(&mut c, &[IAC, WILL, BINARY]);
        assert_eq!(feed(&mut c, b"\r\0"), b"\r\0", "binary: no translation");
        let mut wire = Vec::new();
        c.encode(b"l1\r\nl2\rl3\r", &mut wire);
        assert_eq!(wire, b"l1\r\nl2\r\0l3\r\0");
        // Writes of one byte, or none (a CR alone: its LF, if any, is the next write's).
        for (data, on_the_wire) in [(&b"\r"[..], &b"\r\0"[..]), (b"", b""), (b"x", b"x")] {
            wire.clear();
            c.encode(data, &mut wire);
            assert_eq!(wire, on_the_wire);
        }
    }

    #[test]
    fn commands_and_subnegotiations_are_stripped_even_when_split() {
        let mut c = client();
        let input =
            [b'a', IAC, 241, b'b', IAC, SB, COM_PORT, 101, 0, 0, IAC, IAC, 0, IAC, SE, b'c'];
        for split in 0..=input.len() {
            let mut c2 = client();
            let mut data = feed(&mut c2, &input[..split]);
            data.extend(feed(&mut c2, &input[split..]));
            assert_eq!(data, b"abc", "split at {split}");
            assert_eq!(c2.take_events(), [Event::Sub(COM_PORT, vec![101, 0, 0, IAC, 0])]);
        }
        // A subnegotiation the peer never ended is cut at the next command.
        feed(&mut c, &[IAC, SB, 99, 1, 2, IAC, WILL, ECHO, b'z']);
        assert_eq!(c.take_events(), [Event::Sub(99, vec![1, 2]), Event::Remote(ECHO, true)]);
    }

    #[test]
    fn a_subnegotiation_never_ended_is_cut_by_the_next_one() {
        let mut c = client();
        assert_eq!(feed(&mut c, &[IAC, SB, 99, 1, IAC, SB, 98, 2, IAC, SE, b'z']), b"z");
        assert!(c.has_events());
        assert_eq!(c.take_events(), [Event::Sub(99, vec![1]), Event::Sub(98, vec![2])]);
        assert!(!c.has_events());
    }

    #[test]
    fn the_terminal_type_goes_only_when_on_and_asked_for() {
        // Asked before TERMINAL-TYPE is on: no answer.
        let mut c = client();
        feed(&mut c, &[IAC, SB, TTYPE, 1, IAC, SE]);
        assert!(c.take_output().is_empty());
        // On, but the peer sends its own (IS, 0) instead of asking (SEND, 1): no answer.
        feed(&mut c, &[IAC, DO, TTYPE]);
        assert_eq!(c.take_output(), [IAC, WILL, TTYPE]);
        assert_eq!(c.take_events(), [Event::Local(TTYPE, true)]);
        feed(&mut c, &[IAC, SB, TTYPE, 0, b'x', IAC, SE]);
        assert!(c.take_output().is_empty());
        assert!(!c.has_events(), "TERMINAL-TYPE is handled here, not passed on");
    }

    #[test]
    fn output_drains_onto_the_end_of_a_buffer() {
        let mut c = client();
        feed(&mut c, &[IAC, WILL, ECHO]);
        let mut out = b"queued".to_vec();
        c.drain_output_into(&mut out);
        assert_eq!(out, [b'q', b'u', b'e', b'u', b'e', b'd', IAC, DO, ECHO]);
        assert!(c.take_output().is_empty(), "taken out");
    }

    #[test]
    fn an_endless_subnegotiation_is_bounded() {
        let mut c = client();
        feed(&mut c, &[IAC, SB, 99]);
        feed(&mut c, &vec![7; MAX_SUB * 3]);
        feed(&mut c, &[IAC, SE]);
        let events = c.take_events();
        let [Event::Sub(99, payload)] = &events[..] else { panic!("{events:?}") };
        assert_eq!(payload.len(), MAX_SUB);
    }

    #[test]
    fn requests_refused_by_the_peer_end_quietly() {
        let mut c = Codec::new(Policy {
            local: vec![COM_PORT],
            offer: vec![COM_PORT],
            ..Policy::default()
        });
        assert_eq!(c.take_output(), [IAC, WILL, COM_PORT]);
        assert!(c.local_pending(COM_PORT));
        feed(&mut c, &[IAC, DONT, COM_PORT]);
        assert!(c.take_output().is_empty());
        assert_eq!(c.take_events(), [Event::Local(COM_PORT, false)]);
        assert!(!c.local_enabled(COM_PORT) && !c.local_pending(COM_PORT));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_input_is_taken_without_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16)) {
                let mut c = client();
                let mut data = Vec::new();
                for chunk in &chunks {
                    c.feed(chunk, &mut data);
                    // Replies are bounded by what came in (at most a window answer and a
                    // `WILL` per 3-byte request, a terminal type per 6-byte one).
                    let out = c.take_output();
                    prop_assert!(out.len() <= chunk.len() * 5 + 64);
                }
                let total: usize = chunks.iter().map(Vec::len).sum();
                prop_assert!(data.len() <= total);
            }

            #[test]
            fn escaped_data_round_trips(data in proptest::collection::vec(any::<u8>(), 0..256), binary in any::<bool>(), split in any::<prop::sample::Index>()) {
                let policy = if binary { Policy::client("x", None).binary() } else { Policy::client("x", None) };
                let mut sender = Codec::new(policy.clone());
                let mut receiver = Codec::new(policy);
                // Each side agrees to what the other asked.
                let mut ignored = Vec::new();
                receiver.feed(&sender.take_output(), &mut ignored);
                sender.feed(&receiver.take_output(), &mut ignored);
                receiver.feed(&sender.take_output(), &mut ignored);
                prop_assert!(ignored.is_empty());
                prop_assert_eq!(sender.local_enabled(BINARY), binary);
                prop_assert_eq!(receiver.remote_enabled(BINARY), binary);
                let mut wire = Vec::new();
                sender.encode(&data, &mut wire);
                let at = split.index(wire.len() + 1);
                let mut got = Vec::new();
                receiver.feed(&wire[..at], &mut got);
                receiver.feed(&wire[at..], &mut got);
                prop_assert_eq!(got, data);
            }
        }
    }
}
