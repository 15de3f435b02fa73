//! The AT family beyond Moler's reference cases (`fixtures.rs` runs those): the modem's error
//! codes, answers cut anywhere, hostile output, parameters that make no command, the serial
//! hops' failures, and the timeouts.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use moler_commands::at::{
    Attach, Cu, ExitSerialProxy, FibocomIpPassThrough, GetCellIdGprs, GetCellIdNr, GetImei,
    GetImsi, GetManufacturerId, PlinkSerial, SetApn, SetCellId, SetMode,
};
use moler_commands::{offline, FeedTester, ParamError, Registry, UnixCommand};
use moler_core::{Connection, Error, Observer};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Feeds `output` to the command `name` with `params` in every way; the results of all feeds
/// (which must agree).
fn every_way(name: &str, params: Value, output: &str) -> moler_core::Result<Value> {
    let registry = Registry::default();
    let mut outcomes = Vec::new();
    for feed in FeedTester::new().feeds() {
        let command = registry.command(name, &params).unwrap();
        let outcome = offline::parse(command, feed.pieces(output.as_bytes()));
        outcomes.push((feed, outcome.map_err(|e| e.to_string())));
    }
    let (_, first) = &outcomes[0];
    for (feed, outcome) in &outcomes {
        assert_eq!(outcome, first, "{feed} differs from whole");
    }
    outcomes.remove(0).1.map_err(Error::WrongUsage)
}

#[test]
fn error_codes_fail_the_command_at_once_in_every_feed() {
    for (answer, quoted) in [
        ("+CME ERROR: 10\r\n", "+CME ERROR: 10"),
        ("+CME ERROR: SIM not inserted\r\n", "+CME ERROR: SIM not inserted"),
        ("+cms error: 500\r\n", "+cms error: 500"),
        ("ERROR\r\n", "ERROR"),
        ("\r\nNO CARRIER\r\n", "NO CARRIER"),
    ] {
        let output = format!("AT+CIMI\r\r\n{answer}");
        let err = every_way("at.get_imsi", json!({}), &output).unwrap_err().to_string();
        assert!(err.ends_with(&format!("command 'AT+CIMI' failed: {quoted}")), "{err}");
    }
    // Answers without a final OK: the error code is no serial number, no manufacturer.
    for (name, line) in [("at.get_imei", "AT+CGSN"), ("at.get_manufacturer_id", "AT+CGMI")] {
        for code in ["ERROR", "+CME ERROR: 100"] {
            let output = format!("{line}\r\r\n{code}\r\n");
            let err = every_way(name, json!({}), &output).unwrap_err().to_string();
            assert!(err.ends_with(&format!("failed: {code}")), "{name}: {err}");
        }
    }
    // With a prompt that is only `OK`, the error code still ends it: the modem said its last.
    let output = "AT+CGATT=1\r\r\n+CME ERROR: 30\r\n";
    let err = every_way("at.attach", json!({"prompt": "^OK$"}), output).unwrap_err();
    assert!(err.to_string().ends_with("failed: +CME ERROR: 30"), "{err}");
}

#[test]
fn an_error_code_cut_by_a_read_waits_for_its_whole_line() {
    let mut conn = Connection::new("modem");
    let now = Instant::now();
    let imsi = conn.start(GetImsi::new().command(), now);
    conn.handle_input(b"AT+CIMI\r\r\n+CME ERROR: 1", now);
    assert!(imsi.try_result().is_none(), "`+CME ERROR: 1` may go on");
    conn.handle_input(b"0\r\n", now);
    let err = imsi.try_result().unwrap().unwrap_err();
    assert!(matches!(&err, Error::CommandFailure { line, .. } if line == "+CME ERROR: 10"));
}

#[test]
fn answers_without_a_final_ok_end_on_the_answer() {
    let got = every_way("at.get_imei", json!({}), "AT+CGSN\r\r\n490154203237518\r\n").unwrap();
    assert_eq!(got, json!({"imei": "490154203237518"}));
    // The late `OK` of a modem that sends one anyway is before the next echo: ignored.
    let mut conn = Connection::new("modem");
    let now = Instant::now();
    let maker = conn.start(GetManufacturerId::new().command(), now);
    conn.handle_input(b"AT+CGMI\r\r\nQUALCOMM INCORPORATED\r\n", now);
    assert_eq!(maker.try_result().unwrap().unwrap().manufacturer, "QUALCOMM INCORPORATED");
    let imsi = conn.start(GetImsi::new().command(), now);
    conn.handle_input(b"\r\nOK\r\nAT+CIMI\r\r\n440801200189934\r\n\r\nOK\r\n", now);
    assert_eq!(imsi.try_result().unwrap().unwrap().imsi, "440801200189934");
}

#[test]
fn ok_without_the_answer_asked_for_is_not_the_end() {
    // Moler's `ret_required`: `OK` alone does not end get_imsi; the timeout does.
    let mut conn = Connection::new("modem");
    let t0 = Instant::now();
    let imsi = conn.start(GetImsi::new().command().timeout(Duration::from_secs(2)), t0);
    conn.handle_input(b"AT+CIMI\r\r\nOK\r\n", t0);
    assert!(imsi.try_result().is_none());
    conn.handle_timeout(t0 + Duration::from_secs(3));
    let err = imsi.try_result().expect("timed out").unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
}

#[test]
fn registration_lines_with_more_values_than_names_keep_the_named_ones() {
    // Moler fails with an IndexError on these; the values it has names for are kept.
    let output = "AT+CGREG?\r\r\n+CGREG: 1,5,\"54DB\",\"0F6B0578\",7,8,9\r\n\r\nOK\r\n";
    let got = every_way("at.get_cell_id_gprs", json!({}), output).unwrap();
    assert_eq!(
        got,
        json!({"raw_output": "1,5,\"54DB\",\"0F6B0578\",7,8,9", "n": "1", "stat": "5",
               "lac": "54DB", "ci": "0F6B0578"})
    );
    // An unknown mode, a lone value: what every mode has.
    let output = "AT+CGREG?\r\r\n+CGREG: 9,1,2\r\nOK\r\n";
    let got = every_way("at.get_cell_id_gprs", json!({}), output).unwrap();
    assert_eq!(got, json!({"raw_output": "9,1,2", "n": "9", "stat": "1"}));
    let output = "AT+C5GREG?\r\r\n+C5GREG: 1\r\nOK\r\n";
    let got = every_way("at.get_cell_id_nr", json!({}), output).unwrap();
    assert_eq!(got, json!({"raw_output": "1", "n": "1"}));
    let _ = (GetCellIdGprs::new(), GetCellIdNr::new());
}

#[test]
fn parameters_that_make_no_command_say_which() {
    let err = |p: Result<String, ParamError>| p.unwrap_err().to_string();
    assert_eq!(
        err(SetMode::new("umts").command_line()),
        "parameter `selected_mode`: \"umts\" is not a mode: say one of automatic, lte, gsm, wcdma, \
         5g, lte:5g"
    );
    assert_eq!(SetMode::new("LTE:5G").command_line().unwrap(), "AT+COPS=0,0,0,13");
    assert_eq!(
        err(SetCellId::new("two").command_line()),
        "parameter `selected_mode`: must be an integer, not two"
    );
    assert_eq!(SetCellId::new("2").command_line().unwrap(), "AT+CREG=2");
    assert!(err(GetImei::new().sn_type("imsi").command_line())
        .contains("parameter `sn_type`: must be one of"));
    assert!(err(SetApn::new("x").pdp_type(" ").command_line()).contains("`pdp_type` is required"));
    assert!(err(SetApn::new("x\rATH").command_line()).contains("one line"));
    assert!(err(Cu::new("").command_line()).contains("`serial_devname` is required"));
    assert!(err(PlinkSerial::new("COM5' ; rm").command_line()).contains("a serial port's name"));
    assert!(err(Cu::new("5; reboot").command_line()).contains("a serial port's name"));
    assert!(err(Cu::new("5/../USB0").command_line()).contains("a serial port's name"));
    let linux = PlinkSerial::new("/dev/ttyUSB0").command_line().unwrap();
    assert!(linux.starts_with("plink -serial /dev/ttyUSB0 |& awk"), "{linux}");
    assert!(err(Cu::new("-5").command_line()).contains("a serial port's name"));
    assert!(err(SetApn::new("a\"b").command_line()).contains("between quotes"));
    assert_eq!(
        FibocomIpPassThrough::new(1).conn_type(2).mac("00:11:22:33:44:55").command_line().unwrap(),
        "AT+GTIPPASS=1,2,00:11:22:33:44:55"
    );
    // By name: the registry's error names the command and what it accepts.
    let registry = Registry::default();
    let e = registry.command("at.get_ip", &json!({})).err().unwrap().to_string();
    assert!(e.starts_with("at.get_ip: parameter `context_identifier` is required;"), "{e}");
    let e = registry.command("at.quectel_lock_nr_earfcn", &json!({"earfcn": "x", "scs": 15}));
    assert!(e.err().unwrap().to_string().contains("parameter `earfcn`: must be an integer"));
    let e =
        registry.command("at.run_script", &json!({"script_command": "AT", "success_regex": "("}));
    assert!(e.err().unwrap().to_string().contains("invalid success_regex regex"));
    assert!(registry.command("get_imsi", &json!({})).is_ok(), "the short name, unambiguous");
}

#[test]
fn long_commands_get_moler_s_longer_timeouts() {
    let minutes_3 = Some(Duration::from_secs(180));
    assert_eq!(Observer::timeout(&Attach::new().command()), minutes_3);
    assert_eq!(Observer::timeout(&FibocomIpPassThrough::new(0).command()), minutes_3);
    assert_eq!(Observer::timeout(&GetImsi::new().command()), Some(Duration::from_secs(20)));
    // By name too, and a `timeout` given wins.
    let registry = Registry::default();
    let attach = registry.command("at.attach", &json!({})).unwrap();
    assert_eq!(attach.timeout(), minutes_3);
    let attach = registry.command("at.attach", &json!({"timeout": 5})).unwrap();
    assert_eq!(attach.timeout(), Some(Duration::from_secs(5)));
}

#[test]
fn run_script_fails_on_its_error_regex_and_on_missing_successes() {
    let cmd = r#"AT+CGDATA="M-RNDIS",0,0"#;
    let output = format!("{cmd}\r\r\nCONNECT 150000000\r\n\r\nOK\r\n");
    let ok = every_way(
        "at.run_script",
        json!({"script_command": cmd, "success_regex": ["CONNECT", "OK"]}),
        &output,
    );
    assert_eq!(ok.unwrap(), json!({}));
    let err = every_way(
        "at.run_script",
        json!({"script_command": cmd, "success_regex": ["CONNECT", "READY"]}),
        &output,
    )
    .unwrap_err();
    assert!(err.to_string().ends_with("success regexes not found: READY"), "{err}");
    let output = format!("{cmd}\r\r\nfatal Error in script\r\nOK\r\n");
    let err = every_way("at.run_script", json!({"script_command": cmd}), &output).unwrap_err();
    assert!(
        err.to_string().contains("found error regex '(?i)error' in line 'fatal Error in script'"),
        "{err}"
    );
    let quiet = json!({"script_command": cmd, "error_regex": null});
    assert_eq!(every_way("at.run_script", quiet, &output).unwrap(), json!({}));
}

#[test]
fn cu_fails_on_its_complaint_once_the_shell_is_back() {
    let registry = Registry::default();
    let params = json!({"serial_devname": 7});
    let output = "cu -l /dev/ttyS7 -s 19200 -E '-'\r\ncu: /dev/ttyS7: Line in use\r\nmoler_bash# ";
    // Shell prompt unknown: the generic one ends the failure.
    let cu = registry.command("at.cu", &params).unwrap();
    let err = offline::parse(cu, [output.as_bytes()]).unwrap_err();
    assert!(
        err.to_string().contains("found error regex in line 'cu: /dev/ttyS7: Line in use'"),
        "{err}"
    );
    // Not before the shell is back: its prompt ends the failure.
    let mut conn = Connection::new("shell");
    let now = Instant::now();
    let cu = conn.start(Cu::new(7).command_with_prompt("^moler_bash# $"), now);
    conn.handle_input(
        b"cu -l /dev/ttyS7 -s 19200 -E '-'\r\ncu: open (/dev/ttyS7): Permission denied\r\n",
        now,
    );
    assert!(cu.try_result().is_none());
    conn.handle_input(b"moler_bash# ", now);
    assert!(cu.try_result().unwrap().is_err());
}

#[test]
fn a_serial_hop_whose_shell_answers_has_failed() {
    // The shell's prompt back without a complaint cu knows: the last line says why.
    let mut conn = Connection::new("shell");
    let now = Instant::now();
    let cu = conn.start(Cu::new(5).command_with_prompt(r"^moler_bash# $"), now);
    conn.handle_input(
        b"cu -l /dev/ttyS5 -s 19200 -E '-'\r\ncu: unsupported baud rate\r\nmoler_bash# ",
        now,
    );
    let err = cu.try_result().unwrap().unwrap_err().to_string();
    assert!(err.contains("unsupported baud rate"), "{err}");
    let plink = conn.start(PlinkSerial::new("COM9").command_with_prompt(r"^moler_bash# $"), now);
    let line = PlinkSerial::new("COM9").command_line().unwrap();
    conn.handle_input(
        format!("{line}\r\nbash: plink: command not found\r\nmoler_bash# ").as_bytes(),
        now,
    );
    let err = plink.try_result().unwrap().unwrap_err().to_string();
    assert!(err.contains("plink: command not found"), "{err}");
    // And on the line's prompt, it is there.
    let plink = conn.start(PlinkSerial::new("COM9").command_with_prompt(r"^moler_bash# $"), now);
    conn.handle_input(format!("{line}\r\nCOM9> port READY").as_bytes(), now);
    assert!(plink.try_result().unwrap().is_ok());
}

#[test]
fn exit_serial_proxy_answers_python_once_and_ends_at_the_shell() {
    let mut conn = Connection::new("proxy");
    let now = Instant::now();
    let exit = conn.start(ExitSerialProxy::new().command(), now);
    let mut sent = Vec::new();
    let _ = conn.poll_transmit(&mut sent);
    assert_eq!(sent, b"exit_serial_proxy\n");
    conn.handle_input(
        b"PC10:COM11> exit_serial_proxy\r\nPC10  serial port COM11 closed\r\n>>> ",
        now,
    );
    sent.clear();
    let _ = conn.poll_transmit(&mut sent);
    assert_eq!(sent, b"exit()\n");
    assert!(exit.try_result().is_none(), "Python's `>>> ` is no shell prompt");
    conn.handle_input(b"exit()\r\n>>> \r\n", now);
    sent.clear();
    let _ = conn.poll_transmit(&mut sent);
    assert!(sent.is_empty(), "once");
    conn.handle_input(b"user@PC10 ~$ ", now);
    assert!(exit.try_result().unwrap().is_ok());
}

/// One reference output per AT command, as lines.
fn samples() -> Vec<(String, Value, Vec<String>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/at");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut out: Vec<(String, Value, Vec<String>)> = Vec::new();
    for path in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = format!("at.{}", v["command"].as_str().unwrap());
        if out.iter().all(|(n, _, _)| *n != name) {
            let lines = v["output"].as_str().unwrap().lines().map(str::to_owned).collect();
            out.push((name, v["kwargs"].clone(), lines));
        }
    }
    // Moler's 35 and the project's `exit_cu`.
    assert_eq!(out.len(), 36, "every AT command has a reference case");
    out
}

fn nasty_line() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,120}",
        "\\+C(5G|G|E)?REG: [0-9,\"A-F]{0,60}",
        "\\+CGDCONT: [0-9]{1,30},\"IP(V4V6)?\",\"[a-z.]{0,10}\".{0,20}",
        "\\+CGPADDR: [0-9]{1,3},\"?[0-9.]{0,40}\"?",
        "[0-9]{1,3}(,[0-9A-Fa-f\"]{0,12}){9,30}",
        "(LTE|NR|UMTS|LTE-NR EN-DC|GSM|  ) (service|neighbor) cell:",
        "\\+CM[ES] ERROR:.{0,10}",
        "[A-Za-z_+ ]{1,12}:.{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Hostile answers never panic a parser: each command ends with a result or an error.
    #[test]
    fn at_parsers_never_panic(
        garbage in prop::collection::vec((nasty_line(), 0usize..64), 0..16),
        cut in 1usize..64,
    ) {
        let registry = Registry::default();
        for (name, params, lines) in samples() {
            let mut text = String::new();
            let (body, last) = lines.split_at(lines.len().saturating_sub(1));
            for (i, line) in body.iter().enumerate() {
                text.push_str(line);
                text.push_str("\r\n");
                for (g, at) in &garbage {
                    if *at == i {
                        text.push_str(g);
                        text.push_str("\r\n");
                    }
                }
            }
            text.push_str(&last.join(""));
            text.push_str("\r\nOK\r\n");
            let command = registry.command(&name, &params).unwrap();
            let pieces: Vec<&[u8]> = text.as_bytes().chunks(cut).collect();
            let _ = offline::parse(command, pieces);
        }
    }
}

/// Moler's own tests of the hops (`test/cmd/at/test_cmd_cu.py`, `test_cmd_plink_serial.py`):
/// the tool missing or the line busy fails the command once the shell is back.
#[test]
fn moler_s_failed_hops_fail() {
    let registry = Registry::default();
    let line = PlinkSerial::new("COM5").command_line().unwrap();
    for missing in [
        "-bash: plink: command not found\n^C\nuser@host ~\n$ \nuser@host ~",
        "-bash: awk: command not found\nuser@host ~",
    ] {
        let output = format!("\n{line}\n{missing}");
        let plink = registry
            .command("at.plink_serial", &json!({"serial_devname": "COM5", "prompt": "user@host"}))
            .unwrap();
        let err = offline::parse(plink, [output.as_bytes()]).unwrap_err().to_string();
        assert!(err.contains("command not found"), "{err}");
    }
    let output = "user-lab0@PLKR-SC5G-PC16:~$ cu -l /dev/ttyS5 -s 19200 -E '-'\n\
                  cu: open (/dev/ttyS5): Input/output error\n\
                  cu: /dev/ttyS5: Line in use\n\
                  user-lab0@PLKR-SC5G-PC16:~$";
    let cu = registry.command("at.cu", &json!({"serial_devname": "5"})).unwrap();
    let err = offline::parse(cu, [output.as_bytes()]).unwrap_err().to_string();
    assert!(err.contains("Input/output error"), "{err}");
}
