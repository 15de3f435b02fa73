//! Hops verified, never assumed (issue 18, item 1): ssh, telnet, su, sudo and exit fed real
//! transcripts through an in-memory connection. The shell a hop started from showing its prompt
//! again fails the hop at once, with the client's telling line quoted, and nothing meant for the
//! new shell (settings, passwords) is sent to the old one.
//!
//! A transcript is a list of turns: what the device prints before it waits for the client.
//! Every turn is fed whole, line by line and in chunks of 1 to 16 bytes; every way must give the
//! same result and send the same bytes.

use std::time::{Duration, Instant};

use moler_commands::unix::{Exit, Passwords, Pwd, Ssh, Su, Sudo, Telnet};
use moler_commands::UnixCommand;
use moler_core::{Command, Connection, Error, Parser};

/// The local shell's prompt, as a device config gives it.
const LOCAL: &str = r"^moler_bash#\s*$";
/// A prompt as users write them: it matches every shell, the local one included.
const GENERIC: &str = r"[$#>]\s*$";
/// The remote user's prompt.
const REMOTE: &str = r"^user@remote:~\$\s*$";

/// What a command gave, and every byte it sent (its own line included).
#[derive(Debug, PartialEq)]
struct Outcome {
    result: Result<String, String>,
    sent: String,
}

/// How a turn is cut into reads.
type Cut = dyn Fn(&[u8]) -> Vec<&[u8]>;

/// Plays `turns` to the command `make` builds, in every chunking; checks they all agree and
/// that the command ended without any timeout.
fn play<P: Parser>(make: impl Fn() -> Command<P>, turns: &[&str]) -> Outcome
where
    P::Output: std::fmt::Debug,
{
    let mut ways: Vec<(String, Box<Cut>)> = vec![
        ("whole".into(), Box::new(|t| vec![t])),
        ("line by line".into(), Box::new(|t| t.split_inclusive(|&b| b == b'\n').collect())),
    ];
    for size in 1..=16 {
        ways.push((format!("chunks of {size}"), Box::new(move |t| t.chunks(size).collect())));
    }
    let mut first: Option<(String, Outcome)> = None;
    for (how, cut) in &ways {
        let outcome = play_one(make(), turns, cut);
        match &first {
            None => first = Some((how.clone(), outcome)),
            Some((how0, o0)) => assert_eq!(&outcome, o0, "{how} differs from {how0}"),
        }
    }
    first.expect("at least one way").1
}

fn play_one<P: Parser>(command: Command<P>, turns: &[&str], cut: &Cut) -> Outcome
where
    P::Output: std::fmt::Debug,
{
    let now = Instant::now();
    let mut conn = Connection::new("hops");
    let done = conn.start(command, now);
    let mut sent = Vec::new();
    let mut transmit = |conn: &mut Connection| {
        let _ = conn.poll_transmit(&mut sent);
    };
    transmit(&mut conn);
    'turns: for turn in turns {
        for piece in cut(turn.as_bytes()) {
            if done.is_done() {
                break 'turns;
            }
            conn.handle_input(piece, now);
            transmit(&mut conn);
        }
    }
    let result = match done.try_result() {
        None => panic!("no result without a timeout; sent {:?}", String::from_utf8_lossy(&sent)),
        Some(Ok(v)) => Ok(format!("{v:?}")),
        Some(Err(Error::CommandFailure { line, .. })) => Err(line),
        Some(Err(e)) => panic!("not a command failure: {e}"),
    };
    Outcome { result, sent: String::from_utf8(sent).expect("text sent") }
}

fn failure(outcome: &Outcome) -> &str {
    outcome.result.as_ref().expect_err("the hop fails")
}

/// `command` fed `input` at once, then `waited` later: `None` if it is still running then,
/// else its timeout's hint (anything but a timeout fails the test).
fn hint_after<P: Parser>(
    command: Command<P>,
    input: &str,
    waited: Duration,
) -> Option<Option<String>>
where
    P::Output: std::fmt::Debug,
{
    let t = Instant::now();
    let mut conn = Connection::new("hops");
    let done = conn.start(command, t);
    conn.handle_input(input.as_bytes(), t);
    conn.handle_timeout(t + waited);
    match done.try_result() {
        None => None,
        Some(Err(Error::Timeout { hint, .. })) => Some(hint),
        other => panic!("not a timeout: {other:?}"),
    }
}

const BOTH: &str =
    "; the start prompt and the expected prompt both match it, so the device cannot tell which \
     shell answered";

// --- ssh ---------------------------------------------------------------------------------------

/// ssh to port 2222 of 127.0.0.1, from the local shell.
fn ssh(expected: &str, after_login: Option<&str>) -> Ssh {
    let ssh = Ssh::new("127.0.0.1", "user", "secret", expected).with("port", 2222).unwrap();
    match after_login {
        Some(p) => ssh.with("prompt_after_login", p).unwrap(),
        None => ssh,
    }
}

const SSH_LINE: &str = "TERM=xterm-mono ssh -p 2222 -l user -o ServerAliveInterval=7 -o \
                        ServerAliveCountMax=2 127.0.0.1";

/// The ssh hop fails with `why` in every configuration: a specific expected prompt, and the
/// generic prompts (which match the local prompt too: the failure says so). Nothing is sent
/// but the ssh line.
fn ssh_fails(client_says: &str, why: &str) {
    let turns = [&format!("{SSH_LINE}\r\n"), &format!("{client_says}moler_bash# ")[..]];
    for (expected, after_login, both) in
        [(REMOTE, None, ""), (GENERIC, Some(GENERIC), BOTH), (REMOTE, Some(GENERIC), "")]
    {
        let spec = ssh(expected, after_login);
        assert_eq!(spec.command_line().unwrap(), SSH_LINE);
        let outcome = play(|| spec.command_with_prompt(LOCAL), &turns);
        let both = if both.is_empty() && after_login.is_some() {
            "; the start prompt and the prompt after login both match it, so the device cannot \
             tell which shell answered"
        } else {
            both
        };
        assert_eq!(
            failure(&outcome),
            format!("{why} (back at the start prompt \"moler_bash#\"){both}"),
            "expected {expected}, after login {after_login:?}"
        );
        assert_eq!(outcome.sent, format!("{SSH_LINE}\n"), "nothing after the ssh line");
    }
}

#[test]
fn ssh_refused_fails_at_the_local_prompt_and_sends_nothing_more() {
    let line = "ssh: connect to host 127.0.0.1 port 2222: Connection refused";
    ssh_fails(&format!("{line}\r\n"), line);
}

#[test]
fn ssh_timed_out_fails() {
    let line = "ssh: connect to host 127.0.0.1 port 2222: Connection timed out";
    ssh_fails(&format!("{line}\r\n"), line);
}

#[test]
fn ssh_to_an_unknown_host_fails() {
    let line = "ssh: Could not resolve hostname 127.0.0.1: Name or service not known";
    ssh_fails(&format!("{line}\r\n"), line);
}

#[test]
fn ssh_with_no_known_failure_quotes_the_last_line_before_the_prompt() {
    let line = "kex_exchange_identification: read: Connection reset by peer";
    ssh_fails(&format!("{line}\r\n\r\n"), line);
}

#[test]
fn ssh_closed_by_the_host_fails() {
    let line = "Connection closed by 127.0.0.1 port 2222";
    ssh_fails(&format!("kex_exchange_identification: read: Connection reset\r\n{line}\r\n"), line);
}

#[test]
fn ssh_wrong_password_answers_ctrl_c_then_fails() {
    let turns = [
        &format!("{SSH_LINE}\r\n")[..],
        "user@127.0.0.1's password: ",
        "\r\nPermission denied, please try again.\r\nuser@127.0.0.1's password: ",
        "^C\r\nmoler_bash# ",
    ];
    let mut after_ctrl_c = turns;
    after_ctrl_c[3] = "\r\n^Cmoler_bash# ";
    for (expected, after_login, turns) in
        [(REMOTE, None, turns), (GENERIC, Some(GENERIC), turns), (REMOTE, None, after_ctrl_c)]
    {
        let spec = ssh(expected, after_login);
        let outcome = play(|| spec.command_with_prompt(LOCAL), &turns);
        let why = failure(&outcome);
        assert!(
            why.starts_with(
                "wrong password: Permission denied, please try again. (back at the start prompt \
                 \"moler_bash#\")"
            ),
            "{why}"
        );
        assert_eq!(outcome.sent, format!("{SSH_LINE}\nsecret\n\x03"), "one password, then Ctrl-C");
    }
}

const CHANGED_HOST_KEY: &str = "\
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n\
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n\
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n\
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n\
Someone could be eavesdropping on you right now (man-in-the-middle attack)!\r\n\
It is also possible that a host key has just been changed.\r\n\
The fingerprint for the ED25519 key sent by the remote host is\r\n\
SHA256:p2Wdb1Qx2cQ4nHHh9Yv0lKkqTQ7HCmkXk2kAsoTaaSA.\r\n\
Please contact your system administrator.\r\n\
Add correct host key in /root/.ssh/known_hosts to get rid of this message.\r\n\
Offending ED25519 key in /root/.ssh/known_hosts:3\r\n\
Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.\r\n\
Host key verification failed.\r\n\
moler_bash# ";

const KEYGEN: &str = "ssh-keygen -R 127.0.0.1 -f /root/.ssh/known_hosts";

/// The retry of a changed host key: the key is dropped and ssh runs again, at the start prompt.
fn host_key_retry() -> [String; 3] {
    [
        format!("{SSH_LINE}\r\n"),
        CHANGED_HOST_KEY.to_owned(),
        format!(
            "{KEYGEN}\r\n# Host [127.0.0.1]:2222 found: line 3\r\n/root/.ssh/known_hosts updated.\r\n\
             Original contents retained as /root/.ssh/known_hosts.old\r\nmoler_bash# "
        ),
    ]
}

#[test]
fn ssh_host_key_verification_failed_again_after_the_retry_fails() {
    let mut turns: Vec<String> = host_key_retry().into();
    turns.push(format!("{SSH_LINE}\r\n{CHANGED_HOST_KEY}"));
    let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
    for (expected, after_login, both) in [(REMOTE, None, ""), (GENERIC, Some(GENERIC), BOTH)] {
        let spec = ssh(expected, after_login);
        let outcome = play(|| spec.command_with_prompt(LOCAL), &turns);
        assert_eq!(
            failure(&outcome),
            format!(
                "Host key verification failed. (back at the start prompt \"moler_bash#\"){both}"
            )
        );
        assert_eq!(outcome.sent, format!("{SSH_LINE}\n{KEYGEN}\n{SSH_LINE}\n"), "only the retry");
    }
}

#[test]
fn ssh_host_key_retry_then_login_succeeds() {
    let mut turns: Vec<String> = host_key_retry().into();
    turns.push(format!("{SSH_LINE}\r\nuser@127.0.0.1's password: "));
    turns.push("\r\nLast login: Thu Nov 23 10:38:16 2017 from 10.0.0.1\r\nuser@remote:~$ ".into());
    turns.push("\r\nuser@remote:~$ export TMOUT=\"2678400\"\r\nuser@remote:~$ ".into());
    let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
    for (expected, after_login) in [(REMOTE, None), (GENERIC, Some(GENERIC)), (GENERIC, None)] {
        let spec = ssh(expected, after_login);
        let outcome = play(|| spec.command_with_prompt(LOCAL), &turns);
        let result = outcome.result.expect("logged in");
        assert!(result.contains("10.0.0.1"), "{result}");
        assert_eq!(
            outcome.sent,
            format!("{SSH_LINE}\n{KEYGEN}\n{SSH_LINE}\nsecret\n\nexport TMOUT=\"2678400\"\n")
        );
    }
}

#[test]
fn ssh_with_host_key_question_password_and_settings_succeeds() {
    let turns = [
        &format!("{SSH_LINE}\r\n")[..],
        "The authenticity of host '[127.0.0.1]:2222 ([127.0.0.1]:2222)' can't be established.\r\n\
         ED25519 key fingerprint is SHA256:p2Wdb1Qx2cQ4nHHh9Yv0lKkqTQ7HCmkXk2kAsoTaaSA.\r\n\
         This key is not known by any other names.\r\n\
         Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
        "yes\r\nWarning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known \
         hosts.\r\nuser@127.0.0.1's password: ",
        "\r\nLinux remote 6.1.0-18-amd64 x86_64\r\n\
         Last login: Thu Nov 23 10:38:16 2017 from 10.0.0.1\r\nuser@remote:~$ ",
        "\r\nuser@remote:~$ export TMOUT=\"2678400\"\r\nuser@remote:~$ ",
        "\r\nuser@remote:~$ export PS1='remote$ '\r\nremote$ ",
    ];
    for (expected, after_login) in [(r"^remote\$\s*$", Some(REMOTE)), (GENERIC, Some(GENERIC))] {
        let spec = ssh(expected, after_login).with("set_prompt", "export PS1='remote$ '").unwrap();
        let outcome = play(|| spec.command_with_prompt(LOCAL), &turns);
        let result = outcome.result.expect("logged in");
        assert!(result.contains("2017-11-23T10:38:16"), "{result}");
        assert_eq!(
            outcome.sent,
            format!(
                "{SSH_LINE}\nyes\nsecret\n\nexport TMOUT=\"2678400\"\n\nexport PS1='remote$ '\n"
            )
        );
    }
}

#[test]
fn ssh_without_its_shell_prompt_cannot_verify_but_still_fails_on_known_errors() {
    // Built without the shell's prompt, the command cannot tell the shells apart; a known
    // failure still ends it when the (generic) prompt returns.
    let spec = ssh(REMOTE, None);
    let turns = [
        &format!("{SSH_LINE}\r\n")[..],
        "ssh: connect to host 127.0.0.1 port 2222: Connection refused\r\nmoler_bash# ",
    ];
    let outcome = play(|| spec.command(), &turns);
    assert_eq!(failure(&outcome), "ssh: connect to host 127.0.0.1 port 2222: Connection refused");
    assert_eq!(outcome.sent, format!("{SSH_LINE}\n"));
}

#[test]
fn ssh_opening_a_tunnel_ends_at_its_start_prompt() {
    // `expected_prompt` written as the start prompt: ssh stays in this shell (`-f -N`).
    let spec = Ssh::new("", "", "secret", LOCAL)
        .with("suffix", "-f -N -L 2222:target:22 user@proxy")
        .unwrap()
        .with("set_timeout", serde_json::Value::Null)
        .unwrap();
    let line = spec.command_line().unwrap();
    let turns = [&format!("{line}\r\nuser@proxy's password: ")[..], "\r\nmoler_bash# "];
    let outcome = play(|| spec.command_with_prompt(LOCAL), &turns);
    assert!(outcome.result.is_ok(), "{outcome:?}");
}

// --- telnet ------------------------------------------------------------------------------------

#[test]
fn telnet_refused_fails_and_sends_nothing_more() {
    let line = "telnet: Unable to connect to remote host: Connection refused";
    for (expected, both) in [(REMOTE, ""), (GENERIC, BOTH)] {
        let spec = Telnet::new("127.0.0.1", 2323, expected).with("login", "user").unwrap();
        let command_line = spec.command_line().unwrap();
        let turns =
            [&format!("{command_line}\r\nTrying 127.0.0.1...\r\n{line}\r\nmoler_bash# ")[..]];
        let outcome = play(|| spec.command_with_prompt(LOCAL), &turns);
        assert_eq!(
            failure(&outcome),
            format!("{line} (back at the start prompt \"moler_bash#\"){both}")
        );
        assert_eq!(outcome.sent, format!("{command_line}\n"));
    }
}

// --- sudo and su -------------------------------------------------------------------------------

/// The user's shell on the remote host.
const USER: &str = r"^user@remote:~\$\s*$";
const ROOT: &str = r"^root@remote:.*#\s*$";

fn sudo(params: &str, expected: &str) -> Sudo {
    Sudo {
        sudo_params: Some(params.into()),
        expected_prompt: Some(expected.into()),
        set_timeout: Some(r#"export TMOUT="2678400""#.into()),
        ..Sudo::new().password("secret")
    }
}

#[test]
fn sudo_to_an_unknown_user_fails_and_sends_nothing_more() {
    for said in ["sudo: unknown user nosuchuser", "sudo: unknown user: nosuchuser"] {
        for (expected, both) in [(ROOT, ""), (GENERIC, BOTH)] {
            let spec = sudo("-s -u nosuchuser", expected);
            let turns = [&format!(
                "sudo -s -u nosuchuser\r\n{said}\r\nsudo: error initializing audit plugin \
                 sudoers_audit\r\nuser@remote:~$ "
            )[..]];
            let outcome = play(|| spec.command_with_prompt(USER), &turns);
            assert_eq!(
                failure(&outcome),
                format!("{said} (back at the start prompt \"user@remote:~$\"){both}")
            );
            assert_eq!(outcome.sent, "sudo -s -u nosuchuser\n");
        }
    }
}

#[test]
fn sudo_shell_whose_start_prompt_comes_back_fails_even_without_a_known_error() {
    // A password taken, then the same shell again (a policy that closes the shell at once).
    let spec = sudo("-s", GENERIC);
    let turns = ["sudo -s\r\n[sudo] password for user: ", "\r\nuser@remote:~$ "];
    let outcome = play(|| spec.command_with_prompt(USER), &turns);
    assert_eq!(
        failure(&outcome),
        format!("[sudo] password for user: (back at the start prompt \"user@remote:~$\"){BOTH}")
    );
    assert_eq!(outcome.sent, "sudo -s\nsecret\n", "no settings for the old shell");
}

#[test]
fn sudo_shell_with_password_succeeds() {
    let turns = [
        "sudo -s\r\n[sudo] password for user: ",
        "\r\nroot@remote:/home/user# ",
        "\r\nroot@remote:/home/user# export TMOUT=\"2678400\"\r\nroot@remote:/home/user# ",
    ];
    for expected in [ROOT, GENERIC] {
        let spec = sudo("-s", expected);
        let outcome = play(|| spec.command_with_prompt(USER), &turns);
        assert_eq!(outcome.result, Ok("Object {}".to_owned()));
        assert_eq!(outcome.sent, "sudo -s\nsecret\n\nexport TMOUT=\"2678400\"\n");
    }
}

#[test]
fn sudo_with_an_embedded_command_ends_at_its_start_prompt() {
    let turns = ["sudo pwd\r\n[sudo] password for user: ", "\r\n/home/user\r\nuser@remote:~$ "];
    let typed = play(|| Sudo::new().password("secret").wrap(&Pwd::new(), Some(USER)), &turns);
    assert!(typed.result.as_ref().is_ok_and(|r| r.contains("/home/user")), "{typed:?}");
    assert_eq!(typed.sent, "sudo pwd\nsecret\n");
    let by_name = Sudo { cmd_class_name: Some("pwd".into()), ..Sudo::new().password("secret") };
    let outcome = play(|| by_name.command_with_prompt(USER), &turns);
    assert!(outcome.result.as_ref().is_ok_and(|r| r.contains("/home/user")), "{outcome:?}");
    assert_eq!(outcome.sent, "sudo pwd\nsecret\n");
}

/// A prompt of sudo's that is no regex fails the command at its start, naming it, also around a
/// typed command (before, it was read as text: the prompt after login could never be seen).
#[test]
fn sudo_s_bad_prompts_fail_at_the_start() {
    let bad = Sudo { prompt_after_login: Some("(oops".into()), ..Sudo::new().password("secret") };
    let mut conn = Connection::new("sudo");
    let done = conn.start(bad.wrap(&Pwd::new(), Some(USER)), Instant::now());
    let err = done.try_result().expect("failed at its start").unwrap_err().to_string();
    assert!(err.contains("sudo: invalid prompt_after_login regex \"(oops\""), "{err}");
    let bad = Sudo { expected_prompt: Some("(oops".into()), ..Sudo::new() };
    let err = bad.command_line().unwrap_err().to_string();
    assert!(err.contains("invalid expected_prompt regex"), "{err}");
}

/// A wrong password with more passwords given is no failure: sudo asks again ("Sorry, try
/// again.") and gets the next one. With none left, it fails at once, on sudo's own words, and
/// the next question gets Ctrl-C, not the same wrong password again.
#[test]
fn sudo_tries_its_next_password_after_a_wrong_one_and_fails_when_none_is_left() {
    let many = Passwords::Many(vec!["wrong".into(), "secret".into()]);
    let spec = Sudo { password: Some(many), ..sudo("-s", ROOT) };
    let turns = [
        "sudo -s\r\n[sudo] password for user: ",
        "\r\nSorry, try again.\r\n[sudo] password for user: ",
        "\r\nroot@remote:/home/user# ",
        "\r\nroot@remote:/home/user# export TMOUT=\"2678400\"\r\nroot@remote:/home/user# ",
    ];
    let outcome = play(|| spec.command_with_prompt(USER), &turns);
    assert_eq!(outcome.result, Ok("Object {}".to_owned()), "{outcome:?}");
    assert_eq!(outcome.sent, "sudo -s\nwrong\nsecret\n\nexport TMOUT=\"2678400\"\n");

    let spec = Sudo { password: Some("wrong".into()), ..sudo("-s", ROOT) };
    let turns = [
        "sudo -s\r\n[sudo] password for user: ",
        "\r\nSorry, try again.\r\n[sudo] password for user: ",
        "^C\r\nsudo: 1 incorrect password attempt\r\nuser@remote:~$ ",
    ];
    let outcome = play(|| spec.command_with_prompt(USER), &turns);
    assert_eq!(
        failure(&outcome),
        "wrong password: Sorry, try again. (back at the start prompt \"user@remote:~$\")"
    );
    assert_eq!(outcome.sent, "sudo -s\nwrong\n\u{3}");
}

/// A sudo shell that times out says why when its settings never went: they wait for the prompt
/// after login, which the new shell's prompt does not match; still at the password question,
/// its timeout has no such hint.
#[test]
fn sudo_that_times_out_before_its_settings_says_why() {
    let hint = |answer: &str| {
        let five = Duration::from_secs(5);
        let command = sudo("-s", ROOT).command_with_prompt(USER).timeout(five);
        let input = format!("sudo -s\r\n[sudo] password for user: {answer}");
        hint_after(command, &input, five).expect("timed out")
    };
    assert_eq!(
        hint("\r\nadmin@remote:~$ ").as_deref(),
        Some(
            r#"the settings not typed yet ("export TMOUT=\"2678400\"") wait for the prompt after login, and prompt_after_login (not given, so the expected prompt ^root@remote:.*#\s*$) does not match the prompt the shell shows, "admin@remote:~$ "; give prompt_after_login a regex of that prompt (such as '[$#>]\s*$')"#
        )
    );
    // Still at the password question: only the connection's own hint, about its last line.
    assert_eq!(
        hint("").as_deref(),
        Some(
            r#"the last line "[sudo] password for user: " looks like a prompt but does not match the prompt regex ^root@remote:.*#\s*$"#
        )
    );
}

/// By default sudo answers a further password question with its last password (Moler's
/// `repeat_password`, on for sudo), su does not: it fails, and Ctrl-C answers the question.
#[test]
fn sudo_repeats_its_password_by_default_and_su_does_not() {
    let turns = [
        "sudo -s\r\n[sudo] password for user: ",
        "\r\n[sudo] password for user: ",
        "\r\nroot@remote:/home/user# ",
        "\r\nroot@remote:/home/user# export TMOUT=\"2678400\"\r\nroot@remote:/home/user# ",
    ];
    let outcome = play(|| sudo("-s", ROOT).command_with_prompt(USER), &turns);
    assert_eq!(outcome.result, Ok("Object {}".to_owned()), "{outcome:?}");
    assert_eq!(outcome.sent, "sudo -s\nsecret\nsecret\n\nexport TMOUT=\"2678400\"\n");

    let spec =
        Su { password: Some("secret".into()), expected_prompt: Some(ROOT.into()), ..Su::default() };
    let turns = ["su\r\nPassword: ", "\r\nPassword: ", "^C\r\nuser@remote:~$ "];
    let outcome = play(|| spec.command_with_prompt(USER), &turns);
    assert_eq!(
        failure(&outcome),
        "a password was asked for but no (more) passwords were given (back at the start prompt \
         \"user@remote:~$\")"
    );
    assert_eq!(outcome.sent, "su\nsecret\n\u{3}");
}

/// A sudo or su parser in a log or an assertion's message says which it is.
#[test]
fn sudo_and_su_parsers_say_which_they_are() {
    assert_eq!(format!("{:?}", Sudo::new().parser()), "SudoParser { su: false, .. }");
    assert_eq!(format!("{:?}", Su::default().parser()), "SudoParser { su: true, .. }");
}

/// su takes one password: its "Authentication failure" fails it even with more passwords given
/// (su does not ask again), as a wrong password, not only as the start prompt coming back.
#[test]
fn su_fails_on_a_wrong_password_even_with_more_given() {
    let spec = Su {
        password: Some(Passwords::Many(vec!["wrong".into(), "secret".into()])),
        expected_prompt: Some(ROOT.into()),
        ..Su::default()
    };
    let turns = ["su\r\nPassword: ", "\r\nsu: Authentication failure\r\nuser@remote:~$ "];
    let outcome = play(|| spec.command_with_prompt(USER), &turns);
    assert_eq!(
        failure(&outcome),
        "wrong password: su: Authentication failure (back at the start prompt \"user@remote:~$\")"
    );
    assert_eq!(outcome.sent, "su\nwrong\n");
}

#[test]
fn su_to_a_missing_user_fails_and_sends_nothing_more() {
    for said in [
        "su: user nosuchuser does not exist",
        "su: user nosuchuser does not exist or the user entry does not contain all the required \
         fields",
    ] {
        for (expected, both) in [(r"^nosuchuser@remote:~\$\s*$", ""), (GENERIC, BOTH)] {
            let spec = Su {
                login: Some("nosuchuser".into()),
                options: Some("-".into()),
                password: Some("secret".into()),
                expected_prompt: Some(expected.into()),
                set_prompt: Some("export PS1='su$ '".into()),
                ..Su::default()
            };
            let turns = [&format!("su - nosuchuser\r\n{said}\r\nuser@remote:~$ ")[..]];
            let outcome = play(|| spec.command_with_prompt(USER), &turns);
            assert_eq!(
                failure(&outcome),
                format!("{said} (back at the start prompt \"user@remote:~$\"){both}")
            );
            assert_eq!(outcome.sent, "su - nosuchuser\n");
        }
    }
}

#[test]
fn su_succeeds() {
    let spec =
        Su { password: Some("secret".into()), expected_prompt: Some(ROOT.into()), ..Su::default() };
    let turns = ["su\r\nPassword: ", "\r\nroot@remote:/home/user# "];
    let outcome = play(|| spec.command_with_prompt(USER), &turns);
    assert_eq!(outcome.result, Ok("Object {}".to_owned()));
    assert_eq!(outcome.sent, "su\nsecret\n");
}

/// `su`'s own settings reach its dialog: with `repeat_password`, a second password question is
/// answered too (su's default is not to); `set_timeout` and `set_prompt` are sent at the new
/// shell's first prompt, and it ends at the prompt `set_prompt` made; `target_newline` ends
/// the password.
#[test]
fn su_repeats_its_password_when_asked_and_sends_its_settings() {
    let spec = Su {
        password: Some("secret".into()),
        expected_prompt: Some(r"^su\$\s*$".into()),
        prompt_after_login: Some(ROOT.into()),
        set_timeout: Some("export TMOUT=\"2678400\"".into()),
        set_prompt: Some("export PS1='su$ '".into()),
        repeat_password: Some(true),
        ..Su::default()
    };
    let turns = [
        "su\r\nPassword: ",
        "\r\nPassword: ",
        "\r\nroot@remote:/home/user# ",
        "\r\nroot@remote:/home/user# export TMOUT=\"2678400\"\r\nroot@remote:/home/user# ",
        "\r\nroot@remote:/home/user# export PS1='su$ '\r\nsu$ ",
    ];
    let outcome = play(|| spec.command_with_prompt(USER), &turns);
    assert_eq!(outcome.result, Ok("Object {}".to_owned()), "{outcome:?}");
    assert_eq!(
        outcome.sent,
        "su\nsecret\nsecret\n\nexport TMOUT=\"2678400\"\n\nexport PS1='su$ '\n"
    );
    // `target_newline`: what ends the password.
    let spec = Su {
        password: Some("secret".into()),
        expected_prompt: Some(ROOT.into()),
        target_newline: Some("\r".into()),
        ..Su::default()
    };
    let turns = ["su\r\nPassword: ", "\r\nroot@remote:/home/user# "];
    let outcome = play(|| spec.command_with_prompt(USER), &turns);
    assert_eq!(outcome.result, Ok("Object {}".to_owned()), "{outcome:?}");
    assert_eq!(outcome.sent, "su\nsecret\r");
}

#[test]
fn su_with_a_wrong_password_fails_at_its_start_prompt() {
    let spec = Su {
        password: Some("wrong".into()),
        expected_prompt: Some(GENERIC.into()),
        ..Su::default()
    };
    let turns = ["su\r\nPassword: ", "\r\nsu: Authentication failure\r\nuser@remote:~$ "];
    let outcome = play(|| spec.command_with_prompt(USER), &turns);
    assert_eq!(
        failure(&outcome),
        format!(
            "wrong password: su: Authentication failure (back at the start prompt \
             \"user@remote:~$\"){BOTH}"
        )
    );
    assert_eq!(outcome.sent, "su\nwrong\n");
}

// --- exit --------------------------------------------------------------------------------------

#[test]
fn exit_that_comes_back_to_its_start_prompt_fails() {
    for (expected, both) in [(USER, ""), (GENERIC, BOTH)] {
        let exit = Exit::new(expected);
        let turns = ["exit\r\nThere are stopped jobs.\r\nroot@remote:/home/user# "];
        let outcome = play(|| exit.command_with_prompt(ROOT), &turns);
        assert_eq!(
            failure(&outcome),
            format!(
                "There are stopped jobs. (back at the start prompt \"root@remote:/home/user#\"){both}"
            )
        );
        assert_eq!(outcome.sent, "exit\n");
    }
}

#[test]
fn exit_succeeds() {
    let turns = ["exit\r\nlogout\r\nuser@remote:~$ "];
    let outcome = play(|| Exit::new(USER).command_with_prompt(ROOT), &turns);
    assert_eq!(outcome.result, Ok("Empty".to_owned()));
    let outcome = play(
        || Exit::new(LOCAL).command_with_prompt(USER),
        &["exit\r\nlogout\r\nConnection to 127.0.0.1 closed.\r\nmoler_bash# "],
    );
    assert_eq!(outcome.result, Ok("Empty".to_owned()));
}

/// Moler's parameters of `exit`, as a device config gives them; refused with a line end
/// after the prompt when Moler's `allowed_newline_after_prompt: false` says so.
#[test]
fn exit_takes_molers_parameters() {
    let registry = moler_commands::Registry::default();
    let params = serde_json::json!({"expected_prompt": USER, "target_newline": "\r\n",
        "start_command_immediately": true, "allowed_newline_after_prompt": false});
    let exit = registry.command_for_prompt("exit", &params, Some(ROOT)).unwrap();
    let mut conn = Connection::new("exit");
    let done = conn.start(exit, Instant::now());
    conn.handle_input(b"exit\r\nlogout\r\nuser@remote:~$ \r\n", Instant::now());
    assert!(!done.is_done(), "a prompt line that ended is not the prompt");
    conn.handle_input(b"user@remote:~$ ", Instant::now());
    assert!(done.try_result().unwrap().is_ok());
    let e = registry
        .command(
            "exit",
            &serde_json::json!({"expected_prompt": "x", "allowed_newline_after_prompt": "no"}),
        )
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.starts_with(
            "exit: parameter `allowed_newline_after_prompt`: invalid type: string \"no\", \
             expected a boolean"
        ),
        "{e}"
    );
    // A prompt that is no regex is refused when the command is made.
    let e = registry.command("exit", &serde_json::json!({"expected_prompt": "root(#"}));
    let e = e.err().expect("refused").to_string();
    // Named as given (before: "invalid prompt regex", as if the shell's prompt were wrong).
    assert!(e.starts_with("exit: invalid expected_prompt regex \"root(#\""), "{e}");
}

// --- telnet's own commands ---------------------------------------------------------------------

/// PduAten's hop in Moler: `unset binary` at the client's prompt, then `open host port`.
#[test]
fn telnet_commands_before_the_connection_go_at_the_clients_prompt() {
    let spec = Telnet::new("10.0.0.5", 23, r"^>")
        .with("cmds_before_establish_connection", ["unset binary"])
        .unwrap()
        .with("login", "teladmin")
        .unwrap()
        .with("password", "telpwd")
        .unwrap()
        .with("set_timeout", ())
        .unwrap()
        .with("target_newline", "\r\n")
        .unwrap();
    assert_eq!(spec.command_line().unwrap(), "TERM=xterm-mono telnet");
    let turns = [
        "TERM=xterm-mono telnet\r\ntelnet> ",
        "unset binary\r\nDon't try to negotiate binary mode on output.\r\ntelnet> ",
        "open 10.0.0.5 23\r\nTrying 10.0.0.5...\r\nConnected to 10.0.0.5.\r\nLogin: ",
        "teladmin\r\nPassword: ",
        "\r\n> ",
    ];
    let outcome = play(|| spec.command_with_prompt(LOCAL), &turns);
    assert!(outcome.result.is_ok(), "{outcome:?}");
    assert_eq!(
        outcome.sent,
        "TERM=xterm-mono telnet\nunset binary\nopen 10.0.0.5 23\nteladmin\r\ntelpwd\r\n"
    );
    // A generic expected prompt matches `telnet> ` too: not the end before the connection.
    let generic = spec.with("expected_prompt", GENERIC).unwrap();
    let again = play(|| generic.command_with_prompt(LOCAL), &turns);
    assert_eq!(again, outcome);
}

#[test]
fn telnet_commands_after_the_connection_go_after_ctrl_bracket() {
    let spec = Telnet::new("10.0.0.5", 0, r"^>")
        .with("cmds_after_establish_connection", ["mode character"])
        .unwrap()
        .with("set_timeout", ())
        .unwrap();
    assert_eq!(spec.command_line().unwrap(), "TERM=xterm-mono telnet 10.0.0.5");
    let turns = [
        "TERM=xterm-mono telnet 10.0.0.5\r\nConnected to 10.0.0.5.\r\n> ",
        "\r\ntelnet> ",
        "mode character\r\ntelnet> ",
        "\r\n\r\n> ",
    ];
    let outcome = play(|| spec.command_with_prompt(LOCAL), &turns);
    assert!(outcome.result.is_ok(), "{outcome:?}");
    assert_eq!(
        outcome.sent, "TERM=xterm-mono telnet 10.0.0.5\n\x1dmode character\n\n\n",
        "Ctrl-], the command, then the target newline back to the session"
    );
    // With a setting: it goes to the session first, then Ctrl-].
    let spec = spec.with("set_prompt", "PS1='> '").unwrap();
    let turns = [
        "TERM=xterm-mono telnet 10.0.0.5\r\nConnected to 10.0.0.5.\r\n> ",
        "\r\n> PS1='> '\r\n> ",
        "\r\ntelnet> ",
        "mode character\r\ntelnet> ",
        "\r\n\r\n> ",
    ];
    let outcome = play(|| spec.command_with_prompt(LOCAL), &turns);
    assert!(outcome.result.is_ok(), "{outcome:?}");
    assert_eq!(
        outcome.sent,
        "TERM=xterm-mono telnet 10.0.0.5\n\nPS1='> '\n\x1dmode character\n\n\n"
    );
    let bad = Telnet::new("h", 0, "^>").with("telnet_prompt", "(").unwrap();
    let e = bad.command_line().unwrap_err().to_string();
    assert!(e.contains("telnet_prompt"), "{e}");
}

/// Moler's defaults of telnet, as a config gives its parameters: it ends at `^>\s*` (a PDU's
/// prompt), waits 90 s, as a login does, and its timeout names the prompt it waited for.
#[test]
fn telnet_from_molers_parameters_ends_at_its_default_prompt_and_waits_as_a_login() {
    let params = serde_json::json!({"host": "10.0.0.5", "set_timeout": null});
    let spec: Telnet = serde_json::from_value(params).unwrap();
    let make = || spec.command_with_prompt(LOCAL);
    let turns = ["TERM=xterm-mono telnet 10.0.0.5\r\nConnected to 10.0.0.5.\r\n> "];
    let outcome = play(make, &turns);
    assert!(outcome.result.is_ok(), "{outcome:?}");
    assert_eq!(outcome.sent, "TERM=xterm-mono telnet 10.0.0.5\n");

    let input = "TERM=xterm-mono telnet 10.0.0.5\r\nConnected to 10.0.0.5.\r\nadmin$ ";
    let hint = |secs| hint_after(make(), input, Duration::from_secs(secs));
    assert_eq!(hint(89), None, "a login's 90 s, not the generic 20 s");
    assert_eq!(
        hint(90).expect("timed out").as_deref(),
        Some(
            r#"the last line "admin$ " looks like a prompt but does not match the prompt regex ^>\s*"#
        )
    );
}

// --- ssh: more of its dialog --------------------------------------------------------------------

/// Plays `turns` to `spec` run from the local shell: it must log in; what it sent.
fn logs_in<T: UnixCommand>(spec: &T, turns: &[&str]) -> String
where
    <T::Parser as Parser>::Output: std::fmt::Debug,
{
    let outcome = play(|| spec.command_with_prompt(LOCAL), turns);
    assert!(outcome.result.is_ok(), "{outcome:?}");
    outcome.sent
}

/// "Permission denied, please try again." with another password given is no failure: the next
/// password goes to the next question.
#[test]
fn ssh_tries_its_next_password_after_a_wrong_one() {
    let turns = [
        &format!("{SSH_LINE}\r\n")[..],
        "user@127.0.0.1's password: ",
        "\r\nPermission denied, please try again.\r\nuser@127.0.0.1's password: ",
        "\r\nuser@remote:~$ ",
        "\r\nuser@remote:~$ export TMOUT=\"2678400\"\r\nuser@remote:~$ ",
    ];
    let spec = ssh(REMOTE, None).with("password", ["wrong", "secret"]).unwrap();
    assert_eq!(
        logs_in(&spec, &turns),
        format!("{SSH_LINE}\nwrong\nsecret\n\nexport TMOUT=\"2678400\"\n")
    );
}

/// "Permission denied" that is not one of the two the dialog handles (a password to try again,
/// or publickey and password refused) is a failure: a host that takes keys only. It is the
/// failure, not merely the last line before the start prompt came back.
#[test]
fn ssh_permission_denied_for_keys_only_fails() {
    ssh_fails(
        "user@127.0.0.1: Permission denied (publickey).\r\n",
        "user@127.0.0.1: Permission denied (publickey).",
    );
    ssh_fails(
        "user@127.0.0.1: Permission denied (publickey).\r\nbye\r\n",
        "user@127.0.0.1: Permission denied (publickey).",
    );
}

/// What the hop reads when ssh refused after a changed host key (`denied`, back at the local
/// prompt): the `fix` typed and done, then ssh again, a login and its setting.
fn login_after_fix(denied: &str, fix: &str) -> Vec<String> {
    vec![
        format!("{SSH_LINE}\r\n"),
        denied.to_owned(),
        format!("{fix}\r\n/root/.ssh/known_hosts updated.\r\nmoler_bash# "),
        format!("{SSH_LINE}\r\nuser@127.0.0.1's password: "),
        "\r\nuser@remote:~$ ".to_owned(),
        "\r\nuser@remote:~$ export TMOUT=\"2678400\"\r\nuser@remote:~$ ".to_owned(),
    ]
}

/// A changed host key that made ssh refuse passwords ("Permission denied (publickey,password)")
/// with `known_hosts_on_failure: null`: Moler's default `permission_denied_key_pass_keyboard`
/// drops the host's key, and ssh runs again, once.
#[test]
fn ssh_refused_after_a_changed_host_key_drops_the_key_with_molers_default_and_retries() {
    let denied = "\
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n\
Add correct host key in /root/.ssh/known_hosts to get rid of this message.\r\n\
Password authentication is disabled to avoid man-in-the-middle attacks.\r\n\
user@127.0.0.1: Permission denied (publickey,password).\r\nmoler_bash# ";
    let keygen = r#"ssh-keygen -f "~/.ssh/known_hosts" -R "127.0.0.1""#;
    let turns = login_after_fix(denied, keygen);
    let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
    let spec = ssh(REMOTE, None).with("known_hosts_on_failure", ()).unwrap();
    assert_eq!(
        logs_in(&spec, &turns),
        format!("{SSH_LINE}\n{keygen}\n{SSH_LINE}\nsecret\n\nexport TMOUT=\"2678400\"\n")
    );
}

/// Moler's default expected prompt of ssh, as a config gives its parameters: `>`.
#[test]
fn ssh_from_molers_parameters_ends_at_its_default_prompt() {
    let params = serde_json::json!({"host": "10.0.0.1", "login": "admin", "password": "secret",
        "set_timeout": null, "options": null});
    let spec: Ssh = serde_json::from_value(params).unwrap();
    let line = "TERM=xterm-mono ssh -l admin 10.0.0.1";
    let turns = [&format!("{line}\r\nadmin@10.0.0.1's password: ")[..], "\r\nrouter> "];
    assert_eq!(logs_in(&spec, &turns), format!("{line}\nsecret\n"));
}

/// A login script that asks the terminal's size (`resize`: the cursor to row and column 999,
/// then where it went) gets one line end, once, and the login goes on. As in Moler's
/// `resize_window` case, the question's escape characters are gone (with them, the connection
/// strips the whole question, as Moler's does, and there is nothing to answer).
#[test]
fn ssh_answers_a_terminal_size_question_once() {
    let turns = [
        &format!("{SSH_LINE}\r\nuser@127.0.0.1's password: ")[..],
        "\r\n7[r[999;999H[6n\r\n",
        "7[r[999;999H[6n\r\nuser@remote:~$ ",
        "\r\nuser@remote:~$ export TMOUT=\"2678400\"\r\nuser@remote:~$ ",
    ];
    let spec = ssh(REMOTE, None);
    assert_eq!(
        logs_in(&spec, &turns),
        format!("{SSH_LINE}\nsecret\n\n\nexport TMOUT=\"2678400\"\n")
    );
}

/// ssh's `id_dsa:` question (a key's passphrase, in Moler's `rm` case) gets an empty line,
/// once, however the question is cut into reads; the password question after it gets the
/// password.
#[test]
fn ssh_answers_an_id_dsa_question_with_an_empty_line() {
    let turns = [
        &format!("{SSH_LINE}\r\n")[..],
        "id_dsa:",
        "\r\nuser@127.0.0.1's password: ",
        "\r\nuser@remote:~$ ",
        "\r\nuser@remote:~$ export TMOUT=\"2678400\"\r\nuser@remote:~$ ",
    ];
    let spec = ssh(REMOTE, None);
    assert_eq!(
        logs_in(&spec, &turns),
        format!("{SSH_LINE}\n\nsecret\n\nexport TMOUT=\"2678400\"\n")
    );
}

/// Commands for the telnet client once connected go only at the client's own prompt after
/// Ctrl-]: a line of the session that looks like that prompt (a banner) gets none.
#[test]
fn telnet_commands_after_the_connection_wait_for_ctrl_bracket_even_at_a_look_alike() {
    let spec = Telnet::new("10.0.0.5", 0, r"^>")
        .with("cmds_after_establish_connection", ["mode character"])
        .unwrap()
        .with("set_timeout", ())
        .unwrap();
    let turns = [
        "TERM=xterm-mono telnet 10.0.0.5\r\nConnected to 10.0.0.5.\r\ntelnet> (the banner)\r\n> ",
        "\r\ntelnet> ",
        "mode character\r\ntelnet> ",
        "\r\n\r\n> ",
    ];
    assert_eq!(logs_in(&spec, &turns), "TERM=xterm-mono telnet 10.0.0.5\n\x1dmode character\n\n\n");
}

/// The `ssh-keygen` line ssh itself suggests after a changed host key is the fix it runs
/// (Moler's `allow_override_denied_key_pass_keyboard`, on by default), whole however the line
/// is cut into reads; with the override off, `permission_denied_key_pass_keyboard` is.
#[test]
fn ssh_takes_the_keygen_line_ssh_suggests_unless_told_not_to() {
    let denied = "\
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n\
Add correct host key in /root/.ssh/known_hosts to get rid of this message.\r\n\
Offending ED25519 key in /root/.ssh/known_hosts:3\r\n\
  remove with:\r\n\
  ssh-keygen -f '/root/.ssh/known_hosts' -R '[127.0.0.1]:2222'\r\n\
Password authentication is disabled to avoid man-in-the-middle attacks.\r\n\
user@127.0.0.1: Permission denied (publickey,password).\r\nmoler_bash# ";
    let suggested = "ssh-keygen -f '/root/.ssh/known_hosts' -R '[127.0.0.1]:2222'";
    let default = r#"ssh-keygen -f "~/.ssh/known_hosts" -R "127.0.0.1""#;
    for (allow, fix) in [(true, suggested), (false, default)] {
        let turns = login_after_fix(denied, fix);
        let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
        let spec = ssh(REMOTE, None)
            .with("known_hosts_on_failure", ())
            .unwrap()
            .with("allow_override_denied_key_pass_keyboard", allow)
            .unwrap();
        assert_eq!(
            logs_in(&spec, &turns),
            format!("{SSH_LINE}\n{fix}\n{SSH_LINE}\nsecret\n\nexport TMOUT=\"2678400\"\n"),
            "override {allow}"
        );
    }
}
