//! AWS Region facts the planner and the policy proof need: the commercial
//! Regions (the destinations of `global.` inference profiles, and the columns
//! of the proof matrix), and what a Region name looks like.
//!
//! Data only; it must not call AWS.

/// The commercial (aws partition) Regions, as of 2026-11.
pub const COMMERCIAL_REGIONS: [&str; 34] = [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
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
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The value of `aws:RequestedRegion` on the Region-less leg of a global
/// cross-region inference call.
pub const UNSPECIFIED: &str = "unspecified";

/// Whether `name` has the shape of a Region name (`ap-northeast-1`).
pub fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].len() == 1
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
}

/// Whether `name` is a known commercial Region.
pub fn is_commercial(name: &str) -> bool {
    COMMERCIAL_REGIONS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        assert!(is_region_name("ap-northeast-1"));
        assert!(is_region_name("us-gov-west-1"));
        assert!(!is_region_name("us-east"));
        assert!(!is_region_name("US-EAST-1"));
        assert!(!is_region_name("us-east-12"));
        assert!(!is_region_name("tokyo"));
        for r in COMMERCIAL_REGIONS {
            assert!(is_region_name(r), "{r}");
        }
    }
}
