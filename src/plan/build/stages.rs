//! The stages of a plan and their steps, each with its exact request, its
//! inverse and what must be observed before and after: preflight, the
//! companion SCP, PV.1 and the companion on every target, verification
//! while the landing-zone deny is still on, the console step, and the
//! final verification.

use crate::plan::action::{
    Action, EnableControlInput, EnabledControlRef, LandingZoneRef, PolicyContent, PolicyRef,
    PolicyTarget, UpdateControlInput,
};
use crate::plan::fingerprint::sha256_hex;
use crate::plan::model::*;
use crate::plan::pv1;
use crate::snapshot::Snapshot;

use super::{CONSOLE_UPDATE_SECONDS, CONTROL_OPERATION_SECONDS, DEFAULT_CONCURRENCY};
use serde_json::Value;

fn check(
    id: &str,
    title: &str,
    target: &str,
    request: Option<Action>,
    pre: Vec<Expectation>,
) -> Step {
    Step {
        id: id.into(),
        title: title.into(),
        target: target.into(),
        request,
        inverse: None,
        precondition: pre,
        postcondition: Vec::new(),
        after: Vec::new(),
        estimated_seconds: 2,
        instructions: Vec::new(),
    }
}

pub(super) fn stages(
    s: &Snapshot,
    targets: &[TargetPlan],
    companion: &CompanionScp,
    fingerprint: &str,
    deny_on: bool,
) -> Vec<Stage> {
    let pv1_id = &s.pv1.catalog_arn;
    let companion_ref = match &companion.existing_policy_id {
        Some(id) => id.clone(),
        None => "${create-companion.PolicyId}".to_string(),
    };
    let mut out = Vec::new();

    // 1. Preflight.
    let mut steps = vec![
        check(
            "preflight-identity",
            "The caller is the management account",
            "organization",
            Some(Action::GetCallerIdentity),
            vec![Expectation::CallerIsManagementAccount {
                account: s.organization.management_account_id.clone(),
            }],
        ),
        check(
            "preflight-fingerprint",
            "The organization is as planned (the plan is not stale)",
            "organization",
            None,
            vec![Expectation::FingerprintUnchanged {
                fingerprint: fingerprint.to_string(),
            }],
        ),
        check(
            "preflight-landing-zone",
            "The landing zone is ACTIVE in its home Region",
            "organization",
            Some(Action::GetLandingZone(LandingZoneRef {
                landing_zone_identifier: s.landing_zone.arn.clone(),
            })),
            vec![Expectation::LandingZoneActive {
                arn: s.landing_zone.arn.clone(),
            }],
        ),
        check(
            "preflight-operations",
            "No Control Tower control operation is in progress",
            "organization",
            Some(Action::list_running_operations()),
            vec![Expectation::NoControlOperationInProgress],
        ),
    ];
    for t in targets {
        steps.push(check(
            &format!("preflight-quota:{}", t.ou_id),
            &format!(
                "{}: {} more SCP(s) fit under the limit of {}",
                t.name,
                t.scp_slots_needed - t.scp_slots_used_now,
                t.scp_attachment_limit
            ),
            &t.ou_id,
            Some(Action::list_scps_for(&t.ou_id)),
            vec![Expectation::ScpSlotsAvailable {
                target: t.ou_id.clone(),
                needed: t.scp_slots_needed - t.scp_slots_used_now,
                limit: t.scp_attachment_limit,
            }],
        ));
    }
    out.push(Stage {
        id: "preflight".into(),
        title: "Preflight checks".into(),
        manual: false,
        rationale: "Nothing changes unless the caller, the landing zone, the running operations, the quotas and the organization itself are exactly as planned.".into(),
        estimated_seconds: 10,
        steps,
    });

    // 2. The companion SCP.
    let content_sha = sha256_hex(companion.content.as_bytes());
    let companion_step = match companion.action {
        CompanionAction::Create => Some(Step {
            id: "create-companion".into(),
            title: format!("Create the companion SCP {}", companion.name),
            target: companion.name.clone(),
            request: Some(Action::create_scp(
                &companion.name,
                &companion.description,
                &companion.content,
                &companion.tags,
            )),
            inverse: Some(Action::DeletePolicy(PolicyRef {
                policy_id: "${create-companion.PolicyId}".into(),
            })),
            precondition: vec![Expectation::PolicyAbsent {
                name: companion.name.clone(),
            }],
            postcondition: vec![Expectation::PolicyContent {
                name: companion.name.clone(),
                sha256: content_sha.clone(),
            }],
            after: Vec::new(),
            estimated_seconds: 2,
            instructions: Vec::new(),
        }),
        CompanionAction::Update => s
            .policies
            .values()
            .find(|p| p.summary.name == companion.name)
            .map(|old| Step {
                id: "update-companion".into(),
                title: format!("Update the companion SCP {}", companion.name),
                target: companion.name.clone(),
                request: Some(Action::UpdatePolicy(PolicyContent {
                    policy_id: old.summary.id.clone(),
                    content: companion.content.clone(),
                })),
                inverse: Some(Action::UpdatePolicy(PolicyContent {
                    policy_id: old.summary.id.clone(),
                    content: old.content.clone(),
                })),
                precondition: vec![Expectation::PolicyContent {
                    name: companion.name.clone(),
                    sha256: sha256_hex(old.content.as_bytes()),
                }],
                postcondition: vec![Expectation::PolicyContent {
                    name: companion.name.clone(),
                    sha256: content_sha.clone(),
                }],
                after: Vec::new(),
                estimated_seconds: 2,
                instructions: Vec::new(),
            }),
        _ => None,
    };
    if let Some(step) = companion_step {
        out.push(Stage {
            id: "companion".into(),
            title: "Create the companion SCP".into(),
            manual: false,
            rationale: "The policy exists before anything references it; created but not attached, it changes nothing.".into(),
            estimated_seconds: 2,
            steps: vec![step],
        });
    }

    // 3. PV.1 and the companion on every target.
    let mut steps = Vec::new();
    let mut control_ops = 0u64;
    for t in targets {
        match t.pv1_action {
            Pv1Action::Enable => {
                control_ops += 1;
                let id = format!("enable-pv1:{}", t.ou_id);
                steps.push(Step {
                    id: id.clone(),
                    title: format!("Enable CT.MULTISERVICE.PV.1 on {}", t.name),
                    target: t.ou_id.clone(),
                    request: Some(Action::EnableControl(EnableControlInput {
                        control_identifier: pv1_id.clone(),
                        target_identifier: t.ou_arn.clone(),
                        parameters: t.pv1_parameters.clone(),
                        tags: crate::plan::action::pv1_tags(),
                    })),
                    inverse: Some(Action::DisableControl(EnabledControlRef {
                        enabled_control_identifier: format!("${{{id}.arn}}"),
                    })),
                    precondition: vec![Expectation::ControlNotEnabled {
                        target: t.ou_arn.clone(),
                        control: pv1_id.clone(),
                    }],
                    postcondition: pv1_in_force(t, pv1_id).to_vec(),
                    after: Vec::new(),
                    estimated_seconds: CONTROL_OPERATION_SECONDS,
                    instructions: Vec::new(),
                });
            }
            Pv1Action::Update => {
                control_ops += 1;
                let current = t.pv1_current_parameters.clone().unwrap_or(Value::Null);
                let arn = s
                    .controls_on(&t.ou_arn)
                    .find(|c| s.pv1.matches(&c.control_identifier))
                    .map(|c| c.arn.clone())
                    .unwrap_or_default();
                steps.push(Step {
                    id: format!("update-pv1:{}", t.ou_id),
                    title: format!("Update CT.MULTISERVICE.PV.1 parameters on {}", t.name),
                    target: t.ou_id.clone(),
                    request: Some(Action::UpdateEnabledControl(UpdateControlInput {
                        enabled_control_identifier: arn.clone(),
                        parameters: t.pv1_parameters.clone(),
                    })),
                    inverse: Some(Action::UpdateEnabledControl(UpdateControlInput {
                        enabled_control_identifier: arn,
                        parameters: current.clone(),
                    })),
                    precondition: vec![Expectation::ControlEnabled {
                        target: t.ou_arn.clone(),
                        control: pv1_id.clone(),
                        parameters: current,
                    }],
                    postcondition: pv1_in_force(t, pv1_id).to_vec(),
                    after: Vec::new(),
                    estimated_seconds: CONTROL_OPERATION_SECONDS,
                    instructions: Vec::new(),
                });
            }
            _ => {}
        }
        if !t.companion_attached_now {
            steps.push(Step {
                id: format!("attach-companion:{}", t.ou_id),
                title: format!("Attach the companion SCP to {}", t.name),
                target: t.ou_id.clone(),
                request: Some(Action::AttachPolicy(PolicyTarget {
                    policy_id: companion_ref.clone(),
                    target_id: t.ou_id.clone(),
                })),
                inverse: Some(Action::DetachPolicy(PolicyTarget {
                    policy_id: companion_ref.clone(),
                    target_id: t.ou_id.clone(),
                })),
                precondition: vec![Expectation::PolicyNotAttached {
                    name: companion.name.clone(),
                    target: t.ou_id.clone(),
                }],
                postcondition: vec![Expectation::PolicyAttached {
                    name: companion.name.clone(),
                    target: t.ou_id.clone(),
                }],
                after: Vec::new(),
                estimated_seconds: 2,
                instructions: Vec::new(),
            });
        }
    }
    if !steps.is_empty() {
        let waves = control_ops.div_ceil(DEFAULT_CONCURRENCY);
        out.push(Stage {
            id: "enable".into(),
            title: "Enable PV.1 and attach the companion SCP on every registered first-tier OU".into(),
            manual: false,
            rationale: "While the landing-zone deny is still on, PV.1 and the companion only add denies: the effective fence is the intersection, never wider. Every OU gets both before anything is removed.".into(),
            estimated_seconds: waves * CONTROL_OPERATION_SECONDS + 5,
            steps,
        });
    }

    // 4. Verify coverage.
    let verify = |id_prefix: &str, t: &TargetPlan, with_lz: bool| -> Step {
        let mut post = pv1_in_force(t, pv1_id).to_vec();
        post.extend([Expectation::PolicyAttached {
            name: companion.name.clone(),
            target: t.ou_id.clone(),
        }]);
        post.push(if with_lz {
            Expectation::StatementPresent {
                target: t.ou_id.clone(),
                sid: pv1::GRREGIONDENY_SID.into(),
            }
        } else {
            Expectation::StatementAbsent {
                target: t.ou_id.clone(),
                sid: pv1::GRREGIONDENY_SID.into(),
            }
        });
        Step {
            id: format!("{id_prefix}:{}", t.ou_id),
            title: format!("{} is covered by PV.1 and the companion SCP", t.name),
            target: t.ou_id.clone(),
            request: None,
            inverse: None,
            precondition: Vec::new(),
            postcondition: post,
            after: Vec::new(),
            estimated_seconds: 3,
            instructions: Vec::new(),
        }
    };
    out.push(Stage {
        id: "verify".into(),
        title: "Verify every target is covered".into(),
        manual: false,
        rationale: "The landing-zone deny may only go once every registered first-tier OU is proven to carry PV.1 and the companion SCP.".into(),
        estimated_seconds: 10,
        steps: targets.iter().map(|t| verify("verify", t, deny_on)).collect(),
    });

    // 5. The console step.
    if deny_on {
        let region = &s.landing_zone.home_region;
        let mut post = vec![
            Expectation::LandingZoneRegionDenyOff,
            Expectation::LandingZoneActive {
                arn: s.landing_zone.arn.clone(),
            },
        ];
        for t in targets {
            post.push(Expectation::StatementAbsent {
                target: t.ou_id.clone(),
                sid: pv1::GRREGIONDENY_SID.into(),
            });
            post.push(Expectation::StatementPresent {
                target: t.ou_id.clone(),
                sid: pv1::PV1_SID.into(),
            });
        }
        out.push(Stage {
            id: "console".into(),
            title: "Turn the landing-zone region deny off in the Control Tower console".into(),
            manual: true,
            rationale: "AWS allows this only in the console. It comes last because it is the only step that removes a deny; every OU is already fenced by PV.1.".into(),
            estimated_seconds: CONSOLE_UPDATE_SECONDS,
            steps: vec![Step {
                id: "console-region-deny-off".into(),
                title: "Landing zone settings → Modify settings → Region deny: Not enabled → Update landing zone".into(),
                target: "organization".into(),
                request: None,
                inverse: None,
                precondition: vec![Expectation::LandingZoneRegionDenyOn, Expectation::LandingZoneActive { arn: s.landing_zone.arn.clone() }],
                postcondition: post,
                after: Vec::new(),
                estimated_seconds: CONSOLE_UPDATE_SECONDS,
                instructions: vec![
                    format!("Sign in to the management account {} and open the AWS Control Tower console in the home Region {region}: https://console.aws.amazon.com/controltower/home?region={region}", s.organization.management_account_id),
                    "In the left navigation pane, choose Landing zone settings.".into(),
                    "Choose Modify settings.".into(),
                    format!("On the Governed Regions page, leave the governed Regions as they are ({}); under Region deny setting, choose Not enabled.", s.landing_zone.governed_regions.join(", ")),
                    "Go through the remaining pages without changing anything, then choose Update landing zone.".into(),
                    "Wait until the landing zone status is Active again (the update can take 60 minutes or more). ctmigrate polls and verifies.".into(),
                ],
            }],
        });
    }

    // 6. Final verification.
    out.push(Stage {
        id: "final".into(),
        title: "Final verification of the effective policies".into(),
        manual: false,
        rationale: "Read the SCPs back: GRREGIONDENY gone, PV.1 and the companion in force on every target.".into(),
        estimated_seconds: 30,
        steps: targets.iter().map(|t| verify("final", t, false)).collect(),
    });
    out
}

/// PV.1 enabled on the target with the planned parameters, and its
/// statement in force there.
fn pv1_in_force(t: &TargetPlan, pv1_id: &str) -> [Expectation; 2] {
    [
        Expectation::ControlEnabled {
            target: t.ou_arn.clone(),
            control: pv1_id.to_string(),
            parameters: t.pv1_parameters.clone(),
        },
        Expectation::StatementPresent {
            target: t.ou_id.clone(),
            sid: pv1::PV1_SID.into(),
        },
    ]
}
