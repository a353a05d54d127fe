//! `ctmigrate validate --plan FILE [--offline]`: exit 0 when the plan file
//! is valid (and, read live, not stale); 2 when it is stale; 65 when the
//! file is not a valid plan.

use crate::cli::ValidateArgs;
use crate::error::{Error, Exit};
use crate::output::{Format, Output, render_validation};
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: &ValidateArgs, out: &Output) -> Result<Exit, Error> {
    let v = crate::validate::validate(settings, out, &args.plan, args.offline).await?;
    match out.format {
        Format::Json => out.json(&v),
        Format::Text | Format::Markdown => out.text(&render_validation(&v, out)),
    }
    Ok(if v.stale == Some(true) {
        Exit::Changes
    } else {
        Exit::Ok
    })
}
