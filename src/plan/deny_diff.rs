//! Where the live landing-zone region deny and PV.1's statement disagree.
//!
//! PV.1 writes its own `NotAction` list (the documented default plus the
//! exempted actions). The live `GRREGIONDENY` statement can carry another
//! one: an older landing zone, or a hand edit. Each pattern PV.1 exempts that
//! the live deny does not is *loosened* by the console step (denied outside
//! the allowed Regions today, allowed after); each pattern the live deny
//! exempts that PV.1 does not is *tightened*. Every difference comes with a
//! concrete action the proof probes, so that the evaluator, not this module,
//! decides what the end state allows.
//!
//! Pure: reads a snapshot, never calls AWS. Pattern containment here is
//! sound but not complete: when it cannot show that the live deny covers a
//! pattern, the pattern is reported, never silently passed.

use std::collections::BTreeMap;

use super::pv1;
use crate::policy::read::{self, pattern_covers};
use crate::snapshot::Snapshot;

/// One pattern the two region denies treat differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The `NotAction` pattern that differs (`kms:*`).
    pub pattern: String,
    /// `true`: PV.1 exempts it and the live deny does not (loosened).
    pub loosened: bool,
    /// A concrete action matched by `pattern` and treated differently by the
    /// two statements, for the proof to probe.
    pub probe_action: String,
    /// The first-tier OUs (names) whose live deny differs on this pattern.
    pub ous: Vec<String>,
}

/// The `NotAction` patterns of the `GRREGIONDENY` statements on each
/// registered first-tier OU that has one, by OU name.
pub fn live_not_actions(s: &Snapshot) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ou in s.first_tier_ous().filter(|o| o.registered) {
        for pid in &ou.policies {
            let Some(p) = s.policies.get(pid) else {
                continue;
            };
            for st in read::statements_with_sid(&p.content, pv1::GRREGIONDENY_SID) {
                out.entry(ou.name.clone())
                    .or_default()
                    .extend(st.not_actions().unwrap_or_default());
            }
        }
    }
    out
}

/// The differences between each OU's live deny and PV.1's default
/// `NotAction` list (the exempted actions are deliberate, not differences).
pub fn differences(live: &BTreeMap<String, Vec<String>>) -> Vec<Difference> {
    let pv1_list = pv1::default_not_actions();
    let mut found: BTreeMap<(bool, String), Difference> = BTreeMap::new();
    for (ou, lz) in live {
        let mut add = |pattern: &str, loosened: bool, avoid: &[String]| {
            let d = found
                .entry((!loosened, pattern.to_ascii_lowercase()))
                .or_insert_with(|| Difference {
                    pattern: pattern.to_string(),
                    loosened,
                    probe_action: probe_action(pattern, avoid),
                    ous: Vec::new(),
                });
            d.ous.push(ou.clone());
        };
        for p in &pv1_list {
            if !lz.iter().any(|q| pattern_covers(q, p)) {
                add(p, true, lz);
            }
        }
        for q in lz {
            if !pv1_list.iter().any(|p| pattern_covers(p, q)) {
                add(q, false, &pv1_list);
            }
        }
    }
    found.into_values().collect()
}

/// Names tried in place of a wildcard, in order: a name no AWS action has,
/// then the verbs patterns most often narrow to.
const PROBE_NAMES: [&str; 6] = [
    "CtmigrateProbe",
    "CreateCtmigrateProbe",
    "PutCtmigrateProbe",
    "DeleteCtmigrateProbe",
    "GetCtmigrateProbe",
    "ListCtmigrateProbe",
];

/// A concrete action matched by `pattern` and by none of `avoid`; the
/// first candidate when every candidate is avoided (the proof then shows no
/// difference, and the plan still reports the pattern).
fn probe_action(pattern: &str, avoid: &[String]) -> String {
    let candidates: Vec<String> = PROBE_NAMES
        .iter()
        .map(|name| {
            let mut out = String::new();
            let mut used = false;
            for c in pattern.chars() {
                match c {
                    '*' if !used => {
                        out.push_str(name);
                        used = true;
                    }
                    '*' => {}
                    '?' => out.push('X'),
                    c => out.push(c),
                }
            }
            out
        })
        .collect();
    candidates
        .iter()
        .find(|a| !avoid.iter().any(|q| crate::policy::glob(q, a, true)))
        .or(candidates.first())
        .cloned()
        .unwrap_or_else(|| pattern.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_is_sound_for_stars_and_question_marks() {
        assert!(pattern_covers("kms:*", "kms:*"));
        assert!(pattern_covers("kms:*", "kms:Create*"));
        assert!(pattern_covers("*", "lightsail:Get*"));
        assert!(pattern_covers("KMS:*", "kms:CreateKey"));
        assert!(pattern_covers("s3:Get*", "s3:GetBucket?ocation"));
        assert!(!pattern_covers("kms:Create*", "kms:*"));
        assert!(!pattern_covers("kms:?", "kms:*"));
        assert!(!pattern_covers("sts:*", "kms:*"));
        assert!(!pattern_covers("lightsail:Get*", "lightsail:*"));
        assert!(pattern_covers(
            "s3:?etBucketLocation",
            "s3:GetBucketLocation"
        ));
    }

    fn live(list: &[&str]) -> BTreeMap<String, Vec<String>> {
        BTreeMap::from([(
            "Workloads".to_string(),
            list.iter().map(|s| s.to_string()).collect(),
        )])
    }

    #[test]
    fn the_default_list_differs_in_nothing() {
        let all = pv1::default_not_actions();
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        assert!(differences(&live(&refs)).is_empty());
    }

    #[test]
    fn a_shorter_or_narrower_live_list_is_loosened_and_a_wider_one_tightened() {
        let all = pv1::default_not_actions();
        let mut refs: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|a| *a != "kms:*" && *a != "sts:*" && *a != "iam:*")
            .collect();
        refs.push("iam:Get*");
        refs.push("ssm:*");
        let d = differences(&live(&refs));
        let loosened: Vec<(&str, &str)> = d
            .iter()
            .filter(|d| d.loosened)
            .map(|d| (d.pattern.as_str(), d.probe_action.as_str()))
            .collect();
        assert_eq!(
            loosened,
            [
                ("iam:*", "iam:CtmigrateProbe"),
                ("kms:*", "kms:CtmigrateProbe"),
                ("sts:*", "sts:CtmigrateProbe")
            ]
        );
        let tightened: Vec<&str> = d
            .iter()
            .filter(|d| !d.loosened)
            .map(|d| d.pattern.as_str())
            .collect();
        assert_eq!(tightened, ["ssm:*"]);
        assert_eq!(d[0].ous, ["Workloads"]);
    }

    #[test]
    fn the_probe_avoids_what_the_live_deny_still_exempts() {
        assert_eq!(
            probe_action("iam:*", &["iam:Ctmigrate*".to_string()]),
            "iam:CreateCtmigrateProbe"
        );
        assert_eq!(
            probe_action("lightsail:Get*", &["*".to_string()]),
            "lightsail:GetCtmigrateProbe"
        );
    }
}
