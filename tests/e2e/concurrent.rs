//! The organization changes under us: another actor (the AWS CLI against
//! `ctmigrate sandbox serve` on the same sandbox) changes the organization
//! while an apply waits at the console gate, after the person acted, or
//! while a console update is still running; and rollback runs when the
//! journal does not know that the deny was turned off. In every case
//! ctmigrate repairs what is its own and says so, or stops with exit 5 and
//! names the change, and never prints the console instructions while a
//! target lacks its replacement.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::apply_cli::{
    JOURNAL, PLAN, apply, assert_always_covered, cli, copy_of, journal_records, normalised, resume,
    template_dir,
};
use crate::common::*;
use crate::matrix::Change;

pub(crate) const SANDBOX_OU: &str = "ou-sb01-sandbox0";
pub(crate) const COMPANION: &str = "ctmigrate-bedrock-cross-region-inference";
/// What apply prints only when it asks the person to act.
pub(crate) const INSTRUCTION: &str = "Region deny setting, choose Not enabled";

/// A copy of the template stopped at the console gate, and the other actor.
pub(crate) struct AtGate {
    dir: tempfile::TempDir,
    _server: Guard,
    url: String,
}

impl AtGate {
    pub(crate) fn new() -> AtGate {
        let dir = copy_of(template_dir());
        let Ran {
            code,
            stdout: out,
            stderr: err,
        } = apply(dir.path(), None);
        assert_eq!(code, 3, "apply stops at the console gate: {out}\n{err}");
        let (server, url) = serve_with(dir.path(), &["--sandbox-dir", "sb"]);
        AtGate {
            dir,
            _server: server,
            url,
        }
    }

    /// A copy of the template stopped right after the `enable` stage (the
    /// test hook aborts apply there), and the other actor.
    pub(crate) fn after_enable() -> AtGate {
        let dir = copy_of(template_dir());
        let Ran {
            code,
            stdout: _,
            stderr: _,
        } = apply(dir.path(), Some(enable_checkpoint()));
        assert_ne!(code, 0, "the test hook aborts apply");
        let (server, url) = serve_with(dir.path(), &["--sandbox-dir", "sb"]);
        AtGate {
            dir,
            _server: server,
            url,
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The AWS CLI as another administrator of the management account.
    pub(crate) fn aws(&self, args: &[&str]) -> Value {
        let mut c = aws_cli(&self.url, HOME, ADMIN_KEY);
        c.args(args);
        let Ran {
            code,
            stdout: out,
            stderr: err,
        } = run(&mut c);
        assert_eq!(code, 0, "aws {args:?}: {err}");
        if out.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("aws {args:?}: {e}: {out}"))
        }
    }

    /// The AWS CLI call fails: its error output.
    fn aws_fails(&self, args: &[&str]) -> String {
        let mut c = aws_cli(&self.url, HOME, ADMIN_KEY);
        c.args(args);
        let Ran {
            code,
            stdout: out,
            stderr: err,
        } = run(&mut c);
        assert_ne!(code, 0, "aws {args:?} should fail: {out}");
        err
    }

    /// PV.1's entry on `ou`, as `list-enabled-controls` reports it.
    fn pv1_summary(&self, ou: &str) -> Value {
        let list = self.aws(&[
            "controltower",
            "list-enabled-controls",
            "--target-identifier",
            &ou_arn(ou),
        ]);
        list["enabledControls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["controlIdentifier"] == PV1_CATALOG)
            .cloned()
            .unwrap_or_else(|| panic!("no PV.1 on {ou}: {list}"))
    }

    /// PV.1's drift status on `ou`.
    fn pv1_drift(&self, ou: &str) -> String {
        let c = self.pv1_summary(ou);
        c["driftStatusSummary"]["driftStatus"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(crate) fn pv1_arn(&self, ou: &str) -> String {
        self.pv1_summary(ou)["arn"].as_str().unwrap().to_string()
    }

    /// Waits until the control operation `id` has ended.
    pub(crate) fn wait_operation(&self, answer: &Value) {
        let id = answer["operationIdentifier"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let op = self.aws(&[
                "controltower",
                "get-control-operation",
                "--operation-identifier",
                &id,
            ]);
            if op["controlOperation"]["status"] != "IN_PROGRESS" {
                assert_eq!(op["controlOperation"]["status"], "SUCCEEDED", "{op}");
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("operation {id} did not end");
    }

    pub(crate) fn disable_pv1(&self, ou: &str) {
        let arn = self.pv1_arn(ou);
        let op = self.aws(&[
            "controltower",
            "disable-control",
            "--enabled-control-identifier",
            &arn,
        ]);
        self.wait_operation(&op);
    }

    pub(crate) fn companion_id(&self) -> String {
        let list = self.aws(&[
            "organizations",
            "list-policies",
            "--filter",
            "SERVICE_CONTROL_POLICY",
        ]);
        list["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["Name"] == COMPANION)
            .map(|p| p["Id"].as_str().unwrap().to_string())
            .unwrap()
    }

    pub(crate) fn resume(&self) -> Ran {
        resume(self.path(), None)
    }

    /// Another administrator creates a first-tier OU and registers it.
    pub(crate) fn register_first_tier(&self, name: &str) {
        let ou = self.aws(&[
            "organizations",
            "create-organizational-unit",
            "--parent-id",
            "r-sb01",
            "--name",
            name,
        ]);
        let ou_arn = ou["OrganizationalUnit"]["Arn"]
            .as_str()
            .unwrap()
            .to_string();
        let op = self.aws(&[
            "controltower",
            "enable-baseline",
            "--baseline-identifier",
            &format!("arn:aws:controltower:{HOME}::baseline/17BSJV3IGJ2QSGA2"),
            "--baseline-version",
            "4.0",
            "--target-identifier",
            &ou_arn,
        ]);
        let id = op["operationIdentifier"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = self.aws(&[
                "controltower",
                "get-baseline-operation",
                "--operation-identifier",
                &id,
            ]);
            if now["baselineOperation"]["status"] == "SUCCEEDED" {
                return;
            }
            assert!(Instant::now() < deadline, "registration did not end: {now}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Another administrator adds a governed Region to the landing zone.
    pub(crate) fn govern(&self, region: &str) {
        let lz_arn =
            "arn:aws:controltower:ap-northeast-1:111111111111:landingzone/1A2B3C4D5E6F7G8H";
        let lz = self.aws(&[
            "controltower",
            "get-landing-zone",
            "--landing-zone-identifier",
            lz_arn,
        ]);
        let mut manifest = lz["landingZone"]["manifest"].clone();
        manifest["governedRegions"]
            .as_array_mut()
            .unwrap()
            .push(region.into());
        // (--cli-input-json: the AWS CLI v1 takes `--version` as its own flag.)
        let request = serde_json::json!({
            "landingZoneIdentifier": lz_arn,
            "version": lz["landingZone"]["version"],
            "manifest": manifest,
        });
        self.aws(&[
            "controltower",
            "update-landing-zone",
            "--cli-input-json",
            &request.to_string(),
        ]);
    }
}

/// Every registered first-tier OU was under some region deny at every
/// moment except between another actor's change `culprit` and ctmigrate's
/// repair: the timeline's uncovered entries all lie there. `stays_open`:
/// ctmigrate stopped instead of repairing, so the last one may last.
pub(crate) fn uncovered_only_by_the_other_actor(dir: &Path, culprit: &str, stays_open: bool) {
    let timeline = std::fs::read_to_string(dir.join("sb/timeline.jsonl")).unwrap();
    let mut open = false;
    for line in timeline.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let uncovered = !e["uncovered"].as_array().unwrap().is_empty();
        if uncovered && !open {
            assert!(
                e["detail"].as_str().unwrap_or_default().contains(culprit),
                "an OU became uncovered by something other than the other actor: {e}"
            );
            open = true;
        }
        if !uncovered {
            open = false;
        }
    }
    assert!(
        stays_open || !open,
        "the timeline ends with an OU uncovered"
    );
}

fn events(dir: &Path, kind: &str) -> Vec<Value> {
    journal_records(dir)
        .into_iter()
        .filter(|r| r["event"] == kind)
        .collect()
}

#[test]
fn pv1_disabled_at_the_gate_is_enabled_again_before_the_console_is_asked_for() {
    let g = AtGate::new();
    g.disable_pv1(SANDBOX_OU);
    let Ran { stdout: out, .. } = g.resume().expect_exit(3);
    let repaired = out
        .find("no longer enabled on Sandbox")
        .unwrap_or_else(|| panic!("the repair is named: {out}"));
    let asked = out
        .find(INSTRUCTION)
        .unwrap_or_else(|| panic!("then the person is asked: {out}"));
    assert!(repaired < asked, "repair before the instructions: {out}");
    assert!(out.contains("enable-pv1:ou-sb01-sandbox0"), "{out}");
    let repairs = events(g.path(), "repaired");
    assert_eq!(repairs.len(), 1, "{repairs:?}");
    assert_eq!(repairs[0]["step"], "enable-pv1:ou-sb01-sandbox0");
    // `status` reads the organization: every target covered again.
    let Ran { stdout: status, .. } =
        run(&mut cli(g.path(), &["status", "--journal", JOURNAL])).expect_success();
    assert!(status.contains("waiting for the console"), "{status}");
    console(g.path(), "off");
    g.resume().expect_success();
    assert_always_covered(g.path(), "PV.1 disabled at the gate");
}

#[test]
fn other_pv1_parameters_or_companion_content_stop_with_exit_5_and_no_instructions() {
    // PV.1 parameters changed by someone else.
    let g = AtGate::new();
    g.make(Change::Pv1Parameters);
    // status reads it too, and does not tell anyone to turn the deny off.
    let Ran { stdout: status, .. } =
        run(&mut cli(g.path(), &["status", "--journal", JOURNAL])).expect_success();
    assert!(status.contains("other parameters than planned"), "{status}");
    assert!(!status.contains("Region deny: Not enabled"), "{status}");
    assert!(
        status.contains("do not turn the landing-zone region deny off"),
        "{status}"
    );
    let Ran {
        stdout: out,
        stderr: err,
        ..
    } = g.resume().expect_exit(5);
    assert!(err.contains("other parameters than planned"), "{err}");
    assert!(err.contains("Sandbox"), "{err}");
    assert!(!out.contains(INSTRUCTION), "never asks the person: {out}");
    assert_eq!(events(g.path(), "drifted").len(), 1);
    // Again: still stopped, still not asking.
    let Ran { stdout: out, .. } = g.resume().expect_exit(5);
    assert!(!out.contains(INSTRUCTION), "{out}");
    assert_always_covered(g.path(), "parameters changed");

    // The companion's content edited by someone else.
    let g = AtGate::new();
    g.make(Change::CompanionEdited);
    let Ran {
        stdout: out,
        stderr: err,
        ..
    } = g.resume().expect_exit(5);
    assert!(err.contains("was edited"), "{err}");
    assert!(!out.contains(INSTRUCTION), "{out}");
    assert_always_covered(g.path(), "companion edited");
}

#[test]
fn pv1_disabled_after_the_person_acted_is_urgent_and_repaired() {
    let g = AtGate::new();
    console(g.path(), "off");
    g.disable_pv1(SANDBOX_OU);
    let Ran { stdout: out, .. } = g.resume().expect_success();
    assert!(out.contains("URGENT"), "{out}");
    assert!(out.contains("Sandbox (ou-sb01-sandbox0)"), "{out}");
    assert!(
        !out.contains(INSTRUCTION),
        "the console step is done: {out}"
    );
    assert!(
        out.contains("the live SCPs decide exactly as predicted"),
        "{out}"
    );
    uncovered_only_by_the_other_actor(g.path(), "DISABLE_CONTROL", false);
}

#[test]
fn rollback_after_the_console_step_the_journal_missed_removes_nothing_until_the_deny_is_back() {
    let g = AtGate::new();
    let before_apply = crate::apply_cli::baseline().2.clone();
    console(g.path(), "off");
    let migrated = normalised(g.path());
    let rollback = |dir: &Path| run(&mut cli(dir, &["rollback", "--journal", JOURNAL, "--yes"]));
    let Ran {
        code,
        stdout: out,
        stderr: err,
    } = rollback(g.path());
    assert_eq!(code, 3, "stops at the gate: {out}\n{err}");
    assert!(out.contains("back ON"), "{out}");
    assert_eq!(normalised(g.path()), migrated, "nothing was removed");
    console(g.path(), "on");
    rollback(g.path()).expect_success();
    assert_eq!(normalised(g.path()), before_apply);
    assert_always_covered(g.path(), "rollback after the console step");
}

#[test]
fn rollback_after_a_sigkill_during_the_console_wait_stops_at_the_gate() {
    let dir = copy_of(template_dir());
    let mut child = cli(
        dir.path(),
        &[
            "apply",
            "--plan",
            PLAN,
            "--yes",
            "--wait-for-console",
            "60s",
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(dir.path().join(JOURNAL))
        .unwrap_or_default()
        .contains("waiting_for_console")
    {
        assert!(Instant::now() < deadline, "apply never reached the gate");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    console(dir.path(), "off");
    let migrated = normalised(dir.path());
    run(&mut cli(
        dir.path(),
        &["rollback", "--journal", JOURNAL, "--yes"],
    ))
    .expect_exit(3);
    assert_eq!(normalised(dir.path()), migrated, "nothing was removed");
    console(dir.path(), "on");
    run(&mut cli(
        dir.path(),
        &["rollback", "--journal", JOURNAL, "--yes"],
    ))
    .expect_success();
    assert_always_covered(dir.path(), "rollback after SIGKILL");
}

/// Makes the sandbox's landing-zone updates take `ms`.
fn slow_console(dir: &Path, ms: u64) {
    let path = dir.join("sb/state.json");
    let mut w: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    w["settings"]["landing_zone_op_delay_ms"] = ms.into();
    std::fs::write(&path, serde_json::to_vec(&w).unwrap()).unwrap();
}

#[test]
fn resume_and_rollback_wait_for_a_console_update_in_progress() {
    let dir = copy_of(template_dir());
    apply(dir.path(), None).expect_exit(3);
    slow_console(dir.path(), 1500);
    console_click(dir.path(), "off", false);
    let Ran {
        code,
        stdout: out,
        stderr: err,
    } = resume(dir.path(), None);
    assert_eq!(code, 0, "resume waits for the update: {out}\n{err}");
    assert!(out.contains("is in progress; waiting for it"), "{out}");
    assert!(!out.contains(INSTRUCTION), "{out}");

    console_click(dir.path(), "on", false);
    let rollback = |dir: &Path| -> Ran {
        let mut c: Command = cli(dir, &["rollback", "--journal", JOURNAL, "--yes"]);
        run(&mut c)
    };
    let Ran {
        code,
        stdout: out,
        stderr: err,
    } = rollback(dir.path());
    assert_eq!(code, 0, "rollback waits for the update: {out}\n{err}");
    assert!(out.contains("is in progress; waiting for it"), "{out}");
    assert_eq!(normalised(dir.path()), crate::apply_cli::baseline().2);
    assert_always_covered(dir.path(), "updates in progress");
}

#[test]
fn pv1_disabled_after_finished_is_urgent_in_status_and_resume_repairs_it() {
    let g = AtGate::new();
    console(g.path(), "off");
    g.resume().expect_success();
    g.disable_pv1(SANDBOX_OU);
    // status reads the organization through the journal's own connection.
    let Ran { stdout: status, .. } =
        run(ctmigrate(g.path()).args(["status", "--journal", JOURNAL])).expect_success();
    let first = status.lines().next().unwrap_or_default();
    assert!(first.starts_with("URGENT"), "said first: {status}");
    assert!(first.contains("Sandbox (ou-sb01-sandbox0)"), "{status}");
    assert!(
        first.contains(
            "ctmigrate --sandbox --sandbox-dir sb resume --journal plans/t.journal.jsonl"
        ),
        "{status}"
    );
    let Ran {
        code,
        stdout: offline,
        stderr: _,
    } = run(ctmigrate(g.path()).args(["status", "--journal", JOURNAL, "--offline"]));
    assert_eq!(code, 0);
    assert!(!offline.contains("URGENT"), "journal only: {offline}");
    let Ran { stdout: out, .. } = g.resume().expect_success();
    assert!(out.contains("URGENT"), "{out}");
    assert!(
        out.contains("the live SCPs decide exactly as predicted"),
        "{out}"
    );
    uncovered_only_by_the_other_actor(g.path(), "DISABLE_CONTROL", false);
    let Ran { stdout: status, .. } =
        run(ctmigrate(g.path()).args(["status", "--journal", JOURNAL]));
    assert!(!status.contains("URGENT"), "{status}");
}

#[test]
fn status_says_the_console_step_is_done_once_it_is() {
    let g = AtGate::new();
    console(g.path(), "off");
    let Ran { stdout: status, .. } =
        run(&mut cli(g.path(), &["status", "--journal", JOURNAL])).expect_success();
    assert!(!status.contains("waiting for the console"), "{status}");
    assert!(status.contains("console step done"), "{status}");
    assert!(
        status.contains("resume --journal plans/t.journal.jsonl --yes (verifies"),
        "{status}"
    );
}

/// `check` after a finished migration: (exit code, the JSON report, the text).
pub(crate) fn check(dir: &Path) -> (i32, Value, String) {
    let Ran {
        code,
        stdout: json,
        stderr: err,
    } = run(&mut cli(dir, &["check", "--format", "json"]));
    assert!(code == 0 || code == 2, "check: {code} {err}");
    let Ran { stdout: text, .. } = run(&mut cli(dir, &["check"]));
    (code, serde_json::from_str(&json).unwrap(), text)
}

/// Runs the day-two fix that `check` names, then applies that plan.
fn day_two(dir: &Path, report: &Value, name: &str) {
    let fix = report["fix_command"].as_str().unwrap().trim_matches('`');
    assert!(fix.contains("plan --from-plan plans/t"), "{fix}");
    // The printed command, with only the plan's name chosen by the test.
    let words: Vec<String> = fix.split_whitespace().skip(1).map(str::to_string).collect();
    let mut args: Vec<String> = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        if w == "--name" {
            it.next();
            args.extend(["--name".into(), name.into()]);
        } else {
            args.push(w);
        }
    }
    let mut c = ctmigrate(dir);
    c.args(&args);
    let Ran {
        stdout: out,
        stderr: err,
        ..
    } = run(&mut c).expect_success();
    // ctmigrate's own companion is not a customer SCP that blocks Bedrock.
    assert!(!out.contains("will still block"), "{out}");
    assert!(!err.contains("will still block"), "{err}");
    let markdown = std::fs::read_to_string(dir.join(format!("plans/{name}.plan.md"))).unwrap();
    assert!(!markdown.contains("will still block"), "{markdown}");
    let plan = format!("plans/{name}.plan.json");
    let Ran {
        code,
        stdout: out,
        stderr: err,
    } = run(&mut cli(dir, &["apply", "--plan", &plan, "--yes"]));
    assert_eq!(code, 0, "apply {plan}: {out}\n{err}");
}

#[test]
fn day_two_check_finds_a_new_ou_and_a_new_governed_region_and_the_day_two_plan_covers_them() {
    let g = AtGate::new();
    console(g.path(), "off");
    g.resume().expect_success();
    let (code, report, text) = check(g.path());
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("everything holds"), "{text}");
    assert_eq!(report["plan"], "plans/t.plan.json");

    // A first-tier OU registered after the migration has no region deny.
    g.register_first_tier("Analytics");
    let (code, report, text) = check(g.path());
    assert_eq!(code, 2, "{text}");
    assert!(text.starts_with("URGENT: Analytics"), "said first: {text}");
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["kind"] == "uncovered-ou"
            && f["target"].as_str().unwrap().starts_with("Analytics")),
        "{report}"
    );
    for f in findings {
        for key in ["kind", "target", "expected", "observed", "fix"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
    }
    assert!(
        text.lines()
            .filter(|l| !l.starts_with("Fix: "))
            .all(|l| l.chars().count() <= 80),
        "fits 80 columns: {text}"
    );
    let Ran { stderr: err, .. } = run(&mut cli(g.path(), &["detect"])).expect_success();
    assert!(
        err.starts_with("URGENT: Analytics"),
        "detect says it first: {err}"
    );
    day_two(g.path(), &report, "t2");
    let (code, _, text) = check(g.path());
    assert_eq!(code, 0, "{text}");

    // A Region added to the governed Regions is missing from every AllowedRegions.
    g.govern("us-west-2");
    std::thread::sleep(Duration::from_millis(300));
    let (code, report, text) = check(g.path());
    assert_eq!(code, 2, "{text}");
    let regions: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "allowed-regions")
        .collect();
    assert_eq!(regions.len(), 5, "every PV.1: {report}");
    day_two(g.path(), &report, "t3");
    let (code, _, text) = check(g.path());
    assert_eq!(code, 0, "{text}");

    // ctmigrate's companion is its own, not a customer SCP that blocks Bedrock.
    let Ran { stdout: detect, .. } = run(&mut cli(g.path(), &["detect"]));
    assert!(detect.contains("ctmigrate's companion SCP"), "{detect}");
    assert!(!detect.contains("will still block"), "{detect}");
    uncovered_only_by_the_other_actor(g.path(), "ENABLE_BASELINE", false);
}

/// The journal position of the `enable` stage's checkpoint in an uninterrupted run.
pub(crate) fn enable_checkpoint() -> u64 {
    crate::apply_cli::baseline()
        .1
        .iter()
        .find(|r| r["event"] == "checkpoint" && r["stage"] == "enable")
        .and_then(|r| r["seq"].as_u64())
        .unwrap()
}

#[test]
fn a_drifted_pv1_is_neither_updated_nor_reset_and_the_repair_disables_and_enables_it() {
    let g = AtGate::new();
    assert_eq!(g.pv1_drift(SANDBOX_OU), "IN_SYNC");
    g.make(Change::Pv1Drifted);
    assert_eq!(g.pv1_drift(SANDBOX_OU), "DRIFTED");
    let arn = g.pv1_arn(SANDBOX_OU);
    let update = g.aws_fails(&[
        "controltower",
        "update-enabled-control",
        "--enabled-control-identifier",
        &arn,
        "--parameters",
        r#"[{"key":"AllowedRegions","value":["ap-northeast-1"]}]"#,
    ]);
    assert!(update.contains("drifted"), "{update}");
    let reset = g.aws_fails(&[
        "controltower",
        "reset-enabled-control",
        "--enabled-control-identifier",
        &arn,
    ]);
    assert!(
        reset.contains("does not work for controls implemented with SCPs"),
        "{reset}"
    );
    // The deny still covers Sandbox: resume disables and enables PV.1 again.
    let Ran { stdout: out, .. } = g.resume().expect_exit(3);
    assert!(out.contains("disables it and runs its step"), "{out}");
    assert_eq!(g.pv1_drift(SANDBOX_OU), "IN_SYNC");
    assert_ne!(g.pv1_arn(SANDBOX_OU), arn, "enabled afresh");
    let repairs = events(g.path(), "repaired");
    assert_eq!(repairs.len(), 1, "{repairs:?}");
    assert_always_covered(g.path(), "drifted PV.1 at the gate");
    // The timeline names the drift and its end.
    let timeline = std::fs::read_to_string(g.path().join("sb/timeline.jsonl")).unwrap();
    assert!(timeline.contains("ControlDrifted"), "{timeline}");
}
