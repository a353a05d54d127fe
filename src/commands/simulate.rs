//! `ctmigrate simulate --plan FILE`: recompute a plan's proof matrix against
//! the organization as it is now and print it compactly.

use super::Session;
use crate::cli::SimulateArgs;
use crate::error::{Error, ErrorKind, Exit};
use crate::output::{Format, Output, render_matrix};
use crate::plan::{self, Plan};
use crate::settings::Settings;

/// Reads a plan file and checks its checksum.
pub fn load_plan(path: &std::path::Path) -> Result<Plan, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cannot read plan `{}`: {e}", path.display()),
        )
        .hint("pass the .plan.json file that `ctmigrate plan` wrote")
    })?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("`{}` is not a ctmigrate plan: {e}", path.display()),
        )
        .hint("pass the .plan.json file that `ctmigrate plan` wrote (docs/plan-format.md)")
    })?;
    if plan.format_version != plan::PLAN_FORMAT_VERSION {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "plan `{}` has format_version {}, this ctmigrate reads {}",
                path.display(),
                plan.format_version,
                plan::PLAN_FORMAT_VERSION
            ),
        )
        .hint("plan again with this version of ctmigrate"));
    }
    if plan::checksum(&plan) != plan.checksum {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("plan `{}` does not match its checksum: it was changed after `ctmigrate plan` wrote it", path.display()),
        )
        .hint("plan again instead of editing the plan file; the Markdown is the place for review notes"));
    }
    Ok(plan)
}

pub async fn run(settings: &Settings, args: &SimulateArgs, out: &Output) -> Result<Exit, Error> {
    let plan = load_plan(&args.plan)?;
    let session = Session::connect(settings, out).await?;
    let estate = session.read_estate(out, &plan.inputs.source_regions).await;
    session.close().await;
    let (snapshot, profiles) = estate?;
    if snapshot.organization.id != plan.organization_id {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "plan `{}` is for organization {}, not {}",
                args.plan.display(),
                plan.organization_id,
                snapshot.organization.id
            ),
        )
        .hint("simulate a plan made for this organization"));
    }
    if plan::fingerprint(&snapshot, &profiles) != plan.fingerprint {
        out.warn("the organization changed since the plan was made: the matrix below is computed on the organization as it is now");
    }
    let matrix = plan::proof::matrix(&snapshot, &plan)?;
    match out.format {
        Format::Json => out.json(&matrix),
        Format::Text => out.text(&render_matrix(&matrix, out)),
    }
    Ok(if matrix.summary.passed {
        Exit::Ok
    } else {
        Exit::Failure
    })
}
