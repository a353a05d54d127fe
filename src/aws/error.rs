//! One error type for every AWS call, mapped once from the SDK's `SdkError`:
//! it keeps the service, the operation, the error code, the message, the HTTP
//! status and the request id, and says whether the failure was the service's
//! answer, a connection problem, missing credentials or a timeout.

use aws_sdk_organizations::config::http::HttpResponse;
use aws_sdk_organizations::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_organizations::operation::RequestId;

/// What kind of failure an AWS call had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The service answered with an error.
    Service {
        code: String,
        message: String,
        status: Option<u16>,
        request_id: Option<String>,
    },
    /// No credentials could be found or loaded.
    Credentials(String),
    /// The endpoint could not be reached (connection refused, reset, DNS, TLS).
    Unreachable(String),
    /// The call timed out.
    Timeout(String),
    /// Anything else (request construction, unparseable response).
    Other(String),
}

/// A failed AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub service: &'static str,
    pub operation: &'static str,
    pub kind: AwsErrorKind,
    /// The service's `Retry-After` header, in seconds, when it sent one.
    pub retry_after_secs: Option<u16>,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (service, op) = (self.service, self.operation);
        match &self.kind {
            AwsErrorKind::Service {
                code,
                message,
                status,
                request_id,
            } => {
                write!(f, "{service} {op} failed: {code}: {message}")?;
                if let Some(s) = status {
                    write!(f, " (HTTP {s}")?;
                    if let Some(r) = request_id {
                        write!(f, ", request id {r}")?;
                    }
                    write!(f, ")")?;
                }
                Ok(())
            }
            AwsErrorKind::Credentials(m) => {
                write!(f, "{service} {op}: no usable AWS credentials ({m})")
            }
            AwsErrorKind::Unreachable(m) => {
                write!(f, "{service} {op}: cannot reach the endpoint ({m})")
            }
            AwsErrorKind::Timeout(m) => write!(f, "{service} {op}: timed out ({m})"),
            AwsErrorKind::Other(m) => write!(f, "{service} {op} failed: {m}"),
        }
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    /// The service's error code, if the service answered.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            AwsErrorKind::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The service's error message, if the service answered.
    pub fn message(&self) -> Option<&str> {
        match &self.kind {
            AwsErrorKind::Service { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether the endpoint could not be reached at all (refused, reset,
    /// timed out), as opposed to an answer that says no.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self.kind,
            AwsErrorKind::Unreachable(_) | AwsErrorKind::Timeout(_)
        )
    }

    /// Whether the service refused the request for its rate (it was not
    /// carried out, so sending it again is safe for a write too).
    pub fn is_throttling(&self) -> bool {
        match &self.kind {
            AwsErrorKind::Service { code, status, .. } => {
                code.contains("Throttl")
                    || code == "TooManyRequestsException"
                    || code == "RequestLimitExceeded"
                    || *status == Some(429)
            }
            _ => false,
        }
    }

    /// Whether trying the same call again later may succeed: throttling, the
    /// Control Tower concurrency quota (HTTP 402), server errors, timeouts and
    /// dropped connections.
    pub fn is_transient(&self) -> bool {
        match &self.kind {
            AwsErrorKind::Service { code, status, .. } => {
                code.contains("Throttl")
                    || code == "TooManyRequestsException"
                    || code == "ServiceQuotaExceededException"
                    || code == "ConcurrentModificationException"
                    || matches!(status, Some(s) if *s == 429 || *s >= 500)
            }
            AwsErrorKind::Unreachable(_) | AwsErrorKind::Timeout(_) => true,
            AwsErrorKind::Credentials(_) | AwsErrorKind::Other(_) => false,
        }
    }

    /// Whether the service answered with `code`.
    pub fn is(&self, code: &str) -> bool {
        self.code() == Some(code)
    }

    /// Maps an SDK error.
    pub fn from_sdk<E>(
        service: &'static str,
        operation: &'static str,
        err: SdkError<E, HttpResponse>,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let chain = short_chain(&err);
        let retry_after_secs = match &err {
            SdkError::ServiceError(ctx) => ctx
                .raw()
                .headers()
                .get("retry-after")
                .and_then(|v| v.trim().parse::<u16>().ok()),
            _ => None,
        };
        let kind = match &err {
            SdkError::ServiceError(ctx) => {
                let meta = ctx.err().meta();
                AwsErrorKind::Service {
                    code: meta.code().unwrap_or("Unknown").to_string(),
                    message: meta.message().unwrap_or_default().to_string(),
                    status: Some(ctx.raw().status().as_u16()),
                    request_id: meta.request_id().map(str::to_string),
                }
            }
            SdkError::TimeoutError(_) => AwsErrorKind::Timeout(chain),
            SdkError::DispatchFailure(d) if d.is_timeout() => AwsErrorKind::Timeout(chain),
            _ if chain.to_ascii_lowercase().contains("credential") => {
                AwsErrorKind::Credentials(chain)
            }
            SdkError::DispatchFailure(d) if d.is_io() || d.is_other() => {
                AwsErrorKind::Unreachable(chain)
            }
            SdkError::DispatchFailure(_) if chain.contains("connect") => {
                AwsErrorKind::Unreachable(chain)
            }
            SdkError::ResponseError(_) if chain.contains("connection") => {
                AwsErrorKind::Unreachable(chain)
            }
            _ => AwsErrorKind::Other(chain),
        };
        AwsError {
            service,
            operation,
            kind,
            retry_after_secs,
        }
    }
}

/// The error's cause chain as one short line: each level's message once,
/// joined with `: `, without the SDK's debug dump.
fn short_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default().trim().to_string();
        if !first.is_empty() && !parts.iter().any(|p| p.contains(&first)) {
            parts.push(first);
        }
        cur = e.source();
    }
    parts.join(": ")
}
