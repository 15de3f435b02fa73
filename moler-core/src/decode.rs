//! Incremental UTF-8 decoding of a byte stream that arrives in arbitrary pieces.

/// Turns byte chunks into text: invalid bytes become U+FFFD, a character split between two
/// chunks is joined. Valid input is passed through without copying.
#[derive(Debug, Default)]
pub struct Utf8Decoder {
    /// Bytes of an incomplete character at the end of the previous chunk (at most 3).
    pending: Vec<u8>,
    out: String,
}

impl Utf8Decoder {
    /// A decoder with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `input`, returning the text it completes. A trailing incomplete character is kept
    /// for the next call.
    ///
    /// ```
    /// let mut d = moler_core::Utf8Decoder::new();
    /// let euro = "€".as_bytes();
    /// assert_eq!(d.decode(&euro[..1]), "");
    /// assert_eq!(d.decode(&euro[1..]), "€");
    /// assert_eq!(d.decode(b"\xffok"), "\u{fffd}ok");
    /// ```
    pub fn decode<'a>(&'a mut self, mut input: &'a [u8]) -> &'a str {
        if self.pending.is_empty() {
            // Fast path: the whole chunk is valid and complete.
            match std::str::from_utf8(input) {
                Ok(s) => return s,
                Err(e) if e.error_len().is_none() && e.valid_up_to() + 4 > input.len() => {
                    let (valid, rest) = input.split_at(e.valid_up_to());
                    self.pending.extend_from_slice(rest);
                    // Invariant: from_utf8 validated this prefix.
                    return std::str::from_utf8(valid).expect("validated prefix");
                }
                Err(_) => {}
            }
        }
        self.out.clear();
        // Complete a character left over from the previous chunk, one byte at a time.
        while !self.pending.is_empty() && !input.is_empty() {
            self.pending.push(input[0]);
            input = &input[1..];
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    self.out.push_str(s);
                    self.pending.clear();
                }
                Err(e) if e.error_len().is_none() => {} // still incomplete
                Err(e) => {
                    // The pending bytes cannot start a character: replace them and re-scan
                    // whatever followed the invalid prefix.
                    let bad = e.valid_up_to() + e.error_len().unwrap_or(1);
                    self.out.push('\u{fffd}');
                    let rest: Vec<u8> = self.pending.drain(bad..).collect();
                    self.pending.clear();
                    self.push_lossy(&rest);
                }
            }
        }
        self.push_lossy(input);
        &self.out
    }

    /// Appends `bytes` to the output, replacing invalid sequences; keeps an incomplete tail.
    fn push_lossy(&mut self, mut bytes: &[u8]) {
        loop {
            match std::str::from_utf8(bytes) {
                Ok(s) => {
                    self.out.push_str(s);
                    return;
                }
                Err(e) => {
                    let (valid, rest) = bytes.split_at(e.valid_up_to());
                    // Invariant: from_utf8 validated this prefix.
                    self.out.push_str(std::str::from_utf8(valid).expect("validated prefix"));
                    match e.error_len() {
                        None => {
                            self.pending.extend_from_slice(rest);
                            return;
                        }
                        Some(n) => {
                            self.out.push('\u{fffd}');
                            bytes = &rest[n..];
                        }
                    }
                }
            }
        }
    }

    /// Whatever is pending when the stream ends, as replacement characters.
    pub fn finish(&mut self) -> Option<char> {
        (!self.pending.is_empty()).then(|| {
            self.pending.clear();
            '\u{fffd}'
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(bytes: &[u8], size: usize) -> String {
        let mut d = Utf8Decoder::new();
        let mut s = String::new();
        for c in bytes.chunks(size) {
            s.push_str(d.decode(c));
        }
        s.extend(d.finish());
        s
    }

    #[test]
    fn every_split_gives_the_lossy_decoding() {
        let samples: [&[u8]; 4] =
            [b"abc\xe2\x82\xacdef", b"\xff\xfe\x00ok", b"\xe2\x82x\xf0\x9f\x98\x80", b"\xe2"];
        for bytes in samples {
            let want = String::from_utf8_lossy(bytes);
            for size in 1..=bytes.len() {
                assert_eq!(decode_in_pieces(bytes, size), want, "{bytes:?} in pieces of {size}");
            }
        }
    }
}
