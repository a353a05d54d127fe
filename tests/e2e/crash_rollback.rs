//! Rollback after a crash in the middle of a step (issue 17, defect 1): a
//! step that started but never recorded its outputs (the enabled control's
//! ARN, the companion's policy id) is undone from what the organization
//! shows, and an undo whose effect is not there is skipped. Rollback then
//! brings the organization back exactly as it was, and never stalls.
//!
//! Rollback after the journal lost its tail (defect 2): what a later
//! `resume` found in place is undone when it carries ctmigrate's tags, and
//! left and named (exit 5) when it does not.

use serde_json::Value;

use crate::apply_cli::{
    JOURNAL, apply, assert_always_covered, baseline, cli, copy_of, journal_records, normalised,
    resume, template_dir,
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
fn defect_1_a_rollback_after_a_kill_inside_any_step_restores_the_organization() {
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
fn defect_4_sigint_stops_a_rollback_at_a_checkpoint_and_rollback_then_finishes() {
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

/// How the journal lost its tail.
#[derive(Debug, Clone, Copy)]
enum Loss {
    /// Its last lines deleted.
    Lines(usize),
    /// Everything after this checkpoint deleted: no record of the later
    /// steps is left, not even that they started.
    After(&'static str),
    /// Cut in the middle of a record, at this share of its bytes.
    MidRecord(f64),
}

fn lose_tail(journal: &std::path::Path, loss: Loss) {
    let text = std::fs::read_to_string(journal).unwrap();
    let kept = match loss {
        Loss::Lines(n) => {
            let lines: Vec<&str> = text.lines().collect();
            assert!(lines.len() > n + 5, "{} records", lines.len());
            lines[..lines.len() - n].join("\n") + "\n"
        }
        Loss::After(stage) => {
            let lines: Vec<&str> = text.lines().collect();
            let at = lines
                .iter()
                .position(|l| {
                    let r: Value = serde_json::from_str(l).unwrap();
                    r["event"] == "checkpoint" && r["stage"] == stage
                })
                .unwrap();
            lines[..=at].join("\n") + "\n"
        }
        Loss::MidRecord(share) => {
            let mut at = (text.len() as f64 * share) as usize;
            while !text.is_char_boundary(at) || text[..at].ends_with('\n') {
                at += 1;
            }
            text[..at].to_string()
        }
    };
    std::fs::write(journal, kept).unwrap();
}

/// A migration that reached the console gate, whose journal then lost its
/// tail; `resume` adopts what it finds in place (as `skipped`).
fn resumed_after_loss(loss: Loss) -> tempfile::TempDir {
    let dir = copy_of(template_dir());
    let d = dir.path();
    apply(d, None).expect_exit(3);
    lose_tail(&d.join(JOURNAL), loss);
    let resumed = resume(d, None);
    assert_eq!(
        resumed.code, 3,
        "{loss:?}: {}\n{}",
        resumed.stdout, resumed.stderr
    );
    if let Loss::MidRecord(_) = loss {
        assert!(
            resumed.stderr.contains("unfinished last line at byte"),
            "the torn line is named: {}",
            resumed.stderr
        );
    }
    if let Loss::After(_) = loss {
        let skipped = journal_records(d)
            .iter()
            .filter(|r| r["event"] == "step_completed" && r["skipped"] == true)
            .count();
        assert!(skipped > 0, "{loss:?}: resume adopted nothing");
    }
    dir
}

#[test]
fn defect_2_rollback_after_the_journal_lost_its_tail_undoes_what_ctmigrate_made() {
    let (_, _, before) = baseline();
    for loss in [
        Loss::Lines(30),
        Loss::After("companion"),
        Loss::MidRecord(0.45),
    ] {
        let dir = resumed_after_loss(loss);
        let d = dir.path();
        let rb = run(&mut cli(d, &["rollback", "--journal", JOURNAL, "--yes"]));
        assert_eq!(rb.code, 0, "{loss:?}: {}\n{}", rb.stdout, rb.stderr);
        assert_eq!(
            &normalised(d),
            before,
            "{loss:?}: the rollback left changes"
        );
        assert_always_covered(d, &format!("{loss:?}, resume, rollback"));
    }
}

#[test]
fn defect_2_rollback_leaves_and_names_a_pv1_that_ctmigrate_did_not_make() {
    let (_, _, before) = baseline();
    let dir = resumed_after_loss(Loss::After("companion"));
    let d = dir.path();
    // Someone else's PV.1 on the Sandbox OU: the same parameters, but not
    // ctmigrate's tags (as the console or a pipeline would enable it).
    let state = d.join("sb/state.json");
    let mut w: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let mut foreign = String::new();
    for c in w["enabled_controls"].as_array_mut().unwrap() {
        if c["control_key"] == "CT.MULTISERVICE.PV.1"
            && c["target"].as_str().unwrap().ends_with("ou-sb01-sandbox0")
        {
            c["tags"] = serde_json::json!({});
            foreign = c["arn"].as_str().unwrap().to_string();
        }
    }
    assert!(!foreign.is_empty());
    std::fs::write(&state, serde_json::to_string(&w).unwrap()).unwrap();

    let rb = run(&mut cli(d, &["rollback", "--journal", JOURNAL, "--yes"]));
    assert_eq!(rb.code, 5, "{}\n{}", rb.stdout, rb.stderr);
    assert!(rb.stderr.contains("rollback incomplete"), "{}", rb.stderr);
    assert!(
        rb.stderr.contains(&foreign),
        "the PV.1 left is named: {}",
        rb.stderr
    );
    // The way out is a complete command in the user's mode (the sandbox
    // here), not an AWS CLI line that cannot reach it.
    let undo_too = printed_command(&rb.stderr, "undo them with: ");
    assert_eq!(
        undo_too,
        format!(
            "ctmigrate --sandbox --sandbox-dir sb rollback --journal {JOURNAL} --include-unowned --yes"
        ),
        "{}",
        rb.stderr
    );
    // Everything else is back as before; only that PV.1 stays.
    let after = normalised(d);
    let pv1_left: Vec<&Value> = after["enabled_controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["control"] == "CT.MULTISERVICE.PV.1")
        .collect();
    assert_eq!(pv1_left.len(), 1, "{after:#}");
    assert!(
        pv1_left[0]["target"]
            .as_str()
            .unwrap()
            .ends_with("ou-sb01-sandbox0")
    );
    for (target, list) in after["attachments"].as_object().unwrap() {
        if target == "ou-sb01-sandbox0" {
            // Its PV.1's SCP stays; the companion is gone.
            assert!(!list.to_string().contains("ctmigrate-bedrock"), "{list}");
        } else {
            assert!(
                list == &before["attachments"][target],
                "{target} is not as before"
            );
        }
    }
    assert_eq!(after["policy_names"], before["policy_names"]);
    assert_eq!(after["region_deny"], before["region_deny"]);
    assert_always_covered(d, "someone else's PV.1, rollback");
    // status names it too.
    let st = run(&mut cli(d, &["status", "--journal", JOURNAL]));
    assert!(
        st.stdout.contains(&foreign) || st.stderr.contains(&foreign),
        "{}",
        st.stdout
    );
    assert!(st.stdout.contains(&undo_too), "{}", st.stdout);
    // Running the same rollback again says the same, and changes nothing.
    let again = run(&mut cli(d, &["rollback", "--journal", JOURNAL, "--yes"]));
    assert_eq!(again.code, 5, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stderr.contains(&undo_too), "{}", again.stderr);
    assert_eq!(normalised(d), after);
    // The printed command undoes it too: the organization is back as before.
    run(&mut shell(d, &undo_too)).expect_success();
    assert_eq!(normalised(d), *before);
    assert_always_covered(d, "someone else's PV.1, rollback --include-unowned");
    let done = run(&mut cli(d, &["status", "--journal", JOURNAL]));
    assert!(!done.stdout.contains(&foreign), "{}", done.stdout);
}
