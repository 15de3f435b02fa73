//! What `moler commands NAME` says of each parameter: required or not, and what an optional one
//! is when not given, read from the command's own `Deserialize` and `Serialize` (no list kept
//! by hand beside them, so it cannot drift).
//!
//! serde's derived `Deserialize` checks the fields of a struct in their declaration order once
//! the map is read, and names the first missing one that has no default. So: deserialize from
//! an empty map; a missing field found is required, and is given a placeholder value of the
//! type it asks for ([`Filler`]) in the next try; until the struct deserializes. Its other
//! fields then hold their defaults, which its `Serialize` shows. A command's own check of its
//! parameters (`command_line`, which names a missing one: `ssh` needs `host`, an `Option` for
//! serde) is asked the same way.

use std::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde::Serialize;
use serde_json::Value;

use crate::spec::field_names;
use crate::{ParamError, UnixCommand};

/// One parameter of a command or an event, as [`crate::Registry::command_param_info`] tells it.
/// Serialized as `moler commands --json` prints it: `required` null when not known, `default`
/// and `note` left out when there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ParamInfo {
    /// Its name.
    pub name: String,
    /// `Some(true)`: it must be given; `Some(false)`: it may be left out; `None`: not known
    /// (a command registered by a closure, or a type the probe cannot fill).
    pub required: Option<bool>,
    /// What an optional parameter is when left out, as JSON (`null`: unset), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// A word on it where its value comes from elsewhere when left out (the common
    /// parameters `prompt`, `timeout`, `newline_chars`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

impl ParamInfo {
    /// A parameter of which only the name is known.
    pub(crate) fn named(name: &str) -> Self {
        Self { name: name.to_owned(), required: None, default: None, note: None }
    }
}

/// Each field of `T` (its `Deserialize`'s names, in order): required or not, and the default
/// of each optional one (from `T`'s `Serialize`). Where the probe cannot build a `T` (a
/// required field of a type [`Filler`] cannot stand for, or a check of `T`'s own), the fields
/// not yet known say `None`.
pub(crate) fn describe<T: DeserializeOwned + Serialize>() -> Vec<ParamInfo> {
    probe::<T>(|_| None)
}

/// [`describe`] for a command, whose `command_line` may name a parameter it cannot do without
/// besides those serde requires.
pub(crate) fn describe_command<T: UnixCommand>() -> Vec<ParamInfo> {
    probe::<T>(|spec| match spec.command_line() {
        Err(ParamError::Missing(name)) => Some(name),
        _ => None,
    })
}

/// [`describe`], with `missing`: a parameter a built `T` still lacks, by name.
fn probe<T: DeserializeOwned + Serialize>(
    missing: impl Fn(&T) -> Option<String>,
) -> Vec<ParamInfo> {
    let fields = field_names::<T>();
    let mut required: Vec<&'static str> = Vec::new();
    // Each try finds one more required field; at most one try per field, and one more.
    for _ in 0..=fields.len() {
        let given = required.iter().map(|f| (*f, Filler));
        match T::deserialize(MapDeserializer::<_, Probe>::new(given)) {
            Ok(value) => {
                let lacking = missing(&value);
                let lacking = fields.iter().find(|f| lacking.as_deref() == Some(**f));
                if let Some(field) = lacking.filter(|f| !required.contains(f)) {
                    required.push(field);
                    continue;
                }
                let defaults = serde_json::to_value(&value).ok();
                let defaults = defaults.as_ref().and_then(Value::as_object);
                return fields
                    .iter()
                    .map(|&name| {
                        let is_required = required.contains(&name);
                        let default = if is_required {
                            None
                        } else {
                            Some(defaults.and_then(|d| d.get(name)).cloned().unwrap_or(Value::Null))
                        };
                        ParamInfo {
                            name: name.to_owned(),
                            required: Some(is_required),
                            default,
                            note: None,
                        }
                    })
                    .collect();
            }
            Err(Probe::Missing(field)) if !required.contains(&field) => required.push(field),
            Err(_) => break,
        }
    }
    // Not built: the required ones found are known, the others are not.
    fields
        .iter()
        .map(|&name| ParamInfo {
            required: required.contains(&name).then_some(true),
            ..ParamInfo::named(name)
        })
        .collect()
}

/// The probe's error: a missing field by name, or anything else.
#[derive(Debug)]
enum Probe {
    Missing(&'static str),
    Other(String),
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probe::Missing(field) => write!(f, "missing field `{field}`"),
            Probe::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Probe {}

impl de::Error for Probe {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Probe::Other(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Probe::Missing(field)
    }
}

/// A placeholder of whatever type is asked for: zero, false, the text `x` (not empty: a command
/// takes an empty text as one not given), an empty list, the first variant, a struct of
/// placeholders.
#[derive(Clone, Copy)]
struct Filler;

impl<'de> IntoDeserializer<'de, Probe> for Filler {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

/// `deserialize_*` methods of [`Filler`] that give a fixed value: `method => visit(value)`.
macro_rules! fill_with {
    ($($method:ident => $visit:ident($($value:expr)?)),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Probe> {
            visitor.$visit($($value)?)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Filler {
    type Error = Probe;

    fill_with! {
        deserialize_any => visit_str("x"),
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i64(0),
        deserialize_i16 => visit_i64(0),
        deserialize_i32 => visit_i64(0),
        deserialize_i64 => visit_i64(0),
        deserialize_i128 => visit_i64(0),
        deserialize_u8 => visit_u64(0),
        deserialize_u16 => visit_u64(0),
        deserialize_u32 => visit_u64(0),
        deserialize_u64 => visit_u64(0),
        deserialize_u128 => visit_u64(0),
        deserialize_f32 => visit_f64(0.0),
        deserialize_f64 => visit_f64(0.0),
        deserialize_char => visit_char('x'),
        deserialize_bytes => visit_bytes(&[]),
        deserialize_byte_buf => visit_bytes(&[]),
        deserialize_unit => visit_unit(),
        deserialize_ignored_any => visit_unit(),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Probe> {
        visitor.visit_some(self)
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Probe> {
        visitor.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Probe> {
        visitor.visit_newtype_struct(self)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Probe> {
        visitor.visit_seq(SeqDeserializer::new(std::iter::empty::<Filler>()))
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Probe> {
        visitor.visit_seq(SeqDeserializer::new(std::iter::repeat_n(Filler, len)))
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Probe> {
        self.deserialize_tuple(len, visitor)
    }
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Probe> {
        visitor.visit_map(MapDeserializer::new(std::iter::empty::<(Filler, Filler)>()))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Probe> {
        visitor.visit_map(MapDeserializer::new(fields.iter().map(|f| (*f, Filler))))
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Probe> {
        let first = variants.first().copied().ok_or_else(|| Probe::Other("no variant".into()))?;
        visitor.visit_enum(FirstVariant(first))
    }

    serde::forward_to_deserialize_any! { str string identifier }
}

/// An enum's first variant, with placeholders for what it holds.
struct FirstVariant(&'static str);

impl<'de> de::EnumAccess<'de> for FirstVariant {
    type Error = Probe;
    type Variant = Self;
    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Probe> {
        let name = seed.deserialize(self.0.into_deserializer())?;
        Ok((name, self))
    }
}

impl<'de> de::VariantAccess<'de> for FirstVariant {
    type Error = Probe;
    fn unit_variant(self) -> Result<(), Probe> {
        Ok(())
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Probe> {
        seed.deserialize(Filler)
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Probe> {
        de::Deserializer::deserialize_tuple(Filler, len, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Probe> {
        de::Deserializer::deserialize_struct(Filler, "", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Spec {
        host: String,
        options: Option<String>,
        #[serde(default = "three")]
        count: u32,
        port: u16,
        #[serde(default)]
        flags: Vec<String>,
        mode: Mode,
        #[serde(skip)]
        #[allow(dead_code)]
        hidden: bool,
    }

    fn three() -> u32 {
        3
    }

    #[derive(Serialize, Deserialize)]
    enum Mode {
        Fast { level: u8 },
        Slow,
    }

    fn info(name: &str, required: Option<bool>, default: Option<Value>) -> ParamInfo {
        ParamInfo { required, default, ..ParamInfo::named(name) }
    }

    #[test]
    fn required_fields_and_defaults_come_from_the_derives() {
        assert_eq!(
            describe::<Spec>(),
            [
                info("host", Some(true), None),
                info("options", Some(false), Some(Value::Null)),
                info("count", Some(false), Some(3.into())),
                info("port", Some(true), None),
                info("flags", Some(false), Some(serde_json::json!([]))),
                info("mode", Some(true), None),
            ]
        );
    }

    /// A type's own check that refuses the placeholders leaves what it could not learn unknown
    /// (never a guess).
    #[test]
    fn a_struct_the_probe_cannot_build_says_what_it_knows() {
        #[derive(Serialize, Deserialize)]
        struct Picky {
            name: String,
            #[serde(deserialize_with = "digits")]
            port: String,
            extra: Option<String>,
        }
        fn digits<'de, D: de::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
            let s = String::deserialize(d)?;
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(de::Error::custom("not a number"));
            }
            Ok(s)
        }
        assert_eq!(
            describe::<Picky>(),
            [
                info("name", Some(true), None),
                info("port", Some(true), None),
                info("extra", None, None)
            ]
        );
    }

    /// `ssh`'s `host` is an `Option` for serde (a hop may give `suffix` instead), and its
    /// `command_line` names it when neither is there: required, as the command says.
    #[test]
    fn a_parameter_the_command_itself_requires_is_required() {
        let params = describe_command::<crate::unix::Ssh>();
        let host = params.iter().find(|p| p.name == "host").expect("ssh has a host");
        assert_eq!((host.required, &host.default), (Some(true), &None));
        let port = params.iter().find(|p| p.name == "port").expect("ssh has a port");
        assert_eq!(port.required, Some(false));
        // Through serde alone, it is not.
        let host = describe::<crate::unix::Ssh>().into_iter().find(|p| p.name == "host");
        assert_eq!(host.expect("ssh has a host").required, Some(false));
    }
}
