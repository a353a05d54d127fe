//! The one part of [`crate::iam`] that reads AWS: the inference profile a
//! Bedrock caller's policy is for, read live in its source Region (the same
//! `ListInferenceProfiles` read the plan uses), or taken from the built-in
//! catalog of geographies when Bedrock cannot be read, with the plan's
//! warning. It decides nothing about the policy itself ([`super::caller`]).

use super::caller::CallerProfile;
use crate::error::{Error, ErrorKind};
use crate::output::Output;
use crate::paths::catalog;
use crate::session::Session;
use crate::settings::Settings;

/// The profile `id` as called from `source_region` (default: the Region
/// the connection resolved), with a warning when it came from the catalog.
pub async fn caller_profile(
    settings: &Settings,
    out: &Output,
    id: &str,
    source_region: Option<&str>,
) -> Result<(CallerProfile, Option<String>), Error> {
    let Some((geo, model)) = id.split_once('.') else {
        return Err(not_a_profile(id));
    };
    let Some(catalog_destinations) = catalog::geography_destinations(geo) else {
        return Err(not_a_profile(id));
    };
    if let Some(r) = source_region
        && !crate::regions::is_region_name(r)
    {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("--source-region `{r}` is not a Region name"),
        )
        .hint("write it like --source-region us-east-1"));
    }
    let session = Session::connect(settings, out).await?;
    let source = source_region
        .map(str::to_string)
        .unwrap_or_else(|| session.aws.region().to_string());
    let read =
        crate::discover::inference_profiles(&session.aws, std::slice::from_ref(&source)).await;
    session.close().await;
    match read.get(&source) {
        Some(Ok(list)) => match list.iter().find(|p| p.id == id) {
            Some(p) => Ok((
                CallerProfile {
                    id: id.to_string(),
                    source_region: source,
                    model_arns: p.model_arns.clone(),
                },
                None,
            )),
            None => {
                let mut same_geo: Vec<&str> = list
                    .iter()
                    .filter(|p| p.id.starts_with(&format!("{geo}.")))
                    .map(|p| p.id.as_str())
                    .collect();
                same_geo.truncate(8);
                Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("inference profile `{id}` is not offered in {source}"),
                )
                .hint(if same_geo.is_empty() {
                    format!(
                        "call it from a Region of its geography with --source-region (one of {})",
                        catalog_destinations.join(", ")
                    )
                } else {
                    format!(
                        "{source} offers {}; or give its source Region with --source-region",
                        same_geo.join(", ")
                    )
                }))
            }
        },
        other => {
            let why = match other {
                Some(Err(e)) => e.clone(),
                _ => "not read".to_string(),
            };
            let model_arns = if geo == "global" {
                vec![
                    format!("arn:aws:bedrock:{source}::foundation-model/{model}"),
                    format!("arn:aws:bedrock:::foundation-model/{model}"),
                ]
            } else {
                catalog_destinations
                    .iter()
                    .map(|r| format!("arn:aws:bedrock:{r}::foundation-model/{model}"))
                    .collect()
            };
            Ok((
                CallerProfile {
                    id: id.to_string(),
                    source_region: source.clone(),
                    model_arns,
                },
                Some(format!(
                    "Bedrock could not be read in {source} ({why}): destinations come from the built-in catalog of geographies, which may be incomplete; run again with bedrock:ListInferenceProfiles permission"
                )),
            ))
        }
    }
}

fn not_a_profile(id: &str) -> Error {
    Error::new(
        ErrorKind::Usage,
        format!("`{id}` is not a system-defined inference profile id"),
    )
    .hint("give one like us.anthropic.claude-sonnet-4-5-20250929-v1:0 (geography `us`, `eu`, `apac`, `jp`, `au`, `global`, …, then the model id); `ctmigrate detect` lists the profiles offered")
}
