//! What every library command is: its parameters (a serde struct, so a typed builder and the
//! by-name registry share one definition), the line it sends and its parser.

use std::time::Duration;

use moler_core::{Command, Error, Parser, DEFAULT_COMMAND_TIMEOUT};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ParamError;

/// A command of the library: its parameters are the struct itself (Moler's keyword arguments,
/// same names), it knows the line to send, and it builds a [`Command`] whose parser returns a
/// value with Moler's result shape.
///
/// ```
/// use moler_commands::unix::Pwd;
/// use moler_commands::UnixCommand;
/// use moler_core::Connection;
/// use std::time::Instant;
///
/// let mut conn = Connection::new("demo");
/// let pwd = conn.start(Pwd::new().command_with_prompt("^moler_bash# $"), Instant::now());
/// conn.handle_input(b"pwd\r\n/home/ute\r\nmoler_bash# ", Instant::now());
/// let result = pwd.try_result().unwrap().unwrap();
/// assert_eq!(result.full_path, "/home/ute");
/// ```
pub trait UnixCommand: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Moler's name of the command (`ls`, `ip_addr`, …).
    const NAME: &'static str;
    /// The parser; its output serializes to Moler's result.
    type Parser: Parser<Output = Self::Output>;
    /// The parsed result.
    type Output: Serialize + Send + 'static;

    /// The line sent to the device. An error names a parameter that makes no command.
    fn command_line(&self) -> Result<String, ParamError>;

    /// A fresh parser.
    fn parser(&self) -> Self::Parser;

    /// The result as JSON (Moler's shape): what the registry's commands return. The default
    /// serializes it; a command whose results are big moves its data into the JSON instead of
    /// copying it (the same JSON, much cheaper for a 100,000-line `ls -l`).
    fn output_json(output: Self::Output) -> serde_json::Result<serde_json::Value> {
        serde_json::to_value(output)
    }

    /// `parser` turned into one whose result is [`UnixCommand::output_json`]'s JSON: what the
    /// registry's commands parse with. The default converts the parser's result when it
    /// finishes; a command whose results are big returns a parser that builds the JSON
    /// directly, line by line (the same JSON, without building the typed result first).
    fn json_parser(parser: Self::Parser) -> Box<dyn Parser<Output = serde_json::Value>> {
        Box::new(crate::adapt::ConvertParser { inner: parser, convert: Self::output_json })
    }

    /// A fresh parser for a shell whose prompt is `shell_prompt`, for commands that must
    /// recognise the shell they started from (a refused login returns to it).
    fn parser_for(&self, shell_prompt: Option<&str>) -> Self::Parser {
        let _ = shell_prompt;
        self.parser()
    }

    /// Command settings beyond the line and the parser: failure patterns, `ret_required`.
    fn setup(&self, command: Command<Self::Parser>) -> Command<Self::Parser> {
        command
    }

    /// The timeout the command gets unless one is given (`Device::run_for`, the registry's
    /// `timeout` parameter, [`Command::timeout`]). By family:
    ///
    /// | family | default |
    /// |---|---|
    /// | most commands (files, processes, system, ip, search, `exit`, `su`, `sudo`) | [`DEFAULT_COMMAND_TIMEOUT`], 20 s (Moler's) |
    /// | logins: `ssh`, `telnet` | 90 s (Moler's login time) |
    /// | `ping` with `-c N` or `-w S` | what those make it last, with slack ([`crate::unix::Ping::expected_duration`]) |
    ///
    /// A command whose duration its parameters tell overrides this with that duration.
    fn default_timeout(&self) -> Duration {
        DEFAULT_COMMAND_TIMEOUT
    }

    /// The prompt that ends the command, given the prompt of the shell it runs in: the shell's
    /// prompt unless the command moves to another one (`expected_prompt`).
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        shell_prompt
    }

    /// The command, ending on the default prompt (or its `expected_prompt`).
    fn command(&self) -> Command<Self::Parser> {
        self.build(None)
    }

    /// The command for a shell whose prompt is the regex `prompt`.
    fn command_with_prompt(&self, prompt: &str) -> Command<Self::Parser> {
        self.build(Some(prompt))
    }

    /// The command for a shell with `prompt` (`None`: the default prompt). A parameter that
    /// makes no command line, or a `prompt` that is no regex, gives a command that fails at its
    /// start with `WrongUsage`.
    fn build(&self, prompt: Option<&str>) -> Command<Self::Parser> {
        let (line, invalid) = match self.command_line() {
            Ok(line) => (line, prompt_error(self, prompt)),
            Err(e) => (String::new(), Some(e)),
        };
        let command = Command::new(line, self.parser_for(prompt)).timeout(self.default_timeout());
        let mut command = self.setup(command);
        // First: the first reason given is the one a command fails with.
        if let Some(e) = invalid {
            // WrongUsage holds text: the whole chain goes into it.
            let why = moler_core::Report(&e);
            command = command.fail_at_start(Error::WrongUsage(format!("{}: {why}", Self::NAME)));
        }
        if let Some(p) = self.end_prompt(prompt) {
            command = command.prompt(p);
        }
        command
    }
}

/// What is wrong with the prompts of a hop, a command that does not end at `prompt`, the
/// prompt of the shell it starts from: `prompt`, which shows that the hop failed (taken as
/// text, a wrong regex would never show it, and the hop would wait for its timeout), and the
/// prompt it ends at, its `expected_prompt`. A command ending at `prompt` has it checked by
/// [`Command::prompt`].
pub(crate) fn prompt_error<C: UnixCommand>(spec: &C, prompt: Option<&str>) -> Option<ParamError> {
    let end = spec.end_prompt(prompt);
    if end == prompt {
        return None;
    }
    let start = prompt.and_then(|p| ParamError::regex("prompt", p).err());
    start.or_else(|| end.and_then(|p| ParamError::regex("expected_prompt", p).err()))
}

/// The result of commands whose success prints nothing: `{}` (Moler's empty dict).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// Appends ` part` to `line` when `part` is set and not blank.
pub(crate) fn push_opt(line: &mut String, part: Option<&str>) {
    if let Some(p) = part.map(str::trim).filter(|p| !p.is_empty()) {
        line.push(' ');
        line.push_str(p);
    }
}

/// The names of the fields of a serde struct, in declaration order, read from its derived
/// `Deserialize` (it asks for a struct with these fields). Empty for non-struct types.
pub(crate) fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};

    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("probe"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

/// Implements `new` (taking the required parameters) and one setter per optional parameter.
macro_rules! builder {
    ($ty:ident { $($req:ident: $rty:ty),* } $(, $opt:ident)* $(,)?) => {
        impl $ty {
            /// The command with its required parameters; the optional ones are unset.
            #[allow(clippy::new_without_default, clippy::needless_update)]
            pub fn new($($req: impl Into<$rty>),*) -> Self {
                Self { $($req: $req.into(),)* ..Default::default() }
            }
            $(
                #[doc = concat!("Sets `", stringify!($opt), "`.")]
                pub fn $opt(mut self, value: impl Into<String>) -> Self {
                    self.$opt = Some(value.into());
                    self
                }
            )*
        }
    };
}
pub(crate) use builder;

/// Implements [`UnixCommand`] for a command whose parser is `$parser` (an expression of `self`).
macro_rules! unix_command {
    ($ty:ident, $name:literal, $parser:ty, |$s:ident| $make:expr, line: |$l:ident| $line:expr
     $(, setup: |$c:ident| $setup:expr)? $(,)?) => {
        impl UnixCommand for $ty {
            const NAME: &'static str = $name;
            type Parser = $parser;
            type Output = <$parser as Parser>::Output;
            fn command_line(&self) -> Result<String, $crate::ParamError> {
                #[allow(unused_variables)]
                let $l = self;
                $line
            }
            fn parser(&self) -> $parser {
                #[allow(unused_variables)]
                let $s = self;
                $make
            }
            $(fn setup(&self, command: Command<$parser>) -> Command<$parser> {
                let $c = command;
                $setup
            })?
        }
    };
}
pub(crate) use unix_command;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Two {
        alpha: String,
        beta: Option<u32>,
    }

    /// A start prompt that is no regex fails the command at its start, hops included (they
    /// end at another prompt, and before read the start prompt as text).
    #[test]
    fn a_prompt_that_is_no_regex_fails_at_the_start() {
        fn check<C: UnixCommand>(spec: C) {
            let mut conn = moler_core::Connection::new("spec");
            let done = conn.start(spec.command_with_prompt("(oops"), std::time::Instant::now());
            let why = crate::testing::failed(crate::testing::outcome(&done));
            assert!(
                why.contains("invalid prompt regex") && why.contains("(oops"),
                "{}: {why}",
                C::NAME
            );
            let mut conn = moler_core::Connection::new("spec");
            let done = conn.start(spec.command_with_prompt("^ok\\$ $"), std::time::Instant::now());
            assert_eq!(crate::testing::outcome(&done), None, "{} runs", C::NAME);
        }
        check(crate::unix::Ls::new());
        check(crate::adb::AdbShell::new());
        check(crate::unix::Ssh::new("host", "user", "secret", r"^user@host\$ "));
        check(crate::pdu_aten::Quit::new());
        check(crate::juniper::Configure::new());
        // A hop's own prompt is named as given.
        let mut conn = moler_core::Connection::new("spec");
        let exit = crate::juniper::Configure::new().expected_prompt("(oops");
        let done = conn.start(exit.command_with_prompt("^ok> $"), std::time::Instant::now());
        let why = crate::testing::failed(crate::testing::outcome(&done));
        assert!(why.contains("configure: invalid expected_prompt regex \"(oops\""), "{why}");
        let shell = crate::adb::AdbShell::new().expected_prompt("(oops");
        let done = conn.start(shell.command_with_prompt("^ok> $"), std::time::Instant::now());
        let why = crate::testing::failed(crate::testing::outcome(&done));
        assert!(why.contains("adb_shell: invalid expected_prompt regex \"(oops\""), "{why}");
    }

    #[test]
    fn field_names_come_from_the_derive() {
        assert_eq!(field_names::<Two>(), ["alpha", "beta"]);
        assert!(field_names::<u32>().is_empty());
    }
}
