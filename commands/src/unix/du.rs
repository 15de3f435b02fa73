//! `du`: [`Du`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{each_option, own_errors, size_in_bytes, Opt, OptionSpec};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `du [options]`; result `{path: {"size_raw", "size_bytes"}}`. A plain size counts the blocks
/// the options say (KiB unless `-b`, `--bytes`, `-m`, `-B SIZE`…); a size with a unit
/// (`-h`, `-BK`) is that size.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Du {
    /// `-h`, `-sk *`…
    pub options: Option<String>,
}
builder!(Du {}, options);

/// One path of [`Du`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuEntry {
    /// The size as printed.
    pub size_raw: String,
    /// The size in bytes.
    pub size_bytes: u64,
}

/// Parser of [`Du`].
#[derive(Debug, Default)]
pub struct DuParser {
    result: BTreeMap<String, DuEntry>,
    unit: u64,
}

impl Parser for DuParser {
    type Output = BTreeMap<String, DuEntry>;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        let Some((size, path)) = line.split_once(['\t', ' ']) else {
            return Ok(());
        };
        let path = path.trim();
        if let (Some(bytes), false) = (size_in_bytes(size, self.unit), path.is_empty()) {
            let entry = DuEntry { size_raw: size.to_owned(), size_bytes: bytes };
            self.result.insert(path.to_owned(), entry);
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        !self.result.is_empty()
    }
    fn finish(&mut self) -> ParseResult<Self::Output> {
        Ok(std::mem::take(&mut self.result))
    }
}

impl UnixCommand for Du {
    const NAME: &'static str = "du";
    type Parser = DuParser;
    type Output = BTreeMap<String, DuEntry>;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "du".to_owned();
        push_opt(&mut line, self.options.as_deref());
        Ok(line)
    }
    fn parser(&self) -> DuParser {
        DuParser {
            result: BTreeMap::new(),
            unit: block_unit(self.options.as_deref().unwrap_or("")),
        }
    }
    fn setup(&self, command: Command<DuParser>) -> Command<DuParser> {
        own_errors(command, "du")
    }
}

/// The bytes of a block `du OPTIONS` counts in when it prints a plain number: 1 KiB unless told
/// (`-b`/`--bytes` 1 byte, `-m` 1 MiB, `-k` 1 KiB, `-B SIZE`/`--block-size=SIZE`), the last one
/// said winning, as in du. Options may come together (`-sb`, `-shm`).
fn block_unit(options: &str) -> u64 {
    // `K`, `1K`, `512`, `1M`: a size without its number is one of its unit.
    let block = |size: &str| {
        if size.starts_with(|c: char| c.is_ascii_digit()) {
            size_in_bytes(size, 1)
        } else {
            size_in_bytes(&format!("1{size}"), 1)
        }
    };
    let spec = OptionSpec { short_values: "BdtX", long_values: &["block-size"], bsd_values: None };
    let mut unit = 1024;
    each_option(options, &spec, |opt| {
        match opt {
            Opt::Long("bytes", None) | Opt::Short('b', _) => unit = 1,
            Opt::Short('k', _) => unit = 1024,
            Opt::Short('m', _) => unit = 1 << 20,
            Opt::Long("block-size", size) | Opt::Short('B', size) => {
                unit = size.and_then(block).unwrap_or(unit)
            }
            _ => {}
        }
        true
    });
    unit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn the_options_say_the_block_size() {
        for (options, unit) in [
            ("", 1024),
            ("-s", 1024),
            ("-b", 1),
            ("-sb dir", 1),
            ("--bytes", 1),
            ("-ms", 1 << 20),
            ("-m -k", 1024),
            ("-k --bytes", 1),
            ("-B1", 1),
            ("-B 512 .", 512),
            ("-sBM", 1 << 20),
            ("-BK", 1024),
            ("--block-size=1", 1),
            ("--block-size 2K", 2048),
            ("-d 1 -b", 1),
            ("-d1", 1024),
            ("-t 1M", 1024),
            ("--max-depth=1 --apparent-size", 1024),
            ("-B nonsense", 1024),
        ] {
            assert_eq!(block_unit(options), unit, "{options:?}");
        }
    }

    /// Each size and path; output without one is no result (Moler's `ret_required`).
    #[test]
    fn sizes_by_path_and_nothing_else() {
        let du = |options: &str, output: &str| {
            let output = format!("host:~ # du {options}\n{output}host:~ # ");
            let command = Du::new().options(options).command_with_prompt("^host:~ # $");
            offline::parse(command, [output.as_bytes()])
        };
        let got = du("-sb", "15\tf15\n4096\ta dir\n").unwrap();
        assert_eq!(got["f15"], DuEntry { size_raw: "15".into(), size_bytes: 15 });
        assert_eq!(got["a dir"].size_bytes, 4096);
        assert_eq!(du("-h", "4.0K\t.\n").unwrap()["."].size_bytes, 4096);
        let err = du("-s", "du: cannot read\n").unwrap_err().to_string();
        assert!(err.contains("du: cannot read"), "{err}");
        let err = du("-s", "").unwrap_err().to_string();
        assert!(err.contains("the output gave the command no result"), "{err}");
        assert_eq!(Du::new().command_line().unwrap(), "du");
        assert_eq!(Du::new().options("-sk *").command_line().unwrap(), "du -sk *");
    }
}
