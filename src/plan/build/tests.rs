//! The pure core on committed estates, without HTTP: planning, the proof,
//! the diff between two plans and the Markdown a change board reads.

use super::*;
use crate::plan::inputs::CompanionMode;
use crate::plan::{diff, markdown, proof};
use crate::snapshot::fixtures::estate;

fn inputs() -> PlanInputs {
    PlanInputs {
        inference_profiles: vec!["us".into()],
        permitted_accounts: vec!["666666666667".into()],
        ..PlanInputs::default()
    }
}

fn plan_for(name: &str, inputs: PlanInputs) -> Result<Plan, InputError> {
    let e = estate(name);
    build(PlanRequest {
        snapshot: &e.snapshot,
        profiles: &e.profiles,
        bedrock_use: &e.bedrock_use,
        inputs,
        name: "t".into(),
        created_at: "2026-12-03T00:00:00Z".into(),
        tool_version: "test".into(),
    })
}

#[test]
fn the_default_estate_plans_a_proven_migration_in_six_stages() {
    let p = plan_for("default", inputs()).unwrap();
    assert!(p.applyable, "{:?}", p.errors);
    let stages: Vec<(&str, usize)> = p
        .stages
        .iter()
        .map(|s| (s.id.as_str(), s.steps.len()))
        .collect();
    insta::assert_debug_snapshot!(stages);
    let proof = p.proof.as_ref().unwrap();
    assert!(proof.passed);
    assert!(p.targets.iter().all(|t| t.pv1_action == Pv1Action::Enable));
    assert_eq!(p.companion.action, CompanionAction::Create);
    insta::assert_snapshot!("default-plan-markdown", markdown(&p));
}

#[test]
fn the_wide_estate_plans_every_registered_first_tier_ou() {
    let p = plan_for("wide", inputs()).unwrap();
    assert!(p.applyable, "{:?}", p.errors);
    let registered = estate("wide")
        .snapshot
        .first_tier_ous()
        .filter(|o| o.registered)
        .count();
    assert!(registered >= 50, "{registered}");
    assert_eq!(p.targets.len(), registered);
    let enable = p.stages.iter().find(|s| s.id == "enable").unwrap();
    assert_eq!(enable.steps.len(), 2 * p.targets.len());
    assert!(p.proof.as_ref().unwrap().passed);
}

#[test]
fn a_drifted_deny_makes_the_plan_not_applyable_and_says_why() {
    let p = plan_for("drifted-deny", inputs()).unwrap();
    assert!(!p.applyable);
    insta::assert_debug_snapshot!(p.errors);
}

#[test]
fn a_full_ou_makes_the_plan_not_applyable_naming_the_ou() {
    let p = plan_for("full-ou", inputs()).unwrap();
    assert!(!p.applyable);
    assert!(
        p.errors.iter().any(|e| e
            .starts_with("Workloads (ou-sb01-workload): 10 SCPs attached now + 1 companion SCP")),
        "{:?}",
        p.errors
    );
}

#[test]
fn bad_inputs_are_refused_naming_the_field() {
    let mut i = inputs();
    i.permitted_accounts = vec!["123123123123".into()];
    let e = plan_for("default", i).unwrap_err();
    assert_eq!(e.field, "permitted_accounts");
    let mut i = inputs();
    i.inference_profiles = vec!["global".into()];
    assert_eq!(
        plan_for("default", i).unwrap_err().field,
        "inference_profiles"
    );
    let mut i = inputs();
    i.source_regions = vec!["sa-east-1".into()];
    assert_eq!(plan_for("default", i).unwrap_err().field, "source_regions");
}

#[test]
fn the_proof_matrix_is_computed_without_any_call() {
    let e = estate("default");
    let p = plan_for("default", inputs()).unwrap();
    let m = proof::matrix(&e.snapshot, &p).unwrap();
    assert!(m.summary.passed);
    assert_eq!(m.states.first().map(String::as_str), Some("before"));
    assert_eq!(Some(&m.summary), p.proof.as_ref());
    assert_eq!(m.cells.len(), m.states.len());
}

#[test]
fn a_plan_diffs_clean_against_itself_and_names_what_another_estate_changes() {
    let a = plan_for("default", inputs()).unwrap();
    assert!(diff(&a, &a).is_empty(), "{:?}", diff(&a, &a));
    let b = plan_for("full-ou", inputs()).unwrap();
    let d = diff(&a, &b);
    assert!(
        d.iter()
            .any(|l| l.contains("Workloads (ou-sb01-workload): SCPs attached 4 → 10")),
        "{d:?}"
    );
}

/// Inputs that make every path beyond model inference work.
fn every_path(mode: CompanionMode) -> PlanInputs {
    PlanInputs {
        batch_inference: true,
        guardrail_profiles: vec!["us.guardrail.v1:0".into()],
        data_automation_profiles: vec!["us.data-automation-v1".into()],
        companion_mode: mode,
        ..inputs()
    }
}

/// The cells of the last state for the probe labelled `label`, per row:
/// (permitted, the decision in `region`).
fn end_cells(p: &Plan, label: &str, region: &str) -> Vec<(bool, char)> {
    let e = estate("default");
    let m = proof::matrix(&e.snapshot, p).unwrap();
    let probe = m
        .probes
        .iter()
        .position(|x| x.label == label)
        .unwrap_or_else(|| panic!("no probe `{label}`"));
    let g = m.regions.iter().position(|r| r == region).unwrap();
    let last = m.cells.last().unwrap();
    m.rows
        .iter()
        .zip(last)
        .map(|(row, cells)| (row.permitted, cells[probe].as_bytes()[g] as char))
        .collect()
}

#[test]
fn every_path_is_exempted_fenced_and_proven_in_every_mode() {
    for mode in [
        CompanionMode::Strict,
        CompanionMode::Accounts,
        CompanionMode::Profiles,
    ] {
        let p = plan_for("default", every_path(mode)).unwrap();
        assert!(p.applyable, "{mode:?}: {:?}", p.errors);
        assert_eq!(
            p.decisions.exempted_actions,
            [
                "bedrock:InvokeModel",
                "bedrock:InvokeModelWithResponseStream",
                "bedrock:CreateModelInvocationJob",
                "bedrock:ApplyGuardrail",
                "bedrock:InvokeDataAutomationAsync"
            ]
        );
        assert_eq!(p.path_profiles.len(), 2);
        let g = &p.path_profiles[0];
        assert_eq!(
            (g.id.as_str(), g.source_regions.as_slice()),
            ("us.guardrail.v1:0", &["us-east-1".to_string()][..])
        );
        assert_eq!(g.blocked_destinations, ["us-east-2", "us-west-2"]);
        let proof = p.proof.as_ref().unwrap();
        assert!(proof.passed, "{mode:?}: {:?}", proof.properties);
        // The inference-keyed statements never name the resource-fenced
        // actions (their requests carry no bedrock:InferenceProfileArn).
        let doc: serde_json::Value = serde_json::from_str(&p.companion.content).unwrap();
        for st in doc["Statement"].as_array().unwrap() {
            let keyed = st["Condition"].get("ArnNotLike").is_some()
                || st["Sid"] == "CtmigrateBedrockNoGlobalRouting";
            if keyed {
                let actions = st["Action"].to_string();
                assert!(!actions.contains("ApplyGuardrail"), "{st}");
                assert!(!actions.contains("DataAutomation"), "{st}");
                assert!(actions.contains("CreateModelInvocationJob"), "{st}");
            }
        }
        let guardrail = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|st| st["Action"] == serde_json::json!(["bedrock:ApplyGuardrail"]))
            .unwrap();
        let expected = match mode {
            CompanionMode::Accounts => "arn:aws:bedrock:*:*:guardrail-profile/*",
            _ => "arn:aws:bedrock:*:*:guardrail-profile/us.guardrail.v1:0",
        };
        assert_eq!(guardrail["NotResource"], serde_json::json!([expected]));

        // The guardrail profile in a blocked destination: from the
        // permitted account always; from the others only in profiles mode.
        for (permitted, c) in end_cells(
            &p,
            "bedrock:ApplyGuardrail on guardrail-profile us.guardrail.v1:0",
            "us-east-2",
        ) {
            let works = permitted || mode == CompanionMode::Profiles;
            assert_eq!(c, if works { 'A' } else { 'D' }, "{mode:?}");
        }
        // A guardrail called without a profile outside the allowed Regions
        // is denied to everyone, as a direct model call is.
        for (_, c) in end_cells(
            &p,
            "bedrock:ApplyGuardrail direct (no profile)",
            "us-east-2",
        ) {
            assert_eq!(c, 'D', "{mode:?}");
        }
        for (permitted, c) in end_cells(
            &p,
            "bedrock:CreateModelInvocationJob via us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "us-west-2",
        ) {
            let works = permitted || mode == CompanionMode::Profiles;
            assert_eq!(c, if works { 'A' } else { 'D' }, "{mode:?}");
        }
        let work = proof
            .properties
            .iter()
            .find(|x| x.id == "profiles-work")
            .unwrap();
        assert!(work.cells_checked > 0);
    }
}

#[test]
fn a_plan_without_other_paths_keeps_its_companion_and_inputs_as_before() {
    let p = plan_for("default", inputs()).unwrap();
    assert!(p.path_profiles.is_empty());
    assert!(!p.companion.content.contains("ApplyGuardrail"));
    let json = serde_json::to_value(&p.inputs).unwrap();
    for field in [
        "batch_inference",
        "guardrail_profiles",
        "data_automation_profiles",
    ] {
        assert!(json.get(field).is_none(), "{field} written by default");
    }
}

#[test]
fn resource_fenced_paths_need_their_profiles_named_and_usable() {
    let mut i = inputs();
    i.exempt_actions = vec!["bedrock:ApplyGuardrail".into()];
    let e = plan_for("default", i).unwrap_err();
    assert_eq!(e.field, "exempt_actions");
    assert!(
        e.hint.contains("--guardrail-profile us.guardrail.v1:0"),
        "{e:?}"
    );

    let mut i = inputs();
    i.guardrail_profiles = vec!["ca.guardrail.v1:0".into()];
    let e = plan_for("default", i).unwrap_err();
    assert_eq!(e.field, "guardrail_profiles");
    assert!(e.message.contains("not in ctmigrate's catalog"), "{e:?}");

    // The EU guardrail profile's sources are not allowed here.
    let mut i = inputs();
    i.guardrail_profiles = vec!["eu.guardrail.v1:0".into()];
    let e = plan_for("default", i).unwrap_err();
    assert!(
        e.message.contains("cannot be used from the source Regions"),
        "{e:?}"
    );
    assert!(
        e.hint.starts_with("none of its source Regions is allowed"),
        "{e:?}"
    );
}
