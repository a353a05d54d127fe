//! `ctmigrate detect`.

use crate::cli::DetectArgs;
use crate::detect::{Quotas, report_estate};
use crate::error::{Error, Exit};
use crate::output::{Format, Output, render_detect};
use crate::session::Session;
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: &DetectArgs, out: &Output) -> Result<Exit, Error> {
    let session = Session::connect(settings, out).await?;
    let estate = session.read_estate(out, &[]).await;
    session.close().await;
    let estate = estate?;
    let quotas = Quotas {
        scp_attachment_limit: usize::try_from(args.quotas.scp_attachment_limit)
            .unwrap_or(usize::MAX),
        scp_size_limit: usize::try_from(args.quotas.scp_size_limit).unwrap_or(usize::MAX),
    };
    let report = report_estate(&estate, quotas);
    if let Some(line) = crate::apply::history::urgent_line(
        &settings.connection.command(),
        &report,
        std::path::Path::new("plans"),
    ) {
        out.urgent(&line);
    }
    match out.format {
        Format::Json => out.json(&report),
        Format::Text | Format::Markdown => out.text(&render_detect(&report, out)),
    }
    Ok(Exit::Ok)
}
