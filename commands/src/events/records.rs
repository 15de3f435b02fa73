//! [`Records`]: an event's occurrences in Moler's shape (its `event_data`), folded from the
//! matches of a [`Wait4`]; and [`LineOccurrence`], Moler's `LineEvent` occurrence.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use moler_core::{Context, Observer, Occurrence, Publisher, Step, Subscription, Wait4};
use serde::{Serialize, Serializer};

/// Turns the matches of the inner [`Wait4`] into occurrences (`None`: not one yet, such as the
/// first lines of a block an occurrence is made of).
pub type Fold<R> = Box<dyn FnMut(Occurrence) -> Option<R> + Send>;

/// An event whose occurrences are records of type `R` (Moler's `event_data`: a dict, or a list
/// of them for `match: all` or `sequence`), folded from the matches of a [`Wait4`]. It finishes
/// after `till` occurrences with all of them, or runs until cancelled; each occurrence also
/// goes to the callbacks ([`Records::on_occurrence`]) and queues ([`Records::occurrences`])
/// as it happens. Pausing (the handle's `pause`) pauses the inner event.
///
/// ```
/// use moler_commands::events::{LineOccurrence, Records};
/// use moler_core::{Connection, Wait4};
/// use std::sync::{Arc, Mutex};
/// use std::time::Instant;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// let event = Records::new(Wait4::new([r"ALARM (\d+)"]).unwrap(), Some(2), |o| {
///     Some(LineOccurrence::from_occurrence(o))
/// })
/// .on_occurrence(move |o: &LineOccurrence| log.lock().unwrap().push(o.groups[0].clone()));
/// let mut conn = Connection::new("demo");
/// let t = Instant::now();
/// let done = conn.start(event, t);
/// conn.handle_input(b"ALARM 7\nnoise\nALARM 8\nALARM 9\n", t);
/// let found = done.try_result().unwrap().unwrap();
/// assert_eq!((found.len(), found[1].time), (2, t));
/// assert_eq!(*seen.lock().unwrap(), [7, 8], "numbers, as Moler converts them");
/// ```
pub struct Records<R> {
    inner: Wait4,
    matches: Subscription<Occurrence>,
    fold: Fold<R>,
    till: Option<usize>,
    count: usize,
    found: Vec<R>,
    publisher: Publisher<R>,
    retarget: Option<Retarget<R>>,
}

impl<R> std::fmt::Debug for Records<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("inner", &self.inner)
            .field("till", &self.till)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl<R: Clone + Send + 'static> Records<R> {
    /// The occurrences `fold` makes of the matches of `inner` (which should run until
    /// cancelled: this event counts), finishing after `till` of them (`None`: never).
    pub fn new(
        mut inner: Wait4,
        till: Option<usize>,
        fold: impl FnMut(Occurrence) -> Option<R> + Send + 'static,
    ) -> Self {
        let matches = inner.occurrences();
        Self {
            inner,
            matches,
            fold: Box::new(fold),
            till: till.map(|n| n.max(1)),
            count: 0,
            found: Vec::new(),
            publisher: Publisher::new(),
            retarget: None,
        }
    }

    /// Calls `f` with each occurrence as it happens, on the thread that drives the
    /// connection (keep it short). Several may be added; one that panics is dropped.
    pub fn on_occurrence(self, f: impl FnMut(&R) + Send + 'static) -> Self {
        self.publisher.on_record(f);
        self
    }

    /// The occurrences as they happen, in a queue that ends when the event ends (see
    /// [`moler_core::Subscription`]).
    pub fn occurrences(&mut self) -> Subscription<R> {
        self.publisher.subscribe()
    }

    /// A handle that replaces the patterns (and the fold) of the running event: the change
    /// takes effect before the next text is read, occurrences so far are kept.
    pub fn retarget(&mut self) -> Retarget<R> {
        self.retarget.get_or_insert_with(|| Retarget { slot: Arc::default() }).clone()
    }

    fn finished(&self) -> bool {
        self.till.is_some_and(|n| self.count >= n)
    }

    fn take_matches(&mut self) -> Step<Vec<R>> {
        while !self.finished() {
            let Some(o) = self.matches.try_next() else { break };
            if let Some(record) = (self.fold)(o) {
                self.count += 1;
                self.publisher.publish(record.clone());
                if self.till.is_some() {
                    self.found.push(record);
                }
            }
        }
        if self.finished() {
            self.publisher.close();
            Step::Done(Ok(std::mem::take(&mut self.found)))
        } else {
            Step::Pending
        }
    }

    fn apply_retarget(&mut self) {
        let Some(r) = &self.retarget else { return };
        let next = r.slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some((mut inner, fold)) = next {
            self.matches = inner.occurrences();
            self.inner = inner;
            self.fold = fold;
        }
    }
}

/// Replaces what a running [`Records`] event looks for (Moler's `change_prompts`).
pub struct Retarget<R> {
    slot: Arc<Mutex<Next<R>>>,
}

/// What a [`Retarget`] set and the event has not taken yet.
type Next<R> = Option<(Wait4, Fold<R>)>;

impl<R> Clone for Retarget<R> {
    fn clone(&self) -> Self {
        Self { slot: Arc::clone(&self.slot) }
    }
}

impl<R> std::fmt::Debug for Retarget<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Retarget")
    }
}

impl<R> Retarget<R> {
    /// From the next text on, the event watches for `inner`'s patterns and folds with `fold`.
    /// A line under way when the change takes effect is read from where it goes on.
    pub fn set(&self, inner: Wait4, fold: impl FnMut(Occurrence) -> Option<R> + Send + 'static) {
        *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some((inner, Box::new(fold)));
    }
}

impl<R: Clone + Send + 'static> Observer for Records<R> {
    type Output = Vec<R>;

    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn timeout(&self) -> Option<Duration> {
        Observer::timeout(&self.inner)
    }
    fn on_data(&mut self, data: &str, cx: &mut Context<'_>) -> Step<Vec<R>> {
        self.apply_retarget();
        match self.inner.on_data(data, cx) {
            // Invariant: the inner event has no count of its own; it ends only by failing.
            Step::Done(Err(e)) => Step::Done(Err(e)),
            _ => self.take_matches(),
        }
    }
}

/// One occurrence of a line event (Moler's `LineEvent`): the line, the text matched and the
/// groups, numbers where they read as one (Moler's `convert_to_number`), and when the text
/// that completed it arrived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineOccurrence {
    /// The whole line (or the unfinished line, for events that match those).
    pub line: String,
    /// The text the pattern matched, a number if it is one.
    pub matched: serde_json::Value,
    /// The groups in order (null for one that did not take part), numbers where they are.
    pub groups: Vec<serde_json::Value>,
    /// The named groups, numbers where they are.
    pub named_groups: BTreeMap<String, serde_json::Value>,
    /// When the chunk that completed the match arrived (JSON: wall clock, see [`wall_clock`]).
    #[serde(serialize_with = "serialize_time")]
    pub time: Instant,
}

impl LineOccurrence {
    /// Moler's record of a match.
    ///
    /// ```
    /// # use moler_commands::events::LineOccurrence;
    /// # use moler_core::{Connection, Wait4};
    /// # use std::time::Instant;
    /// let mut conn = Connection::new("demo");
    /// let done = conn.start(Wait4::new([r"n=(\d+)"]).unwrap().till_occurs_times(1), Instant::now());
    /// conn.handle_input(b"n=12\n", Instant::now());
    /// let o = LineOccurrence::from_occurrence(done.try_result().unwrap().unwrap().remove(0));
    /// assert_eq!((o.matched, o.groups), ("n=12".into(), vec![12.into()]));
    /// ```
    pub fn from_occurrence(o: Occurrence) -> Self {
        let convert = |g: Option<String>| match g {
            None => serde_json::Value::Null,
            Some(text) => crate::unix::number_or_text(&text),
        };
        LineOccurrence {
            matched: crate::unix::number_or_text(&o.matched),
            groups: o.groups.into_iter().map(convert).collect(),
            named_groups: o.named_groups.into_iter().map(|(k, v)| (k, convert(v))).collect(),
            line: o.line,
            time: o.time,
        }
    }
}

/// The wall-clock time of `t`: `Instant`s have no date, so the process pairs one `Instant`
/// with the system clock the first time a time is shown and counts from there.
///
/// ```
/// use std::time::{Duration, Instant, SystemTime};
/// let t = Instant::now();
/// let wall = moler_commands::events::wall_clock(t);
/// assert!(wall <= SystemTime::now() + Duration::from_secs(1));
/// ```
pub fn wall_clock(t: Instant) -> SystemTime {
    static ANCHOR: OnceLock<(Instant, SystemTime)> = OnceLock::new();
    let (at, wall) = *ANCHOR.get_or_init(|| (Instant::now(), SystemTime::now()));
    let shifted = if t >= at { wall.checked_add(t - at) } else { wall.checked_sub(at - t) };
    // Only an `Instant` centuries away from now could leave the clock's range.
    shifted.unwrap_or(wall)
}

/// `t` as an ISO 8601 UTC date and time with microseconds (`2019-01-14T13:12:48.224929Z`):
/// Moler's `datetime` of an occurrence, with its zone said.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_micros(1_547_471_568_224_929);
/// assert_eq!(moler_commands::events::iso_utc(t), "2019-01-14T13:12:48.224929Z");
/// ```
pub fn iso_utc(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
    let z = days as i64 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_micros()
    )
}

/// Serializes an occurrence's `Instant` as its wall-clock time ([`iso_utc`]).
pub(crate) fn serialize_time<S: Serializer>(
    t: &Instant,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&iso_utc(wall_clock(*t)))
}

/// [`serialize_time`] for an optional time.
pub(crate) fn serialize_opt_time<S: Serializer>(
    t: &Option<Instant>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize_time(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a log or an error shows of the event: its pattern and its count.
    #[test]
    fn debug_shows_the_inner_event_and_the_count() {
        let event = Records::new(Wait4::new([r"ALARM (\d+)"]).unwrap(), Some(2), |o| Some(o.line));
        let shown = format!("{event:?}");
        assert!(shown.starts_with("Records {"), "{shown}");
        assert!(shown.contains("ALARM") && shown.contains("till: Some(2)"), "{shown}");
        let mut event = event;
        assert_eq!(format!("{:?}", event.retarget()), "Retarget");
    }

    /// The inner event's description (in logs and errors) and its timeout are the event's.
    #[test]
    fn the_inner_event_s_description_and_timeout_are_kept() {
        let inner = Wait4::new([r"ALARM (\d+)"]).unwrap().timeout(Duration::from_secs(7));
        let event = Records::new(inner, None, |o| Some(o.line));
        assert_eq!(event.describe(), r#"event Wait4(["ALARM (\\d+)"])"#);
        assert_eq!(Observer::timeout(&event), Some(Duration::from_secs(7)));
        let event = Records::new(Wait4::new(["x"]).unwrap(), None, |o| Some(o.line));
        assert_eq!(Observer::timeout(&event), None);
    }

    #[test]
    fn dates_across_leap_years_and_centuries() {
        let at = |s: u64| iso_utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00.000000Z");
        assert_eq!(at(4_107_542_399), "2100-02-28T23:59:59.000000Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00.000000Z");
    }

    #[test]
    fn wall_clock_keeps_the_distance_between_instants() {
        let a = Instant::now();
        let b = a + Duration::from_millis(1500);
        let d = wall_clock(b).duration_since(wall_clock(a)).unwrap();
        assert_eq!(d, Duration::from_millis(1500));
        let before = a.checked_sub(Duration::from_secs(5)).unwrap_or(a);
        assert!(wall_clock(before) <= wall_clock(a));
    }
}
