//! A connection's parameters as a constructor of one's own reads them (`Params::get` and
//! friends): each type from what a YAML file or code gives, paths from the config's folder,
//! secrets kept out of `Debug`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use moler_config::{ConnectionSpec, Error, Loader, Node, Params};

/// A loader with the io_type `lab`, whose parameters are whatever its constructor reads (the
/// built-in io_types check theirs at load).
fn lab() -> Loader {
    Loader::new().io_type("lab", |p: &mut Params| {
        p.finish()?;
        Err(Error::Open { what: "lab".into(), source: std::io::Error::other("not here") })
    })
}

fn params_of(yaml: &str) -> Params {
    let config = lab().from_yaml(&format!("NAMED_CONNECTIONS:\n  c: {yaml}\n")).unwrap();
    config.connection("c").unwrap().spec.params()
}

#[test]
fn each_type_reads_what_yaml_gives() {
    let mut p = params_of(
        "{io_type: lab, host: h, port: '2323', flag: yes, off: false, count: 7, neg: -3, \
         ratio: 1.5, whole: 2, wait: 0.25, args: [a, 2, c], env: {K: v, N: 1}}",
    );
    assert_eq!(p.keys().collect::<Vec<_>>()[..4], ["host", "port", "flag", "off"], "in order");
    assert_eq!(p.get::<u16>("port"), Some(2323), "digits in quotes are a number");
    assert_eq!(p.get::<bool>("flag"), Some(true), "YAML 1.1's yes");
    assert_eq!(p.get::<bool>("off"), Some(false));
    assert_eq!(p.get::<u64>("count"), Some(7));
    assert_eq!(p.get::<i64>("neg"), Some(-3));
    assert_eq!(p.get::<f64>("ratio"), Some(1.5));
    assert_eq!(p.get::<f64>("whole"), Some(2.0), "an integer is a number too");
    assert_eq!(p.get::<Duration>("wait"), Some(Duration::from_millis(250)));
    assert_eq!(p.get::<Vec<String>>("args").unwrap(), ["a", "2", "c"]);
    let env = p.get::<Vec<(String, String)>>("env").unwrap();
    assert_eq!(env, [("K".to_owned(), "v".to_owned()), ("N".to_owned(), "1".to_owned())]);
}

#[test]
fn a_value_of_the_wrong_type_is_a_problem_naming_what_was_expected() {
    for (yaml, key, expected) in [
        ("{io_type: lab, flag: maybe}", "flag", "must be true or false"),
        ("{io_type: lab, n: '2x'}", "n", "must be a whole number (0 or more)"),
        ("{io_type: lab, n: ''}", "n", "must be a whole number (0 or more)"),
        ("{io_type: lab, n: -1}", "n", "must be a whole number (0 or more)"),
        ("{io_type: lab, i: 'x'}", "i", "must be a whole number,"),
        ("{io_type: lab, f: 'x'}", "f", "must be a number,"),
        ("{io_type: lab, l: text}", "l", "must be a list of texts"),
        ("{io_type: lab, e: [a]}", "e", "must be a mapping of names to texts"),
    ] {
        let mut p = params_of(yaml);
        match key {
            "flag" => assert_eq!(p.get::<bool>(key), None),
            "n" => assert_eq!(p.get::<u64>(key), None),
            "i" => assert_eq!(p.get::<i64>(key), None),
            "f" => assert_eq!(p.get::<f64>(key), None),
            "l" => assert_eq!(p.get::<Vec<String>>(key), None),
            _ => assert_eq!(p.get::<Vec<(String, String)>>(key), None),
        }
        for other in p.keys().map(str::to_owned).collect::<Vec<_>>() {
            let _ = p.get::<Node>(&other);
        }
        let e = p.finish().unwrap_err().to_string();
        assert!(e.contains(&format!("`{key}` {expected}")), "{yaml}: {e}");
    }
}

#[test]
fn relative_paths_are_the_config_folders_and_absolute_ones_stay() {
    let dir = moler_testkit::TempDir::new("config-params");
    let file = dir.join("c.yml");
    std::fs::write(&file, "NAMED_CONNECTIONS:\n  c: {io_type: lab, a: sub/x, b: /abs/y}\n")
        .unwrap();
    let config = lab().from_file(&file).unwrap();
    let mut p = config.connection("c").unwrap().spec.params();
    assert_eq!(p.base_dir(), Some(&*dir));
    assert_eq!(p.get::<PathBuf>("a"), Some(dir.join("sub/x")));
    assert_eq!(p.get::<PathBuf>("b"), Some(PathBuf::from("/abs/y")));
    // Given in code: no folder to resolve from.
    let mut code = ConnectionSpec::new("tcp").param("a", "sub/x").params();
    assert_eq!(code.base_dir(), None);
    assert_eq!(code.get::<PathBuf>("a"), Some(PathBuf::from("sub/x")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn params_given_in_code_replace_one_another() {
    let mut p = Params::new().with("port", 1).with("host", "h").with("port", 2);
    assert_eq!(p.keys().collect::<Vec<_>>(), ["host", "port"]);
    assert_eq!(p.get::<u16>("port"), Some(2));
    assert_eq!(p.get::<String>("host").as_deref(), Some("h"));
    p.finish().unwrap();
    let path: &Path = Path::new("x");
    assert_eq!(Params::new().with("p", "x").get::<PathBuf>("p").as_deref(), Some(path));
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let config = lab()
        .from_yaml(
            "NAMED_CONNECTIONS:\n  s: {io_type: lab, host: h, password: hunter2, \
         key_passphrase: sesame, api_token: t0k, note: visible, secret_x: ~}\n",
        )
        .unwrap();
    let shown = format!("{config:?}");
    for secret in ["hunter2", "sesame", "t0k"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("visible"), "other values are shown: {shown}");
}
