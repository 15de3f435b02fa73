//! `gzip`: [`Gzip`], its parameters, its result and its parser.

use moler_core::{Command, Parser};
use serde::{Deserialize, Serialize};

use super::parse::{flag, required, Answering};
use crate::spec::{builder, push_opt, unix_command, UnixCommand};

/// `gzip [options] file_name [-c > compressed_file_name]`; result `{}`. Asked whether to
/// overwrite, it answers `y` with `overwrite`, else `n` and fails.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gzip {
    /// The file to compress.
    pub file_name: String,
    /// Write the compressed data here instead of `file_name.gz`.
    pub compressed_file_name: Option<String>,
    /// `-k`, `-v`, `-9`…
    pub options: Option<String>,
    /// Overwrite an existing compressed file (Moler also takes the text `"True"`).
    #[serde(default, deserialize_with = "flag")]
    pub overwrite: bool,
}
builder!(Gzip { file_name: String }, compressed_file_name, options);

impl Gzip {
    /// Whether to overwrite an existing compressed file.
    pub fn overwrite(mut self, on: bool) -> Self {
        self.overwrite = on;
        self
    }
}

/// The question gzip (and gunzip) asks before overwriting a file.
pub(crate) const OVERWRITE: &str = r"(?i)gzip:\s+(.*)\s+already exists; do you wish to overwrite";

unix_command!(Gzip, "gzip", Answering,
    |s| Answering::new(OVERWRITE, if s.overwrite { "y" } else { "n" }, !s.overwrite),
    line: |s| {
        let mut line = "gzip".to_owned();
        push_opt(&mut line, s.options.as_deref());
        line.push(' ');
        line.push_str(required("file_name", &s.file_name)?);
        if let Some(out) = s.compressed_file_name.as_deref().filter(|o| !o.trim().is_empty()) {
            line.push_str(&format!(" -c > {out}"));
        }
        Ok(line)
    },
    setup: |c| c.failure(r"gzip:\s").failure_exception(OVERWRITE).ret_required(false));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    #[test]
    fn a_refused_overwrite_fails_and_an_accepted_one_does_not() {
        let out = "gzip afile\ngzip: afile.gz already exists; do you wish to overwrite (y or n)? n\n\tnot overwritten\n$ ";
        let no = offline::parse(Gzip::new("afile").command_with_prompt(r"^\$ $"), [out.as_bytes()]);
        assert!(no.unwrap_err().to_string().contains("`overwrite` is off"));
        let yes = Gzip::new("afile").overwrite(true).command_with_prompt(r"^\$ $");
        assert!(offline::parse(yes, [out.as_bytes()]).is_ok());
    }

    #[test]
    fn overwrite_takes_moler_s_text_too() {
        let g: Gzip =
            serde_json::from_value(serde_json::json!({"file_name": "a", "overwrite": "True"}))
                .unwrap();
        assert!(g.overwrite);
        assert!(serde_json::from_value::<Gzip>(
            serde_json::json!({"file_name": "a", "overwrite": "yes"})
        )
        .is_err());
    }
}
