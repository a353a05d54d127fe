//! Every AWS call this process makes, counted per service and operation:
//! each execution (a page of a paginated list is one) and each attempt
//! (retries included), by an SDK interceptor on every client. `-v` prints
//! the counts at the end of a command, so that the cost of a command on an
//! organization is known, and `sandbox serve --log-requests` can be set
//! beside it to see the same requests from the other side.
//!
//! It counts; it must not change a request or decide anything.

use std::collections::BTreeMap;
use std::sync::Mutex;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Calls and attempts of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// Executions: one per request the code made (each page counts).
    pub calls: u64,
    /// HTTP attempts: `calls` plus the SDK's retries.
    pub attempts: u64,
}

static COUNTS: Mutex<BTreeMap<(String, String), Count>> = Mutex::new(BTreeMap::new());

fn bump(service: &str, cfg: &ConfigBag, f: impl FnOnce(&mut Count)) {
    let operation = cfg
        .load::<Metadata>()
        .map(|m| m.name().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    if let Ok(mut counts) = COUNTS.lock() {
        f(counts.entry((service.to_string(), operation)).or_default());
    }
}

/// The interceptor, for the client of `service` (its IAM prefix).
#[derive(Debug, Clone, Copy)]
pub struct Counter {
    pub service: &'static str,
}

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "ctmigrate call counter"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        bump(self.service, cfg, |c| c.calls += 1);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        bump(self.service, cfg, |c| c.attempts += 1);
        Ok(())
    }
}

/// The counts so far: (service, operation) → count.
pub fn counts() -> BTreeMap<(String, String), Count> {
    COUNTS.lock().map(|c| c.clone()).unwrap_or_default()
}

/// The counts as lines for `-v`: a total, then one line per operation.
pub fn summary() -> Option<String> {
    let counts = counts();
    if counts.is_empty() {
        return None;
    }
    let calls: u64 = counts.values().map(|c| c.calls).sum();
    let attempts: u64 = counts.values().map(|c| c.attempts).sum();
    let mut out = format!(
        "AWS calls: {calls} ({} retried attempt(s))",
        attempts.saturating_sub(calls)
    );
    for ((service, operation), c) in &counts {
        out.push_str(&format!("\n  {service}:{operation} {}", c.calls));
        if c.attempts > c.calls {
            out.push_str(&format!(" (+{} retries)", c.attempts - c.calls));
        }
    }
    Some(out)
}
