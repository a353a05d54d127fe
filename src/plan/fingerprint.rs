//! The fingerprint of the organization state a plan was built from, and the
//! plan's own checksum. `apply` recomputes the fingerprint from the live
//! organization and refuses a stale plan when it differs.
//!
//! The fingerprint covers what the plan's correctness depends on: the OU tree,
//! where accounts are, SCP attachments and content hashes, enabled controls
//! with their parameters, the landing zone (version, status, governed
//! Regions) and the inference-profile destinations. It leaves out what does
//! not (the caller, timestamps, operation history).

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::{EnablementStatus, LandingZoneStatus};
use crate::snapshot::Snapshot;

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[derive(Serialize)]
struct Normalised<'a> {
    organization: &'a str,
    root: &'a str,
    root_policies: &'a [String],
    ous: Vec<(&'a str, &'a str, &'a str, bool, &'a [String])>,
    accounts: Vec<(&'a str, &'a str, &'a [String])>,
    policies: Vec<(&'a str, &'a str, String)>,
    // Statuses serialize as AWS spells them, as the strings they once were.
    enabled_controls: Vec<(&'a str, &'a str, &'a EnablementStatus, String)>,
    landing_zone: (&'a str, &'a str, &'a LandingZoneStatus, &'a [String]),
    profiles: BTreeMap<&'a str, Vec<(&'a str, &'a [String])>>,
}

/// The fingerprint of `snapshot` plus the profiles read per source Region.
pub fn fingerprint(snapshot: &Snapshot, profiles: &crate::snapshot::ProfilesByRegion) -> String {
    let n = Normalised {
        organization: &snapshot.organization.id,
        root: &snapshot.root.id,
        root_policies: &snapshot.root_policies,
        ous: snapshot
            .ous
            .iter()
            .map(|o| {
                (
                    o.id.as_str(),
                    o.parent_id.as_str(),
                    o.name.as_str(),
                    o.registered,
                    o.policies.as_slice(),
                )
            })
            .collect(),
        accounts: snapshot
            .accounts
            .iter()
            .map(|a| (a.id.as_str(), a.parent_id.as_str(), a.policies.as_slice()))
            .collect(),
        policies: snapshot
            .policies
            .iter()
            .map(|(id, p)| {
                (
                    id.as_str(),
                    p.summary.name.as_str(),
                    sha256_hex(p.content.as_bytes()),
                )
            })
            .collect(),
        enabled_controls: snapshot
            .enabled_controls
            .iter()
            .map(|c| {
                let mut params: Vec<(&str, String)> = c
                    .parameters
                    .iter()
                    .map(|p| (p.key.as_str(), p.value.to_string()))
                    .collect();
                params.sort();
                (
                    c.target.as_str(),
                    c.control_identifier.as_str(),
                    &c.status,
                    serde_json::to_string(&params).unwrap_or_default(),
                )
            })
            .collect(),
        landing_zone: (
            snapshot.landing_zone.arn.as_str(),
            snapshot.landing_zone.version.as_str(),
            &snapshot.landing_zone.status,
            snapshot.landing_zone.governed_regions.as_slice(),
        ),
        profiles: profiles
            .iter()
            .map(|(region, res)| {
                let list = match res {
                    // Application profiles route like the system profile
                    // they copy, which is in the list: creating one changes
                    // nothing a plan depends on.
                    Ok(list) => list
                        .iter()
                        .filter(|p| !p.is_application())
                        .map(|p| (p.id.as_str(), p.model_arns.as_slice()))
                        .collect(),
                    Err(_) => Vec::new(),
                };
                (region.as_str(), list)
            })
            .collect(),
    };
    // Serialising these plain tuples and vectors cannot fail.
    sha256_hex(&serde_json::to_vec(&n).unwrap_or_default())
}

/// The checksum of a plan: sha256 of its JSON with `checksum` set to "".
pub fn checksum(plan: &super::Plan) -> String {
    let mut copy = plan.clone();
    copy.checksum = String::new();
    sha256_hex(&serde_json::to_vec(&copy).unwrap_or_default())
}
