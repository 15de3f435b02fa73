//! Publishers (Moler's `Publisher`) on every runner: a real ping in a real bash publishes each
//! reply as it comes to several subscribers (a blocking iterator, a callback, one that panics,
//! one dropped), and an event's occurrences go the same way; async code reads them as a stream.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moler::commands::unix::{Ping, PingReply};
use moler::prelude::*;
use moler::Publisher;
use moler_testkit::{on_every_runner, Rig};

const WAIT: Duration = Duration::from_secs(30);

on_every_runner!(
    a_ping_publishes_each_reply_while_it_runs,
    an_events_occurrences_go_to_every_subscriber
);

fn a_ping_publishes_each_reply_while_it_runs(rig: &Rig) {
    if !moler_testkit::require_tools(&["ping"]) {
        return;
    }
    let shell = rig.shell();
    let replies: Publisher<PingReply> = Publisher::new();
    let iter_side = replies.subscribe();
    let dropped = replies.subscribe();
    drop(dropped);
    let counted = Arc::new(Mutex::new(Vec::new()));
    let c2 = Arc::clone(&counted);
    replies.on_record(move |r| c2.lock().unwrap().push(r.icmp_seq));
    replies.on_record(|_| panic!("a subscriber's own bug"));
    let ping = Ping::new("127.0.0.1").options("-c 3 -i 0.3").replies(&replies);
    drop(replies); // not needed: the ping's end ends the subscriptions
    let started = Instant::now();
    let done = shell.start(ping.build(Some(LOCAL_PROMPT)));
    let first = iter_side.next_timeout(WAIT).expect("a reply");
    let first_after = started.elapsed();
    assert_eq!(first.icmp_seq, 1);
    assert_eq!(first.from, "127.0.0.1");
    assert!(first.time_seconds.is_some_and(|t| t < 1.0), "{first:?}");
    assert!(!done.is_done(), "the first reply came while the ping ran ({first_after:?})");
    let rest: Vec<u64> = iter_side.blocking_iter().map(|r| r.icmp_seq).collect();
    assert_eq!(rest, [2, 3], "the iterator ends with the ping");
    let stats = done.wait(WAIT).unwrap();
    assert_eq!(stats.packets_received, 3);
    assert_eq!(*counted.lock().unwrap(), [1, 2, 3], "the panicking subscriber disturbed nothing");
}

fn an_events_occurrences_go_to_every_subscriber(rig: &Rig) {
    let shell = rig.shell();
    let mut event = Wait4::new([r"^tick (\d)$"]).unwrap().till_occurs_times(3);
    let a = event.occurrences();
    let b = event.occurrences();
    let seen = Arc::new(Mutex::new(0));
    let s2 = Arc::clone(&seen);
    let event =
        event.on_occurrence(move |_| *s2.lock().unwrap() += 1).on_occurrence(|_| panic!("bug"));
    let done = shell.start(event);
    shell.run(Command::lines("for i in 1 2 3; do echo tick $i; done", LOCAL_PROMPT), WAIT).unwrap();
    assert_eq!(done.wait(WAIT).unwrap().len(), 3);
    let lines = |s: &moler::Occurrences| s.blocking_iter().map(|o| o.line).collect::<Vec<_>>();
    assert_eq!(lines(&a), ["tick 1", "tick 2", "tick 3"]);
    assert_eq!(lines(&b), ["tick 1", "tick 2", "tick 3"]);
    assert_eq!(*seen.lock().unwrap(), 3);
}

#[test]
fn async_code_reads_a_subscription_as_a_stream() {
    if !moler_testkit::require_tools(&["ping"]) {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let shell = moler::local_shell().unwrap();
        let replies: Publisher<PingReply> = Publisher::new();
        let stream = replies.subscribe();
        let ping = Ping::new("127.0.0.1").options("-c 2 -i 0.2").replies(&replies);
        drop(replies);
        let done = shell.start(ping.build(Some(LOCAL_PROMPT)));
        let mut seqs = Vec::new();
        while let Some(r) = stream.next().await {
            seqs.push(r.icmp_seq);
        }
        assert_eq!(seqs, [1, 2]);
        assert_eq!(done.await.unwrap().packets_received, 2);
    });
}
