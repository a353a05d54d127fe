//! Starting and continuing runs for `apply`, `resume`, `rollback` and
//! `status`: everything that is refused is refused with nothing changed
//! (a plan that needs nothing or is not applyable, a journal that exists,
//! is locked, was rolled back or lost its plan, a stale plan, the wrong
//! caller), then the confirmation, then the journal, then the run with its
//! progress view, with Ctrl-C stopping at a checkpoint. The outcome goes to
//! [`super::conclusion`], which says what it means and what to run next.
//!
//! It owns the order of those checks. It must not decide what a run does
//! (the engine in [`super`] does) or word an outcome (the conclusion does).

use std::path::{Path, PathBuf};

use super::conclusion::{self, Conclusion, Direction};
use super::journal::{self, Event, Journal, Record};
use super::live::Live;
use super::next::Next;
use super::{Options, Outcome, Report, ReportKind, Run, preflight, status};
use crate::aws::Apis;
use crate::error::{Error, ErrorKind, Exit};
use crate::output::{Format, Output, RunView, Terminal, render_status};
use crate::plan::{self, Plan};
use crate::session::Session;
use crate::settings::{Connection, Settings};
use crate::wizard::Prompter;

/// What every run is told besides its journal.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub options: Options,
    /// The confirmation was given (`--yes`).
    pub yes: bool,
    /// Take over a lock left by a run on another host.
    pub force_unlock: bool,
}

/// The journal beside a plan: `<dir>/<name>.journal.jsonl`.
pub fn default_journal(plan_path: &Path, plan: &Plan) -> PathBuf {
    plan_path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(format!("{}.journal.jsonl", plan.name))
}

/// `apply --plan PLAN`.
pub async fn apply(
    settings: &Settings,
    out: &Output,
    plan_path: &Path,
    journal: Option<PathBuf>,
    req: RunRequest,
) -> Result<Conclusion, Error> {
    let plan = plan::file::read(plan_path)?;
    let shown = plan_path.display().to_string();
    if plan.errors.is_empty() && !plan.migration_needed {
        return Ok(Conclusion::done(
            "Nothing to do",
            format!(
                "plan `{shown}` needs no change: its inference profiles already work under the landing-zone region deny"
            ),
        ));
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
    let journal_path = journal.unwrap_or_else(|| default_journal(plan_path, &plan));
    make_room(&journal_path, false, settings, out)?;

    let session = Session::connect(settings, out).await?;
    let crate::snapshot::Estate {
        snapshot, profiles, ..
    } = session
        .read_estate(out, &plan.inputs.source_regions)
        .await?;
    let predicted = preflight::check(&preflight::Preflight {
        plan: &plan,
        shown: &shown,
        snapshot: &snapshot,
        profiles: &profiles,
        region: session.aws.region(),
        connection: &settings.connection.flags(),
    })?;
    confirm(settings, req.yes, "Apply", &plan, out)?;
    make_room(&journal_path, true, settings, out)?;
    let recorded_path = std::fs::canonicalize(plan_path).unwrap_or_else(|_| plan_path.into());
    let (journal, records) = Journal::start(
        &journal_path,
        &plan,
        &recorded_path,
        &settings.connection.flags(),
        predicted,
    )?;
    out.status("Journal", &journal_path.display().to_string());
    let result = execute(
        &session,
        &plan,
        (journal, records),
        req.options,
        Direction::Forward,
        settings.terminals.stdin,
        out,
    )
    .await;
    session.close().await;
    result
}

/// A journal at `path` from an earlier apply: one that ended with the
/// organization back as before (or never started) is put aside under a
/// dated name and said so; one in use is refused, naming the commands that
/// go on with it; a run in progress holds its lock. With `act` false it
/// only refuses, and moves nothing.
fn make_room(path: &Path, act: bool, settings: &Settings, out: &Output) -> Result<(), Error> {
    let now = time::OffsetDateTime::now_utc();
    match super::archive::make_room("apply", act, path, None, settings.terminals.stdin, now)? {
        Ok(None) => Ok(()),
        Ok(Some(archived)) => {
            out.status("Kept", &archived.said());
            Ok(())
        }
        Err(in_use) => Err(in_use.refusing_apply()),
    }
}

/// `resume --journal FILE`.
pub async fn resume(
    settings: &Settings,
    out: &Output,
    journal_path: &Path,
    req: RunRequest,
) -> Result<Conclusion, Error> {
    let (journal, records, (plan, plan_path)) =
        open(journal_path, "resume", req.force_unlock, out)?;
    let progress = journal::fold_read_from(&records, plan_path);
    if progress.rollback.is_some() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "journal `{}` was rolled back; resuming would apply it again",
                journal_path.display()
            ),
        )
        .hint(
            Next::of_journal(
                &progress,
                &journal_path.display().to_string(),
                settings.terminals.stdin,
            )
            .again_after_rollback(&progress),
        ));
    }
    confirm(settings, req.yes, "Resume", &plan, out)?;
    let direction = if progress.finished {
        Direction::Repair
    } else {
        Direction::Forward
    };
    continue_run(
        settings, out, plan, journal, records, req, direction, "resume",
    )
    .await
}

/// `rollback --journal FILE [--to CHECKPOINT]`.
pub async fn rollback(
    settings: &Settings,
    out: &Output,
    journal_path: &Path,
    to: Option<String>,
    req: RunRequest,
) -> Result<Conclusion, Error> {
    let (journal, records, (plan, _)) = open(journal_path, "rollback", req.force_unlock, out)?;
    let progress = journal::fold(&records);
    if let Some(to) = &to
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
        && rb.to == to
        && (rb.left.is_empty() || !req.options.include_unowned)
    {
        if !rb.left.is_empty() {
            // Finished, but it left what ctmigrate did not make: say so
            // again, with the command that undoes those too.
            let next = Next::of_journal(
                &progress,
                &journal_path.display().to_string(),
                settings.terminals.stdin,
            );
            return conclusion::of(
                Outcome::RolledBack {
                    to: to.clone(),
                    left: rb.left.clone(),
                },
                &Direction::Rollback(to),
                &plan,
                &next,
            );
        }
        return Ok(Conclusion::done(
            "Rolled back",
            "this rollback has already finished; nothing to do".into(),
        ));
    }
    confirm(settings, req.yes, "Roll back", &plan, out)?;
    continue_run(
        settings,
        out,
        plan,
        journal,
        records,
        req,
        Direction::Rollback(to),
        "rollback",
    )
    .await
}

/// Resume and rollback alike: connect, check the caller, journal this run,
/// run.
#[allow(clippy::too_many_arguments)]
async fn continue_run(
    settings: &Settings,
    out: &Output,
    plan: Plan,
    mut journal: Journal,
    mut records: Vec<Record>,
    req: RunRequest,
    direction: Direction,
    command: &str,
) -> Result<Conclusion, Error> {
    let session = Session::connect(settings, out).await?;
    preflight::check_caller(&session.aws.identity(), session.aws.region(), &plan).await?;
    if let Direction::Rollback(to) = &direction {
        records.push(journal.append(Event::RollbackStarted { to: to.clone() })?);
    }
    records.push(journal.append(Event::RunStarted {
        command: command.into(),
        pid: std::process::id(),
        host: journal::host_name(),
    })?);
    let result = execute(
        &session,
        &plan,
        (journal, records),
        req.options,
        direction,
        settings.terminals.stdin,
        out,
    )
    .await;
    session.close().await;
    result
}

/// A journal's plan and the path it was read from.
type PlanRead = (Plan, String);

/// Opens a journal for resume or rollback and reads the plan it applied,
/// which must be the same plan, unchanged; with the path it was read from.
fn open(
    path: &Path,
    command: &str,
    force: bool,
    out: &Output,
) -> Result<(Journal, Vec<Record>, PlanRead), Error> {
    let (journal, records, stale) = Journal::open(path, command, force)?;
    if let Some(h) = stale {
        out.warn(&format!(
            "the journal's lock was left by {h}, which is gone (it crashed or was killed); taking it over"
        ));
    }
    if let Some(t) = journal.cut_tail() {
        out.warn(&format!(
            "journal {}: ignored {t}; it is cut off, and the organization is read to learn what that record was about",
            path.display()
        ));
    }
    let plan = journal_plan(path, &records)?;
    Ok((journal, records, plan))
}

/// The plan a journal's start record names, checked against its checksum,
/// and the path it was read from; the journal must fit it (no checkpoint
/// without its steps).
fn journal_plan(path: &Path, records: &[Record]) -> Result<PlanRead, Error> {
    let (plan, plan_path) = find_journal_plan(path, records)?;
    if let Some((line, what)) = journal::unfounded_checkpoint(records, &plan) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "journal `{}` is not consistent at line {line}: {what}",
                path.display()
            ),
        )
        .hint("the journal was edited or spliced; restore it from a copy, or see the organization as it is with `ctmigrate detect`"));
    }
    Ok((plan, plan_path))
}

fn find_journal_plan(path: &Path, records: &[Record]) -> Result<PlanRead, Error> {
    let Some(started) = journal::fold(records).started else {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("journal `{}` has no start record", path.display()),
        )
        .hint(
            "nothing was applied from it: `ctmigrate apply --plan …` starts over with this journal",
        ));
    };
    // The plan where the apply read it; else the plan beside the journal
    // (`x.journal.jsonl` → `x.plan.json`), where a journal put aside with
    // its plan, or a moved plans directory, keeps it.
    let beside = path
        .to_str()
        .and_then(|p| p.strip_suffix(".journal.jsonl"))
        .map(|stem| format!("{stem}.plan.json"));
    let recorded = plan::file::read(Path::new(&started.plan_path));
    if let Ok(plan) = &recorded
        && plan.checksum == started.plan_checksum
    {
        return Ok((recorded?, started.plan_path));
    }
    if let Some((plan, b)) = beside
        .and_then(|b| plan::file::read(Path::new(&b)).ok().map(|p| (p, b)))
        .filter(|(p, _)| p.checksum == started.plan_checksum)
    {
        return Ok((plan, b));
    }
    let plan = recorded.map_err(|e| {
        Error::from(e).hint(format!(
            "journal `{}` was made from `{}`; put that plan file back unchanged",
            path.display(),
            started.plan_path
        ))
    })?;
    Err(Error::new(
        ErrorKind::InvalidInput,
        format!(
            "plan `{}` is not the plan journal `{}` applied (its checksum {} differs from the journal's {})",
            started.plan_path,
            path.display(),
            plan.checksum,
            started.plan_checksum
        ),
    )
    .hint("put back the plan file the apply started from, or pass the journal that belongs to this plan"))
}

/// Asks the person to type the organization id, unless `yes`.
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
        .hint("review the plan's Markdown, then add --yes to the same command"));
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

/// Runs the engine over an open journal, then reads the organization back
/// when it finished.
async fn execute(
    session: &Session,
    plan: &Plan,
    (journal, records): (Journal, Vec<Record>),
    options: Options,
    direction: Direction,
    interactive: bool,
    out: &Output,
) -> Result<Conclusion, Error> {
    let aws = &session.aws;
    let (orgs, ct, sts) = clients(aws, plan);
    let live = Live::for_plan(&orgs, &ct, &sts, plan);
    // Commands in messages carry the flags that reach this organization.
    let next = Next::of_journal(
        &journal::fold(&records),
        &journal.path().display().to_string(),
        interactive,
    );
    let view = RunView::new(out, plan);
    // At the console gate on the sandbox, the last instruction is how to
    // play the step there: the person has no console to click.
    let on_sandbox = next.console_on_sandbox(matches!(direction, Direction::Rollback(_)));
    let report = |r: &Report| match (&on_sandbox, r.kind) {
        (Some(play), ReportKind::Waiting) if !r.instructions.is_empty() => {
            let mut r = r.clone();
            r.instructions.push(capitalized(play));
            view.report(&r)
        }
        _ => view.report(r),
    };
    // Ctrl-C and SIGTERM now stop at a checkpoint.
    let (stop, signals) = crate::interrupt::stop_at_checkpoint();
    let run = Run::new(live, plan, journal, records, options, &report, &stop);
    let outcome = match &direction {
        Direction::Forward => run.forward().await,
        Direction::Repair => run.repair_finished().await,
        Direction::Rollback(to) => run.rollback(to.as_deref()).await,
    };
    let outcome = match outcome {
        Ok(Outcome::Finished { .. }) => {
            let spinner = out.spinner("Reading the organization back");
            run.read_back(aws, &|m: &str| spinner.set(m), &|| spinner.clear())
                .await
        }
        other => other.map_err(Error::from),
    };
    drop(signals);
    view.finish();
    // The journal's lock is released here, before anything is printed.
    drop(run);
    conclusion::of(outcome?, &direction, plan, &next)
}

/// `text` with its first letter in upper case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The clients a run of `plan` reads and writes through.
fn clients<A: Apis>(aws: &A, plan: &Plan) -> (A::Organizations, A::ControlTower, A::Identity) {
    (
        aws.organizations(),
        aws.control_tower(&plan.home_region),
        aws.identity(),
    )
}

/// `status --journal FILE`: the journal, corrected by the live
/// organization unless `offline`.
pub async fn status(
    settings: &Settings,
    out: &Output,
    journal_path: &Path,
    offline: bool,
) -> Result<Exit, Error> {
    let (records, torn) = journal::read_with_tail(journal_path)?;
    if let Some(t) = torn {
        out.warn(&format!("journal {}: ignored {t}", journal_path.display()));
    }
    let (plan, plan_path) = journal_plan(journal_path, &records)?;
    let progress = journal::fold_read_from(&records, plan_path);
    let recorded = progress
        .started
        .as_ref()
        .map(|s| s.connection.clone())
        .unwrap_or_default();
    let mut s = status::status(
        &plan,
        &progress,
        &journal_path.display().to_string(),
        settings.terminals.stdin,
    );
    if !offline {
        match live_coverage(&status_settings(settings, &recorded), &plan, out).await {
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
        Format::Text | Format::Markdown => out.text(&render_status(&s, out)),
    }
    Ok(Exit::Ok)
}

/// The settings `status` reads the organization with: the connection flags
/// given, or else the ones the journal recorded (so that `ctmigrate status
/// --journal FILE` reaches the organization the apply changed, sandbox
/// included).
fn status_settings(settings: &Settings, recorded: &str) -> Settings {
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
    plan: &Plan,
    out: &Output,
) -> Result<super::coverage::Coverage, Error> {
    let session = Session::connect(settings, out).await?;
    let aws = &session.aws;
    let (orgs, ct, sts) = clients(aws, plan);
    let live = Live::for_plan(&orgs, &ct, &sts, plan);
    let spinner = out.spinner("Reading the organization");
    let found = super::coverage::read(&live, plan).await;
    spinner.finish();
    session.close().await;
    found.map_err(|e| Error::aws("reading the plan's targets", e))
}
