//! The proof's three properties, checked over an evaluated matrix: no
//! window, profiles work, Bedrock fenced (see the parent module), each
//! with the first failing cells named.

use std::collections::BTreeMap;

use super::{Probe, ProbeKind, ProofSummary, PropertyResult, Row};
use crate::plan::companion;
use crate::plan::inputs::CompanionMode;
use crate::plan::model::*;
use crate::policy::read;

const MAX_FAILURES: usize = 5;

pub(super) fn check(
    states: &[String],
    regions: &[String],
    rows: &[Row],
    probes: &[Probe],
    cells: &[Vec<Vec<String>>],
    plan: &Plan,
    evaluations: usize,
) -> ProofSummary {
    let allowed_mask: Vec<bool> = regions
        .iter()
        .map(|r| plan.decisions.allowed_regions.contains(r))
        .collect();
    let last = states.len() - 1;
    let at = |st: usize, r: usize, p: usize, g: usize| cells[st][r][p].as_bytes()[g] as char;
    let name = |st: usize, r: usize, p: usize, g: usize, c: char| {
        let d = match c {
            'A' => "Allow",
            'D' => "ExplicitDeny",
            'I' => "ImplicitDeny",
            _ => "n/a",
        };
        format!(
            "{} / {} / {} / {} / {}: {d}",
            states[st], rows[r].ou_path, rows[r].account_label, probes[p].label, regions[g]
        )
    };
    let mut results = Vec::new();

    // Regions a target's PV.1 is updated to allow (day two: newly governed
    // Regions, the landing-zone deny being off), per first-tier OU name:
    // opening them is the plan's stated intent, not a loosening.
    let widened: BTreeMap<&str, Vec<String>> = plan
        .targets
        .iter()
        .filter_map(|t| {
            let regions_of = |v: &serde_json::Value| -> Vec<String> {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p.get("key").and_then(|k| k.as_str()) == Some("AllowedRegions"))
                    .flat_map(|p| {
                        p.get("value")
                            .and_then(|v| v.as_array())
                            .cloned()
                            .unwrap_or_default()
                    })
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect()
            };
            let before = regions_of(t.pv1_current_parameters.as_ref()?);
            let added: Vec<String> = regions_of(&t.pv1_parameters)
                .into_iter()
                .filter(|r| !before.contains(r))
                .collect();
            (!added.is_empty()).then_some((t.name.as_str(), added))
        })
        .collect();
    let is_widened = |r: usize, g: usize| {
        let first_tier = rows[r].ou_path.split('/').next().unwrap_or_default();
        widened
            .get(first_tier)
            .is_some_and(|added| added.contains(&regions[g]))
    };

    // 1. No window, and no non-Bedrock decision loosened.
    let mut p1 = PropertyResult {
        id: "no-window".into(),
        description: if widened.is_empty() {
            "in every state, every non-Bedrock regional action outside the allowed Regions is denied for every account the landing-zone deny covers today (and for every account at the end), and no non-Bedrock decision is loosened".into()
        } else {
            let mut all: Vec<&String> = widened.values().flatten().collect();
            all.sort();
            all.dedup();
            format!(
                "in every state, every non-Bedrock regional action outside the allowed Regions is denied for every account the landing-zone deny covers today (and for every account at the end), and no non-Bedrock decision is loosened except in the newly governed Region(s) {} that PV.1 is updated to allow",
                all.iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        passed: true,
        cells_checked: 0,
        failures: Vec::new(),
    };
    let accepted = &plan.inputs.accept_loosened;
    // An accepted pattern covers its own probe and every other probe whose
    // action it matches (`iam:*` also loosens the `iam:CreateRole` probe).
    let is_accepted = |probe: &Probe| {
        accepted.iter().any(|a| {
            probe
                .pattern
                .as_ref()
                .is_some_and(|x| a.eq_ignore_ascii_case(x))
                || read::action_matches(a, &probe.action)
        })
    };
    let mut loosened_actions: Vec<String> = Vec::new();
    for st in 0..states.len() {
        for (r, row) in rows.iter().enumerate() {
            for (p, probe) in probes.iter().enumerate() {
                if !matches!(
                    probe.kind,
                    ProbeKind::Regional | ProbeKind::Global | ProbeKind::RegionDenyDiff
                ) {
                    continue;
                }
                for (g, &inside) in allowed_mask.iter().enumerate() {
                    let c = at(st, r, p, g);
                    p1.cells_checked += 1;
                    let fenced = row.covered_today || st == last;
                    let window = probe.kind == ProbeKind::Regional && fenced && !inside && c == 'A';
                    let loosened =
                        c == 'A' && at(0, r, p, g) != 'A' && !(inside && is_widened(r, g));
                    if loosened
                        && let Some(pattern) = &probe.pattern
                        && !loosened_actions.contains(pattern)
                    {
                        loosened_actions.push(pattern.clone());
                    }
                    if (window || loosened) && !is_accepted(probe) {
                        p1.passed = false;
                        if p1.failures.len() < MAX_FAILURES {
                            p1.failures.push(name(st, r, p, g, c));
                        }
                    }
                }
            }
        }
    }
    loosened_actions.sort();
    let differing = probes
        .iter()
        .filter(|p| p.kind == ProbeKind::RegionDenyDiff)
        .count();
    if differing > 0 {
        p1.description.push_str(&format!(
            "; the {differing} action pattern(s) where the live landing-zone deny and PV.1 differ are probed"
        ));
    }
    let accepted_here: Vec<&str> = loosened_actions
        .iter()
        .filter(|a| accepted.iter().any(|x| x.eq_ignore_ascii_case(a)))
        .map(String::as_str)
        .collect();
    if !accepted_here.is_empty() {
        p1.description.push_str(&format!(
            ", and the loosening of {} is accepted (--accept-loosened)",
            accepted_here.join(", ")
        ));
    }
    results.push(p1);

    // 2. Approved profiles work from every permitted account.
    let mut p2 = PropertyResult {
        id: "profiles-work".into(),
        description: "at the end, every approved profile works from every permitted account to every destination Region".into(),
        passed: true,
        cells_checked: 0,
        failures: Vec::new(),
    };
    let mode = plan.decisions.companion_mode;
    for (r, row) in rows.iter().enumerate() {
        let expected_to_work = match mode {
            CompanionMode::Profiles => true,
            _ => row.permitted,
        };
        if !expected_to_work {
            continue;
        }
        for (p, probe) in probes.iter().enumerate() {
            if probe.kind != ProbeKind::BedrockApprovedProfile {
                continue;
            }
            for g in 0..regions.len() {
                let c = at(last, r, p, g);
                if c == '.' {
                    continue;
                }
                p2.cells_checked += 1;
                if c != 'A' {
                    p2.passed = false;
                    if p2.failures.len() < MAX_FAILURES {
                        p2.failures.push(name(last, r, p, g, c));
                    }
                }
            }
        }
    }
    results.push(p2);

    // 3. Bedrock stays fenced for everything the mode denies.
    let mut p3 = PropertyResult {
        id: "bedrock-fenced".into(),
        description: format!(
            "at the end, companion mode `{}` holds: {}",
            mode.as_str(),
            companion::promise(&plan.decisions)
        ),
        passed: true,
        cells_checked: 0,
        failures: Vec::new(),
    };
    for (r, row) in rows.iter().enumerate() {
        for (p, probe) in probes.iter().enumerate() {
            let must_deny = match (probe.kind.clone(), mode) {
                (ProbeKind::Regional | ProbeKind::Global | ProbeKind::RegionDenyDiff, _) => false,
                // No mode lets Bedrock be called directly outside the allowed Regions.
                (ProbeKind::BedrockDirect, _) => true,
                // Nor routes globally without --allow-global, whatever the profile ARN.
                (ProbeKind::BedrockGlobalLeg, _) => true,
                (ProbeKind::BedrockUnapprovedProfile, CompanionMode::Accounts) => !row.permitted,
                (ProbeKind::BedrockApprovedProfile, CompanionMode::Accounts) => !row.permitted,
                (ProbeKind::BedrockUnapprovedProfile, _) => true,
                (ProbeKind::BedrockApprovedProfile, CompanionMode::Profiles) => false,
                (ProbeKind::BedrockApprovedProfile, CompanionMode::Strict) => !row.permitted,
            };
            if !must_deny {
                continue;
            }
            for (g, &inside) in allowed_mask.iter().enumerate() {
                let c = at(last, r, p, g);
                if inside || c == '.' {
                    continue;
                }
                p3.cells_checked += 1;
                if c == 'A' {
                    p3.passed = false;
                    if p3.failures.len() < MAX_FAILURES {
                        p3.failures.push(name(last, r, p, g, c));
                    }
                }
            }
        }
    }
    results.push(p3);

    ProofSummary {
        passed: results.iter().all(|r| r.passed),
        states: states.to_vec(),
        rows: rows.len(),
        probes: probes.len(),
        regions: regions.len(),
        evaluations,
        properties: results,
        loosened_actions,
    }
}
