//! The built-in catalog of cross-region inference geographies, used only when
//! Bedrock cannot be read (controltower.md §5.1, from the aws-cdk enum
//! `CrossRegionInferenceProfileRegion`). Live `ListInferenceProfiles` data is
//! always preferred: destinations are per profile, not per geography.

use crate::regions::{COMMERCIAL_REGIONS, UNSPECIFIED};

/// Candidate destination Regions of a geography prefix; `None` if unknown.
pub fn destinations(prefix: &str) -> Option<Vec<String>> {
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
