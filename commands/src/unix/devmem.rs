//! `devmem`: [`Devmem`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::required;
use crate::spec::{builder, push_opt, UnixCommand};
use crate::ParamError;

/// `devmem [options] address [size] [value]`: reads a word of physical memory (result
/// `{"VALUE": "0x1000"}`), or writes `value` (result `{}`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Devmem {
    /// The physical address (`0x01f00000`).
    pub address: String,
    /// The width in bits (`8`, `16`, `32`, `64`), with `value`.
    pub size: Option<String>,
    /// The value to write.
    pub value: Option<String>,
    /// Options before the address.
    pub options: Option<String>,
}
builder!(Devmem { address: String }, size, value, options);

/// Result of [`Devmem`]: the value read, none for a write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevmemResult {
    /// The value read, as printed (`0x1000`).
    #[serde(rename = "VALUE", skip_serializing_if = "Option::is_none", default)]
    pub value: Option<String>,
}

/// Parser of [`Devmem`].
#[derive(Debug, Default)]
pub struct DevmemParser {
    result: DevmemResult,
}

impl Parser for DevmemParser {
    type Output = DevmemResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial {
            return Ok(());
        }
        // Moler's `0x[\dABCDEF]+`: the first hexadecimal number (upper case, as devmem prints).
        if let Some(at) = line.find("0x") {
            let digits = line[at + 2..]
                .bytes()
                .take_while(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
                .count();
            if digits > 0 {
                self.result.value = Some(line[at..at + 2 + digits].to_owned());
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.result.value.is_some()
    }
    fn finish(&mut self) -> ParseResult<DevmemResult> {
        Ok(std::mem::take(&mut self.result))
    }
}

/// A parameter that is set and not blank.
fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl UnixCommand for Devmem {
    const NAME: &'static str = "devmem";
    type Parser = DevmemParser;
    type Output = DevmemResult;
    fn command_line(&self) -> Result<String, ParamError> {
        let mut line = "devmem".to_owned();
        push_opt(&mut line, self.options.as_deref());
        line.push(' ');
        line.push_str(required("address", &self.address)?.trim());
        match (set(&self.size), set(&self.value)) {
            (Some(size), Some(value)) => line.push_str(&format!(" {size} {value}")),
            (None, Some(value)) => line.push_str(&format!(" {value}")),
            // Moler drops a size without a value; devmem would read that many bits.
            (Some(size), None) => line.push_str(&format!(" {size}")),
            (None, None) => {}
        }
        Ok(line)
    }
    fn parser(&self) -> DevmemParser {
        DevmemParser::default()
    }
    fn setup(&self, command: Command<DevmemParser>) -> Command<DevmemParser> {
        // A write prints nothing.
        command.ret_required(set(&self.value).is_none()).failure(r"^devmem: |Bus error")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn a_read_gives_the_value_and_a_write_nothing() {
        let read = Devmem::new("0x01f00000").command_with_prompt(r"^\$ $");
        let out = "devmem 0x01f00000\n0x0000ABCD\n$ ";
        let r = offline::parse(read, [out.as_bytes()]).unwrap();
        assert_eq!(r.value.as_deref(), Some("0x0000ABCD"));
        let write = Devmem::new("0x01f00000").size("32").value("0x1");
        assert_eq!(write.command_line().unwrap(), "devmem 0x01f00000 32 0x1");
        let out = "devmem 0x01f00000 32 0x1\n$ ";
        let r = offline::parse(write.command_with_prompt(r"^\$ $"), [out.as_bytes()]).unwrap();
        assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!({}));
        assert!(Devmem::new(" ").command_line().is_err(), "the address is required");
    }
}
