//! The library's events by name, fed text in pieces as a device sends it.

use std::time::Instant;

use moler_commands::Registry;
use moler_core::Connection;
use serde_json::{json, Value};

fn run(name: &str, params: Value, pieces: &[&str]) -> Value {
    let event = Registry::default().event(name, &params).unwrap_or_else(|e| panic!("{e}"));
    let mut conn = Connection::new("events");
    let done = conn.start(event, Instant::now());
    for p in pieces {
        conn.handle_input(p.as_bytes(), Instant::now());
    }
    done.try_result().unwrap_or_else(|| panic!("{name} did not finish")).unwrap()
}

#[test]
fn wait4_counts_and_modes() {
    let r = run(
        "wait4",
        json!({"detect_patterns": ["ALARM (\\d+)"], "till_occurs_times": 2}),
        &["x\nALARM 1\nnoise\nALA", "RM 2\n"],
    );
    assert_eq!(r[1]["groups"][0], "2");
    let r = run(
        "wait4",
        json!({"detect_patterns": ["b", "a"], "match": "sequence", "till_occurs_times": 1}),
        &["a\n", "b\n", "a\n"],
    );
    assert_eq!(r.as_array().unwrap().len(), 2, "{r}");
    let err =
        Registry::default().event("wait4", &json!({"detect_patterns": ["x"], "match": "some"}));
    assert!(err.err().unwrap().to_string().contains("any, all or sequence"));
}

#[test]
fn prompts_are_seen_without_a_line_end_and_map_to_states() {
    let r = run("wait4prompt", json!({"prompt": "^host:~ # $"}), &["output\nhost:~ # "]);
    assert_eq!(r[0]["line"], "host:~ # ");
    let prompts = json!({"prompts": {"^user@remote:~\\$ $": "UNIX_REMOTE", "^moler_bash# $": "UNIX_LOCAL"},
        "till_occurs_times": 2});
    let r = run("wait4prompts", prompts, &["ssh x\r\nuser@remote:~$ ", "exit\r\nmoler_bash# "]);
    assert_eq!(r[0]["state"], "UNIX_REMOTE");
    assert_eq!(r[1]["state"], "UNIX_LOCAL");
    assert_eq!(r[1]["prompt_regex"], "^moler_bash# $");
}

#[test]
fn ping_and_password_events() {
    let r = run(
        "ping_response",
        json!({}),
        &["PING 10.0.0.1 56(84)\n64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.1 ms\n"],
    );
    assert!(r[0]["line"].as_str().unwrap().contains("icmp_seq=1"));
    let r = run(
        "ping_no_response",
        json!({}),
        &["From 10.0.0.9 icmp_seq=1 Destination Host Unreachable\n"],
    );
    assert_eq!(r.as_array().unwrap().len(), 1);
    let r = run("password_prompt", json!({}), &["user@host's password: "]);
    assert_eq!(r[0]["line"], "user@host's password: ");
}

#[test]
fn unknown_events_and_parameters_are_named() {
    let e =
        Registry::default().event("wait4prompt", &json!({"promt": "x"})).err().unwrap().to_string();
    assert!(
        e.contains("unknown field `promt`")
            && e.contains("accepted parameters: prompt, till_occurs_times"),
        "{e}"
    );
    let e = Registry::default().event("wait4promt", &json!({})).err().unwrap().to_string();
    assert!(e.contains("did you mean 'wait4prompt'"), "{e}");
}

#[test]
fn logins_and_shutdowns() {
    let r = run(
        "shutdown",
        json!({}),
        &["\nThe system is going down for reboot at Tue 2019-03-19 12:15:16 CET!\n"],
    );
    assert_eq!(r[0]["groups"], json!(["reboot", "Tue 2019-03-19 12:15:16 CET!"]));
    assert_eq!(r[0]["matched"], "system is going down for reboot at Tue 2019-03-19 12:15:16 CET!");

    let line = "There were 2 failed login attempts since the last successful login.";
    let r = run(
        "failed_login_counter",
        json!({"till_occurs_times": 1}),
        &["noise\nThere were 2 fai", "led login attempts since the last successful login.\n"],
    );
    assert_eq!(r[0]["line"], line);
    assert_eq!((&r[0]["groups"], &r[0]["named_groups"]), (&json!([2]), &json!({"ATTEMPTS_NR": 2})));

    let r =
        run("last_login", json!({}), &["Last login: Tue Jun 12 08:54:44 2018 from 127.0.0.1\n"]);
    let want = json!({"host": "127.0.0.1", "date_raw": "Tue Jun 12 08:54:44 2018", "date": "2018-06-12T08:54:44"});
    assert_eq!(r[0], want);
    let r = run(
        "last_failed_login",
        json!({}),
        &[
            "Last login: Mon Jun 11 08:54:44 2018 from 10.0.0.1\n",
            "Last failed login: Tue Jun 12 08:54:44 2018 from 127.0.0.1\n",
        ],
    );
    assert_eq!(r, json!([want]), "only the failed one");
    let r = run("last_login", json!({}), &["Last login: Thu Nov 23 10:78:16 2017 from h\n"]);
    assert_eq!(r[0]["date"], Value::Null, "an impossible time is not a date");
}
