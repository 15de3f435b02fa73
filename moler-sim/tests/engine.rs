//! The session engine with a simulated clock: every feature of the format, byte for byte, no
//! sockets and no sleeping.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use moler_sim::{Device, Session};

fn device(yaml: &str) -> Arc<Device> {
    Arc::new(Device::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}")))
}

/// A session and a clock the test moves.
struct Sim {
    s: Session,
    now: Instant,
}

impl Sim {
    fn new(yaml: &str) -> Sim {
        let now = Instant::now();
        Sim { s: Session::new(device(yaml), now), now }
    }

    fn start(&mut self) -> String {
        text(self.s.take_output())
    }

    fn feed(&mut self, input: &str) -> String {
        text(self.s.feed(input.as_bytes(), self.now))
    }

    fn wait(&mut self, ms: u64) -> String {
        self.now += Duration::from_millis(ms);
        text(self.s.handle_timeout(self.now))
    }
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap()
}

const SHELL: &str = r##"
line_end: "\n"
unknown_command: "sh: {word}: not found ({command})"
states:
  A:
    prompt: "a$ "
    commands:
      - {match: hello, answer: "hi there"}
      - {regex: 'echo (\w+) (?P<rest>.*)', answer: "{1}|{rest}|{command}"}
      - {match: slow, answer: done, delay_ms: 500}
      - {match: up, goto: B}
      - {match: bye, answer: bye, close: true}
  B:
    prompt: "b# "
    unknown_command: "B does not know {command}"
    commands:
      - {match: deeper, goto: C}
      - {match: exit, goto: back}
  C:
    prompt: "c> "
    echo: false
    commands:
      - {match: exit, goto: back}
"##;

#[test]
fn exact_and_regex_commands_answer_with_groups_and_the_line_end() {
    let mut s = Sim::new(SHELL);
    assert_eq!(s.start(), "a$ ");
    assert_eq!(s.feed("hello\n"), "hello\nhi there\na$ ");
    assert_eq!(s.feed("  hello  \n"), "  hello  \nhi there\na$ ", "blanks around are ignored");
    assert_eq!(
        s.feed("echo one two three\n"),
        "echo one two three\none|two three|echo one two three\na$ "
    );
    assert_eq!(s.s.answered(), 3);
}

#[test]
fn unknown_commands_get_the_template_of_the_device_or_the_state() {
    let mut s = Sim::new(SHELL);
    s.start();
    assert_eq!(s.feed("frob -x\n"), "frob -x\nsh: frob: not found (frob -x)\na$ ");
    assert_eq!(s.feed("\n"), "\na$ ", "an empty line is just a prompt");
    s.feed("up\n");
    assert_eq!(s.feed("frob\n"), "frob\nB does not know frob\nb# ");
}

#[test]
fn goto_moves_and_back_returns_and_closing_ends_the_session() {
    let mut s = Sim::new(SHELL);
    s.start();
    assert_eq!(s.feed("up\n"), "up\nb# ");
    assert_eq!(s.s.state(), "B");
    assert_eq!(s.feed("deeper\n"), "deeper\nc> ");
    assert_eq!(s.feed("exit\n"), "b# ", "state C does not echo, and its Enter shows nothing");
    assert_eq!(s.feed("exit\n"), "exit\na$ ");
    assert!(!s.s.is_closed());
    assert_eq!(s.feed("bye\n"), "bye\nbye\n");
    assert!(s.s.is_closed());
    assert_eq!(s.feed("hello\n"), "", "a closed session answers nothing");
}

/// State names written as numbers are the names as written: `goto: 010` is the state `010`,
/// not `10` (YAML reads both as the number 10), and `initial_state: 010` starts there.
#[test]
fn state_names_written_as_numbers_are_what_was_written() {
    let mut s = Sim::new(
        "line_end: \"\\n\"\n\
         initial_state: 010\n\
         states:\n  \
           10: {prompt: 'ten$ ', commands: [{match: go, goto: 010}]}\n  \
           010: {prompt: 'oh-ten$ ', commands: [{match: go, goto: 1e1}]}\n  \
           1e1: {prompt: 'e$ ', commands: [{match: go, goto: 10}]}\n",
    );
    assert_eq!(s.start(), "oh-ten$ ");
    assert_eq!(s.s.state(), "010");
    assert_eq!(s.feed("go\n"), "go\ne$ ");
    assert_eq!(s.s.state(), "1e1");
    assert_eq!(s.feed("go\n"), "go\nten$ ");
    assert_eq!(s.feed("go\n"), "go\noh-ten$ ");
    assert_eq!(s.s.state(), "010");
}

#[test]
fn goto_back_with_nowhere_to_go_closes() {
    let mut s = Sim::new("states: {S: {prompt: '$ ', commands: [{match: exit, goto: back}]}}");
    s.start();
    s.feed("exit\r");
    assert!(s.s.is_closed());
}

#[test]
fn a_delay_holds_the_answer_until_its_time_and_ctrl_c_interrupts_it() {
    let mut s = Sim::new(SHELL);
    s.start();
    assert_eq!(s.feed("slow\n"), "slow\n");
    assert_eq!(s.s.poll_timeout(), Some(s.now + Duration::from_millis(500)));
    assert_eq!(s.wait(499), "");
    assert_eq!(s.wait(1), "done\na$ ");
    assert_eq!(s.s.poll_timeout(), None);
    // Interrupted: no answer, the prompt at once, nothing later.
    assert_eq!(s.feed("slow\n"), "slow\n");
    assert_eq!(s.feed("\x03"), "^C\na$ ");
    assert_eq!(s.s.poll_timeout(), None);
    assert_eq!(s.wait(1000), "");
}

#[test]
fn what_is_typed_during_a_delay_is_read_after_it() {
    let mut s = Sim::new(SHELL);
    s.start();
    assert_eq!(s.feed("slow\nhello\n"), "slow\n");
    assert_eq!(s.wait(500), "done\na$ hello\nhi there\na$ ");
}

#[test]
fn ctrl_c_at_the_prompt_drops_the_line_and_ctrl_z_stops_a_running_command() {
    let mut s = Sim::new(SHELL);
    s.start();
    assert_eq!(s.feed("hel\x03"), "hel^C\na$ ");
    assert_eq!(s.feed("lo\n"), "lo\nsh: lo: not found (lo)\na$ ", "the dropped part is gone");
    assert_eq!(s.feed("\x1a"), "", "nothing to stop at the prompt");
    s.feed("slow\n");
    assert_eq!(s.feed("\x1a"), "^Z\n[1]+  Stopped                 slow\na$ ");
    assert_eq!(s.wait(1000), "", "the stopped command does not answer");
}

#[test]
fn line_end_is_the_devices_and_cr_lf_or_cr_nul_is_one_enter() {
    let yaml = "states: {S: {prompt: '$ ', commands: [{match: two, answer: \"x\\ny\\n\"}]}}";
    let mut s = Sim::new(yaml);
    s.start();
    assert_eq!(s.feed("two\r\n"), "two\r\nx\r\ny\r\n$ ", "default \\r\\n; one Enter");
    assert_eq!(s.feed("two\r\0"), "two\r\nx\r\ny\r\n$ ", "telnet's CR NUL");
    // A telnet client in character mode sends a typed CR LF as CR NUL LF: still one Enter.
    assert_eq!(s.feed("two\r\0\n"), "two\r\nx\r\ny\r\n$ ", "CR NUL LF");
    assert_eq!(s.feed("\n"), "\r\n$ ", "a later LF is an Enter of its own");
    assert_eq!(s.feed("tw\x7fwo\r"), "tw\x08 \x08wo\r\nx\r\ny\r\n$ ", "backspace");
}

#[test]
fn echo_off_for_the_device() {
    let yaml = "echo: false\nline_end: \"\\n\"\nstates: {S: {prompt: '> ', commands: [{match: '*IDN?', answer: 'ACME,1,2,3'}]}}";
    let mut s = Sim::new(yaml);
    assert_eq!(s.start(), "> ");
    assert_eq!(s.feed("*IDN?\n"), "ACME,1,2,3\n> ");
}

const SU: &str = r##"
line_end: "\n"
states:
  U:
    prompt: "$ "
    commands:
      - match: su
        ask: {prompt: "Password: ", expect: secret, wrong: "su: Authentication failure"}
        goto: R
      - match: rm -rf x
        ask: {prompt: "remove x? (yes/no) ", echo: true}
        answer: "removed {command}"
  R:
    prompt: "# "
    commands: [{match: exit, goto: back}]
"##;

#[test]
fn a_question_hides_a_password_and_a_wrong_answer_keeps_the_state() {
    let mut s = Sim::new(SU);
    s.start();
    assert_eq!(s.feed("su\n"), "su\nPassword: ");
    assert_eq!(s.feed("nope\n"), "\nsu: Authentication failure\n$ ", "not echoed; refused");
    assert_eq!(s.feed("su\n"), "su\nPassword: ");
    assert_eq!(s.feed("secret\n"), "\n# ");
    assert_eq!(s.s.state(), "R");
    assert_eq!(s.feed("exit\n"), "exit\n$ ");
    assert_eq!(s.feed("rm -rf x\n"), "rm -rf x\nremove x? (yes/no) ");
    assert_eq!(s.feed("yes\n"), "yes\nremoved rm -rf x\n$ ", "an echoed question, any answer");
    s.feed("su\n");
    assert_eq!(s.feed("sec\x03"), "^C\n$ ", "Ctrl-C leaves the question");
}

const LOGIN: &str = r##"
line_end: "\n"
banner: "Welcome to box"
login:
  user_prompt: "box login: "
  users: {admin: pw1, "123": "456"}
  refusal: "Login incorrect"
  last_login: "Last login: yesterday"
  attempts: 2
states:
  S: {prompt: "{user}@box$ ", commands: [{match: whoami, answer: "{user}"}]}
"##;

#[test]
fn the_login_dialog_greets_refuses_and_lets_in() {
    let mut s = Sim::new(LOGIN);
    assert_eq!(s.start(), "Welcome to box\nbox login: ");
    assert_eq!(s.s.state(), "", "not logged in yet");
    assert_eq!(s.feed("admin\n"), "admin\nPassword: ");
    assert_eq!(s.feed("bad\n"), "\nLogin incorrect\nbox login: ", "the password is not echoed");
    assert_eq!(s.feed("admin\n"), "admin\nPassword: ");
    assert_eq!(s.feed("pw1\n"), "\nLast login: yesterday\nadmin@box$ ");
    assert_eq!(s.feed("whoami\n"), "whoami\nadmin\nadmin@box$ ");
    assert_eq!(s.s.state(), "S");
}

#[test]
fn too_many_failed_logins_hang_up() {
    let mut s = Sim::new(LOGIN);
    s.start();
    s.feed("admin\nx\n");
    assert!(!s.s.is_closed());
    assert_eq!(s.feed("123\n456x\n"), "123\nPassword: \nLogin incorrect\n");
    assert!(s.s.is_closed());
}

const PAGED: &str = r##"
line_end: "\n"
states:
  S:
    prompt: "$ "
    commands:
      - match: show log
        answer: "1\n2\n3\n4\n5\n6\n7\n"
        page: {lines: 3, more: " --More-- "}
"##;

#[test]
fn paging_shows_a_page_then_waits_for_space_enter_or_q() {
    let erase = "\r          \r";
    let mut s = Sim::new(PAGED);
    s.start();
    assert_eq!(s.feed("show log\n"), "show log\n1\n2\n3\n --More-- ");
    assert_eq!(s.feed("x"), "", "other keys do nothing");
    assert_eq!(s.feed("\n"), format!("{erase}4\n --More-- "), "Enter: one line");
    assert_eq!(
        s.feed(" "),
        format!("{erase}5\n6\n7\n$ "),
        "space: the rest of a page, then the prompt"
    );
    s.feed("show log\n");
    assert_eq!(s.feed("q"), format!("{erase}$ "), "q stops");
    s.feed("show log\n");
    assert_eq!(s.feed("\x03"), format!("{erase}$ "), "and so does Ctrl-C");
}

const PING: &str = r##"
line_end: "\n"
states:
  S:
    prompt: "$ "
    commands:
      - regex: 'ping -c (\d+) (\S+)'
        answer: "PING {2}"
        stream: {line: "{n} from {2}", every_ms: 1000, count: "{1}", done: "{n} sent"}
      - regex: 'ping (\S+)'
        answer: "PING {1}"
        stream: {line: "[{time}|{epoch}] {n} from {1}", every_ms: 1000, interrupted: "--- {n} sent"}
"##;

#[test]
fn a_stream_prints_a_line_every_period_until_ctrl_c() {
    let mut s = Sim::new(PING);
    s.start();
    assert_eq!(
        s.feed("ping h\n"),
        "ping h\nPING h\n[00:00:00.000|0.000000] 1 from h\n",
        "without a wall clock, time counts from the session's start"
    );
    assert_eq!(s.wait(999), "");
    assert_eq!(s.wait(1), "[00:00:01.000|1.000000] 2 from h\n");
    assert_eq!(
        s.wait(2500),
        "[00:00:02.000|2.000000] 3 from h\n[00:00:03.000|3.000000] 4 from h\n"
    );
    assert_eq!(s.feed("whoami\n"), "", "typed during the stream: waits");
    assert_eq!(s.feed("\x03"), "^C\n--- 4 sent\n$ ");
    assert_eq!(s.wait(5000), "", "stopped, and what was typed ahead is dropped as a shell does");
}

#[test]
fn a_stream_with_a_count_ends_by_itself() {
    let mut s = Sim::new(PING);
    s.start();
    assert_eq!(s.feed("ping -c 2 h\n"), "ping -c 2 h\nPING h\n1 from h\n");
    assert_eq!(s.wait(1000), "2 from h\n2 sent\n$ ");
    assert_eq!(s.s.poll_timeout(), None);
}

#[test]
fn the_wall_clock_fills_time_and_epoch() {
    let now = Instant::now();
    let wall = UNIX_EPOCH + Duration::from_secs(1_764_486_000) + Duration::from_millis(250);
    let mut s = Session::new(device(PING), now).with_wall_clock(wall);
    s.take_output();
    let out = text(s.feed(b"ping h\n", now));
    // 1764486000 s since the epoch is 07:00:00 UTC.
    assert!(out.contains("[07:00:00.250|1764486000.250000] 1 from h"), "{out}");
    let _ = SystemTime::now();
}

const REBOOT: &str = r##"
line_end: "\n"
banner: "BIOS v1"
states:
  S:
    prompt: "$ "
    commands:
      - {match: up, goto: T}
  T:
    prompt: "# "
    commands:
      - {match: reboot, answer: "going down", reboot: {after_ms: 3000}}
"##;

#[test]
fn a_reboot_goes_quiet_and_comes_back_with_the_banner_in_the_initial_state() {
    let mut s = Sim::new(REBOOT);
    assert_eq!(s.start(), "BIOS v1\n$ ");
    s.feed("up\n");
    assert_eq!(s.feed("reboot\n"), "reboot\ngoing down\n");
    assert_eq!(s.s.down_until(), Some(s.now + Duration::from_secs(3)));
    assert_eq!(s.feed("up\n"), "", "nobody listens while it boots");
    assert_eq!(s.wait(2999), "");
    assert_eq!(s.wait(1), "BIOS v1\n$ ");
    assert_eq!(s.s.down_until(), None);
    assert_eq!(s.s.state(), "S");
}

#[test]
fn the_example_device_answers_from_its_files_relative_to_the_yaml() {
    let d = Arc::new(
        Device::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/devices/unix_host.yml")).unwrap(),
    );
    let now = Instant::now();
    let mut s = Session::new(d, now);
    let greeting = text(s.take_output());
    assert_eq!(greeting, "Debian GNU/Linux 9 debian ttyS0\r\ndebian login: ");
    s.feed(b"molertest\rmoler123\r", now);
    let out = text(s.feed(b"ls -l\r", now));
    assert!(
        out.starts_with("ls -l\r\ntotal 8\r\ndrwxr-xr-x  2 root root    4096 Sep 25  2014 bin\r\n"),
        "{out}"
    );
    assert!(out.ends_with("logsremote -> /mnt/logs/\r\nmolertest@debian:~$ "), "{out}");
    let out = text(s.feed(b"frobnicate\r", now));
    assert_eq!(out, "frobnicate\r\n-bash: frobnicate: command not found\r\nmolertest@debian:~$ ");
}

#[test]
fn a_thousand_commands_take_no_simulated_time_and_give_the_same_answers() {
    let d = Arc::new(
        Device::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/devices/unix_host.yml")).unwrap(),
    );
    let now = Instant::now();
    let script =
        ["whoami", "hostname", "pwd", "uname -a", "id", "ls -l", "ip addr show", "echo x y"];
    let run = || {
        let mut s = Session::new(Arc::clone(&d), now);
        s.take_output();
        s.feed(b"molertest\rmoler123\r", now);
        let mut all = Vec::new();
        for i in 0..1000 {
            let line = format!("{}\r", script[i % script.len()]);
            all.extend(s.feed(line.as_bytes(), now));
            assert_eq!(s.poll_timeout(), None, "no command of the script waits");
        }
        (all, s.answered())
    };
    let started = Instant::now();
    let (first, answered) = run();
    let took = started.elapsed();
    let (second, _) = run();
    assert_eq!(answered, 1000);
    assert_eq!(first, second, "the same script gives the same bytes");
    assert_eq!(String::from_utf8_lossy(&first).matches("molertest@debian:~$ ").count(), 1000);
    eprintln!(
        "engine: 1000 commands in {:.2} ms ({:.0} commands/s, {} bytes out)",
        took.as_secs_f64() * 1e3,
        1000.0 / took.as_secs_f64(),
        first.len()
    );
}

#[test]
fn answers_replay_in_order_then_the_last_again() {
    let dir = moler_testkit::TempDir::new("sim-answers");
    std::fs::write(dir.join("second.txt"), "10:00:01\n").unwrap();
    let file = dir.join("d.yml");
    let yaml = "line_end: \"\\n\"\nstates: {S: {prompt: '$ ', commands: [{match: date, answers: ['10:00:00', {answer_file: second.txt}, '10:00:02']}]}}\n";
    std::fs::write(&file, yaml).unwrap();
    let now = Instant::now();
    let mut s = Session::new(Arc::new(Device::from_file(&file).unwrap()), now);
    s.take_output();
    let mut said = Vec::new();
    for _ in 0..4 {
        said.push(text(s.feed(b"date\n", now)));
    }
    assert_eq!(
        said,
        ["date\n10:00:00\n$ ", "date\n10:00:01\n$ ", "date\n10:00:02\n$ ", "date\n10:00:02\n$ "]
    );
    let again = Session::new(Arc::new(Device::from_file(&file).unwrap()), now).feed(b"date\n", now);
    assert_eq!(
        text(again),
        "$ date\n10:00:00\n$ ",
        "each session starts from the first (after its prompt)"
    );
}

const AUTOBOOT: &str = r##"
line_end: "\n"
states:
  WAIT:
    prompt: "Hit any key to stop autoboot: "
    any_key: UBOOT
    idle: {after_ms: 3000, answer: "Starting kernel ...", goto: LINUX}
  UBOOT:
    prompt: "=> "
  QUIET:
    prompt: "quiet> "
    idle: {after_ms: 1000, answer: "", goto: LINUX}
    commands:
      - {match: wait, goto: QUIET}
  LINUX:
    prompt: "# "
"##;

/// A state with `idle` moves on by itself once nothing was typed for its time after its
/// prompt; with `any_key`, a key (not echoed, no Enter) stops that and moves there instead;
/// without, a key typed stops the countdown too, as the line is being typed.
#[test]
fn an_idle_state_moves_on_unless_a_key_comes_first() {
    let mut s = Sim::new(AUTOBOOT);
    assert_eq!(s.start(), "Hit any key to stop autoboot: ");
    assert_eq!(s.wait(2999), "", "not before its time");
    assert_eq!(s.wait(1), "\nStarting kernel ...\n# ");
    assert_eq!(s.s.state(), "LINUX");

    let mut s = Sim::new(AUTOBOOT);
    s.start();
    s.wait(2000);
    assert_eq!(s.feed("x"), "\n=> ", "the key is taken, not echoed");
    assert_eq!(s.s.state(), "UBOOT");
    assert_eq!(s.wait(5000), "", "the countdown is over");

    let yaml = AUTOBOOT.replace(
        "  WAIT:\n",
        "  FIRST:\n    prompt: \"$ \"\n    commands: [{match: go, goto: QUIET}]\n  WAIT:\n",
    );
    let mut s = Sim::new(&yaml);
    s.start();
    s.wait(10_000);
    assert_eq!(s.feed("go\n"), "go\nquiet> ");
    assert_eq!(s.wait(999), "", "idle counts from the prompt, not from the session's start");
    assert_eq!(s.wait(1), "\n# ", "an empty answer prints nothing but the line end");
    let mut s = Sim::new(&yaml);
    s.start();
    s.feed("go\n");
    assert_eq!(s.feed("w"), "w", "without any_key a key is typed");
    assert_eq!(s.wait(5000), "", "and it stopped the countdown");
    assert_eq!(s.feed("ait\n"), "ait\nquiet> ");
}

/// Ctrl-C at the login's questions starts the login over, as getty does.
#[test]
fn ctrl_c_at_the_login_asks_for_the_user_again() {
    let mut s = Sim::new(LOGIN);
    s.start();
    assert_eq!(s.feed("adm\x03"), "adm^C\nbox login: ");
    assert_eq!(s.feed("admin\n"), "admin\nPassword: ");
    assert_eq!(s.feed("pw\x03"), "^C\nbox login: ", "the password neither echoed nor kept");
    assert_eq!(s.feed("admin\npw1\n"), "admin\nPassword: \nLast login: yesterday\nadmin@box$ ");
}

/// Backspace erases the last character typed, on screen only where it was echoed: not past
/// the start of the line (the prompt stays), not in a password.
#[test]
fn backspace_erases_only_what_was_typed_and_shown() {
    let mut s = Sim::new(SHELL);
    s.start();
    assert_eq!(s.feed("\x7f"), "", "nothing typed: the prompt is not erased");
    assert_eq!(s.feed("helx\x7flo\n"), "helx\x08 \x08lo\nhi there\na$ ");
    let mut s = Sim::new(LOGIN);
    s.start();
    s.feed("admin\n");
    assert_eq!(s.feed("pw11\x7f\n"), "\nLast login: yesterday\nadmin@box$ ", "a password's erase");
}

/// An answer of exactly a page is shown whole, with no pager.
#[test]
fn an_answer_of_one_page_is_not_paged() {
    let yaml = PAGED.replace("\"1\\n2\\n3\\n4\\n5\\n6\\n7\\n\"", "\"1\\n2\\n3\\n\"");
    let mut s = Sim::new(&yaml);
    s.start();
    assert_eq!(s.feed("show log\n"), "show log\n1\n2\n3\n$ ");
}

/// `{time}` and `{epoch}` are filled each on its own as well, and the wall clock moves on
/// with the session's.
#[test]
fn time_and_epoch_are_filled_alone_and_follow_the_wall_clock() {
    let yaml = r##"
line_end: "\n"
states:
  S:
    prompt: "$ "
    commands:
      - {match: t, answer: "", stream: {line: "at {time}", every_ms: 1000, count: "2", done: ""}}
      - {match: e, answer: "", stream: {line: "at {epoch}", every_ms: 1000, count: "2", done: ""}}
"##;
    let now = Instant::now();
    let wall = UNIX_EPOCH + Duration::from_secs(1_764_486_000) + Duration::from_millis(250);
    let mut s = Sim { s: Session::new(device(yaml), now).with_wall_clock(wall), now };
    s.start();
    assert_eq!(s.feed("t\n"), "t\nat 07:00:00.250\n");
    assert_eq!(s.wait(1000), "at 07:00:01.250\n$ ");
    assert_eq!(s.feed("e\n"), "e\nat 1764486001.250000\n");
    assert_eq!(s.wait(1000), "at 1764486002.250000\n$ ");
}

/// A device's own words where the file gives them: Ctrl-Z's line, the login's password
/// question and refusal; an answer left empty (`answer:`) prints nothing but the prompt.
#[test]
fn a_devices_own_words_replace_the_defaults() {
    let yaml = r##"
line_end: "\n"
stopped: "Suspended: {command}"
login:
  user_prompt: "login: "
  password_prompt: "Passwd: "
  refusal: "Access denied"
  users: {admin: pw}
states:
  S:
    prompt: "$ "
    commands:
      - {match: quiet, answer: }
      - {match: slow, answer: done, delay_ms: 500}
"##;
    let mut s = Sim::new(yaml);
    assert_eq!(s.start(), "login: ");
    assert_eq!(s.feed("admin\n"), "admin\nPasswd: ");
    assert_eq!(s.feed("no\n"), "\nAccess denied\nlogin: ");
    s.feed("admin\npw\n");
    assert_eq!(s.feed("quiet\n"), "quiet\n$ ");
    s.feed("slow\n");
    assert_eq!(s.feed("\x1a"), "^Z\nSuspended: slow\n$ ");
}
