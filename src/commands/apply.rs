//! `apply`, `resume`, `rollback` and `status`: refuse what is not safe to
//! run (with nothing changed), confirm, open the journal, hand the run to
//! [`crate::apply`], and turn its outcome into an exit code.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Session;
use super::simulate::load_plan;
use crate::apply::journal::{self, Event, Journal, JournalError, Record};
use crate::apply::live::Live;
use crate::apply::{Options, Outcome, Report, Run, preflight, status};
use crate::aws::Apis;
use crate::cli::{ApplyArgs, ResumeArgs, RollbackArgs, RunArgs, StatusArgs};
use crate::error::{Error, ErrorKind, Exit};
use crate::output::{Format, Output, RunView, Terminal, render_status};
use crate::plan::Plan;
use crate::settings::{Connection, Settings};
use crate::wizard::Prompter;

/// The default journal beside the plan: `<dir>/<name>.journal.jsonl`.
fn default_journal(plan_path: &Path, plan: &Plan) -> PathBuf {
    plan_path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(format!("{}.journal.jsonl", plan.name))
}

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

/// Asks the person to type the organization id, unless `--yes`.
fn confirm(
    settings: &Settings,
    yes: bool,
    what: &str,
    plan: &Plan,
    out: &Output,
) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    if !settings.interactive() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("{what} changes organization {} and needs a confirmation, but stdin is not a terminal", plan.organization_id),
        )
        .hint("review the plan's Markdown, then pass --yes"));
    }
    let mut summary = format!(
        "{what} plan `{}` on organization {} (management account {}, home Region {}):\n",
        plan.name, plan.organization_id, plan.management_account, plan.home_region
    );
    for stage in &plan.stages {
        summary.push_str(&format!(
            "  {:<10} {} step(s){}  {}\n",
            stage.id,
            stage.steps.len(),
            if stage.manual { ", in the console" } else { "" },
            stage.title
        ));
    }
    let _asking = crate::interrupt::session();
    let typed = Terminal::new(out.color_err()).confirm_change(&summary, &plan.organization_id)?;
    if typed != plan.organization_id {
        return Err(Error::new(
            ErrorKind::Usage,
            "not confirmed; nothing was changed",
        ));
    }
    Ok(())
}

enum Mode<'a> {
    Forward,
    /// A finished apply: put back what other actors removed since.
    Repair,
    Rollback(Option<&'a str>),
}

/// Runs the engine over an open journal and maps its outcome.
async fn execute(
    session: &Session,
    plan: &Plan,
    journal: Journal,
    records: Vec<Record>,
    opts: Options,
    mode: Mode<'_>,
    out: &Output,
) -> Result<Exit, Error> {
    let aws = &session.aws;
    let orgs = aws.organizations();
    let ct = aws.control_tower(&plan.home_region);
    let sts = aws.identity();
    let live = Live::for_plan(&orgs, &ct, &sts, plan);
    // Commands in messages carry the flags that reach this organization.
    let me = format!(
        "ctmigrate{}",
        journal::fold(&records)
            .started
            .map(|s| s.connection)
            .unwrap_or_default()
    );
    let view = RunView::new(out, plan);
    let report = |r: &Report| view.report(r);
    // Ctrl-C and SIGTERM now stop at a checkpoint.
    let (stop, signals) = crate::interrupt::stop_at_checkpoint();
    let journal_path = journal.path().display().to_string();
    let run = Run::new(live, plan, journal, records, opts, &report, &stop);
    let rolling_back = matches!(mode, Mode::Rollback(_));
    let outcome = match mode {
        Mode::Forward => run.forward().await,
        Mode::Repair => run.repair_finished().await,
        Mode::Rollback(to) => run.rollback(to).await,
    };
    let outcome = match outcome {
        Ok(Outcome::Finished { .. }) => {
            let spinner = out.spinner("Reading the organization back");
            run.read_back(&session.aws, &|m: &str| spinner.set(m), &|| spinner.clear())
                .await
        }
        other => other.map_err(Error::from),
    };
    drop(signals);
    view.finish();
    drop(run);
    let j = journal_path;
    match outcome? {
        Outcome::Finished { differences } if differences.is_empty() => {
            out.status("Finished", &format!("the migration is complete; the live proof matrix equals the prediction cell for cell (journal {j})"));
            Ok(Exit::Ok)
        }
        Outcome::Finished { differences } => {
            let mut e = Error::new(
                ErrorKind::Aws,
                format!("every stage is done, but the live SCPs do not give the predicted decisions in {} cell(s)", differences.len()),
            )
            .hint(format!("compare with `{me} simulate --plan {}`; to undo: {me} rollback --journal {j}", plan_file_hint(&j, &plan.name)));
            e.causes = differences;
            Err(e)
        }
        Outcome::WaitingForConsole { stage } => {
            let then = if rolling_back { "rollback" } else { "resume" };
            out.status(
                "Waiting",
                &format!("stage `{stage}` is done by a person in the Control Tower console; when it is done, run: {me} {then} --journal {j}"),
            );
            Ok(Exit::WaitingForConsole)
        }
        Outcome::Stopped { reason, next } => {
            let then = if rolling_back { "rollback" } else { "resume" };
            out.warn(&format!(
                "stopped at a checkpoint: {reason}; continue with: {me} {then} --journal {j}{}",
                next.map(|n| format!(" (next stage: {n})")).unwrap_or_default()
            ));
            Ok(Exit::Stopped)
        }
        Outcome::Failed { step, error } => Err(Error::new(
            ErrorKind::Aws,
            format!("step `{step}` failed: {error}"),
        )
        .hint(format!("the journal records everything done so far; fix the cause, then `{me} resume --journal {j}` (or `{me} rollback --journal {j}`)"))),
        Outcome::Drifted { changes } => {
            let then = if rolling_back { "rollback" } else { "resume" };
            let mut e = Error::new(
                ErrorKind::Changed,
                format!(
                    "stopped: the organization changed under the {} in {} way(s) ctmigrate does not undo; nothing was asked of the console while it is so",
                    if rolling_back { "rollback" } else { "apply" },
                    changes.len()
                ),
            )
            .hint(format!("fix each change named above, then: {me} {then} --journal {j}; or, if the changes are wanted, plan again with the same decisions: {me} {}; `{me} status --journal {j}` shows the live state", replan_args(&j, &plan.name)));
            e.causes = changes;
            Err(e)
        }
        Outcome::RolledBack { to } => {
            out.status(
                "Rolled back",
                &match to {
                    Some(t) => format!("the organization is back at checkpoint `{t}` (journal {j})"),
                    None => format!("the organization is back as it was before apply (journal {j})"),
                },
            );
            Ok(Exit::Ok)
        }
    }
}

pub async fn apply(settings: &Settings, args: &ApplyArgs, out: &Output) -> Result<Exit, Error> {
    let plan = load_plan(&args.plan)?;
    let shown = args.plan.display().to_string();
    if plan.errors.is_empty() && !plan.migration_needed {
        out.status(
            "Nothing to do",
            &format!("plan `{shown}` needs no change: its inference profiles already work under the landing-zone region deny"),
        );
        return Ok(Exit::Ok);
    }
    if !plan.applyable {
        let mut e = Error::new(
            ErrorKind::InvalidInput,
            format!("plan `{shown}` is marked not applyable; nothing was changed"),
        )
        .hint("fix the problems it lists and plan again");
        e.causes = plan.errors.clone();
        return Err(e);
    }
    let opts = options(settings, &args.run)?;
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| default_journal(&args.plan, &plan));
    if journal_path.exists() {
        // A run in progress holds the lock: say so. A journal without one
        // complete record is an apply that died before sending anything:
        // it starts over. Otherwise the journal is an earlier start.
        let refusal = match Journal::open(&journal_path, "apply", false) {
            Ok((_, records, _)) if records.is_empty() => None,
            Ok(_) => Some(
                Error::from(JournalError::Exists {
                    path: journal_path.clone(),
                })
                .hint(format!(
                    "continue it with `{me} resume --journal {0}`, see it with `ctmigrate status --journal {0}`, or undo it with `{me} rollback --journal {0}`",
                    journal_path.display(),
                    me = format!("ctmigrate{}", settings.connection.flags()),
                )),
            ),
            Err(e) => Some(Error::from(e)),
        };
        if let Some(e) = refusal {
            return Err(e);
        }
    }

    let session = Session::connect(settings, out).await?;
    let result =
        preflight_and_start(&session, settings, args, &plan, &journal_path, opts, out).await;
    session.close().await;
    result
}

async fn preflight_and_start(
    session: &Session,
    settings: &Settings,
    args: &ApplyArgs,
    plan: &Plan,
    journal_path: &Path,
    opts: Options,
    out: &Output,
) -> Result<Exit, Error> {
    let shown = args.plan.display().to_string();
    let (snapshot, profiles) = session
        .read_estate(out, &plan.inputs.source_regions)
        .await?;
    let predicted = preflight::check(&preflight::Preflight {
        plan,
        shown: &shown,
        snapshot: &snapshot,
        profiles: &profiles,
        region: session.aws.region(),
        connection: &settings.connection.flags(),
    })?;
    confirm(settings, args.run.yes, "Apply", plan, out)?;

    let plan_path = std::fs::canonicalize(&args.plan).unwrap_or_else(|_| args.plan.clone());
    let (journal, records) = Journal::start(
        journal_path,
        plan,
        &plan_path,
        &settings.connection.flags(),
        predicted,
    )
    .map_err(Error::from)?;
    out.status("Journal", &journal_path.display().to_string());
    execute(session, plan, journal, records, opts, Mode::Forward, out).await
}

/// Opens a journal for resume or rollback and loads its plan.
fn open_journal(
    path: &Path,
    command: &str,
    force: bool,
    out: &Output,
) -> Result<(Journal, Vec<Record>, Plan), Error> {
    let (journal, records, stale) = Journal::open(path, command, force).map_err(Error::from)?;
    if let Some(h) = stale {
        out.warn(&format!(
            "the journal's lock was left by {h}, which is gone (it crashed or was killed); taking it over"
        ));
    }
    let progress = journal::fold(&records);
    let Some(started) = progress.started else {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("journal `{}` has no start record", path.display()),
        )
        .hint("nothing was applied from it; start with `ctmigrate apply --plan …`"));
    };
    let plan = match load_plan(Path::new(&started.plan_path)) {
        Ok(p) => p,
        Err(e) => {
            return Err(e.hint(format!(
                "the journal was made from `{}`; put that plan file back unchanged",
                started.plan_path
            )));
        }
    };
    if plan.checksum != started.plan_checksum {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "plan `{}` is not the plan this journal applied (its checksum differs)",
                started.plan_path
            ),
        )
        .hint("put back the plan file the apply started from"));
    }
    Ok((journal, records, plan))
}

pub async fn resume(settings: &Settings, args: &ResumeArgs, out: &Output) -> Result<Exit, Error> {
    let opts = options(settings, &args.run)?;
    let (mut journal, mut records, plan) =
        open_journal(&args.journal, "resume", args.run.force_unlock, out)?;
    let progress = journal::fold(&records);
    if progress.rollback.is_some() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "journal `{}` was rolled back; resuming would apply it again",
                args.journal.display()
            ),
        )
        .hint("plan again and apply the new plan (the organization may have changed)"));
    }

    confirm(settings, args.run.yes, "Resume", &plan, out)?;
    let session = match Session::connect(settings, out).await {
        Ok(s) => s,
        Err(e) => {
            return Err(e);
        }
    };
    if let Err(e) =
        preflight::check_caller(&session.aws.identity(), session.aws.region(), &plan).await
    {
        session.close().await;
        return Err(e);
    }
    let started = journal.append(Event::RunStarted {
        command: "resume".into(),
        pid: std::process::id(),
        host: journal::host_name(),
    });
    match started {
        Ok(r) => records.push(r),
        Err(e) => {
            session.close().await;
            return Err(Error::from(e));
        }
    }
    let mode = if progress.finished {
        Mode::Repair
    } else {
        Mode::Forward
    };
    let result = execute(&session, &plan, journal, records, opts, mode, out).await;
    session.close().await;
    result
}

pub async fn rollback(
    settings: &Settings,
    args: &RollbackArgs,
    out: &Output,
) -> Result<Exit, Error> {
    let opts = options(settings, &args.run)?;
    let (mut journal, mut records, plan) =
        open_journal(&args.journal, "rollback", args.run.force_unlock, out)?;
    let progress = journal::fold(&records);
    if let Some(to) = &args.to
        && !progress.checkpoints.contains(to)
    {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("`{to}` is not a checkpoint of this apply"),
        )
        .hint(if progress.checkpoints.is_empty() {
            "no stage has finished yet; roll back everything (without --to)".to_string()
        } else {
            format!("checkpoints recorded: {}", progress.checkpoints.join(", "))
        }));
    }
    if let Some(rb) = &progress.rollback
        && rb.finished
        && rb.to == args.to
    {
        out.status(
            "Rolled back",
            "this rollback has already finished; nothing to do",
        );
        return Ok(Exit::Ok);
    }
    confirm(settings, args.run.yes, "Roll back", &plan, out)?;
    let session = match Session::connect(settings, out).await {
        Ok(s) => s,
        Err(e) => {
            return Err(e);
        }
    };
    if let Err(e) =
        preflight::check_caller(&session.aws.identity(), session.aws.region(), &plan).await
    {
        session.close().await;
        return Err(e);
    }
    for event in [
        Event::RollbackStarted {
            to: args.to.clone(),
        },
        Event::RunStarted {
            command: "rollback".into(),
            pid: std::process::id(),
            host: journal::host_name(),
        },
    ] {
        match journal.append(event) {
            Ok(r) => records.push(r),
            Err(e) => {
                session.close().await;
                return Err(Error::from(e));
            }
        }
    }
    let result = execute(
        &session,
        &plan,
        journal,
        records,
        opts,
        Mode::Rollback(args.to.as_deref()),
        out,
    )
    .await;
    session.close().await;
    result
}

pub async fn status(settings: &Settings, args: &StatusArgs, out: &Output) -> Result<Exit, Error> {
    let records = journal::read(&args.journal).map_err(Error::from)?;
    let progress = journal::fold(&records);
    let Some(started) = &progress.started else {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("journal `{}` has no start record", args.journal.display()),
        ));
    };
    let plan = load_plan(Path::new(&started.plan_path))?;
    let mut s = status::status(&plan, &progress, &args.journal.display().to_string());
    if !args.offline {
        match live_coverage(settings, &started.connection, &plan, out).await {
            Ok(found) => s = status::with_live(s, &plan, &progress, &found),
            Err(e) => {
                s.live_note = Some(format!(
                    "could not read the organization ({}); this is what the journal says (--offline skips the read)",
                    e.message
                ))
            }
        }
    }
    match out.format {
        Format::Json => out.json(&s),
        Format::Text => out.text(&render_status(&s, out)),
    }
    Ok(Exit::Ok)
}

/// The settings `status` reads the organization with: the connection flags
/// given, or else the ones the journal recorded (so that `ctmigrate status
/// --journal FILE` reaches the organization the apply changed, sandbox
/// included).
fn status_connection(settings: &Settings, recorded: &str) -> Settings {
    if !settings.connection.flags().is_empty() || recorded.trim().is_empty() {
        return settings.clone();
    }
    let mut argv: Vec<String> = vec!["ctmigrate".into()];
    argv.extend(crate::cli::shell_words(recorded));
    argv.extend(["status".into(), "--journal".into(), "-".into()]);
    match <crate::cli::Cli as clap::Parser>::try_parse_from(argv) {
        Ok(cli) => settings.with_connection(Connection::from(&cli.global)),
        Err(_) => settings.clone(),
    }
}

/// Reads the plan's targets live, for `status`.
async fn live_coverage(
    settings: &Settings,
    recorded: &str,
    plan: &Plan,
    out: &Output,
) -> Result<crate::apply::coverage::Coverage, Error> {
    let settings = status_connection(settings, recorded);
    let session = Session::connect(&settings, out).await?;
    let aws = &session.aws;
    let (orgs, ct, sts) = (
        aws.organizations(),
        aws.control_tower(&plan.home_region),
        aws.identity(),
    );
    let live = Live::for_plan(&orgs, &ct, &sts, plan);
    let spinner = out.spinner("Reading the organization");
    let found = crate::apply::coverage::read(&live, plan).await;
    spinner.finish();
    session.close().await;
    found.map_err(|e| Error::aws("reading the plan's targets", e))
}

/// `plan` arguments that keep the decisions of the plan behind `journal`
/// and write the new plan beside it under a new name.
fn replan_args(journal: &str, name: &str) -> String {
    let file = plan_file_hint(journal, name);
    let dir = std::path::Path::new(&file)
        .parent()
        .map(|d| d.display().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| ".".into());
    format!(
        "plan --from-plan {} --name {} --out {}",
        crate::cli::shell_word(&file),
        crate::cli::shell_word(&format!("{name}-replanned")),
        crate::cli::shell_word(&dir)
    )
}

/// The plan file beside a journal (`x.journal.jsonl` → `x.plan.json`), for hints.
fn plan_file_hint(journal: &str, name: &str) -> String {
    match journal.strip_suffix(".journal.jsonl") {
        Some(stem) => format!("{stem}.plan.json"),
        None => format!("plans/{name}.plan.json"),
    }
}
