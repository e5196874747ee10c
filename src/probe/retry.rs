//! What is retried, and how long we wait. Retried: connect errors other than refusal, and
//! timeouts. Never retried: a refused connection (the port is closed) and anything the server
//! said (an alert is an answer, not a failure).

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::probe::conn::ConnError;

/// Waits before attempt `attempt` (1-based): 100 ms, 200 ms, 400 ms, ... capped at 2 s.
pub async fn backoff(attempt: u32) {
    tokio::time::sleep(delay(attempt)).await;
}

/// [`backoff`], unless the wait would end past `deadline`: then false at once (no retry is
/// worth starting that the endpoint's time budget cannot finish).
pub async fn backoff_until(attempt: u32, deadline: Instant) -> bool {
    let Some(end) = Instant::now().checked_add(delay(attempt)) else {
        return false;
    };
    if end >= deadline {
        return false;
    }
    tokio::time::sleep_until(end).await;
    true
}

fn delay(attempt: u32) -> Duration {
    let ms = 100u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(5));
    Duration::from_millis(ms.min(2000))
}

/// Runs `op` up to `retries + 1` times while it fails transiently and the backoff before the
/// next attempt ends before `deadline`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test(start_paused = true)]
    async fn retries_timeouts_but_not_refusals() {
        let calls = Cell::new(0);
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
        let calls = Cell::new(0);
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
}
