//! `ctmigrate export`: the checked-in example plan as Terraform and as
//! CloudFormation, read back by validators we did not write (python-hcl2
//! parses the HCL, cfn-lint checks the template against the resource
//! specifications), with the resources, parameters and ordering asserted
//! against the plan; what exists already is imported; a tampered plan is
//! refused with nothing written.

use std::path::Path;

use serde_json::Value;

use crate::apply_cli::{PLAN, cli, copy_of, template_dir, us_plan};
use crate::common::*;

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/sandbox-example.plan.json")
}

fn plan_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A Python one-liner from the test tools' venv, printing JSON.
fn python_json(script: &str, file: &Path) -> Value {
    let out = std::process::Command::new(pytools().join("python"))
        .args(["-c", script])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn hcl(file: &Path) -> Value {
    python_json(
        "import hcl2, json, sys; print(json.dumps(hcl2.load(open(sys.argv[1]))))",
        file,
    )
}

/// The resources of one type in python-hcl2's shape: name → body.
fn resources(doc: &Value, kind: &str) -> Vec<(String, Value)> {
    doc["resource"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            r.as_object()
                .unwrap()
                .iter()
                .find(|(k, _)| k.trim_matches('"') == kind)
                .map(|(_, v)| v)
        })
        .flat_map(|m| {
            m.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.trim_matches('"').to_string(), v.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// An HCL string literal as python-hcl2 keeps it (quotes and escapes
/// included), read as the string it stands for.
fn unquote(v: &Value) -> String {
    serde_json::from_str(v.as_str().unwrap()).unwrap()
}

#[test]
fn the_example_plan_exports_to_terraform_that_parses_and_matches_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(ctmigrate(d)
        .args(["export", "--plan"])
        .arg(example())
        .args(["--to", "terraform", "--out", "tf"]))
    .expect_success();
    let plan = plan_json(&example());
    let main = hcl(&d.join("tf/main.tf"));
    let versions = hcl(&d.join("tf/versions.tf"));
    assert!(
        versions.to_string().contains("hashicorp/aws") && versions.to_string().contains(">= 6.0.0"),
        "{versions}"
    );
    // The companion: name, content byte for byte, tags.
    let policies = resources(&main, "aws_organizations_policy");
    assert_eq!(policies.len(), 1, "{main:#}");
    let (name, body) = &policies[0];
    assert_eq!(name, "companion");
    assert_eq!(
        unquote(&body["name"]),
        plan["companion"]["name"].as_str().unwrap()
    );
    // Byte for byte: the plan checked this exact text against the SCP size limit.
    assert_eq!(
        unquote(&body["content"]),
        plan["companion"]["content"].as_str().unwrap()
    );
    assert!(body["tags"].to_string().contains("managed-by"));
    // PV.1 per target: its parameters as jsonencode lists, after the companion.
    let controls = resources(&main, "aws_controltower_control");
    let targets = plan["targets"].as_array().unwrap();
    assert_eq!(controls.len(), targets.len());
    for t in targets {
        let ou = t["ou_id"].as_str().unwrap();
        let (_, c) = controls
            .iter()
            .find(|(n, _)| *n == format!("pv1_{}", ou.replace('-', "_")))
            .unwrap_or_else(|| panic!("no PV.1 for {ou}"));
        assert_eq!(
            unquote(&c["target_identifier"]),
            t["ou_arn"].as_str().unwrap()
        );
        let params = c["parameters"].to_string();
        for p in t["pv1_parameters"].as_array().unwrap() {
            assert!(params.contains(p["key"].as_str().unwrap()), "{params}");
            for v in p["value"].as_array().unwrap() {
                assert!(params.contains(v.as_str().unwrap()), "{v} in {params}");
            }
        }
        assert!(params.contains("jsonencode(["), "{params}");
        assert!(
            c["depends_on"]
                .to_string()
                .contains("aws_organizations_policy.companion"),
            "{c}"
        );
    }
    // The companion on every target, by reference to the policy.
    let attachments = resources(&main, "aws_organizations_policy_attachment");
    assert_eq!(attachments.len(), targets.len());
    for (_, a) in &attachments {
        assert!(
            a["policy_id"]
                .to_string()
                .contains("aws_organizations_policy.companion.id")
        );
    }
    // Nothing exists yet in the example: no import block.
    assert!(main.get("import").is_none(), "{main:#}");
    let readme = std::fs::read_to_string(d.join("tf/README.md")).unwrap();
    assert!(readme.contains("in the console"), "{readme}");
    assert!(readme.contains("adds none"), "{readme}");
}

#[test]
fn the_example_plan_exports_to_cloudformation_that_cfn_lint_passes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(ctmigrate(d)
        .args(["export", "--plan"])
        .arg(example())
        .args(["--to", "cloudformation", "--out", "cfn"]))
    .expect_success();
    let template = d.join("cfn/ctmigrate.yaml");
    let lint = run(std::process::Command::new(pytools().join("cfn-lint")).arg(&template));
    assert_eq!(lint.code, 0, "cfn-lint:\n{}\n{}", lint.stdout, lint.stderr);
    let plan = plan_json(&example());
    let t = python_json(
        "import yaml, json, sys; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        &template,
    );
    let res = t["Resources"].as_object().unwrap();
    let companion = &res["Companion"];
    assert_eq!(companion["Type"], "AWS::Organizations::Policy");
    assert_eq!(
        companion["Properties"]["Content"],
        plan["companion"]["content"]
    );
    let targets = plan["targets"].as_array().unwrap();
    let ids: Vec<&str> = targets
        .iter()
        .map(|t| t["ou_id"].as_str().unwrap())
        .collect();
    assert_eq!(companion["Properties"]["TargetIds"], serde_json::json!(ids));
    let controls: Vec<&Value> = res
        .values()
        .filter(|r| r["Type"] == "AWS::ControlTower::EnabledControl")
        .collect();
    assert_eq!(controls.len(), targets.len());
    for c in controls {
        assert_eq!(c["DependsOn"], "Companion");
        let target = c["Properties"]["TargetIdentifier"].as_str().unwrap();
        let planned = targets.iter().find(|t| t["ou_arn"] == target).unwrap();
        let params: Vec<Value> = c["Properties"]["Parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| serde_json::json!({"key": p["Key"], "value": p["Value"]}))
            .collect();
        assert_eq!(serde_json::json!(params), planned["pv1_parameters"]);
    }
    assert!(!d.join("cfn/import.json").exists());
}

#[test]
fn what_exists_already_is_imported_not_created() {
    // Apply up to the console step: PV.1 and the companion are in place.
    let dir = copy_of(template_dir());
    let d = dir.path();
    run(&mut cli(d, &["apply", "--plan", PLAN, "--yes"])).expect_exit(3);
    run(&mut cli(d, &us_plan("adopt"))).expect_success();
    run(ctmigrate(d).args([
        "export",
        "--plan",
        "plans/adopt.plan.json",
        "--to",
        "terraform",
        "--out",
        "tf",
    ]))
    .expect_success();
    let main = hcl(&d.join("tf/main.tf"));
    let imports = main["import"].as_array().unwrap();
    let plan = plan_json(&d.join("plans/adopt.plan.json"));
    let targets = plan["targets"].as_array().unwrap().len();
    // The companion, PV.1 on every target and every attachment.
    assert_eq!(imports.len(), 1 + 2 * targets, "{main:#}");
    let text = main.to_string();
    assert!(
        text.contains("aws_organizations_policy.companion"),
        "{text}"
    );
    run(ctmigrate(d).args([
        "export",
        "--plan",
        "plans/adopt.plan.json",
        "--to",
        "cloudformation",
        "--out",
        "cfn",
    ]))
    .expect_success();
    let import: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("cfn/import.json")).unwrap()).unwrap();
    assert_eq!(import.as_array().unwrap().len(), 1 + targets);
    let lint =
        run(std::process::Command::new(pytools().join("cfn-lint"))
            .arg(d.join("cfn/ctmigrate.yaml")));
    assert_eq!(lint.code, 0, "{}", lint.stdout);
}

#[test]
fn a_tampered_plan_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = std::fs::read_to_string(example()).unwrap();
    std::fs::write(
        d.join("p.plan.json"),
        text.replacen("us-east-1", "us-west-1", 1),
    )
    .unwrap();
    let ran = run(ctmigrate(d).args([
        "export",
        "--plan",
        "p.plan.json",
        "--to",
        "terraform",
        "--out",
        "tf",
    ]));
    assert_eq!(ran.code, 65, "{}", ran.stderr);
    assert!(ran.stderr.contains("p.plan.json"), "{}", ran.stderr);
    assert!(!d.join("tf").exists());
}
