//! The guided session: replayed from answers files (every branch), and the
//! real dialoguer session driven through a pseudo-terminal on the sandbox,
//! to an exported plan, through apply with the console step done from the
//! test, and interrupted with Ctrl-C.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

fn replay(dir: &Path, answers: &Value, extra: &[&str]) -> Ran {
    std::fs::write(dir.join("answers.json"), answers.to_string()).unwrap();
    run(ctmigrate(dir)
        .env("CTMIGRATE_POLL_INTERVAL", "40ms")
        .args([
            "--sandbox",
            "--sandbox-dir",
            "sb",
            "wizard",
            "--answers",
            "answers.json",
        ])
        .args(extra))
}

fn state(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("sb/state.json")).unwrap()
}

#[test]
fn a_replayed_session_exports_the_plan_and_saves_answers_that_plan_reads() {
    let dir = quick_sandbox();
    let d = dir.path();
    let before = state(d);
    let answers = json!({
        "inference_profiles": ["us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
        "permitted_accounts": ["666666666667"],
        "companion_mode": "accounts",
        "session": {"plan_dir": "out", "plan_name": "replayed", "apply": "later"}
    });
    let Ran { stdout: out, .. } =
        replay(d, &answers, &["--save-answers", "saved.json"]).expect_success();
    for step in [
        "1. Who am I talking to",
        "2. What was found",
        "3. Which inference profiles",
        "4. Which other Bedrock paths",
        "5. Which accounts",
        "6. The companion SCP",
        "7. Review",
        "8. Apply",
    ] {
        assert!(out.contains(step), "{step}: {out}");
    }
    assert!(out.contains("Proof: proven"), "{out}");
    assert!(
        out.contains("ctmigrate --sandbox --sandbox-dir sb apply --plan out/replayed.plan.json"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "no escape codes off a terminal: {out}"
    );
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/replayed.plan.json")).unwrap())
            .unwrap();
    assert_eq!(plan["inputs"]["companion_mode"], "accounts");
    assert_eq!(
        plan["inputs"]["permitted_accounts"],
        json!(["666666666667"])
    );
    assert!(d.join("out/replayed.plan.md").exists());
    assert_eq!(state(d), before, "nothing changed in the organization");

    // The saved answers replay, and `plan --answers` reads them.
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("saved.json")).unwrap()).unwrap();
    assert_eq!(saved["session"]["plan_name"], "replayed");
    assert_eq!(saved["companion_mode"], "accounts");
    run(ctmigrate(d).args([
        "--sandbox",
        "--sandbox-dir",
        "sb",
        "plan",
        "--answers",
        "saved.json",
        "--name",
        "again",
        "--out",
        "out",
    ]))
    .expect_success();
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/again.plan.json")).unwrap())
            .unwrap();
    assert_eq!(again["inputs"], plan["inputs"]);
}

#[test]
fn replayed_branches_nothing_to_migrate_global_refused_and_bad_answers() {
    let dir = quick_sandbox();
    let d = dir.path();
    // jp. reaches only governed Regions: nothing to migrate.
    let Ran { stdout: out, .. } = replay(
        d,
        &json!({"inference_profiles": ["jp"], "permitted_accounts": ["666666666667"]}),
        &[],
    )
    .expect_success();
    assert!(
        out.contains("works today: there is nothing to migrate"),
        "{out}"
    );
    assert!(!d.join("plans").exists());
    // Only global. profiles, and the unspecified Region refused.
    let Ran {
        stdout: out,
        stderr: err,
        ..
    } = replay(
        d,
        &json!({"inference_profiles": ["global"], "allow_global": false}),
        &[],
    )
    .expect_success();
    assert!(err.contains("the global. profiles were left out"), "{err}");
    assert!(out.contains("No profile is left to plan for"), "{out}");
    assert!(!d.join("plans").exists());
    // An answer naming a profile the organization does not have.
    let Ran { stderr: err, .. } =
        replay(d, &json!({"inference_profiles": ["eu.nope"]}), &[]).expect_exit(65);
    assert!(
        err.contains("`eu.nope` is none of the profiles found"),
        "{err}"
    );
    // An account outside the organization.
    let Ran { stderr: err, .. } = replay(
        d,
        &json!({"inference_profiles": ["us"], "permitted_accounts": ["123456789012"]}),
        &[],
    )
    .expect_exit(65);
    assert!(
        err.contains("123456789012 is not in the organization"),
        "{err}"
    );
    // An unknown field.
    let Ran { stderr: err, .. } = replay(
        d,
        &json!({"inference_profiles": ["us"], "colour": "blue"}),
        &[],
    )
    .expect_exit(65);
    assert!(err.contains("colour"), "{err}");
    // --format json: one object with the outcome; --quiet: only the outcome.
    let later = json!({"inference_profiles": ["us"], "permitted_accounts": ["666666666667"]});
    let Ran { stdout: out, .. } = replay(d, &later, &["--format", "json"]).expect_success();
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["outcome"], "planned");
    assert_eq!(v["plan"], "plans/migration.plan.json");
    assert_eq!(
        v["apply_command"],
        "ctmigrate --sandbox --sandbox-dir sb apply --plan plans/migration.plan.json"
    );
    let Ran { stdout: out, .. } = replay(d, &later, &["-q"]).expect_success();
    assert!(!out.contains("1. Who am I talking to"), "{out}");
    assert!(out.starts_with("When your change window opens"), "{out}");
    // No terminal and no answers file: a hint, not a hang.
    let Ran { stderr: err, .. } =
        run(ctmigrate(d).args(["--sandbox", "--sandbox-dir", "sb", "wizard"])).expect_exit(64);
    assert!(err.contains("--answers FILE"), "{err}");
    // Without a command and without a terminal (the README's first command
    // run by a script): the read-only report, and how to get the session.
    let Ran {
        stdout: out,
        stderr: err,
        ..
    } = run(ctmigrate(d).args(["--sandbox", "--sandbox-dir", "sb"])).expect_success();
    assert!(out.contains("Landing-zone region deny"), "{out}");
    assert!(err.contains("the guided session needs a terminal"), "{err}");
}

#[test]
fn a_replayed_session_applies_now_then_has_nothing_left_to_migrate() {
    let dir = quick_sandbox();
    let d = dir.path();
    let mut answers = json!({
        "inference_profiles": ["us"],
        "permitted_accounts": ["666666666667"],
        "session": {"apply": "now", "confirm_organization": "o-wrong"}
    });
    let before = state(d);
    let Ran { stderr: err, .. } = replay(d, &answers, &[]).expect_exit(64);
    assert!(err.contains("not confirmed, nothing was changed"), "{err}");
    assert_eq!(state(d), before);
    answers["session"]["confirm_organization"] = json!("o-ctm1gr8sbx");
    std::fs::remove_dir_all(d.join("plans")).unwrap();
    // Without a terminal the apply stops at the console step, as `apply` does.
    let Ran { stdout: out, .. } = replay(d, &answers, &[]).expect_exit(3);
    assert!(
        out.contains("Region deny setting, choose Not enabled"),
        "{out}"
    );
    console(d, "off");
    run(ctmigrate(d).env("CTMIGRATE_POLL_INTERVAL", "40ms").args([
        "--sandbox",
        "--sandbox-dir",
        "sb",
        "resume",
        "--journal",
        "plans/migration.journal.jsonl",
        "--yes",
    ]))
    .expect_success();
    // Now the landing-zone deny is off: nothing to migrate.
    let Ran { stdout: out, .. } = replay(d, &answers, &[]).expect_success();
    assert!(
        out.contains("already off: there is nothing to migrate"),
        "{out}"
    );
}

// ---- the real terminal session, through a pseudo-terminal ----

fn spawn(dir: &Path) -> rexpect::session::PtySession {
    spawn_with(dir, &[])
}

/// `ctmigrate --sandbox --sandbox-dir sb ARGS` on a pseudo-terminal.
fn spawn_with(dir: &Path, args: &[&str]) -> rexpect::session::PtySession {
    let mut cmd = ctmigrate(dir);
    cmd.env("TERM", "xterm")
        .env("COLUMNS", "200")
        .env("CTMIGRATE_POLL_INTERVAL", "40ms")
        .args(["--sandbox", "--sandbox-dir", "sb"])
        .args(args);
    rexpect::session::spawn_command(cmd, Some(60_000)).unwrap()
}

const DOWN: &str = "\x1b[B";

/// Types `keys` (rexpect buffers until a newline: flush).
fn key(p: &mut rexpect::session::PtySession, keys: &str) {
    p.send(keys).unwrap();
    p.flush().unwrap();
}

/// Waits for `prompt`, then lets the prompt switch the terminal to raw mode
/// (keys sent before that are flushed with the cooked-mode line).
fn at(p: &mut rexpect::session::PtySession, prompt: &str) {
    p.exp_string(prompt).unwrap();
    std::thread::sleep(Duration::from_millis(400));
}

fn answer_to_export(p: &mut rexpect::session::PtySession) {
    at(p, "Inference profiles that must work");
    // The first profile offered is a us. one (geographies: us first).
    key(p, " ");
    key(p, "\r");
    // What the account uses is pre-selected: its guardrail and batch job.
    at(p, "Other Bedrock paths that must work");
    key(p, "\r");
    at(p, "Accounts that may run inference");
    // Type to filter, enter toggles; then enter on "Done".
    key(p, "dev-genai");
    std::thread::sleep(Duration::from_millis(400));
    key(p, "\r");
    at(p, "Done (1 selected)");
    key(p, "\r");
    at(p, "Companion SCP mode");
    key(p, "\r");
    p.exp_string("Proof: proven").unwrap();
    at(p, "Export the plan to directory");
    key(p, "\r");
    at(p, "Plan name");
    key(p, "\r");
    at(p, "Apply now, or later");
}

fn exit_code(p: &mut rexpect::session::PtySession) -> i32 {
    match p.process.wait().unwrap() {
        rexpect::process::wait::WaitStatus::Exited(_, code) => code,
        other => panic!("the session did not exit: {other:?}"),
    }
}

#[test]
fn the_terminal_session_exports_a_plan_and_prints_the_apply_command() {
    let dir = quick_sandbox();
    let d = dir.path();
    // Reading the member accounts finds dev-genai's guardrail and batch job.
    let mut p = spawn_with(d, &["--member-role", "AWSControlTowerExecution"]);
    answer_to_export(&mut p);
    key(&mut p, "\r"); // Later
    p.exp_string(
        "ctmigrate --sandbox --sandbox-dir sb --member-role AWSControlTowerExecution apply --plan plans/migration.plan.json",
    )
    .unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);
    let plan: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("plans/migration.plan.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        plan["inputs"]["permitted_accounts"],
        json!(["666666666667"])
    );
    assert_eq!(plan["inputs"]["companion_mode"], "strict");
    assert_eq!(plan["inputs"]["batch_inference"], true);
    assert_eq!(
        plan["inputs"]["guardrail_profiles"],
        json!(["us.guardrail.v1:0"])
    );
    assert!(
        plan["inputs"]["inference_profiles"][0]
            .as_str()
            .unwrap()
            .starts_with("us.")
    );
}

#[test]
fn the_terminal_session_applies_with_the_console_step_done_from_the_test() {
    let dir = quick_sandbox();
    let d = dir.path();
    let mut p = spawn(d);
    answer_to_export(&mut p);
    key(&mut p, DOWN);
    std::thread::sleep(Duration::from_millis(300));
    key(&mut p, "\r"); // Now
    at(&mut p, "Type the organization id");
    key(&mut p, "o-ctm1gr8sbx\r");
    p.exp_string("Region deny setting, choose Not enabled")
        .unwrap();
    p.exp_string("waiting for the console step").unwrap();
    console(d, "off");
    p.exp_string("the migration is complete").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 0);
    let journal = std::fs::read_to_string(d.join("plans/migration.journal.jsonl")).unwrap();
    assert!(journal.contains("\"event\":\"finished\""));
}

#[test]
fn ctrl_c_at_a_prompt_ends_the_session_with_nothing_changed() {
    let dir = quick_sandbox();
    let d = dir.path();
    let before = state(d);
    let mut p = spawn(d);
    at(&mut p, "Inference profiles that must work");
    p.send_control('c').unwrap();
    p.exp_string("the session was interrupted; nothing was changed")
        .unwrap();
    // Said once, though both the signal handler and the prompt notice it.
    let rest = p.exp_eof().unwrap();
    assert!(!rest.contains("interrupted"), "{rest}");
    assert_eq!(exit_code(&mut p), 130);
    assert_eq!(state(d), before);
    assert!(!d.join("plans").exists());
}

#[test]
fn ctrl_c_at_the_apply_confirmation_changes_nothing_and_says_so() {
    let dir = quick_sandbox();
    let d = dir.path();
    run(ctmigrate(d).args([
        "--sandbox",
        "--sandbox-dir",
        "sb",
        "plan",
        "--inference-profile",
        "us",
        "--permitted-account",
        "666666666667",
    ]))
    .expect_success();
    let before = state(d);
    let mut p = spawn_with(d, &["apply", "--plan", "plans/migration.plan.json"]);
    at(&mut p, "Type the organization id");
    p.send_control('c').unwrap();
    p.exp_string("nothing was changed").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), 130);
    assert_eq!(state(d), before);
    assert!(!d.join("plans/migration.journal.jsonl").exists());
}
