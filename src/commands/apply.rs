//! `apply`, `resume`, `rollback` and `status`: flags to a
//! [`RunRequest`], one call to [`crate::apply::launch`], its conclusion to
//! the terminal.

use std::time::Duration;

use crate::apply::Options;
use crate::apply::launch::{self, RunRequest};
use crate::cli::{ApplyArgs, ResumeArgs, RollbackArgs, RunArgs, StatusArgs};
use crate::error::{Error, ErrorKind, Exit};
use crate::output::{Output, conclude};
use crate::settings::Settings;

fn parse_time(flag: &str, value: &str) -> Result<time::OffsetDateTime, Error> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).map_err(
        |e| {
            Error::new(
                ErrorKind::Usage,
                format!("{flag} `{value}` is not an RFC 3339 time: {e}"),
            )
            .hint(format!("write it like {flag} 2026-11-28T22:00:00Z"))
        },
    )
}

/// The change window's end, refusing to start before its start.
fn window(run: &RunArgs) -> Result<Option<time::OffsetDateTime>, Error> {
    if let Some(end) = &run.window_end {
        let end = parse_time("--window-end", end)?;
        if end <= time::OffsetDateTime::now_utc() {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "the change window ended at {}",
                    run.window_end.as_deref().unwrap_or_default()
                ),
            )
            .hint("give the end of a window that is still open"));
        }
        return Ok(Some(end));
    }
    let Some(w) = &run.window else {
        return Ok(None);
    };
    let Some((start, end)) = w.split_once('/') else {
        return Err(
            Error::new(ErrorKind::Usage, format!("--window `{w}` is not START/END"))
                .hint("write it like --window 2026-11-28T20:00:00Z/2026-11-28T23:00:00Z"),
        );
    };
    let (start, end) = (
        parse_time("--window start", start)?,
        parse_time("--window end", end)?,
    );
    let now = time::OffsetDateTime::now_utc();
    if end <= start {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("--window `{w}` ends before it starts"),
        ));
    }
    if now < start {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("the change window `{w}` has not opened yet; nothing was changed"),
        )
        .hint("run again inside the window"));
    }
    if now >= end {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("the change window `{w}` has closed; nothing was changed"),
        ));
    }
    Ok(Some(end))
}

fn options(settings: &Settings, run: &RunArgs) -> Result<Options, Error> {
    Ok(Options {
        max_concurrency: run.max_concurrency as usize,
        console_wait: match run.wait_for_console {
            Some(d) => Some(d),
            None if settings.interactive() => Some(Duration::from_secs(24 * 3600)),
            None => None,
        },
        window_end: window(run)?,
        poll_initial: settings
            .poll_interval
            .unwrap_or(Options::default().poll_initial),
        ..Options::default()
    })
}

/// The run's flags as a request.
fn request(settings: &Settings, run: &RunArgs) -> Result<RunRequest, Error> {
    Ok(RunRequest {
        options: options(settings, run)?,
        yes: run.yes,
        force_unlock: run.force_unlock,
    })
}

pub async fn apply(settings: &Settings, args: &ApplyArgs, out: &Output) -> Result<Exit, Error> {
    let req = request(settings, &args.run)?;
    let c = launch::apply(settings, out, &args.plan, args.journal.clone(), req).await?;
    Ok(conclude(c, out))
}

pub async fn resume(settings: &Settings, args: &ResumeArgs, out: &Output) -> Result<Exit, Error> {
    let req = request(settings, &args.run)?;
    let c = launch::resume(settings, out, &args.journal, req).await?;
    Ok(conclude(c, out))
}

pub async fn rollback(
    settings: &Settings,
    args: &RollbackArgs,
    out: &Output,
) -> Result<Exit, Error> {
    let mut req = request(settings, &args.run)?;
    req.options.include_unowned = args.include_unowned;
    let c = launch::rollback(settings, out, &args.journal, args.to.clone(), req).await?;
    Ok(conclude(c, out))
}

pub async fn status(settings: &Settings, args: &StatusArgs, out: &Output) -> Result<Exit, Error> {
    launch::status(settings, out, &args.journal, args.offline).await
}
