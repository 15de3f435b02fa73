//! The sans-IO connection: bytes in, text out to observers, bytes to send, deadlines.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::completion::{
    Completion, Erased, Flow, Mailbox, ObserverId, Request, TimeoutAction, TimeoutChange,
};
use crate::decode::Utf8Decoder;
use crate::error::Error;
use crate::observer::{Context, Kind, Observer};
use crate::prefilter::{Literals, SharedSearch};
use crate::tail::Tail;
use crate::transcript::{HeldBack, Outbox, Secrets, Transcript};

/// One link to a device, without any I/O: a runner feeds it what it reads and sends what it
/// asks for.
///
/// Call order for a driver (the runners in `moler-runners` do exactly this):
/// 1. [`Connection::handle_input`] with every piece of bytes read, and the time it arrived;
/// 2. [`Connection::handle_requests`] when the [`Mailbox`] wakes you;
/// 3. [`Connection::handle_timeout`] when [`Connection::poll_timeout`]'s instant passes;
/// 4. after each of these, [`Connection::poll_transmit`] into your buffer and write what it
///    appended;
/// 5. [`Connection::handle_close`] when the transport reports its end; stop once
///    [`Connection::is_closed`].
///
/// Decoded text goes to every live observer in the order they started. Commands run one at a
/// time in the order they were started; events are never queued.
///
/// ```
/// use moler_core::{Command, Connection};
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let pwd = conn.start(Command::lines("pwd", "^moler_bash# "), Instant::now());
/// let mut out = Vec::new();
/// assert_eq!(conn.poll_transmit(&mut out), 4);
/// assert_eq!(out, b"pwd\n");
/// conn.handle_input(b"pwd\r\n/home/moler\r\nmoler_bash# ", Instant::now());
/// assert_eq!(pwd.try_result().unwrap().unwrap(), ["/home/moler"]);
/// ```
pub struct Connection {
    name: String,
    decoder: Utf8Decoder,
    /// Running observers in start order (events, and the running or lingering command).
    slots: Vec<Slot>,
    /// Commands waiting for their turn.
    queue: VecDeque<Box<dyn Erased>>,
    command_active: bool,
    outbox: Outbox,
    secrets: Secrets,
    /// Received text on its way to the transcript and the tail, secrets masked.
    text_held: HeldBack,
    /// Received bytes on their way to the transcript, secrets masked.
    raw_held: HeldBack,
    /// The last text received (masked), quoted by timeout errors.
    tail: Tail,
    transcript: Option<Box<dyn Transcript>>,
    newline: String,
    mailbox: Arc<Mailbox>,
    /// The mailbox's queue's other half (see [`Connection::handle_requests`]).
    spare_requests: Vec<Request>,
    closed: bool,
    /// Timeouts changed from handles while their commands waited in the queue.
    pending_timeouts: Vec<(ObserverId, Option<Duration>)>,
    /// The one search for the literals of the observers that offer some (see
    /// [`Observer::literals`]), when two or more do.
    search: SharedSearch,
    /// The observers with literals changed since the search was made.
    search_stale: bool,
    /// A command's linger after its Ctrl-C ran out before its prompt came back: the next
    /// command that types a line waits for its prompt first (see
    /// [`Context::prompt_unconfirmed`]).
    prompt_unconfirmed: bool,
    /// An observer's [`Context::close_connection`], taken after its call.
    closing: Option<std::io::Error>,
}

struct Slot {
    observer: Box<dyn Erased>,
    kind: Kind,
    started: Instant,
    timeout: Option<Duration>,
    linger_until: Option<Instant>,
    /// The wake-up the observer asked for (see [`Context::wake_in`]).
    wake: Option<Instant>,
    finished: bool,
    /// What the observer offered for the prefilter (see [`Observer::literals`]).
    literals: Option<Literals>,
    /// Its number in the prefilter, if it is one of its members.
    member: Option<u32>,
}

impl Slot {
    /// The earliest of the wake-up and the deadline in force.
    fn deadline(&self) -> Option<Instant> {
        match (self.wake_due(), self.end()) {
            (Some(wake), _) => Some(wake),
            (None, end) => end,
        }
    }

    /// The timeout, or while lingering the end of the linger.
    fn end(&self) -> Option<Instant> {
        self.linger_until.or_else(|| self.timeout.and_then(|t| self.started.checked_add(t)))
    }

    /// The wake-up, if it comes before the deadline in force.
    fn wake_due(&self) -> Option<Instant> {
        self.wake.filter(|&w| self.end().is_none_or(|end| w < end))
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("name", &self.name)
            .field("observers", &self.slots.len())
            .field("queued_commands", &self.queue.len())
            .field("closed", &self.closed)
            .finish()
    }
}

impl Connection {
    /// A connection named `name` (used in errors and logs), with `"\n"` as newline.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            mailbox: Arc::new(Mailbox::new(&name)),
            spare_requests: Vec::new(),
            pending_timeouts: Vec::new(),
            search: SharedSearch::default(),
            search_stale: false,
            prompt_unconfirmed: false,
            closing: None,
            name,
            decoder: Utf8Decoder::new(),
            slots: Vec::new(),
            queue: VecDeque::new(),
            command_active: false,
            outbox: Outbox::default(),
            secrets: Secrets::default(),
            text_held: HeldBack::default(),
            raw_held: HeldBack::default(),
            tail: Tail::default(),
            transcript: None,
            newline: "\n".into(),
            closed: false,
        }
    }

    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The newline that `sendline` appends.
    pub fn newline(&self) -> &str {
        &self.newline
    }

    /// Sets the newline that `sendline` appends (devices switch it per state).
    pub fn set_newline(&mut self, newline: impl Into<String>) {
        self.newline = newline.into();
    }

    /// Gives the connection a transcript (a log) of what it receives and sends, secrets masked;
    /// `None` takes it away. Set it before the first input to miss nothing.
    pub fn set_transcript(&mut self, transcript: Option<Box<dyn Transcript>>) {
        self.transcript = transcript;
    }

    /// The connection with `transcript` (see [`Connection::set_transcript`]).
    pub fn with_transcript(mut self, transcript: Box<dyn Transcript>) -> Self {
        self.transcript = Some(transcript);
        self
    }

    /// The mailbox through which other threads reach this connection.
    pub fn mailbox(&self) -> &Arc<Mailbox> {
        &self.mailbox
    }

    /// True once closed; every later observer fails at once.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Number of running observers plus queued commands.
    pub fn observer_count(&self) -> usize {
        self.slots.len() + self.queue.len()
    }

    /// Starts `observer` now (a command waits for the running one).
    pub fn start<O: Observer>(&mut self, observer: O, now: Instant) -> Completion<O::Output> {
        let (driven, completion) = self.mailbox.prepare(observer);
        self.admit(driven, now);
        completion
    }

    /// Queues text to send as it is.
    pub fn send(&mut self, text: &str) {
        self.outbox.push(text);
    }

    /// Queues text followed by the newline.
    pub fn sendline(&mut self, text: &str) {
        self.outbox.push(text);
        self.outbox.push(&self.newline);
    }

    /// Queues a secret (a password) as it is; a transcript sees [`crate::MASK`] instead.
    pub fn send_secret(&mut self, text: &str) {
        self.outbox.push_secret(text);
    }

    /// Feeds bytes read from the transport, received at `now`.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant) {
        if self.closed {
            return;
        }
        let mut decoder = std::mem::take(&mut self.decoder);
        let text = decoder.decode(bytes);
        // Observers get the text at once; the tail and the transcript only once it cannot be
        // the start of a secret any more (see `HeldBack`).
        let masked = self.text_held.pass_text(&self.secrets, text);
        self.tail.push(&masked, self.text_held.is_holding());
        if let Some(transcript) = &mut self.transcript {
            let raw = self.raw_held.pass(&self.secrets, bytes);
            if !raw.is_empty() || !masked.is_empty() {
                transcript.received(&raw, &masked);
            }
        }
        if !text.is_empty() {
            self.dispatch(text, now);
        }
        self.decoder = decoder;
        self.handle_requests(now);
    }

    fn dispatch(&mut self, text: &str, now: Instant) {
        if self.search_stale {
            self.renew_search();
        }
        self.search.scan(text.as_bytes());
        let mut finished = false;
        for slot in &mut self.slots {
            let io =
                Io { literals_seen: slot.member.is_none_or(|m| self.search.seen(m)), ..io!(self) };
            let flow = call(slot, io, now, |o, cx| o.data(text, cx));
            finished |= settle(slot, flow, now);
            if self.closing.is_some() {
                break;
            }
        }
        if self.close_if_asked() {
            return;
        }
        if finished {
            self.sweep(now);
        }
    }

    /// Closes the connection if an observer asked to ([`Context::close_connection`]): true then.
    /// The observers that finished are let go first (their results are out: none hears of the
    /// close), and nothing queued starts.
    fn close_if_asked(&mut self) -> bool {
        let Some(reason) = self.closing.take() else { return false };
        self.slots.retain(|s| !s.finished);
        self.handle_close(Some(reason));
        true
    }

    /// Takes the requests waiting in the mailbox (starts, cancels, expiries, close).
    pub fn handle_requests(&mut self, now: Instant) {
        if !self.mailbox.has_requests() {
            return;
        }
        // The queue is swapped with this connection's spare (kept empty, its capacity kept):
        // no allocation per request once warm.
        let mut requests = std::mem::take(&mut self.spare_requests);
        self.mailbox.take_into(&mut requests);
        for request in requests.drain(..) {
            match request {
                Request::Start(observer) => self.admit(observer, now),
                Request::Cancel(id) => self.act_on(id, now, None),
                Request::Expire(id, waited) => self.act_on(id, now, Some(waited)),
                Request::Timeout(id, change) => self.change_timeout(id, change),
                Request::Send(text, false) => self.send(&text),
                Request::Send(text, true) => self.sendline(&text),
                Request::Close => self.handle_close(None),
            }
        }
        self.spare_requests = requests;
    }

    /// Handles the deadlines that passed by `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut finished = false;
        for slot in &mut self.slots {
            if slot.wake_due().is_some_and(|w| w <= now) && slot.end().is_none_or(|e| e > now) {
                // One call, then the observer may ask for another.
                slot.wake = None;
                let io = io!(self);
                let flow = call(slot, io, now, |o, cx| o.wake(cx));
                finished |= settle(slot, flow, now);
                if self.closing.is_some() {
                    break;
                }
                continue;
            }
            if slot.end().is_some_and(|d| d <= now) {
                // A timeout drops the wake-up: one asked for now is the linger's.
                slot.wake = None;
                let linger_ran_out = slot.kind == Kind::Command && slot.linger_until.is_some();
                let io = io!(self);
                let flow = call(slot, io, now, |o, cx| o.expire(cx));
                finished |= settle(slot, flow, now);
                if linger_ran_out {
                    // Its Ctrl-C's prompt did not come back: what it ran may still read.
                    self.prompt_unconfirmed = true;
                }
                if !slot.finished && slot.end().is_some_and(|d| d <= now) {
                    // Still running with its deadline passed (a lingering observer whose period
                    // ended, or one that ignored its timeout): it ends here, so the deadline
                    // cannot fire again and again.
                    slot.observer.fail(slot_timeout_error(slot, &self.tail, now));
                    slot.finished = true;
                    finished = true;
                }
                if self.closing.is_some() {
                    break;
                }
            }
        }
        if self.close_if_asked() {
            return;
        }
        if finished {
            self.sweep(now);
        }
        self.handle_requests(now);
    }

    /// The earliest deadline of any observer: call [`Connection::handle_timeout`] then.
    #[must_use = "a driver sleeps until this instant, then calls `handle_timeout`"]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.slots.iter().filter_map(Slot::deadline).min()
    }

    /// Appends the bytes observers want sent to `buf` (what is in it already stays) and
    /// returns how many were appended; 0 when there is nothing to send. A driver keeps one
    /// buffer per connection and writes it out: no allocation per transmission.
    #[must_use = "the bytes appended to `buf` must be written to the transport"]
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> usize {
        if self.outbox.is_empty() {
            return 0;
        }
        let start = buf.len();
        let spans = self.outbox.drain_into(buf);
        let bytes = &buf[start..];
        match &mut self.transcript {
            Some(transcript) => transcript.sent(&self.secrets.masked(bytes, spans)),
            None => self.secrets.remember_spans(bytes, spans),
        }
        self.outbox.clear();
        bytes.len()
    }

    /// The transport ended (`reason` is its error, `None` for a clean end of stream): every
    /// unfinished observer and queued command fails with [`Error::ConnectionClosed`].
    pub fn handle_close(&mut self, reason: Option<std::io::Error>) {
        if self.closed {
            return;
        }
        self.closed = true;
        if let Some(transcript) = &mut self.transcript {
            // What is held back starts like a secret: released masked (see `HeldBack::release`).
            let (raw, text) = (self.raw_held.release(), self.text_held.release());
            if !raw.is_empty() || !text.is_empty() {
                transcript.received(raw.as_bytes(), text);
            }
            transcript.closed(reason.as_ref());
        }
        let error =
            Error::ConnectionClosed { connection: self.name.clone(), reason: reason.map(Arc::new) };
        let late = self.mailbox.shut();
        let late = late.into_iter().filter_map(|r| match r {
            Request::Start(o) => Some(o),
            _ => None,
        });
        let observers = self.slots.drain(..).map(|s| s.observer);
        for mut observer in observers.chain(self.queue.drain(..)).chain(late) {
            let error = error.clone();
            if catch_unwind(AssertUnwindSafe(|| observer.close(error.clone()))).is_err() {
                observer.fail(error);
            }
        }
        self.command_active = false;
    }

    /// Closes the connection from the core's side (see [`Connection::handle_close`]).
    pub fn close(&mut self) {
        self.handle_close(None);
    }

    fn admit(&mut self, mut observer: Box<dyn Erased>, now: Instant) {
        if self.closed {
            observer.close(self.mailbox.closed_error());
            return;
        }
        if observer.kind() == Kind::Command && self.command_active {
            self.queue.push_back(observer);
            return;
        }
        self.begin(observer, now);
    }

    fn begin(&mut self, observer: Box<dyn Erased>, now: Instant) {
        let kind = observer.kind();
        let mut timeout = observer.timeout();
        if let Some(at) = self.pending_timeouts.iter().position(|(i, _)| *i == observer.id()) {
            timeout = self.pending_timeouts.swap_remove(at).1;
        }
        let literals = observer.literals();
        self.search_stale |= literals.is_some();
        let mut slot = Slot {
            observer,
            kind,
            started: now,
            timeout,
            linger_until: None,
            wake: None,
            finished: false,
            literals,
            member: None,
        };
        let io = io!(self);
        let flow = call(&mut slot, io, now, |o, cx| o.start(cx));
        let finished = settle(&mut slot, flow, now);
        if kind == Kind::Command {
            self.command_active = true;
        }
        self.slots.push(slot);
        if self.close_if_asked() {
            return;
        }
        if finished {
            self.sweep(now);
        }
    }

    /// A new or longer timeout for a running observer, or one a queued command will start with.
    fn change_timeout(&mut self, id: ObserverId, change: TimeoutChange) {
        let apply = |timeout: Option<Duration>| match change {
            TimeoutChange::Set(t) => Some(t),
            TimeoutChange::Extend(more) => timeout.map(|t| t.saturating_add(more)),
        };
        if let Some(slot) = self.slots.iter_mut().find(|s| s.observer.id() == id) {
            if slot.linger_until.is_none() && !slot.finished {
                slot.timeout = apply(slot.timeout);
            }
        } else if self.queue.iter().any(|o| o.id() == id) {
            let pending = self.pending_timeouts.iter_mut().find(|(i, _)| *i == id);
            match pending {
                Some((_, t)) => *t = apply(*t),
                None => {
                    let own = self.queue.iter().find(|o| o.id() == id).and_then(|o| o.timeout());
                    self.pending_timeouts.push((id, apply(own)));
                }
            }
        }
    }

    fn act_on(&mut self, id: ObserverId, now: Instant, expire_after: Option<Duration>) {
        if let Some(pos) = self.queue.iter().position(|o| o.id() == id) {
            // Never started: it fails without touching the device.
            let mut observer = self.queue.remove(pos).expect("position is in range");
            self.pending_timeouts.retain(|(i, _)| *i != id);
            observer.fail(match expire_after {
                Some(waited) => Error::Timeout {
                    observer: observer.describe(),
                    timeout: waited,
                    elapsed: waited,
                    // Not its output, but what held up the command before it.
                    last_received: Some(self.tail.quote()),
                    hint: None,
                },
                None => Error::Cancelled { observer: observer.describe() },
            });
            return;
        }
        let Some(slot) = self.slots.iter_mut().find(|s| s.observer.id() == id) else { return };
        if slot.linger_until.is_some() {
            // Its result is out, and this request crossed it (a caller's wait reached the
            // deadline as the timer here did). The linger goes on to its prompt, wake-up and
            // all: ended here, the next command would go out right behind the Ctrl-C.
            return;
        }
        // A cancel or an expiry drops the wake-up (see `Context::wake_in`).
        slot.wake = None;
        if let Some(since_call) = expire_after.and_then(|waited| now.checked_sub(waited)) {
            // The caller's timeout counts from its call, which came before the observer started
            // here (a queue, the start's own work): the timeout says how long it ran from
            // there, not a little less than its timeout.
            slot.started = slot.started.min(since_call);
        }
        let io = io!(self);
        let flow = call(slot, io, now, |o, cx| match expire_after {
            Some(waited) => {
                cx.set_timeout(Some(waited));
                o.expire(cx)
            }
            None => o.cancel(cx),
        });
        let finished = settle(slot, flow, now);
        if self.close_if_asked() {
            return;
        }
        if finished {
            self.sweep(now);
        }
    }

    /// Makes the shared search again for the observers that offer literals now.
    fn renew_search(&mut self) {
        self.search_stale = false;
        let members: Vec<&Literals> =
            self.slots.iter().filter_map(|s| s.literals.as_ref()).collect();
        let on = self.search.renew(&members);
        let mut next = 0;
        for slot in &mut self.slots {
            slot.member = None;
            if on && slot.literals.is_some() {
                slot.member = Some(next);
                next += 1;
            }
        }
    }

    /// Removes finished observers and starts the next command when the running one is gone.
    fn sweep(&mut self, now: Instant) {
        let mut command_gone = false;
        let mut literals_gone = false;
        self.slots.retain(|s| {
            command_gone |= s.finished && s.kind == Kind::Command;
            literals_gone |= s.finished && s.literals.is_some();
            !s.finished
        });
        self.search_stale |= literals_gone;
        if command_gone {
            self.command_active = false;
        }
        if !self.command_active {
            if let Some(next) = self.queue.pop_front() {
                // `begin` sweeps again if this command finishes at once, so the queue moves on.
                self.begin(next, now);
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Nobody may wait for ever on an observer of a dropped connection.
        self.handle_close(None);
    }
}

/// Records the flow of a call in the slot; true when the observer is finished.
fn settle(slot: &mut Slot, flow: Flow, now: Instant) -> bool {
    match flow {
        Flow::Running => {}
        Flow::Linger(period) => slot.linger_until = Some(now + period),
        Flow::Finished => slot.finished = true,
    }
    slot.finished
}

fn slot_timeout_error(slot: &Slot, tail: &Tail, now: Instant) -> Error {
    let elapsed = now.saturating_duration_since(slot.started);
    Error::Timeout {
        observer: slot.observer.describe(),
        timeout: slot.timeout.unwrap_or(elapsed),
        elapsed,
        last_received: Some(tail.quote()),
        hint: None,
    }
}

/// [`Io::new`] with the connection's parts, each borrowed alone (its slots may be borrowed).
macro_rules! io {
    ($conn:ident) => {
        Io::new(
            &mut $conn.outbox,
            &$conn.newline,
            &$conn.tail,
            &$conn.mailbox,
            &mut $conn.prompt_unconfirmed,
            &mut $conn.closing,
        )
    };
}
use io;

/// The parts of the connection a [`Context`] lends to an observer.
struct Io<'a> {
    outbox: &'a mut Outbox,
    newline: &'a str,
    tail: &'a Tail,
    timeout_action: TimeoutAction,
    literals_seen: bool,
    prompt_unconfirmed: &'a mut bool,
    closing: &'a mut Option<std::io::Error>,
}

impl<'a> Io<'a> {
    /// The connection's parts, for a call that is not a chunk's (the literals count as seen).
    fn new(
        outbox: &'a mut Outbox,
        newline: &'a str,
        tail: &'a Tail,
        mailbox: &Mailbox,
        prompt_unconfirmed: &'a mut bool,
        closing: &'a mut Option<std::io::Error>,
    ) -> Self {
        let timeout_action = mailbox.timeout_action();
        Self {
            outbox,
            newline,
            tail,
            timeout_action,
            literals_seen: true,
            prompt_unconfirmed,
            closing,
        }
    }
}

/// Calls the observer with a fresh context, turning a panic into that observer's failure.
fn call(
    slot: &mut Slot,
    io: Io<'_>,
    now: Instant,
    f: impl FnOnce(&mut dyn Erased, &mut Context<'_>) -> Flow,
) -> Flow {
    let paused = slot.observer.paused();
    let Io { outbox, newline, tail, timeout_action, literals_seen, prompt_unconfirmed, closing } =
        io;
    let mut cx = Context {
        now,
        started: slot.started,
        timeout: &mut slot.timeout,
        wake: &mut slot.wake,
        outbox,
        newline,
        paused,
        tail,
        timeout_action,
        literals_seen,
        prompt_unconfirmed,
        closing,
    };
    let observer = &mut *slot.observer;
    match catch_unwind(AssertUnwindSafe(|| f(observer, &mut cx))) {
        Ok(flow) => flow,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".into());
            slot.observer
                .fail(Error::ObserverPanicked { observer: slot.observer.describe(), message });
            Flow::Finished
        }
    }
}
