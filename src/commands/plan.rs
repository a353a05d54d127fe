//! `ctmigrate plan`: gather the inputs (answers file, then flags), validate
//! them before touching AWS, read the organization and the inference
//! profiles, build the plan, and write `<out>/<name>.plan.json` and `.md`
//! atomically, or nothing at all.

use crate::apply::archive::make_room_for_plan;
use crate::apply::history::urgent_line;
use crate::cli::PlanArgs;
use crate::error::{Error, ErrorKind, Exit};
use crate::output::{Format, Output, render_plan_summary};
use crate::plan::{self, PlanInputs, PlanRequest};
use crate::session::Session;
use crate::settings::Settings;

/// Reads the answers file, if any, then applies the flags on top.
pub fn gather_inputs(args: &PlanArgs) -> Result<PlanInputs, Error> {
    let mut inputs = match (&args.answers, &args.from_plan) {
        (Some(path), _) => plan::file::read_answers(path)?.0,
        (None, Some(path)) => {
            plan::file::read(path)
                .map_err(|e| {
                    Error::from(e).hint(format!(
                        "--from-plan takes a .plan.json that `ctmigrate plan` wrote, unchanged (`{}` is not one)",
                        path.display()
                    ))
                })?
                .inputs
        }
        (None, None) => PlanInputs::default(),
    };
    inputs
        .inference_profiles
        .extend(args.inference_profiles.iter().cloned());
    inputs.batch_inference |= args.batch_inference;
    inputs
        .guardrail_profiles
        .extend(args.guardrail_profiles.iter().cloned());
    inputs
        .data_automation_profiles
        .extend(args.data_automation_profiles.iter().cloned());
    inputs
        .permitted_accounts
        .extend(args.permitted_accounts.iter().cloned());
    if let Some(path) = &args.permitted_accounts_file {
        inputs
            .permitted_accounts
            .extend(plan::file::read_account_list(path)?);
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
    inputs.validate()?;
    Ok(inputs)
}

pub async fn run(settings: &Settings, args: &PlanArgs, out: &Output) -> Result<Exit, Error> {
    plan::file::check_name(&args.name)?;
    let inputs = gather_inputs(args)?;
    let created_at = settings.created_at()?;

    let session = Session::connect(settings, out).await?;
    let estate = session.read_estate(out, &inputs.source_regions).await;
    session.close().await;
    let crate::snapshot::Estate {
        snapshot,
        profiles,
        bedrock_use,
    } = estate?;
    let report = crate::detect::report(&snapshot, crate::detect::Quotas::default());
    if let Some(line) = urgent_line(&settings.connection.command(), &report, &args.out) {
        out.urgent(&line);
    }

    let plan = plan::build(PlanRequest {
        snapshot: &snapshot,
        profiles: &profiles,
        bedrock_use: &bedrock_use,
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

    let now = time::OffsetDateTime::now_utc();
    let interactive = settings.terminals.stdin;
    if let Some(kept) = make_room_for_plan(&args.out, &plan.name, interactive, now)? {
        out.status("Kept", &kept.said());
    }
    let (json_path, md_path) = plan::file::write(&plan, &args.out)?;

    match out.format {
        Format::Json => out.json(&plan),
        // -q: only the result, the plan file (`p=$(ctmigrate plan -q …)`).
        Format::Text | Format::Markdown if out.quiet => {
            out.text(&format!("{}\n", json_path.display()))
        }
        Format::Text | Format::Markdown => {
            out.text(&render_plan_summary(&plan, out, &json_path, &md_path))
        }
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
