//! Behaviours of a real bash in a real pseudo-terminal that once went wrong (issue 19): an
//! event resumed at a line start, output without a final newline, background jobs of a closed
//! shell, a Ctrl-C the shell missed. Every scenario runs on every runner.

use std::path::PathBuf;
use std::time::Duration;

use moler::commands::unix::Tee;
use moler::commands::UnixCommand;
use moler::prelude::*;

mod common;
use common::Rig;
use moler_testkit::on_every_runner;

/// Generous: these tests are about behaviour, not speed, and CI machines are busy.
const WAIT: Duration = Duration::from_secs(20);

fn cmd(line: &str) -> Command<moler::Lines> {
    Command::lines(line, LOCAL_PROMPT)
}

/// A path no other test (or runner) uses, not yet there.
fn scratch(rig: &Rig, what: &str) -> PathBuf {
    let kind = format!("{:?}", rig.runner.kind()).to_lowercase();
    let path = std::env::temp_dir().join(format!("moler-{what}-{}-{kind}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

on_every_runner!(
    a_resumed_event_matches_the_first_line_after_the_resume,
    a_ctrl_c_the_shell_misses_is_sent_again,
    a_line_is_not_typed_into_a_program_deaf_to_ctrl_c,
    output_without_a_final_newline_ends_at_the_prompt_on_its_line,
    closing_a_shell_ends_its_background_jobs_nohup_included,
    a_tool_deaf_to_ctrl_c_is_stopped_with_ctrl_z_and_killed,
    a_prompt_inside_a_line_gets_an_enter,
    long_lines_come_whole_with_or_without_a_final_newline,
);

/// Moler's timeout action `z`: a tool that ignores Ctrl-C times out, gets Ctrl-Z, and the job
/// bash reports stopped is killed (`kill %N; wait %N`); the shell is free for the next command
/// and the tool is gone. Per command, then as the connection's default.
fn a_tool_deaf_to_ctrl_c_is_stopped_with_ctrl_z_and_killed(rig: &Rig) {
    let shell = rig.shell();
    let sid: u32 = shell.run(cmd("echo $$"), WAIT).unwrap()[0].parse().unwrap();
    let deaf = r#"bash -c 'trap "" INT; sleep 41'"#;
    let sleeping = || session(sid).iter().filter(|name| name.as_str() == "sleep").count();
    // Generous terminating period: the kill's prompt must come back before the next command
    // starts, on a busy machine too.
    let per_command = cmd(deaf)
        .timeout(Duration::from_millis(500))
        .terminating_period(Duration::from_secs(10))
        .timeout_action(TimeoutAction::CtrlZ);
    let err = shell.run(per_command, WAIT).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(shell.run(cmd("jobs; echo free"), WAIT).unwrap(), ["free"], "no job left");
    assert_eq!(sleeping(), 0, "the deaf tool was killed: {:?}", session(sid));

    assert_eq!(shell.timeout_action(), TimeoutAction::CtrlC);
    shell.set_timeout_action(TimeoutAction::CtrlZ);
    let by_default =
        cmd(deaf).timeout(Duration::from_millis(500)).terminating_period(Duration::from_secs(10));
    assert!(shell.run(by_default, WAIT).unwrap_err().is_timeout());
    assert_eq!(shell.run(cmd("jobs; echo free"), WAIT).unwrap(), ["free"]);
    assert_eq!(sleeping(), 0, "{:?}", session(sid));

    // A prompt that comes 0.3 s after the `Stopped` line (as on a busy machine): the kill line
    // is typed at the prompt, so readline alone echoes it. Typed at the `Stopped` line, the
    // terminal echoed it too, before the prompt, and a read ending at that prompt let the next
    // command start before the kill had run.
    let slow = r"PS1='$(sleep 0.3)m\[\]oler_bash# '; echo slow";
    assert_eq!(shell.run(cmd(slow), WAIT).unwrap(), ["slow"]);
    let echoes = shell.start(Wait4::new([r"kill %\d+; while jobs"]).unwrap().till_occurs_times(2));
    let late =
        cmd(deaf).timeout(Duration::from_millis(500)).terminating_period(Duration::from_secs(10));
    assert!(shell.run(late, WAIT).unwrap_err().is_timeout());
    assert_eq!(shell.run(cmd("jobs; echo free"), WAIT).unwrap(), ["free"]);
    assert_eq!(sleeping(), 0, "{:?}", session(sid));
    assert!(!echoes.is_done(), "the kill line was echoed twice: typed before the prompt");
    echoes.cancel();
}

/// Moler's `enter_on_prompt_without_anchors`: a line that holds the prompt with more text (a
/// message printed over it) gets one Enter, which here also answers the `read` that would
/// otherwise hang; without the option the command times out.
fn a_prompt_inside_a_line_gets_an_enter(rig: &Rig) {
    let shell = rig.shell();
    let line = r#"printf '%s junk\n' "moler_bash#"; read -r x; echo got"#;
    let out = shell.run(cmd(line).enter_on_prompt_without_anchors(true), WAIT).unwrap();
    assert_eq!(out.first().map(String::as_str), Some("moler_bash# junk"), "{out:?}");
    assert_eq!(out.last().map(String::as_str), Some("got"), "{out:?}");
    let without = cmd(line).timeout(Duration::from_millis(700));
    assert!(shell.run(without, WAIT).unwrap_err().is_timeout());
    assert_eq!(shell.run(cmd("echo next"), WAIT).unwrap(), ["next"]);
}

/// The event is paused while `MARK 1` arrives, up to its line end; the script then waits for a
/// file the test makes only after the resume, so `MARK 2` surely comes after it.
fn a_resumed_event_matches_the_first_line_after_the_resume(rig: &Rig) {
    let shell = rig.shell();
    let go = scratch(rig, "resume");
    let marks = shell.start(Wait4::new([r"^MARK \d$"]).unwrap().till_occurs_times(1));
    marks.pause();
    // Started after `marks`, so it sees each chunk after it: once it has `MARK 1`, so has `marks`.
    let first = shell.start(Wait4::new(["^MARK 1$"]).unwrap().till_occurs_times(1));
    let script = shell.start(cmd(&format!(
        "echo MARK 1; while [ ! -e {} ]; do sleep 0.02; done; echo MARK 2",
        go.display()
    )));
    first.wait(WAIT).unwrap();
    marks.resume();
    std::fs::write(&go, "").unwrap();
    assert_eq!(script.wait(WAIT).unwrap(), ["MARK 1", "MARK 2"]);
    let found = marks.wait(WAIT).unwrap();
    assert_eq!(found[0].line, "MARK 2", "the line after the resume was lost");
    let _ = std::fs::remove_file(&go);
}

/// Before, these never ended: the prompt followed on the output's last line
/// (`xmoler_bash# `) and `^moler_bash# $` cannot match that line whole.
fn output_without_a_final_newline_ends_at_the_prompt_on_its_line(rig: &Rig) {
    let shell = rig.shell();
    let quick = |line: &str| cmd(line).timeout(Duration::from_secs(5));
    assert_eq!(shell.run(quick("printf x"), WAIT).unwrap(), ["x"]);
    assert_eq!(shell.run(quick("echo -n 'no newline'"), WAIT).unwrap(), ["no newline"]);
    let file = scratch(rig, "no-newline");
    std::fs::write(&file, "first\nlast without newline").unwrap();
    let out = shell.run(quick(&format!("cat {}", file.display())), WAIT).unwrap();
    assert_eq!(out, ["first", "last without newline"]);
    let _ = std::fs::remove_file(&file);
    // The prompt's text inside an output line is output; the shell is in step afterwards.
    let out = shell.run(quick("echo 'say moler_bash# twice'"), WAIT);
    assert_eq!(out.unwrap(), ["say moler_bash# twice"]);
    assert_eq!(shell.run(quick("echo next"), WAIT).unwrap(), ["next"]);
}

/// `cat` of a minified file (one 3 MB line) and of a 100 KB file without a final newline:
/// before, the first came back cut at 64 KiB, and the second timed out (the prompt after it
/// was cut off).
fn long_lines_come_whole_with_or_without_a_final_newline(rig: &Rig) {
    let shell = rig.shell();
    let file = scratch(rig, "long-line");
    let line: String = (0..300_000).map(|i| format!("{:09};", i * 7)).collect();
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let out = shell.run(cmd(&format!("cat {}", file.display())), WAIT).unwrap();
    assert_eq!(out.len(), 1);
    assert!(out[0] == line, "{} bytes of {}", out[0].len(), line.len());
    let no_newline = &line[..100_000];
    std::fs::write(&file, no_newline).unwrap();
    let out = shell.run(cmd(&format!("cat {}", file.display())), WAIT).unwrap();
    assert!(out.len() == 1 && out[0] == no_newline, "{:?}", out.iter().map(String::len));
    let _ = std::fs::remove_file(&file);
    assert_eq!(shell.run(cmd("echo next"), WAIT).unwrap(), ["next"]);
}

/// A job that survives the first Ctrl-C stands for one the shell missed (bash loses a SIGINT
/// that arrives while it forks the next job of a line, which no test can time): its trap only
/// removes itself, so the first SIGINT is spent and the job goes on, silent. The command's
/// second Ctrl-C, halfway through its terminating period, ends it; without it the next command
/// would be typed into the job and time out.
///
/// The job forks nothing while it waits (bash's `read` with a timeout on a FIFO nobody writes),
/// so the second SIGINT cannot be lost the way the first stands for: a loop of `sleep`s lost
/// it too on a loaded machine (CI, 2026-12-02, with half-second sleeps; with 50 ms ones, 3 runs
/// in 4).
fn a_ctrl_c_the_shell_misses_is_sent_again(rig: &Rig) {
    let shell = rig.shell();
    let fifo = scratch(rig, "stubborn-fifo");
    let made = shell.run(cmd(&format!("mkfifo {} && echo ready", fifo.display())), WAIT);
    assert_eq!(made.unwrap(), ["ready"], "the FIFO is made");
    let stubborn = format!(
        r#"bash -c 'exec 9<>{}; trap "trap - INT" INT; while :; do read -t 0.5 -u 9; done'"#,
        fifo.display()
    );
    let err = shell.run(cmd(&stubborn).timeout(Duration::from_millis(500)), WAIT).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let after = shell.run(cmd("echo after").timeout(Duration::from_secs(5)), WAIT);
    assert_eq!(after.unwrap(), ["after"]);
    let _ = std::fs::remove_file(&fifo);
}

/// A program that reads the terminal and ignores Ctrl-C (`cat` with SIGINT ignored) outlives
/// its command's timeout and terminating period. The next command's line is not typed into it
/// (there it would be the program's input: Moler types it) but waits for the prompt and times
/// out saying so; a key (Ctrl-D) ends the program, its prompt comes back, lines go again.
fn a_line_is_not_typed_into_a_program_deaf_to_ctrl_c(rig: &Rig) {
    let shell = rig.shell();
    let file = scratch(rig, "typed-into");
    let deaf = format!(r#"bash -c 'trap "" INT; cat > {}'"#, file.display());
    let short = cmd(&deaf)
        .timeout(Duration::from_millis(300))
        .terminating_period(Duration::from_millis(600));
    let err = shell.run(short, WAIT).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let held = shell.run(cmd("echo typed").timeout(Duration::from_secs(1)), WAIT).unwrap_err();
    assert!(held.is_timeout(), "{held}");
    assert!(held.to_string().contains("not typed: the prompt has not come back"), "{held}");
    // A command line typed with its input (tee's here-document) waits the same way.
    let written = scratch(rig, "tee-after");
    let tee = Tee::new(written.display().to_string(), "held").command_with_prompt(LOCAL_PROMPT);
    let held = shell.run(tee.timeout(Duration::from_secs(1)), WAIT).unwrap_err();
    assert!(held.to_string().contains("not typed: the prompt has not come back"), "{held}");
    shell.run(cmd("").sends("\x04", false).expect_echo(false).ret_required(false), WAIT).unwrap();
    assert_eq!(shell.run(cmd("echo after"), WAIT).unwrap(), ["after"]);
    let got = std::fs::read_to_string(&file).unwrap();
    assert_eq!(got, "", "nothing typed went to the program");
    assert!(!written.exists(), "tee was not typed");
    let tee = Tee::new(written.display().to_string(), "typed").command_with_prompt(LOCAL_PROMPT);
    shell.run(tee, WAIT).unwrap();
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "typed\n", "the prompt is back");
    let _ = std::fs::remove_file(file);
    let _ = std::fs::remove_file(written);
}

/// The live (not zombie) processes of session `sid`, by name: a zombie is dead already, only
/// waiting for a parent (in a container, maybe one that never reaps).
fn session(sid: u32) -> Vec<String> {
    let sid = sid.to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter_map(|stat| {
            // pid (comm) state ppid pgrp session ...; comm may hold spaces.
            let (open, close) = (stat.find('(')?, stat.rfind(')')?);
            let fields: Vec<&str> = stat[close + 1..].split_whitespace().take(4).collect();
            (fields.len() == 4 && fields[0] != "Z" && fields[3] == sid)
                .then(|| stat[open + 1..close].to_owned())
        })
        .collect()
}

/// Before, the closer killed bash right after hanging it up, before bash passed the hang-up on
/// to its jobs, and every background job outlived the connection. Now bash gets a moment to
/// hang its jobs up and what ignores that (`nohup`, a `trap '' HUP`) is killed with the rest
/// of the pty's session: a connection's processes end with it. (A process that left the
/// session, `setsid`, is not the connection's any more and is left alone.)
fn closing_a_shell_ends_its_background_jobs_nohup_included(rig: &Rig) {
    let shell = rig.shell();
    let sid: u32 = shell.run(cmd("echo $$"), WAIT).unwrap()[0].parse().unwrap();
    for job in ["sleep 31 &", "nohup sleep 32 >/dev/null 2>&1 &", "(trap '' HUP; sleep 33) &"] {
        shell.run(cmd(job).ret_required(false), WAIT).unwrap();
    }
    common::eventually("the jobs run", || {
        session(sid).iter().filter(|name| name.as_str() == "sleep").count() == 3
    });
    assert!(session(sid).contains(&"bash".to_owned()), "{:?}", session(sid));
    shell.close();
    common::eventually("nothing of the shell's session is left", || session(sid).is_empty());
}

/// An unclosed quote leaves bash asking for the rest of the line (its continuation prompt is
/// empty in moler's local shell): the command times out saying so, and its Ctrl-C leaves the
/// shell usable.
#[test]
fn an_unclosed_quote_times_out_naming_the_continuation_prompt() {
    let shell = moler::local_shell().unwrap();
    let err = shell.run(cmd("echo \"oops").timeout(Duration::from_secs(1)), WAIT).unwrap_err();
    let Error::Timeout { hint: Some(hint), .. } = &err else { panic!("{err:?}") };
    assert!(hint.starts_with("the command line leaves a \" quote open"), "{hint}");
    assert_eq!(shell.run(cmd("echo ok"), WAIT).unwrap(), ["ok"]);
}
