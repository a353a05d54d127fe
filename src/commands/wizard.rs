//! `ctmigrate` on a terminal (also `ctmigrate wizard`): the guided session
//! from "who am I talking to" to an exported plan and, if chosen, the staged
//! apply. Every decision goes through a [`Prompter`]: the terminal, or an
//! answers file (`--answers`); `--save-answers` records one.

use std::path::PathBuf;

use super::Session;
use super::plan::{ANSWERS_HINT, check_name, creation_time, write_atomically};
use crate::cli::{ApplyArgs, RunArgs, WizardArgs};
use crate::detect::{DenyState, Quotas};
use crate::error::{Error, ErrorKind, Exit};
use crate::output::{Format, Output, Terminal, Tone, render_plan_review};
use crate::plan::{self, PlanInputs, PlanRequest};
use crate::settings::Settings;
use crate::wizard::{
    self, GLOBAL_EXPLANATION, Prompter, Recorder, Replay, account_choices, companion_modes,
    profile_choices,
};

fn answers_error(path: &std::path::Path, why: String) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("answers file `{}` is not valid: {why}", path.display()),
    )
    .hint(ANSWERS_HINT)
}

pub async fn run(settings: &Settings, args: &WizardArgs, out: &Output) -> Result<Exit, Error> {
    let mut guard = None;
    let prompter: Box<dyn Prompter> = match &args.answers {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("cannot read answers file `{}`: {e}", path.display()),
                )
                .hint("check the path given to --answers")
            })?;
            let (inputs, session) =
                plan::inputs::read_answers(&text).map_err(|e| answers_error(path, e))?;
            inputs
                .validate_values()
                .map_err(|e| answers_error(path, format!("`{}`: {}", e.field, e.message)))?;
            Box::new(Replay {
                inputs,
                session: session.unwrap_or_default(),
            })
        }
        None if settings.interactive() => {
            guard = Some(crate::interrupt::session());
            Box::new(Terminal::new(out.color_err()))
        }
        None => {
            return Err(Error::new(
                ErrorKind::Usage,
                "the guided session needs a terminal, and there is none",
            )
            .hint("replay a session with `ctmigrate wizard --answers FILE` (docs/wizard.md), plan with flags (`ctmigrate plan --inference-profile us ...`), or see `ctmigrate --help`"));
        }
    };
    let mut recorder = Recorder::new(prompter);
    let next = session(settings, args, out, &mut recorder).await;
    // From here on, Ctrl-C is apply's: stop at a checkpoint.
    drop(guard);
    match next? {
        Next::Done(exit) => Ok(exit),
        Next::Apply(apply) => super::apply::apply(settings, &apply, out).await,
    }
}

/// How the questions ended.
enum Next {
    Done(Exit),
    /// Confirmed: apply this.
    Apply(ApplyArgs),
}

/// How the session ended, as a line for people or one JSON object.
fn finish(out: &Output, outcome: &str, message: &str, plan: Option<(&PathBuf, &PathBuf, &str)>) {
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "outcome": outcome,
            "message": message,
            "plan": plan.map(|p| p.0.display().to_string()),
            "markdown": plan.map(|p| p.1.display().to_string()),
            "apply_command": plan.map(|p| p.2),
        })),
        Format::Text => out.text(&format!("{message}\n")),
    }
}

/// Writes the answers file if asked to.
fn save_answers(
    args: &WizardArgs,
    recorder: &Recorder<Box<dyn Prompter>>,
    out: &Output,
) -> Result<(), Error> {
    if let Some(path) = &args.save_answers {
        write_atomically(path, recorder.answers_json()?.as_bytes())?;
        out.status(
            "Saved",
            &format!(
                "the answers to {} (replay: ctmigrate wizard --answers {0}; plan: ctmigrate plan --answers {0})",
                path.display()
            ),
        );
    }
    Ok(())
}

async fn session(
    settings: &Settings,
    args: &WizardArgs,
    out: &Output,
    p: &mut Recorder<Box<dyn Prompter>>,
) -> Result<Next, Error> {
    let b = |x: &str| out.paint(Tone::Bold, x);
    // The narrative is for people: not with --quiet, not with --format json.
    let say = |t: &str| {
        if out.format == Format::Text && !out.quiet {
            out.text(t);
        }
    };
    say(&format!(
        "{}\nMoves the organization from the landing-zone region deny to CT.MULTISERVICE.PV.1 so that\nBedrock cross-region inference works while everything else stays in the governed Regions.\nNothing changes until you choose to apply.\n\n",
        b("ctmigrate: the guided session")
    ));

    // 1. Who am I talking to.
    let session = Session::connect(settings, out).await?;
    let estate = session.read_estate(out, &[]).await;
    session.close().await;
    let (snapshot, profiles) = estate?;
    let lz = &snapshot.landing_zone;
    say(&format!(
        "{}\n  caller        {}\n  organization  {} (management account {})\n  landing zone  {} {}, home Region {}\n\n",
        b("1. Who am I talking to"),
        snapshot.caller.arn,
        snapshot.organization.id,
        snapshot.organization.management_account_id,
        lz.version,
        lz.status,
        lz.home_region
    ));
    if snapshot.caller.account != snapshot.organization.management_account_id {
        return Err(Error::new(
            ErrorKind::Permission,
            format!(
                "the caller is in account {}, not the management account {}: SCPs and Control Tower are managed from there",
                snapshot.caller.account, snapshot.organization.management_account_id
            ),
        )
        .hint("sign in to the management account (--profile NAME) and run `ctmigrate` again"));
    }

    // 2. What was found.
    let report = crate::detect::report(&snapshot, Quotas::default());
    let registered: Vec<&str> = report
        .first_tier_ous
        .iter()
        .filter(|o| o.registered)
        .map(|o| o.name.as_str())
        .collect();
    say(&format!(
        "{}\n  landing-zone region deny  {}\n  governed Regions          {}\n  registered first-tier OUs {} ({})\n  CT.MULTISERVICE.PV.1      on {} OU(s)\n\n",
        b("2. What was found"),
        match report.region_deny.state {
            DenyState::On => "on".to_string(),
            DenyState::Off => "off".to_string(),
            DenyState::Partial => "on some OUs only".to_string(),
            DenyState::Inconsistent => "inconsistent (see `ctmigrate detect`)".to_string(),
        },
        lz.governed_regions.join(", "),
        registered.len(),
        registered.join(", "),
        report.pv1.enablements.len()
    ));
    if report.region_deny.state == DenyState::Off {
        finish(
            out,
            "nothing_to_migrate",
            "The landing-zone region deny is already off: there is nothing to migrate.\nRun `ctmigrate detect` for the details, or `ctmigrate explain` on an AccessDenied text.",
            None,
        );
        return Ok(Next::Done(Exit::Ok));
    }

    // 3. Which inference profiles must work.
    let choices = profile_choices(&profiles, &lz.governed_regions);
    if choices.is_empty() {
        let mut e = Error::new(
            ErrorKind::Aws,
            "no inference profile could be read in the governed Regions",
        )
        .hint("give the caller bedrock:ListInferenceProfiles, or plan from the built-in catalog: ctmigrate plan --inference-profile GEO");
        e.causes = profiles
            .iter()
            .filter_map(|(r, res)| res.as_ref().err().map(|why| format!("{r}: {why}")))
            .collect();
        return Err(e);
    }
    say(&format!("{}\n", b("3. Which inference profiles must work")));
    let mut picked = p.profiles(&choices)?;
    let mut allow_global = false;
    // Global routing: a `global.` profile, or an application profile copied from one.
    let routes_globally = |id: &String| {
        choices.iter().any(|c| {
            c.id == *id
                && c.destinations
                    .iter()
                    .any(|d| d == crate::regions::UNSPECIFIED)
        })
    };
    if picked.iter().any(routes_globally) {
        allow_global = p.allow_global(GLOBAL_EXPLANATION)?;
        if !allow_global {
            picked.retain(|id| !routes_globally(id));
            out.warn("the global. profiles were left out");
            if picked.is_empty() {
                finish(
                    out,
                    "no_profile_left",
                    "No profile is left to plan for: nothing was planned or changed.",
                    None,
                );
                return Ok(Next::Done(Exit::Ok));
            }
        }
    }
    let blocked: Vec<&wizard::ProfileChoice> = choices
        .iter()
        .filter(|c| picked.contains(&c.id) && !c.blocked_today.is_empty())
        .collect();
    if blocked.is_empty() {
        finish(
            out,
            "nothing_to_migrate",
            "Every chosen profile reaches only governed Regions, so it works today: there is nothing to migrate.",
            None,
        );
        return Ok(Next::Done(Exit::Ok));
    }
    for c in &blocked {
        say(&format!(
            "  {} needs {} (blocked today)\n",
            c.id,
            c.blocked_today.join(", ")
        ));
    }
    say("\n");

    // 4. Who may run inference outside the allowed Regions.
    say(&format!(
        "{}\n",
        b("4. Which accounts may run inference outside the allowed Regions")
    ));
    let accounts = p.permitted_accounts(&account_choices(&snapshot))?;
    say(&format!(
        "  {}\n\n",
        if accounts.is_empty() {
            "none".to_string()
        } else {
            accounts.join(", ")
        }
    ));

    // 5. The companion SCP's mode.
    say(&format!("{}\n", b("5. The companion SCP")));
    let mode = p.companion_mode(&companion_modes())?;
    say(&format!("  {}\n\n", mode.as_str()));

    // 6. Review and export.
    let inputs = PlanInputs {
        inference_profiles: picked,
        allow_global,
        permitted_accounts: accounts,
        companion_mode: mode,
        ..PlanInputs::default()
    }
    .normalised();
    inputs.validate().map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("invalid choice `{}`: {}", e.field, e.message),
        )
        .hint(e.hint)
    })?;
    let created_at = creation_time(settings)?;
    let build = |name: &str| {
        plan::build(PlanRequest {
            snapshot: &snapshot,
            profiles: &profiles,
            inputs: inputs.clone(),
            name: name.to_string(),
            created_at: created_at.clone(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        })
    };
    let draft = build(&p.session.plan_name)?;
    say(&format!("{}\n", b("6. Review")));
    say(&render_plan_review(&draft, out));
    for w in &draft.warnings {
        out.warn(w);
    }
    if !draft.errors.is_empty() {
        let mut e = Error::new(
            ErrorKind::Aws,
            format!(
                "the plan cannot be applied ({} problem(s)); nothing was written",
                draft.errors.len()
            ),
        )
        .hint("fix the problems above (or choose differently) and run the session again");
        e.causes = draft.errors.clone();
        return Err(e);
    }
    let (json_path, md_path, plan) = loop {
        let (dir, name) = p.export("plans", &draft.name)?;
        check_name(&name)?;
        let json_path = PathBuf::from(&dir).join(format!("{name}.plan.json"));
        let md_path = PathBuf::from(&dir).join(format!("{name}.plan.md"));
        if json_path.exists() && !p.overwrite(&json_path.display().to_string())? {
            continue;
        }
        let plan = if name == draft.name {
            draft.clone()
        } else {
            build(&name)?
        };
        break (json_path, md_path, plan);
    };
    let json = serde_json::to_string_pretty(&plan)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot encode the plan: {e}")))?;
    write_atomically(&json_path, (json + "\n").as_bytes())?;
    write_atomically(&md_path, plan::markdown(&plan).as_bytes())?;
    say(&format!(
        "\nWrote {} and {}\n\n",
        json_path.display(),
        md_path.display()
    ));

    // 7. Apply now or later.
    say(&format!("{}\n", b("7. Apply")));
    let typed = p.apply_now(&plan.organization_id)?;
    save_answers(args, p, out)?;
    let flags = settings.connection.flags();
    let Some(typed) = typed else {
        let command = format!("ctmigrate{flags} apply --plan {}", json_path.display());
        finish(
            out,
            "planned",
            &format!(
                "When your change window opens, run:\n  {command}\n(add --window-end TIME to keep every stage inside the window; the console step is a gate either way)"
            ),
            Some((&json_path, &md_path, &command)),
        );
        return Ok(Next::Done(Exit::Ok));
    };
    if typed != plan.organization_id {
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "`{typed}` is not the organization id {}: not confirmed, nothing was changed",
                plan.organization_id
            ),
        )
        .hint(format!(
            "apply later with: ctmigrate{flags} apply --plan {}",
            json_path.display()
        )));
    }
    Ok(Next::Apply(ApplyArgs {
        plan: json_path,
        journal: None,
        run: RunArgs {
            yes: true,
            max_concurrency: args.max_concurrency,
            wait_for_console: None,
            window_end: None,
            window: None,
            force_unlock: false,
        },
    }))
}
