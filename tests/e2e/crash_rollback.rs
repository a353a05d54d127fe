//! Rollback after a crash in the middle of a step (issue 17, defect 1): a
//! step that started but never recorded its outputs (the enabled control's
//! ARN, the companion's policy id) is undone from what the organization
//! shows, and an undo whose effect is not there is skipped. Rollback then
//! brings the organization back exactly as it was, and never stalls.

use serde_json::Value;

use crate::apply_cli::{
    JOURNAL, apply, assert_always_covered, baseline, cli, copy_of, normalised, template_dir,
};
use crate::common::*;

/// The journal records at which apply is killed: every record from the
/// first step started up to the verify checkpoint (outputs not yet
/// recorded, operations in flight, attaches half done).
fn abort_points(records: &[Value]) -> Vec<u64> {
    let first = records
        .iter()
        .find(|r| r["event"] == "step_started")
        .and_then(|r| r["seq"].as_u64())
        .unwrap_or(1);
    let verify = records
        .iter()
        .find(|r| r["event"] == "checkpoint" && r["stage"] == "enable")
        .and_then(|r| r["seq"].as_u64())
        .unwrap_or(first);
    (first..=verify).collect()
}

#[test]
fn a_rollback_after_a_kill_inside_any_step_restores_the_organization() {
    let (_, records, before) = baseline();
    let points = abort_points(records);
    assert!(points.len() >= 10, "{points:?}");
    let chunks: Vec<Vec<u64>> = points
        .chunks(points.len().div_ceil(4))
        .map(<[u64]>::to_vec)
        .collect();
    std::thread::scope(|s| {
        for chunk in &chunks {
            s.spawn(move || {
                for &n in chunk {
                    let dir = copy_of(template_dir());
                    let killed = apply(dir.path(), Some(n));
                    assert_ne!(killed.code, 0, "apply killed after record {n} exited 0");
                    let rb = run(&mut cli(
                        dir.path(),
                        &["rollback", "--journal", JOURNAL, "--yes"],
                    ));
                    assert_eq!(
                        rb.code, 0,
                        "rollback after a kill at record {n}:\n{}\n{}",
                        rb.stdout, rb.stderr
                    );
                    assert_eq!(
                        &normalised(dir.path()),
                        before,
                        "rollback after a kill at record {n} left changes"
                    );
                    assert_always_covered(dir.path(), &format!("kill at {n}, then rollback"));
                }
            });
        }
    });
}

#[test]
fn sigint_stops_a_rollback_at_a_checkpoint_and_rollback_then_finishes() {
    let (_, _, before) = baseline();
    let dir = copy_of(template_dir());
    let d = dir.path();
    apply(d, None).expect_exit(3);
    let (_, out) = interrupt_at(
        &mut cli(d, &["rollback", "--journal", JOURNAL, "--yes"]),
        &d.join(JOURNAL),
        "undo_started",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("stopped at a checkpoint: interrupted"),
        "{err}"
    );
    let go_on = printed_command(&err, "continue with: ");
    assert_eq!(
        go_on,
        format!("ctmigrate --sandbox --sandbox-dir sb rollback --journal {JOURNAL} --yes")
    );
    // Nothing was left half done, and the printed command finishes it.
    assert_ne!(&normalised(d), before, "the rollback had not finished");
    run(shell(d, &go_on).env("CTMIGRATE_POLL_INTERVAL", "40ms")).expect_success();
    assert_eq!(&normalised(d), before);
    assert_always_covered(d, "rollback interrupted, then finished");
}
