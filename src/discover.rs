//! Discovery: reads one organization through the AWS traits into a
//! [`Snapshot`]. Read-only by construction (it only calls read operations).
//!
//! It also enforces the preconditions every command shares and explains them
//! when they fail: credentials that work, an organization, the management
//! account, a Control Tower landing zone reachable in its home Region. It
//! must not decide anything about the migration (that is `detect` and `plan`).

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::{
    Apis, Bedrock, ControlCatalog as _, ControlTower as _, EnabledControlQuery, Identity as _,
    Organizations as _,
};
use crate::error::{Error, ErrorKind};
use crate::model::*;
use crate::snapshot::ProfilesByRegion;
use crate::snapshot::*;

/// Reads the organization. `progress` receives a short line per phase.
pub async fn discover<A: Apis>(
    apis: &A,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Snapshot, Error> {
    progress("Identifying the caller");
    let caller = apis
        .identity()
        .caller_identity()
        .await
        .map_err(|e| Error::aws("identifying the caller (sts:GetCallerIdentity)", e))?;

    progress("Reading the organization");
    let orgs = apis.organizations();
    let organization = orgs.describe_organization().await.map_err(|e| {
        if e.is("AWSOrganizationsNotInUseException") {
            Error::new(
                ErrorKind::Config,
                format!("account {} is not a member of an AWS organization", caller.account),
            )
            .cause(e.to_string())
            .hint("ctmigrate works on an organization with AWS Control Tower: use credentials of its management account")
        } else {
            Error::aws("reading the organization (organizations:DescribeOrganization)", e)
        }
    })?;
    if caller.account != organization.management_account_id {
        return Err(Error::new(
            ErrorKind::Permission,
            format!(
                "account {} is a member account of {}, not its management account {}",
                caller.account, organization.id, organization.management_account_id
            ),
        )
        .cause(format!("caller: {}", caller.arn))
        .hint(format!(
            "run ctmigrate with credentials of the management account {} (Control Tower's region deny and SCPs are managed there)",
            organization.management_account_id
        )));
    }

    progress("Finding the Control Tower landing zone");
    let region = apis.configured_region().to_string();
    let lz_arns = apis
        .control_tower(&region)
        .list_landing_zones()
        .await
        .map_err(|e| {
            Error::aws(
                &format!("listing landing zones in {region} (controltower:ListLandingZones)"),
                e,
            )
        })?;
    let Some(lz_arn) = lz_arns.into_iter().next() else {
        return Err(Error::new(
            ErrorKind::Config,
            format!("no AWS Control Tower landing zone found in {region}"),
        )
        .hint(format!(
            "Control Tower is called in its home Region: if your landing zone's home Region is not {region}, pass --region HOME_REGION; if the organization has no landing zone, ctmigrate has nothing to migrate"
        )));
    };
    let home = arn_region(&lz_arn)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Aws,
                format!("the landing zone ARN `{lz_arn}` names no Region"),
            )
        })?
        .to_string();
    let ct = apis.control_tower(&home);
    let landing_zone = ct
        .get_landing_zone(&lz_arn)
        .await
        .map_err(|e| Error::aws("reading the landing zone (controltower:GetLandingZone)", e))?;
    let mut landing_zone_operations = ct
        .list_landing_zone_operations()
        .await
        .map_err(|e| Error::aws("listing landing-zone operations", e))?;
    landing_zone_operations.sort_by(|a, b| a.id.cmp(&b.id));

    progress("Resolving CT.MULTISERVICE.PV.1 in the Control Catalog");
    let pv1 = match apis.control_catalog().list_scp_controls().await {
        Ok(controls) => match controls
            .iter()
            .find(|c| c.aliases.iter().any(|a| a == PV1_ALIAS))
        {
            Some(c) => Pv1Identifiers {
                catalog_arn: c.arn.clone(),
                regional_arn: format!("arn:aws:controltower:{home}::control/{PV1_REGIONAL_ID}"),
                resolved_from: "control-catalog".into(),
            },
            None => fallback_pv1(&home),
        },
        Err(_) => fallback_pv1(&home),
    };

    progress("Walking the OU tree");
    let roots = orgs
        .list_roots()
        .await
        .map_err(|e| Error::aws("listing roots (organizations:ListRoots)", e))?;
    let root = roots
        .into_iter()
        .next()
        .ok_or_else(|| Error::new(ErrorKind::Aws, "the organization has no root"))?;
    let mut ous: Vec<OuNode> = Vec::new();
    let mut accounts: Vec<AccountNode> = Vec::new();
    let mut frontier: Vec<(String, usize, String)> = vec![(root.id.clone(), 0, String::new())];
    while let Some((parent, depth, path)) = frontier.pop() {
        let mut children = orgs
            .list_organizational_units(&parent)
            .await
            .map_err(|e| Error::aws(&format!("listing OUs under {parent}"), e))?;
        children.sort_by(|a, b| a.name.cmp(&b.name));
        for ou in children {
            let child_path = if path.is_empty() {
                ou.name.clone()
            } else {
                format!("{path}/{}", ou.name)
            };
            frontier.push((ou.id.clone(), depth + 1, child_path.clone()));
            ous.push(OuNode {
                id: ou.id,
                arn: ou.arn,
                name: ou.name,
                parent_id: parent.clone(),
                depth: depth + 1,
                path: child_path,
                registered: false,
                policies: Vec::new(),
            });
        }
        for a in orgs
            .list_accounts_for_parent(&parent)
            .await
            .map_err(|e| Error::aws(&format!("listing accounts under {parent}"), e))?
        {
            accounts.push(AccountNode {
                id: a.id,
                arn: a.arn,
                name: a.name,
                email: a.email,
                status: a.status,
                parent_id: parent.clone(),
                policies: Vec::new(),
            });
        }
    }
    ous.sort_by(|a, b| (a.depth, &a.path).cmp(&(b.depth, &b.path)));
    accounts.sort_by(|a, b| a.id.cmp(&b.id));

    progress("Reading service control policies");
    let mut policy_ids: BTreeSet<String> = BTreeSet::new();
    let mut attached = |list: Vec<PolicySummary>| -> Vec<String> {
        let mut ids: Vec<String> = list.into_iter().map(|p| p.id).collect();
        ids.sort();
        policy_ids.extend(ids.iter().cloned());
        ids
    };
    let root_list = orgs
        .list_policies_for_target(&root.id)
        .await
        .map_err(|e| Error::aws("listing SCPs on the root", e))?;
    let root_policies = attached(root_list);
    for ou in ous.iter_mut() {
        let list = orgs
            .list_policies_for_target(&ou.id)
            .await
            .map_err(|e| Error::aws(&format!("listing SCPs on OU {} ({})", ou.name, ou.id), e))?;
        ou.policies = attached(list);
    }
    for a in accounts.iter_mut() {
        let list = orgs
            .list_policies_for_target(&a.id)
            .await
            .map_err(|e| Error::aws(&format!("listing SCPs on account {}", a.id), e))?;
        a.policies = attached(list);
    }
    // Every SCP in the organization, attached or not (an unattached companion
    // SCP from an interrupted apply must be found again).
    for p in orgs
        .list_policies()
        .await
        .map_err(|e| Error::aws("listing SCPs (organizations:ListPolicies)", e))?
    {
        policy_ids.insert(p.id);
    }
    let mut policies = BTreeMap::new();
    for id in policy_ids {
        let p = orgs
            .describe_policy(&id)
            .await
            .map_err(|e| Error::aws(&format!("reading SCP {id}"), e))?;
        policies.insert(id, p);
    }

    progress("Reading Control Tower baselines and controls");
    let mut baselines = ct.list_enabled_baselines(true).await.map_err(|e| {
        Error::aws(
            "listing enabled baselines (controltower:ListEnabledBaselines)",
            e,
        )
    })?;
    baselines.sort_by(|a, b| a.arn.cmp(&b.arn));
    let registered: BTreeSet<&str> = baselines
        .iter()
        .filter(|b| b.baseline_identifier.ends_with(CONTROL_TOWER_BASELINE_ID))
        .map(|b| b.target.as_str())
        .collect();
    for ou in ous.iter_mut() {
        ou.registered = registered.contains(ou.arn.as_str());
    }
    let mut enabled_controls = Vec::new();
    for ou in ous.iter().filter(|o| o.registered) {
        let list = ct
            .list_enabled_controls(EnabledControlQuery {
                target: Some(&ou.arn),
                control: None,
                include_children: false,
            })
            .await
            .map_err(|e| {
                Error::aws(
                    &format!("listing enabled controls on {} ({})", ou.name, ou.id),
                    e,
                )
            })?;
        for c in list {
            if pv1.matches(&c.control_identifier) {
                let detailed = ct.get_enabled_control(&c.arn).await.map_err(|e| {
                    Error::aws(&format!("reading PV.1 parameters on {}", ou.name), e)
                })?;
                enabled_controls.push(detailed);
            } else {
                enabled_controls.push(c);
            }
        }
    }
    enabled_controls.sort_by(|a, b| {
        (&a.target, &a.control_identifier).cmp(&(&b.target, &b.control_identifier))
    });
    let mut control_operations_in_progress = ct
        .list_control_operations(Some(OperationStatus::InProgress))
        .await
        .map_err(|e| Error::aws("listing control operations in progress", e))?;
    control_operations_in_progress.sort_by(|a, b| a.id.cmp(&b.id));

    Ok(Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        caller,
        organization,
        root,
        root_policies,
        ous,
        accounts,
        policies,
        landing_zone,
        landing_zone_operations,
        baselines,
        enabled_controls,
        control_operations_in_progress,
        pv1,
    })
}

fn fallback_pv1(home: &str) -> Pv1Identifiers {
    Pv1Identifiers {
        catalog_arn: PV1_CATALOG_FALLBACK.into(),
        regional_arn: format!("arn:aws:controltower:{home}::control/{PV1_REGIONAL_ID}"),
        resolved_from: "built-in".into(),
    }
}

/// Reads the system-defined inference profiles in each Region; a Region that
/// cannot be read is reported with its error instead of failing the whole read.
pub async fn inference_profiles<A: Apis>(apis: &A, regions: &[String]) -> ProfilesByRegion {
    let mut out = BTreeMap::new();
    for r in regions {
        let res = apis
            .bedrock(r)
            .list_inference_profiles()
            .await
            .map(|mut list| {
                list.sort_by(|a, b| a.id.cmp(&b.id));
                list
            })
            .map_err(|e| e.to_string());
        out.insert(r.clone(), res);
    }
    out
}

/// Reads, per Region, the guardrails, the enforced guardrails and the batch
/// jobs one account shows through `client` (a Bedrock client per Region);
/// each list that cannot be read keeps its error text, and the rest are
/// still read.
async fn account_use<B: Bedrock>(clients: Vec<(String, B)>) -> UseByRegion {
    let mut out = BTreeMap::new();
    for (r, client) in clients {
        let guardrails = client.list_guardrails().await.map(|mut list| {
            list.sort_by(|a, b| a.arn.cmp(&b.arn));
            list
        });
        let enforced = client.list_enforced_guardrails().await.map(|mut list| {
            list.sort_by(|a, b| a.config_id.cmp(&b.config_id));
            list
        });
        let jobs = client.list_batch_jobs().await.map(|mut list| {
            list.sort_by(|a, b| a.arn.cmp(&b.arn));
            list
        });
        out.insert(
            r,
            BedrockUse {
                guardrails: guardrails.map_err(|e| e.to_string()),
                enforced_guardrails: enforced.map_err(|e| e.to_string()),
                batch_jobs: jobs.map_err(|e| e.to_string()),
            },
        );
    }
    out
}

/// Member accounts read at once.
const MEMBER_READS_AT_ONCE: usize = 8;

/// The Bedrock paths in use: the caller's account in `regions`, and with
/// `member_role`, each of `members` through `arn:PARTITION:iam::ACCOUNT:role/ROLE`
/// (an account whose role cannot be assumed keeps that error in every list).
pub async fn bedrock_use<A: Apis>(
    apis: &A,
    regions: &[String],
    caller: &CallerIdentity,
    members: &[String],
    member_role: Option<&str>,
) -> UseByAccount {
    use futures_util::StreamExt as _;
    let own = regions
        .iter()
        .map(|r| (r.clone(), apis.bedrock(r)))
        .collect();
    let mut out = BTreeMap::new();
    out.insert(caller.account.clone(), account_use(own).await);
    let Some(role) = member_role else {
        return out;
    };
    let partition = caller.arn.split(':').nth(1).unwrap_or("aws").to_string();
    let reads = futures_util::stream::iter(members.iter().filter(|m| **m != caller.account))
        .map(|account| {
            let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
            async move {
                let read = match apis
                    .identity()
                    .assume_role(&role_arn, "ctmigrate-read")
                    .await
                {
                    Ok(creds) => {
                        account_use(
                            regions
                                .iter()
                                .map(|r| (r.clone(), apis.bedrock_as(r, &creds)))
                                .collect(),
                        )
                        .await
                    }
                    Err(e) => {
                        let why = format!("cannot assume {role_arn}: {e}");
                        regions
                            .iter()
                            .map(|r| {
                                (
                                    r.clone(),
                                    BedrockUse {
                                        guardrails: Err(why.clone()),
                                        enforced_guardrails: Err(why.clone()),
                                        batch_jobs: Err(why.clone()),
                                    },
                                )
                            })
                            .collect()
                    }
                };
                (account.clone(), read)
            }
        })
        .buffer_unordered(MEMBER_READS_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    out.extend(reads);
    out
}
