//! `top`: [`Top`], its parameters, its result and its parser.

use std::sync::Arc;

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::parse::{number_or_text, regex, words};
use crate::spec::{push_opt, unix_command, UnixCommand};

/// `top [options] [n N]` (`n` 1 by default; `null` leaves it out); result by section, Moler's
/// keys: `"top"` (time, up time, users, load average), `"tasks"`, `"%Cpu"`, one entry per
/// memory line (`"KiB Mem "`, `"MiB Swap"`…) and `"processes"`, a mapping per process by the
/// header's names, numbers as numbers. Use `-b` (batch) on a terminal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Top {
    /// `b`, `-b`, `-d 1`…
    pub options: Option<String>,
    /// Iterations (`n N`); `None` sends none.
    #[serde(default = "one")]
    pub n: Option<u32>,
}

fn one() -> Option<u32> {
    Some(1)
}

impl Default for Top {
    fn default() -> Self {
        Self { options: None, n: one() }
    }
}

impl Top {
    /// `top n 1`.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `options`.
    pub fn options(mut self, options: impl Into<String>) -> Self {
        self.options = Some(options.into());
        self
    }
    /// Sets `n` (`None`: none sent).
    pub fn n(mut self, n: Option<u32>) -> Self {
        self.n = n;
        self
    }
}

/// Result of [`Top`]: sections by name.
pub type TopResult = BTreeMap<String, Value>;

/// Parser of [`Top`].
#[derive(Debug)]
pub struct TopParser {
    summary: Arc<Regex>,
    tasks: Arc<Regex>,
    cpu: Arc<Regex>,
    memory: Arc<Regex>,
    headers: Vec<String>,
    result: TopResult,
}

impl TopParser {
    fn new() -> Self {
        Self {
            // Moler's regex wants a comma inside the up time and `user`: `up 5 min,  1 user`
            // and `0 users` are summaries too.
            summary: regex(
                r"(.*)\s-\s(\d*:\d*:\d*)\sup\s(.*?),\s*(\d+)\s*users?,.*load average:( .*)",
            ),
            tasks: regex(
                r"(Tasks):\s*(\d*)\s*total,\s*(\d*)\s*running,\s*(\d*)\s*sleeping,\s*(\d*)\s*stopped, \s*(\d*)\s*zombie",
            ),
            cpu: regex(
                r".*(Cpu).*:\s*(\d*.\d*).*us,\s*(\d*.\d*).*sy,\s*(\d*.\d*).*ni,\s*(\d*.\d*).*id,\s*(\d*.\d*).*wa,\s*(\d*.\d*).*hi,\s*(\d*.\d*).*si,\s*(\d*.\d*).*st",
            ),
            // Moler's wants whole numbers: newer tops print `MiB Mem :   7937.4 total`.
            memory: regex(
                r"^(.*?):\s*([\d.]+)\s*total,\s*([\d.]+)\s*free,\s*([\d.]+)\s*used[,.]\s*([\d.]*)",
            ),
            headers: Vec::new(),
            result: TopResult::new(),
        }
    }
}

fn float(text: &str) -> ParseResult<f64> {
    Ok(text.trim().trim_end_matches(',').parse()?)
}

impl Parser for TopParser {
    type Output = TopResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        if let Some(c) = self.summary.captures(line) {
            let load: Vec<f64> = c[5].split_whitespace().map(float).collect::<Result<_, _>>()?;
            let section = json!({
                "current time": &c[2],
                "up time": c[3].replace(", ", ","),
                "users": number_or_text(&c[4]),
                "load average": load,
            });
            self.result.insert(c[1].to_owned(), section);
        } else if let Some(c) = self.tasks.captures(line) {
            let n = |i: usize| number_or_text(&c[i]);
            let section = json!({
                "total": n(2), "running": n(3), "sleeping": n(4), "stopped": n(5), "zombie": n(6),
            });
            self.result.insert("tasks".to_owned(), section);
        } else if let Some(c) = self.cpu.captures(line) {
            let mut section = Map::new();
            let names = [
                "user processes",
                "system processes",
                "upgraded nice",
                "not used",
                "IO operations",
                "hardware interrupts",
                "software interrupts",
                "steal time",
            ];
            for (i, name) in names.iter().enumerate() {
                section.insert((*name).to_owned(), json!(float(&c[i + 2])?));
            }
            self.result.insert("%Cpu".to_owned(), Value::Object(section));
        } else if let Some(c) = self.memory.captures(line) {
            let n = |i: usize| number_or_text(&c[i]);
            let section = json!({"total": n(2), "free": n(3), "used": n(4), "cached": n(5)});
            self.result.insert(c[1].to_owned(), section);
        } else if self.headers.is_empty() && line.starts_with(' ') && line.contains("PID") {
            self.headers = line.split_whitespace().map(str::to_owned).collect();
            self.result.insert("processes".to_owned(), Value::Array(Vec::new()));
        } else if !self.headers.is_empty() && !line.trim().is_empty() {
            let values: Vec<(usize, &str)> = words(line).collect();
            if values.iter().map(|(_, w)| *w).eq(self.headers.iter().map(String::as_str)) {
                // The next screen's header (`n 2` and more): no process.
                return Ok(());
            }
            let last = self.headers.len() - 1;
            let mut process = Map::new();
            for (i, header) in self.headers.iter().enumerate() {
                let Some(&(at, value)) = values.get(i) else { break };
                // The command (with `-c` its arguments) holds blanks: the rest of the line.
                let value = if i == last { line[at..].trim_end() } else { value };
                process.insert(header.clone(), number_or_text(value));
            }
            if let Some(Value::Array(list)) = self.result.get_mut("processes") {
                list.push(Value::Object(process));
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.result.is_empty()
    }
    fn finish(&mut self) -> ParseResult<TopResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

unix_command!(Top, "top", TopParser, |s| TopParser::new(),
    line: |s| {
        let mut line = "top".to_owned();
        push_opt(&mut line, s.options.as_deref());
        if let Some(n) = s.n.filter(|n| *n > 0) {
            line.push_str(&format!(" n {n}"));
        }
        Ok(line)
    },
    setup: |c| c.failure(r"^top:"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn newer_summaries_and_memory_lines_are_parsed() {
        let out =
            "top -b n 1\ntop - 07:50:01 up 5 min,  0 users,  load average: 0.00, 0.01, 0.00\n\
                   MiB Mem :   7937.4 total,   1234.5 free,    700.0 used,   6003.0 buff/cache\n$ ";
        let r = offline::parse(
            Top::new().options("-b").command_with_prompt(r"^\$ $"),
            [out.as_bytes()],
        )
        .unwrap();
        assert_eq!(r["top"]["up time"], "5 min");
        assert_eq!(r["top"]["users"], 0);
        assert_eq!(r["MiB Mem "]["total"], 7937.4);
    }

    #[test]
    fn n_is_the_number_of_screens() {
        assert_eq!(Top::new().command_line().unwrap(), "top n 1");
        assert_eq!(Top::new().options("-b").n(Some(3)).command_line().unwrap(), "top -b n 3");
        assert_eq!(Top::new().n(None).command_line().unwrap(), "top");
    }

    #[test]
    fn a_process_line_is_one_even_naming_pid_and_its_command_is_the_rest_of_it() {
        let out = "top -b -c n 1\n\
                   top - 07:50:01 up 5 min,  0 users,  load average: 0.00, 0.01, 0.00\n\n\
                   \x20   PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n\
                   \x20     1 root      20   0  167744  11456   8320 S   0.0   0.1   0:01.20 /sbin/init splash\n\
                   \x20   812 root      20   0   10812   3840   3456 S   0.0   0.0   0:00.00 daemon --PIDfile /run/d.pid\n$ ";
        let top = Top::new().options("-b -c").command_with_prompt(r"^\$ $");
        let r = offline::parse(top, [out.as_bytes()]).unwrap();
        let processes = r["processes"].as_array().unwrap();
        assert_eq!(processes.len(), 2, "{processes:?}");
        assert_eq!(processes[0]["COMMAND"], "/sbin/init splash");
        assert_eq!(processes[1]["COMMAND"], "daemon --PIDfile /run/d.pid");
        assert_eq!(processes[1]["PID"], 812);
    }

    #[test]
    fn the_prompt_with_nothing_parsed_is_no_end() {
        let mut conn = moler_core::Connection::new("t");
        let t = std::time::Instant::now();
        let done = conn.start(Top::new().command_with_prompt(r"^\$ $"), t);
        let _ = conn.poll_transmit(&mut Vec::new());
        conn.handle_input(b"top n 1\n$ ", t);
        assert!(done.try_result().is_none(), "Moler's ret_required: a result is awaited");
    }

    #[test]
    fn the_next_screen_s_header_is_no_process() {
        let header =
            "    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND";
        let process = "      1 root      20   0  167744  11456   8320 S   0.0   0.1   0:01.20 init";
        let screen = format!("top - 07:50:01 up 5 min,  0 users,  load average: 0.00, 0.01, 0.00\n\n{header}\n{process}\n");
        let out = format!("top -b n 2\n{screen}\n{screen}$ ");
        let top = Top::new().options("-b").n(Some(2)).command_with_prompt(r"^\$ $");
        let r = offline::parse(top, [out.as_bytes()]).unwrap();
        let processes = r["processes"].as_array().unwrap();
        assert_eq!(processes.len(), 2, "one process a screen: {processes:?}");
        assert!(processes.iter().all(|p| p["PID"] == 1));
    }
}
