//! `ctmigrate check`: read the organization, find the last plan applied to
//! it, audit it with [`crate::check`], print the findings; exit 2 when
//! there are any.

use std::path::{Path, PathBuf};

use super::Session;
use crate::aws::{Apis, Organizations};
use crate::check::{CheckInputs, CheckReport, check};
use crate::cli::CheckArgs;
use crate::error::{Error, Exit};
use crate::output::{Format, Output, render_check};
use crate::plan::Plan;
use crate::plan::companion::COMPANION_NAME;
use crate::settings::Settings;

/// The last plan applied to organization `org` under `dir`: the newest
/// whose journal finished, else the newest plan of that organization.
pub fn latest_plan(dir: &Path, org: &str) -> Option<(PathBuf, Plan)> {
    let mut found: Vec<(bool, String, PathBuf, Plan)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".plan.json"))
        .filter_map(|p| {
            let plan = super::simulate::load_plan(&p).ok()?;
            (plan.organization_id == org).then_some(())?;
            let journal = p.with_file_name(format!("{}.journal.jsonl", plan.name));
            let applied = crate::apply::journal::read(&journal)
                .map(|r| crate::apply::journal::fold(&r).finished)
                .unwrap_or(false);
            Some((applied, plan.created_at.clone(), p, plan))
        })
        .collect();
    found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    found.pop().map(|(_, _, p, plan)| (p, plan))
}

/// The one command that covers what the last plan's decisions no longer
/// cover: a day-two plan from them (then apply it), or the guided session
/// when there is no plan.
pub fn replan_command(
    settings: &Settings,
    plan: Option<&(PathBuf, Plan)>,
    plans_dir: &Path,
) -> String {
    let me = format!("ctmigrate{}", settings.connection.flags());
    match plan {
        Some((path, p)) => {
            let stamp = crate::apply::now_rfc3339();
            let day: String = stamp
                .chars()
                .filter(char::is_ascii_digit)
                .take(12)
                .collect();
            format!(
                "`{me} plan --from-plan {} --name {}-day2-{day} --out {}`",
                crate::cli::shell_word(&path.display().to_string()),
                p.name.chars().take(40).collect::<String>(),
                crate::cli::shell_word(&plans_dir.display().to_string())
            )
        }
        None => format!("`{me} wizard` (on a terminal) or `{me} plan` with your decisions"),
    }
}

/// Says the urgent state first, when there is one.
pub fn say_urgent(
    settings: &Settings,
    report: &crate::detect::DetectReport,
    plans_dir: &Path,
    out: &Output,
) {
    if report.uncovered_registered_ous.is_empty() {
        return;
    }
    let plan = latest_plan(plans_dir, &report.caller.organization_id);
    out.urgent(&format!(
        "{} ha{} no region deny at all (the landing-zone deny is off there and PV.1 is missing); fix now: {}, then apply that plan",
        report.uncovered_registered_ous.join(", "),
        if report.uncovered_registered_ous.len() == 1 { "s" } else { "ve" },
        replan_command(settings, plan.as_ref(), plans_dir)
    ));
}

pub async fn run(settings: &Settings, args: &CheckArgs, out: &Output) -> Result<Exit, Error> {
    let given = match &args.plan {
        Some(p) => Some((p.clone(), super::simulate::load_plan(p)?)),
        None => None,
    };
    let session = Session::connect(settings, out).await?;
    let report = audit(&session, settings, args, given, out).await;
    session.close().await;
    let report = report?;
    match out.format {
        Format::Json => out.json(&report),
        Format::Text => out.text(&render_check(&report, out)),
    }
    Ok(if report.findings.is_empty() {
        Exit::Ok
    } else {
        Exit::Changes
    })
}

async fn audit(
    session: &Session,
    settings: &Settings,
    args: &CheckArgs,
    given: Option<(PathBuf, Plan)>,
    out: &Output,
) -> Result<CheckReport, Error> {
    let spinner = out.spinner("Reading the organization");
    let snapshot = crate::discover::discover(&session.aws, &|m: &str| spinner.set(m)).await;
    spinner.finish();
    let snapshot = snapshot?;
    let plan = given.or_else(|| latest_plan(&args.plans_dir, &snapshot.organization.id));
    let orgs = session.aws.organizations();
    let companion_tags = match snapshot
        .policies
        .iter()
        .find(|(_, p)| p.summary.name == COMPANION_NAME)
    {
        Some((id, _)) => Some(
            orgs.list_tags(id)
                .await
                .map_err(|e| Error::aws("reading the companion SCP's tags", e))?
                .into_iter()
                .map(|t| (t.key, t.value))
                .collect(),
        ),
        None => None,
    };
    let replan = replan_command(settings, plan.as_ref(), &args.plans_dir);
    Ok(check(CheckInputs {
        snapshot: &snapshot,
        plan: plan
            .as_ref()
            .map(|(path, p)| (p, path.display().to_string())),
        companion_tags,
        replan,
    }))
}
