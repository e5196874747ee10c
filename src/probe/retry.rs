//! What is retried, how often, and when a dropped connection counts as a refusal.
//!
//! Retried: timeouts (`--retries` times: each costs a full wait), and the cheap faults of a
//! path or a busy server — resets, closes and other socket errors — up to
//! [`MAX_FAST_RETRIES`] times per hello with a short back-off. Never retried: a refused
//! connection (the port is closed), anything the server said (an alert is an answer), a
//! violation, a cap, the endpoint's budget, an interruption.
//!
//! A close or reset before any byte of an answer (a "silent drop") is a fault on a lossy path,
//! but some stacks also refuse a hello that way. No single drop is evidence. A drop becomes a
//! refusal only when both hold:
//! - chance cannot explain it: with `p` the endpoint's fault rate (Laplace's estimate over the
//!   faults that retries proved to be faults: timeouts, resets mid-answer, and drops that a
//!   retry of the same hello got past), `n` drops in a row need `p^n <` [`DROP_EVIDENCE`], and
//!   never fewer than [`MIN_DROPS`]. A clean drop-refusing server gets there in 3 attempts, a
//!   path that drops 30% of connections needs 8;
//! - the server is selective, not gone: since the first of those drops it answered some other
//!   hello (another sweep's, or a witness: a hello it accepted before, sent once more). A relay
//!   that closes every connection after the first never gets past this, so its drops stay
//!   faults: gaps, never refusals.
//!
//! Every endpoint has a budget of [`ENDPOINT_RETRIES`] retries in all, so that a path that
//! faults all the time costs the server a bounded number of extra hellos.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::model::ConnError;

/// Retries of one hello after resets, closes and socket errors.
pub const MAX_FAST_RETRIES: u32 = 9;

/// Retries of the first hello to an endpoint after resets and closes: nothing is known of its
/// path yet, and a port that closes every connection should cost a few hellos, not ten.
pub const FIRST_CONTACT_RETRIES: u32 = 2;

/// Retries of all hellos of one endpoint together.
pub const ENDPOINT_RETRIES: u32 = 256;

/// Drops in a row below which no refusal is ever inferred.
pub const MIN_DROPS: u32 = 3;

/// How unlikely `n` random drops in a row must be before they count as a refusal.
pub const DROP_EVIDENCE: f64 = 1e-4;

/// Waits before retry `attempt` (1-based) after a timeout: 100 ms, 200 ms, 400 ms, ...
/// capped at 2 s.
pub async fn backoff(attempt: u32) {
    tokio::time::sleep(backoff_delay(attempt, 100, 2000)).await;
}

/// Waits before retry `attempt` after a fast fault: 20 ms, 40 ms, ... capped at 500 ms, so
/// that a server that was briefly overloaded gets room, and a lossy path a fresh chance.
pub async fn fast_backoff(attempt: u32) {
    tokio::time::sleep(backoff_delay(attempt, 20, 500)).await;
}

/// [`backoff`], unless the wait would end past `deadline`: then false at once (no retry is
/// worth starting that the endpoint's time budget cannot finish).
pub async fn backoff_until(attempt: u32, deadline: Instant) -> bool {
    wait_before(backoff_delay(attempt, 100, 2000), deadline).await
}

/// [`fast_backoff`], unless the wait would end past `deadline` (then false at once).
pub async fn fast_backoff_until(attempt: u32, deadline: Instant) -> bool {
    wait_before(backoff_delay(attempt, 20, 500), deadline).await
}

async fn wait_before(delay: Duration, deadline: Instant) -> bool {
    match Instant::now().checked_add(delay) {
        Some(end) if end < deadline => {
            tokio::time::sleep_until(end).await;
            true
        }
        _ => false,
    }
}

fn backoff_delay(attempt: u32, base_ms: u64, cap_ms: u64) -> Duration {
    let ms = base_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(6));
    Duration::from_millis(ms.min(cap_ms))
}

/// Runs `op` (a connect) up to `retries + 1` times while it fails transiently and the
/// backoff before the next attempt ends before `deadline`.
pub async fn run<T, F, Fut>(
    retries: u32,
    abort: &CancellationToken,
    deadline: Instant,
    mut op: F,
) -> Result<T, ConnError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ConnError>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Err(e) if e.is_transient() && attempt < retries && !abort.is_cancelled() => {
                attempt += 1;
                if !backoff_until(attempt, deadline).await {
                    return Err(e);
                }
            }
            other => return other,
        }
    }
}

/// What one endpoint's exchanges have shown of its path: attempts, proven faults, answers,
/// and the retries left in its budget. Shared by every probe of the endpoint.
#[derive(Debug)]
pub struct PathStats {
    attempts: AtomicU32,
    faults: AtomicU32,
    answers: AtomicU32,
    retries_left: AtomicU32,
    /// When the first hello went out: the first contact's time budget counts from here.
    first_contact: OnceLock<Instant>,
}

impl Default for PathStats {
    fn default() -> Self {
        PathStats {
            attempts: AtomicU32::new(0),
            faults: AtomicU32::new(0),
            answers: AtomicU32::new(0),
            retries_left: AtomicU32::new(ENDPOINT_RETRIES),
            first_contact: OnceLock::new(),
        }
    }
}

/// What to do after a silent drop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropVerdict {
    /// Not enough yet: retry the hello.
    Retry,
    /// Enough drops, but nothing shows the server still answers: ask a witness.
    NeedWitness,
    /// The drops are the server's refusal.
    Refusal,
}

impl PathStats {
    /// Records one attempt: answered, a proven fault (timeout, reset or close mid-answer), or
    /// a silent drop (counted as a fault only once a retry gets past it: [`Self::resolved`]).
    pub fn record(&self, outcome: Attempt) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Attempt::Answered => {
                self.answers.fetch_add(1, Ordering::Relaxed);
            }
            Attempt::Fault => {
                self.faults.fetch_add(1, Ordering::Relaxed);
            }
            Attempt::Dropped => {}
        }
    }

    /// `n` drops of one hello were followed by an answer to it: they were faults.
    pub fn resolved(&self, n: u32) {
        self.faults.fetch_add(n, Ordering::Relaxed);
    }

    /// Answers so far (of every hello of the endpoint).
    pub fn answers(&self) -> u32 {
        self.answers.load(Ordering::Relaxed)
    }

    /// Retries left in the endpoint's budget.
    pub fn retries_left(&self) -> u32 {
        self.retries_left.load(Ordering::Relaxed)
    }

    /// Notes that the first hello goes out now (only the first call counts); returns when it
    /// did.
    pub fn first_contact(&self) -> Instant {
        *self.first_contact.get_or_init(Instant::now)
    }

    /// Takes one retry from the endpoint's budget; false when it is spent.
    pub fn take_retry(&self) -> bool {
        self.retries_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| r.checked_sub(1))
            .is_ok()
    }

    /// Whether the path faults so often that retrying is pointless: proven faults in more
    /// than half of at least eight attempts.
    pub fn hopeless(&self) -> bool {
        let attempts = self.attempts.load(Ordering::Relaxed);
        let faults = self.faults.load(Ordering::Relaxed);
        attempts >= 8 && faults.saturating_mul(2) > attempts
    }

    /// What `drops` silent drops in a row of one hello mean, given the answers counted when
    /// the first of them came (module doc).
    pub fn judge_drops(&self, drops: u32, answers_at_first_drop: u32) -> DropVerdict {
        if drops < MIN_DROPS {
            return DropVerdict::Retry;
        }
        let attempts = f64::from(self.attempts.load(Ordering::Relaxed).saturating_sub(drops));
        let faults = f64::from(self.faults.load(Ordering::Relaxed));
        let p = (faults + 1.0) / (attempts + 2.0);
        let exponent = i32::try_from(drops).unwrap_or(i32::MAX);
        if p.powi(exponent) >= DROP_EVIDENCE {
            DropVerdict::Retry
        } else if self.answers() > answers_at_first_drop {
            DropVerdict::Refusal
        } else {
            DropVerdict::NeedWitness
        }
    }
}

/// One attempt's outcome, for [`PathStats::record`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// A TLS answer.
    Answered,
    /// A proven fault.
    Fault,
    /// A close or reset before any byte.
    Dropped,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(answers: u32, faults: u32) -> PathStats {
        let s = PathStats::default();
        for _ in 0..answers {
            s.record(Attempt::Answered);
        }
        for _ in 0..faults {
            s.record(Attempt::Fault);
        }
        s
    }

    fn drops(s: &PathStats, n: u32) {
        for _ in 0..n {
            s.record(Attempt::Dropped);
        }
    }

    #[test]
    fn a_clean_path_believes_three_drops_while_others_are_answered() {
        let s = stats(30, 0);
        let at_first = s.answers();
        drops(&s, 3);
        assert_eq!(s.judge_drops(2, at_first), DropVerdict::Retry);
        assert_eq!(s.judge_drops(3, at_first), DropVerdict::NeedWitness);
        s.record(Attempt::Answered);
        assert_eq!(s.judge_drops(3, at_first), DropVerdict::Refusal);
    }

    #[test]
    fn a_lossy_path_needs_many_more() {
        // 30 % proven faults: 0.3^7 > 1e-4 > 0.3^8.
        let s = stats(70, 30);
        let at_first = s.answers();
        drops(&s, 8);
        s.record(Attempt::Answered);
        assert_eq!(s.judge_drops(7, at_first), DropVerdict::Retry);
        assert_eq!(s.judge_drops(8, at_first), DropVerdict::Refusal);
    }

    #[test]
    fn nothing_is_believed_before_anything_went_well() {
        let s = stats(0, 4);
        drops(&s, 10);
        assert_eq!(s.judge_drops(10, 0), DropVerdict::Retry);
    }

    #[test]
    fn proven_faults_make_a_path_hopeless() {
        let s = stats(3, 5);
        assert!(s.hopeless());
        let s = stats(5, 3);
        drops(&s, 20);
        assert!(!s.hopeless(), "drops are not proven faults");
    }

    #[test]
    fn the_budget_runs_out() {
        let s = PathStats::default();
        for _ in 0..ENDPOINT_RETRIES {
            assert!(s.take_retry());
        }
        assert!(!s.take_retry());
    }

    #[tokio::test(start_paused = true)]
    async fn connects_retry_timeouts_but_not_refusals() {
        let calls = std::cell::Cell::new(0);
        let token = CancellationToken::new();
        let far = Instant::now() + Duration::from_secs(60);
        let r: Result<(), _> = run(2, &token, far, || {
            calls.set(calls.get() + 1);
            async { Err(ConnError::ConnectTimeout(Duration::from_secs(1))) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.get(), 3);
        calls.set(0);
        let r: Result<(), _> = run(2, &token, far, || {
            calls.set(calls.get() + 1);
            async { Err(ConnError::Refused) }
        })
        .await;
        assert_eq!(r, Err(ConnError::Refused));
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn no_retry_starts_past_the_deadline() {
        let calls = std::cell::Cell::new(0);
        let token = CancellationToken::new();
        let start = Instant::now();
        // A million retries, 350 ms of budget: the 100 ms and 200 ms backoffs fit, 400 ms not.
        let r: Result<(), _> = run(
            1_000_000,
            &token,
            start + Duration::from_millis(350),
            || {
                calls.set(calls.get() + 1);
                async { Err(ConnError::ConnectTimeout(Duration::ZERO)) }
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.get(), 3);
        assert_eq!(start.elapsed(), Duration::from_millis(300));
    }

    #[test]
    fn backoff_is_capped() {
        assert_eq!(backoff_delay(1, 20, 500), Duration::from_millis(20));
        assert_eq!(backoff_delay(3, 20, 500), Duration::from_millis(80));
        assert_eq!(backoff_delay(30, 20, 500), Duration::from_millis(500));
    }
}
