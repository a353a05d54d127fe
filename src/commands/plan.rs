//! `ctmigrate plan`: gather the inputs (answers file, then flags), validate
//! them before touching AWS, read the organization and the inference
//! profiles, build the plan, and write `<out>/<name>.plan.json` and `.md`
//! atomically, or nothing at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Session;
use crate::cli::PlanArgs;
use crate::error::{Error, ErrorKind, Exit};
use crate::output::{Format, Output, render_plan_summary};
use crate::plan::{self, PlanInputs, PlanRequest};
use crate::settings::Settings;

/// What an answers file holds, for error hints.
pub const ANSWERS_HINT: &str = "the answers file is a JSON object with the fields listed in docs/plan-format.md (inference_profiles, allow_global, permitted_accounts, companion_mode, exempt_actions, exempt_principals, accept_loosened, source_regions, scp_attachment_limit, scp_size_limit, and `session` for the guided session)";

fn invalid(message: String, hint: &str) -> Error {
    Error::new(ErrorKind::InvalidInput, message).hint(hint)
}

/// Reads the answers file, if any, then applies the flags on top.
pub fn gather_inputs(args: &PlanArgs) -> Result<PlanInputs, Error> {
    let mut inputs = match &args.answers {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                invalid(
                    format!("cannot read answers file `{}`: {e}", path.display()),
                    "check the path given to --answers",
                )
            })?;
            let (from_file, _session) = crate::plan::inputs::read_answers(&text).map_err(|e| {
                invalid(
                    format!("answers file `{}` is not valid: {e}", path.display()),
                    ANSWERS_HINT,
                )
            })?;
            from_file.validate_values().map_err(|e| {
                invalid(
                    format!(
                        "invalid input `{}` in answers file `{}`: {}",
                        e.field,
                        path.display(),
                        e.message
                    ),
                    &e.hint,
                )
            })?;
            from_file
        }
        None => match &args.from_plan {
            Some(path) => {
                super::simulate::load_plan(path)
                    .map_err(|e| {
                        let shown = path.display().to_string();
                        e.hint(format!(
                            "--from-plan takes a .plan.json that `ctmigrate plan` wrote, unchanged (`{shown}` is not one)"
                        ))
                    })?
                    .inputs
            }
            None => PlanInputs::default(),
        },
    };
    inputs
        .inference_profiles
        .extend(args.inference_profiles.iter().cloned());
    inputs
        .permitted_accounts
        .extend(args.permitted_accounts.iter().cloned());
    if let Some(path) = &args.permitted_accounts_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            invalid(
                format!(
                    "cannot read permitted accounts file `{}`: {e}",
                    path.display()
                ),
                "check the path given to --permitted-accounts-file",
            )
        })?;
        for line in text.lines() {
            let id = line.split('#').next().unwrap_or_default().trim();
            if !id.is_empty() {
                inputs.permitted_accounts.push(id.to_string());
            }
        }
    }
    inputs
        .exempt_actions
        .extend(args.exempt_actions.iter().cloned());
    if args.no_exempt_principals {
        inputs.exempt_principals = Some(Vec::new());
    } else if !args.exempt_principals.is_empty() {
        inputs
            .exempt_principals
            .get_or_insert_with(Vec::new)
            .extend(args.exempt_principals.iter().cloned());
    }
    inputs
        .accept_loosened
        .extend(args.accept_loosened.iter().cloned());
    inputs
        .source_regions
        .extend(args.source_regions.iter().cloned());
    inputs.allow_global |= args.allow_global;
    if let Some(m) = args.companion_mode {
        inputs.companion_mode = m;
    }
    if let Some(n) = args.scp_attachment_limit {
        inputs.scp_attachment_limit = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = args.scp_size_limit {
        inputs.scp_size_limit = usize::try_from(n).unwrap_or(usize::MAX);
    }
    let inputs = inputs.normalised();
    inputs.validate().map_err(|e| {
        invalid(
            format!("invalid input `{}`: {}", e.field, e.message),
            &e.hint,
        )
    })?;
    Ok(inputs)
}

pub fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(
            Error::new(ErrorKind::Usage, format!("invalid plan name `{name}`")).hint(
                "--name takes 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'",
            ),
        )
    }
}

/// RFC 3339 creation time: SOURCE_DATE_EPOCH when set (reproducible output), else now.
pub fn creation_time(settings: &Settings) -> Result<String, Error> {
    let t = settings
        .source_date
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot format the time: {e}")))
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |e: std::io::Error| {
        Error::new(
            ErrorKind::Internal,
            format!("cannot write `{}`: {e}", path.display()),
        )
        .hint("check that the --out directory is writable")
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

pub async fn run(settings: &Settings, args: &PlanArgs, out: &Output) -> Result<Exit, Error> {
    check_name(&args.name)?;
    let inputs = gather_inputs(args)?;
    let created_at = creation_time(settings)?;

    let session = Session::connect(settings, out).await?;
    let estate = session.read_estate(out, &inputs.source_regions).await;
    session.close().await;
    let (snapshot, profiles) = estate?;
    super::check::say_urgent(
        settings,
        &crate::detect::report(&snapshot, crate::detect::Quotas::default()),
        &args.out,
        out,
    );

    let plan = plan::build(PlanRequest {
        snapshot: &snapshot,
        profiles: &profiles,
        inputs,
        name: args.name.clone(),
        created_at,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    })?;

    if !plan.errors.is_empty() && !args.allow_errors {
        for w in &plan.warnings {
            out.warn(w);
        }
        let mut e = Error::new(
            ErrorKind::Aws,
            format!("the plan cannot be applied ({} problem(s)); nothing was written", plan.errors.len()),
        )
        .hint("fix the problems above and plan again, or pass --allow-errors to write the plan for review, marked not applyable");
        e.causes = plan.errors.clone();
        return Err(e);
    }

    let json_path: PathBuf = args.out.join(format!("{}.plan.json", args.name));
    let md_path: PathBuf = args.out.join(format!("{}.plan.md", args.name));
    let json = serde_json::to_string_pretty(&plan)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot encode the plan: {e}")))?;
    write_atomically(&json_path, (json + "\n").as_bytes())?;
    write_atomically(&md_path, plan::markdown(&plan).as_bytes())?;

    match out.format {
        Format::Json => out.json(&plan),
        Format::Text => out.text(&render_plan_summary(&plan, out, &json_path, &md_path)),
    }
    for w in &plan.warnings {
        out.warn(w);
    }
    let has_steps = plan.stages.iter().any(|s| !s.steps.is_empty());
    Ok(
        if args.detailed_exitcode && has_steps && plan.migration_needed {
            Exit::Changes
        } else {
            Exit::Ok
        },
    )
}
