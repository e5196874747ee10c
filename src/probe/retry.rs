//! What is retried, and how long we wait. Retried: connect errors other than refusal, and
//! timeouts. Never retried: a refused connection (the port is closed) and anything the server
//! said (an alert is an answer, not a failure).

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::probe::conn::ConnError;

/// Waits before attempt `attempt` (1-based): 100 ms, 200 ms, 400 ms, ... capped at 2 s.
pub async fn backoff(attempt: u32) {
    let ms = 100u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(5));
    tokio::time::sleep(Duration::from_millis(ms.min(2000))).await;
}

/// Runs `op` up to `retries + 1` times while it fails transiently.
pub async fn run<T, F, Fut>(
    retries: u32,
    abort: &CancellationToken,
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
                backoff(attempt).await;
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
        let r: Result<(), _> = run(2, &token, || {
            calls.set(calls.get() + 1);
            async { Err(ConnError::ConnectTimeout(Duration::from_secs(1))) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.get(), 3);

        calls.set(0);
        let r: Result<(), _> = run(2, &token, || {
            calls.set(calls.get() + 1);
            async { Err(ConnError::Refused) }
        })
        .await;
        assert_eq!(r, Err(ConnError::Refused));
        assert_eq!(calls.get(), 1);
    }
}
