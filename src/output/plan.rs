//! Text summary of a plan, terraform style: `+` adds, `~` changes, `!` manual.

use std::path::Path;

use super::{Output, Tone};
use crate::plan::{CompanionAction, Plan, Pv1Action, human_duration};

/// Renders the summary printed by `ctmigrate plan`.
pub fn render_plan_summary(p: &Plan, out: &Output, json: &Path, md: &Path) -> String {
    let mut s = render_plan_review(p, out);
    s.push_str(&format!(
        "\nWrote {} and {}\n",
        json.display(),
        md.display()
    ));
    if p.applyable {
        s.push_str(&format!("Review {} before applying it.\n", md.display()));
    }
    s
}

/// `works today`, or the destinations the landing-zone deny blocks.
fn verdict(pr: &crate::plan::ProfileAssessment, out: &Output) -> String {
    if pr.works_today {
        out.paint(Tone::Good, "works today")
    } else {
        format!(
            "{} {}",
            out.paint(Tone::Warn, "blocked today:"),
            pr.blocked_destinations.join(", ")
        )
    }
}

/// Which profiles the companion approves, and why that set: a geography
/// (`--inference-profile us`) approves every profile of it, present and
/// future (`us.*`); profile ids approve exactly those. Nothing in
/// `accounts` mode, where the companion does not look at profiles.
fn approval(p: &Plan) -> String {
    if p.decisions.companion_mode == crate::plan::CompanionMode::Accounts {
        return String::new();
    }
    let (geographies, exact): (Vec<&String>, Vec<&String>) = p
        .inputs
        .inference_profiles
        .iter()
        .partition(|r| !r.contains('.') && !r.starts_with("arn:"));
    let mut s = String::new();
    for g in &geographies {
        s.push_str(&format!(
            "  approved: {g}.* (every {g}. profile, future ones too: `{g}` names a geography)\n"
        ));
    }
    if !exact.is_empty() {
        s.push_str(&format!(
            "  approved: exactly the {} profile(s) named by id{}\n",
            exact.len(),
            if geographies.is_empty() {
                " (name a geography, like `--inference-profile us`, to approve all of it)"
            } else {
                ""
            }
        ));
    }
    s
}

/// The plan for review: profiles, the changes per OU, the proof, what
/// blocks it.
pub fn render_plan_review(p: &Plan, out: &Output) -> String {
    let mut s = format!(
        "{} `{}` for {} (home Region {})\n\n",
        out.paint(Tone::Bold, "Plan"),
        p.name,
        p.organization_id,
        p.home_region
    );
    s.push_str(&out.paint(Tone::Bold, "Inference profiles"));
    s.push_str(&format!(
        " ({} destinations)\n",
        p.decisions.destinations_source
    ));
    let width = p.profiles.iter().map(|x| x.id.len()).max().unwrap_or(0);
    for pr in &p.profiles {
        let verdict = verdict(pr, out);
        s.push_str(&format!("  {:<width$}  {verdict}\n", pr.id));
    }
    s.push_str(&approval(p));
    let others: Vec<&crate::plan::PathDecision> = p
        .decisions
        .paths
        .iter()
        .filter(|d| !d.path.is_inference())
        .collect();
    if !others.is_empty() {
        s.push_str(&out.paint(Tone::Bold, "Other Bedrock paths"));
        s.push('\n');
        for d in others {
            s.push_str(&format!("  {}: {}\n", d.path.title(), d.actions.join(", ")));
            for pr in p.path_profiles.iter().filter(|x| x.path == d.path) {
                s.push_str(&format!("    {}  {}\n", pr.id, verdict(pr, out)));
            }
        }
    }
    s.push('\n');
    if !p.migration_needed {
        s.push_str("No requested profile needs a Region the landing-zone region deny blocks: the migration is not needed.\n");
    } else {
        let add = out.paint(Tone::Good, "+");
        let change = out.paint(Tone::Warn, "~");
        let manual = out.paint(Tone::Bad, "!");
        let (mut enable, mut update, mut attach) = (0, 0, 0);
        match p.companion.action {
            CompanionAction::Create => s.push_str(&format!(
                "  {add} create companion SCP {} ({} mode, {}/{} characters)\n",
                p.companion.name,
                p.decisions.companion_mode.as_str(),
                p.companion.size,
                p.companion.size_limit
            )),
            CompanionAction::Update => s.push_str(&format!(
                "  {change} update companion SCP {}\n",
                p.companion.name
            )),
            CompanionAction::None => {}
        }
        for t in &p.targets {
            match t.pv1_action {
                Pv1Action::Enable => {
                    enable += 1;
                    s.push_str(&format!(
                        "  {add} enable CT.MULTISERVICE.PV.1 on {} ({})\n",
                        t.name, t.ou_id
                    ));
                }
                Pv1Action::Update => {
                    update += 1;
                    s.push_str(&format!(
                        "  {change} update CT.MULTISERVICE.PV.1 parameters on {} ({})\n",
                        t.name, t.ou_id
                    ));
                }
                _ => {}
            }
            if !t.companion_attached_now {
                attach += 1;
                s.push_str(&format!(
                    "  {add} attach the companion SCP to {} ({})\n",
                    t.name, t.ou_id
                ));
            }
        }
        let manual_steps = p.stages.iter().filter(|st| st.manual).count();
        if manual_steps > 0 {
            s.push_str(&format!("  {manual} manual: turn the landing-zone region deny off in the Control Tower console\n"));
        }
        let total: u64 = p.stages.iter().map(|st| st.estimated_seconds).sum();
        s.push_str(&format!(
            "\nPlan: {enable} to enable, {update} to update, {attach} to attach, {} companion change; {manual_steps} manual step; about {}.\n",
            usize::from(p.companion.action != CompanionAction::None),
            human_duration(total)
        ));
    }
    if let Some(proof) = &p.proof {
        let held = proof.properties.iter().filter(|x| x.passed).count();
        let verdict = if proof.passed {
            out.paint(Tone::Good, "proven")
        } else {
            out.paint(Tone::Bad, "NOT proven")
        };
        s.push_str(&format!(
            "Proof: {verdict}: {held} of {} properties hold over {} evaluated requests in {} states.\n",
            proof.properties.len(),
            proof.evaluations,
            proof.states.len()
        ));
    }
    if !p.errors.is_empty() {
        s.push_str(&format!("\n{}\n", out.paint(Tone::Bad, "Not applyable:")));
        for e in &p.errors {
            s.push_str(&format!("  - {e}\n"));
        }
    }
    s
}

/// A saved plan, as `ctmigrate show` renders it: the review, then each
/// stage with its steps counted, then where the plan came from. Lines fit
/// 80 columns.
pub fn render_plan_show(p: &Plan, out: &Output) -> String {
    let mut s = render_plan_review(p, out);
    s.push('\n');
    s.push_str(&out.paint(Tone::Bold, "Stages"));
    s.push('\n');
    for (i, st) in p.stages.iter().enumerate() {
        let line = format!(
            "  {}. {:<10} {:>2} step{}  {}{}",
            i + 1,
            st.id,
            st.steps.len(),
            if st.steps.len() == 1 { " " } else { "s" },
            if st.manual { "(console) " } else { "" },
            st.title
        );
        s.push_str(&super::fit(&line, 80));
        s.push('\n');
    }
    s.push_str(&format!(
        "\nMade {} by ctmigrate {}\nChecksum {}\n",
        p.created_at, p.tool_version, p.checksum
    ));
    s
}

/// What `validate` found, for people.
pub fn render_validation(v: &crate::validate::Validation, out: &Output) -> String {
    let mut s = format!(
        "{} {}: plan `{}` for {}, format {}, checksum matches{}\n",
        out.paint(Tone::Good, "Valid"),
        v.plan,
        v.name,
        v.organization_id,
        v.format_version,
        if v.applyable {
            ""
        } else {
            " (marked not applyable)"
        }
    );
    match v.stale {
        None => s.push_str("Not compared with the organization (--offline).\n"),
        Some(false) => s.push_str("Not stale: the organization is as the plan found it.\n"),
        Some(true) => {
            s.push_str(&format!(
                "{} the organization changed since the plan was made:\n",
                out.paint(Tone::Warn, "Stale:")
            ));
            for c in &v.changes {
                s.push_str(&format!("  - {c}\n"));
            }
            if let Some(r) = &v.replan {
                s.push_str(&format!("Plan again:\n  {r}\n"));
            }
        }
    }
    s
}
