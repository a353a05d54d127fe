//! `ctmigrate explain [TEXT | -]`: read an access-denied message, read the
//! organization (unless `--offline`), and print what denies it and the fix.

use std::io::Read;

use crate::cli::ExplainArgs;
use crate::error::{Error, ErrorKind, Exit};
use crate::explain;
use crate::output::{Format, Output, render_explanation};
use crate::session::Session;
use crate::settings::Settings;

/// The message: the arguments joined, `-` or nothing for stdin.
fn message(settings: &Settings, args: &ExplainArgs) -> Result<String, Error> {
    let from_stdin = args.text.is_empty() || args.text == ["-"];
    if !from_stdin {
        return Ok(args.text.join(" "));
    }
    if args.text.is_empty() && settings.terminals.stdin {
        return Err(Error::new(ErrorKind::Usage, "no error text to explain")
            .hint(format!(
                "paste it in quotes, e.g. ctmigrate explain '{}', or pipe it: pbpaste | ctmigrate explain -",
                explain::EXAMPLE
            )));
    }
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .read_to_string(&mut text)
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("cannot read the error text from stdin: {e}"),
            )
            .hint("pass the text as an argument instead")
        })?;
    Ok(text)
}

pub async fn run(settings: &Settings, args: &ExplainArgs, out: &Output) -> Result<Exit, Error> {
    let text = message(settings, args)?;
    let denial = explain::parse(&text)?;
    if let Some(r) = &args.requested_region
        && !crate::regions::is_region_name(r)
        && r != crate::regions::UNSPECIFIED
    {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("--requested-region `{r}` is not a Region name"),
        )
        .hint("write it like us-east-2"));
    }
    let explanation = if args.offline {
        explain::offline(denial)
    } else {
        let session = Session::connect(settings, out).await?;
        let estate = session.read_estate(out, &[]).await;
        session.close().await;
        let crate::snapshot::Estate {
            snapshot, profiles, ..
        } = estate?;
        explain::against(
            &snapshot,
            &profiles,
            denial,
            args.requested_region.as_deref(),
        )?
        .reached_with(&settings.connection.command())
    };
    match out.format {
        Format::Json => out.json(&explanation),
        Format::Text | Format::Markdown => out.text(&render_explanation(&explanation, out)),
    }
    Ok(Exit::Ok)
}
