//! The plan as a review document for a change-advisory board.

use super::model::*;
use super::{CompanionMode, human_duration};

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn mode_text(mode: CompanionMode) -> &'static str {
    match mode {
        CompanionMode::Accounts => {
            "**accounts**: outside the allowed Regions, Bedrock inference is denied unless the calling account is a permitted account and the call goes through an inference profile (the published pattern, with direct calls closed)."
        }
        CompanionMode::Profiles => {
            "**profiles**: outside the allowed Regions, Bedrock inference is denied unless the call goes through an approved inference profile (AWS's pattern)."
        }
        CompanionMode::Strict => {
            "**strict**: outside the allowed Regions, Bedrock inference is denied unless the calling account is permitted **and** the call goes through an approved inference profile (two Deny statements)."
        }
    }
}

/// The section a change board reads: what the organization owes once the
/// landing-zone deny is gone, where data goes, what a rollback costs, and
/// what the console update does to the landing-zone version. Each point is
/// stated from the plan's decisions.
fn risks_and_obligations(p: &Plan, s: &mut String) {
    let d = &p.decisions;
    let has_console = p.stages.iter().any(|st| st.manual);
    let mut outside: Vec<String> = p
        .profiles
        .iter()
        .flat_map(|pr| pr.destination_regions.iter())
        .filter(|r| !d.allowed_regions.contains(r))
        .cloned()
        .collect();
    outside.sort();
    outside.dedup();
    s.push_str("## Risks and obligations\n\n");
    s.push_str(&format!(
        "- **The estate must be watched from now on.** {} the landing-zone region deny no longer covers new OUs: a first-tier OU registered later gets no region deny at all, and a change to the landing zone's governed Regions no longer reaches PV.1's `AllowedRegions` ({}). Run `ctmigrate check` daily or in CI (docs/day-two.md): it exits 2 and names each gap with its fix, and `ctmigrate plan --from-plan` covers it.\n",
        if has_console { "After the console step," } else { "With the deny already off," },
        list(&d.allowed_regions)
    ));
    if outside.is_empty() {
        s.push_str("- **Data residency**: every destination of the approved profiles is an allowed Region; inference stays there.\n");
    } else {
        s.push_str(&format!(
            "- **Data residency**: prompts and outputs of cross-Region inference may be processed in, and for abuse detection stored in, the destination Regions outside the allowed ones: {}. Bedrock's cross-Region inference documentation says so; have it accepted before applying.\n",
            list(&outside)
        ));
    }
    if has_console {
        s.push_str(&format!(
            "- **Rollback costs a second landing-zone update.** Turning the landing-zone deny back on is another console update of an hour or more, and afterwards cross-Region inference {} fails again.\n",
            if outside.is_empty() {
                "through the approved profiles".to_string()
            } else {
                format!("to {}", outside.join(", "))
            }
        ));
    }
    let (now, latest) = (&d.landing_zone_version, &d.landing_zone_latest_version);
    if has_console && !now.is_empty() {
        let text = if latest.is_empty() || latest == now {
            format!(
                "the landing zone is at version {now}, the latest available: the console update changes only the Region deny setting"
            )
        } else if version_at_least(now, (3, 1)) {
            format!(
                "the landing zone is at version {now}; {latest} is available. From version 3.1 Control Tower lets an update keep the current version (landing zone version selection): keep {now} on the version page so that the console step changes only the Region deny setting, and upgrade separately"
            )
        } else {
            format!(
                "the landing zone is at version {now}; {latest} is available. Control Tower documents a choice of version on update only from version 3.1, so expect Modify settings to upgrade the landing zone to {latest} as well: review that upgrade's own changes, or upgrade first in a change of its own and plan again"
            )
        };
        s.push_str(&format!("- **Landing-zone version**: {text}.\n"));
    }
    let loosened = loosened(p);
    if !loosened.is_empty() {
        s.push_str(&format!(
            "- **Loosened beyond Bedrock**: the live landing-zone deny denies {} outside the allowed Regions and PV.1 does not (its GRREGIONDENY NotAction is shorter than PV.1's built-in list). {}\n",
            list(&loosened),
            if loosened.iter().all(|a| p.inputs.accept_loosened.iter().any(|x| x.eq_ignore_ascii_case(a))) {
                "Each was accepted by name (`--accept-loosened`): after the console step they are allowed in every Region."
            } else {
                "The plan cannot be applied until each is accepted by name (`--accept-loosened`) or denied by an SCP of your own."
            }
        ));
    }
    s.push('\n');
}

/// The `NotAction` patterns the proof found loosened.
fn loosened(p: &Plan) -> Vec<String> {
    p.proof
        .as_ref()
        .map(|x| x.loosened_actions.clone())
        .unwrap_or_default()
}

/// Whether a version like `3.3` is at least `min`.
fn version_at_least(v: &str, min: (u32, u32)) -> bool {
    let mut parts = v.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) >= min
}

/// Renders the review document.
pub fn markdown(p: &Plan) -> String {
    let d = &p.decisions;
    let mut s = String::new();
    s.push_str(&format!("# Migration plan `{}`\n\n", p.name));
    s.push_str("Move the organization from the Control Tower landing-zone region deny (`AWS-GR_REGION_DENY`) to the OU-level region deny **CT.MULTISERVICE.PV.1** plus a companion SCP, so that Amazon Bedrock cross-region inference works while every other API stays in the allowed Regions.\n\n");
    s.push_str("| | |\n|---|---|\n");
    s.push_str(&format!(
        "| Organization | `{}` (management account `{}`) |\n",
        p.organization_id, p.management_account
    ));
    s.push_str(&format!(
        "| Landing zone | `{}` (home Region `{}`) |\n",
        p.landing_zone_arn, p.home_region
    ));
    s.push_str(&format!(
        "| Created | {} by ctmigrate {} |\n",
        p.created_at, p.tool_version
    ));
    s.push_str(&format!("| Fingerprint | `{}` |\n", p.fingerprint));
    s.push_str(&format!("| Checksum | `{}` |\n", p.checksum));
    let total: u64 = p.stages.iter().map(|st| st.estimated_seconds).sum();
    s.push_str(&format!(
        "| Status | {} |\n\n",
        if !p.migration_needed {
            "**not needed**: every requested inference profile already works".to_string()
        } else if p.applyable {
            format!(
                "applyable; estimated duration {} including the manual console step",
                human_duration(total)
            )
        } else {
            "**not applyable**: see Errors".to_string()
        }
    ));

    s.push_str("## Summary\n\n");
    if !p.migration_needed {
        s.push_str("No requested inference, guardrail or data-automation profile needs a destination Region that the landing-zone region deny blocks today. There is nothing to change.\n\n");
    } else {
        s.push_str(&format!(
            "- Enable (or update) CT.MULTISERVICE.PV.1 on {} registered first-tier OU(s) with `AllowedRegions` {} and `ExemptedActions` {}.\n",
            p.targets.len(),
            list(&d.allowed_regions),
            list(&d.exempted_actions)
        ));
        s.push_str(&format!(
            "- {} the companion SCP `{}` and attach it to the same OUs.\n",
            match p.companion.action {
                CompanionAction::Create => "Create",
                CompanionAction::Update => "Update",
                CompanionAction::None => "Keep",
            },
            p.companion.name
        ));
        s.push_str("- Then a person turns the landing-zone region deny off in the Control Tower console; ctmigrate waits and verifies.\n\n");
    }

    if !p.errors.is_empty() {
        s.push_str("## Errors\n\n");
        for e in &p.errors {
            s.push_str(&format!("- {e}\n"));
        }
        s.push('\n');
    }

    s.push_str("## Inference profiles\n\n");
    s.push_str(&format!(
        "Destinations come from **{}** data",
        d.destinations_source
    ));
    s.push_str(if d.destinations_source == "live" {
        " (Bedrock `ListInferenceProfiles` in each source Region)"
    } else {
        " (the built-in catalog of geographies: Bedrock could not be read)"
    });
    s.push_str(&format!(
        "; source Regions {}.\n\n",
        list(&d.source_regions)
    ));
    s.push_str("| profile | requested as | destination Regions | works today | blocked today |\n|---|---|---|---|---|\n");
    for pr in &p.profiles {
        s.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} |\n",
            pr.id,
            pr.requested_as,
            pr.destination_regions.join(", "),
            if pr.works_today { "yes" } else { "no" },
            if pr.blocked_destinations.is_empty() {
                "-".to_string()
            } else {
                pr.blocked_destinations.join(", ")
            }
        ));
    }
    if d.global_allowed {
        s.push_str("\n`global.` profiles are allowed by an explicit decision (`--allow-global`): their Region-less leg carries `aws:RequestedRegion = \"unspecified\"`, which the companion then treats like any other Region outside the allowed ones.\n");
    }
    s.push('\n');

    if !d.paths.is_empty() {
        s.push_str("## Bedrock paths\n\nEach path that must work, the actions it adds to PV.1's `ExemptedActions`, and why (docs/bedrock-paths.md):\n\n| path | actions | why | fenced by | source |\n|---|---|---|---|---|\n");
        for pd in &d.paths {
            s.push_str(&format!(
                "| {} | {} | {} | {} | <{}> |\n",
                pd.path.title(),
                list(&pd.actions),
                pd.why,
                pd.fenced_by,
                pd.documentation
            ));
        }
        let extra: Vec<&String> = d
            .exempted_actions
            .iter()
            .filter(|a| !d.paths.iter().any(|pd| pd.actions.contains(a)))
            .collect();
        if !extra.is_empty() {
            s.push_str(&format!(
                "\nAlso exempted because the plan was asked to (`--exempt-action`): {}.\n",
                extra
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if !p.path_profiles.is_empty() {
        s.push_str("\nGuardrail and data-automation profiles: no AWS API lists their destinations, so they come from ctmigrate's catalog of the Bedrock User Guide's tables (`documented`: read from the table; `inferred`: a source Region the table's geography implies).\n\n| profile | path | source Regions | destination Regions | from | works today | blocked today |\n|---|---|---|---|---|---|---|\n");
        for pr in &p.path_profiles {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} |\n",
                pr.id,
                pr.path,
                pr.source_regions.join(", "),
                pr.destination_regions.join(", "),
                pr.source,
                if pr.works_today { "yes" } else { "no" },
                if pr.blocked_destinations.is_empty() {
                    "-".to_string()
                } else {
                    pr.blocked_destinations.join(", ")
                }
            ));
        }
    }
    if !d.paths.is_empty() {
        s.push('\n');
    }
    s.push_str("## What changes and what does not\n\n");
    let loosened = loosened(p);
    s.push_str(&format!(
        "- **Allowed Regions** stay {} (from {}). Every API other than the exempted actions{} stays fenced into them.\n",
        list(&d.allowed_regions),
        d.allowed_regions_source,
        if loosened.is_empty() {
            String::new()
        } else {
            format!(" and the loosened {}", list(&loosened))
        }
    ));
    s.push_str(&format!(
        "- **Exempted actions** (PV.1 `ExemptedActions`): {}.\n",
        list(&d.exempted_actions)
    ));
    s.push_str(&format!(
        "- **Exempted principals** carried over from the landing-zone deny: {}.\n",
        list(&d.exempted_principal_arns)
    ));
    s.push_str(&format!(
        "- **Companion mode**: {} Exactly: {}.\n",
        mode_text(d.companion_mode),
        super::companion::promise(d)
    ));
    s.push_str(&format!(
        "- **Permitted accounts**: {}.\n",
        list(&d.permitted_accounts)
    ));
    s.push_str(&format!(
        "- **Approved profiles**: {}.\n",
        list(&d.approved_profile_arns)
    ));
    s.push_str(&format!(
        "- **Not changed**: unregistered first-tier OUs {}; accounts under the root {}.\n",
        list(&p.not_changed.unregistered_first_tier_ous),
        list(&p.not_changed.accounts_under_root)
    ));
    s.push_str("- Cross-Region inference through a profile is logged in the calling (source) Region, with the serving Region in `additionalEventData.inferenceRegion`, so destination Regions reached only that way need no AWS Config, CloudTrail or GuardDuty enablement. Direct calls outside the allowed Regions are denied in every mode, so nothing else runs there.\n\n");

    if !p.targets.is_empty() {
        s.push_str("## Per OU\n\n| OU | nested OUs | accounts | SCP slots now → after (limit) | PV.1 | new guardrail SCP | companion |\n|---|---|---|---|---|---|---|\n");
        for t in &p.targets {
            s.push_str(&format!(
                "| {} (`{}`) | {} | {} | {} → {} ({}) | {} | {} | {} |\n",
                t.name,
                t.ou_id,
                if t.nested_ous.is_empty() {
                    "-".into()
                } else {
                    t.nested_ous.join(", ")
                },
                t.accounts,
                t.scp_slots_used_now,
                t.scp_slots_needed,
                t.scp_attachment_limit,
                t.pv1_action,
                if t.pv1_needs_new_guardrail_scp {
                    "expected"
                } else {
                    "no"
                },
                if t.companion_attached_now {
                    "attached"
                } else {
                    "attach"
                }
            ));
        }
        s.push_str("\nPV.1 parameters per OU:\n\n");
        for t in &p.targets {
            s.push_str(&format!("- {}: `{}`\n", t.name, t.pv1_parameters));
        }
        s.push('\n');
    }

    s.push_str(&format!(
        "## The companion SCP\n\n`{}` ({} of {} characters, minified), tagged {}.\n\n```json\n{}\n```\n\n",
        p.companion.name,
        p.companion.size,
        p.companion.size_limit,
        p.companion.tags.iter().map(|(k, v)| format!("`{k}={v}`")).collect::<Vec<_>>().join(", "),
        serde_json::from_str::<serde_json::Value>(&p.companion.content)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| p.companion.content.clone())
    ));
    s.push_str(&format!(
        "The PV.1 statement (`CTMULTISERVICEPV1`) is estimated at {} of {} characters.\n\n",
        p.pv1.estimated_statement_size, p.pv1.size_limit
    ));

    if let Some(proof) = &p.proof {
        s.push_str(&format!(
            "## Proof\n\nctmigrate's SCP evaluator checked {} requests: {} rows (a representative account and every permitted account under each target OU and each nested OU with its own SCPs) × {} probes (Bedrock inference directly, through each approved profile, through an unapproved system and application profile, and over global legs; `ec2:RunInstances`, `s3:CreateBucket`, `lambda:CreateFunction`, `iam:CreateRole`, and every action where the live landing-zone deny and PV.1 differ) × {} Region columns (every commercial Region and `unspecified`), in {} states: {}.\n\n| property | holds | cells checked |\n|---|---|---|\n",
            proof.evaluations,
            proof.rows,
            proof.probes,
            proof.regions,
            proof.states.len(),
            proof.states.join(", ")
        ));
        for prop in &proof.properties {
            s.push_str(&format!(
                "| **{}**: {} | {} | {} |\n",
                prop.id,
                prop.description,
                if prop.passed { "yes" } else { "**no**" },
                prop.cells_checked
            ));
        }
        for prop in proof.properties.iter().filter(|x| !x.passed) {
            s.push_str(&format!("\nFailing cells of `{}`:\n\n", prop.id));
            for f in &prop.failures {
                s.push_str(&format!("- {f}\n"));
            }
        }
        s.push_str("\n`ctmigrate simulate --plan FILE` prints the whole matrix.\n\n");
    }

    if !p.stages.is_empty() {
        s.push_str("## Stages\n\nThe order is the safety argument: PV.1 and the companion SCP are added everywhere while the landing-zone deny is still on (only more denies), verified, and only then is the landing-zone deny removed. At no moment is a registered first-tier OU without a region deny.\n\n");
        for (i, st) in p.stages.iter().enumerate() {
            s.push_str(&format!(
                "### {}. {}{} (about {})\n\n{}\n\n",
                i + 1,
                st.title,
                if st.manual { " — manual" } else { "" },
                human_duration(st.estimated_seconds),
                st.rationale
            ));
            for step in &st.steps {
                let req = step
                    .request
                    .as_ref()
                    .map(|r| {
                        let (service, operation) = r.name();
                        format!(" — `{service}:{operation}`")
                    })
                    .unwrap_or_default();
                s.push_str(&format!("- `{}` {}{}\n", step.id, step.title, req));
                for ins in &step.instructions {
                    s.push_str(&format!("    1. {ins}\n"));
                }
            }
            s.push('\n');
        }
        s.push_str("## Rollback\n\nEvery step records its inverse request (see the JSON plan). Rolling back walks the applied steps backwards and keeps the same invariant: if the landing-zone deny was already turned off, the first rollback step is the manual console step to turn it back on (Landing zone settings → Modify settings → Region deny: Enabled → Update landing zone), and only after it is verified are PV.1 (restored to its previous parameters, or disabled) and the companion SCP (detached, then deleted if ctmigrate created it) removed.\n\n");
    }

    risks_and_obligations(p, &mut s);
    s.push_str("## Residual risks\n\n");
    s.push_str("- Control Tower packs SCP controls into `aws-guardrails-*` policies in a way AWS does not document: a PV.1 enablement may need a new SCP slot; the plan counts one wherever the statement does not fit an existing guardrail policy.\n");
    s.push_str("- New destination Regions added to a profile by AWS later are allowed only for the callers the companion permits; re-plan when profiles change (the fingerprint covers the destinations read today).\n");
    s.push_str("- Customer SCPs or IAM policies that restrict `aws:RequestedRegion` still apply after the migration.\n");
    for w in &p.warnings {
        s.push_str(&format!("- {w}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landing_zone_versions_compare_by_number() {
        assert!(version_at_least("3.1", (3, 1)));
        assert!(version_at_least("3.10", (3, 2)));
        assert!(version_at_least("4.0", (3, 1)));
        assert!(!version_at_least("3.0", (3, 1)));
        assert!(!version_at_least("2.9", (3, 1)));
        assert!(!version_at_least("", (3, 1)));
    }
}
