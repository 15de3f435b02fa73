//! Every way of awaiting at once, on one connection, on every runtime: a seeded random mix of
//! commands awaited plainly, raced against timers (the loser kept and awaited later), polled
//! once and then dropped (the command still runs: the next one waits for it), polled once and
//! kept; an event collecting unsolicited lines that come 0–4 ms after their command, counted by
//! a task of its own; and two threads running commands by the blocking `run` meanwhile. On
//! smol's global executor, on an executor of the test's own run by two threads, on tokio
//! current-thread and multi-thread runtimes, and awaiting a thread runner's connection; each
//! over a real TCP socket, in memory (a poll-based stream) and over telnet.
//!
//! What it looks for: a wake-up lost between the tasks and threads that take turns driving the
//! connection (the relay in src/assist.rs, the missed turns of src/driver.rs). An answer then
//! waits until something else drives the connection (another command, a deadline): any answer
//! later than `STALLED` fails the test, so does a late line the event never gets, and a
//! watchdog fails it if a whole round hangs. Without the missed-turn fix of src/driver.rs it
//! failed in every run of four (answers 18–20 s late, over TCP). Each failure names the
//! runtime, the link and the seed; a seed reproduces its mix (not the threads' interleaving):
//! `MOLER_STRESS_SEED=N cargo test -p moler-runners --all-features --test stress`.
#![cfg(all(feature = "tokio", feature = "smol"))]

mod support;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};

use smol::channel::Receiver;
use std::time::{Duration, Instant};

use moler_core::{Command, Completion, Occurrence, Occurrences, Wait4};
use moler_io::tcp::{self, TcpOptions};
use moler_runners::{ConnectionHandle, Runner, SmolRunner, ThreadRunner, TokioRunner};
use support::{answer_pieces, device, telnet_device, PROMPT, WAIT};

/// Commands each awaiting task runs, per round.
const COMMANDS: usize = 300;
/// Commands each blocking thread runs meanwhile.
const BLOCKING: usize = 100;
/// Longer than any answer here may take, even on a busy machine: an answer that took this long
/// waited for a wake-up that was lost, until something else (another task's command, a
/// command's deadline) happened to drive the connection.
const STALLED: Duration = Duration::from_secs(5);
/// How long a whole round may take before the watchdog calls it a hang (a round takes about a
/// second; a busy machine, many).
const ROUND: Duration = Duration::from_secs(120);

/// What each task and thread of the rounds under way is doing (its connection's name and its
/// role, then its step), for the watchdog to say who hung where.
static PROGRESS: Mutex<std::collections::BTreeMap<String, (Instant, String)>> =
    Mutex::new(std::collections::BTreeMap::new());

/// Notes that `who` now does `what`.
fn progress(who: &str, what: String) {
    let mut p = PROGRESS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    p.insert(who.to_owned(), (Instant::now(), what));
}

/// Everything [`progress`] holds, a line each.
fn progress_report() -> String {
    let p = PROGRESS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = Instant::now();
    p.iter().map(|(who, (at, what))| format!("\n  {who}: {what} (for {:?})", now - *at)).collect()
}

/// xorshift64*: the mix of a round, from its seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) % n
    }
}

/// A timer of the runtime the round runs on.
type Sleep = fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;

fn smol_sleep(d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        smol::Timer::after(d).await;
    })
}

fn tokio_sleep(d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(tokio::time::sleep(d))
}

/// What one awaiting task does with one command.
#[derive(Debug, Clone, Copy)]
enum Way {
    /// `.await`.
    Plain,
    /// Raced against a timer of 0–2 ms; if the timer wins, the command's future is kept,
    /// something else awaited, and the command awaited after.
    Raced,
    /// Polled once, then dropped: the command runs on, nobody awaits it.
    Dropped,
    /// Polled once, kept unpolled for 0–2 ms, then awaited.
    Kept,
}

/// Unique command numbers across the round's tasks and its thread.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// One awaiting task: `COMMANDS` commands, each awaited one of the four ways, some of them
/// `late` (an unsolicited line 0–4 ms after the answer: the event's). Returns how many `late`
/// commands it sent.
async fn awaiting(
    conn: ConnectionHandle,
    seed: u64,
    sleep: Sleep,
    role: &str,
) -> Result<Vec<u64>, String> {
    let who = format!("{} {role}", conn.name());
    let mut rng = Rng::new(seed);
    let mut late = Vec::new();
    for step in 0..COMMANDS {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let line = match rng.below(8) {
            0 => {
                late.push(n);
                format!("late {n} {}", rng.below(5))
            }
            1 => format!("slow {n}"),
            _ => format!("cmd {n}"),
        };
        let way = match rng.below(10) {
            0..=4 => Way::Plain,
            5 | 6 => Way::Raced,
            7 => Way::Dropped,
            _ => Way::Kept,
        };
        let pause = Duration::from_micros(rng.below(2000));
        let started = Instant::now();
        progress(&who, format!("step {step}, {line:?} ({way:?}, pause {pause:?})"));
        let cmd = conn.start(Command::lines(line.clone(), PROMPT).timeout(WAIT));
        let what = |e: &dyn std::fmt::Display| format!("step {step}, {line:?} ({way:?}): {e}");
        let out = match way {
            Way::Plain => cmd.await,
            Way::Raced => {
                let mut cmd = pin!(cmd);
                let first = smol::future::or(async { Some((&mut cmd).await) }, async {
                    sleep(pause).await;
                    None
                })
                .await;
                match first {
                    Some(out) => out,
                    None => {
                        sleep(pause).await;
                        cmd.await
                    }
                }
            }
            Way::Dropped => {
                let mut cmd = pin!(cmd);
                match smol::future::poll_once(&mut cmd).await {
                    Some(out) => out,
                    None => continue,
                }
            }
            Way::Kept => {
                let mut cmd = pin!(cmd);
                match smol::future::poll_once(&mut cmd).await {
                    Some(out) => out,
                    None => {
                        sleep(pause).await;
                        cmd.await
                    }
                }
            }
        };
        let out = out.map_err(|e| what(&e))?;
        if out != [format!("ok {n}")] {
            return Err(what(&format!("answered {out:?}")));
        }
        if started.elapsed() > STALLED {
            return Err(what(&format!("answered after {:?} (a lost wake-up)", started.elapsed())));
        }
    }
    progress(&who, "done".into());
    Ok(late)
}

/// A thread running `BLOCKING` commands by the blocking `run` on `conn`.
fn blocking(conn: ConnectionHandle, role: &str) -> std::thread::JoinHandle<Result<(), String>> {
    let who = format!("{} {role}", conn.name());
    std::thread::spawn(move || {
        for step in 0..BLOCKING {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            progress(&who, format!("step {step}, \"cmd {n}\""));
            let started = Instant::now();
            let out = conn
                .run(Command::lines(format!("cmd {n}"), PROMPT), WAIT)
                .map_err(|e| format!("blocking step {step}: {e}"))?;
            if out != [format!("ok {n}")] {
                return Err(format!("blocking step {step}: answered {out:?}"));
            }
            if started.elapsed() > STALLED {
                let took = started.elapsed();
                return Err(format!(
                    "blocking step {step}: answered after {took:?} (a lost wake-up)"
                ));
            }
        }
        progress(&who, "done".into());
        Ok(())
    })
}

/// The round's event: every `late N` line, counted by a task of its own that nobody awaits
/// the lines for (the connection's own task handles them); it is told how many to expect once
/// the awaiting tasks are done.
async fn lates(
    conn: ConnectionHandle,
    (event, occurrences): (Completion<Vec<Occurrence>>, Occurrences),
    expected: Receiver<Vec<u64>>,
    sleep: Sleep,
) -> Result<Vec<u64>, String> {
    let who = format!("{} event", conn.name());
    progress(&who, "waiting for the list of late lines".into());
    let mut want = expected.recv().await.map_err(|_| "no list of late lines came".to_owned())?;
    want.sort_unstable();
    progress(&who, format!("collecting {} late lines", want.len()));
    let number = |o: Occurrence| -> u64 { o.groups[0].as_deref().unwrap_or("").parse().unwrap() };
    let mut seen = Vec::new();
    while seen.len() < want.len() {
        let next = smol::future::or(async { Some(occurrences.next().await) }, async {
            sleep(WAIT).await;
            None
        });
        match next.await {
            Some(Some(o)) => seen.push(number(o)),
            Some(None) => {
                return Err(format!("the event ended after {} of {} lines", seen.len(), want.len()))
            }
            None => {
                seen.sort_unstable();
                let missing: Vec<u64> =
                    want.iter().filter(|n| seen.binary_search(n).is_err()).copied().collect();
                // Whether the line waited unread: a command drives the connection now.
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                let probe =
                    conn.start(Command::lines(format!("cmd {n}"), PROMPT).timeout(WAIT)).await;
                let after: Vec<u64> = occurrences.try_iter().map(number).collect();
                return Err(format!(
                    "{} of {} late lines after {WAIT:?}, missing {missing:?} (the last sent: \
                     {:?}); a command run then ({probe:?}) brought {after:?}",
                    seen.len(),
                    want.len(),
                    want.last()
                ));
            }
        }
    }
    event.cancel();
    progress(&who, "done".into());
    Ok(seen)
}

/// A task's result, as a future.
type Task = Pin<Box<dyn Future<Output = Result<Vec<u64>, String>> + Send>>;

/// One round on `conn`: two awaiting tasks, the event's task and two blocking threads, all at
/// once, through `spawn` (the runtime's) and `block` (waits for a future on this thread).
fn round(
    conn: &ConnectionHandle,
    seed: u64,
    sleep: Sleep,
    spawn: impl Fn(Task) -> Task,
    block: impl FnOnce(Task) -> Result<Vec<u64>, String>,
) -> Result<(), String> {
    let (tell, told) = smol::channel::bounded(1);
    // Started before any command: a late line that came before would be missed.
    let mut wait = Wait4::new([r"^late (\d+)$"]).unwrap().timeout(WAIT * 3);
    let occurrences = wait.occurrences();
    let started = (conn.start(wait), occurrences);
    let event = spawn(Box::pin(lates(conn.clone(), started, told, sleep)));
    // Two: on the thread runner, blocking waits take turns driving the connection.
    let threads = [blocking(conn.clone(), "blocking 1"), blocking(conn.clone(), "blocking 2")];
    let first = spawn(Box::pin(awaiting(conn.clone(), seed, sleep, "task 1")));
    let second = awaiting(conn.clone(), seed ^ 0xA5A5, sleep, "task 2");
    let tasks = async move {
        let (a, b) = smol::future::zip(first, second).await;
        let mut late = a?;
        late.extend(b?);
        tell.send(late).await.map_err(|e| e.to_string())?;
        event.await
    };
    block(Box::pin(async move {
        let outcome = tasks.await;
        // Joined in here: the threads' commands need the runtime to run (a current-thread
        // runtime runs only inside `block_on`).
        let ended = smol::unblock(move || threads.map(std::thread::JoinHandle::join)).await;
        let mut outcome = outcome.map(|_| Vec::new());
        for thread in ended {
            let thread = thread.map_err(|_| "a blocking thread panicked".to_owned());
            outcome = outcome.and(thread.and_then(|ended| ended.map(|()| Vec::new())));
        }
        outcome
    }))
    .map(|_| ())
}

/// Where a round's device is.
#[derive(Debug, Clone, Copy)]
enum Link {
    /// `support::device` over a real TCP socket (the runners' descriptor path).
    Tcp,
    /// The same device in memory, behind a poll-based stream (the path of the memory
    /// transport and of `moler-sim`'s in-memory devices): [`Scripted`].
    Memory,
    /// The device as a telnet server, through moler's native telnet (a stream that decodes
    /// what it reads, and says when the socket was found empty: `FdIo::drained`).
    Telnet,
}

fn connect(runner: Runner, link: Link, name: &str) -> ConnectionHandle {
    let transport = match link {
        Link::Tcp => tcp::connect("127.0.0.1", device(), &TcpOptions::default()).unwrap(),
        Link::Memory => scripted(),
        Link::Telnet => {
            let options = moler_io::telnet::TelnetOptions::default();
            moler_io::telnet::connect("127.0.0.1", telnet_device(), &options).unwrap()
        }
    };
    runner.spawn(name, transport).unwrap()
}

/// What the scripted device has for the connection, and who waits for it.
#[derive(Default)]
struct Pending {
    incoming: VecDeque<u8>,
    reader: Option<Waker>,
    closed: bool,
}

/// `support::device`'s answers ([`answer_pieces`]) from a poll-based stream: an answer in one
/// piece is readable at once, one in several pieces (later, or an odd `cmd N`: a wake-up per
/// piece, as from a pty or a serial line) is made readable by a thread that wakes the reader,
/// as data from a device comes.
struct Scripted {
    pending: Arc<Mutex<Pending>>,
    written: Vec<u8>,
    later: mpsc::Sender<(Instant, Vec<u8>)>,
}

/// Makes `data` readable and wakes whoever waits for it.
fn arrive(pending: &Mutex<Pending>, data: &[u8]) {
    let reader = {
        let mut p = pending.lock().unwrap();
        p.incoming.extend(data);
        p.reader.take()
    };
    if let Some(reader) = reader {
        reader.wake();
    }
}

fn scripted() -> moler_io::Transport {
    let pending = Arc::new(Mutex::new(Pending::default()));
    let (later, due) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn({
        let pending = Arc::clone(&pending);
        move || {
            // In order, as the device's one thread would answer.
            for (at, data) in due {
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
                arrive(&pending, &data);
            }
            let reader = {
                let mut p = pending.lock().unwrap();
                p.closed = true;
                p.reader.take()
            };
            reader.into_iter().for_each(Waker::wake);
        }
    });
    let stream = Scripted { pending, written: Vec::new(), later };
    moler_io::Transport {
        name: "memory:scripted".into(),
        stream: moler_io::Stream::Poll(Box::new(stream)),
        closer: Arc::new(NoClose),
        greeting: None,
        control: None,
    }
}

struct NoClose;

impl moler_io::Close for NoClose {
    fn close(&self) {}
}

impl moler_io::PollIo for Scripted {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<std::io::Result<usize>> {
        let mut p = self.pending.lock().unwrap();
        if p.incoming.is_empty() && !p.closed {
            p.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = buf.len().min(p.incoming.len());
        for (slot, byte) in buf.iter_mut().zip(p.incoming.drain(..n)) {
            *slot = byte;
        }
        Poll::Ready(Ok(n))
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.written.extend_from_slice(buf);
        while let Some(end) = self.written.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.written.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line).trim_end().to_owned();
            match &answer_pieces(&line)[..] {
                [(Duration::ZERO, whole)] => arrive(&self.pending, whole),
                // From the thread, in order, after what it still has to send (a late line).
                pieces => {
                    let mut at = Instant::now();
                    for (delay, piece) in pieces {
                        at += *delay;
                        let _ = self.later.send((at, piece.clone()));
                    }
                }
            }
        }
        Poll::Ready(Ok(buf.len()))
    }
}

/// The seeds of a run: `MOLER_STRESS_SEED` alone, or three fresh ones.
fn seeds() -> Vec<u64> {
    if let Some(seed) = std::env::var("MOLER_STRESS_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![seed];
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    (0..3).map(|i| now.as_nanos() as u64 ^ (i * 0x1234_5678_9ABC)).collect()
}

/// Runs a round for each seed and link, each on a thread of its own, failing if one hangs.
fn watched(
    name: &str,
    round: impl FnOnce(u64, Link) -> Result<(), String> + Send + Clone + 'static,
) {
    for link in [Link::Tcp, Link::Memory, Link::Telnet] {
        for seed in seeds() {
            let (done, finished) = mpsc::channel();
            let started = Instant::now();
            let round = round.clone();
            std::thread::spawn(move || {
                let _ = done.send(round(seed, link));
            });
            match finished.recv_timeout(ROUND) {
                Ok(Ok(())) => eprintln!("{name}, {link:?}, seed {seed}: {:?}", started.elapsed()),
                Ok(Err(e)) => panic!("{name}, {link:?}, seed {seed}: {e}"),
                Err(_) => panic!(
                    "{name}, {link:?}, seed {seed}: no end after {ROUND:?} (a hang); where each \
                     task and thread of the rounds under way was:{}",
                    progress_report()
                ),
            }
        }
    }
}

#[test]
fn smol_global_executor() {
    watched("smol, global executor", |seed, link| {
        let conn = connect(Runner::Smol(SmolRunner::new()), link, "stress-smol");
        round(&conn, seed, smol_sleep, |f| Box::pin(smol::spawn(f)) as Task, smol::block_on)
    });
}

#[test]
fn smol_own_executor_run_by_two_threads() {
    watched("smol, an executor of its own", |seed, link| {
        let ex = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let beside = std::thread::spawn({
            let ex = Arc::clone(&ex);
            move || smol::block_on(ex.run(async { stopped.recv().await.ok() }))
        });
        let conn =
            connect(Runner::Smol(SmolRunner::with_executor(Arc::clone(&ex))), link, "stress-own");
        let spawn = {
            let ex = Arc::clone(&ex);
            move |f| Box::pin(ex.spawn(f)) as Task
        };
        let result = round(&conn, seed, smol_sleep, spawn, |f| smol::block_on(ex.run(f)));
        let _ = stop.send_blocking(());
        beside.join().unwrap();
        result
    });
}

/// A spawned tokio task as a future of its result.
fn tokio_task(handle: &tokio::runtime::Handle, f: Task) -> Task {
    let task = handle.spawn(f);
    Box::pin(async move { task.await.map_err(|e| e.to_string())? })
}

/// A round on a connection of the tokio runner on `rt`, awaited in `rt.block_on`.
fn tokio_round(
    rt: &tokio::runtime::Runtime,
    name: &str,
    seed: u64,
    link: Link,
) -> Result<(), String> {
    let runner = Runner::Tokio(TokioRunner::with_handle(rt.handle().clone()));
    let conn = connect(runner, link, name);
    let handle = rt.handle().clone();
    round(&conn, seed, tokio_sleep, move |f| tokio_task(&handle, f), |f| rt.block_on(f))
}

#[test]
fn tokio_current_thread() {
    watched("tokio, current-thread", |seed, link| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        tokio_round(&rt, "stress-tokio-current-thread", seed, link)
    });
}

#[test]
fn tokio_multi_thread() {
    watched("tokio, multi-thread", |seed, link| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        tokio_round(&rt, "stress-tokio-multi-thread", seed, link)
    });
}

#[test]
fn a_thread_runners_connection_awaited() {
    watched("thread runner, awaited on smol", |seed, link| {
        let conn = connect(Runner::Thread(ThreadRunner::new()), link, "stress-thread");
        round(&conn, seed, smol_sleep, |f| Box::pin(smol::spawn(f)) as Task, smol::block_on)
    });
}
