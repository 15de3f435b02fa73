//! What `moler check-config` says each connection gets on this machine
//! (`Config::transport_choice`), one io_type at a time.

use moler_config::{Config, Loader, Params};

fn choices(config: &Config) -> Vec<String> {
    config.connections.iter().map(|c| config.transport_choice(&c.spec)).collect()
}

#[test]
fn each_io_type_says_what_it_gets() {
    let config = Config::from_yaml(
        "NAMED_CONNECTIONS:
  sh: {io_type: terminal, shell: /bin/sh}
  old: {io_type: terminal_no_fork, shell: /bin/bash}
  auto: {io_type: terminal}
  console: {io_type: telnet, host: h, port: 23}
  local: {io_type: serial, port: /dev/ttyUSB0}
  remote: {io_type: serial, port: 'cs1:7001'}
  remote6: {io_type: serial, port: '[::1]:7002'}
  net: {io_type: tcp, host: h, port: 2323}
",
    )
    .unwrap();
    let got = choices(&config);
    assert_eq!(got[0], "terminal: /bin/sh (as configured)");
    assert_eq!(got[1], "terminal_no_fork: /bin/bash (as configured)");
    assert!(got[2].starts_with("terminal: ") && got[2].ends_with(')'), "{}", got[2]);
    assert!(got[2].contains("sh"), "a shell this machine has: {}", got[2]);
    assert_eq!(got[3], "telnet: the native telnet client, built in");
    assert_eq!(got[4], "serial: the local port /dev/ttyUSB0");
    assert_eq!(got[5], "serial: RFC 2217 to cs1:7001");
    assert_eq!(got[6], "serial: RFC 2217 to [::1]:7002", "an IPv6 address in brackets");
    assert_eq!(got[7], "tcp", "nothing to choose");
}

#[test]
fn a_connection_registered_in_code_says_so() {
    let config = Loader::new()
        .io_type("lab", |p: &mut Params| {
            p.finish()?;
            Err(moler_config::Error::Open {
                what: "lab".into(),
                source: std::io::Error::other("x"),
            })
        })
        .from_yaml("NAMED_CONNECTIONS:\n  l: {io_type: lab}\n")
        .unwrap();
    assert_eq!(choices(&config), ["lab: registered in code"]);
}
