//! Throttling outlasted: a request the service refused for its rate was not
//! carried out, so it is sent again after a growing pause until the
//! service takes it or the attempts run out. The SDK's own retries run
//! inside each attempt; this outer loop keeps going when the SDK's retry
//! quota is spent under sustained throttling, which otherwise fails a whole
//! read of the organization on one unlucky call.
//!
//! It owns the backoff schedule every retry in ctmigrate uses. It must not
//! retry anything but throttling: a timed-out write may have been carried out.

use std::future::Future;
use std::time::Duration;

use super::AwsError;

/// Attempts of one request while it is throttled. With the SDK's own
/// attempts inside each, a call fails for throttling only when the service
/// refuses it for about half a minute.
pub const THROTTLED_ATTEMPTS: u32 = 8;
/// The longest pause between two of them.
const MAX_PAUSE: Duration = Duration::from_secs(10);

/// Backoff before attempt `attempt` (1-based) after a transient failure:
/// exponential from 250 ms up to 20 s with jitter ("equal jitter"), or the
/// service's `Retry-After` when that is longer.
pub fn backoff(attempt: u32, retry_after_secs: Option<u16>) -> Duration {
    let base_ms = 250u64.saturating_mul(1u64 << attempt.min(7)).min(20_000);
    let jitter = fastrand::u64(0..=base_ms / 2);
    let ours = Duration::from_millis(base_ms / 2 + jitter);
    match retry_after_secs {
        Some(s) => ours.max(Duration::from_secs(u64::from(s))),
        None => ours,
    }
}

/// Runs `attempt` again after each throttling error, pausing by
/// [`backoff`], up to [`THROTTLED_ATTEMPTS`] times; any other outcome is
/// returned as it is.
pub async fn outlast<T, F, Fut>(mut attempt: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut n = 1;
    loop {
        match attempt().await {
            Err(e) if e.is_throttling() && n < THROTTLED_ATTEMPTS => {
                tokio::time::sleep(backoff(n, e.retry_after_secs).min(MAX_PAUSE)).await;
                n += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsErrorKind;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn error(code: &str, status: u16) -> AwsError {
        AwsError {
            service: "organizations",
            operation: "ListRoots",
            kind: AwsErrorKind::Service {
                code: code.into(),
                message: String::new(),
                status: Some(status),
                request_id: None,
            },
            retry_after_secs: None,
        }
    }

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        assert!(backoff(1, None) <= Duration::from_millis(500));
        assert!(backoff(10, None) <= Duration::from_secs(20));
        assert!(backoff(1, Some(3)) >= Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_is_outlasted_and_nothing_else_is_retried() {
        let calls = AtomicU32::new(0);
        let got = outlast(|| async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            if n < 5 {
                Err(error("TooManyRequestsException", 400))
            } else {
                Ok(n)
            }
        })
        .await;
        assert_eq!(got.ok(), Some(5));

        let calls = AtomicU32::new(0);
        let got: Result<(), AwsError> = outlast(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(error("AccessDeniedException", 403))
        })
        .await;
        assert!(got.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let calls = AtomicU32::new(0);
        let got: Result<(), AwsError> = outlast(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(error("ThrottlingException", 400))
        })
        .await;
        assert!(got.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), THROTTLED_ATTEMPTS);
    }
}
