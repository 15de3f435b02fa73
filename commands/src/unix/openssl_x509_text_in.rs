//! `openssl_x509_text_in`: [`OpensslX509TextIn`], its parameters, its result and its parser.

use moler_core::{Command, Context, ParseResult, Parser};
use serde::{Deserialize, Serialize};

use super::parse::required;
use crate::spec::{builder, unix_command, UnixCommand};

/// `openssl x509 -text -in path`: a certificate; result: its main fields as openssl prints
/// them and its PEM text ([`X509Certificate`]). Moler returns a `cryptography` certificate
/// object loaded from the PEM; the PEM is here to load it with any X.509 library.
///
/// ```
/// use moler_commands::{offline, unix::OpensslX509TextIn, UnixCommand};
///
/// let out = "openssl x509 -text -in c.pem\nCertificate:\n    Data:\n        Serial Number: 5270275 (0x506b03)\n        Subject: CN = demo\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n$ ";
/// let cert = offline::parse(OpensslX509TextIn::new("c.pem").command_with_prompt(r"^\$ $"), [out.as_bytes()]).unwrap();
/// assert_eq!(cert.subject.as_deref(), Some("CN = demo"));
/// assert_eq!(cert.serial_number.as_deref(), Some("5270275 (0x506b03)"));
/// assert!(cert.pem.ends_with("-----END CERTIFICATE-----\n"));
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpensslX509TextIn {
    /// The certificate file (PEM).
    pub path: String,
}
builder!(OpensslX509TextIn { path: String });

/// Result of [`OpensslX509TextIn`]: fields as printed, absent when not printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct X509Certificate {
    /// `3 (0x2)`.
    pub version: Option<String>,
    /// `5270275 (0x506b03)`, or the hexadecimal bytes on the next line for long ones.
    pub serial_number: Option<String>,
    /// `sha256WithRSAEncryption`.
    pub signature_algorithm: Option<String>,
    /// The issuer's name.
    pub issuer: Option<String>,
    /// `Not Before`.
    pub not_before: Option<String>,
    /// `Not After`.
    pub not_after: Option<String>,
    /// The subject's name.
    pub subject: Option<String>,
    /// `rsaEncryption`, `id-ecPublicKey`…
    pub public_key_algorithm: Option<String>,
    /// `(2048 bit)`.
    pub public_key: Option<String>,
    /// The PEM block, lines joined with `\n`.
    pub pem: String,
}

/// Parser of [`OpensslX509TextIn`].
#[derive(Debug, Default)]
pub struct OpensslX509TextInParser {
    cert: X509Certificate,
    in_pem: bool,
    pem_done: bool,
    /// `Serial Number:` with the number on the next line.
    serial_next: bool,
}

impl Parser for OpensslX509TextInParser {
    type Output = X509Certificate;
    fn on_line(&mut self, line: &str, partial: bool, _: &mut Context<'_>) -> ParseResult {
        if partial || self.pem_done {
            return Ok(());
        }
        let t = line.trim();
        if t.starts_with("-----BEGIN CERTIFICATE-----") {
            self.in_pem = true;
        }
        if self.in_pem {
            self.cert.pem.push_str(t);
            self.cert.pem.push('\n');
            if t.starts_with("-----END CERTIFICATE-----") {
                (self.in_pem, self.pem_done) = (false, true);
            }
            return Ok(());
        }
        if std::mem::take(&mut self.serial_next) && !t.is_empty() {
            self.cert.serial_number = Some(t.to_owned());
            return Ok(());
        }
        let Some((key, value)) = t.split_once(':') else { return Ok(()) };
        let value = value.trim();
        let set = |slot: &mut Option<String>| {
            if slot.is_none() && !value.is_empty() {
                *slot = Some(value.to_owned());
            }
        };
        let c = &mut self.cert;
        match key.trim_end() {
            "Version" => set(&mut c.version),
            "Serial Number" if value.is_empty() => self.serial_next = true,
            "Serial Number" => set(&mut c.serial_number),
            "Signature Algorithm" => set(&mut c.signature_algorithm),
            "Issuer" => set(&mut c.issuer),
            "Not Before" => set(&mut c.not_before),
            "Not After" => set(&mut c.not_after),
            "Subject" => set(&mut c.subject),
            "Public Key Algorithm" => set(&mut c.public_key_algorithm),
            "Public-Key" | "RSA Public-Key" | "EC Public-Key" => set(&mut c.public_key),
            _ => {}
        }
        Ok(())
    }
    fn finish(&mut self) -> ParseResult<X509Certificate> {
        if !self.pem_done {
            return Err("no certificate (no PEM block up to -----END CERTIFICATE-----)".into());
        }
        Ok(std::mem::take(&mut self.cert))
    }
}

unix_command!(OpensslX509TextIn, "openssl_x509_text_in", OpensslX509TextInParser,
    |s| OpensslX509TextInParser::default(),
    line: |s| Ok(format!("openssl x509 -text -in {}", required("path", &s.path)?.trim())),
    setup: |c| c.failure(r"(?i)unable\s+to\s+load\s+certificate|Could not (?:open|read) .*certificate"));
