//! The pure core on committed estates, without HTTP: planning, the proof,
//! the diff between two plans and the Markdown a change board reads.

use super::*;
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
