//! A connection's transcript: secrets sent are masked in what it echoes, however the reads
//! cut the echo, and remembered when no transcript is set yet (the time passed in reads the
//! clock: here, not in moler-core's own tests).

use std::time::Instant;

use moler_core::{Connection, Context, Kind, Observer, Step, Transcript};

/// Feeds `chunks` to a connection that sent `secret`; returns what its transcript received
/// per read, text and raw, and after the close.
fn transcript_of(secret: &str, chunks: &[&[u8]]) -> Vec<String> {
    let log = Log::default();
    let mut conn = Connection::new("demo").with_transcript(Box::new(log.clone()));
    conn.send_secret(secret);
    let _ = conn.poll_transmit(&mut Vec::new());
    let now = Instant::now();
    for chunk in chunks {
        conn.handle_input(chunk, now);
    }
    conn.close();
    let log = log.0.lock().unwrap();
    log[1..].to_vec()
}

#[test]
fn a_secret_echoed_one_byte_at_a_time_is_masked() {
    assert_eq!(
        transcript_of("hunter2", &[b"h", b"unter2\r\n"]),
        ["<********\r\n", "<raw ********\r\n", "closed"]
    );
    let bytes: Vec<&[u8]> = b"$ hunter2\r\n".chunks(1).collect();
    let log = transcript_of("hunter2", &bytes);
    let want = "<$<raw $< <raw  <********<raw ********<\r<raw \r<\n<raw \nclosed";
    assert_eq!(log.concat(), want, "nothing reaches the log before the secret is decided");
}

#[test]
fn a_start_that_does_not_become_a_secret_is_released_unchanged() {
    assert_eq!(
        transcript_of("hunter2", &[b"hun", b"t", b"ed\r\n"]),
        ["<hunted\r\n", "<raw hunted\r\n", "closed"]
    );
    assert_eq!(
        transcript_of("hunter2", &[b"a hu", b"hunter2"]),
        ["<a ", "<raw a ", "<hu********", "<raw hu********", "closed"]
    );
}

#[test]
fn a_start_held_at_the_close_is_masked() {
    assert_eq!(
        transcript_of("hunter2", &[b"ok\r\nhunte"]),
        ["<ok\r\n", "<raw ok\r\n", "<********", "<raw ********", "closed"]
    );
}

/// An observer that answers a password question with a secret, the way `ssh` does.
struct Login;
impl Observer for Login {
    type Output = ();
    fn describe(&self) -> String {
        "login".into()
    }
    fn kind(&self) -> Kind {
        Kind::Command
    }
    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        cx.sendline("ssh host");
        Step::Pending
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<()> {
        if data.contains("password:") {
            cx.send_secret("hunter2");
            cx.sendline("");
            Step::Pending
        } else {
            Step::Done(Ok(()))
        }
    }
}

#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<String>>>);
impl Transcript for Log {
    fn received(&mut self, raw: &[u8], text: &str) {
        let mut log = self.0.lock().unwrap();
        log.push(format!("<{text}"));
        log.push(format!("<raw {}", String::from_utf8_lossy(raw)));
    }
    fn sent(&mut self, text: &str) {
        self.0.lock().unwrap().push(format!(">{text}"));
    }
    fn closed(&mut self, _: Option<&std::io::Error>) {
        self.0.lock().unwrap().push("closed".into());
    }
}

#[test]
fn a_connection_masks_secrets_sent_and_echoed() {
    let now = Instant::now();
    let log = Log::default();
    let mut conn = Connection::new("demo").with_transcript(Box::new(log.clone()));
    let login = conn.start(Login, now);
    let mut sent = Vec::new();
    assert!(conn.poll_transmit(&mut sent) > 0);
    conn.handle_input(b"password:", now);
    let mut answer = Vec::new();
    assert!(conn.poll_transmit(&mut answer) > 0);
    assert_eq!(answer, b"hunter2\n", "the device gets the secret itself");
    conn.handle_input(b"hunter2\r\nwelcome", now);
    assert!(login.try_result().unwrap().is_ok());
    conn.close();
    assert_eq!(sent, b"ssh host\n");
    assert_eq!(
        *log.0.lock().unwrap(),
        [
            ">ssh host\n",
            "<password:",
            "<raw password:",
            ">********\n",
            "<********\r\nwelcome",
            "<raw ********\r\nwelcome",
            "closed"
        ]
    );
}

#[test]
fn without_a_transcript_secrets_are_still_remembered() {
    let now = Instant::now();
    let log = Log::default();
    let mut conn = Connection::new("demo");
    conn.start(Login, now);
    let _ = conn.poll_transmit(&mut Vec::new());
    conn.handle_input(b"password:", now);
    let _ = conn.poll_transmit(&mut Vec::new());
    conn.set_transcript(Some(Box::new(log.clone())));
    conn.handle_input(b"echo hunter2", now);
    assert_eq!(log.0.lock().unwrap()[0], "<echo ********");
}
