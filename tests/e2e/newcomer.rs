//! The newcomer's path, driven only by what the tool prints: every command
//! a message names is run exactly as printed (in a plain shell, no
//! terminal), and every state it reaches names the next command that works.
//! Also: Ctrl-C at the console wait, and planning again over a plan whose
//! apply is still going on.

use std::path::Path;
use std::time::Duration;

use crate::apply_cli::{JOURNAL, PLAN, cli, copy_of, journal_records, template_dir};
use crate::common::*;

/// `status` of the journal as printed, and the command its `Next:` line names.
fn status_next(dir: &Path, journal: &str) -> (String, String) {
    let Ran { stdout, .. } = run(&mut cli(dir, &["status", "--journal", journal])).expect_success();
    let next = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Next: "))
        .unwrap_or_else(|| panic!("no Next: line in\n{stdout}"))
        .to_string();
    (stdout, next)
}

/// Runs a printed command with the test's fast polling, as printed.
fn run_printed(dir: &Path, command: &str) -> Ran {
    run(shell(dir, command).env("CTMIGRATE_POLL_INTERVAL", "40ms"))
}

#[test]
fn every_state_names_a_command_that_runs_as_printed_from_apply_to_apply_again() {
    let dir = copy_of(template_dir());
    let d = dir.path();

    // apply stops at the console step, naming how to play it on the sandbox
    // and what to run after, both complete for a script (--yes).
    let Ran { stderr: err, .. } =
        run(&mut cli(d, &["apply", "--plan", PLAN, "--yes"])).expect_exit(3);
    let console = printed_command(&err, "play the console step in another terminal: ");
    assert_eq!(
        console, "ctmigrate --sandbox --sandbox-dir sb sandbox console region-deny off --wait",
        "{err}"
    );
    let after = printed_command(&err, "when it is done, run: ");
    assert_eq!(
        after,
        format!("ctmigrate --sandbox --sandbox-dir sb resume --journal {JOURNAL} --yes")
    );
    let (_, next) = status_next(d, JOURNAL);
    assert!(next.contains(&console), "{next}");
    run_printed(d, &console).expect_success();

    // status after the console step: no longer "waiting"; its command finishes.
    let (shown, next) = status_next(d, JOURNAL);
    assert!(shown.contains("console step done"), "{shown}");
    let resume = printed_command(&next, "");
    assert_eq!(resume, after);
    run_printed(d, &resume).expect_success();

    // Rollback goes through the console first, and says how on the sandbox.
    let rollback =
        format!("ctmigrate --sandbox --sandbox-dir sb rollback --journal {JOURNAL} --yes");
    let Ran { stderr: err, .. } = run_printed(d, &rollback).expect_exit(3);
    let console_on = printed_command(&err, "play the console step in another terminal: ");
    assert!(console_on.ends_with("region-deny on --wait"), "{err}");
    run_printed(d, &console_on).expect_success();
    let (_, next) = status_next(d, JOURNAL);
    assert!(next.contains(&rollback), "{next}");
    let Ran { stderr: err, .. } = run_printed(d, &rollback).expect_success();

    // Back as before: the one command it names applies again, as printed.
    let again = printed_command(&err, "dated name): ");
    assert_eq!(
        again,
        format!("ctmigrate --sandbox --sandbox-dir sb apply --plan {PLAN} --yes")
    );
    let (_, next) = status_next(d, JOURNAL);
    assert!(
        next.ends_with(&format!("--plan {}/{PLAN} --yes", d.display())) || next.ends_with(&again),
        "{next}"
    );
    let Ran { stderr: err, .. } = run_printed(d, &again).expect_exit(3);
    assert!(
        err.contains("Kept the journal of the earlier, ended apply as plans/t.20"),
        "{err}"
    );
    // The earlier journal is kept, readable, and still says it was rolled back.
    let kept: Vec<String> = std::fs::read_dir(d.join("plans"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("t.20") && n.ends_with(".journal.jsonl"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let (shown, _) = status_next(d, &format!("plans/{}", kept[0]));
    assert!(shown.contains("rolled back"), "{shown}");
    // The new journal is a fresh apply at the console step.
    assert!(
        journal_records(d)
            .iter()
            .all(|r| r["event"] != "rollback_started")
    );
}

#[test]
fn planning_again_keeps_an_ended_apply_and_refuses_to_write_over_one_in_progress() {
    let dir = copy_of(template_dir());
    let d = dir.path();
    let plan_again = [
        "plan",
        "--inference-profile",
        "us",
        "--permitted-account",
        "666666666667",
        "--name",
        "t",
        "--out",
        "plans",
    ];
    run(&mut cli(d, &["apply", "--plan", PLAN, "--yes"])).expect_exit(3);
    let before = std::fs::read(d.join(PLAN)).unwrap();
    // In progress: the plan file stays as it is, and the refusal names the
    // commands that go on with the journal.
    let Ran { stderr: err, .. } = run(&mut cli(d, &plan_again)).expect_exit(65);
    assert!(err.contains("would strand that journal"), "{err}");
    let go_on = printed_command(&err, "go on with ");
    assert_eq!(
        go_on,
        format!("ctmigrate --sandbox --sandbox-dir sb resume --journal {JOURNAL} --yes")
    );
    assert!(err.contains("--name t-2"), "{err}");
    assert_eq!(std::fs::read(d.join(PLAN)).unwrap(), before);

    // Rolled back (before the console step, so no console is needed): the
    // same plan command writes the new plan and keeps the old pair.
    run(&mut cli(d, &["rollback", "--journal", JOURNAL, "--yes"])).expect_success();
    let Ran { stderr: err, .. } = run(&mut cli(d, &plan_again)).expect_success();
    assert!(
        err.contains("Kept the earlier plan and the journal of its ended apply as plans/t.20"),
        "{err}"
    );
    let names: Vec<String> = std::fs::read_dir(d.join("plans"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for ext in [".plan.json", ".plan.md", ".journal.jsonl"] {
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("t.20") && n.ends_with(ext)),
            "{ext} not kept: {names:?}"
        );
    }
    assert!(!d.join(JOURNAL).exists());
    // The new plan applies.
    run(&mut cli(d, &["apply", "--plan", PLAN, "--yes"])).expect_exit(3);
}

#[test]
fn defect_6_ctrl_c_at_the_console_wait_stops_at_once_with_exit_4_and_a_stopped_record() {
    let dir = copy_of(template_dir());
    let d = dir.path();
    let (sent, out) = interrupt_at(
        &mut cli(
            d,
            &[
                "apply",
                "--plan",
                PLAN,
                "--yes",
                "--wait-for-console",
                "10m",
            ],
        ),
        &d.join(JOURNAL),
        "waiting_for_console",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    // Honoured within a poll slice, not after the next poll.
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "{:?}",
        sent.elapsed()
    );
    let records = journal_records(d);
    let waiting = records
        .iter()
        .position(|r| r["event"] == "waiting_for_console")
        .unwrap();
    assert!(
        records[waiting..].iter().any(|r| r["event"] == "stopped"),
        "no stopped record after the wait"
    );
    let go_on = printed_command(&err, "continue with: ");
    assert!(
        go_on.starts_with(&format!(
            "ctmigrate --sandbox --sandbox-dir sb resume --journal {JOURNAL} --yes"
        )),
        "{err}"
    );
}

#[test]
fn hints_point_at_output_that_exists_and_commands_that_reach_the_sandbox() {
    let dir = copy_of(template_dir());
    let d = dir.path();
    // detect lists the accounts with -v (and says so without it).
    let Ran { stdout, .. } = run(&mut cli(d, &["detect"])).expect_success();
    assert!(
        stdout.contains("13 account(s) in the organization; -v lists them"),
        "{stdout}"
    );
    let Ran { stdout, .. } = run(&mut cli(d, &["detect", "-v"])).expect_success();
    assert!(
        stdout.contains("  666666666667  dev-genai                Workloads/Dev\n"),
        "{stdout}"
    );
    let Ran { stdout, .. } = run(&mut cli(d, &["--format", "json", "detect"])).expect_success();
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        report["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "121212121212" && a["ou_path"] == "Root")
    );
    // -q prints only the result: the plan file.
    let Ran { stdout, .. } = run(&mut cli(
        d,
        &[
            "plan",
            "-q",
            "--inference-profile",
            "us",
            "--permitted-account",
            "666666666667",
            "--name",
            "q",
        ],
    ))
    .expect_success();
    assert_eq!(stdout, "plans/q.plan.json\n");
    // An unknown permitted account: the hint names real ones.
    let Ran { stderr, .. } = run(&mut cli(
        d,
        &[
            "plan",
            "--inference-profile",
            "us",
            "--permitted-account",
            "123456789012",
            "--name",
            "u",
        ],
    ))
    .expect_exit(65);
    assert!(
        stderr.contains("dev-genai (666666666667)") || stderr.contains("(111111111111)"),
        "{stderr}"
    );
    // explain's fix reaches the sandbox it judged, and runs as printed.
    let Ran { stdout, .. } = run(&mut cli(
        d,
        &["explain", "User: arn:aws:sts::666666666667:assumed-role/dev/x is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/amazon.nova-pro-v1:0 with an explicit deny in a service control policy"],
    ))
    .expect_success();
    let fix = printed_command(&stdout, "Plan it with `");
    assert!(
        fix.starts_with("ctmigrate --sandbox --sandbox-dir sb plan "),
        "{stdout}"
    );
    run_printed(d, &format!("{fix} --name from-explain")).expect_success();
}
