//! `ctmigrate detect`.

use crate::cli::DetectArgs;
use crate::detect::{Quotas, report};
use crate::error::{Error, Exit};
use crate::output::{Format, Output, render_detect};
use crate::session::Session;
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: &DetectArgs, out: &Output) -> Result<Exit, Error> {
    let session = Session::connect(settings, out).await?;
    let spinner = out.spinner("Reading the organization");
    let snapshot = crate::discover::discover(&session.aws, &|m: &str| spinner.set(m)).await;
    spinner.finish();
    session.close().await;
    let snapshot = snapshot?;
    let quotas = Quotas {
        scp_attachment_limit: usize::try_from(args.quotas.scp_attachment_limit)
            .unwrap_or(usize::MAX),
        scp_size_limit: usize::try_from(args.quotas.scp_size_limit).unwrap_or(usize::MAX),
    };
    let report = report(&snapshot, quotas);
    if let Some(line) = crate::apply::history::urgent_line(
        &settings.connection.command(),
        &report,
        std::path::Path::new("plans"),
    ) {
        out.urgent(&line);
    }
    match out.format {
        Format::Json => out.json(&report),
        Format::Text => out.text(&render_detect(&report, out)),
    }
    Ok(Exit::Ok)
}
