//! Every decision of the guided session goes through [`Prompter`]: the
//! terminal one asks a person (in `output::prompt`), [`Replay`] answers from
//! an answers file, and [`Recorder`] keeps what was decided so that
//! `--save-answers` can write the same file back. It must not print or call AWS.

use crate::error::{Error, ErrorKind};
use crate::plan::CompanionMode;
use crate::plan::inputs::{ApplyWhen, SessionChoices};

/// One inference profile offered for selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChoice {
    pub id: String,
    /// `us`, `eu`, `apac`, `jp`, `au`, `ca`, `global`, `app` (an
    /// application profile, whose `id` is its ARN), or `other`.
    pub geography: String,
    pub source_regions: Vec<String>,
    pub destinations: Vec<String>,
    /// Destinations the landing-zone region deny blocks today.
    pub blocked_today: Vec<String>,
}

/// One Bedrock path beyond model inference offered for selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathChoice {
    /// `batch`, `guardrails:ID` or `data-automation:ID`.
    pub key: String,
    pub path: crate::paths::BedrockPath,
    /// The guardrail or data-automation profile, for those paths.
    pub profile: Option<String>,
    /// What was found that uses it, and whether that works today.
    pub found: Option<String>,
    /// Chosen unless the person says otherwise: something found uses it.
    pub preselected: bool,
    /// For a profile: its destinations the landing-zone deny blocks today
    /// (from the documented catalog, called from the governed Regions).
    pub blocked_today: Vec<String>,
}

/// One account offered for selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChoice {
    pub id: String,
    pub name: String,
    /// The OU path (`Workloads/Dev`), or `(root)`.
    pub ou_path: String,
}

/// The questions of the session, in order.
pub trait Prompter {
    /// Which inference profiles must work. Returns profile ids.
    fn profiles(&mut self, choices: &[ProfileChoice]) -> Result<Vec<String>, Error>;
    /// Which Bedrock paths beyond model inference must work. Returns
    /// [`PathChoice::key`]s.
    fn paths(&mut self, choices: &[PathChoice]) -> Result<Vec<String>, Error>;
    /// `global.` profiles were chosen: accept `unspecified`?
    fn allow_global(&mut self, explanation: &str) -> Result<bool, Error>;
    /// Which accounts may run inference outside the allowed Regions.
    fn permitted_accounts(&mut self, choices: &[AccountChoice]) -> Result<Vec<String>, Error>;
    /// How the companion SCP decides.
    fn companion_mode(&mut self, modes: &[(CompanionMode, &str)]) -> Result<CompanionMode, Error>;
    /// Where to export the plan: (directory, name).
    fn export(&mut self, dir: &str, name: &str) -> Result<(String, String), Error>;
    /// A plan file of that name exists: overwrite it?
    fn overwrite(&mut self, path: &str) -> Result<bool, Error>;
    /// Apply now (returns the organization id typed as the confirmation) or later.
    fn apply_now(&mut self, organization_id: &str) -> Result<Option<String>, Error>;
    /// Before `apply`, `resume` or `rollback` changes the organization
    /// (`summary` says what will happen): returns what the person typed as
    /// the organization id.
    fn confirm_change(&mut self, summary: &str, organization_id: &str) -> Result<String, Error>;
}

impl<P: Prompter + ?Sized> Prompter for Box<P> {
    fn profiles(&mut self, choices: &[ProfileChoice]) -> Result<Vec<String>, Error> {
        (**self).profiles(choices)
    }
    fn allow_global(&mut self, explanation: &str) -> Result<bool, Error> {
        (**self).allow_global(explanation)
    }
    fn paths(&mut self, choices: &[PathChoice]) -> Result<Vec<String>, Error> {
        (**self).paths(choices)
    }
    fn permitted_accounts(&mut self, choices: &[AccountChoice]) -> Result<Vec<String>, Error> {
        (**self).permitted_accounts(choices)
    }
    fn companion_mode(&mut self, modes: &[(CompanionMode, &str)]) -> Result<CompanionMode, Error> {
        (**self).companion_mode(modes)
    }
    fn export(&mut self, dir: &str, name: &str) -> Result<(String, String), Error> {
        (**self).export(dir, name)
    }
    fn overwrite(&mut self, path: &str) -> Result<bool, Error> {
        (**self).overwrite(path)
    }
    fn apply_now(&mut self, organization_id: &str) -> Result<Option<String>, Error> {
        (**self).apply_now(organization_id)
    }
    fn confirm_change(&mut self, summary: &str, organization_id: &str) -> Result<String, Error> {
        (**self).confirm_change(summary, organization_id)
    }
}

fn answers_error(field: &str, message: String) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("answers file, `{field}`: {message}"),
    )
    .hint(
        "fix the answers file (docs/wizard.md lists its fields), or run the session on a terminal",
    )
}

/// Answers from an answers file, checked against what the session offers.
pub struct Replay {
    pub inputs: crate::plan::PlanInputs,
    pub session: SessionChoices,
}

impl Prompter for Replay {
    fn profiles(&mut self, choices: &[ProfileChoice]) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        for wanted in &self.inputs.inference_profiles {
            let matching: Vec<&ProfileChoice> = choices
                .iter()
                .filter(|c| c.id == *wanted || c.geography == *wanted)
                .collect();
            if matching.is_empty() {
                return Err(answers_error(
                    "inference_profiles",
                    format!(
                        "`{wanted}` is none of the profiles found ({})",
                        choices
                            .iter()
                            .map(|c| c.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            out.extend(matching.into_iter().map(|c| c.id.clone()));
        }
        out.dedup();
        Ok(out)
    }

    fn allow_global(&mut self, _explanation: &str) -> Result<bool, Error> {
        Ok(self.inputs.allow_global)
    }

    fn paths(&mut self, choices: &[PathChoice]) -> Result<Vec<String>, Error> {
        let mut wanted: Vec<(String, &str)> = Vec::new();
        if self.inputs.batch_inference {
            wanted.push(("batch".into(), "batch_inference"));
        }
        for g in &self.inputs.guardrail_profiles {
            wanted.push((format!("guardrails:{g}"), "guardrail_profiles"));
        }
        for d in &self.inputs.data_automation_profiles {
            wanted.push((format!("data-automation:{d}"), "data_automation_profiles"));
        }
        for (key, field) in &wanted {
            if !choices.iter().any(|c| c.key == *key) {
                return Err(answers_error(
                    field,
                    format!(
                        "`{}` is not offered here (offered: {})",
                        key.split_once(':').map_or(key.as_str(), |(_, id)| id),
                        choices
                            .iter()
                            .map(|c| c.profile.as_deref().unwrap_or(c.key.as_str()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        Ok(wanted.into_iter().map(|(k, _)| k).collect())
    }

    fn permitted_accounts(&mut self, choices: &[AccountChoice]) -> Result<Vec<String>, Error> {
        for id in &self.inputs.permitted_accounts {
            if !choices.iter().any(|c| c.id == *id) {
                return Err(answers_error(
                    "permitted_accounts",
                    format!("account {id} is not in the organization"),
                ));
            }
        }
        Ok(self.inputs.permitted_accounts.clone())
    }

    fn companion_mode(&mut self, _modes: &[(CompanionMode, &str)]) -> Result<CompanionMode, Error> {
        Ok(self.inputs.companion_mode)
    }

    fn export(&mut self, _dir: &str, _name: &str) -> Result<(String, String), Error> {
        Ok((
            self.session.plan_dir.clone(),
            self.session.plan_name.clone(),
        ))
    }

    fn overwrite(&mut self, _path: &str) -> Result<bool, Error> {
        // A replay writes where it is told, as `plan` does.
        Ok(true)
    }

    fn apply_now(&mut self, organization_id: &str) -> Result<Option<String>, Error> {
        match self.session.apply {
            ApplyWhen::Later => Ok(None),
            ApplyWhen::Now => match &self.session.confirm_organization {
                Some(typed) => Ok(Some(typed.clone())),
                None => Err(answers_error(
                    "session.confirm_organization",
                    format!(
                        "`apply: now` needs the organization id ({organization_id}) as the confirmation"
                    ),
                )),
            },
        }
    }

    fn confirm_change(&mut self, _summary: &str, _organization_id: &str) -> Result<String, Error> {
        Err(Error::new(
            ErrorKind::Usage,
            "an answers file does not confirm a change to the organization",
        )
        .hint("review the plan's Markdown, then pass --yes"))
    }
}

/// Wraps a prompter and keeps every answer, for `--save-answers`.
pub struct Recorder<P> {
    pub inner: P,
    pub inputs: crate::plan::PlanInputs,
    pub session: SessionChoices,
}

impl<P: Prompter> Recorder<P> {
    pub fn new(inner: P) -> Recorder<P> {
        Recorder {
            inner,
            inputs: crate::plan::PlanInputs::default(),
            session: SessionChoices::default(),
        }
    }

    /// The answers file: the plan inputs plus `session`.
    pub fn answers_json(&self) -> Result<String, Error> {
        let mut v = serde_json::to_value(&self.inputs)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot encode answers: {e}")))?;
        if let Some(map) = v.as_object_mut() {
            let session = serde_json::to_value(&self.session).map_err(|e| {
                Error::new(ErrorKind::Internal, format!("cannot encode answers: {e}"))
            })?;
            map.insert("session".into(), session);
        }
        serde_json::to_string_pretty(&v)
            .map(|s| s + "\n")
            .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot encode answers: {e}")))
    }
}

impl<P: Prompter> Prompter for Recorder<P> {
    fn profiles(&mut self, choices: &[ProfileChoice]) -> Result<Vec<String>, Error> {
        let r = self.inner.profiles(choices)?;
        self.inputs.inference_profiles = r.clone();
        Ok(r)
    }

    fn allow_global(&mut self, explanation: &str) -> Result<bool, Error> {
        let r = self.inner.allow_global(explanation)?;
        self.inputs.allow_global = r;
        Ok(r)
    }

    fn paths(&mut self, choices: &[PathChoice]) -> Result<Vec<String>, Error> {
        let r = self.inner.paths(choices)?;
        let profiles = |prefix: &str| -> Vec<String> {
            r.iter()
                .filter_map(|k| k.strip_prefix(prefix))
                .map(str::to_string)
                .collect()
        };
        self.inputs.batch_inference = r.iter().any(|k| k == "batch");
        self.inputs.guardrail_profiles = profiles("guardrails:");
        self.inputs.data_automation_profiles = profiles("data-automation:");
        Ok(r)
    }

    fn permitted_accounts(&mut self, choices: &[AccountChoice]) -> Result<Vec<String>, Error> {
        let r = self.inner.permitted_accounts(choices)?;
        self.inputs.permitted_accounts = r.clone();
        Ok(r)
    }

    fn companion_mode(&mut self, modes: &[(CompanionMode, &str)]) -> Result<CompanionMode, Error> {
        let r = self.inner.companion_mode(modes)?;
        self.inputs.companion_mode = r;
        Ok(r)
    }

    fn export(&mut self, dir: &str, name: &str) -> Result<(String, String), Error> {
        let r = self.inner.export(dir, name)?;
        self.session.plan_dir = r.0.clone();
        self.session.plan_name = r.1.clone();
        Ok(r)
    }

    fn overwrite(&mut self, path: &str) -> Result<bool, Error> {
        self.inner.overwrite(path)
    }

    fn apply_now(&mut self, organization_id: &str) -> Result<Option<String>, Error> {
        let r = self.inner.apply_now(organization_id)?;
        self.session.apply = if r.is_some() {
            ApplyWhen::Now
        } else {
            ApplyWhen::Later
        };
        self.session.confirm_organization = r.clone();
        Ok(r)
    }

    fn confirm_change(&mut self, summary: &str, organization_id: &str) -> Result<String, Error> {
        self.inner.confirm_change(summary, organization_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> Vec<ProfileChoice> {
        ["us.a", "us.b", "jp.a", "global.a"]
            .iter()
            .map(|id| ProfileChoice {
                id: id.to_string(),
                geography: id.split('.').next().unwrap_or_default().to_string(),
                source_regions: vec![],
                destinations: vec![],
                blocked_today: vec![],
            })
            .collect()
    }

    #[test]
    fn replay_expands_geographies_and_refuses_unknown_profiles() {
        let mut r = Replay {
            inputs: crate::plan::PlanInputs {
                inference_profiles: vec!["us".into(), "jp.a".into()],
                ..Default::default()
            },
            session: SessionChoices::default(),
        };
        assert_eq!(r.profiles(&choices()).unwrap(), ["us.a", "us.b", "jp.a"]);
        r.inputs.inference_profiles = vec!["eu".into()];
        let e = r.profiles(&choices()).unwrap_err();
        assert!(
            e.message.contains("`eu` is none of the profiles found"),
            "{}",
            e.message
        );
        assert_eq!(r.apply_now("o-1").unwrap(), None);
        r.session.apply = ApplyWhen::Now;
        assert!(r.apply_now("o-1").is_err());
    }

    #[test]
    fn the_recorder_writes_an_answers_file_that_plan_reads_back() {
        let mut rec = Recorder::new(Replay {
            inputs: crate::plan::PlanInputs {
                inference_profiles: vec!["us".into()],
                permitted_accounts: vec![],
                companion_mode: CompanionMode::Profiles,
                ..Default::default()
            },
            session: SessionChoices {
                plan_name: "x".into(),
                ..Default::default()
            },
        });
        rec.profiles(&choices()).unwrap();
        rec.companion_mode(&[]).unwrap();
        rec.export("plans", "migration").unwrap();
        rec.apply_now("o-1").unwrap();
        let text = rec.answers_json().unwrap();
        let (inputs, session) = crate::plan::inputs::read_answers(&text).unwrap();
        assert_eq!(inputs.inference_profiles, ["us.a", "us.b"]);
        assert_eq!(inputs.companion_mode, CompanionMode::Profiles);
        let session = session.unwrap();
        assert_eq!(session.plan_name, "x");
        assert_eq!(session.apply, ApplyWhen::Later);
    }
}
