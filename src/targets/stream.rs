//! The async driver of an [`Expansion`]: a tokio task that feeds planned endpoints into a
//! bounded channel (back-pressure: the expansion runs only as fast as the engine consumes) and
//! resolves host names a few at a time ahead of need, so a long `-iL` of names does not wait
//! on one lookup after another.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::expand::{Expansion, Step};
use super::{Planned, Resolve, TargetSet};

/// Name lookups in flight ahead of the expansion. Enough to hide DNS latency for a list of
/// names; small enough not to flood a resolver.
const LOOKAHEAD: usize = 16;

/// The result type of one lookup.
type Answer = Result<Vec<IpAddr>, String>;

impl TargetSet {
    /// Starts the lazy expansion on a tokio task and returns its output channel, holding at
    /// most `buffer` planned items (at least 1). Dropping the receiver stops the task.
    ///
    /// Must be called inside a tokio runtime.
    pub fn into_stream(self, resolver: Arc<dyn Resolve>, buffer: usize) -> mpsc::Receiver<Planned> {
        let (tx, rx) = mpsc::channel(buffer.max(1));
        tokio::spawn(drive(Expansion::new(self), resolver, tx));
        rx
    }
}

async fn drive(mut expansion: Expansion, resolver: Arc<dyn Resolve>, tx: mpsc::Sender<Planned>) {
    let mut lookups = Lookahead::new(expansion.lookup_order(), resolver);
    loop {
        match expansion.next() {
            Step::Emit(planned) => {
                if tx.send(planned).await.is_err() {
                    return;
                }
            }
            Step::Resolve(name) => {
                let answer = lookups.take(&name).await;
                expansion.provide(answer);
            }
            Step::Idle => {
                if tx.is_closed() {
                    return;
                }
                tokio::task::yield_now().await;
            }
            Step::Done => return,
        }
    }
}

/// Lookups started in the order the expansion will ask for them.
struct Lookahead {
    resolver: Arc<dyn Resolve>,
    upcoming: VecDeque<String>,
    in_flight: VecDeque<(String, JoinHandle<Answer>)>,
}

impl Lookahead {
    fn new(order: Vec<String>, resolver: Arc<dyn Resolve>) -> Self {
        Lookahead {
            resolver,
            upcoming: order.into(),
            in_flight: VecDeque::new(),
        }
    }

    /// The answer for `name`, which should be the next in order; anything else is looked up
    /// directly (correct, just not prefetched).
    async fn take(&mut self, name: &str) -> Answer {
        self.fill();
        match self.in_flight.pop_front() {
            Some((ahead, handle)) if ahead == name => handle
                .await
                .unwrap_or_else(|e| Err(format!("resolver task failed: {e}"))),
            other => {
                if let Some(entry) = other {
                    self.in_flight.push_front(entry);
                }
                self.resolver.lookup(name).await
            }
        }
    }

    fn fill(&mut self) {
        while self.in_flight.len() < LOOKAHEAD {
            let Some(name) = self.upcoming.pop_front() else {
                return;
            };
            let resolver = self.resolver.clone();
            let lookup = name.clone();
            let handle = tokio::spawn(async move { resolver.lookup(&lookup).await });
            self.in_flight.push_back((name, handle));
        }
    }
}

impl Drop for Lookahead {
    fn drop(&mut self) {
        // The scan stopped (receiver dropped or finished): don't leave lookups running.
        for (_, handle) in &self.in_flight {
            handle.abort();
        }
    }
}
