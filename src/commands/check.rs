//! `ctmigrate check`: read the organization, find the last plan applied to
//! it, audit it with [`crate::check`], print the findings; exit 2 when
//! there are any.

use crate::apply::history::{latest_plan, replan};
use crate::aws::{Apis, Organizations};
use crate::check::{CheckInputs, check};
use crate::cli::CheckArgs;
use crate::error::{Error, Exit};
use crate::output::{Format, Output, render_check};
use crate::plan;
use crate::plan::companion::COMPANION_NAME;
use crate::session::Session;
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: &CheckArgs, out: &Output) -> Result<Exit, Error> {
    let given = match &args.plan {
        Some(p) => Some((p.clone(), plan::file::read(p)?)),
        None => None,
    };
    let session = Session::connect(settings, out).await?;
    let spinner = out.spinner("Reading the organization");
    let snapshot = crate::discover::discover(&session.aws, &|m: &str| spinner.set(m)).await;
    spinner.finish();
    let snapshot = snapshot?;
    let plan = given.or_else(|| latest_plan(&args.plans_dir, &snapshot.organization.id));
    let companion = snapshot
        .policies
        .iter()
        .find(|(_, p)| p.summary.name == COMPANION_NAME);
    let companion_tags = match companion {
        Some((id, _)) => Some(
            session
                .aws
                .organizations()
                .list_tags(id)
                .await
                .map_err(|e| Error::aws("reading the companion SCP's tags", e))?
                .into_iter()
                .map(|t| (t.key, t.value))
                .collect(),
        ),
        None => None,
    };
    session.close().await;
    let report = check(CheckInputs {
        snapshot: &snapshot,
        plan: plan
            .as_ref()
            .map(|(path, p)| (p, path.display().to_string())),
        companion_tags,
        replan: replan(
            &settings.connection.command(),
            plan.as_ref(),
            &args.plans_dir,
        ),
    });
    match out.format {
        Format::Json => out.json(&report),
        Format::Text | Format::Markdown => out.text(&render_check(&report, out)),
    }
    Ok(if report.findings.is_empty() {
        Exit::Ok
    } else {
        Exit::Changes
    })
}
