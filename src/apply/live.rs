//! Targeted reads of the live organization for apply: a policy by name, the
//! SCPs on a target and their statement Sids, PV.1 on a target, the landing
//! zone, and each [`Expectation`] of a plan step checked against them.
//! Every read retries transient failures ([`retry`]), honouring the
//! service's `Retry-After`.
//!
//! It reads only: it must not change anything, decide what to run, or print.

use std::future::Future;

use serde_json::Value;

use crate::aws::{AwsError, ControlTower, EnabledControlQuery, Identity, Organizations};
use crate::model::{
    ControlParameter, EnabledControl, EnablementStatus, LandingZoneStatus, OperationStatus, Policy,
    PolicySummary,
};
use crate::plan::Expectation;
use crate::plan::sha256_hex;

/// Attempts for one read (each already retried by the SDK's own policy).
const READ_ATTEMPTS: u32 = 8;
/// Attempts when nothing answers at all (refused, reset, timed out): a few
/// seconds bridge a blip; longer only delays the message that the endpoint
/// is gone (the journal keeps everything for `resume`).
const UNREACHABLE_ATTEMPTS: u32 = 4;

pub use crate::aws::backoff;

/// Runs `call` until it succeeds, fails for good, or runs out of attempts.
pub async fn retry<T, F, Fut>(mut call: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e)
                if e.is_transient()
                    && attempt
                        < if e.is_unreachable() {
                            UNREACHABLE_ATTEMPTS
                        } else {
                            READ_ATTEMPTS
                        } =>
            {
                tokio::time::sleep(backoff(attempt, e.retry_after_secs)).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Parameters as a comparable value: keys sorted, string lists sorted.
pub fn normalise_parameters(params: &Value) -> Value {
    let mut items: Vec<(String, Value)> = params
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let key = p.get("key")?.as_str()?.to_string();
                    let mut value = p.get("value").cloned().unwrap_or(Value::Null);
                    if let Some(list) = value.as_array_mut() {
                        list.sort_by_key(|v| v.to_string());
                    }
                    Some((key, value))
                })
                .collect()
        })
        .unwrap_or_default();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(
        items
            .into_iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
            .collect(),
    )
}

/// Plan-style parameters (`[{key, value}]`) as the adapter's type.
pub fn control_parameters(params: &Value) -> Vec<ControlParameter> {
    params
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some(ControlParameter {
                        key: p.get("key")?.as_str()?.to_string(),
                        value: p.get("value").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The adapter's parameters as plan-style JSON.
pub fn parameters_json(params: &[ControlParameter]) -> Value {
    Value::Array(
        params
            .iter()
            .map(|p| serde_json::json!({"key": p.key, "value": p.value}))
            .collect(),
    )
}

/// Reads for one apply run.
pub struct Live<'a, O, C, I> {
    pub orgs: &'a O,
    pub ct: &'a C,
    pub sts: &'a I,
    /// Both identifier forms of PV.1.
    pub pv1_ids: [String; 2],
    pub landing_zone_arn: String,
}

impl<'a, O: Organizations + Sync, C: ControlTower + Sync, I: Identity + Sync> Live<'a, O, C, I> {
    /// Reads for the organization and landing zone of `plan`.
    pub fn for_plan(orgs: &'a O, ct: &'a C, sts: &'a I, plan: &crate::plan::Plan) -> Self {
        Live {
            orgs,
            ct,
            sts,
            pv1_ids: [
                plan.pv1.control_identifier.clone(),
                plan.pv1.regional_identifier.clone(),
            ],
            landing_zone_arn: plan.landing_zone_arn.clone(),
        }
    }

    pub async fn policy_by_name(&self, name: &str) -> Result<Option<Policy>, AwsError> {
        let all = retry(|| self.orgs.list_policies()).await?;
        match all.into_iter().find(|p| p.name == name) {
            Some(p) => Ok(Some(retry(|| self.orgs.describe_policy(&p.id)).await?)),
            None => Ok(None),
        }
    }

    /// The policy's tags as key → value.
    pub async fn tags(
        &self,
        id: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
        Ok(retry(|| self.orgs.list_tags(id))
            .await?
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect())
    }

    pub async fn policy(&self, id: &str) -> Result<Option<Policy>, AwsError> {
        match retry(|| self.orgs.describe_policy(id)).await {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.is("PolicyNotFoundException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn attached(&self, target: &str) -> Result<Vec<PolicySummary>, AwsError> {
        retry(|| self.orgs.list_policies_for_target(target)).await
    }

    /// Sids of every statement in the SCPs attached directly to `target`.
    pub async fn sids_on(&self, target: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        for p in self.attached(target).await? {
            let full = retry(|| self.orgs.describe_policy(&p.id)).await?;
            out.extend(crate::policy::read::statement_sids(&full.content));
        }
        Ok(out)
    }

    /// PV.1 enabled on the OU with this ARN, with its parameters.
    pub async fn pv1_on(&self, target_arn: &str) -> Result<Option<EnabledControl>, AwsError> {
        let list = retry(|| {
            self.ct.list_enabled_controls(EnabledControlQuery {
                target: Some(target_arn),
                control: None,
                include_children: false,
            })
        })
        .await?;
        let Some(found) = list
            .into_iter()
            .find(|c| self.pv1_ids.contains(&c.control_identifier))
        else {
            return Ok(None);
        };
        Ok(Some(
            retry(|| self.ct.get_enabled_control(&found.arn)).await?,
        ))
    }

    /// An enabled control's tags as key → value.
    pub async fn control_tags(
        &self,
        arn: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
        retry(|| self.ct.list_tags_for_resource(arn)).await
    }

    pub async fn enabled_control(&self, arn: &str) -> Result<Option<EnabledControl>, AwsError> {
        match retry(|| self.ct.get_enabled_control(arn)).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.is("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether the landing-zone region deny covers `ou_id`: a `GRREGIONDENY`
    /// statement in an SCP attached to it.
    pub async fn region_deny_on(&self, ou_id: &str) -> Result<bool, AwsError> {
        Ok(self
            .sids_on(ou_id)
            .await?
            .iter()
            .any(|s| s == crate::plan::pv1::GRREGIONDENY_SID))
    }

    pub async fn landing_zone_status(&self) -> Result<LandingZoneStatus, AwsError> {
        Ok(retry(|| self.ct.get_landing_zone(&self.landing_zone_arn))
            .await?
            .status)
    }

    /// Checks one expectation: `None` when it holds, else what was observed.
    /// `targets` are the plan's first-tier OU ids (for the region-deny checks).
    pub async fn check(
        &self,
        e: &Expectation,
        targets: &[String],
    ) -> Result<Option<String>, AwsError> {
        match e {
            Expectation::CallerIsManagementAccount { account } => {
                let me = retry(|| self.sts.caller_identity()).await?;
                if &me.account == account {
                    Ok(None)
                } else {
                    Ok(Some(format!(
                        "the caller is account {}, not the management account {account}",
                        me.account
                    )))
                }
            }
            Expectation::LandingZoneActive { .. } => {
                let status = self.landing_zone_status().await?;
                if status == LandingZoneStatus::Active {
                    Ok(None)
                } else {
                    Ok(Some(format!("the landing zone is {status}, not ACTIVE")))
                }
            }
            // Checked by the command before the journal is opened.
            Expectation::FingerprintUnchanged { .. } => Ok(None),
            Expectation::NoControlOperationInProgress => {
                let ops = retry(|| {
                    self.ct
                        .list_control_operations(Some(OperationStatus::InProgress))
                })
                .await?;
                match ops.first() {
                    None => Ok(None),
                    Some(op) => Ok(Some(format!(
                        "control operation {} ({}) is in progress on {}",
                        op.id,
                        op.kind,
                        op.target.as_deref().unwrap_or("an unknown target")
                    ))),
                }
            }
            Expectation::ScpSlotsAvailable {
                target,
                needed,
                limit,
            } => {
                let used = self.attached(target).await?.len();
                if used + needed <= *limit {
                    Ok(None)
                } else {
                    Ok(Some(format!(
                        "{target} has {used} SCPs attached; {needed} more would exceed the limit of {limit}"
                    )))
                }
            }
            Expectation::PolicyAbsent { name } => match self.policy_by_name(name).await? {
                None => Ok(None),
                Some(p) => Ok(Some(format!(
                    "a policy named {name} exists ({})",
                    p.summary.id
                ))),
            },
            Expectation::PolicyContent { name, sha256 } => match self.policy_by_name(name).await? {
                None => Ok(Some(format!("no policy is named {name}"))),
                Some(p) if &sha256_hex(p.content.as_bytes()) == sha256 => Ok(None),
                Some(p) => Ok(Some(format!(
                    "policy {name} ({}) has other content than planned",
                    p.summary.id
                ))),
            },
            Expectation::ControlNotEnabled { target, .. } => match self.pv1_on(target).await? {
                None => Ok(None),
                Some(c) => Ok(Some(format!(
                    "CT.MULTISERVICE.PV.1 is already enabled on {target} ({}, {})",
                    c.arn, c.status
                ))),
            },
            Expectation::ControlEnabled {
                target, parameters, ..
            } => match self.pv1_on(target).await? {
                None => Ok(Some(format!(
                    "CT.MULTISERVICE.PV.1 is not enabled on {target}"
                ))),
                Some(c) if c.status != EnablementStatus::Succeeded => Ok(Some(format!(
                    "CT.MULTISERVICE.PV.1 on {target} is {}, not SUCCEEDED",
                    c.status
                ))),
                Some(c)
                    if normalise_parameters(&parameters_json(&c.parameters))
                        != normalise_parameters(parameters) =>
                {
                    Ok(Some(format!(
                        "CT.MULTISERVICE.PV.1 on {target} has parameters {}, not the planned {}",
                        parameters_json(&c.parameters),
                        parameters
                    )))
                }
                Some(_) => Ok(None),
            },
            Expectation::PolicyAttached { name, target } => {
                if self.attached(target).await?.iter().any(|p| &p.name == name) {
                    Ok(None)
                } else {
                    Ok(Some(format!("{name} is not attached to {target}")))
                }
            }
            Expectation::PolicyNotAttached { name, target } => {
                if self.attached(target).await?.iter().any(|p| &p.name == name) {
                    Ok(Some(format!("{name} is attached to {target}")))
                } else {
                    Ok(None)
                }
            }
            Expectation::StatementPresent { target, sid } => {
                if self.sids_on(target).await?.contains(sid) {
                    Ok(None)
                } else {
                    Ok(Some(format!(
                        "no SCP attached to {target} has a {sid} statement"
                    )))
                }
            }
            Expectation::StatementAbsent { target, sid } => {
                if self.sids_on(target).await?.contains(sid) {
                    Ok(Some(format!(
                        "an SCP attached to {target} still has a {sid} statement"
                    )))
                } else {
                    Ok(None)
                }
            }
            Expectation::LandingZoneRegionDenyOn | Expectation::LandingZoneRegionDenyOff => {
                let want_on = matches!(e, Expectation::LandingZoneRegionDenyOn);
                for t in targets {
                    if self.region_deny_on(t).await? != want_on {
                        return Ok(Some(format!(
                            "the landing-zone region deny is {} on {t}",
                            if want_on { "off" } else { "still on" }
                        )));
                    }
                }
                Ok(None)
            }
        }
    }

    /// Checks every expectation; the first one that does not hold.
    pub async fn check_all(
        &self,
        expectations: &[Expectation],
        targets: &[String],
    ) -> Result<Option<String>, AwsError> {
        for e in expectations {
            if let Some(why) = self.check(e, targets).await? {
                return Ok(Some(why));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_compare_regardless_of_order() {
        let a = json!([{"key": "ExemptedActions", "value": ["b", "a"]}, {"key": "AllowedRegions", "value": ["us-east-1"]}]);
        let b = json!([{"key": "AllowedRegions", "value": ["us-east-1"]}, {"key": "ExemptedActions", "value": ["a", "b"]}]);
        assert_eq!(normalise_parameters(&a), normalise_parameters(&b));
        let c = json!([{"key": "AllowedRegions", "value": ["us-east-2"]}]);
        assert_ne!(normalise_parameters(&a), normalise_parameters(&c));
    }
}
