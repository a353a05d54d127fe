//! Which plan was applied to an organization last, from the plans and
//! journals in a directory: the newest plan whose journal finished, else
//! the newest plan of that organization. Day two (`check`) audits against
//! it, and the urgent first line names the day-two plan made from it.
//!
//! It reads files only; it must not call AWS or print.

use std::path::{Path, PathBuf};

use super::journal;
use crate::check::{replan_command, urgent_message};
use crate::detect::DetectReport;
use crate::plan::{self, Plan};

/// The day-two command for the organization behind `plan` (see
/// [`replan_command`]); `me` starts it (`ctmigrate --sandbox`).
pub fn replan(me: &str, plan: Option<&(PathBuf, Plan)>, plans_dir: &Path) -> String {
    replan_command(
        me,
        plan.map(|(path, p)| (path.as_path(), p)),
        plans_dir,
        &super::now_rfc3339(),
    )
}

/// The urgent first line when a registered first-tier OU has no region
/// deny at all, with the day-two command from the last plan in `plans_dir`.
pub fn urgent_line(me: &str, report: &DetectReport, plans_dir: &Path) -> Option<String> {
    if report.uncovered_registered_ous.is_empty() {
        return None;
    }
    let plan = latest_plan(plans_dir, &report.caller.organization_id);
    urgent_message(report, &replan(me, plan.as_ref(), plans_dir))
}

/// The last plan applied to organization `org` under `dir`.
pub fn latest_plan(dir: &Path, org: &str) -> Option<(PathBuf, Plan)> {
    let mut found: Vec<(bool, String, PathBuf, Plan)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".plan.json"))
        .filter_map(|p| {
            let plan = plan::file::read(&p).ok()?;
            (plan.organization_id == org).then_some(())?;
            let journal = p.with_file_name(format!("{}.journal.jsonl", plan.name));
            let applied = journal::read(&journal)
                .map(|r| journal::fold(&r).finished)
                .unwrap_or(false);
            Some((applied, plan.created_at.clone(), p, plan))
        })
        .collect();
    found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    found.pop().map(|(_, _, p, plan)| (p, plan))
}
