//! The end of a transport's child (a process transport's program; the OpenSSH client or the
//! `telnet` program in a pty): asked to end (SIGTERM; a hang-up for a program in a pty), given
//! its grace to clean up, then killed (SIGKILL) and reaped, without the connection's runner
//! waiting for it; and the same for every child still running when the program ends.
//!
//! **Closing.** The transport's drop runs on the runner's thread (an executor's worker, smol's
//! one global thread): it must not wait there. A child still running when its transport is
//! dropped is handed to a thread of its own (`moler-reap`) that waits for it on its pidfd, at
//! most its grace after the drop, kills it if it is still there and reaps it.
//!
//! **The program's end.** A test script that ends (returns from `main`, or calls
//! `std::process::exit`) right after a close, or with its connections still open, does not wait
//! for its connections' threads or tasks, and a child that does not read its input (`tcpdump`,
//! a `ping`, a loop) would be left running for ever. An exit hook (`atexit`) asks every child
//! still tracked to end, waits for them (together, not one after the other) at most its grace
//! for each, and kills the rest. Not reaped then: the program ends and init reaps them. A
//! program killed by a signal, or one that aborts, runs no hook, unless it opted in with
//! [`end_children_on_signals`]: SIGINT, SIGTERM and SIGHUP then run the same end on a thread
//! of their own (`moler-signals`, woken through a pipe by the handler) before the signal ends
//! the program; a second one while it runs ends the program at once. A program that dies with
//! no code of its own run (SIGKILL, an abort, a crash, a second signal) still leaves no process
//! transport's child: each has SIGKILL as its parent-death signal ([`spawn_child`]), sent by
//! the kernel as the program dies, with no grace.
//!
//! **A local shell's session.** The terminal transport's drop hands its end (the hung-up
//! shell's wait, the sweep of what is left of its session) to [`in_background`] for the same
//! reason. Its shell is tracked too ([`track_session`]): at the program's end the hook hangs it
//! up (SIGHUP, which bash passes on to its jobs), waits for it at most its grace and then sweeps
//! its session, so a job that ignores the hang-up (`nohup`, `trap '' HUP`) does not outlive the
//! program (the kernel's own hang-up, as the program's end closes the terminal, does not reach
//! such a job). The sweep runs once, in the hook or in the drop's thread, whichever comes first,
//! and always before the shell is reaped: the shell's pid is the session's id.
//!
//! Children are tracked by pidfd, never by pid: a signal through a pidfd reaches the child it
//! was opened for or nobody (`ESRCH` once it is reaped), never another process that got its pid.
//! Without pidfds (Linux before 5.3), nothing is tracked: a child still running when its
//! transport is dropped is killed at once and reaped in the drop, and nothing ends a child at
//! the program's end.

use std::collections::HashMap;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, Once, PoisonError};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::pipe::PipeFlags;
use rustix::process::{getpid, pidfd_open, pidfd_send_signal, Pid, PidfdFlags, Signal};

/// The children being tracked, by an id of their own (a pid may be reused).
type Registry = HashMap<u64, Entry>;

/// A tracked child as the exit hook ends it.
#[derive(Clone)]
struct Entry {
    pidfd: Arc<OwnedFd>,
    /// Its time between `ask` and SIGKILL (or the sweep).
    grace: Duration,
    /// How it is asked to end: SIGTERM; SIGHUP for a shell.
    ask: Signal,
    /// A shell's: the sweep of its session once its grace is over (it replaces the SIGKILL).
    sweep: Option<Arc<Sweep>>,
}

/// The sweep of a shell's session, run once: by the exit hook or by the terminal's drop,
/// whichever comes first (the other waits for it, then finds it done).
pub(crate) struct Sweep {
    done: Mutex<bool>,
    run: Box<dyn Fn() + Send + Sync>,
}

impl Sweep {
    fn run_once(&self) {
        let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        if !*done {
            (self.run)();
            *done = true;
        }
    }
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static HOOK: Once = Once::new();
/// The process that tracks them: a `fork`ed copy that exits runs the hook too, and must leave
/// them alone (and not take the registry's lock, which another thread may have held as it
/// forked).
static OWNER: AtomicI32 = AtomicI32::new(0);

/// A child being tracked: its registry entry, listed for the exit hook until this is dropped.
pub(crate) struct Tracked {
    id: u64,
    entry: Entry,
}

/// Tracks the child `pid` (a child of this process, not yet reaped), which gets `grace` between
/// SIGTERM and SIGKILL; `None` without pidfds.
pub(crate) fn track(pid: Pid, grace: Duration) -> Option<Tracked> {
    register(pid, grace, Signal::TERM, None)
}

/// Tracks the shell `pid` (a child of this process, not yet reaped, leading a session): at the
/// program's end it is hung up and, `grace` later or once it has exited, `sweep` (which ends
/// what is left of its session) runs, unless [`Tracked::sweep`] ran it already. `None` without
/// pidfds.
pub(crate) fn track_session(
    pid: Pid,
    grace: Duration,
    sweep: impl Fn() + Send + Sync + 'static,
) -> Option<Tracked> {
    let sweep = Sweep { done: Mutex::new(false), run: Box::new(sweep) };
    register(pid, grace, Signal::HUP, Some(Arc::new(sweep)))
}

fn register(pid: Pid, grace: Duration, ask: Signal, sweep: Option<Arc<Sweep>>) -> Option<Tracked> {
    let pidfd = Arc::new(pidfd_open(pid, PidfdFlags::empty()).ok()?);
    let entry = Entry { pidfd, grace, ask, sweep };
    HOOK.call_once(|| {
        OWNER.store(getpid().as_raw_nonzero().get(), Ordering::Relaxed);
        install_exit_hook();
    });
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    registry.get_or_insert_with(HashMap::new).insert(id, entry.clone());
    Some(Tracked { id, entry })
}

impl Tracked {
    /// Sends `signal` to the child (nothing once it is reaped).
    pub(crate) fn signal(&self, signal: Signal) {
        let _ = pidfd_send_signal(&*self.entry.pidfd, signal);
    }

    /// Waits until the child exits, at most until `deadline`; true if it did.
    fn wait_exit(&self, deadline: Instant) -> bool {
        wait_all(&[&self.entry.pidfd], deadline)[0]
    }

    /// A shell's: sweeps its session, unless the exit hook did (or does meanwhile: this waits
    /// for it). Call it before reaping the shell.
    pub(crate) fn sweep(&self) {
        if let Some(sweep) = &self.entry.sweep {
            sweep.run_once();
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(registry) = registry.as_mut() {
            registry.remove(&self.id);
        }
    }
}

/// Ends a child asked to end already (its SIGTERM or SIGHUP sent) without waiting here: a thread
/// of its own waits for it at most its grace from now, kills it (SIGKILL) if it is still
/// running, and then `reap`s it (a `wait`). It stays tracked until reaped: should the program
/// end meanwhile, the exit hook ends it.
pub(crate) fn end_in_background(tracked: Tracked, reap: impl FnOnce() + Send + 'static) {
    let deadline = Instant::now() + tracked.entry.grace;
    in_background(move || {
        if !tracked.wait_exit(deadline) {
            tracked.signal(Signal::KILL);
        }
        reap();
        drop(tracked);
    });
}

/// Runs `finish` (a wait for a child's end) on a thread of its own, or here if no thread can
/// be started.
pub(crate) fn in_background(finish: impl FnOnce() + Send + 'static) {
    fn run<F: FnOnce()>(slot: &Mutex<Option<F>>) {
        if let Some(finish) = slot.lock().unwrap_or_else(PoisonError::into_inner).take() {
            finish();
        }
    }
    // Kept here too until the thread takes it: a thread that cannot start drops its closure.
    let slot = Arc::new(Mutex::new(Some(finish)));
    let theirs = Arc::clone(&slot);
    if std::thread::Builder::new().name("moler-reap".into()).spawn(move || run(&theirs)).is_err() {
        run(&slot);
    }
}

/// Starts `command`'s child so that the kernel kills it (SIGKILL) if this program dies without
/// its exit hook: killed by SIGKILL (a CI job's timeout), aborted, crashed. Nothing of the
/// program runs then, so nothing else could end a child that does not read its input (a
/// `tcpdump`, a loop): it would run for ever.
///
/// The kernel sends a child its parent-death signal when the *thread* that forked it ends, not
/// the process: forked by the calling thread, a child would be killed as soon as that thread
/// ended (a test's thread, a worker that opened the connection for another). So every such
/// child is forked by one thread that lives as long as the program (`moler-spawn`, started at
/// the first spawn, and again in a `fork`ed copy of the program, which has none of its
/// parent's threads); the caller waits for it. The command is dropped there, right after the
/// spawn (it holds copies of the pipes' ends). The signal is not kept across the `exec` of a
/// set-user-ID program (the kernel clears it).
pub(crate) fn spawn_child(mut command: Command) -> io::Result<Child> {
    let parent = getpid();
    // SAFETY: runs in the forked child before `exec`: two raw system calls (`prctl`,
    // `getppid`), async-signal-safe, no allocation, no lock.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(Signal::KILL))?;
            // The program died before the signal was set: nobody would send it.
            if rustix::process::getppid() != Some(parent) {
                return Err(io::Error::other("the program that started it has ended"));
            }
            Ok(())
        });
    }
    let me = getpid().as_raw_nonzero().get();
    let (answer, answered) = mpsc::sync_channel(1);
    let mut job = (command, answer);
    // A queue nobody reads (its thread ended: it could only by a panic, and the kernel then
    // killed the children it had forked) gives the job back: a new thread takes it, once.
    for fresh in [false, true] {
        match spawner(me, fresh)?.send(job) {
            Ok(()) => {
                // The thread ended during the spawn: no answer (the next spawn starts another).
                return answered.recv().unwrap_or_else(|_| {
                    Err(io::Error::other("the moler-spawn thread ended during the spawn"))
                });
            }
            Err(mpsc::SendError(back)) => job = back,
        }
    }
    Err(io::Error::other("the moler-spawn thread ends as soon as it starts"))
}

/// The `moler-spawn` thread's queue in this process (`me`): a new thread's if there is none yet,
/// it belongs to the process this one was `fork`ed from, or `fresh` is asked for.
fn spawner(me: i32, fresh: bool) -> io::Result<mpsc::Sender<Spawn>> {
    let mut spawner = SPAWNER.lock().unwrap_or_else(PoisonError::into_inner);
    match spawner.as_ref() {
        Some((owner, queue)) if *owner == me && !fresh => Ok(queue.clone()),
        _ => {
            let (queue, jobs) = mpsc::channel::<Spawn>();
            std::thread::Builder::new()
                .name("moler-spawn".into())
                .spawn(move || {
                    for (mut command, answer) in jobs {
                        let child = command.spawn();
                        drop(command);
                        let _ = answer.send(child);
                    }
                })
                .map_err(|e| io::Error::new(e.kind(), format!("start moler-spawn: {e}")))?;
            *spawner = Some((me, queue.clone()));
            Ok(queue)
        }
    }
}

/// A command for the `moler-spawn` thread, and where its child goes.
type Spawn = (Command, mpsc::SyncSender<io::Result<Child>>);

/// The `moler-spawn` thread's queue, and the process it belongs to (a `fork`ed copy has a
/// queue nobody reads: it starts its own thread).
static SPAWNER: Mutex<Option<(i32, mpsc::Sender<Spawn>)>> = Mutex::new(None);

/// Waits until the child `pid` (not yet reaped) exits, at most until `deadline`: whether it
/// did; `None` without pidfds.
pub(crate) fn wait_for(pid: Pid, deadline: Instant) -> Option<bool> {
    let pidfd = pidfd_open(pid, PidfdFlags::empty()).ok()?;
    Some(wait_all(&[&pidfd], deadline)[0])
}

/// Which of `pidfds` saw their process exit by `deadline` (woken as each exits).
fn wait_all(pidfds: &[&OwnedFd], deadline: Instant) -> Vec<bool> {
    let mut exited = vec![false; pidfds.len()];
    loop {
        let waiting: Vec<usize> = (0..pidfds.len()).filter(|&i| !exited[i]).collect();
        if waiting.is_empty() {
            return exited;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = Timespec::try_from(left).ok();
        let mut fds: Vec<PollFd<'_>> =
            waiting.iter().map(|&i| PollFd::new(pidfds[i], PollFlags::IN)).collect();
        let ready = poll(&mut fds, timeout.as_ref());
        for (fd, &i) in fds.iter().zip(&waiting) {
            if !fd.revents().is_empty() {
                exited[i] = true;
            }
        }
        match ready {
            Ok(_) | Err(rustix::io::Errno::INTR) if !left.is_zero() => {}
            _ => return exited,
        }
    }
}

fn install_exit_hook() {
    extern "C" fn at_exit() {
        // (Not while a signal's end runs: that one ends the program. A forked copy takes no
        // lock: the thread holding one as it forked is not in the copy.)
        if OWNER.load(Ordering::Relaxed) == getpid().as_raw_nonzero().get() {
            let _ending = SIGNALLED.lock().unwrap_or_else(PoisonError::into_inner);
            end_all_children();
        }
    }
    // SAFETY: `atexit` registers a plain function, with no data, to run when the program
    // calls `exit` (as returning from `main` does); the function only signals and polls.
    #[allow(unsafe_code)]
    unsafe {
        libc::atexit(at_exit);
    }
}

/// The signals [`end_children_on_signals`] ends the children on.
const ENDING_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Held by the `moler-signals` thread from a signal to the program's end.
static SIGNALLED: Mutex<()> = Mutex::new(());

/// The signal whose end has begun (0: none): a second signal ends the program at once.
static ENDING: AtomicI32 = AtomicI32::new(0);

/// See the crate's [`ending_on_signal`](crate::ending_on_signal).
pub(crate) fn ending_on_signal() -> Option<i32> {
    Some(ENDING.load(Ordering::Acquire)).filter(|&signal| signal != 0)
}

/// See the crate's [`end_children_on_signals`](crate::end_children_on_signals).
pub(crate) fn end_children_on_signals() -> std::io::Result<()> {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if *installed {
        return Ok(());
    }
    // The handler only writes the signal's number to a pipe that never blocks it (all a signal
    // handler may do); a thread of its own reads it and does the work.
    let (reader, writer) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK)?;
    rustix::io::ioctl_fionbio(&reader, false)?;
    let writer = std::os::fd::IntoRawFd::into_raw_fd(writer);
    // A signal the program was started with ignored (`nohup`'s SIGHUP, SIGINT for a script's
    // background job) stays ignored: whoever started it asked for that.
    for signal in ENDING_SIGNALS.into_iter().filter(|&signal| !ignored(signal)) {
        let action = move || {
            if ENDING.load(Ordering::Relaxed) != 0 {
                // SAFETY: both are async-signal-safe; the signal, blocked while its handler
                // runs, ends the program as soon as the handler returns.
                #[allow(unsafe_code)]
                unsafe {
                    libc::signal(signal, libc::SIG_DFL);
                    libc::raise(signal);
                }
                return;
            }
            let number = [signal as u8];
            // SAFETY: `write` is async-signal-safe; `writer` is the pipe's end, open for ever.
            #[allow(unsafe_code)]
            unsafe {
                libc::write(writer, number.as_ptr().cast(), 1);
            }
        };
        // SAFETY: the action only calls `write`, `signal` and `raise` (async-signal-safe),
        // allocates nothing and takes no lock; the signals are none of those `register` refuses.
        #[allow(unsafe_code)]
        unsafe {
            signal_hook_registry::register(signal, action)?;
        }
    }
    std::thread::Builder::new().name("moler-signals".into()).spawn(move || {
        let mut number = [0u8; 1];
        loop {
            match rustix::io::read(&reader, &mut number) {
                Ok(1) => break,
                Err(rustix::io::Errno::INTR) => {}
                // (The pipe's writing end is never closed: no end of input, no error.)
                _ => return,
            }
        }
        ENDING.store(libc::c_int::from(number[0]), Ordering::Release);
        // Held until the signal ends the program: a thread that ends it meanwhile (`main`
        // returning as its shell hangs up) waits in the exit hook, and the program still ends
        // by the signal, not by that thread's exit status.
        let _ending = SIGNALLED.lock().unwrap_or_else(PoisonError::into_inner);
        end_all_children();
        die_of(libc::c_int::from(number[0]));
    })?;
    *installed = true;
    Ok(())
}

/// Whether `signal` is ignored (`SIG_IGN`) in this process.
fn ignored(signal: libc::c_int) -> bool {
    // SAFETY: a query (no new action): `sigaction` only fills `current`, a zeroed struct.
    #[allow(unsafe_code)]
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
    }
}

/// Ends the program as `signal` would have without a handler (its exit status says so).
fn die_of(signal: libc::c_int) -> ! {
    // SAFETY: `signal` is one of ENDING_SIGNALS; back to its default (termination) and sent to
    // this process, which it ends.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::kill(libc::getpid(), signal);
    }
    // Reached only if every thread blocks it: the exit status a shell gives a program that
    // signal ended.
    std::process::exit(128 + signal)
}

/// The exit hook's work: [`end`] every child still tracked, in the process that tracks them.
fn end_all_children() {
    if OWNER.load(Ordering::Relaxed) != getpid().as_raw_nonzero().get() {
        return;
    }
    let children: Vec<Entry> = {
        let registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
        registry.iter().flat_map(HashMap::values).cloned().collect()
    };
    end(&children);
}

/// Asks each of `children` to end (its `ask`), waits for them all (at most the longest grace;
/// a child whose grace is over is killed while the others are waited for), sends SIGKILL to
/// those still running after theirs, and then sweeps the shells' sessions (a shell still running
/// is one of its session's processes).
fn end(children: &[Entry]) {
    let start = Instant::now();
    for child in children {
        let _ = pidfd_send_signal(&*child.pidfd, child.ask);
    }
    // Shortest grace first: each wait, for all the children still running, ends when the first
    // one's grace does (or when they all exited), and that one is killed if it is still there.
    let mut running: Vec<&Entry> = children.iter().collect();
    running.sort_by_key(|child| child.grace);
    while let Some(&first) = running.first() {
        let fds: Vec<&OwnedFd> = running.iter().map(|child| &*child.pidfd).collect();
        let exited = wait_all(&fds, start + first.grace);
        if !exited[0] && first.sweep.is_none() {
            let _ = pidfd_send_signal(&*first.pidfd, Signal::KILL);
        }
        running =
            running.iter().zip(exited).skip(1).filter(|(_, gone)| !gone).map(|(c, _)| *c).collect();
    }
    children.iter().filter_map(|child| child.sweep.as_deref()).for_each(Sweep::run_once);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{eventually, wait_until};
    use std::process::{Child, Command};

    fn sh(script: &str) -> (Child, Arc<OwnedFd>) {
        let child = Command::new("sh").args(["-c", script]).spawn().unwrap();
        let pid = Pid::from_raw(child.id() as i32).unwrap();
        (child, Arc::new(pidfd_open(pid, PidfdFlags::empty()).unwrap()))
    }

    /// A child started by a thread that then ends lives on: the kernel sends the parent-death
    /// signal when the thread that forked the child ends, so `spawn_child` forks on a thread
    /// that lasts as long as the program. (Forked by the calling thread, the child was killed
    /// as that thread ended.)
    #[test]
    fn a_child_outlives_the_thread_that_started_it() {
        let mut child = std::thread::spawn(|| {
            let mut command = Command::new("sleep");
            command.arg("60");
            spawn_child(command).unwrap()
        })
        .join()
        .unwrap();
        let pid = Pid::from_raw(child.id() as i32).unwrap();
        let exited = wait_for(pid, Instant::now() + Duration::from_secs(1));
        let _ = child.kill();
        let status = child.wait().unwrap();
        assert_eq!(
            exited,
            Some(false),
            "the child ended with the thread that started it: {status}"
        );
    }

    /// A `moler-spawn` thread that ended (only a panic could end it; the kernel then killed the
    /// children it had forked) is replaced at the next spawn: the job its queue gives back goes
    /// to a new thread.
    #[test]
    fn a_spawn_thread_that_ended_is_replaced() {
        let (dead, jobs) = mpsc::channel::<Spawn>();
        drop(jobs);
        let me = getpid().as_raw_nonzero().get();
        // The live thread's queue is kept open: were it closed, that thread would end, and the
        // kernel kill the children it forked for tests running alongside.
        std::mem::forget(SPAWNER.lock().unwrap().replace((me, dead)));
        let mut child = spawn_child(Command::new("true")).expect("spawned by a new thread");
        assert!(child.wait().unwrap().success());
        let mut again = spawn_child(Command::new("true")).expect("spawned by the new thread");
        assert!(again.wait().unwrap().success());
    }

    /// Each child gets its own grace, and the wait goes on while others end: a deaf one with a
    /// short grace is killed; a slow clean-up with a longer grace is not cut short, though
    /// another child ended during it; a polite child ends on SIGTERM.
    #[test]
    fn every_child_gets_its_own_grace() {
        let dir = std::env::temp_dir().join(format!("moler-reap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.display();
        let children = [
            ("deaf", "trap '' TERM", Duration::from_millis(100)),
            ("quick", "trap 'sleep 0.1; exit 0' TERM", Duration::from_secs(60)),
            (
                "slow",
                &format!("trap 'sleep 1; echo cleaned > {d}/slow.done; exit 0' TERM"),
                Duration::from_secs(5),
            ),
            ("polite", "", Duration::from_secs(60)),
        ];
        let mut started: Vec<(Child, Entry)> = children
            .iter()
            .map(|(name, trap, grace)| {
                let (child, fd) =
                    sh(&format!("{trap}\ntouch {d}/{name}; while :; do sleep 0.05; done"));
                (child, Entry { pidfd: fd, grace: *grace, ask: Signal::TERM, sweep: None })
            })
            .collect();
        wait_until("the children never got ready", || {
            children.iter().all(|(name, ..)| dir.join(name).exists())
        });
        let begun = Instant::now();
        end(&started.iter().map(|(_, entry)| entry.clone()).collect::<Vec<_>>());
        let took = begun.elapsed();
        let slow_done = std::fs::read_to_string(dir.join("slow.done"));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(slow_done.unwrap_or_default(), "cleaned\n", "the slow clean-up was cut short");
        assert!(took < Duration::from_secs(30), "waited {took:?}: for more than the children took");
        use std::os::unix::process::ExitStatusExt;
        let ends: Vec<_> = started.iter_mut().map(|(child, _)| child.wait().unwrap()).collect();
        assert_eq!(ends[0].signal(), Some(9), "the deaf child is killed");
        assert_eq!((ends[1].code(), ends[2].code()), (Some(0), Some(0)), "their traps end them");
        assert_eq!(ends[3].signal(), Some(15), "the polite child ends on SIGTERM");
    }

    /// A child is tracked (its pidfd held for the exit hook) until its `Tracked` goes.
    #[test]
    fn a_child_is_tracked_until_dropped() {
        let (mut child, _) = sh("exit 0");
        let tracked = track(Pid::from_raw(child.id() as i32).unwrap(), Duration::ZERO).unwrap();
        let id = tracked.id;
        let listed = || REGISTRY.lock().unwrap().as_ref().is_some_and(|r| r.contains_key(&id));
        assert!(listed());
        child.wait().unwrap();
        drop(tracked);
        assert!(!listed(), "its pidfd is kept after it is untracked");
    }

    /// At the program's end a local shell is hung up and its session swept: a job deaf to the
    /// hang-up (`nohup`) ends too, though nothing drives the connection (no reader sees the
    /// shell go, no drop sweeps).
    #[test]
    fn a_shells_session_is_swept_at_the_end() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("moler-reap-shell-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let options = crate::terminal::TerminalOptions::default();
        let mut io = crate::terminal::open(&options).unwrap().into_blocking();
        let d = dir.display();
        let line = format!(
            "echo $$ > {d}/shell.tmp && mv {d}/shell.tmp {d}/shell.pid; \
             nohup sh -c 'echo $$ > {d}/job.tmp && mv {d}/job.tmp {d}/job.pid; exec sleep 1000' \
             > /dev/null 2>&1 &\n"
        );
        io.write_all(line.as_bytes()).unwrap();
        // (Each file is moved into place whole.)
        let read = |name: &str| {
            wait_until(&format!("no {name}"), || dir.join(name).exists());
            std::fs::read_to_string(dir.join(name)).unwrap().trim().parse::<i32>().unwrap()
        };
        let (shell, job) = (read("shell.pid"), read("job.pid"));
        // This shell's entry (other tests' shells may be tracked too): its pidfd's pid.
        let ours = |entry: &Entry| {
            use std::os::fd::AsRawFd;
            let info = format!("/proc/self/fdinfo/{}", entry.pidfd.as_raw_fd());
            let info = std::fs::read_to_string(info).unwrap_or_default();
            info.lines().any(|l| l.split_whitespace().eq(["Pid:", &shell.to_string()]))
        };
        let entries: Vec<Entry> = {
            let registry = REGISTRY.lock().unwrap();
            registry.iter().flat_map(HashMap::values).filter(|e| ours(e)).cloned().collect()
        };
        assert_eq!(entries.len(), 1, "the shell is not tracked");
        assert_eq!(entries[0].ask, Signal::HUP);
        end(&entries);
        let state = |pid: i32| Pid::from_raw(pid).and_then(crate::terminal::process_state);
        // (A killed process may show as running for a moment; it ends for good.)
        eventually(|| matches!(state(job), None | Some('Z')));
        let job_after = state(job);
        let _ = std::fs::remove_dir_all(&dir);
        drop(io);
        assert!(
            matches!(job_after, None | Some('Z')),
            "the nohup job outlived the end: {job_after:?}"
        );
    }
}
