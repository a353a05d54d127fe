//! `ctmigrate detect` and `ctmigrate sandbox` as a user runs them: transcript
//! snapshots of the report, and every bad input with its exit code and hint.

use crate::common::*;

fn seeded(dir: &std::path::Path, scenario: &str) {
    run(ctmigrate(dir).args(["sandbox", "reset", "--scenario", scenario])).expect_success();
}

#[test]
fn detect_on_the_seeded_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let Ran {
        stdout: out,
        stderr: err,
        ..
    } = run(ctmigrate(dir.path()).args(["detect", "--sandbox"])).expect_success();
    assert!(
        !out.contains('\u{1b}') && !err.contains('\u{1b}'),
        "no escape codes off a terminal"
    );
    assert!(
        dir.path().join(".ctmigrate/sandbox/state.json").exists(),
        "seeded on first use"
    );
    insta::assert_snapshot!("detect_text", out);
}

#[test]
fn detect_json_is_stable_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let Ran {
        code,
        stdout: out,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["detect", "--sandbox", "--format", "json"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "JSON mode keeps stderr quiet: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["region_deny"]["state"], "on");
    assert_eq!(v["landing_zone"]["home_region"], "ap-northeast-1");
    assert_eq!(v["first_tier_ous"].as_array().unwrap().len(), 4);
    assert_eq!(v["unregistered_first_tier_ous"][0]["name"], "Experiments");
    insta::assert_snapshot!("detect_json", out);
}

#[test]
fn detect_reports_quota_flags_and_pv1_after_changes() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path(), "default");
    let Ran { stdout: out, .. } = run(ctmigrate(dir.path()).args([
        "detect",
        "--sandbox",
        "--scp-attachment-limit",
        "4",
        "--format",
        "json",
    ]))
    .expect_success();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let workloads = v["first_tier_ous"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Workloads")
        .unwrap();
    assert_eq!(workloads["scp_slots"]["free"], 0);
    assert!(v["warnings"].as_array().unwrap().iter().any(|w| {
        w.as_str()
            .unwrap()
            .contains("Workloads (ou-sb01-workload) has 0 free")
    }));

    // The console step turns the landing-zone deny off: detect sees it from both signals.
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["sandbox", "reset", "--landing-zone-op-delay", "10ms"]));
    assert_eq!(code, 0, "{err}");
    let Ran {
        code,
        stdout: out,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["sandbox", "console", "region-deny", "off", "--wait"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("region deny off"), "{out}");
    let Ran {
        code,
        stdout: out,
        stderr: _,
    } = run(ctmigrate(dir.path()).args(["detect", "--sandbox", "--format", "json"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["region_deny"]["state"], "off");
    assert!(
        v["first_tier_ous"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["region_denies_in_force"].as_array().unwrap().is_empty())
    );
    let Ran { stdout: out, .. } =
        run(ctmigrate(dir.path()).args(["sandbox", "status"])).expect_success();
    assert!(
        out.contains("landing-zone region deny: off") && out.contains("NO REGION DENY"),
        "{out}"
    );
    let Ran { stdout: out, .. } =
        run(ctmigrate(dir.path()).args(["sandbox", "timeline"])).expect_success();
    assert!(
        out.contains("ConsoleUpdateLandingZone")
            && out.contains("0/4       ")
            && out.contains("UNCOVERED: Infrastructure, Sandbox, Security, Workloads"),
        "{out}"
    );
    // A coverage column, one width of time, and nothing wider than 80.
    assert!(
        out.lines().nth(1).unwrap_or_default().contains("covered"),
        "{out}"
    );
    for line in out.lines().skip(2) {
        assert!(line.chars().count() <= 80, "wider than 80: {line}");
        if line.trim_start().starts_with("UNCOVERED") {
            continue;
        }
        assert_eq!(line.get(8..9), Some(":"), "time column: {line}");
        assert_eq!(line.get(14..15), Some("."), "time column: {line}");
    }
}

#[test]
fn a_corrupt_sandbox_state_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sb");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("state.json"), "{\"state_version\": 1, \"oops\"").unwrap();
    let Ran {
        code,
        stdout: out,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["detect", "--sandbox", "--sandbox-dir", "sb"]));
    assert_eq!(code, 65);
    assert!(out.is_empty());
    insta::assert_snapshot!("corrupt_state", err);
    // Nothing was changed by the failed run.
    assert_eq!(
        std::fs::read_to_string(state.join("state.json")).unwrap(),
        "{\"state_version\": 1, \"oops\""
    );
}

#[test]
fn an_org_without_control_tower_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path(), "no-control-tower");
    let Ran { stderr: err, .. } =
        run(ctmigrate(dir.path()).args(["detect", "--sandbox"])).expect_exit(78);
    insta::assert_snapshot!("no_control_tower", err);
}

#[test]
fn an_account_outside_an_organization_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path(), "no-organization");
    let Ran { stderr: err, .. } =
        run(ctmigrate(dir.path()).args(["detect", "--sandbox"])).expect_exit(78);
    assert!(
        err.contains("error: account 111111111111 is not a member of an AWS organization"),
        "{err}"
    );
}

#[test]
fn the_wrong_region_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["detect", "--sandbox", "--region", "us-east-1"]));
    assert_eq!(code, 78);
    assert!(
        err.contains("no AWS Control Tower landing zone found in us-east-1"),
        "{err}"
    );
    assert!(
        err.contains("hint: Control Tower is called in its home Region"),
        "{err}"
    );
}

#[test]
fn an_unreachable_endpoint_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let Ran { stderr: err, .. } = run(ctmigrate(dir.path())
        .args([
            "detect",
            "--region",
            "ap-northeast-1",
            "--endpoint-url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret"))
    .expect_exit(69);
    assert!(
        err.starts_with("error: cannot reach the sts endpoint"),
        "{err}"
    );
    assert!(err.contains("Connection refused"), "{err}");
    assert_eq!(err.lines().count(), 3, "error, cause, hint: {err}");
}

#[test]
fn missing_credentials_and_region_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let Ran { stderr: err, .. } = run(ctmigrate(dir.path()).args([
        "detect",
        "--region",
        "ap-northeast-1",
        "--endpoint-url",
        &url,
    ]))
    .expect_exit(77);
    assert!(err.starts_with("error: no AWS credentials found"), "{err}");
    assert!(err.contains("hint: sign in"), "{err}");
    let Ran { stderr: err, .. } =
        run(ctmigrate(dir.path()).args(["detect", "--endpoint-url", &url])).expect_exit(78);
    insta::assert_snapshot!("no_region", err);
    // A profile that does not exist is named, with the files read and the
    // profiles they hold, whether given by flag or by AWS_PROFILE.
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "[profile management-admin]\nregion = ap-northeast-1\n",
    )
    .unwrap();
    let Ran { stderr: err, .. } = run(ctmigrate(dir.path())
        .env("AWS_CONFIG_FILE", &config)
        .args(["detect", "--profile", "mgmt", "--endpoint-url", &url]))
    .expect_exit(78);
    assert!(
        err.contains(&format!(
            "error: AWS profile `mgmt` was not found in {} or /dev/null",
            config.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("the profiles there are: management-admin"),
        "{err}"
    );
    let Ran { stderr: err, .. } = run(ctmigrate(dir.path())
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_PROFILE", "mgmt")
        .args(["detect", "--endpoint-url", &url]))
    .expect_exit(78);
    assert!(err.contains("AWS profile `mgmt` was not found"), "{err}");
}

#[test]
fn usage_errors_exit_64_and_name_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let Ran { stderr: err, .. } =
        run(ctmigrate(dir.path()).args(["detect", "--scp-attachment-limit", "0"])).expect_exit(64);
    assert!(err.contains("--scp-attachment-limit"), "{err}");
    let Ran { stderr: err, .. } = run(ctmigrate(dir.path()).args([
        "detect",
        "--sandbox",
        "--endpoint-url",
        "http://127.0.0.1:1",
    ]))
    .expect_exit(64);
    assert!(err.contains("cannot be used with"), "{err}");
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["sandbox", "reset", "--scenario", "moon"]));
    assert_eq!(code, 64);
    assert!(err.contains("moon"), "{err}");
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["sandbox", "serve", "--faults", "throttle=2"]));
    assert_eq!(code, 65);
    assert!(err.contains("throttle=2") && err.contains("hint:"), "{err}");
    assert!(
        !dir.path()
            .join(".ctmigrate")
            .join("sandbox")
            .join("timeline.jsonl")
            .exists()
    );
}

#[test]
fn the_console_step_refuses_what_the_console_would() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path(), "default");
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["sandbox", "console", "region-deny", "on"]));
    assert_eq!(code, 1);
    assert!(err.contains("already on"), "{err}");
    seeded(dir.path(), "no-control-tower");
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["sandbox", "console", "region-deny", "off"]));
    assert_eq!(code, 1);
    assert!(err.contains("no landing zone"), "{err}");
}
