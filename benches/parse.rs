//! Parsing throughput of the command library's three heaviest parsers: a 100,000-line `ls -l`,
//! a 100,000-line `ps aux` and a 100,000-connection `netstat -tn` output (with the echo and the
//! final prompt), fed to a `Connection` in 4 KiB chunks.
//!
//! For each output, three figures from the same run (the median of `--runs`, see [`measure`]):
//! - **floor**: the same command machinery with a parser that ignores every line (echo search,
//!   line splitting, escape stripping, prompt and failure checks): what parsing adds to;
//! - **typed**: the library's parser building the typed result (`LsResult`, `PsResult`,
//!   `NetstatResult`);
//! - **json**: the by-name registry path (what the CLI and configs use): a command built by
//!   name, its result a `serde_json::Value`.
//!
//! And for `ls`, **values**: the registry's `Value` for the same listing built from its lines
//! split beforehand, the way its parser builds it, with no connection and no parsing: the part
//! of the json figure that is the `Value` itself ([`ls_values`]); and **text**: the typed result
//! serialized as JSON text, no `Value` built and nothing parsed: what any JSON form of the result
//! costs beyond parsing ([`JsonText`]).
//!
//! Each figure is measured in a process of its own, every run of it on one connection as a
//! device's commands are (see [`measure`]). Under it, the first run's figures (a fresh heap, as
//! a one-off `moler parse` has) and the minor page faults of the first run and of each later
//! run: on this project's VM a fault costs about 3 µs, and a 100,000-row result's fresh pages
//! are half or more of a first run's time.
//!
//! The last line is the figures as one JSON object (MB/s), for scripts.
//!
//! `cargo bench --bench parse -- [--lines 100000] [--runs 7] [--chunk 4096] [--only ls|ps|netstat]
//! [--path floor,typed,json,values,text]` (`--only` and `--path` measure some outputs, some paths: for a
//! profile of one parser; the others print as NaN)
//! (targets: typed ≥ 250 MB/s, json ≥ 150 MB/s)
//!
//! `--capture FILE` writes the `ls -l` output (echo and prompts included) to `FILE` and measures
//! nothing: for timing the `moler` command line on it, `moler parse ls --params
//! '{"options": "-l", "path": "/data"}' --prompt '^moler_bash# $' FILE`.
//!
//! Allocator: the system's (glibc's malloc here); `parse_mimalloc` is this bench with mimalloc, the
//! `moler` command line's allocator.

use std::fmt::Write as _;
use std::time::Instant;

use moler::commands::unix::{Ls, Netstat, NetstatResult, Nothing, Ps};
use moler::commands::{Registry, UnixCommand};
use moler::{Command, Connection, Observer};

#[path = "support/mod.rs"]
mod common;

const PROMPT: &str = "moler_bash# ";
const PROMPT_RE: &str = "^moler_bash# $";

fn ls_output(lines: usize) -> String {
    let mut s = format!("{PROMPT}ls -l /data\r\ntotal {}\r\n", lines * 4);
    let months =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    for i in 0..lines {
        let kind = ["-rw-r--r--", "drwxr-xr-x", "-rwxr-x---", "lrwxrwxrwx"][i % 4];
        let _ = write!(
            s,
            "{kind} {} user{} group{} {:>8} {} {:>2} {:02}:{:02} file_{i:06}.dat",
            1 + i % 3,
            i % 7,
            i % 5,
            (i * 7919) % 10_000_000,
            months[i % 12],
            1 + i % 28,
            i % 24,
            i % 60
        );
        if kind.starts_with('l') {
            let _ = write!(s, " -> /target/{i}");
        }
        s.push_str("\r\n");
    }
    s.push_str(PROMPT);
    s
}

fn netstat_output(lines: usize) -> String {
    let mut s = format!(
        "{PROMPT}netstat -tn\r\nActive Internet connections (w/o servers)\r\n\
         Proto Recv-Q Send-Q Local Address           Foreign Address         State      \r\n"
    );
    let states = ["ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT", "FIN_WAIT2"];
    for i in 0..lines {
        let local = format!("10.0.{}.{}:{}", (i / 250) % 250, 1 + i % 250, 1024 + i % 60_000);
        let foreign = format!("192.168.{}.{}:{}", i % 7, 1 + i % 200, [22, 80, 443, 5432][i % 4]);
        let _ = write!(
            s,
            "tcp{}       {:>1}      {:>1} {local:<23} {foreign:<23} {}\r\n",
            if i % 5 == 0 { "6" } else { " " },
            i % 3,
            i % 2 * 36,
            states[i % 4]
        );
    }
    s.push_str(PROMPT);
    s
}

fn ps_output(lines: usize) -> String {
    let mut s = format!(
        "{PROMPT}ps aux\r\nUSER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\r\n"
    );
    for i in 0..lines {
        let _ = write!(
            s,
            "user{:<4} {:>7} {:>4.1} {:>4.1} {:>6} {:>5} {:<8} {:<4} {:02}:{:02}   {}:{:02} /usr/bin/worker --id {i} --queue q{}\r\n",
            i % 50,
            1000 + i,
            (i % 100) as f64 / 10.0,
            (i % 37) as f64 / 10.0,
            100_000 + i % 90_000,
            5_000 + i % 9_000,
            if i % 3 == 0 { "?" } else { "pts/1" },
            ["Ss", "S", "R+", "Sl"][i % 4],
            i % 24,
            i % 60,
            i % 10,
            i % 60,
            i % 9
        );
    }
    s.push_str(PROMPT);
    s
}

/// Seconds to feed `data` to `observer` on `conn` in `chunk`-byte reads until it is done.
fn feed<O: Observer>(
    conn: &mut Connection,
    observer: O,
    data: &[u8],
    chunk: usize,
    check: impl FnOnce(O::Output),
) -> f64 {
    let now = Instant::now();
    let done = conn.start(observer, now);
    let t = Instant::now();
    for c in data.chunks(chunk) {
        conn.handle_input(c, now);
    }
    let result = done.try_result().expect("the final prompt ends the command");
    let secs = t.elapsed().as_secs_f64();
    // The command line it typed, as a runner would write it (the connection serves every run).
    let mut typed = Vec::new();
    assert!(conn.poll_transmit(&mut typed) > 0, "the command line goes out");
    check(result.expect("the output parses"));
    secs
}

/// The median of `runs` timings of `f` for `output`'s `path`, or NaN when `--path` does not
/// list `path`; and the first run's time on its own.
///
/// The median, not the best: with glibc's allocator, whether a run's 30 MB of result lands on
/// pages the previous run freed or on fresh ones (faulted in, costly in this VM) depends on how
/// the heap was left, so single runs were up to twice as fast as the steady state (`ps` typed:
/// one run of 45 ms among runs of 85 ms), and the best of five picked those.
///
/// Every run of a path goes through one connection, as a device's commands do. A connection
/// made and dropped for each run (as this bench did before) had its buffers freed right after
/// the result: with glibc that gave the result's 120 MB of `ps` JSON back to the kernel, and
/// every run faulted it all in again (29,900 faults a run, 85 MB/s; now 171 and 170 MB/s).
/// The first run shows that cost: a fresh process's heap, as a one-off `moler parse` meets it.
///
/// Measured in a process of its own (this bench run again with `--only output --path path`),
/// unless `--path` was given (one process, for a profiler) or this is a smoke run: glibc's heap
/// after another path's 100,000-entry result was freed made the same JSON parse 86 MB/s in
/// one process and 116 MB/s in another.
///
/// With the time, the page faults (minor ones: pages the kernel gave the heap afresh) of the
/// first run and per later run: the part of a result's cost that is its memory, which the
/// instruction counts do not show.
fn measure(output: &str, path: &str, runs: usize, mut f: impl FnMut() -> f64) -> Measured {
    let paths = common::arg("--path");
    match &paths {
        Some(paths) if !paths.split(',').any(|p| p == path) => return Measured::NONE,
        None if !common::smoke() => return in_own_process(output, path),
        _ => {}
    }
    let faults0 = minor_faults();
    let first = f();
    let faults1 = minor_faults();
    let mut times: Vec<f64> = (1..runs).map(|_| f()).collect();
    // (none without a later run)
    let faults = (minor_faults() - faults1) as f64 / times.len() as f64;
    let first_faults = (faults1 - faults0) as f64;
    if times.is_empty() {
        times.push(first);
    }
    times.sort_by(f64::total_cmp);
    let secs = times[times.len() / 2];
    let m = Measured { secs, faults, first, first_faults };
    if paths.is_some() {
        // (what `in_own_process` reads)
        println!("{path}: {} {} {} {}", m.secs, m.faults, m.first, m.first_faults);
    }
    m
}

/// A path's median time and page faults per run after the first; the first run's.
#[derive(Clone, Copy)]
struct Measured {
    secs: f64,
    faults: f64,
    first: f64,
    first_faults: f64,
}

impl Measured {
    const NONE: Self =
        Self { secs: f64::NAN, faults: f64::NAN, first: f64::NAN, first_faults: f64::NAN };
}

/// This process's minor page faults so far (`/proc/self/stat`'s tenth field; 0 where there is
/// no such file).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command's name, which is in parentheses and may hold spaces: state is the
    // third field, minflt the tenth.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    rest.split_whitespace().nth(7).and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// [`measure`] for `output`'s `path`, measured by this bench in a new process.
fn in_own_process(output: &str, path: &str) -> Measured {
    let mut args = Vec::new();
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        if arg == "--only" {
            given.next(); // (its value: this run's own follows)
        } else {
            args.push(arg);
        }
    }
    args.extend(["--only", output, "--path", path].map(str::to_owned));
    let exe = std::env::current_exe().expect("the bench's own path");
    let out = std::process::Command::new(exe).args(&args).output().expect("the bench runs again");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{output} {path}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text.lines().find_map(|l| l.strip_prefix(&format!("{path}: ")));
    let figures = line.and_then(|l| {
        let f: Vec<f64> = l.split(' ').map(str::parse).collect::<Result<_, _>>().ok()?;
        let &[secs, faults, first, first_faults] = f.as_slice() else { return None };
        Some(Measured { secs, faults, first, first_faults })
    });
    figures.unwrap_or_else(|| panic!("{output} {path}: no figure in {text}"))
}

/// Prints one output's figures and returns them (MB/s) for the JSON line.
fn report(what: &str, bytes: usize, floor: Measured, typed: Measured, json: Measured) -> String {
    let mbs = |secs: f64| bytes as f64 / secs / 1e6;
    println!(
        "{what:<8} {:>6.1} MB  floor {:>7.1} MB/s   typed {:>7.1} MB/s ({:.2}× floor time)   json {:>7.1} MB/s",
        bytes as f64 / 1e6,
        mbs(floor.secs),
        mbs(typed.secs),
        typed.secs / floor.secs,
        mbs(json.secs)
    );
    println!(
        "{:<8} first run: floor {:>7.1} MB/s   typed {:>7.1} MB/s   json {:>7.1} MB/s",
        "",
        mbs(floor.first),
        mbs(typed.first),
        mbs(json.first)
    );
    println!(
        "{:<8} page faults per later run (first run): floor {:.0} ({:.0}), typed {:.0} ({:.0}), \
         json {:.0} ({:.0})",
        "",
        floor.faults,
        floor.first_faults,
        typed.faults,
        typed.first_faults,
        json.faults,
        json.first_faults
    );
    let figures = |m: Measured| {
        format!(
            "{{\"median\": {:.1}, \"first\": {:.1}, \"faults\": {:.0}, \"first_faults\": {:.0}}}",
            mbs(m.secs),
            mbs(m.first),
            m.faults,
            m.first_faults
        )
    };
    format!(
        "\"{}\": {{\"floor\": {}, \"typed\": {}, \"json\": {}}}",
        what.split(' ').next().unwrap_or(what),
        figures(floor),
        figures(typed),
        figures(json)
    )
}

pub(crate) fn main() {
    let smoke = common::smoke();
    let lines = if smoke { 2_000 } else { common::arg_or("--lines", 100_000) };
    let runs = if smoke { 1 } else { common::arg_or("--runs", 7) };
    let chunk = common::arg_or("--chunk", 4096);
    if let Some(file) = common::arg("--capture") {
        // The listing as a file, for `moler parse` (the command line's own path, end to end).
        std::fs::write(&file, ls_output(lines)).expect("the capture is written");
        return println!("{{\"capture\": {file:?}, \"lines\": {lines}}}");
    }
    let only = common::arg("--only");
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let registry = Registry::default();
    println!("parse: {lines} lines, {chunk}-byte reads, median of {runs}");

    let run = Run { registry: &registry, lines, runs, chunk };
    let mut figures = Vec::new();
    if wanted("ls") {
        figures.push(bench_ls(&run));
    }
    if wanted("ps") {
        figures.push(bench_ps(&run));
    }
    if wanted("netstat") {
        figures.push(bench_netstat(&run));
    }
    println!("{{\"lines\": {lines}, {}}}", figures.join(", "));
}

/// What every output is measured with.
struct Run<'a> {
    registry: &'a Registry,
    lines: usize,
    runs: usize,
    chunk: usize,
}

/// One output's three figures: the floor, `command`'s typed parser and the registry's command
/// `name` with `params`; `typed_len` and `json_len` count the rows each result holds (`lines`).
fn bench<C: UnixCommand>(
    run: &Run<'_>,
    (label, name): (&str, &str),
    output: &str,
    command: &C,
    params: serde_json::Value,
    typed_len: impl Fn(C::Output) -> usize,
    json_len: impl Fn(&serde_json::Value) -> usize,
) -> String {
    let Run { registry, lines, runs, chunk } = *run;
    let line = command.command_line().expect("a valid command");
    let mut conn = Connection::new("bench");
    let floor = measure(name, "floor", runs, || {
        feed(
            &mut conn,
            Command::new(line.as_str(), Nothing).prompt(PROMPT_RE),
            output.as_bytes(),
            chunk,
            |_| {},
        )
    });
    let typed = measure(name, "typed", runs, || {
        let cmd = command.command_with_prompt(PROMPT_RE);
        feed(&mut conn, cmd, output.as_bytes(), chunk, |r| assert_eq!(typed_len(r), lines))
    });
    let json = measure(name, "json", runs, || {
        let mut params = params.clone();
        params["prompt"] = PROMPT_RE.into();
        let cmd = registry.command(name, &params).unwrap();
        feed(&mut conn, cmd, output.as_bytes(), chunk, |r| assert_eq!(json_len(&r), lines))
    });
    report(label, output.len(), floor, typed, json)
}

fn bench_ls(run: &Run<'_>) -> String {
    let ls = Ls::new().options("-l").path("/data");
    let params = serde_json::json!({"options": "-l", "path": "/data"});
    let files = |r: &serde_json::Value| r["files"].as_object().unwrap().len();
    let output = ls_output(run.lines);
    let figures = bench(run, ("ls -l", "ls"), &output, &ls, params, |r| r.files.len(), files);
    let values = measure("ls", "values", run.runs, || ls_values(&output, run.lines));
    let mbs = output.len() as f64 / values.secs / 1e6;
    println!(
        "ls -l    its JSON's values alone (no connection, no parsing): {mbs:>7.1} MB/s ({:.0} page \
         faults per later run)",
        values.faults
    );
    let mut text = JsonText::default();
    let text = measure("ls", "text", run.runs, || text.write(&output, run.lines));
    let text_mbs = output.len() as f64 / text.secs / 1e6;
    println!(
        "ls -l    its JSON text alone (the typed result serialized, no parsing): {text_mbs:>7.1} \
         MB/s"
    );
    format!("{}, \"ls_values\": {mbs:.1}, \"ls_text\": {text_mbs:.1}", figures)
}

/// The `ls` result as JSON text: the typed result of `ls_output`, parsed once (not timed),
/// serialized with `serde_json` into a buffer the first run grew (no page faults): what any
/// JSON form of the result costs beyond parsing, even one that builds no `Value` (printed
/// straight from the typed result). For the json goal (≥ 150 MB/s of output parsed), the time
/// this takes is the part of that budget left for nothing else.
#[derive(Default)]
struct JsonText {
    parsed: Option<moler::commands::unix::LsResult>,
    buffer: Vec<u8>,
}

impl JsonText {
    /// Seconds to write the result's JSON text.
    fn write(&mut self, output: &str, lines: usize) -> f64 {
        let parsed = self.parsed.get_or_insert_with(|| {
            let cmd = Ls::new().options("-l").path("/data").command_with_prompt(PROMPT_RE);
            let mut result = None;
            feed(&mut Connection::new("text"), cmd, output.as_bytes(), 4096, |r| result = Some(r));
            result.expect("the listing parses")
        });
        assert_eq!(parsed.files.len(), lines);
        self.buffer.clear();
        let t = Instant::now();
        serde_json::to_writer(&mut self.buffer, parsed).expect("the result is JSON");
        let secs = t.elapsed().as_secs_f64();
        assert!(self.buffer.len() > output.len(), "the whole result was written");
        secs
    }
}

/// Seconds to build the registry's JSON result of `ls_output` from its lines split beforehand:
/// no connection, no line splitting, no parsing, only the `serde_json::Value` the registry
/// returns (per file: a map of eight or nine keys, six or seven strings, the map of files).
/// About what any parser returning that value pays on this machine's allocator, measured the
/// same way as the json figure (a process of its own, the median of the runs).
fn ls_values(output: &str, lines: usize) -> f64 {
    use serde_json::{Map, Value};
    let rows: Vec<(&str, Vec<(usize, usize)>)> = output
        .split("\r\n")
        .filter(|l| l.starts_with(['-', 'd', 'l']))
        .map(|l| {
            let at = |w: &str| w.as_ptr() as usize - l.as_ptr() as usize;
            (l, l.split_ascii_whitespace().map(|w| (at(w), at(w) + w.len())).collect())
        })
        .collect();
    assert_eq!(rows.len(), lines);
    let keys = |link: bool| {
        let mut keys = vec!["date", "group", "hard_links_count", "name", "owner", "permissions"];
        keys.extend(["size_bytes", "size_raw"]);
        if link {
            keys.insert(3, "link");
        }
        keys.into_iter().map(|k| (k.to_owned(), Value::Null)).collect::<Map<String, Value>>()
    };
    let (plain, linked) = (keys(false), keys(true));
    let t = Instant::now();
    // As the registry's parser does it: each entry a clone of its keys, the values set in key
    // order one after another; the names made keys at the end, one after another.
    let mut entries = Vec::new();
    for (line, w) in &rows {
        let text = |i: usize| Value::String(line[w[i].0..w[i].1].to_owned());
        let number = |i: usize| Value::from(line[w[i].0..w[i].1].parse::<u64>().unwrap());
        let mut entry = if w.len() > 10 { linked.clone() } else { plain.clone() };
        let mut slots = entry.values_mut();
        macro_rules! put {
            ($value:expr) => {
                if let Some(slot) = slots.next() {
                    *slot = $value;
                }
            };
        }
        put!(Value::String(line[w[5].0..w[7].1].to_owned()));
        put!(text(3));
        put!(number(1));
        if w.len() > 10 {
            put!(text(10));
        }
        put!(text(8));
        put!(text(2));
        put!(text(0));
        put!(number(4));
        put!(text(4));
        entries.push(Value::Object(entry));
    }
    let names = rows.iter().map(|(line, w)| line[w[8].0..w[8].1].to_owned());
    let mut result = Map::new();
    result.insert("files".to_owned(), Value::Object(names.zip(entries).collect()));
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(result["files"].as_object().map(Map::len), Some(lines));
    secs
}

fn bench_ps(run: &Run<'_>) -> String {
    let ps = Ps::new().options("aux");
    let params = serde_json::json!({"options": "aux"});
    let rows = |r: &serde_json::Value| r.as_array().unwrap().len();
    bench(run, ("ps aux", "ps"), &ps_output(run.lines), &ps, params, |r| r.rows.len(), rows)
}

fn bench_netstat(run: &Run<'_>) -> String {
    let netstat = Netstat::new().options("-tn");
    let params = serde_json::json!({"options": "-tn"});
    let connections = |r: &serde_json::Value| r["INTERNET_CONNECTIONS"].as_array().unwrap().len();
    let typed = |r: NetstatResult| r.internet_connections.unwrap().len();
    let output = netstat_output(run.lines);
    bench(run, ("netstat", "netstat"), &output, &netstat, params, typed, connections)
}
