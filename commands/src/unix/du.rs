//! `du`: [`Du`], its parameters, its result and its parser.

use std::collections::BTreeMap;

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{each_option, own_errors, Opt, OptionSpec, Units};
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `du [options]`; result `{path: {"size_raw", "size_bytes"}}`. A plain size counts the blocks
/// the options say (KiB unless `-b`, `--bytes`, `-m`, `-B SIZE`…, bytes with `-h` or `--si`);
/// a size with a unit (`-h`, `-BK`) is that size, in powers of 1000 after `--si` (`150k`) or
/// when the unit says so (`-BKB`: `150kB`).
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
#[derive(Debug)]
pub struct DuParser {
    result: BTreeMap<String, DuEntry>,
    units: Units,
}

impl Default for DuParser {
    /// For `du` without options: plain numbers count KiB.
    fn default() -> Self {
        Self { result: BTreeMap::new(), units: Units::blocks_of(1024) }
    }
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
        if let (Some(bytes), false) = (self.units.bytes(size), path.is_empty()) {
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
        DuParser { result: BTreeMap::new(), units: units(self.options.as_deref().unwrap_or("")) }
    }
    fn setup(&self, command: Command<DuParser>) -> Command<DuParser> {
        own_errors(command, "du")
    }
}

/// How `du OPTIONS` prints sizes: plain numbers in blocks of 1 KiB unless told (`-b`/`--bytes`
/// 1 byte, `-m` 1 MiB, `-k` 1 KiB, `-B SIZE`/`--block-size=SIZE`, bytes with `-h` and `--si`,
/// whose units are powers of 1000), the last one said winning, as in du. Options may come
/// together (`-sb`, `-shm`).
fn units(options: &str) -> Units {
    let spec = OptionSpec { short_values: "BdtX", long_values: &["block-size"], bsd_values: None };
    let mut units = Units::blocks_of(1024);
    each_option(options, &spec, |opt| {
        match opt {
            Opt::Long("bytes", None) | Opt::Short('b', _) => units = Units::blocks_of(1),
            Opt::Short('k', _) => units = Units::blocks_of(1024),
            Opt::Short('m', _) => units = Units::blocks_of(1 << 20),
            Opt::Short('h', _) | Opt::Long("human-readable", _) => units = Units::blocks_of(1),
            Opt::Long("si", _) => units = Units { block: 1, si: true },
            Opt::Long("block-size", size) | Opt::Short('B', size) => {
                if let Some(block) = size.and_then(Units::block_size) {
                    units = Units::blocks_of(block);
                }
            }
            _ => {}
        }
        true
    });
    units
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
            ("-BKB", 1000),
            ("--block-size=MiB", 1 << 20),
            ("-sh", 1),
            ("-k --human-readable", 1),
            ("-h -k", 1024),
        ] {
            assert_eq!(units(options), Units::blocks_of(unit), "{options:?}");
        }
        assert_eq!(units("-s --si"), Units { block: 1, si: true });
        assert_eq!(units("--si -h"), Units::blocks_of(1), "the last one said");
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
        assert_eq!(du("-h --apparent-size", "15\tf\n").unwrap()["f"].size_bytes, 15);
        assert_eq!(du("-s --si", "4.1k\t.\n").unwrap()["."].size_bytes, 4100);
        assert_eq!(du("-s -BKB", "5kB\t.\n").unwrap()["."].size_bytes, 5000);
        assert_eq!(du("-s -BKiB", "5KiB\t.\n").unwrap()["."].size_bytes, 5120);
        let err = du("-s", "du: cannot read\n").unwrap_err().to_string();
        assert!(err.contains("du: cannot read"), "{err}");
        let err = du("-s", "").unwrap_err().to_string();
        assert!(err.contains("the output gave the command no result"), "{err}");
        assert_eq!(Du::new().command_line().unwrap(), "du");
        assert_eq!(Du::new().options("-sk *").command_line().unwrap(), "du -sk *");
    }
}
