//! The server side of telnet, minimal and sans-IO: offer `WILL ECHO` and `WILL SGA`, refuse
//! every other option, strip commands and subnegotiations from the input (also when split
//! across reads), and double `0xFF` in the output.

/// Interpret As Command.
pub const IAC: u8 = 255;
/// Refuses an option the other side wants to use.
pub const DONT: u8 = 254;
/// Asks the other side to use an option.
pub const DO: u8 = 253;
/// Refuses to use an option.
pub const WONT: u8 = 252;
/// Offers to use an option.
pub const WILL: u8 = 251;
/// Starts a subnegotiation.
pub const SB: u8 = 250;
/// Ends a subnegotiation.
pub const SE: u8 = 240;
/// The echo option.
pub const ECHO: u8 = 1;
/// Suppress Go Ahead.
pub const SGA: u8 = 3;

/// The state of a telnet session's input.
#[derive(Debug, Default)]
pub struct Telnet {
    state: In,
}

#[derive(Debug, Default, Clone, Copy)]
enum In {
    #[default]
    Data,
    Iac,
    Option(u8),
    Sub,
    SubIac,
}

impl Telnet {
    /// A session that has not negotiated anything yet.
    pub fn new() -> Telnet {
        Telnet::default()
    }

    /// What the server sends first: `IAC WILL ECHO IAC WILL SGA` (the device echoes, and
    /// characters go one at a time).
    pub fn offer(&self) -> Vec<u8> {
        vec![IAC, WILL, ECHO, IAC, WILL, SGA]
    }

    /// The data in `input`, with telnet commands taken out; answers to the client's requests
    /// are appended to `reply`.
    ///
    /// ```
    /// use moler_sim::telnet::*;
    /// let mut t = Telnet::new();
    /// let mut reply = Vec::new();
    /// assert_eq!(t.input(&[b'a', IAC, DO, ECHO, IAC, WILL, 31, b'b', IAC], &mut reply), b"ab");
    /// assert_eq!(t.input(&[IAC, b'c', IAC, SB, 24, 0, IAC, SE, b'd'], &mut reply), [IAC, b'c', b'd']);
    /// assert_eq!(reply, [IAC, DONT, 31]);   // WILL NAWS refused; DO ECHO is what we offered
    /// ```
    pub fn input(&mut self, input: &[u8], reply: &mut Vec<u8>) -> Vec<u8> {
        let mut data = Vec::with_capacity(input.len());
        for &b in input {
            self.state = match (self.state, b) {
                (In::Data, IAC) => In::Iac,
                (In::Data, b) => {
                    data.push(b);
                    In::Data
                }
                (In::Iac, IAC) => {
                    data.push(IAC);
                    In::Data
                }
                (In::Iac, DO | DONT | WILL | WONT) => In::Option(b),
                (In::Iac, SB) => In::Sub,
                (In::Iac, _) => In::Data,
                (In::Option(verb), option) => {
                    match verb {
                        DO if option != ECHO && option != SGA => {
                            reply.extend_from_slice(&[IAC, WONT, option]);
                        }
                        WILL if option != SGA => reply.extend_from_slice(&[IAC, DONT, option]),
                        _ => {}
                    }
                    In::Data
                }
                (In::Sub, IAC) => In::SubIac,
                (In::Sub, _) => In::Sub,
                (In::SubIac, SE) => In::Data,
                (In::SubIac, _) => In::Sub,
            };
        }
        data
    }

    /// Appends `data` to `out` with every `0xFF` doubled.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// moler_sim::telnet::Telnet::escape_into(&[b'a', 0xFF, b'b'], &mut out);
    /// assert_eq!(out, [b'a', 0xFF, 0xFF, b'b']);
    /// ```
    pub fn escape_into(data: &[u8], out: &mut Vec<u8>) {
        for &b in data {
            if b == IAC {
                out.push(IAC);
            }
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the server answers to each request: it does ECHO and SGA itself (what it offered)
    /// and nothing else; of the client's offers it takes SGA only. What it agrees to, or a
    /// refusal, gets no answer (no loop of answers).
    #[test]
    fn it_agrees_to_what_it_offered_and_refuses_the_rest() {
        const TERMINAL_TYPE: u8 = 24;
        const NAWS: u8 = 31;
        let cases: [(&[u8], &[u8]); 8] = [
            (&[IAC, DO, ECHO], &[]),
            (&[IAC, DO, SGA], &[]),
            (&[IAC, DO, TERMINAL_TYPE], &[IAC, WONT, TERMINAL_TYPE]),
            (&[IAC, WILL, SGA], &[]),
            (&[IAC, WILL, ECHO], &[IAC, DONT, ECHO]),
            (&[IAC, WILL, NAWS], &[IAC, DONT, NAWS]),
            (&[IAC, DONT, ECHO], &[]),
            (&[IAC, WONT, NAWS], &[]),
        ];
        for (request, answer) in cases {
            let mut reply = Vec::new();
            assert_eq!(Telnet::new().input(request, &mut reply), b"", "{request:?}");
            assert_eq!(reply, answer, "{request:?}");
        }
    }
}
