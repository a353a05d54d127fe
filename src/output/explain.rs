//! Text rendering of `explain`.

use super::{Output, Tone};
use crate::explain::{Denier, Explanation};

fn denier_name(d: Denier) -> &'static str {
    match d {
        Denier::LandingZoneRegionDeny => "the landing-zone region deny",
        Denier::Pv1 => "CT.MULTISERVICE.PV.1",
        Denier::Companion => "ctmigrate's companion SCP",
        Denier::CustomerScp => "an SCP of your organization",
    }
}

/// The explanation as a short report: the message read, the verdict, the
/// profiles involved, the fix.
pub fn render_explanation(e: &Explanation, out: &Output) -> String {
    let b = |x: &str| out.paint(Tone::Bold, x);
    let d = &e.denial;
    let mut t = String::new();
    t.push_str(&format!(
        "{} {}{}\n",
        b("Access denied:"),
        d.action.as_deref().unwrap_or("(action not named)"),
        d.resource
            .as_deref()
            .map(|r| format!(" on {r}"))
            .unwrap_or_default()
    ));
    let mut facts: Vec<(&str, String)> = Vec::new();
    if let Some(p) = &d.principal {
        facts.push(("principal", p.clone()));
    }
    if let Some(a) = &d.account {
        let mut s = a.clone();
        if let Some(n) = &e.account_name {
            s.push_str(&format!(
                " ({n}, {})",
                e.ou_path.as_deref().unwrap_or("(root)")
            ));
        }
        facts.push(("account", s));
    }
    if let Some(op) = &d.operation {
        facts.push(("operation", op.clone()));
    }
    if let Some(path) = e.path {
        facts.push(("Bedrock path", path.title().to_string()));
    }
    if let Some(r) = &d.region {
        facts.push((
            "Region",
            if r == crate::regions::UNSPECIFIED {
                format!("{r} (a Region-less model ARN: the global profile's leg)")
            } else {
                r.clone()
            },
        ));
    }
    if let Some(p) = &d.profile {
        facts.push(("profile", p.clone()));
    }
    facts.push(("the message says", d.kind.describe().to_string()));
    if let Some(p) = &d.policy_arn {
        facts.push(("policy named", p.clone()));
    }
    let width = facts.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in &facts {
        t.push_str(&format!("  {k:<width$}  {v}\n"));
    }

    if let Some(v) = &e.verdict {
        t.push('\n');
        t.push_str(&format!(
            "{} {} in {}{}\n",
            b("The SCPs today:"),
            if v.allowed {
                out.paint(Tone::Good, "ALLOWED")
            } else {
                out.paint(Tone::Bad, "DENIED")
            },
            v.region,
            v.profile
                .as_deref()
                .map(|p| format!(" through {p}"))
                .unwrap_or_default()
        ));
        for blame in &v.denied_by {
            t.push_str(&format!(
                "  by {} ({}){}, attached to {}: {}\n",
                blame.policy_name,
                blame.policy_id,
                blame
                    .sid
                    .as_deref()
                    .map(|s| format!(", Sid {s}"))
                    .unwrap_or_default(),
                blame.target_name,
                denier_name(blame.denier)
            ));
        }
        if let Some(level) = &v.no_allow_at {
            t.push_str(&format!("  no SCP attached to {level} allows it\n"));
        }
        if v.allowed {
            for a in &v.allowed_by {
                t.push_str(&format!(
                    "  {}\n",
                    out.paint(Tone::Dim, &format!("allowed by {a}"))
                ));
            }
        }
    }

    if !e.profiles.is_empty() {
        t.push('\n');
        let (title, read) = match e.path {
            Some(crate::paths::BedrockPath::Guardrails) => (
                "Guardrail profiles that send guardrail evaluation there:",
                "sources",
            ),
            Some(crate::paths::BedrockPath::DataAutomation) => (
                "Data-automation profiles that send processing there:",
                "sources",
            ),
            _ => ("Inference profiles that send this model there:", "read in"),
        };
        t.push_str(&format!("{}\n", b(title)));
        for p in &e.profiles {
            t.push_str(&format!(
                "  {} ({read} {})\n    destinations: {}\n    denied today: {}\n",
                p.id,
                p.source_regions.join(", "),
                p.destinations.join(", "),
                if p.blocked.is_empty() {
                    out.paint(Tone::Good, "none")
                } else {
                    out.paint(Tone::Bad, &p.blocked.join(", "))
                }
            ));
        }
    }

    if !e.fix.is_empty() {
        t.push('\n');
        t.push_str(&format!("{}\n", b("Fix:")));
        for (i, f) in e.fix.iter().enumerate() {
            t.push_str(&format!("  {}. {f}\n", i + 1));
        }
    }
    if !e.notes.is_empty() {
        t.push('\n');
        for n in &e.notes {
            t.push_str(&format!("{} {n}\n", out.paint(Tone::Dim, "note:")));
        }
    }
    t
}
