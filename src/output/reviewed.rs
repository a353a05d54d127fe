//! What people read, on committed estates and without HTTP: the detect
//! report, an apply's status, an explanation and the errors of bad input,
//! as insta snapshots reviewed like code.
//!
//! Test code only: `output/mod.rs` declares this module under
//! `#[cfg(test)]`, so its `unwrap()`s on fixtures fail a test, never a
//! user's run.

use super::*;
use crate::apply::journal::{self, Event, Prediction, Record};
use crate::apply::status;
use crate::detect::{Quotas, report};
use crate::plan::{self, PlanInputs, PlanRequest};
use crate::snapshot::fixtures::estate;

fn plain() -> Output {
    Output::plain()
}

#[test]
fn detect_reports_the_default_estate() {
    let e = estate("default");
    insta::assert_snapshot!(render_detect(
        &report(&e.snapshot, Quotas::default()),
        &plain()
    ));
}

#[test]
fn detect_names_both_signals_when_the_deny_drifted() {
    let e = estate("drifted-deny");
    let text = render_detect(&report(&e.snapshot, Quotas::default()), &plain());
    let deny: String = text
        .lines()
        .skip_while(|l| !l.starts_with("Landing-zone region deny"))
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(deny);
}

fn default_plan() -> plan::Plan {
    let e = estate("default");
    plan::build(PlanRequest {
        snapshot: &e.snapshot,
        profiles: &e.profiles,
        bedrock_use: &e.bedrock_use,
        inputs: PlanInputs {
            inference_profiles: vec!["us".into()],
            permitted_accounts: vec!["666666666667".into()],
            ..PlanInputs::default()
        },
        name: "t".into(),
        created_at: "2026-12-03T00:00:00Z".into(),
        tool_version: "test".into(),
    })
    .unwrap()
}

fn record(seq: u64, event: Event) -> Record {
    Record {
        seq,
        at: format!("2026-12-03T00:00:{seq:02}Z"),
        event,
    }
}

#[test]
fn status_at_the_console_step_names_the_person_s_action_and_the_command_after_it() {
    let p = default_plan();
    let mut events = vec![
        Event::Started {
            format_version: journal::JOURNAL_FORMAT_VERSION,
            tool_version: "test".into(),
            plan_path: "plans/t.plan.json".into(),
            plan_name: "t".into(),
            plan_checksum: p.checksum.clone(),
            organization_id: p.organization_id.clone(),
            management_account: p.management_account.clone(),
            home_region: p.home_region.clone(),
            connection: " --sandbox".into(),
            predicted: Box::new(Prediction {
                regions: Vec::new(),
                rows: Vec::new(),
                probes: Vec::new(),
                cells: Vec::new(),
            }),
        },
        Event::RunStarted {
            command: "apply".into(),
            pid: 1,
            host: "h".into(),
        },
    ];
    for stage in p.stages.iter().take_while(|s| !s.manual) {
        for step in &stage.steps {
            events.push(Event::StepVerified {
                step: step.id.clone(),
            });
        }
        events.push(Event::Checkpoint {
            stage: stage.id.clone(),
        });
    }
    events.push(Event::WaitingForConsole {
        stage: "console".into(),
    });
    let records: Vec<Record> = events
        .into_iter()
        .enumerate()
        .map(|(i, e)| record(i as u64 + 1, e))
        .collect();
    let s = status::status(&p, &journal::fold(&records), "plans/t.journal.jsonl", true);
    insta::assert_snapshot!(render_status(&s, &plain()));
}

#[test]
fn explain_names_the_denying_statement_and_the_fix() {
    let e = estate("default");
    let denial = crate::explain::parse(crate::explain::EXAMPLE).unwrap();
    let x = crate::explain::against(&e.snapshot, &e.profiles, denial, None).unwrap();
    insta::assert_snapshot!(render_explanation(&x, &plain()));
}

#[test]
fn errors_of_bad_input_name_the_input_and_the_fix() {
    use crate::plan::file::FileError;
    let dir = tempfile::tempdir().unwrap();
    let tampered = dir.path().join("t.plan.json");
    let mut p = default_plan();
    p.name = "edited".into();
    std::fs::write(&tampered, serde_json::to_string(&p).unwrap()).unwrap();
    let errors = [
        Error::from(plan::file::read(&tampered).unwrap_err()),
        Error::from(FileError::Name("../x".into())),
        Error::from(crate::explain::parse("hello").unwrap_err()),
        Error::from(crate::apply::JournalError::Exists {
            path: "plans/t.journal.jsonl".into(),
        }),
    ];
    let text: String = errors
        .iter()
        .map(|e| render_error(e, false).replace(&dir.path().display().to_string(), "DIR"))
        .collect();
    insta::assert_snapshot!(text);
}
