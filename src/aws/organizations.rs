//! AWS Organizations over aws-sdk-organizations. List calls follow every
//! `NextToken` through the SDK paginators.

use aws_sdk_organizations::types::{self as sdk, PolicyType, PolicyTypeStatus};

use super::paginate::{items, pages, sent};
use super::{AwsError, Organizations};
use crate::model::*;

const SERVICE: &str = "organizations";

pub struct SdkOrganizations {
    client: aws_sdk_organizations::Client,
}

impl SdkOrganizations {
    pub fn new(config: &aws_config::SdkConfig) -> SdkOrganizations {
        SdkOrganizations {
            client: aws_sdk_organizations::Client::from_conf(
                aws_sdk_organizations::config::Builder::from(config)
                    .interceptor(super::calls::Counter {
                        service: "organizations",
                    })
                    .build(),
            ),
        }
    }
}

fn s(v: Option<&str>) -> String {
    v.unwrap_or_default().to_string()
}

fn summary(p: &sdk::PolicySummary) -> PolicySummary {
    PolicySummary {
        id: s(p.id()),
        arn: s(p.arn()),
        name: s(p.name()),
        description: s(p.description()),
        aws_managed: p.aws_managed(),
    }
}

fn policy(p: Option<&sdk::Policy>) -> Policy {
    Policy {
        summary: p
            .and_then(|p| p.policy_summary())
            .map(summary)
            .unwrap_or(PolicySummary {
                id: String::new(),
                arn: String::new(),
                name: String::new(),
                description: String::new(),
                aws_managed: false,
            }),
        content: s(p.and_then(|p| p.content())),
    }
}

fn scp_enabled(types: &[sdk::PolicyTypeSummary]) -> bool {
    types.iter().any(|t| {
        t.r#type() == Some(&PolicyType::ServiceControlPolicy)
            && t.status() == Some(&PolicyTypeStatus::Enabled)
    })
}

/// Adds Organizations' `Reason` (e.g. MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED) to the message.
fn with_reason(mut err: AwsError, reason: Option<String>) -> AwsError {
    if let (Some(r), super::AwsErrorKind::Service { message, .. }) = (reason, &mut err.kind) {
        message.push_str(&format!(" (Reason: {r})"));
    }
    err
}

impl Organizations for SdkOrganizations {
    async fn describe_organization(&self) -> Result<Organization, AwsError> {
        let out = sent!(
            SERVICE,
            "DescribeOrganization",
            self.client.describe_organization()
        );
        let o = out.organization();
        Ok(Organization {
            id: s(o.and_then(|o| o.id())),
            arn: s(o.and_then(|o| o.arn())),
            management_account_id: s(o.and_then(|o| o.master_account_id())),
            feature_set: o
                .and_then(|o| o.feature_set())
                .map(|f| f.as_str().to_string())
                .unwrap_or_default(),
            scp_enabled: o.is_some_and(|o| scp_enabled(o.available_policy_types())),
        })
    }

    async fn list_roots(&self) -> Result<Vec<Root>, AwsError> {
        let roots = pages!(SERVICE, "ListRoots", self.client.list_roots(), roots);
        Ok(roots
            .iter()
            .map(|r| Root {
                id: s(r.id()),
                arn: s(r.arn()),
                name: s(r.name()),
                scp_enabled: scp_enabled(r.policy_types()),
            })
            .collect())
    }

    async fn list_organizational_units(&self, parent: &str) -> Result<Vec<OrgUnit>, AwsError> {
        let ous = pages!(
            SERVICE,
            "ListOrganizationalUnitsForParent",
            self.client
                .list_organizational_units_for_parent()
                .parent_id(parent),
            organizational_units
        );
        Ok(ous
            .iter()
            .map(|o| OrgUnit {
                id: s(o.id()),
                arn: s(o.arn()),
                name: s(o.name()),
            })
            .collect())
    }

    async fn list_accounts_for_parent(&self, parent: &str) -> Result<Vec<Account>, AwsError> {
        let accounts = pages!(
            SERVICE,
            "ListAccountsForParent",
            self.client.list_accounts_for_parent().parent_id(parent),
            accounts
        );
        Ok(accounts
            .iter()
            .map(|a| Account {
                id: s(a.id()),
                arn: s(a.arn()),
                name: s(a.name()),
                email: s(a.email()),
                status: a
                    .status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
            })
            .collect())
    }

    async fn list_policies(&self) -> Result<Vec<PolicySummary>, AwsError> {
        let list = pages!(
            SERVICE,
            "ListPolicies",
            self.client
                .list_policies()
                .filter(sdk::PolicyType::ServiceControlPolicy),
            policies
        );
        Ok(list.iter().map(summary).collect())
    }

    async fn list_policies_for_target(&self, target: &str) -> Result<Vec<PolicySummary>, AwsError> {
        let list = pages!(
            SERVICE,
            "ListPoliciesForTarget",
            self.client
                .list_policies_for_target()
                .target_id(target)
                .filter(sdk::PolicyType::ServiceControlPolicy),
            policies
        );
        Ok(list.iter().map(summary).collect())
    }

    async fn list_targets_for_policy(&self, policy: &str) -> Result<Vec<String>, AwsError> {
        let list = pages!(
            SERVICE,
            "ListTargetsForPolicy",
            self.client.list_targets_for_policy().policy_id(policy),
            targets
        );
        Ok(list.iter().map(|t| s(t.target_id())).collect())
    }

    async fn describe_policy(&self, id: &str) -> Result<Policy, AwsError> {
        let out = sent!(
            SERVICE,
            "DescribePolicy",
            self.client.describe_policy().policy_id(id)
        );
        Ok(policy(out.policy()))
    }

    async fn create_policy(
        &self,
        name: &str,
        description: &str,
        content: &str,
        tags: &[Tag],
    ) -> Result<Policy, AwsError> {
        let mut req = self
            .client
            .create_policy()
            .name(name)
            .description(description)
            .content(content)
            .r#type(sdk::PolicyType::ServiceControlPolicy);
        for t in tags {
            let tag = sdk::Tag::builder()
                .key(&t.key)
                .value(&t.value)
                .build()
                .map_err(|e| AwsError {
                    service: SERVICE,
                    operation: "CreatePolicy",
                    kind: super::AwsErrorKind::Other(e.to_string()),
                    retry_after_secs: None,
                })?;
            req = req.tags(tag);
        }
        let out = req
            .send()
            .await
            .map_err(|e| {
                let reason = match e.as_service_error() {
                    Some(aws_sdk_organizations::operation::create_policy::CreatePolicyError::ConstraintViolationException(c)) => {
                        c.reason().map(|r| r.as_str().to_string())
                    }
                    _ => None,
                };
                with_reason(AwsError::from_sdk(SERVICE, "CreatePolicy", e), reason)
            })?;
        Ok(policy(out.policy()))
    }

    async fn update_policy_content(&self, id: &str, content: &str) -> Result<Policy, AwsError> {
        let out = self
            .client
            .update_policy()
            .policy_id(id)
            .content(content)
            .send()
            .await
            .map_err(|e| {
                let reason = match e.as_service_error() {
                    Some(aws_sdk_organizations::operation::update_policy::UpdatePolicyError::ConstraintViolationException(c)) => {
                        c.reason().map(|r| r.as_str().to_string())
                    }
                    _ => None,
                };
                with_reason(AwsError::from_sdk(SERVICE, "UpdatePolicy", e), reason)
            })?;
        Ok(policy(out.policy()))
    }

    async fn delete_policy(&self, id: &str) -> Result<(), AwsError> {
        sent!(
            SERVICE,
            "DeletePolicy",
            self.client.delete_policy().policy_id(id)
        );
        Ok(())
    }

    async fn attach_policy(&self, policy: &str, target: &str) -> Result<(), AwsError> {
        self.client
            .attach_policy()
            .policy_id(policy)
            .target_id(target)
            .send()
            .await
            .map_err(|e| {
                let reason = match e.as_service_error() {
                    Some(aws_sdk_organizations::operation::attach_policy::AttachPolicyError::ConstraintViolationException(c)) => {
                        c.reason().map(|r| r.as_str().to_string())
                    }
                    _ => None,
                };
                with_reason(AwsError::from_sdk(SERVICE, "AttachPolicy", e), reason)
            })?;
        Ok(())
    }

    async fn detach_policy(&self, policy: &str, target: &str) -> Result<(), AwsError> {
        self.client
            .detach_policy()
            .policy_id(policy)
            .target_id(target)
            .send()
            .await
            .map_err(|e| {
                let reason = match e.as_service_error() {
                    Some(aws_sdk_organizations::operation::detach_policy::DetachPolicyError::ConstraintViolationException(c)) => {
                        c.reason().map(|r| r.as_str().to_string())
                    }
                    _ => None,
                };
                with_reason(AwsError::from_sdk(SERVICE, "DetachPolicy", e), reason)
            })?;
        Ok(())
    }

    async fn list_tags(&self, resource: &str) -> Result<Vec<Tag>, AwsError> {
        let list: Vec<sdk::Tag> = items!(
            SERVICE,
            "ListTagsForResource",
            self.client.list_tags_for_resource().resource_id(resource)
        );
        Ok(list
            .iter()
            .map(|t| Tag {
                key: t.key().to_string(),
                value: t.value().to_string(),
            })
            .collect())
    }
}
