//! A second config merged into the first (Moler's second `load_config`), a config changed in
//! code, registrations made again: what is kept, what is added or replaced, what is refused
//! and how it is named.

use moler_config::{Config, ConnectionSpec, DeviceSpec, Error, ErrorKind, Loader, Opening, Params};
use moler_io::Transport;
use moler_runners::ConnectionHandle;

fn yaml(text: &str) -> Config {
    Config::from_yaml(text).unwrap()
}

#[test]
fn the_first_logger_stays_and_one_comes_in_only_where_there_was_none() {
    let mut first = yaml("LOGGER:\n  PATH: /first\n");
    first.merge(yaml("LOGGER:\n  PATH: /second\n")).unwrap();
    assert_eq!(first.logger.path.as_deref(), Some(std::path::Path::new("/first")));

    let mut without = yaml("NAMED_CONNECTIONS:\n  sh: {io_type: terminal}\n");
    assert!(without.logger_origin().is_none());
    without.merge(yaml("LOGGER:\n  PATH: /second\n  RAW_LOG: True\n")).unwrap();
    assert_eq!(without.logger.path.as_deref(), Some(std::path::Path::new("/second")));
    assert!(without.logger.raw_log);
    assert!(without.logger_origin().is_some(), "where it was written comes along");
}

#[test]
fn a_connection_defined_again_must_be_the_same() {
    let mut config = yaml("NAMED_CONNECTIONS:\n  net: {io_type: tcp, host: 10.0.0.1, port: 23}\n");
    config
        .merge(yaml(
            "NAMED_CONNECTIONS:\n  net: {io_type: tcp, host: 10.0.0.1, port: 23}\n  \
             sh: {io_type: terminal}\n",
        ))
        .unwrap();
    let names: Vec<_> = config.connections.iter().map(|c| c.name.value.clone()).collect();
    assert_eq!(names, ["net", "sh"], "the same one once, the new one added");
    let e = config
        .merge(yaml("NAMED_CONNECTIONS:\n  net: {io_type: tcp, host: 10.0.0.2, port: 23}\n"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionDefinedTwice);
    assert!(e.to_string().contains("connection net is defined twice differently"), "{e}");
}

#[test]
fn devices_come_in_and_create_at_startup_holds_if_either_says_so() {
    let mut config = yaml("DEVICES:\n  Box:\n    DEVICE_CLASS: UnixLocal\n");
    assert!(!config.devices.create_at_startup);
    config
        .merge(yaml("DEVICES:\n  CREATE_AT_STARTUP: True\n  Box2:\n    DEVICE_CLASS: UnixLocal\n"))
        .unwrap();
    assert!(config.devices.create_at_startup);
    assert!(config.device("Box").is_some() && config.device("Box2").is_some());
    config.merge(yaml("DEVICES:\n  Box3:\n    DEVICE_CLASS: UnixLocal\n")).unwrap();
    assert!(config.devices.create_at_startup, "a later file that says nothing keeps it");
}

const CLASS: &str = "DEVICE_CLASSES:\n  SimBox:\n    ALIASES: [lab.devices.SimBox]\n    \
                     CONNECTED_STATE: A\n    STATES:\n      A: {PROMPT: '^a> $'}\n";

#[test]
fn a_device_class_is_defined_once() {
    let mut config = yaml(CLASS);
    // The same config again (the same place in the same text): nothing new, no complaint.
    config.merge(config.clone()).unwrap();
    assert_eq!(config.device_classes.len(), 1);
    // Another text defining it again: refused, both places named.
    let e = config.merge(yaml(&format!("\n{CLASS}"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DuplicateKey);
    assert!(e.to_string().contains("device class SimBox is defined twice (first at"), "{e}");
    // A new class comes in.
    config.merge(yaml(&CLASS.replace("SimBox", "OtherBox").replace("lab.devices.", "x."))).unwrap();
    let names: Vec<_> = config.device_classes.iter().map(|c| c.name.value.clone()).collect();
    assert_eq!(names, ["SimBox", "OtherBox"]);
}

#[test]
fn a_device_added_in_code_may_name_the_configs_own_class_or_its_alias() {
    let mut config = yaml(CLASS);
    config.add_device(DeviceSpec::new("ByName", "SimBox")).unwrap();
    config.add_device(DeviceSpec::new("ByAlias", "lab.devices.SimBox")).unwrap();
    for name in ["ByName", "ByAlias"] {
        assert_eq!(config.device(name).unwrap().class.value.name, "SimBox", "{name}");
    }
    let e = config.add_device(DeviceSpec::new("Typo", "SimBx")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownDeviceClass);
}

#[test]
fn a_default_variant_set_again_replaces_the_first() {
    let mut config = Config::new();
    config.set_default_variant("tcp", "threaded").unwrap();
    config.set_default_variant("terminal", "tokio").unwrap();
    config.set_default_variant("tcp", "smol").unwrap();
    assert_eq!(config.default_variant("tcp").unwrap().value, "smol");
    assert_eq!(config.default_variant("terminal").unwrap().value, "tokio");
    assert_eq!(config.default_variants.len(), 2);
}

#[test]
fn opening_an_unknown_connection_says_what_there_is() {
    let e = Config::new().open("net").unwrap_err().to_string();
    assert!(e.ends_with("(NAMED_CONNECTIONS is empty)"), "{e}");
    let mut config = Config::new();
    for name in ["alpha", "beta"] {
        config.add_connection(name, ConnectionSpec::new("terminal")).unwrap();
    }
    let e = config.open("zzz").unwrap_err().to_string();
    assert!(e.ends_with("; defined: alpha, beta"), "{e}");
    let e = config.open("alpah").unwrap_err().to_string();
    assert!(e.contains("did you mean alpha?"), "{e}");
}

/// A constructor that fails naming itself, to see which one a config opened with.
fn failing(which: &'static str) -> impl Fn(&mut Params) -> Result<Transport, Error> {
    move |p: &mut Params| {
        p.finish()?;
        Err(Error::Open { what: which.into(), source: std::io::Error::other(which) })
    }
}

#[test]
fn a_registration_made_again_replaces_the_first() {
    let config = Loader::new()
        .io_type("lab", failing("first io_type"))
        .io_type("lab", failing("second io_type"))
        .from_yaml("NAMED_CONNECTIONS:\n  a: {io_type: lab}\n  b: {io_type: lab, variant: mine}\n")
        .unwrap_err();
    // A variant of one's own needs a constructor for it; without one, it is unknown.
    assert_eq!(config.kind(), ErrorKind::UnknownVariant, "{config}");

    let fails = |which: &'static str| {
        move |p: &mut Params, _: &Opening<'_>| -> Result<ConnectionHandle, Error> {
            p.finish()?;
            Err(Error::Open { what: which.into(), source: std::io::Error::other(which) })
        }
    };
    let config = Loader::new()
        .io_type("lab", failing("first io_type"))
        .io_type("lab", failing("second io_type"))
        .connection("lab", "mine", fails("first constructor"))
        .connection("lab", "mine", fails("second constructor"))
        .from_yaml("NAMED_CONNECTIONS:\n  a: {io_type: lab}\n  b: {io_type: lab, variant: mine}\n")
        .unwrap();
    assert_eq!(config.open("a").unwrap_err().to_string(), "cannot open second io_type");
    assert_eq!(config.open("b").unwrap_err().to_string(), "cannot open second constructor");
}
