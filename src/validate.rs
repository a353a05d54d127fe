//! `validate`: a saved plan file checked without changing anything. Offline:
//! it parses as a plan of this format version (the typed plan that
//! docs/plan.schema.json is generated from, unknown fields refused) and
//! matches its checksum. With the organization reachable: whether it is
//! the plan's organization, and whether the plan is stale, with what
//! changed and the command that plans again.
//!
//! It owns that verdict; it must not write, and it reads the organization
//! only through [`Session`].

use std::path::Path;

use serde::Serialize;

use crate::apply::preflight::{replan_command, stale};
use crate::error::{Error, ErrorKind};
use crate::output::Output;
use crate::plan;
use crate::session::Session;
use crate::settings::Settings;

/// What `validate` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub plan: String,
    pub name: String,
    pub organization_id: String,
    pub format_version: u32,
    pub checksum: String,
    pub applyable: bool,
    /// `None` with `--offline`; else whether the organization changed.
    pub stale: Option<bool>,
    /// What a plan made now would change, when stale.
    pub changes: Vec<String>,
    /// The command that plans again, when stale.
    pub replan: Option<String>,
}

/// Checks the plan at `path`; reads the organization unless `offline`.
/// A file that is not a valid plan, or a plan for another organization, is
/// an error; a stale plan is a finding in the result.
pub async fn validate(
    settings: &Settings,
    out: &Output,
    path: &Path,
    offline: bool,
) -> Result<Validation, Error> {
    let p = plan::file::read(path)?;
    let shown = path.display().to_string();
    let mut v = Validation {
        plan: shown.clone(),
        name: p.name.clone(),
        organization_id: p.organization_id.clone(),
        format_version: p.format_version,
        checksum: p.checksum.clone(),
        applyable: p.applyable,
        stale: None,
        changes: Vec::new(),
        replan: None,
    };
    if offline {
        return Ok(v);
    }
    let session = Session::connect(settings, out).await?;
    let estate = session.read_estate(out, &p.inputs.source_regions).await;
    session.close().await;
    let estate = estate?;
    if estate.snapshot.organization.id != p.organization_id {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "plan `{shown}` is for organization {}, but the credentials reach {}",
                p.organization_id, estate.snapshot.organization.id
            ),
        )
        .hint(
            "use credentials of the plan's management account, or --offline to check the file only",
        ));
    }
    let changes = stale(&p, &estate.snapshot, &estate.profiles);
    v.stale = Some(changes.is_some());
    if let Some(changes) = changes {
        v.changes = changes;
        v.replan = Some(replan_command(&p, &shown, &settings.connection.flags()));
    }
    Ok(v)
}
