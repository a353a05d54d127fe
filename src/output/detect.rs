//! Text rendering of the `detect` report.

use super::{Output, Tone};
use crate::detect::{DenyState, DetectReport};

/// Aligns rows into columns separated by two spaces; the first row is a header.
pub(crate) fn table(out: &Output, rows: &[Vec<String>], indent: &str) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = if c + 1 == row.len() {
                0
            } else {
                widths[c] - cell.chars().count() + 2
            };
            line.push_str(cell);
            line.push_str(&" ".repeat(pad));
        }
        let line = line.trim_end().to_string();
        s.push_str(indent);
        s.push_str(&if i == 0 {
            out.paint(Tone::Dim, &line)
        } else {
            line
        });
        s.push('\n');
    }
    s
}

fn heading(out: &Output, s: &mut String, title: &str) {
    s.push('\n');
    s.push_str(&out.paint(Tone::Bold, title));
    s.push('\n');
}

/// Renders the report for a terminal or a log.
pub fn render_detect(r: &DetectReport, out: &Output) -> String {
    let mut s = String::new();
    let lz = &r.landing_zone;
    s.push_str(&format!(
        "{}  {} (management account {})\n",
        out.paint(Tone::Bold, "Organization"),
        r.caller.organization_id,
        r.caller.management_account
    ));
    s.push_str(&format!(
        "{}        {}\n",
        out.paint(Tone::Bold, "Caller"),
        r.caller.arn
    ));

    heading(out, &mut s, "Landing zone");
    let latest = lz
        .latest_available_version
        .as_deref()
        .filter(|v| *v != lz.version)
        .map(|v| format!(" (latest available {v})"))
        .unwrap_or_default();
    let status = if lz.status == crate::model::LandingZoneStatus::Active {
        out.paint(Tone::Good, &lz.status.to_string())
    } else {
        out.paint(Tone::Warn, &lz.status.to_string())
    };
    s.push_str(&format!("  arn               {}\n", lz.arn));
    s.push_str(&format!("  version           {}{latest}\n", lz.version));
    s.push_str(&format!(
        "  status            {status}, drift {}\n",
        lz.drift_status
            .as_ref()
            .map_or_else(|| "unknown".to_string(), ToString::to_string)
    ));
    s.push_str(&format!("  home Region       {}\n", lz.home_region));
    s.push_str(&format!(
        "  governed Regions  {}\n",
        lz.governed_regions.join(", ")
    ));

    let rd = &r.region_deny;
    let with = rd
        .per_ou
        .iter()
        .filter(|o| o.control.is_some() && !o.scp_statements.is_empty())
        .count();
    let state = match rd.state {
        DenyState::On => out.paint(Tone::Warn, "ON"),
        DenyState::Off => out.paint(Tone::Good, "OFF"),
        DenyState::Partial => out.paint(Tone::Warn, "PARTIAL"),
        DenyState::Inconsistent => out.paint(Tone::Bad, "INCONSISTENT"),
    };
    heading(out, &mut s, "Landing-zone region deny (AWS-GR_REGION_DENY)");
    s.push_str(&format!(
        "  state             {state} on {with} of {} registered first-tier OUs\n",
        rd.per_ou.len()
    ));
    if !rd.allowed_regions.is_empty() {
        s.push_str(&format!(
            "  allowed Regions   {}\n",
            rd.allowed_regions.join(", ")
        ));
    }
    let mut rows = vec![vec![
        "OU".to_string(),
        "enabled control".into(),
        "SCP statement".into(),
    ]];
    for o in &rd.per_ou {
        let stmts = if o.scp_statements.is_empty() {
            "-".to_string()
        } else {
            o.scp_statements
                .iter()
                .map(|st| format!("{} ({}) Sid {}", st.policy_name, st.policy_id, st.sid))
                .collect::<Vec<_>>()
                .join("; ")
        };
        rows.push(vec![
            o.ou_name.clone(),
            if o.control.is_some() {
                "AWS-GR_REGION_DENY".into()
            } else {
                "-".into()
            },
            stmts,
        ]);
    }
    s.push_str(&table(out, &rows, "  "));
    for d in &rd.disagreements {
        s.push_str(&format!(
            "  {} {d}\n",
            out.paint(Tone::Bad, "disagreement:")
        ));
    }

    heading(out, &mut s, "OU region deny (CT.MULTISERVICE.PV.1)");
    let from = if r.pv1.resolved_from == "control-catalog" {
        "resolved by alias in the Control Catalog"
    } else {
        "built-in identifier: the Control Catalog could not be read"
    };
    s.push_str(&format!(
        "  catalog ARN       {} ({from})\n",
        r.pv1.catalog_arn
    ));
    s.push_str(&format!("  regional ARN      {}\n", r.pv1.regional_arn));
    if r.pv1.enablements.is_empty() {
        s.push_str("  enabled on        no OU\n");
    } else {
        let mut rows = vec![vec![
            "OU".to_string(),
            "status".into(),
            "identifier".into(),
            "AllowedRegions".into(),
            "ExemptedActions".into(),
        ]];
        for e in &r.pv1.enablements {
            rows.push(vec![
                e.ou_path.clone(),
                e.status.to_string(),
                e.identifier_form.clone(),
                e.allowed_regions.join(","),
                if e.exempted_actions.is_empty() {
                    "-".into()
                } else {
                    e.exempted_actions.join(",")
                },
            ]);
        }
        s.push_str(&table(out, &rows, "  "));
    }

    heading(out, &mut s, "Registered first-tier OUs");
    let mut rows = vec![vec![
        "OU".to_string(),
        "id".into(),
        "accounts".into(),
        "SCP slots used".into(),
        "region deny in force".into(),
        "nested OUs".into(),
    ]];
    for o in &r.first_tier_ous {
        let nested = if o.nested_ous.is_empty() {
            "-".to_string()
        } else {
            o.nested_ous
                .iter()
                .map(|n| {
                    if n.registered {
                        n.path.clone()
                    } else {
                        format!("{} (unregistered)", n.path)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        rows.push(vec![
            o.name.clone(),
            o.id.clone(),
            o.accounts.to_string(),
            format!("{}/{}", o.scp_slots.used, o.scp_slots.limit),
            if o.region_denies_in_force.is_empty() {
                out.paint(Tone::Bad, "none")
            } else {
                o.region_denies_in_force.join(", ")
            },
            nested,
        ]);
    }
    s.push_str(&table(out, &rows, "  "));

    if out.verbose() > 0 {
        heading(out, &mut s, &format!("Accounts ({})", r.accounts.len()));
        for a in &r.accounts {
            let line = format!(
                "  {}  {:<24} {}{}",
                a.id,
                a.name,
                a.ou_path,
                if a.status == "ACTIVE" {
                    String::new()
                } else {
                    format!(" ({})", a.status)
                }
            );
            s.push_str(&super::fit(&line, 80));
            s.push('\n');
        }
    } else {
        s.push_str(&format!(
            "  {} account(s) in the organization; -v lists them with their OU\n",
            r.accounts.len()
        ));
    }

    heading(out, &mut s, "Not covered by the landing-zone region deny");
    let mut any = false;
    for u in &r.unregistered_first_tier_ous {
        any = true;
        s.push_str(&format!(
            "  unregistered OU  {} ({}), {} account(s)\n",
            u.name, u.id, u.accounts
        ));
    }
    for a in &r.accounts_under_root {
        any = true;
        if a.management {
            s.push_str(&format!(
                "  management       {} ({}): not subject to SCPs\n",
                a.name, a.id
            ));
        } else {
            s.push_str(&format!("  under the root   {} ({})\n", a.name, a.id));
        }
    }
    if !any {
        s.push_str("  nothing\n");
    }

    heading(
        out,
        &mut s,
        "Customer SCPs that restrict aws:RequestedRegion",
    );
    if r.customer_region_scps.is_empty() {
        s.push_str("  none\n");
    }
    for c in &r.customer_region_scps {
        let verdict = if c.may_block_bedrock {
            out.paint(Tone::Bad, "denies Bedrock inference outside its Regions")
        } else {
            "does not deny Bedrock inference".to_string()
        };
        s.push_str(&format!(
            "  {} ({}) Sid {} on {}: {verdict}\n",
            c.policy_name,
            c.policy_id,
            c.sids.join(", "),
            c.attached_to.join(", ")
        ));
    }

    if let Some(c) = &r.companion {
        heading(out, &mut s, "ctmigrate's companion SCP");
        s.push_str(&format!(
            "  {} ({}) on {}{}\n",
            c.policy_name,
            c.policy_id,
            if c.attached_to.is_empty() {
                "nothing".to_string()
            } else {
                c.attached_to.join(", ")
            },
            if c.as_written {
                String::new()
            } else {
                format!(": {}", out.paint(Tone::Bad, "edited outside ctmigrate"))
            }
        ));
    }

    if let Some(found) = &r.bedrock_paths {
        render_paths(found, out, &mut s);
    }

    heading(out, &mut s, "Quotas");
    s.push_str(&format!(
        "  {} SCPs attached per target, {} characters per SCP\n",
        r.quotas.scp_attachment_limit, r.quotas.scp_size_limit
    ));
    s.push_str(&format!(
        "  control operations in progress: {}\n",
        r.control_operations_in_progress
    ));

    if !r.warnings.is_empty() {
        heading(out, &mut s, "Warnings");
        for w in &r.warnings {
            s.push_str(&format!("  {} {w}\n", out.paint(Tone::Warn, "!")));
        }
    }
    s
}

/// Where a path's destinations stand today, in a few words.
fn today(out: &Output, blocked: &[String], known: bool) -> String {
    if !known {
        out.paint(Tone::Warn, "destinations unknown")
    } else if blocked.is_empty() {
        out.paint(Tone::Good, "works today")
    } else {
        format!(
            "{} {}",
            out.paint(Tone::Bad, "blocked today:"),
            blocked.join(", ")
        )
    }
}

/// The Bedrock paths beyond model inference the accounts read use.
fn render_paths(found: &crate::paths::found::FoundUse, out: &Output, s: &mut String) {
    heading(
        out,
        s,
        &if found.members_tried == 0 {
            "Bedrock paths beyond model inference (management account)".to_string()
        } else {
            format!(
                "Bedrock paths beyond model inference ({} of {} accounts read)",
                found.accounts_read.len(),
                found.members_tried + 1
            )
        },
    );
    if !found.any() {
        s.push_str("  nothing that crosses Regions\n");
    }
    let state = |account: &str, blocked: &[String], known: bool| {
        if account == found.management_account {
            "works: SCPs do not govern the management account".to_string()
        } else {
            today(out, blocked, known)
        }
    };
    for g in &found.guardrails {
        s.push_str(&format!(
            "  guardrail {} ({}, {}) via {}\n    {}\n",
            g.name,
            g.account,
            g.region,
            g.profile_id,
            state(
                &g.account,
                &g.blocked_destinations,
                !g.destinations.is_empty()
            )
        ));
    }
    for e in &found.enforced_guardrails {
        let via = e
            .profile_id
            .as_deref()
            .map(|p| format!("\n    via {p}"))
            .unwrap_or_default();
        s.push_str(&format!(
            "  enforced guardrail {} v{} ({}, {}, every model call){via}\n    {}\n",
            crate::model::arn_id(&e.guardrail_arn),
            e.guardrail_version,
            e.account,
            e.region,
            if e.profile_id.is_some() {
                state(&e.account, &e.blocked_destinations, true)
            } else {
                "stays in its Region".to_string()
            }
        ));
    }
    for j in &found.batch_jobs {
        s.push_str(&format!(
            "  batch job {} ({}, {}, {})\n    via {}\n    {}\n",
            j.name,
            j.account,
            j.region,
            j.status,
            j.model_id,
            state(
                &j.account,
                &j.blocked_destinations,
                !j.destinations.is_empty()
            )
        ));
    }
    if found.regional_guardrails + found.regional_batch_jobs > 0 {
        s.push_str(&format!(
            "  in their own Region: {} guardrail(s), {} batch job(s)\n",
            found.regional_guardrails, found.regional_batch_jobs
        ));
    }
    if let Some(line) = found.unreadable_summary() {
        s.push_str(&format!("  {} {line}\n", out.paint(Tone::Warn, "!")));
    }
    if found.members_tried == 0 {
        s.push_str("  member accounts not read: add --member-role ROLE (a role the\n  management account may assume in them, e.g. AWSControlTowerExecution)\n");
    }
    let needed = found.needed();
    let mut flags: Vec<String> = needed
        .guardrail_profiles
        .iter()
        .map(|p| format!("--guardrail-profile {p}"))
        .collect();
    if needed.batch {
        flags.push("--batch-inference".into());
    }
    if !flags.is_empty() {
        s.push_str(&format!("  plan with {}\n", flags.join(" ")));
    }
}
