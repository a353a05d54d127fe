//! `ctmigrate show --plan FILE`: a saved plan rendered for the terminal
//! (`--format json`: the plan itself; `--format markdown`: the review
//! document `plan` wrote beside it). Offline.

use crate::cli::ShowArgs;
use crate::error::{Error, Exit};
use crate::output::{Format, Output, render_plan_show};
use crate::plan;

pub fn run(args: &ShowArgs, out: &Output) -> Result<Exit, Error> {
    let p = plan::file::read(&args.plan)?;
    match out.format {
        Format::Json => out.json(&p),
        Format::Markdown => out.text(&plan::markdown(&p)),
        Format::Text => out.text(&render_plan_show(&p, out)),
    }
    Ok(Exit::Ok)
}
