//! A journal that cannot be written in the middle of a run (a full or
//! read-only disk, injected with the `test-hooks` build's
//! `CTMIGRATE_TEST_FAIL_JOURNAL_AFTER_RECORD`): the run stops at the failed
//! write, says so, and releases its lock; every change the sandbox was asked
//! for was journaled before it was sent; and `resume` finishes the job.

use std::path::Path;

use serde_json::Value;

use crate::apply_cli::{JOURNAL, PLAN, cli, copy_of, journal_records, resume, template};
use crate::common::*;

const MUTATING: [&str; 8] = [
    "CreatePolicy",
    "UpdatePolicy",
    "DeletePolicy",
    "AttachPolicy",
    "DetachPolicy",
    "EnableControl",
    "DisableControl",
    "UpdateEnabledControl",
];

/// The mutating requests the sandbox received, as (operation, input).
fn changes_asked(log: &Path) -> Vec<(String, Value)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|r| {
            let op = r["operation"].as_str()?.to_string();
            MUTATING
                .contains(&op.as_str())
                .then(|| (op, r["input"].clone()))
        })
        .collect()
}

/// The requests the journal recorded before sending, as (operation, input).
fn changes_journaled(dir: &Path) -> Vec<(String, Value)> {
    journal_records(dir)
        .iter()
        .filter(|r| r["event"] == "step_started" || r["event"] == "undo_started")
        .filter_map(|r| {
            let req = &r["request"];
            Some((req["operation"].as_str()?.to_string(), req["input"].clone()))
        })
        .filter(|(op, _)| MUTATING.contains(&op.as_str()))
        .collect()
}

#[test]
fn defect_6_a_failed_journal_write_stops_the_run_before_its_next_aws_call() {
    let base = template();
    // Before the companion is created; before the first attach; in the
    // middle of the enable stage, with control operations in flight.
    for fail_after in [21u64, 26, 30, 34] {
        let dir = copy_of(base.path());
        let log = dir.path().join("requests.jsonl");
        let Ran {
            code,
            stdout: out,
            stderr: err,
        } = run(cli(dir.path(), &["apply", "--plan", PLAN, "--yes"])
            .env(
                "CTMIGRATE_TEST_FAIL_JOURNAL_AFTER_RECORD",
                fail_after.to_string(),
            )
            .env("CTMIGRATE_SANDBOX_REQUEST_LOG", &log));
        assert_eq!(code, 1, "after {fail_after}: {out}{err}");
        assert!(
            err.contains("injected journal failure"),
            "after {fail_after}: {err}"
        );
        assert!(
            err.contains("every request it sent to AWS was journaled before it was sent"),
            "after {fail_after}: {err}"
        );
        assert_eq!(journal_records(dir.path()).len() as u64, fail_after);
        assert!(
            !dir.path().join(format!("{JOURNAL}.lock")).exists(),
            "after {fail_after}: the lock is released"
        );
        // Every change the sandbox was asked for was journaled first.
        let journaled = changes_journaled(dir.path());
        let asked = changes_asked(&log);
        for change in &asked {
            assert!(
                journaled.contains(change),
                "after {fail_after}: {} {} was sent without a journal record",
                change.0,
                change.1
            );
        }
        assert!(
            asked.len() <= journaled.len(),
            "after {fail_after}: {} changes sent, {} journaled",
            asked.len(),
            journaled.len()
        );
        // The journal is whole and unlocked: resume takes it and goes on
        // to the console step.
        let Ran {
            code,
            stdout: out,
            stderr: err,
        } = resume(dir.path(), None);
        assert_eq!(code, 3, "after {fail_after}: {out}{err}");
    }
}
