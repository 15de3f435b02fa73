//! Property: secrets a connection sent never reach its transcript, however the reads cut their
//! echo (one byte per read included), and the transcript is the same for every chunking.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use moler_core::{Connection, Context, Observer, Step, Transcript};

use proptest::prelude::*;

/// Secrets that overlap ("hunter2" begins "hunter2!x") and have multi-byte characters.
const SECRETS: [&str; 3] = ["hunter2", "hunter2!x", "pässwörd"];

/// Echoed secrets, starts of secrets that never complete, and secrets back to back.
const STREAM: &str = "password: hunter2\r\nhunt\r\n$ echo hunter2!x hunter2! pässwörd päss\r\n\
                      hunter2pässwördhunter2!\r\n$ ";

#[derive(Clone, Default)]
struct Log(Arc<Mutex<(String, Vec<u8>)>>);

impl Transcript for Log {
    fn received(&mut self, raw: &[u8], text: &str) {
        let mut log = self.0.lock().unwrap();
        log.0.push_str(text);
        log.1.extend_from_slice(raw);
    }
    fn sent(&mut self, _: &str) {}
}

/// An event that keeps every piece of text it gets.
struct Collect(Arc<Mutex<String>>);

impl Observer for Collect {
    type Output = ();
    fn describe(&self) -> String {
        "collect".into()
    }
    fn on_data(&mut self, data: &str, _: &mut Context<'_>) -> Step<()> {
        self.0.lock().unwrap().push_str(data);
        Step::Pending
    }
}

/// The transcript's text and raw bytes after `chunks` and the close.
fn transcript(chunks: &[&[u8]]) -> (String, Vec<u8>) {
    let now = Instant::now();
    let log = Log::default();
    let seen = Arc::new(Mutex::new(String::new()));
    let mut conn = Connection::new("secrets").with_transcript(Box::new(log.clone()));
    conn.start(Collect(seen.clone()), now);
    for secret in SECRETS {
        conn.send_secret(secret);
    }
    let _ = conn.poll_transmit(&mut Vec::new());
    let mut given = 0;
    for chunk in chunks {
        conn.handle_input(chunk, now);
        given += chunk.len();
        // Observers are not delayed: they have every whole character given so far.
        let seen = seen.lock().unwrap();
        let whole = String::from_utf8_lossy(&STREAM.as_bytes()[..given]);
        assert_eq!(*seen, whole.trim_end_matches('\u{fffd}'));
    }
    conn.close();
    let log = log.0.lock().unwrap();
    log.clone()
}

fn check(chunks: &[&[u8]]) {
    let (text, raw) = transcript(chunks);
    let (one_text, one_raw) = transcript(&[STREAM.as_bytes()]);
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret:?} in {text:?} from {chunks:?}");
        assert!(memchr::memmem::find(&raw, secret.as_bytes()).is_none(), "{chunks:?}");
    }
    assert_eq!(text, one_text, "{chunks:?}");
    assert_eq!(raw, one_raw, "{chunks:?}");
}

#[test]
fn one_read_masks_every_secret() {
    let (text, raw) = transcript(&[STREAM.as_bytes()]);
    let want = "password: ********\r\nhunt\r\n$ echo ******** ********! ******** päss\r\n\
                ************************!\r\n$ ";
    assert_eq!(text, want);
    assert_eq!(raw, want.as_bytes());
}

#[test]
fn every_two_and_three_way_split_gives_the_same_masked_transcript() {
    let s = STREAM.as_bytes();
    for i in 0..=s.len() {
        check(&[&s[..i], &s[i..]]);
        for j in i..=s.len() {
            check(&[&s[..i], &s[i..j], &s[j..]]);
        }
    }
}

#[test]
fn one_byte_reads_give_the_same_masked_transcript() {
    let chunks: Vec<&[u8]> = STREAM.as_bytes().chunks(1).collect();
    check(&chunks);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_chunking_gives_the_same_masked_transcript(sizes in prop::collection::vec(1usize..8, 1..120)) {
        let mut chunks = Vec::new();
        let mut rest = STREAM.as_bytes();
        for size in sizes {
            if rest.is_empty() {
                break;
            }
            let (chunk, after) = rest.split_at(size.min(rest.len()));
            chunks.push(chunk);
            rest = after;
        }
        chunks.push(rest);
        check(&chunks);
    }
}

/// A read that ends inside a character brings raw bytes and no text yet: the raw bytes are
/// recorded all the same, nothing lost.
#[test]
fn raw_bytes_of_a_character_cut_by_a_read_are_recorded() {
    let log = Log::default();
    let mut conn = Connection::new("demo").with_transcript(Box::new(log.clone()));
    let now = Instant::now();
    conn.handle_input(b"\xe2\x82", now);
    conn.handle_input(b"\xac\r\n", now);
    conn.close();
    let log = log.0.lock().unwrap();
    assert_eq!(log.1, "€\r\n".as_bytes(), "the raw bytes, every one");
    assert_eq!(log.0, "€\r\n");
}

/// A stream that ends inside the first character of a secret: the raw log holds the start of
/// the secret back, the text has no character of it yet. At the close the raw log still gets
/// the held bytes, masked: no record is skipped because the text has nothing.
#[test]
fn a_close_inside_a_secrets_first_character_still_records_its_raw_bytes_masked() {
    let log = Log::default();
    let mut conn = Connection::new("demo").with_transcript(Box::new(log.clone()));
    let now = Instant::now();
    conn.send_secret("€uro-pass");
    let _ = conn.poll_transmit(&mut Vec::new());
    conn.handle_input(b"ok \xe2\x82", now);
    conn.close();
    let log = log.0.lock().unwrap();
    assert_eq!(log.0, "ok ", "no character of the secret came whole");
    assert_eq!(log.1, b"ok ********", "the held start of the secret, masked");
}
