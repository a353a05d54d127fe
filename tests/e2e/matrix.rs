//! The concurrent-change matrix: every change another actor makes (the AWS
//! CLI against `ctmigrate sandbox serve`), in every phase of a migration.
//! In each cell ctmigrate either repairs the change with the plan's own step
//! and names it, or stops with exit 5 and names it (after `Finished`, `check`
//! exits 2 and names it too); it never prints the console instructions
//! while a change is unresolved; and the sandbox's timeline shows that no
//! registered first-tier OU lost its region deny except through the other
//! actor's own change.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::apply_cli::{assert_always_covered, normalised};
use crate::common::*;
use crate::concurrent::{
    AtGate, COMPANION, INSTRUCTION, SANDBOX_OU, check, uncovered_only_by_the_other_actor,
};

/// One change another actor makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    Pv1Disabled,
    Pv1Parameters,
    /// PV.1's statement in its `aws-guardrails-*` SCP edited outside Control Tower.
    Pv1Drifted,
    CompanionDetached,
    CompanionEdited,
    NewFirstTierOu,
    GovernedRegionAdded,
    /// sandbox-alice moved from Sandbox into the unregistered Experiments OU.
    AccountMoved,
}

const ALL: [Change; 8] = [
    Change::Pv1Disabled,
    Change::Pv1Parameters,
    Change::Pv1Drifted,
    Change::CompanionDetached,
    Change::CompanionEdited,
    Change::NewFirstTierOu,
    Change::GovernedRegionAdded,
    Change::AccountMoved,
];

impl Change {
    /// What ctmigrate's message about it contains.
    fn named(self) -> &'static str {
        match self {
            Change::Pv1Disabled => "no longer enabled on Sandbox",
            Change::Pv1Parameters => "other parameters than planned",
            Change::Pv1Drifted => "Sandbox (ou-sb01-sandbox0) is DRIFTED",
            Change::CompanionDetached => "no longer attached to Sandbox",
            Change::CompanionEdited => "was edited",
            Change::NewFirstTierOu => "Analytics",
            Change::GovernedRegionAdded => "governed Regions changed",
            Change::AccountMoved => "sandbox-alice (444444444444) was moved out of Sandbox",
        }
    }

    /// ctmigrate puts it back itself: only what its own plan step restores,
    /// and a drifted PV.1 only while the landing-zone deny covers the OU.
    fn repaired(self, deny_on: bool) -> bool {
        match self {
            Change::Pv1Disabled | Change::CompanionDetached => true,
            Change::Pv1Drifted => deny_on,
            _ => false,
        }
    }

    /// The kind of `check` finding after a finished migration.
    fn finding(self) -> &'static str {
        match self {
            Change::Pv1Disabled | Change::NewFirstTierOu => "uncovered-ou",
            Change::Pv1Parameters | Change::GovernedRegionAdded => "allowed-regions",
            Change::Pv1Drifted => "pv1-drifted",
            Change::CompanionDetached => "companion-detached",
            Change::CompanionEdited => "companion-content",
            Change::AccountMoved => "account-ungoverned",
        }
    }

    /// With the landing-zone deny off, the change itself leaves an OU with
    /// no region deny: the timeline's event that does it.
    fn uncovers(self) -> Option<&'static str> {
        match self {
            Change::Pv1Disabled => Some("DISABLE_CONTROL"),
            Change::NewFirstTierOu => Some("ENABLE_BASELINE"),
            _ => None,
        }
    }
}

impl AtGate {
    /// The other actor makes `change`, and it has taken effect.
    pub(crate) fn make(&self, change: Change) {
        match change {
            Change::Pv1Disabled => self.disable_pv1(SANDBOX_OU),
            Change::Pv1Parameters => {
                let arn = self.pv1_arn(SANDBOX_OU);
                let op = self.aws(&[
                    "controltower",
                    "update-enabled-control",
                    "--enabled-control-identifier",
                    &arn,
                    "--parameters",
                    r#"[{"key":"AllowedRegions","value":["ap-northeast-1","us-east-1"]}]"#,
                ]);
                self.wait_operation(&op);
            }
            Change::Pv1Drifted => self.edit_pv1_statement(SANDBOX_OU),
            Change::CompanionDetached => {
                let id = self.companion_id();
                self.aws(&[
                    "organizations",
                    "detach-policy",
                    "--policy-id",
                    &id,
                    "--target-id",
                    SANDBOX_OU,
                ]);
            }
            Change::CompanionEdited => {
                let id = self.companion_id();
                self.aws(&[
                    "organizations",
                    "update-policy",
                    "--policy-id",
                    &id,
                    "--content",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:InvokeModel","Resource":"*"}]}"#,
                ]);
            }
            Change::NewFirstTierOu => self.register_first_tier("Analytics"),
            Change::GovernedRegionAdded => {
                self.govern("us-west-2");
                self.wait_landing_zone();
            }
            Change::AccountMoved => {
                self.aws(&[
                    "organizations",
                    "move-account",
                    "--account-id",
                    "444444444444",
                    "--source-parent-id",
                    SANDBOX_OU,
                    "--destination-parent-id",
                    "ou-sb01-experim0",
                ]);
            }
        }
    }

    /// Another administrator widens PV.1's statement in the guardrail SCP on
    /// `ou` by hand (one more allowed Region), outside Control Tower.
    fn edit_pv1_statement(&self, ou: &str) {
        let attached = self.aws(&[
            "organizations",
            "list-policies-for-target",
            "--target-id",
            ou,
            "--filter",
            "SERVICE_CONTROL_POLICY",
        ]);
        for p in attached["Policies"].as_array().unwrap() {
            let id = p["Id"].as_str().unwrap();
            let full = self.aws(&["organizations", "describe-policy", "--policy-id", id]);
            let content = full["Policy"]["Content"].as_str().unwrap();
            let mut doc: Value = serde_json::from_str(content).unwrap();
            let Some(st) = doc["Statement"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|s| s["Sid"] == "CTMULTISERVICEPV1")
            else {
                continue;
            };
            st["Condition"]["StringNotEquals"]["aws:RequestedRegion"]
                .as_array_mut()
                .unwrap()
                .push("us-west-2".into());
            self.aws(&[
                "organizations",
                "update-policy",
                "--policy-id",
                id,
                "--content",
                &doc.to_string(),
            ]);
            return;
        }
        panic!("no PV.1 statement on {ou}");
    }

    /// Waits until no landing-zone update runs.
    fn wait_landing_zone(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let lz = self.aws(&[
                "controltower",
                "get-landing-zone",
                "--landing-zone-identifier",
                LZ_ARN,
            ]);
            if lz["landingZone"]["status"] == "ACTIVE" {
                return;
            }
            assert!(Instant::now() < deadline, "the update did not end: {lz}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

const LZ_ARN: &str =
    "arn:aws:controltower:ap-northeast-1:111111111111:landingzone/1A2B3C4D5E6F7G8H";

/// Before the person turned the deny off (during enable, or at the gate):
/// a repair comes before the instructions; anything else stops with exit 5
/// and no instructions; no OU is ever without a region deny.
fn before_the_person_acts(g: &AtGate, change: Change, phase: &str) {
    g.make(change);
    let Ran {
        code,
        stdout: out,
        stderr: err,
    } = g.resume();
    let cell = format!("{change:?} {phase}");
    if change.repaired(true) {
        assert_eq!(
            code, 3,
            "{cell}: repaired, then the gate asks: {out}\n{err}"
        );
        let repaired = out
            .find(change.named())
            .unwrap_or_else(|| panic!("{cell}: the repair is named: {out}"));
        let asked = out
            .find(INSTRUCTION)
            .unwrap_or_else(|| panic!("{cell}: then the person is asked: {out}"));
        assert!(repaired < asked, "{cell}: repair first: {out}");
        console(g.path(), "off");
        g.resume().expect_success();
    } else {
        assert_eq!(code, 5, "{cell}: stops: {out}\n{err}");
        assert!(err.contains(change.named()), "{cell}: named: {err}");
        assert!(err.contains("fix:"), "{cell}: with its fix: {err}");
        assert!(!out.contains(INSTRUCTION), "{cell}: never asks: {out}");
        if change == Change::NewFirstTierOu {
            replan_as_printed(g, &err);
        }
        // Again: still stopped, still not asking.
        let Ran {
            code,
            stdout: out,
            stderr: _,
        } = g.resume();
        assert_eq!(code, 5, "{cell}: again");
        assert!(!out.contains(INSTRUCTION), "{cell}: {out}");
    }
    assert_always_covered(g.path(), &cell);
}

/// Runs the `plan` command the stop printed, exactly as printed: its plan
/// covers the new OU.
fn replan_as_printed(g: &AtGate, err: &str) {
    let marker = "plan again with the same decisions: ";
    let start = err
        .find(marker)
        .map(|i| i + marker.len())
        .unwrap_or_else(|| panic!("{err}"));
    let command: String = err[start..].chars().take_while(|c| *c != ';').collect();
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words.first(), Some(&"ctmigrate"), "{command}");
    run(ctmigrate(g.path()).args(&words[1..])).expect_success();
    let plan: Value = serde_json::from_str(
        &std::fs::read_to_string(g.path().join("plans/t-replanned.plan.json")).unwrap(),
    )
    .unwrap();
    assert!(
        plan["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Analytics"),
        "{command}: the new plan covers the new OU"
    );
}

#[test]
fn changes_during_enable() {
    for change in ALL {
        before_the_person_acts(&AtGate::after_enable(), change, "during enable");
    }
}

#[test]
fn changes_at_the_gate_before_the_person_acts() {
    for change in ALL {
        before_the_person_acts(&AtGate::new(), change, "at the gate");
    }
}

#[test]
fn changes_after_the_person_acted() {
    for change in ALL {
        let cell = format!("{change:?} after the person acted");
        let g = AtGate::new();
        console(g.path(), "off");
        g.make(change);
        let Ran {
            code,
            stdout: out,
            stderr: err,
        } = g.resume();
        if change.repaired(false) {
            assert_eq!(code, 0, "{cell}: repaired: {out}\n{err}");
            assert!(out.contains(change.named()), "{cell}: named: {out}");
        } else {
            assert_eq!(code, 5, "{cell}: stops: {out}\n{err}");
            assert!(err.contains(change.named()), "{cell}: named: {err}");
        }
        assert!(!out.contains(INSTRUCTION), "{cell}: done already: {out}");
        match change.uncovers() {
            Some(culprit) => {
                uncovered_only_by_the_other_actor(g.path(), culprit, !change.repaired(false))
            }
            None => assert_always_covered(g.path(), &cell),
        }
    }
}

#[test]
fn changes_after_finished() {
    for change in ALL {
        let cell = format!("{change:?} after Finished");
        let g = AtGate::new();
        console(g.path(), "off");
        g.resume().expect_success();
        g.make(change);
        let (code, report, text) = check(g.path());
        assert_eq!(code, 2, "{cell}: check finds it: {text}");
        assert!(
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["kind"] == change.finding()),
            "{cell} → {}: {report}",
            change.finding()
        );
        let Ran {
            code,
            stdout: out,
            stderr: err,
        } = g.resume();
        if change.repaired(false) {
            assert_eq!(code, 0, "{cell}: repaired: {out}\n{err}");
            assert!(out.contains(change.named()), "{cell}: named: {out}");
            let (code, _, text) = check(g.path());
            assert_eq!(code, 0, "{cell}: holds again: {text}");
        } else {
            assert_eq!(code, 5, "{cell}: stops: {out}\n{err}");
            assert!(err.contains(change.named()), "{cell}: named: {err}");
        }
        if change == Change::CompanionDetached {
            let attached = normalised(g.path())["attachments"][SANDBOX_OU].to_string();
            assert!(attached.contains(COMPANION), "{attached}");
        }
        match change.uncovers() {
            Some(culprit) => {
                uncovered_only_by_the_other_actor(g.path(), culprit, !change.repaired(false))
            }
            None => assert_always_covered(g.path(), &cell),
        }
    }
}
