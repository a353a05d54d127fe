//! The guided session's flow: who ctmigrate is talking to, what was found,
//! which inference profiles and other Bedrock paths must work, who may use
//! them, the companion mode, the reviewed and proven plan exported, then apply now or later.
//! Every decision goes through the [`Prompter`] it is given (the terminal,
//! or an answers file), the narrative goes to [`Output`]; it changes
//! nothing itself (applying is the caller's, through `apply::launch`).

use std::path::{Path, PathBuf};

use super::{
    self as wizard, GLOBAL_EXPLANATION, Prompter, Recorder, account_choices, companion_modes,
    profile_choices,
};
use crate::apply::archive::make_room_for_plan;
use crate::detect::{DenyState, Quotas};
use crate::error::{Error, ErrorKind, Exit};
use crate::fs::write_atomically;
use crate::output::{Format, Output, Tone, render_plan_review};
use crate::paths::BedrockPath;
use crate::plan::{self, PlanInputs, PlanRequest};
use crate::session::Session;
use crate::settings::Settings;

/// How the questions ended.
pub enum Next {
    Done(Exit),
    /// Confirmed: apply the plan written here.
    Apply(PathBuf),
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
        Format::Text | Format::Markdown => out.narrate(&format!("{message}\n")),
    }
}

/// The profiles chosen for one path.
fn profiles_of(chosen: &[&wizard::PathChoice], path: BedrockPath) -> Vec<String> {
    chosen
        .iter()
        .filter(|c| c.path == path)
        .filter_map(|c| c.profile.clone())
        .collect()
}

/// Writes the answers file if asked to.
fn save_answers(
    save_to: Option<&Path>,
    recorder: &Recorder<Box<dyn Prompter>>,
    out: &Output,
) -> Result<(), Error> {
    if let Some(path) = save_to {
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

/// Asks through `p` from "who am I talking to" to an exported plan, then
/// whether to apply it now. `save_to`: where to write the answers.
pub async fn run(
    settings: &Settings,
    out: &Output,
    p: &mut Recorder<Box<dyn Prompter>>,
    save_to: Option<&Path>,
) -> Result<Next, Error> {
    let b = |x: &str| out.paint(Tone::Bold, x);
    // The narrative is for people: not with --quiet, not with --format json.
    let say = |t: &str| {
        if out.format == Format::Text && !out.quiet {
            out.narrate(t);
        }
    };
    say(&format!(
        "{}\nMoves the organization from the landing-zone region deny to CT.MULTISERVICE.PV.1,\nso that Bedrock cross-region inference works while everything else stays in\nthe governed Regions. Nothing changes until you choose to apply.\n\n",
        b("ctmigrate: the guided session")
    ));

    // 1. Who am I talking to.
    let session = Session::connect(settings, out).await?;
    let estate = session.read_estate(out, &[]).await;
    session.close().await;
    let crate::snapshot::Estate {
        snapshot,
        profiles,
        bedrock_use,
    } = estate?;
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
    say("\n");

    // 4. The other Bedrock paths that cross Regions.
    say(&format!(
        "{}\n",
        b("4. Which other Bedrock paths must work")
    ));
    let found = crate::paths::found::assess(
        &bedrock_use,
        &profiles,
        Some(lz.governed_regions.as_slice()),
        &snapshot.organization.management_account_id,
    );
    let path_offer = wizard::path_choices(&found, &lz.governed_regions);
    let paths = p.paths(&path_offer)?;
    let chosen_paths: Vec<&wizard::PathChoice> = path_offer
        .iter()
        .filter(|c| paths.contains(&c.key))
        .collect();
    say(&format!(
        "  model inference{}\n",
        chosen_paths
            .iter()
            .map(|c| format!(", {}", c.profile.as_deref().unwrap_or(c.path.name())))
            .collect::<String>()
    ));
    let mut blocked: Vec<(&str, &[String])> = choices
        .iter()
        .filter(|c| picked.contains(&c.id) && !c.blocked_today.is_empty())
        .map(|c| (c.id.as_str(), c.blocked_today.as_slice()))
        .collect();
    blocked.extend(
        chosen_paths
            .iter()
            .filter(|c| !c.blocked_today.is_empty())
            .filter_map(|c| Some((c.profile.as_deref()?, c.blocked_today.as_slice()))),
    );
    if blocked.is_empty() {
        finish(
            out,
            "nothing_to_migrate",
            "Every chosen profile reaches only governed Regions, so it works today: there is nothing to migrate.",
            None,
        );
        return Ok(Next::Done(Exit::Ok));
    }
    for (id, regions) in &blocked {
        say(&format!(
            "  {id} needs {} (blocked today)\n",
            regions.join(", ")
        ));
    }
    say("\n");

    // 5. Who may run inference outside the allowed Regions.
    say(&format!(
        "{}\n",
        b("5. Which accounts may run inference outside the allowed Regions")
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

    // 6. The companion SCP's mode.
    say(&format!("{}\n", b("6. The companion SCP")));
    let mode = p.companion_mode(&companion_modes())?;
    say(&format!("  {}\n\n", mode.as_str()));

    // 7. Review and export.
    let inputs = PlanInputs {
        inference_profiles: picked,
        allow_global,
        batch_inference: chosen_paths.iter().any(|c| c.path == BedrockPath::Batch),
        guardrail_profiles: profiles_of(&chosen_paths, BedrockPath::Guardrails),
        data_automation_profiles: profiles_of(&chosen_paths, BedrockPath::DataAutomation),
        permitted_accounts: accounts,
        companion_mode: mode,
        ..PlanInputs::default()
    }
    .normalised();
    inputs.validate()?;
    let created_at = settings.created_at()?;
    let build = |name: &str| {
        plan::build(PlanRequest {
            snapshot: &snapshot,
            profiles: &profiles,
            bedrock_use: &bedrock_use,
            inputs: inputs.clone(),
            name: name.to_string(),
            created_at: created_at.clone(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        })
    };
    let draft = build(&p.session.plan_name)?;
    say(&format!("{}\n", b("7. Review")));
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
    let (dir, plan) = loop {
        let (dir, name) = p.export("plans", &draft.name)?;
        plan::file::check_name(&name)?;
        let (json_path, _) = plan::file::paths(Path::new(&dir), &name);
        if json_path.exists() && !p.overwrite(&json_path.display().to_string())? {
            continue;
        }
        let now = time::OffsetDateTime::now_utc();
        // A plan whose apply is still going on is refused, with its commands.
        if let Some(kept) =
            make_room_for_plan(Path::new(&dir), &name, settings.terminals.stdin, now)?
        {
            say(&format!("Kept {}\n", kept.said()));
        }
        let plan = if name == draft.name {
            draft.clone()
        } else {
            build(&name)?
        };
        break (PathBuf::from(dir), plan);
    };
    let (json_path, md_path) = plan::file::write(&plan, &dir)?;
    say(&format!(
        "\nWrote {} and {}\n\n",
        json_path.display(),
        md_path.display()
    ));

    // 8. Apply now or later.
    say(&format!("{}\n", b("8. Apply")));
    let typed = p.apply_now(&plan.organization_id)?;
    save_answers(save_to, p, out)?;
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
    Ok(Next::Apply(json_path))
}
