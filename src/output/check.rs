//! The `check` report as text: an URGENT line first when a registered
//! first-tier OU has no region deny, then one block per finding.

use super::{Output, Tone};
use crate::check::{CheckReport, FindingKind};

pub fn render_check(r: &CheckReport, out: &Output) -> String {
    let mut s = String::new();
    let uncovered: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::UncoveredOu)
        .map(|f| f.target.as_str())
        .collect();
    if !uncovered.is_empty() {
        s.push_str(&format!(
            "{}\n",
            out.paint(
                Tone::Bad,
                &format!(
                    "URGENT: {} ha{} no region deny at all (fix below)",
                    uncovered.join(", "),
                    if uncovered.len() == 1 { "s" } else { "ve" }
                )
            )
        ));
    }
    s.push_str(&format!(
        "{} organization {}{}:\n  {}\n",
        out.paint(Tone::Bold, "Check of"),
        r.organization_id,
        r.plan
            .as_ref()
            .map(|p| format!(" against {p}"))
            .unwrap_or_default(),
        if r.findings.is_empty() {
            out.paint(Tone::Good, "everything holds")
        } else {
            out.paint(Tone::Bad, &format!("{} finding(s)", r.findings.len()))
        }
    ));
    s.push_str(&wrap(
        "  ",
        &format!(
            "landing-zone deny {}; {} registered first-tier OU(s); governed Regions {}",
            r.landing_zone_deny,
            r.registered_first_tier_ous,
            r.governed_regions.join(", ")
        ),
        80,
    ));
    let mut replan = false;
    for f in &r.findings {
        let fix = if f.fix.contains(&r.fix_command) {
            replan = true;
            f.fix.replace(&r.fix_command, "the plan command below")
        } else {
            f.fix.clone()
        };
        s.push_str(&format!(
            "\n{} {}  {}\n",
            out.paint(Tone::Bad, "✗"),
            f.kind,
            f.target
        ));
        for (label, text) in [
            ("expected", &f.expected),
            ("observed", &f.observed),
            ("fix", &fix),
        ] {
            s.push_str(&wrap(&format!("    {label:<9} "), text, 80));
        }
    }
    if replan {
        s.push_str(&format!("\nFix: {}\n", r.fix_command));
    }
    if !r.not_covered.is_empty() {
        s.push_str("\nNot covered before the migration either (reported, not findings):\n");
        for n in &r.not_covered {
            s.push_str(&wrap("  ", n, 80));
        }
    }
    for n in &r.notes {
        s.push_str(&wrap("note: ", n, 80));
    }
    s
}

/// `text` after `lead`, wrapped at `width` columns with the continuation
/// lines indented as far as `lead` (words longer than a line stay whole).
fn wrap(lead: &str, text: &str, width: usize) -> String {
    let indent = " ".repeat(lead.chars().count());
    let mut out = String::new();
    let mut line = lead.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = indent.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let text = "AllowedRegions = the governed Regions ap-northeast-1, ap-northeast-3, eu-west-2, us-east-1, us-west-2";
        let w = wrap("    expected  ", text, 80);
        assert!(w.lines().all(|l| l.chars().count() <= 80), "{w}");
        assert_eq!(
            w.split_whitespace().skip(1).collect::<Vec<_>>().join(" "),
            text
        );
        assert!(
            w.lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("              "))
        );
    }
}
