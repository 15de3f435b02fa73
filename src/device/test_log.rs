//! What the devices' unit tests capture of the log.

use std::sync::Arc;

/// What `body` returned, and the messages of the warnings logged on this thread meanwhile.
pub(crate) fn warnings<T>(body: impl FnOnce() -> T) -> (T, Vec<String>) {
    logged(tracing::Level::WARN, body)
}

/// What `body` returned, and the messages logged at `level` on this thread meanwhile.
pub(crate) fn logged<T>(level: tracing::Level, body: impl FnOnce() -> T) -> (T, Vec<String>) {
    use tracing_subscriber::layer::SubscriberExt;
    #[derive(Clone)]
    struct Seen(tracing::Level, Arc<std::sync::Mutex<Vec<String>>>);
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Seen {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if *event.metadata().level() == self.0 {
                self.1.lock().unwrap().push(crate::logging::message_of(event));
            }
        }
    }
    let seen = Seen(level, Arc::default());
    // tracing caches each callsite's interest for the whole process, computed once, by the
    // thread that reaches it first; with a single dispatcher registered, from that thread's
    // own default. A test running alongside with none (NoSubscriber) could then switch the
    // warning off for good (CI, once: nothing seen). A second dispatcher alive meanwhile
    // makes that computation ask every registered one, this one included.
    let _anchor = tracing::Dispatch::new(tracing_subscriber::registry());
    let subscriber = tracing_subscriber::registry().with(seen.clone());
    let out = tracing::subscriber::with_default(subscriber, body);
    let seen = seen.1.lock().unwrap().clone();
    (out, seen)
}
