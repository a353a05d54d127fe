//! `apply`, `resume`, `rollback` and `status` against the sandbox, through
//! the real binary: the full migration with the console step, a crash at
//! every journal record boundary, rollback from every checkpoint, injected
//! faults, and the refusals. Every run also checks the sandbox timeline:
//! each registered first-tier OU is under some region deny at every moment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::common::*;

pub(crate) const PLAN: &str = "plans/t.plan.json";
pub(crate) const JOURNAL: &str = "plans/t.journal.jsonl";

/// `plan` for the `us.` profiles with one permitted account, named `name`,
/// into `plans/`: the decisions every apply test migrates with.
pub(crate) fn us_plan(name: &str) -> [&str; 9] {
    [
        "plan",
        "--inference-profile",
        "us",
        "--permitted-account",
        "666666666667",
        "--name",
        name,
        "--out",
        "plans",
    ]
}

/// A directory with a fast sandbox and a plan for the `us.` profiles.
pub(crate) fn template() -> tempfile::TempDir {
    let dir = quick_sandbox();
    run(&mut cli(dir.path(), &us_plan("t"))).expect_success();
    dir
}

/// A fresh copy of `template` (same sandbox state, same plan).
pub(crate) fn copy_of(template: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["sb", "plans"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(template.join(sub)).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if name.to_string_lossy().ends_with(".lock") {
                continue;
            }
            std::fs::copy(entry.path(), dir.path().join(sub).join(name)).unwrap();
        }
    }
    dir
}

pub(crate) fn cli(dir: &Path, args: &[&str]) -> Command {
    let mut c = ctmigrate(dir);
    c.env("CTMIGRATE_POLL_INTERVAL", "40ms")
        .args(["--sandbox", "--sandbox-dir", "sb"])
        .args(args);
    c
}

pub(crate) fn apply(dir: &Path, abort_after: Option<u64>) -> Ran {
    let mut c = cli(dir, &["apply", "--plan", PLAN, "--yes"]);
    if let Some(n) = abort_after {
        c.env("CTMIGRATE_TEST_ABORT_AFTER_RECORD", n.to_string());
    }
    run(&mut c)
}

pub(crate) fn resume(dir: &Path, abort_after: Option<u64>) -> Ran {
    let mut c = cli(dir, &["resume", "--journal", JOURNAL, "--yes"]);
    if let Some(n) = abort_after {
        c.env("CTMIGRATE_TEST_ABORT_AFTER_RECORD", n.to_string());
    }
    run(&mut c)
}

/// Keeps resuming (doing the console step when asked) until apply finishes.
fn drive_to_end(dir: &Path, first: Ran) {
    let mut last = first;
    for _ in 0..30 {
        match last.code {
            0 => return,
            3 => console(dir, "off"),
            _ => {}
        }
        last = if dir.join(JOURNAL).exists() {
            resume(dir, None)
        } else {
            apply(dir, None)
        };
    }
    panic!(
        "apply did not finish: {} {} {}",
        last.code, last.stdout, last.stderr
    );
}

pub(crate) fn journal_records(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join(JOURNAL))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn sids(content: &str) -> Vec<Value> {
    let doc: Value = serde_json::from_str(content).unwrap();
    let mut statements: Vec<Value> = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        v => vec![v.clone()],
    };
    statements.sort_by_key(|s| s.to_string());
    statements
}

/// The organization's state as the tests compare it: per target, its SCPs
/// (guardrail SCPs by their statements, others by name and content); every
/// policy name; enabled controls with parameters; the landing zone.
pub(crate) fn normalised(dir: &Path) -> Value {
    let w: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sb/state.json")).unwrap()).unwrap();
    let policies = w["policies"].as_object().unwrap();
    let describe = |id: &str| -> Value {
        let p = &policies[id];
        let name = p["name"].as_str().unwrap();
        if name.starts_with("aws-guardrails-") {
            json!({"guardrail": sids(p["content"].as_str().unwrap())})
        } else {
            json!({"name": name, "content": p["content"]})
        }
    };
    let mut attachments = BTreeMap::new();
    for (target, ids) in w["attachments"].as_object().unwrap() {
        let mut list: Vec<Value> = ids
            .as_array()
            .unwrap()
            .iter()
            .map(|id| describe(id.as_str().unwrap()))
            .collect();
        list.sort_by_key(|v| v.to_string());
        attachments.insert(target.clone(), list);
    }
    let mut names: Vec<String> = policies
        .values()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .filter(|n| !n.starts_with("aws-guardrails-"))
        .collect();
    names.sort();
    let mut controls: Vec<Value> = w["enabled_controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let mut params: Vec<Value> = c["parameters"].as_array().cloned().unwrap_or_default();
            params.sort_by_key(|p| p.to_string());
            json!({"control": c["control_key"], "target": c["target"], "status": c["status"], "parameters": params})
        })
        .collect();
    controls.sort_by_key(|c| c.to_string());
    json!({
        "attachments": attachments,
        "policy_names": names,
        "enabled_controls": controls,
        "region_deny": w["landing_zone"]["region_deny"],
        "landing_zone_status": w["landing_zone"]["status"],
    })
}

/// No duplicate policy, attachment or enabled control.
pub(crate) fn assert_no_duplicates(state: &Value, context: &str) {
    let names: Vec<&str> = state["policy_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut dedup = names.clone();
    dedup.dedup();
    assert_eq!(names, dedup, "{context}: duplicate policies");
    for (target, list) in state["attachments"].as_object().unwrap() {
        let list = list.as_array().unwrap();
        let mut d = list.clone();
        d.dedup();
        assert_eq!(
            list.len(),
            d.len(),
            "{context}: duplicate attachment on {target}"
        );
    }
    let controls = state["enabled_controls"].as_array().unwrap();
    let keys: Vec<(String, String)> = controls
        .iter()
        .map(|c| (c["control"].to_string(), c["target"].to_string()))
        .collect();
    let mut d = keys.clone();
    d.dedup();
    assert_eq!(keys, d, "{context}: duplicate enabled controls");
}

/// Every registered first-tier OU was under some region deny at every moment.
pub(crate) fn assert_always_covered(dir: &Path, context: &str) {
    let timeline = std::fs::read_to_string(dir.join("sb/timeline.jsonl")).unwrap_or_default();
    for line in timeline.lines() {
        let entry: Value = serde_json::from_str(line).unwrap();
        for c in entry["coverage"].as_array().unwrap() {
            assert!(
                !c["region_denies"].as_array().unwrap().is_empty(),
                "{context}: {} had no region deny after {} ({})",
                c["ou_name"],
                entry["event"],
                entry["detail"]
            );
        }
    }
}

pub(crate) fn template_dir() -> &'static Path {
    static T: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    T.get_or_init(template).path()
}

/// The uninterrupted run: (final state, journal records, the state before).
pub(crate) fn baseline() -> &'static (Value, Vec<Value>, Value) {
    static B: std::sync::OnceLock<(Value, Vec<Value>, Value)> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        let dir = copy_of(template_dir());
        let before = normalised(dir.path());
        let first = apply(dir.path(), None);
        assert_eq!(
            first.code, 3,
            "apply stops at the console step: {} {}",
            first.stdout, first.stderr
        );
        drive_to_end(dir.path(), first);
        (normalised(dir.path()), journal_records(dir.path()), before)
    })
}

#[test]
fn a_full_apply_ends_with_pv1_and_the_companion_everywhere_and_the_proof_confirmed() {
    let dir = copy_of(template_dir());
    let Ran {
        stdout: out,
        stderr: err,
        ..
    } = apply(dir.path(), None).expect_exit(3);
    assert!(
        out.contains("Region deny setting, choose Not enabled"),
        "{out}"
    );
    assert!(
        err.contains("ctmigrate --sandbox --sandbox-dir sb resume --journal plans/t.journal.jsonl"),
        "{err}"
    );
    let Ran { stdout: status, .. } =
        run(&mut cli(dir.path(), &["status", "--journal", JOURNAL])).expect_success();
    assert!(status.contains("waiting for the console"), "{status}");
    console(dir.path(), "off");
    let Ran { stdout: out, .. } = resume(dir.path(), None).expect_success();
    assert!(
        out.contains("the live SCPs decide exactly as predicted"),
        "{out}"
    );

    let state = normalised(dir.path());
    assert_eq!(state["region_deny"], json!(false));
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(PLAN)).unwrap()).unwrap();
    for t in plan["targets"].as_array().unwrap() {
        let ou = t["ou_id"].as_str().unwrap();
        let attached = state["attachments"][ou].to_string();
        assert!(
            attached.contains("ctmigrate-bedrock-cross-region-inference"),
            "{ou}: {attached}"
        );
        assert!(attached.contains("CTMULTISERVICEPV1"), "{ou}: {attached}");
        assert!(!attached.contains("GRREGIONDENY"), "{ou}: {attached}");
        assert!(
            state["enabled_controls"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["target"] == json!(ou_arn(ou))
                    && c["control"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("MULTISERVICE")
                    && c["status"] == json!("SUCCEEDED")),
            "{ou}: PV.1 not enabled: {}",
            state["enabled_controls"]
        );
    }
    assert_no_duplicates(&state, "full apply");
    assert_always_covered(dir.path(), "full apply");

    // The journal: private, every record numbered, and the verification recorded.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(JOURNAL))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let records = journal_records(dir.path());
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["seq"], json!(i + 1));
    }
    assert!(
        records
            .iter()
            .any(|r| r["event"] == "verified" && r["equal"] == json!(true))
    );
    assert!(records.iter().any(|r| r["event"] == "operation_started"));
    assert!(
        records
            .iter()
            .any(|r| r["event"] == "step_started" && r["before"].is_object())
    );

    // Resume on a finished journal reads the organization, finds it as
    // planned, and changes nothing.
    let Ran { stdout: out, .. } = resume(dir.path(), None).expect_success();
    assert!(out.contains("still carries PV.1"), "{out}");
    assert_eq!(normalised(dir.path()), state);
}

#[test]
fn a_crash_at_every_journal_record_is_recovered_by_resume() {
    let (final_state, records, _) = baseline();
    let total = records.len() as u64;
    assert!(total > 40, "the journal has {total} records");
    let work: Vec<u64> = (1..total).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::<String>::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(&n) = work.get(i) else { break };
                    let dir = copy_of(template_dir());
                    let mut last = apply(dir.path(), Some(n));
                    if last.code == 3 {
                        // The abort point lies after the console gate.
                        console(dir.path(), "off");
                        last = resume(dir.path(), Some(n));
                    }
                    if last.code != -1 && last.code != 0 {
                        failures.lock().unwrap().push(format!(
                            "record {n}: expected an abort, got exit {}: {}",
                            last.code, last.stderr
                        ));
                        continue;
                    }
                    // Status reads the crashed journal.
                    let Ran {
                        code,
                        stdout: _,
                        stderr: err,
                    } = run(&mut cli(dir.path(), &["status", "--journal", JOURNAL]));
                    if code != 0 {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("record {n}: status failed: {err}"));
                    }
                    let first = resume(dir.path(), None);
                    drive_to_end(dir.path(), first);
                    let state = normalised(dir.path());
                    if &state != final_state {
                        failures.lock().unwrap().push(format!(
                            "record {n}: final state differs:\n{}\nvs\n{}",
                            state, final_state
                        ));
                    }
                    assert_no_duplicates(&state, &format!("crash after record {n}"));
                    assert_always_covered(dir.path(), &format!("crash after record {n}"));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn rollback_from_every_checkpoint_restores_the_organization() {
    let (_, records, before) = baseline();
    let checkpoints: Vec<(u64, String)> = records
        .iter()
        .filter(|r| r["event"] == "checkpoint")
        .map(|r| {
            (
                r["seq"].as_u64().unwrap(),
                r["stage"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(checkpoints.len() >= 5, "{checkpoints:?}");
    // From each checkpoint (apply aborted right after it), and from the finished apply.
    let mut cases: Vec<(Option<u64>, String)> = checkpoints
        .iter()
        .map(|(seq, stage)| (Some(*seq), stage.clone()))
        .collect();
    cases.push((None, "finished".into()));
    std::thread::scope(|s| {
        for (abort, name) in &cases {
            s.spawn(move || {
                let dir = copy_of(template_dir());
                let mut last = apply(dir.path(), *abort);
                if last.code == 3 && abort.is_some_and(|n| n > 0) {
                    console(dir.path(), "off");
                    last = resume(dir.path(), *abort);
                }
                if abort.is_none() {
                    drive_to_end(dir.path(), last);
                }
                let mut rb = run(&mut cli(
                    dir.path(),
                    &["rollback", "--journal", JOURNAL, "--yes"],
                ));
                if rb.code == 3 {
                    assert!(
                        rb.stderr
                            .contains("ctmigrate --sandbox --sandbox-dir sb rollback --journal"),
                        "{}",
                        rb.stderr
                    );
                    console(dir.path(), "on");
                    rb = run(&mut cli(
                        dir.path(),
                        &["rollback", "--journal", JOURNAL, "--yes"],
                    ));
                }
                assert_eq!(
                    rb.code, 0,
                    "rollback from {name}: {}\n{}",
                    rb.stdout, rb.stderr
                );
                assert_eq!(
                    &normalised(dir.path()),
                    before,
                    "rollback from checkpoint {name} did not restore the organization"
                );
                assert_always_covered(dir.path(), &format!("rollback from {name}"));
                let Ran { stdout: status, .. } =
                    run(&mut cli(dir.path(), &["status", "--journal", JOURNAL]));
                assert!(status.contains("rolled back"), "{status}");
                // Resuming a rolled-back journal is refused.
                resume(dir.path(), None).expect_exit(65);
            });
        }
    });
}

#[test]
fn injected_faults_end_at_a_checkpoint_or_complete_and_resume_completes() {
    let (final_state, _, _) = baseline();
    for seed in [3, 11] {
        let dir = copy_of(template_dir());
        let faults = format!("throttle=0.3,5xx=0.1,fail-ops=0.3,retry-after=0,seed={seed}");
        let mut last = Ran {
            code: -1,
            stdout: String::new(),
            stderr: String::new(),
        };
        let mut runs = 0;
        loop {
            runs += 1;
            assert!(
                runs < 40,
                "seed {seed}: no end after {runs} runs: {}",
                last.stderr
            );
            let args: Vec<&str> = if dir.path().join(JOURNAL).exists() {
                vec!["resume", "--journal", JOURNAL, "--yes"]
            } else {
                vec!["apply", "--plan", PLAN, "--yes"]
            };
            let mut c = cli(dir.path(), &args);
            c.env("CTMIGRATE_SANDBOX_FAULTS", &faults);
            last = run(&mut c);
            match last.code {
                0 => break,
                3 => console(dir.path(), "off"),
                1 | 69 => {
                    // A clear message, never a panic.
                    assert!(
                        last.stderr.contains("error:"),
                        "seed {seed}: {}",
                        last.stderr
                    );
                    assert!(
                        !last.stderr.contains("panicked"),
                        "seed {seed}: {}",
                        last.stderr
                    );
                }
                other => panic!(
                    "seed {seed}: exit {other}: {}\n{}",
                    last.stdout, last.stderr
                ),
            }
            if dir.path().join(JOURNAL).exists() {
                // The journal is never corrupt.
                let Ran {
                    code,
                    stdout: _,
                    stderr: err,
                } = run(&mut cli(dir.path(), &["status", "--journal", JOURNAL]));
                assert_eq!(code, 0, "seed {seed}: {err}");
            }
        }
        let state = normalised(dir.path());
        assert_eq!(&state, final_state, "seed {seed}");
        assert_no_duplicates(&state, "faults");
        assert_always_covered(dir.path(), "faults");
    }
}

fn write_plan(dir: &Path, plan: &mut Value) -> PathBuf {
    let mut p: ctmigrate::plan::Plan = serde_json::from_value(plan.clone()).unwrap();
    p.checksum = ctmigrate::plan::checksum(&p);
    let path = dir.join("plans/other.plan.json");
    std::fs::write(&path, serde_json::to_string_pretty(&p).unwrap()).unwrap();
    *plan = serde_json::to_value(&p).unwrap();
    path
}

#[test]
fn unsafe_plans_and_a_second_apply_are_refused_with_nothing_changed() {
    let dir = copy_of(template_dir());
    let before = normalised(dir.path());
    let plan_text = std::fs::read_to_string(dir.path().join(PLAN)).unwrap();

    // Tampered: one character changed after planning.
    let tampered = plan_text.replacen("ap-northeast-3", "ap-northeast-2", 1);
    std::fs::write(dir.path().join("plans/tampered.plan.json"), tampered).unwrap();
    let Ran { stderr: err, .. } = run(&mut cli(
        dir.path(),
        &["apply", "--plan", "plans/tampered.plan.json", "--yes"],
    ))
    .expect_exit(65);
    assert!(err.contains("does not match its checksum"), "{err}");

    // Another organization.
    let mut other: Value = serde_json::from_str(&plan_text).unwrap();
    other["organization_id"] = json!("o-someoneelse");
    write_plan(dir.path(), &mut other);
    let Ran { stderr: err, .. } = run(&mut cli(
        dir.path(),
        &["apply", "--plan", "plans/other.plan.json", "--yes"],
    ))
    .expect_exit(65);
    assert!(err.contains("is for organization o-someoneelse"), "{err}");

    // Another management account.
    let mut other: Value = serde_json::from_str(&plan_text).unwrap();
    other["management_account"] = json!("999999999999");
    write_plan(dir.path(), &mut other);
    let Ran { stderr: err, .. } = run(&mut cli(
        dir.path(),
        &["apply", "--plan", "plans/other.plan.json", "--yes"],
    ))
    .expect_exit(65);
    assert!(err.contains("management account 999999999999"), "{err}");

    // Not applyable.
    let mut other: Value = serde_json::from_str(&plan_text).unwrap();
    other["applyable"] = json!(false);
    other["errors"] = json!(["Workloads has no free SCP slot"]);
    write_plan(dir.path(), &mut other);
    let Ran { stderr: err, .. } = run(&mut cli(
        dir.path(),
        &["apply", "--plan", "plans/other.plan.json", "--yes"],
    ))
    .expect_exit(65);
    assert!(
        err.contains("not applyable") && err.contains("no free SCP slot"),
        "{err}"
    );

    // No --yes without a terminal.
    let Ran { stderr: err, .. } =
        run(&mut cli(dir.path(), &["apply", "--plan", PLAN])).expect_exit(64);
    assert!(err.contains("--yes"), "{err}");

    // A bad change window.
    let Ran { stderr: err, .. } = run(&mut cli(
        dir.path(),
        &["apply", "--plan", PLAN, "--yes", "--window-end", "tomorrow"],
    ))
    .expect_exit(64);
    assert!(err.contains("RFC 3339"), "{err}");

    assert_eq!(normalised(dir.path()), before);
    assert!(!dir.path().join(JOURNAL).exists());
    assert!(
        std::fs::read_to_string(dir.path().join("sb/timeline.jsonl"))
            .unwrap_or_default()
            .is_empty()
    );

    // Stale: the organization changes after planning.
    run(ctmigrate(dir.path()).args([
        "sandbox",
        "console",
        "--sandbox-dir",
        "sb",
        "region-deny",
        "off",
        "--wait",
    ]))
    .expect_success();
    let changed = normalised(dir.path());
    let Ran { stderr: err, .. } =
        run(&mut cli(dir.path(), &["apply", "--plan", PLAN, "--yes"])).expect_exit(65);
    assert!(err.contains("the plan is stale"), "{err}");
    let replan = printed_command(&err, "plan again: ");
    assert!(
        replan.starts_with("ctmigrate --sandbox --sandbox-dir sb plan --from-plan "),
        "{err}"
    );
    assert_eq!(normalised(dir.path()), changed);
    assert!(!dir.path().join(JOURNAL).exists());
    // The printed command plans again as printed, and that plan applies
    // (with the deny already off, it has no console step).
    run(&mut shell(dir.path(), &replan)).expect_success();
    run(&mut cli(dir.path(), &["apply", "--plan", PLAN, "--yes"])).expect_success();

    // A second apply while the first waits at the console step.
    let dir = copy_of(template_dir());
    let mut first = cli(
        dir.path(),
        &[
            "apply",
            "--plan",
            PLAN,
            "--yes",
            "--wait-for-console",
            "60s",
        ],
    );
    let mut child = first
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !journal_has(dir.path(), "waiting_for_console") {
        assert!(
            std::time::Instant::now() < deadline,
            "the first apply never reached the console step"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let records_before = journal_records(dir.path()).len();
    let Ran { stderr: err, .. } =
        run(&mut cli(dir.path(), &["apply", "--plan", PLAN, "--yes"])).expect_exit(75);
    assert!(err.contains("in use by `ctmigrate apply`"), "{err}");
    resume(dir.path(), None).expect_exit(75);
    assert_eq!(journal_records(dir.path()).len(), records_before);
    // The first apply goes on when the console step is done.
    console(dir.path(), "off");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_always_covered(dir.path(), "concurrent apply");
}

fn journal_has(dir: &Path, event: &str) -> bool {
    std::fs::read_to_string(dir.join(JOURNAL))
        .unwrap_or_default()
        .lines()
        .any(|l| l.contains(&format!("\"event\":\"{event}\"")))
}

#[test]
fn a_change_window_too_short_for_a_stage_stops_at_a_checkpoint() {
    let dir = copy_of(template_dir());
    let end = time::OffsetDateTime::now_utc() + time::Duration::seconds(60);
    let end = end
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    // The enable stage is estimated at minutes: it must not start.
    let Ran { stderr: err, .. } = run(&mut cli(
        dir.path(),
        &["apply", "--plan", PLAN, "--yes", "--window-end", &end],
    ))
    .expect_exit(4);
    assert!(err.contains("next stage: enable"), "{err}");
    let Ran { stdout: status, .. } = run(&mut cli(dir.path(), &["status", "--journal", JOURNAL]));
    assert!(status.contains("stopped"), "{status}");
    let state = normalised(dir.path());
    assert!(!state.to_string().contains("CTMULTISERVICEPV1"));
    // Without the window, resume completes.
    let first = resume(dir.path(), None);
    drive_to_end(dir.path(), first);
    assert_eq!(&normalised(dir.path()), &baseline().0);
}

#[test]
fn status_in_json_names_the_next_action() {
    let dir = copy_of(template_dir());
    apply(dir.path(), None).expect_exit(3);
    let Ran { stdout: out, .. } = run(&mut cli(
        dir.path(),
        &["--format", "json", "status", "--journal", JOURNAL],
    ))
    .expect_success();
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["phase"], json!("waiting for the console"));
    assert!(
        s["next_action"].as_str().unwrap().contains(
            "ctmigrate --sandbox --sandbox-dir sb resume --journal plans/t.journal.jsonl"
        ),
        "{}",
        s["next_action"]
    );
    let stages: Vec<&str> = s["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        vec![
            "done",
            "done",
            "done",
            "done",
            "waiting for the console",
            "not started"
        ]
    );
    // Apply's own JSON events: one object per line.
    let dir = copy_of(template_dir());
    let Ran { stdout: out, .. } = run(&mut cli(
        dir.path(),
        &["--format", "json", "apply", "--plan", PLAN, "--yes"],
    ))
    .expect_exit(3);
    let kinds: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(kinds.contains(&"checkpoint".to_string()));
    assert_eq!(kinds.last().map(String::as_str), Some("waiting"));
}

#[test]
fn a_same_named_policy_not_made_by_ctmigrate_is_never_adopted() {
    use ctmigrate::aws::{Apis, Organizations};
    let (_, records, _) = baseline();
    // Stop right after the companion stage starts, before the policy exists.
    let at = records
        .iter()
        .find(|r| r["event"] == "stage_started" && r["stage"] == "companion")
        .and_then(|r| r["seq"].as_u64())
        .unwrap();
    let dir = copy_of(template_dir());
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = apply(dir.path(), Some(at));
    assert_eq!(code, -1, "{err}");
    // Someone else creates a policy with the companion's name and content, untagged.
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(PLAN)).unwrap()).unwrap();
    let create = plan["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .find(|s| s["id"] == "create-companion")
        .map(|s| s["request"]["input"].clone())
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let running = ctmigrate::sandbox::start(
            &dir.path().join("sb"),
            0,
            ctmigrate::sandbox::FaultSpec::default(),
        )
        .await
        .unwrap();
        let aws = connect(&running.endpoint_url(), HOME, ADMIN_KEY, 0).await;
        aws.organizations()
            .create_policy(
                create["Name"].as_str().unwrap(),
                "not ctmigrate's",
                create["Content"].as_str().unwrap(),
                &[],
            )
            .await
            .unwrap();
        running.stop().await;
    });
    let before = normalised(dir.path());
    let Ran { stderr: err, .. } = resume(dir.path(), None).expect_exit(1);
    assert!(err.contains("not made by ctmigrate"), "{err}");
    assert!(err.contains("managed-by=ctmigrate"), "{err}");
    assert_eq!(normalised(dir.path()), before, "nothing was attached");
}

#[test]
fn sigterm_lets_running_operations_finish_then_stops_at_a_checkpoint() {
    let dir = copy_of(template_dir());
    let mut first = cli(dir.path(), &["apply", "--plan", PLAN, "--yes"]);
    let child = first
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !journal_has(dir.path(), "operation_started") {
        assert!(
            std::time::Instant::now() < deadline,
            "apply never started a control operation"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("stopped at a checkpoint: interrupted"),
        "{err}"
    );
    assert!(
        err.contains("ctmigrate --sandbox --sandbox-dir sb resume --journal"),
        "{err}"
    );
    // Every operation that had started was waited for and recorded.
    let records = journal_records(dir.path());
    let started: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "operation_started")
        .map(|r| &r["step"])
        .collect();
    assert!(!started.is_empty());
    for step in &started {
        assert!(
            records
                .iter()
                .any(|r| r["event"] == "step_verified" && &&r["step"] == step),
            "{step} was left in flight"
        );
    }
    assert!(records.iter().any(|r| r["event"] == "stopped"));
    assert!(!records.iter().any(|r| r["event"] == "waiting_for_console"));
    // The lock was released, and resume takes it from there.
    assert!(!dir.path().join(format!("{JOURNAL}.lock")).exists());
    let first = resume(dir.path(), None);
    drive_to_end(dir.path(), first);
    assert_eq!(&normalised(dir.path()), &baseline().0);
    assert_always_covered(dir.path(), "sigterm");
}
