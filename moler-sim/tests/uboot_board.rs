//! The simulated board (devices/uboot_board.yml) in deterministic time: the autoboot
//! countdown stopped by a key, or left to boot Linux; the console login; reboots.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moler_sim::{Device, Session};

fn board() -> Arc<Device> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("devices/uboot_board.yml");
    Arc::new(Device::from_file(file).unwrap())
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap()
}

#[test]
fn a_key_stops_the_countdown_at_the_boot_loader() {
    let t0 = Instant::now();
    let mut s = Session::new(board(), t0);
    let out = text(s.take_output());
    assert!(out.contains("U-Boot 2023.04"), "{out}");
    assert!(out.ends_with("Hit any key to stop autoboot:  3 "), "{out:?}");
    assert_eq!(s.state(), "AUTOBOOT");
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(3)));
    // A key (not echoed, no Enter needed) a second later: U-Boot's prompt.
    let t1 = t0 + Duration::from_secs(1);
    assert_eq!(text(s.feed(b" ", t1)), "\r\n=> ");
    assert_eq!(s.state(), "UBOOT");
    assert_eq!(s.poll_timeout(), None, "no autoboot any more");
    assert_eq!(
        text(s.feed(b"printenv bootcmd\r", t1)),
        "printenv bootcmd\r\nbootcmd=run distro_bootcmd\r\n=> "
    );
    // `boot`: the kernel's log, then the console's login.
    let _ = s.feed(b"boot\r", t1);
    let out = text(s.handle_timeout(t1 + Duration::from_millis(300)));
    assert!(out.contains("Starting kernel ...") && out.ends_with("moler-board login: "), "{out}");
    let _ = s.feed(b"root\r", t1);
    assert_eq!(
        text(s.feed(b"board123\r", t1)),
        "\r\nLinux moler-board 6.1.55 #1 SMP PREEMPT aarch64\r\nroot@moler-board:~# "
    );
    assert_eq!(s.state(), "SHELL");
}

#[test]
fn left_alone_the_board_boots_linux_and_a_reboot_counts_down_again() {
    let t0 = Instant::now();
    let mut s = Session::new(board(), t0);
    let _ = s.take_output();
    // A key typed before the countdown ended would stop it; nothing is typed.
    let out = text(s.handle_timeout(t0 + Duration::from_secs(3)));
    assert!(out.starts_with("\r\n## Booting kernel"), "{out:?}");
    assert!(out.ends_with("moler-board login: "), "{out:?}");
    assert_eq!(s.state(), "LOGIN");
    let _ = s.feed(b"root\r", t0);
    let out = text(s.feed(b"wrong\r", t0));
    assert!(out.contains("Login incorrect") && out.ends_with("moler-board login: "), "{out:?}");
    let _ = s.feed(b"root\r", t0);
    let _ = s.feed(b"board123\r", t0);
    assert_eq!(s.state(), "SHELL");
    let out = text(s.feed(b"reboot\r", t0));
    assert!(out.contains("reboot: Restarting system"), "{out}");
    let t1 = t0 + Duration::from_millis(300);
    let out = text(s.handle_timeout(t1));
    assert!(out.contains("U-Boot SPL") && out.ends_with("autoboot:  3 "), "{out:?}");
    assert_eq!(s.state(), "AUTOBOOT");
    assert_eq!(s.poll_timeout(), Some(t1 + Duration::from_secs(3)), "counted from the prompt");
}

#[test]
fn idle_and_any_key_are_checked_at_load() {
    let dir = moler_testkit::TempDir::new("sim-idle");
    let file = dir.join("bad.yml");
    std::fs::write(
        &file,
        "states:\n  A:\n    prompt: 'a> '\n    any_key: NOPE\n    idle: {after_ms: 10}\n",
    )
    .unwrap();
    let err = Device::from_file(&file).unwrap_err().to_string();
    assert!(err.contains("bad.yml:4:14"), "{err}");
    assert!(err.contains("NOPE"), "{err}");
    assert!(err.contains("bad.yml:5:11: state A: idle needs `after_ms` and `goto`"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
