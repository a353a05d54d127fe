//! Prediction versus reality: the proof matrix of the plan's end state,
//! computed before apply from the organization as it was (and journaled),
//! and the same matrix computed after apply from the SCPs read back. They
//! must agree cell for cell.
//!
//! Pure: it takes snapshots and a plan, and must not call AWS.

use std::collections::BTreeMap;

use super::journal::Prediction;
use crate::plan::Plan;
use crate::plan::proof::{self, Matrix, ProofError};
use crate::snapshot::Snapshot;

fn row_key(r: &proof::Row) -> String {
    format!("{} / {}", r.ou_path, r.account)
}

fn from_matrix(m: &Matrix, state: usize) -> Prediction {
    Prediction {
        regions: m.regions.clone(),
        rows: m.rows.iter().map(row_key).collect(),
        probes: m.probes.iter().map(|p| p.label.clone()).collect(),
        cells: m.cells.get(state).cloned().unwrap_or_default(),
    }
}

/// The matrix after the plan's last stage, predicted from the organization
/// as it is before apply.
pub fn predict(before: &Snapshot, plan: &Plan) -> Result<Prediction, ProofError> {
    let m = proof::matrix(before, plan)?;
    Ok(from_matrix(&m, m.states.len().saturating_sub(1)))
}

/// The matrix of the organization as it is now (no stage applied).
pub fn observe(now: &Snapshot, plan: &Plan) -> Result<Prediction, ProofError> {
    let mut as_is = plan.clone();
    as_is.stages.clear();
    let m = proof::matrix(now, &as_is)?;
    Ok(from_matrix(&m, 0))
}

/// Every cell where the two disagree (at most `limit`, then a count).
pub fn compare(predicted: &Prediction, observed: &Prediction, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut total = 0usize;
    let index = |p: &Prediction| -> BTreeMap<(String, String), String> {
        let mut m = BTreeMap::new();
        for (r, row) in p.rows.iter().enumerate() {
            for (q, probe) in p.probes.iter().enumerate() {
                if let Some(line) = p.cells.get(r).and_then(|c| c.get(q)) {
                    m.insert((row.clone(), probe.clone()), line.clone());
                }
            }
        }
        m
    };
    if predicted.regions != observed.regions {
        out.push("the Region columns differ (a different ctmigrate version?)".into());
        return out;
    }
    let (a, b) = (index(predicted), index(observed));
    for (key, line) in &a {
        match b.get(key) {
            None => {
                total += 1;
                if out.len() < limit {
                    out.push(format!("{} / {}: predicted, not observed", key.0, key.1));
                }
            }
            Some(other) if other != line => {
                for ((region, x), y) in predicted
                    .regions
                    .iter()
                    .zip(line.chars())
                    .zip(other.chars())
                {
                    if x != y {
                        total += 1;
                        if out.len() < limit {
                            out.push(format!(
                                "{} / {} / {region}: predicted {}, observed {}",
                                key.0,
                                key.1,
                                name(x),
                                name(y)
                            ));
                        }
                    }
                }
            }
            Some(_) => {}
        }
    }
    for key in b.keys().filter(|k| !a.contains_key(*k)) {
        total += 1;
        if out.len() < limit {
            out.push(format!("{} / {}: observed, not predicted", key.0, key.1));
        }
    }
    if total > out.len() {
        out.push(format!("… and {} more", total - out.len()));
    }
    out
}

fn name(c: char) -> &'static str {
    match c {
        'A' => "Allow",
        'D' => "ExplicitDeny",
        'I' => "ImplicitDeny",
        _ => "not applicable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(cells: &[&str]) -> Prediction {
        Prediction {
            regions: vec!["us-east-1".into(), "us-east-2".into()],
            rows: vec!["Workloads / 1".into()],
            probes: cells
                .iter()
                .enumerate()
                .map(|(i, _)| format!("probe{i}"))
                .collect(),
            cells: vec![cells.iter().map(|c| c.to_string()).collect()],
        }
    }

    #[test]
    fn equal_matrices_have_no_differences() {
        assert!(compare(&p(&["AD", "DD"]), &p(&["AD", "DD"]), 10).is_empty());
    }

    #[test]
    fn each_differing_cell_is_named() {
        let d = compare(&p(&["AD", "DD"]), &p(&["AA", "DD"]), 10);
        assert_eq!(
            d,
            vec![
                "Workloads / 1 / probe0 / us-east-2: predicted ExplicitDeny, observed Allow"
                    .to_string()
            ]
        );
        let d = compare(&p(&["DD", "DD"]), &p(&["AA", "AA"]), 2);
        assert_eq!(d.len(), 3);
        assert_eq!(d[2], "… and 2 more");
    }
}
