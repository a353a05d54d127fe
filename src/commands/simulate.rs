//! `ctmigrate simulate --plan FILE`: recompute a plan's proof matrix against
//! the organization as it is now and print it compactly.

use crate::cli::SimulateArgs;
use crate::error::{Error, ErrorKind, Exit};
use crate::output::{Format, Output, render_matrix};
use crate::plan;
use crate::session::Session;
use crate::settings::Settings;

/// Reads a plan file and checks its checksum.
pub async fn run(settings: &Settings, args: &SimulateArgs, out: &Output) -> Result<Exit, Error> {
    let plan = plan::file::read(&args.plan)?;
    let session = Session::connect(settings, out).await?;
    let estate = session.read_estate(out, &plan.inputs.source_regions).await;
    session.close().await;
    let crate::snapshot::Estate {
        snapshot, profiles, ..
    } = estate?;
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
        Format::Text | Format::Markdown => out.text(&render_matrix(&matrix, out)),
    }
    Ok(if matrix.summary.passed {
        Exit::Ok
    } else {
        Exit::Failure
    })
}
