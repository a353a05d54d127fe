//! Planning (pure): from a [`crate::snapshot::Snapshot`], the inference
//! profiles read per source Region and the user's [`PlanInputs`], build a
//! [`Plan`] of staged, reversible steps. Also the plan's Markdown review
//! document and JSON Schema. No I/O, no AWS types, no clock: callers pass
//! the creation time; [`file`] is the one place that reads and writes the
//! plan's files.

pub mod action;
mod build;
pub mod companion;
mod deny_diff;
mod diff;
pub mod file;
mod fingerprint;
pub mod inputs;
mod markdown;
mod model;
pub mod proof;
pub mod pv1;

pub use action::{Action, ActionError, ApiCall};
pub use build::{CONSOLE_UPDATE_SECONDS, CONTROL_OPERATION_SECONDS, PlanRequest, build};
pub use diff::diff;
pub use fingerprint::{checksum, fingerprint, sha256_hex};
pub use inputs::{CompanionMode, PlanInputs};
pub use markdown::markdown;
pub use model::*;

/// The JSON Schema of the plan file, generated from the types.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Plan)).unwrap_or_default()
}

/// "1h 05m", "4m", "10s".
pub fn human_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h {m:02}m"),
    }
}
