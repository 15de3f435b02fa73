//! Shell basics and files: cd, pwd, echo, cat, head, tail, whoami, hostname, uname, mkdir, rm,
//! cp, mv, touch, chmod, md5sum, sed, exit, ctrl_c, enter.

use moler_core::{Command, Context, End, Parser};
use serde::{Deserialize, Serialize};

use super::login::StartPrompt;
use super::parse::{required, shell_quote, CollectLines, LinesResult, Nothing, ResultLines};
use crate::spec::{builder, push_opt, Empty, UnixCommand};

/// Implements [`UnixCommand`] for a command whose parser is `$parser` (an expression of `self`).
macro_rules! unix_command {
    ($ty:ident, $name:literal, $parser:ty, |$s:ident| $make:expr, line: |$l:ident| $line:expr
     $(, setup: |$c:ident| $setup:expr)? $(,)?) => {
        impl UnixCommand for $ty {
            const NAME: &'static str = $name;
            type Parser = $parser;
            type Output = <$parser as Parser>::Output;
            fn command_line(&self) -> Result<String, String> {
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

/// `^name: ` lines: the command itself complaining.
pub(crate) fn own_errors<P: Parser>(command: Command<P>, name: &str) -> Command<P> {
    command.no_default_failures().failure(&format!(r"^{name}: "))
}

// ---------------------------------------------------------------------------------------------

/// `cd [path]`; result `{}`. With `expected_prompt` it ends on that prompt.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cd {
    /// Where to go (none: home).
    pub path: Option<String>,
    /// The prompt after the change, when it differs.
    pub expected_prompt: Option<String>,
}
builder!(Cd {}, path, expected_prompt);

impl UnixCommand for Cd {
    const NAME: &'static str = "cd";
    type Parser = Nothing;
    type Output = Empty;
    fn command_line(&self) -> Result<String, String> {
        let mut line = "cd".to_owned();
        push_opt(&mut line, self.path.as_deref());
        Ok(line)
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        command.ret_required(false)
    }
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        self.expected_prompt.as_deref().or(shell_prompt)
    }
}

/// `pwd [options]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pwd {
    /// `-P`, `-L`.
    pub options: Option<String>,
}
builder!(Pwd {}, options);

/// Result of [`Pwd`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PwdResult {
    /// The last component.
    pub current_path: String,
    /// The whole path.
    pub full_path: String,
    /// The path without its last component.
    pub path_to_current: String,
}

/// Parser of [`Pwd`].
#[derive(Debug, Default)]
pub struct PwdParser(Option<PwdResult>);

impl Parser for PwdParser {
    type Output = PwdResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if partial || !line.starts_with('/') || self.0.is_some() {
            return Ok(());
        }
        let (to, current) = match line.rfind('/') {
            Some(0) => ("/", &line[1..]),
            Some(i) => (&line[..i], &line[i + 1..]),
            None => unreachable!("the line starts with '/'"),
        };
        self.0 = Some(PwdResult {
            current_path: current.to_owned(),
            full_path: line.to_owned(),
            path_to_current: to.to_owned(),
        });
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.0.is_some()
    }
    fn finish(&mut self) -> Result<PwdResult, String> {
        self.0.take().ok_or_else(|| "no path in the output".to_owned())
    }
}

unix_command!(Pwd, "pwd", PwdParser, |s| PwdParser::default(), line: |s| {
    let mut line = "pwd".to_owned();
    push_opt(&mut line, s.options.as_deref());
    Ok(line)
}, setup: |c| own_errors(c, "pwd"));

/// `echo [options] 'text'`; result `{"RESULT": [lines]}` (blank lines kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Echo {
    /// `-n`, `-e`.
    pub options: Option<String>,
    /// The text; control characters are written as escapes (`\n`, `\x08`) in the command line.
    pub text: Option<String>,
    /// Single-quote the text (default); off to let the shell expand it (`$TERM`).
    #[serde(default = "yes")]
    pub text_in_quotation: bool,
}

fn yes() -> bool {
    true
}

impl Default for Echo {
    fn default() -> Self {
        Self { options: None, text: None, text_in_quotation: true }
    }
}
builder!(Echo {}, options, text);

impl Echo {
    /// Whether to single-quote the text.
    pub fn text_in_quotation(mut self, on: bool) -> Self {
        self.text_in_quotation = on;
        self
    }
}

/// Writes control characters as the escapes `echo -e` understands.
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

unix_command!(Echo, "echo", CollectLines<ResultLines>,
    |s| CollectLines::new(true, |result| ResultLines { result }),
    line: |s| {
        let mut line = "echo".to_owned();
        push_opt(&mut line, s.options.as_deref());
        if let Some(text) = &s.text {
            let text = escape_controls(text);
            line.push(' ');
            if s.text_in_quotation {
                line.push_str(&format!("'{}'", text.replace('\'', r"'\''")));
            } else {
                line.push_str(&text);
            }
        }
        Ok(line)
    },
    setup: |c| c.ret_required(false));

/// Declares a command `name path [options]` whose result is its non-blank lines under `LINES`.
macro_rules! file_lines_command {
    ($(#[$doc:meta])* $ty:ident, $name:literal, path: $pdoc:literal, options: $odoc:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $ty {
            #[doc = $pdoc]
            pub path: String,
            #[doc = $odoc]
            pub options: Option<String>,
        }
        builder!($ty { path: String }, options);

        unix_command!($ty, $name, CollectLines<LinesResult>,
            |s| CollectLines::new(false, |lines| LinesResult { lines }),
            line: |s| {
                let mut line = format!(concat!($name, " {}"), required("path", &s.path)?);
                push_opt(&mut line, s.options.as_deref());
                Ok(line)
            },
            setup: |c| own_errors(c, $name).ret_required(false));
    };
}

file_lines_command!(
    /// `cat path [options]`; result `{"LINES": [non-blank lines]}`.
    Cat, "cat", path: "The file(s).", options: "`-b`, `-n`…"
);
file_lines_command!(
    /// `head path [options]`; result `{"LINES": [...]}`.
    Head, "head", path: "The file.", options: "`-n 3`…"
);
file_lines_command!(
    /// `tail path [options]`; result `{"LINES": [...]}`.
    Tail, "tail", path: "The file.", options: "`-n 3`…"
);

/// `uname [options]`; result `{"RESULT": [lines]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uname {
    /// `-a`, `-r`…
    pub options: Option<String>,
}
builder!(Uname {}, options);

unix_command!(Uname, "uname", CollectLines<ResultLines>,
    |s| CollectLines::new(false, |result| ResultLines { result }),
    line: |s| {
        let mut line = "uname".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| own_errors(c, "uname"));

/// The first non-blank line, under one key.
#[derive(Debug)]
pub struct FirstLine<T> {
    value: Option<String>,
    wrap: fn(String) -> T,
}

impl<T: Send + 'static> Parser for FirstLine<T> {
    type Output = T;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if !partial && self.value.is_none() && !line.trim().is_empty() {
            self.value = Some(line.trim().to_owned());
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.value.is_some()
    }
    fn finish(&mut self) -> Result<T, String> {
        let value = self.value.take().ok_or("no output")?;
        Ok((self.wrap)(value))
    }
}

/// `whoami`; result `{"USER": name}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Whoami {}
builder!(Whoami {});

/// Result of [`Whoami`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoamiResult {
    /// The user name.
    #[serde(rename = "USER")]
    pub user: String,
}

unix_command!(Whoami, "whoami", FirstLine<WhoamiResult>,
    |s| FirstLine { value: None, wrap: |user| WhoamiResult { user } },
    line: |s| Ok("whoami".to_owned()),
    setup: |c| own_errors(c, "whoami"));

/// `hostname [options]`; result `{"hostname": name}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hostname {
    /// `-f`, `-i`…
    pub options: Option<String>,
}
builder!(Hostname {}, options);

/// Result of [`Hostname`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostnameResult {
    /// The host name.
    pub hostname: String,
}

unix_command!(Hostname, "hostname", FirstLine<HostnameResult>,
    |s| FirstLine { value: None, wrap: |hostname| HostnameResult { hostname } },
    line: |s| {
        let mut line = "hostname".to_owned();
        push_opt(&mut line, s.options.as_deref());
        Ok(line)
    },
    setup: |c| own_errors(c, "hostname"));

/// Declares a command whose success prints nothing (result `{}`), failing on its own
/// `name: …` complaints.
macro_rules! silent_command {
    ($(#[$doc:meta])* $ty:ident, $name:literal, { $($(#[$fdoc:meta])* $field:ident: $fty:ty),* $(,)? },
     required { $($req:ident),* }, optional { $($opt:ident),* }, line: |$s:ident| $line:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $ty {
            $($(#[$fdoc])* pub $field: $fty,)*
        }
        builder!($ty { $($req: String),* } $(, $opt)*);
        unix_command!($ty, $name, Nothing, |s| Nothing, line: |$s| $line,
            setup: |c| own_errors(c, $name).ret_required(false));
    };
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref()
}

silent_command!(
    /// `mkdir path [options]`; result `{}`.
    Mkdir, "mkdir",
    { /// The directory.
      path: String, /// `-p`, `-m 700`…
      options: Option<String> },
    required { path }, optional { options },
    line: |s| {
        let mut line = format!("mkdir {}", required("path", &s.path)?);
        push_opt(&mut line, opt(&s.options));
        Ok(line)
    }
);

silent_command!(
    /// `rm [options] file`; result `{}`.
    Rm, "rm",
    { /// The file(s).
      file: String, /// `-R`, `-f`…
      options: Option<String> },
    required { file }, optional { options },
    line: |s| {
        let mut line = "rm".to_owned();
        push_opt(&mut line, opt(&s.options));
        line.push(' ');
        line.push_str(required("file", &s.file)?);
        Ok(line)
    }
);

silent_command!(
    /// `cp [options] src dst`; result `{}`.
    Cp, "cp",
    { /// Source.
      src: String, /// Destination.
      dst: String, /// `-r`, `-v`…
      options: Option<String> },
    required { src, dst }, optional { options },
    line: |s| {
        let mut line = "cp".to_owned();
        push_opt(&mut line, opt(&s.options));
        Ok(format!("{line} {} {}", required("src", &s.src)?, required("dst", &s.dst)?))
    }
);

silent_command!(
    /// `mv src dst [options]`; result `{}`.
    Mv, "mv",
    { /// Source.
      src: String, /// Destination.
      dst: String, /// `-f`…
      options: Option<String> },
    required { src, dst }, optional { options },
    line: |s| {
        let mut line = format!("mv {} {}", required("src", &s.src)?, required("dst", &s.dst)?);
        push_opt(&mut line, opt(&s.options));
        Ok(line)
    }
);

silent_command!(
    /// `touch [options] path`; result `{}`.
    Touch, "touch",
    { /// The file.
      path: String, /// `-a`, `-m`…
      options: Option<String> },
    required { path }, optional { options },
    line: |s| {
        let mut line = "touch".to_owned();
        push_opt(&mut line, opt(&s.options));
        Ok(format!("{line} {}", required("path", &s.path)?))
    }
);

silent_command!(
    /// `chmod [options] permission filename`; result `{}`.
    Chmod, "chmod",
    { /// `755`, `u+x`…
      permission: String, /// The file.
      filename: String, /// `-R`…
      options: Option<String> },
    required { permission, filename }, optional { options },
    line: |s| {
        let mut line = "chmod".to_owned();
        push_opt(&mut line, opt(&s.options));
        let permission = required("permission", &s.permission)?;
        Ok(format!("{line} {permission} {}", required("filename", &s.filename)?))
    }
);

/// `md5sum path [options]`; result `{"FILE": path, "SUM": hex}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Md5sum {
    /// The file.
    pub path: String,
    /// Options.
    pub options: Option<String>,
}
builder!(Md5sum { path: String }, options);

/// Result of [`Md5sum`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Md5sumResult {
    /// The file.
    #[serde(rename = "FILE")]
    pub file: String,
    /// The checksum.
    #[serde(rename = "SUM")]
    pub sum: String,
}

/// Parser of [`Md5sum`].
#[derive(Debug, Default)]
pub struct Md5sumParser(Option<Md5sumResult>);

impl Parser for Md5sumParser {
    type Output = Md5sumResult;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if partial || self.0.is_some() {
            return Ok(());
        }
        if let Some((sum, file)) = line.split_once(char::is_whitespace) {
            if sum.len() == 32 && sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                let file = file.trim_start().trim_start_matches('*').to_owned();
                self.0 = Some(Md5sumResult { file, sum: sum.to_owned() });
            }
        }
        Ok(())
    }
    fn has_result(&self) -> bool {
        self.0.is_some()
    }
    fn finish(&mut self) -> Result<Md5sumResult, String> {
        self.0.take().ok_or_else(|| "no checksum in the output".to_owned())
    }
}

unix_command!(Md5sum, "md5sum", Md5sumParser, |s| Md5sumParser::default(), line: |s| {
    let mut line = format!("md5sum {}", required("path", &s.path)?);
    push_opt(&mut line, s.options.as_deref());
    Ok(line)
}, setup: |c| own_errors(c, "md5sum"));

/// `sed [options] -e script… -f file… input… [> output_file]`; result `{"RESULT": [lines]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sed {
    /// The input files.
    pub input_files: Vec<String>,
    /// Options (`-i`, `-n`…).
    pub options: Option<String>,
    /// Scripts, each given with `-e`.
    #[serde(default)]
    pub scripts: Vec<String>,
    /// Script files, each given with `-f`.
    #[serde(default)]
    pub script_files: Vec<String>,
    /// Redirect the output to this file.
    pub output_file: Option<String>,
}
builder!(Sed {}, options, output_file);

impl Sed {
    /// Adds an input file.
    pub fn input_file(mut self, file: impl Into<String>) -> Self {
        self.input_files.push(file.into());
        self
    }
    /// Adds a script (`-e`).
    pub fn script(mut self, script: impl Into<String>) -> Self {
        self.scripts.push(script.into());
        self
    }
    /// Adds a script file (`-f`).
    pub fn script_file(mut self, file: impl Into<String>) -> Self {
        self.script_files.push(file.into());
        self
    }
}

unix_command!(Sed, "sed", CollectLines<ResultLines>,
    |s| CollectLines::new(false, |result| ResultLines { result }),
    line: |s| {
        if s.input_files.is_empty() {
            return Err("parameter `input_files` needs at least one file".into());
        }
        if s.scripts.is_empty() && s.script_files.is_empty() {
            return Err("give `scripts` or `script_files`".into());
        }
        let mut line = "sed".to_owned();
        push_opt(&mut line, s.options.as_deref());
        for script in &s.scripts {
            line.push_str(&format!(" -e '{}'", script.replace('\'', r"'\''")));
        }
        for file in &s.script_files {
            line.push_str(&format!(" -f {}", shell_quote(file)));
        }
        for file in &s.input_files {
            line.push(' ');
            line.push_str(&shell_quote(file));
        }
        if let Some(out) = &s.output_file {
            line.push_str(&format!(" > {}", shell_quote(out)));
        }
        Ok(line)
    },
    setup: |c| own_errors(c, "sed").ret_required(false));

/// `exit`: leaves a shell; ends on `expected_prompt` (the shell below); result `{}`. Built for a
/// shell with a known prompt ([`UnixCommand::command_with_prompt`]), it fails if that prompt
/// comes back (`There are stopped jobs.`, a shell that refused to go), checked before
/// `expected_prompt`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exit {
    /// The prompt of the shell that takes over.
    pub expected_prompt: String,
}
builder!(Exit { expected_prompt: String });

/// Parser of [`Exit`]: the prompt of the shell being left, seen again, fails the command with
/// the last line printed before it.
#[derive(Debug)]
pub struct ExitParser {
    start: StartPrompt,
    failure: Option<String>,
}

impl ExitParser {
    /// Whether `line` shows the start prompt; the first one fails the command.
    fn back_at_start(&mut self, line: &str) -> bool {
        if self.failure.is_none() && self.start.matches(line) {
            self.failure = Some(self.start.failure(line, None));
        }
        self.failure.is_some()
    }
}

impl Parser for ExitParser {
    type Output = Empty;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> Result<(), String> {
        if !self.back_at_start(line) && !partial {
            self.start.note(line);
        }
        Ok(())
    }
    fn on_prompt(&mut self, line: &str, _: bool, _: &mut Context<'_>) -> bool {
        // The start prompt goes on to `on_line`, and `ended` fails the command.
        !self.back_at_start(line)
    }
    fn ended(&self) -> Option<End> {
        self.failure.clone().map(End::Failed)
    }
    fn finish(&mut self) -> Result<Empty, String> {
        Ok(Empty {})
    }
}

impl UnixCommand for Exit {
    const NAME: &'static str = "exit";
    type Parser = ExitParser;
    type Output = Empty;
    fn command_line(&self) -> Result<String, String> {
        required("expected_prompt", &self.expected_prompt)?;
        Ok("exit".to_owned())
    }
    fn parser(&self) -> ExitParser {
        self.parser_for(None)
    }
    fn parser_for(&self, shell_prompt: Option<&str>) -> ExitParser {
        // As for the logins: an end prompt written as the start prompt leaves nothing to verify.
        let shell_prompt = shell_prompt.filter(|s| *s != self.expected_prompt);
        let start = StartPrompt::new(shell_prompt, &[("expected prompt", &self.expected_prompt)]);
        ExitParser { start, failure: None }
    }
    fn setup(&self, command: Command<ExitParser>) -> Command<ExitParser> {
        command.ret_required(false)
    }
    fn end_prompt<'a>(&'a self, _: Option<&'a str>) -> Option<&'a str> {
        Some(&self.expected_prompt)
    }
}

/// Ctrl-C (no newline); ends on `expected_prompt` (default: the shell's prompt); result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtrlC {
    /// The prompt that comes back.
    pub expected_prompt: Option<String>,
}
builder!(CtrlC {}, expected_prompt);

impl UnixCommand for CtrlC {
    const NAME: &'static str = "ctrl_c";
    type Parser = Nothing;
    type Output = Empty;
    fn command_line(&self) -> Result<String, String> {
        Ok(String::new())
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        command.sends("\x03", false).expect_echo(false).ret_required(false)
    }
    fn end_prompt<'a>(&'a self, shell_prompt: Option<&'a str>) -> Option<&'a str> {
        self.expected_prompt.as_deref().or(shell_prompt)
    }
}

/// A bare newline; ends on the prompt; result `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enter {}
builder!(Enter {});

impl UnixCommand for Enter {
    const NAME: &'static str = "enter";
    type Parser = Nothing;
    type Output = Empty;
    fn command_line(&self) -> Result<String, String> {
        Ok(String::new())
    }
    fn parser(&self) -> Nothing {
        Nothing
    }
    fn setup(&self, command: Command<Nothing>) -> Command<Nothing> {
        command.ret_required(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_escapes() {
        assert_eq!(escape_controls("a\nb\rc\td\x08e"), "a\\nb\\rc\\td\\x08e");
        let line = Echo::new().text("it's").command_line().unwrap();
        assert_eq!(line, r"echo 'it'\''s'");
    }

    #[test]
    fn missing_required_parameters_are_named() {
        let err = Cp::new("a", "").command_line().unwrap_err();
        assert!(err.contains("`dst`"), "{err}");
        assert!(Sed::new().input_file("f").command_line().unwrap_err().contains("scripts"));
    }
}
