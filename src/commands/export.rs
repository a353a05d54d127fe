//! `export`: a saved plan as Terraform or CloudFormation, written by
//! [`crate::export::write`]; the files written, then what to do next.

use crate::cli::{ExportArgs, ExportTool};
use crate::error::{Error, Exit};
use crate::export::{self, Tool};
use crate::output::Output;

pub fn run(args: &ExportArgs, out: &Output) -> Result<Exit, Error> {
    let tool = match args.to {
        ExportTool::Terraform => Tool::Terraform,
        ExportTool::Cloudformation => Tool::CloudFormation,
    };
    let written = export::write(&args.plan, tool, &args.out)?;
    for p in &written {
        out.status("Wrote", &p.display().to_string());
    }
    out.status(
        "Next",
        &format!(
            "read {}: apply the code, verify, then the console step",
            args.out.join("README.md").display()
        ),
    );
    Ok(Exit::Ok)
}
