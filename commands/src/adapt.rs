//! Observer adapters: one observer's result reshaped into another type.

use std::time::Duration;

use moler_core::{Context, Error, Kind, Observer, ParseError, ParseResult, Result, Step};
use serde::Serialize;
use serde_json::Value;

/// `inner` with its result passed through a function: for events that reshape [`Wait4`]'s
/// occurrences, and for the registry, whose observers all return JSON.
///
/// [`Wait4`]: moler_core::Wait4
pub struct MapOutput<O: Observer, T> {
    inner: O,
    map: Box<dyn FnMut(Result<O::Output>) -> Result<T> + Send>,
}

impl<O: Observer, T> MapOutput<O, T> {
    /// `inner`, its successful result passed through `map`.
    pub fn new(inner: O, mut map: impl FnMut(O::Output) -> T + Send + 'static) -> Self {
        Self { inner, map: Box::new(move |r| r.map(&mut map)) }
    }
}

impl<O: Observer> MapOutput<O, Value>
where
    O::Output: Serialize,
{
    /// `inner` with its result as JSON (through its `Serialize`).
    pub fn json(inner: O) -> Self {
        Self::json_with(inner, serde_json::to_value)
    }
}

impl<O: Observer> MapOutput<O, Value> {
    /// `inner` with its result as JSON through `convert` (a command's
    /// [`UnixCommand::output_json`](crate::UnixCommand::output_json)); a conversion error fails
    /// the observer with [`Error::Parse`].
    pub fn json_with(inner: O, convert: fn(O::Output) -> serde_json::Result<Value>) -> Self {
        let what = inner.describe();
        let map = move |r: Result<O::Output>| {
            r.and_then(|v| {
                convert(v).map_err(|e| Error::Parse {
                    command: what.clone(),
                    error: ParseError::new("result is not JSON").with_source(e),
                })
            })
        };
        Self { inner, map: Box::new(map) }
    }
}

impl<O: Observer, T> std::fmt::Debug for MapOutput<O, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapOutput").field("inner", &self.inner.describe()).finish()
    }
}

impl<O: Observer, T: Send + 'static> MapOutput<O, T> {
    fn step(&mut self, step: Step<O::Output>) -> Step<T> {
        match step {
            Step::Pending => Step::Pending,
            Step::Done(r) => Step::Done((self.map)(r)),
            Step::Linger { result, period } => Step::Linger { result: (self.map)(result), period },
        }
    }
}

impl<O: Observer, T: Send + 'static> Observer for MapOutput<O, T> {
    type Output = T;
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn kind(&self) -> Kind {
        self.inner.kind()
    }
    fn timeout(&self) -> Option<Duration> {
        self.inner.timeout()
    }
    fn literals(&self) -> Option<moler_core::Literals> {
        self.inner.literals()
    }
    fn on_start(&mut self, cx: &mut Context<'_>) -> Step<T> {
        let step = self.inner.on_start(cx);
        self.step(step)
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<T> {
        let step = self.inner.on_data(data, cx);
        self.step(step)
    }
    fn on_timeout(&mut self, cx: &mut Context<'_>) -> Step<T> {
        let step = self.inner.on_timeout(cx);
        self.step(step)
    }
    fn on_cancel(&mut self, cx: &mut Context<'_>) -> Step<T> {
        let step = self.inner.on_cancel(cx);
        self.step(step)
    }
    fn on_close(&mut self, error: Error) -> Result<T> {
        let result = self.inner.on_close(error);
        (self.map)(result)
    }
    fn on_linger(&mut self, data: &str, cx: &mut Context<'_>) -> bool {
        self.inner.on_linger(data, cx)
    }
    fn on_wake(&mut self, cx: &mut Context<'_>) -> Step<T> {
        let step = self.inner.on_wake(cx);
        self.step(step)
    }
    fn on_linger_wake(&mut self, cx: &mut Context<'_>) -> bool {
        self.inner.on_linger_wake(cx)
    }
}

/// A parser whose result is JSON: for commands embedded by name (`sudo` running `ls`).
pub struct JsonParser<P>(pub P);

impl<P> std::fmt::Debug for JsonParser<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsonParser")
    }
}

impl<P: moler_core::Parser> moler_core::Parser for JsonParser<P>
where
    P::Output: Serialize,
{
    type Output = Value;
    fn on_line(
        &mut self,
        line: &str,
        partial: bool,
        cx: &mut moler_core::Context<'_>,
    ) -> ParseResult {
        self.0.on_line(line, partial, cx)
    }
    fn has_result(&self) -> bool {
        self.0.has_result()
    }
    fn finish(&mut self) -> ParseResult<Value> {
        let out = self.0.finish()?;
        serde_json::to_value(out).map_err(|e| ParseError::new("result is not JSON").with_source(e))
    }
    fn on_prompt(&mut self, line: &str, partial: bool, cx: &mut moler_core::Context<'_>) -> bool {
        self.0.on_prompt(line, partial, cx)
    }
    fn ended(&self) -> Option<moler_core::End> {
        self.0.ended()
    }
    fn on_wake(&mut self, cx: &mut moler_core::Context<'_>) {
        self.0.on_wake(cx)
    }
    fn is_dialog_prompt(&self, line: &str) -> bool {
        self.0.is_dialog_prompt(line)
    }
    fn timeout_hint(&self, last_line: &str) -> Option<String> {
        self.0.timeout_hint(last_line)
    }
}

/// A parser whose result is converted to JSON by a function: the default
/// [`UnixCommand::json_parser`](crate::UnixCommand::json_parser), which converts with the
/// command's [`UnixCommand::output_json`](crate::UnixCommand::output_json).
pub(crate) struct ConvertParser<P: moler_core::Parser> {
    pub(crate) inner: P,
    pub(crate) convert: fn(P::Output) -> serde_json::Result<Value>,
}

impl<P: moler_core::Parser> moler_core::Parser for ConvertParser<P> {
    type Output = Value;
    fn on_line(
        &mut self,
        line: &str,
        partial: bool,
        cx: &mut moler_core::Context<'_>,
    ) -> ParseResult {
        self.inner.on_line(line, partial, cx)
    }
    fn has_result(&self) -> bool {
        self.inner.has_result()
    }
    fn finish(&mut self) -> ParseResult<Value> {
        let out = self.inner.finish()?;
        (self.convert)(out).map_err(|e| ParseError::new("result is not JSON").with_source(e))
    }
    fn on_prompt(&mut self, line: &str, partial: bool, cx: &mut moler_core::Context<'_>) -> bool {
        self.inner.on_prompt(line, partial, cx)
    }
    fn ended(&self) -> Option<moler_core::End> {
        self.inner.ended()
    }
    fn on_wake(&mut self, cx: &mut moler_core::Context<'_>) {
        self.inner.on_wake(cx)
    }
    fn is_dialog_prompt(&self, line: &str) -> bool {
        self.inner.is_dialog_prompt(line)
    }
    fn timeout_hint(&self, last_line: &str) -> Option<String> {
        self.inner.timeout_hint(last_line)
    }
}
