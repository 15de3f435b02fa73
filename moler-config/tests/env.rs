//! `MOLER_CONFIG` names the config file. One test in its own process: it changes the
//! environment.

use moler_config::{Config, ErrorKind, ENV_VAR};

#[test]
fn moler_config_names_the_file() {
    std::env::remove_var(ENV_VAR);
    let e = Config::from_env().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Read);
    assert_eq!(
        e.to_string(),
        "MOLER_CONFIG: the environment variable is not set: point it at a YAML config file"
    );
    // Set but empty (`MOLER_CONFIG= ./test`) is not set either: no attempt to read "".
    std::env::set_var(ENV_VAR, "");
    let e = Config::from_env().unwrap_err();
    assert!(e.to_string().contains("the environment variable is not set"), "{e}");

    let dir = moler_testkit::TempDir::new("config-env");
    let file = dir.join("moler.yml");
    std::fs::write(&file, "NAMED_CONNECTIONS:\n  net_1: {io_type: tcp, port: 5671}\n").unwrap();
    std::env::set_var(ENV_VAR, &file);
    let config = Config::from_env().unwrap();
    assert_eq!(config.connection("net_1").unwrap().spec.origin.path(), Some(file.as_path()));

    std::fs::write(&file, "NAMED_CONNECTIONS:\n  net_1: {io_type: tcp, port: x}\n").unwrap();
    let e = Config::from_env().unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}:2:31: ", file.display())), "{e}");
}
