//! The documented destinations of guardrail profiles and data-automation
//! profiles. No API lists them (unlike inference profiles), so they are
//! kept here from the Bedrock User Guide's tables, each row marked as read
//! from the table (`documented`) or inferred (a source Region the table
//! names for the profile's geography without a row ctmigrate could read).
//! A plan names which it used.
//!
//! Also the geographies of cross-Region inference profiles, used only when
//! Bedrock cannot be read (controltower.md §5.1, from the aws-cdk enum
//! `CrossRegionInferenceProfileRegion`). Live `ListInferenceProfiles` data
//! is always preferred there: destinations are per profile, not per
//! geography.
//!
//! Sources:
//! - guardrail profiles: <https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-cross-region-support.html>
//! - data-automation profiles: <https://docs.aws.amazon.com/bedrock/latest/userguide/bda-cris.html>

use super::BedrockPath;
use crate::regions::{COMMERCIAL_REGIONS, UNSPECIFIED};

/// One row of a catalog: a profile id, the source Regions it can be called
/// from, and the Regions those send requests to.
struct Row {
    id: &'static str,
    sources: &'static [&'static str],
    destinations: &'static [&'static str],
    documented: bool,
}

const US_GUARDRAIL: &[&str] = &["us-east-1", "us-east-2", "us-west-2"];
const EU_GUARDRAIL: &[&str] = &["eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"];
const APAC_GUARDRAIL: &[&str] = &[
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
];

const GUARDRAIL_PROFILES: &[Row] = &[
    Row {
        id: "us.guardrail.v1:0",
        sources: &["us-east-1", "us-east-2", "us-west-2"],
        destinations: US_GUARDRAIL,
        documented: true,
    },
    Row {
        id: "us.guardrail.v1:0",
        sources: &["us-west-1"],
        destinations: &["us-east-1", "us-east-2", "us-west-1", "us-west-2"],
        documented: true,
    },
    Row {
        id: "us-gov.guardrail.v1:0",
        sources: &["us-gov-east-1", "us-gov-west-1"],
        destinations: &["us-gov-east-1", "us-gov-west-1"],
        documented: true,
    },
    Row {
        id: "eu.guardrail.v1:0",
        sources: &["eu-central-1", "eu-west-1"],
        destinations: EU_GUARDRAIL,
        documented: true,
    },
    Row {
        id: "eu.guardrail.v1:0",
        sources: &["eu-west-3", "eu-north-1"],
        destinations: EU_GUARDRAIL,
        documented: false,
    },
    Row {
        id: "apac.guardrail.v1:0",
        sources: APAC_GUARDRAIL,
        destinations: APAC_GUARDRAIL,
        documented: false,
    },
];

const US_DATA_AUTOMATION: &[&str] = &["us-east-1", "us-east-2", "us-west-1", "us-west-2"];
const EU_DATA_AUTOMATION: &[&str] = &[
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-3",
];
const APAC_DATA_AUTOMATION: &[&str] = &[
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-4",
];

const DATA_AUTOMATION_PROFILES: &[Row] = &[
    Row {
        id: "us.data-automation-v1",
        sources: &["us-east-1", "us-west-2"],
        destinations: US_DATA_AUTOMATION,
        documented: true,
    },
    Row {
        id: "eu.data-automation-v1",
        sources: &["eu-central-1", "eu-west-1"],
        destinations: EU_DATA_AUTOMATION,
        documented: true,
    },
    Row {
        id: "eu.data-automation-v1",
        sources: &["eu-west-2"],
        destinations: &["eu-west-2"],
        documented: true,
    },
    Row {
        id: "apac.data-automation-v1",
        sources: &["ap-south-1"],
        destinations: APAC_DATA_AUTOMATION,
        documented: true,
    },
    Row {
        id: "apac.data-automation-v1",
        sources: &["ap-southeast-2"],
        destinations: APAC_DATA_AUTOMATION,
        documented: false,
    },
];

fn rows(path: BedrockPath) -> &'static [Row] {
    match path {
        BedrockPath::Guardrails => GUARDRAIL_PROFILES,
        BedrockPath::DataAutomation => DATA_AUTOMATION_PROFILES,
        BedrockPath::Inference | BedrockPath::Batch => &[],
    }
}

/// Where a profile called from one source Region sends requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destinations {
    pub regions: Vec<String>,
    /// Read from the documented table (not inferred).
    pub documented: bool,
}

/// The destinations of profile `id` of `path` called from `source`; `None`
/// when the catalog does not list `id` with that source Region.
pub fn destinations(path: BedrockPath, id: &str, source: &str) -> Option<Destinations> {
    rows(path)
        .iter()
        .find(|r| r.id == id && r.sources.contains(&source))
        .map(|r| {
            let mut regions: Vec<String> = r.destinations.iter().map(|d| d.to_string()).collect();
            regions.sort();
            Destinations {
                regions,
                documented: r.documented,
            }
        })
}

/// The source Regions the catalog lists for profile `id` of `path`.
pub fn sources(path: BedrockPath, id: &str) -> Vec<String> {
    let mut out: Vec<String> = rows(path)
        .iter()
        .filter(|r| r.id == id)
        .flat_map(|r| r.sources.iter().map(|s| s.to_string()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The profile ids the catalog knows for `path`.
pub fn known(path: BedrockPath) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = rows(path).iter().map(|r| r.id).collect();
    out.dedup();
    out
}

/// The page the catalog of `path` was read from.
pub fn source_page(path: BedrockPath) -> &'static str {
    match path {
        BedrockPath::Guardrails => {
            "https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-cross-region-support.html"
        }
        _ => path.documentation(),
    }
}

/// Candidate destination Regions of a geography prefix; `None` if unknown.
pub fn geography_destinations(prefix: &str) -> Option<Vec<String>> {
    let list: Vec<&str> = match prefix {
        "us" => vec!["us-east-1", "us-east-2", "us-west-2"],
        "eu" => vec![
            "eu-central-1",
            "eu-west-1",
            "eu-west-3",
            "eu-west-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "eu-central-2",
        ],
        "apac" => vec![
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-7",
            "ap-east-2",
            "me-central-1",
        ],
        "jp" => vec!["ap-northeast-1", "ap-northeast-3"],
        "au" => vec!["ap-southeast-2", "ap-southeast-4"],
        "global" => {
            let mut all: Vec<&str> = COMMERCIAL_REGIONS.to_vec();
            all.push(UNSPECIFIED);
            all
        }
        _ => return None,
    };
    let mut out: Vec<String> = list.into_iter().map(str::to_string).collect();
    out.sort();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_us_guardrail_rows() {
        let d = destinations(BedrockPath::Guardrails, "us.guardrail.v1:0", "us-east-1").unwrap();
        assert_eq!(d.regions, ["us-east-1", "us-east-2", "us-west-2"]);
        assert!(d.documented);
        let d = destinations(BedrockPath::Guardrails, "us.guardrail.v1:0", "us-west-1").unwrap();
        assert_eq!(d.regions.len(), 4);
        assert!(destinations(BedrockPath::Guardrails, "us.guardrail.v1:0", "eu-west-1").is_none());
        assert!(
            !destinations(BedrockPath::Guardrails, "apac.guardrail.v1:0", "ap-south-1")
                .unwrap()
                .documented
        );
    }

    #[test]
    fn every_row_is_well_formed() {
        for path in [BedrockPath::Guardrails, BedrockPath::DataAutomation] {
            for r in rows(path) {
                let ok = match path {
                    BedrockPath::Guardrails => super::super::is_guardrail_profile_id(r.id),
                    _ => super::super::is_data_automation_profile_id(r.id),
                };
                assert!(ok, "{}", r.id);
                assert!(!r.sources.is_empty() && !r.destinations.is_empty());
                for region in r.sources.iter().chain(r.destinations) {
                    assert!(crate::regions::is_region_name(region), "{region}");
                }
            }
            // One row per (id, source).
            for (i, a) in rows(path).iter().enumerate() {
                for b in &rows(path)[i + 1..] {
                    assert!(
                        a.id != b.id || !a.sources.iter().any(|s| b.sources.contains(s)),
                        "{} listed twice",
                        a.id
                    );
                }
            }
        }
        assert_eq!(
            known(BedrockPath::DataAutomation),
            [
                "us.data-automation-v1",
                "eu.data-automation-v1",
                "apac.data-automation-v1"
            ]
        );
    }
}
