//! Text rendering of a proof matrix: before, after, and what changed.

use super::{Output, Tone};
use crate::plan::proof::Matrix;

/// Renders the matrix compactly: one line per row and probe.
pub fn render_matrix(m: &Matrix, out: &Output) -> String {
    let mut s = format!(
        "{} {} rows × {} probes × {} Regions, {} states ({} evaluated requests)\n",
        out.paint(Tone::Bold, "Proof matrix:"),
        m.rows.len(),
        m.probes.len(),
        m.regions.len(),
        m.states.len(),
        m.summary.evaluations
    );
    s.push_str("Columns: ");
    s.push_str(
        &m.regions
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{}={r}", i + 1))
            .collect::<Vec<_>>()
            .join(" "),
    );
    s.push_str("\nCells: A allow, D explicit deny, I implicit deny, . not applicable. Shown: before → after the last stage.\n");
    let last = m.states.len().saturating_sub(1);
    let width = m.probes.iter().map(|p| p.label.len()).max().unwrap_or(0);
    for (r, row) in m.rows.iter().enumerate() {
        s.push_str(&format!(
            "\n{} · {}\n",
            out.paint(Tone::Bold, &row.ou_path),
            row.account_label
        ));
        for (p, probe) in m.probes.iter().enumerate() {
            let before = &m.cells[0][r][p];
            let after = &m.cells[last][r][p];
            let changed: Vec<&str> = before
                .chars()
                .zip(after.chars())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, _)| m.regions[i].as_str())
                .collect();
            if changed.is_empty() {
                s.push_str(&format!("  {:<width$}  {before}  unchanged\n", probe.label));
            } else {
                s.push_str(&format!(
                    "  {:<width$}  {before} → {after}  {} {}\n",
                    probe.label,
                    out.paint(Tone::Warn, "changed:"),
                    changed.join(", ")
                ));
            }
        }
    }
    s.push('\n');
    for prop in &m.summary.properties {
        let verdict = if prop.passed {
            out.paint(Tone::Good, "holds")
        } else {
            out.paint(Tone::Bad, "FAILS")
        };
        s.push_str(&format!(
            "{verdict}  {}: {} ({} cells)\n",
            prop.id, prop.description, prop.cells_checked
        ));
        for f in &prop.failures {
            s.push_str(&format!("       {f}\n"));
        }
    }
    s
}
