//! Every command gets a timeout that fits it (issue 19): the generic 20 s, a login's 90 s, and
//! a ping's from its own `-c`/`-i`/`-W`/`-w`, on the built command, typed and by name.

use std::time::Duration;

use moler_commands::unix::{Ls, Ping, Ssh, Sudo};
use moler_commands::{Registry, UnixCommand};
use moler_core::{Observer, DEFAULT_COMMAND_TIMEOUT};
use serde_json::json;

/// The timeout a built command will have ([`Observer::timeout`]; `Command::timeout` sets one).
trait ObserverTimeout {
    fn observer_timeout(&self) -> Option<Duration>;
}

impl<O: Observer> ObserverTimeout for O {
    fn observer_timeout(&self) -> Option<Duration> {
        Observer::timeout(self)
    }
}

fn secs(s: f64) -> Option<Duration> {
    Some(Duration::from_secs_f64(s))
}

fn ping_timeout(options: &str) -> Option<Duration> {
    Ping::new("10.0.0.1").options(options).command().observer_timeout()
}

#[test]
fn a_ping_times_out_after_what_its_options_make_it_last() {
    // 100 packets 1 s apart, 10 s for the last replies, 10 s of slack.
    assert_eq!(ping_timeout("-c 100"), secs(120.0));
    assert_eq!(ping_timeout("-c100"), secs(120.0), "glued value");
    assert_eq!(ping_timeout("-q -c 100 -i 0.5"), secs(70.0));
    assert_eq!(ping_timeout("-qc 100 -i0.5 -W 2"), secs(62.0), "grouped flags");
    assert_eq!(ping_timeout("-s 100 -c 50"), secs(70.0), "-s takes a value: not a count");
    // A deadline ends it first; the floor is the generic timeout.
    assert_eq!(ping_timeout("-c 100 -w 60"), secs(70.0));
    assert_eq!(ping_timeout("-w 2"), Some(DEFAULT_COMMAND_TIMEOUT));
    assert_eq!(ping_timeout("-c 3"), secs(23.0));
    // It never ends by itself (or the count is no number): the generic timeout.
    assert_eq!(ping_timeout(""), Some(DEFAULT_COMMAND_TIMEOUT));
    assert_eq!(ping_timeout("-c many"), Some(DEFAULT_COMMAND_TIMEOUT));
    // A negative or endless value says nothing (ping itself refuses it).
    assert_eq!(ping_timeout("-c 100 -w -5"), secs(120.0));
    assert_eq!(ping_timeout("-c 100 -w inf"), secs(120.0));
    assert_eq!(ping_timeout("-c -3"), Some(DEFAULT_COMMAND_TIMEOUT));
    // A long option is not short ones grouped: `--w=20` is no deadline.
    assert_eq!(ping_timeout("-c 100 --w=20"), secs(120.0));
    // `-c=5` as some scripts write it; the value of `-W` glued too.
    assert_eq!(ping_timeout("-c=5 -W1"), secs(20.0));
    assert_eq!(Ping::new("10.0.0.1").options("-c=5 -W1").expected_duration(), secs(6.0));
    assert_eq!(Ping::new("10.0.0.1").options("-c 100").expected_duration(), secs(110.0));
}

#[test]
fn each_family_has_its_default_and_a_given_timeout_wins() {
    assert_eq!(Ls::new().command().observer_timeout(), Some(DEFAULT_COMMAND_TIMEOUT));
    assert_eq!(Sudo::new().command().observer_timeout(), Some(DEFAULT_COMMAND_TIMEOUT));
    let ssh = Ssh::new("h", "u", "p", "h#");
    assert_eq!(ssh.command().observer_timeout(), secs(90.0));
    assert_eq!(ssh.default_timeout(), Duration::from_secs(90));

    // By name: the same defaults, and the `timeout` parameter over them.
    let registry = Registry::default();
    let by_name =
        |params| registry.command_for_prompt("ping", &params, None).unwrap().observer_timeout();
    assert_eq!(by_name(json!({"destination": "10.0.0.1", "options": "-c 100"})), secs(120.0));
    let given = json!({"destination": "10.0.0.1", "options": "-c 100", "timeout": 5});
    assert_eq!(by_name(given), secs(5.0));
}
