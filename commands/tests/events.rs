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
    assert_eq!(r[1]["groups"][0], 2, "a number, as Moler converts it");
    let r = run(
        "wait4",
        json!({"detect_patterns": ["b", "a"], "match": "sequence", "till_occurs_times": 1}),
        &["a\n", "b\n", "a\n"],
    );
    assert_eq!(r.as_array().unwrap().len(), 1, "one cycle: {r}");
    assert_eq!((r[0][0]["line"].as_str(), r[0][1]["line"].as_str()), (Some("b"), Some("a")));
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
    let r = run("password_prompt", json!({}), &["Password: changed\n", "Password: "]);
    assert_eq!(r[0]["line"], "Password: ", "a message about a password is no question");
    let r = run("ping_no_response", json!({}), &["PING x\n", "Request timeout for icmp_seq 0\n"]);
    assert_eq!(
        (&r[0]["line"], &r[0]["groups"]),
        (&json!("Request timeout for icmp_seq 0"), &json!([]))
    );
}

#[test]
fn unknown_events_and_parameters_are_named() {
    let e =
        Registry::default().event("wait4prompt", &json!({"promt": "x"})).err().unwrap().to_string();
    assert!(
        e.contains("unknown parameter `promt` (did you mean `prompt`?)")
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

    let mut r =
        run("last_login", json!({}), &["Last login: Tue Jun 12 08:54:44 2018 from 127.0.0.1\n"]);
    let want = json!({"host": "127.0.0.1", "date_raw": "Tue Jun 12 08:54:44 2018", "date": "2018-06-12T08:54:44"});
    assert!(r[0]["time"].is_string(), "{r}");
    r[0].as_object_mut().unwrap().remove("time");
    assert_eq!(r[0], want);
    let mut r = run(
        "last_failed_login",
        json!({}),
        &[
            "Last login: Mon Jun 11 08:54:44 2018 from 10.0.0.1\n",
            "Last failed login: Tue Jun 12 08:54:44 2018 from 127.0.0.1\n",
        ],
    );
    r[0].as_object_mut().unwrap().remove("time");
    assert_eq!(r, json!([want]), "only the failed one");
    let r = run("last_login", json!({}), &["Last login: Thu Nov 23 10:78:16 2017 from h\n"]);
    assert_eq!(r[0]["date"], Value::Null, "an impossible time is not a date");
}

#[test]
fn wait4prompts_reports_what_matched_and_every_prompt_of_a_line_when_asked() {
    let prompts = json!({"^user@host:~\\$ $": "UNIX_REMOTE", "host:~\\$": "ANY_HOST", "moler_bash#": "UNIX_LOCAL"});
    let r = run(
        "wait4prompts",
        json!({"prompts": prompts.clone(), "till_occurs_times": 1}),
        &["user@host:~$ "],
    );
    // Tried in the order of the regexes' text ("^" sorts before "h"): the first one wins.
    assert_eq!(r[0]["state"], "UNIX_REMOTE");
    assert_eq!(r[0]["matched"], "user@host:~$ ");
    assert!(r[0].get("list_matched").is_none(), "{r}");
    let r = run(
        "wait4prompts",
        json!({"prompts": prompts, "till_occurs_times": 1, "check_against_all_prompts": true}),
        &["user@host:~$ "],
    );
    let listed: Vec<&str> = r[0]["list_matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["UNIX_REMOTE", "ANY_HOST"]);
    // As Moler: the occurrence is the last prompt that matched, with the list.
    assert_eq!((&r[0]["state"], &r[0]["matched"]), (&json!("ANY_HOST"), &json!("host:~$")));
}

#[test]
fn wait4prompts_reports_every_prompt_of_a_chunk_in_order() {
    let prompts = json!({"^a> $": "A", "^b> $": "B"});
    let r = run(
        "wait4prompts",
        json!({"prompts": prompts, "till_occurs_times": 3}),
        &["a> \nb> \na> "],
    );
    let states: Vec<&str> =
        r.as_array().unwrap().iter().map(|p| p["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["A", "B", "A"]);
}

/// Without `till_occurs_times`, `wait4prompts` (as devices use it), `wait4` and the generic
/// line events run until cancelled (Moler's default, -1), each occurrence to their callbacks.
#[test]
fn events_run_until_cancelled_by_default() {
    let prompts: &[u8] = b"a> \na> \na> ";
    let mut cases = vec![(
        "wait4prompts",
        json!({"prompts": {"^a> $": "A"}}),
        prompts,
        "state",
        json!(["A", "A", "A"]),
    )];
    for name in [
        "wait4",
        "genericunix_lineevent",
        "genericshared_lineevent",
        "genericjuniper_lineevent",
        "genericjuniper_ex_lineevent",
        "genericscpi_lineevent",
    ] {
        let alarms = json!({"detect_patterns": ["ALARM (\\d+)"]});
        let lines: &[u8] = b"ALARM 1\nALARM 2\nALARM 3\n";
        cases.push((name, alarms, lines, "groups", json!([[1], [2], [3]])));
    }
    for (name, params, input, key, want) in cases {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let event = Registry::default()
            .event_with(name, &params, move |o| log.lock().unwrap().push(o[key].clone()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut conn = Connection::new("events");
        let done = conn.start(event, Instant::now());
        conn.handle_input(input, Instant::now());
        assert!(done.try_result().is_none(), "{name}: still watching");
        assert_eq!(Value::from(seen.lock().unwrap().clone()), want, "{name}");
    }
}

#[test]
fn wait4prompts_prompts_change_while_it_runs() {
    use moler_commands::events::Wait4Prompts;
    let spec = Wait4Prompts {
        prompts: [("^old> $".to_owned(), "OLD".to_owned())].into(),
        till_occurs_times: Some(2),
        ..Default::default()
    };
    let (event, change) = spec.event_with_change().unwrap();
    let mut conn = Connection::new("prompts");
    let done = conn.start(event, Instant::now());
    conn.handle_input(b"old> \n", Instant::now());
    let bad = change.change_prompts(&[("(".to_owned(), "X".to_owned())].into());
    assert!(bad.unwrap_err().to_string().contains("invalid regex"), "and nothing changes");
    change.change_prompts(&[("^new> $".to_owned(), "NEW".to_owned())].into()).unwrap();
    conn.handle_input(b"old> \nnew> ", Instant::now());
    let found = done.try_result().expect("two prompts").unwrap();
    let states: Vec<&str> = found.iter().map(|p| p.state.as_str()).collect();
    assert_eq!(states, ["OLD", "NEW"], "the old prompt is no longer one");
}

#[test]
fn occurrence_callbacks_of_events_made_by_name() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let registry = Registry::default();
    let event = registry
        .event_with("u_boot_crtm", &json!({"till_occurs_times": -1}), move |o| {
            log.lock().unwrap().push(o["CPLD_sjmpr"].clone())
        })
        .unwrap();
    let mut conn = Connection::new("boots");
    let h = conn.start(event, Instant::now());
    for boot in ["0x00", "0x01"] {
        let text = format!("U-Boot CRTM 2013\n[CPLD] Version = 1\n[CPLD] SJMPR = {boot}\n");
        conn.handle_input(text.as_bytes(), Instant::now());
    }
    assert_eq!(*seen.lock().unwrap(), [" 0x00", " 0x01"], "one call per boot, as it ends");
    assert!(!h.is_done(), "-1: until cancelled");
    h.cancel();

    let mut custom = Registry::default();
    custom.register_event_fn("mine", &[], |_| Err("never built".into()));
    let e = custom.event_with("mine", &json!({}), |_| {}).err().unwrap().to_string();
    assert!(e.contains("takes no occurrence callback"), "{e}");
    let e = registry.event_with("wait4promt", &json!({}), |_| {}).err().unwrap().to_string();
    assert!(e.contains("did you mean 'wait4prompt'"), "{e}");
}

#[test]
fn unix_line_events_read_text_without_escape_codes_but_juniper_ones_keep_them() {
    let params = json!({"detect_patterns": ["^ok$"], "till_occurs_times": 1});
    for name in ["genericunix_lineevent", "genericshared_lineevent", "wait4"] {
        let r = run(name, params.clone(), &["\x1b[01;3", "2mok\x1b[0m\n"]);
        assert_eq!(r[0]["line"], "ok", "{name}");
    }
    let event = Registry::default().event("genericjuniper_lineevent", &params).unwrap();
    let mut conn = Connection::new("juniper");
    let done = conn.start(event, Instant::now());
    conn.handle_input(b"\x1b[01;32mok\x1b[0m\n", Instant::now());
    assert!(!done.is_done(), "Moler's Juniper line event reads lines as they come");
}

#[test]
fn whole_line_events_wait_for_the_line_end() {
    let event = Registry::default().event("shutdown", &json!({})).unwrap();
    let mut conn = Connection::new("shutdown");
    let done = conn.start(event, Instant::now());
    conn.handle_input(
        b"The system is going down for reboot at Tue 2019-03-19 12:1",
        Instant::now(),
    );
    assert!(!done.is_done(), "the line has not ended");
    conn.handle_input(b"5:16 CET!\n", Instant::now());
    assert_eq!(done.try_result().unwrap().unwrap()[0]["groups"][1], "Tue 2019-03-19 12:15:16 CET!");
    let r = run(
        "wait4",
        json!({"detect_patterns": ["^n=(\\d+)$"], "till_occurs_times": 1, "full_lines_only": true}),
        &["n=1", "2\n"],
    );
    assert_eq!(r[0]["groups"], json!([12]), "not the 1 of a cut line");
    let r = run(
        "wait4",
        json!({"detect_patterns": ["^login: $"], "till_occurs_times": 1}),
        &["login: "],
    );
    assert_eq!(r[0]["line"], "login: ", "Moler's wait4 reads the unfinished line");
}

#[test]
fn a_paused_event_made_by_name_misses_what_came_meanwhile() {
    let event = Registry::default()
        .event("wait4", &json!({"detect_patterns": ["^ALARM (\\d+)$"], "till_occurs_times": 2}))
        .unwrap();
    let mut conn = Connection::new("paused");
    let t = Instant::now();
    let done = conn.start(event, t);
    conn.handle_input(b"ALARM 1\n", t);
    done.pause();
    conn.handle_input(b"ALARM 2\n", t);
    done.resume();
    conn.handle_input(b"ALARM 3\n", t);
    let found = done.try_result().expect("two alarms").unwrap();
    assert_eq!((&found[0]["groups"][0], &found[1]["groups"][0]), (&json!(1), &json!(3)));
}

#[test]
fn typed_events_give_their_occurrences_in_a_queue_too() {
    use moler_commands::events::UBootCrtm;
    use moler_commands::UnixEvent;
    let mut event = UBootCrtm { till_occurs_times: Some(-1) }.event().unwrap();
    let queue = event.occurrences();
    let mut conn = Connection::new("queue");
    let t = Instant::now();
    let handle = conn.start(event, t);
    conn.handle_input(b"[CPLD] GPIR = 0x17\n[CPLD] SJMPR = 0x00\n", t);
    let seen = queue.try_next().expect("one boot");
    assert_eq!((seen.time, seen.cpld_gpir.as_deref()), (None, Some(" 0x17")), "no CRTM line");
    let json = serde_json::to_value(&seen).unwrap();
    assert!(json.get("time").is_none(), "no time where Moler has none: {json}");
    handle.cancel();
    conn.handle_requests(t);
    assert!(queue.try_next().is_none() && queue.is_ended());
}

#[test]
fn an_occurrence_is_timed_by_the_read_that_completed_it() {
    use moler_commands::events::{iso_utc, wall_clock, LastLoginEvent};
    use moler_commands::UnixEvent;
    use std::time::Duration;
    let mut conn = Connection::new("times");
    let t1 = Instant::now();
    let t2 = t1 + Duration::from_millis(1500);
    let done = conn.start(LastLoginEvent::default().event().unwrap(), t1);
    conn.handle_input(b"Last login: Tue Jun 12 08:54:44 2018 fr", t1);
    conn.handle_input(b"om 127.0.0.1\n", t2);
    let seen = done.try_result().unwrap().unwrap().remove(0);
    assert_eq!(seen.time, t2);
    let json = serde_json::to_value(&seen).unwrap();
    assert_eq!(json["time"], iso_utc(wall_clock(t2)));
    assert_ne!(json["time"], iso_utc(wall_clock(t1)));
}
