//! The seeded estates `ctmigrate sandbox reset` restores.
//!
//! `default` is the scenario of the published write-ups: home Region
//! ap-northeast-1, four governed Regions, landing zone 3.3 with the region deny
//! on, four registered first-tier OUs (Workloads with nested Prod and Dev), one
//! unregistered first-tier OU, thirteen accounts (one member directly under the
//! root) and Bedrock inference profiles for `jp.`, `apac.`, `us.`, `eu.` and
//! `global.`. The other scenarios vary it for the error paths.

use serde_json::json;
use std::collections::BTreeMap;

use super::templates;
use super::world::*;

/// Names of the scenarios `sandbox reset --scenario` accepts.
pub const SCENARIOS: [&str; 5] = [
    "default",
    "wide",
    "enforced-guardrail",
    "no-control-tower",
    "no-organization",
];

/// The member account that runs Bedrock workloads (Workloads/Dev).
const DEV_GENAI: &str = "666666666667";

/// The id of the seeded cross-Region guardrail.
const SEEDED_GUARDRAIL_ID: &str = "sbxgr0support1";

/// Registered first-tier OUs in the `wide` scenario (the apply benchmark's estate).
pub const WIDE_FIRST_TIER_OUS: usize = 50;

const HOME: &str = "ap-northeast-1";
/// The Region the seeded organization's people work in (and the home Region).
pub const PROFILE_REGION: &str = HOME;
const MGMT: &str = "111111111111";
const ORG: &str = "o-ctm1gr8sbx";
const ROOT: &str = "r-sb01";
/// Seeded landing-zone creation time (2026-03-02T09:00:00Z).
const T0: i64 = 1_772_442_000;

const APAC_REGIONS: [&str; 13] = [
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
];
const EU_REGIONS: [&str; 8] = [
    "eu-central-1",
    "eu-west-1",
    "eu-west-3",
    "eu-west-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-central-2",
];
const US_REGIONS: [&str; 3] = ["us-east-1", "us-east-2", "us-west-2"];
const JP_REGIONS: [&str; 2] = ["ap-northeast-1", "ap-northeast-3"];

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Builds the named scenario, or `None` for an unknown name.
pub fn scenario(name: &str, settings: Settings) -> Option<World> {
    let mut world = base_world(settings);
    world.scenario = name.to_string();
    match name {
        "default" => {}
        "wide" => {
            // The default estate plus registered first-tier OUs up to 50, one
            // account each: the scale of the apply benchmark.
            let have = world.registered_first_tier_ou_ids().len();
            let root = world
                .org
                .as_ref()
                .map(|o| o.root_id.clone())
                .unwrap_or_default();
            for n in 0..WIDE_FIRST_TIER_OUS.saturating_sub(have) {
                let ou_id = format!("ou-sb01-team{n:04}");
                world.ous.insert(
                    ou_id.clone(),
                    Ou {
                        id: ou_id.clone(),
                        name: format!("Team-{n:02}"),
                        parent_id: root.clone(),
                    },
                );
                let account = format!("{}", 300_000_000_000u64 + n as u64);
                world.accounts.insert(
                    account.clone(),
                    Account {
                        id: account.clone(),
                        name: format!("team-{n:02}-app"),
                        email: format!("aws+team-{n:02}-app@example.com"),
                        parent_id: ou_id.clone(),
                        joined_epoch: T0 + 86_400 + 60 * n as i64,
                    },
                );
                for node in [&ou_id, &account] {
                    world
                        .attachments
                        .insert(node.clone(), vec!["p-FullAWSAccess".into()]);
                }
                let names = [
                    format!("aws-guardrails-Tm{n:02}Aa"),
                    format!("aws-guardrails-Tm{n:02}Bb"),
                ];
                register(&mut world, 100 + n, &ou_id, None, [&names[0], &names[1]]);
            }
            world.set_region_deny(true);
        }
        "enforced-guardrail" => {
            // The default estate, with dev-genai enforcing its cross-Region
            // guardrail on every model call in us-east-1.
            world.enforced_guardrails.push(EnforcedGuardrail {
                config_id: "sbxcfg000001".into(),
                account: DEV_GENAI.into(),
                region: "us-east-1".into(),
                guardrail_id: SEEDED_GUARDRAIL_ID.into(),
                guardrail_version: "1".into(),
                created_ms: (T0 + 3 * 86_400) * 1000,
            });
        }
        "no-control-tower" => {
            world.landing_zone = None;
            world.baselines.clear();
            world.enabled_controls.clear();
            world.lz_operations.clear();
            let guardrails: Vec<String> = world
                .policies
                .values()
                .filter(|p| p.name.starts_with(GUARDRAIL_PREFIX))
                .map(|p| p.id.clone())
                .collect();
            for id in guardrails {
                world.policies.remove(&id);
                for list in world.attachments.values_mut() {
                    list.retain(|x| x != &id);
                }
            }
        }
        "no-organization" => {
            world.org = None;
            world.ous.clear();
            world.accounts.clear();
            world.policies.clear();
            world.attachments.clear();
            world.landing_zone = None;
            world.baselines.clear();
            world.enabled_controls.clear();
            world.lz_operations.clear();
        }
        _ => return None,
    }
    Some(world)
}

/// The guardrails: dev-genai's through the US guardrail profile in
/// us-east-1, and the management account's without a profile in Tokyo.
fn guardrails() -> Vec<Guardrail> {
    vec![
        Guardrail {
            id: SEEDED_GUARDRAIL_ID.into(),
            name: "support-chat".into(),
            account: DEV_GENAI.into(),
            region: "us-east-1".into(),
            profile_id: Some("us.guardrail.v1:0".into()),
            created_ms: (T0 + 2 * 86_400) * 1000,
        },
        Guardrail {
            id: "sbxgr0tokyo01".into(),
            name: "internal-tools".into(),
            account: MGMT.into(),
            region: HOME.into(),
            profile_id: None,
            created_ms: (T0 + 2 * 86_400) * 1000,
        },
    ]
}

/// The batch jobs: dev-genai's through the `us.` profile in us-east-1
/// (failed under the region deny), the management account's on a model in
/// Tokyo.
fn batch_jobs() -> Vec<BatchJob> {
    vec![
        BatchJob {
            id: "sbxjob0nightly1".into(),
            name: "nightly-ticket-summaries".into(),
            account: DEV_GENAI.into(),
            region: "us-east-1".into(),
            model_id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
            status: "Failed".into(),
            submitted_ms: (T0 + 5 * 86_400) * 1000,
        },
        BatchJob {
            id: "sbxjob0tokyo01".into(),
            name: "weekly-report".into(),
            account: MGMT.into(),
            region: HOME.into(),
            model_id: "anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
            status: "Completed".into(),
            submitted_ms: (T0 + 5 * 86_400) * 1000,
        },
    ]
}

fn base_world(settings: Settings) -> World {
    let mut w = World {
        state_version: STATE_VERSION,
        scenario: "default".into(),
        settings,
        counter: 0,
        org: Some(Org {
            id: ORG.into(),
            master_account_id: MGMT.into(),
            master_account_email: "aws-root+management@example.com".into(),
            root_id: ROOT.into(),
        }),
        ous: BTreeMap::new(),
        accounts: BTreeMap::new(),
        policies: BTreeMap::new(),
        attachments: BTreeMap::new(),
        landing_zone: None,
        lz_operations: Vec::new(),
        baselines: Vec::new(),
        enabled_controls: Vec::new(),
        control_operations: Vec::new(),
        catalog: catalog(),
        inference_profiles: inference_profiles(),
        application_profiles: Vec::new(),
        guardrails: guardrails(),
        enforced_guardrails: Vec::new(),
        batch_jobs: batch_jobs(),
        callers: vec![
            Caller {
                access_key_id: "ASIASANDBOXMEMBER001".into(),
                account: "555555555555".into(),
                arn: "arn:aws:sts::555555555555:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/dev@example.com".into(),
                user_id: "AROAEXAMPLEMEMBER0001:dev@example.com".into(),
            },
        ],
        identity_account: MGMT.into(),
        timeline_seq: 0,
        baseline_operations: Vec::new(),
    };
    let ous = [
        ("ou-sb01-security", "Security", ROOT),
        ("ou-sb01-sandbox0", "Sandbox", ROOT),
        ("ou-sb01-workload", "Workloads", ROOT),
        ("ou-sb01-prod0000", "Prod", "ou-sb01-workload"),
        ("ou-sb01-dev00000", "Dev", "ou-sb01-workload"),
        ("ou-sb01-infrastr", "Infrastructure", ROOT),
        ("ou-sb01-experim0", "Experiments", ROOT),
    ];
    for (id, name, parent) in ous {
        w.ous.insert(
            id.into(),
            Ou {
                id: id.into(),
                name: name.into(),
                parent_id: parent.into(),
            },
        );
    }
    let accounts = [
        (MGMT, "Management", ROOT),
        ("121212121212", "legacy-shared-tools", ROOT),
        ("222222222222", "Log Archive", "ou-sb01-security"),
        ("333333333333", "Audit", "ou-sb01-security"),
        ("444444444444", "sandbox-alice", "ou-sb01-sandbox0"),
        ("777777777777", "workloads-shared", "ou-sb01-workload"),
        ("555555555555", "prod-app", "ou-sb01-prod0000"),
        ("555555555556", "prod-data", "ou-sb01-prod0000"),
        ("666666666666", "dev-app", "ou-sb01-dev00000"),
        ("666666666667", "dev-genai", "ou-sb01-dev00000"),
        ("888888888888", "network", "ou-sb01-infrastr"),
        ("888888888889", "shared-services", "ou-sb01-infrastr"),
        ("999999999999", "experiments-1", "ou-sb01-experim0"),
    ];
    for (i, (id, name, parent)) in accounts.into_iter().enumerate() {
        let slug = name.to_lowercase().replace(' ', "-");
        w.accounts.insert(
            id.into(),
            Account {
                id: id.into(),
                name: name.into(),
                email: format!("aws+{slug}@example.com"),
                parent_id: parent.into(),
                joined_epoch: T0 + 3600 * i as i64,
            },
        );
    }

    // FullAWSAccess on every node, as AWS attaches it.
    w.policies.insert(
        "p-FullAWSAccess".into(),
        Policy {
            id: "p-FullAWSAccess".into(),
            name: "FullAWSAccess".into(),
            description: "Allows access to every operation".into(),
            content: templates::document(vec![
                json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            ]),
            aws_managed: true,
            tags: BTreeMap::new(),
        },
    );
    let mut nodes: Vec<String> = vec![ROOT.into()];
    nodes.extend(w.ous.keys().cloned());
    nodes.extend(w.accounts.keys().cloned());
    for node in nodes {
        w.attachments.insert(node, vec!["p-FullAWSAccess".into()]);
    }

    // A customer SCP that also restricts aws:RequestedRegion (compute residency).
    let customer = templates::document(vec![
        json!({"Sid": "DenyLeavingOrganization", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}),
        json!({"Sid": "DenyComputeOutsideJapan", "Effect": "Deny",
               "Action": ["ec2:RunInstances", "ecs:CreateCluster", "eks:CreateCluster"], "Resource": "*",
               "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1", "ap-northeast-3"]}}}),
    ]);
    let mut tags = BTreeMap::new();
    tags.insert("owner".to_string(), "platform-team".to_string());
    w.policies.insert(
        "p-cust0wl1".into(),
        Policy {
            id: "p-cust0wl1".into(),
            name: "workloads-baseline".into(),
            description: "Platform team baseline for workload accounts".into(),
            content: customer,
            aws_managed: false,
            tags,
        },
    );
    w.attachments
        .entry("ou-sb01-workload".into())
        .or_default()
        .push("p-cust0wl1".into());

    // The landing zone and its registered OUs.
    let governed = strings(&["ap-northeast-1", "ap-northeast-3", "us-east-1", "eu-west-2"]);
    w.landing_zone = Some(LandingZone {
        id: "1A2B3C4D5E6F7G8H".into(),
        home_region: HOME.into(),
        version: "3.3".into(),
        latest_available_version: "3.3".into(),
        status: "ACTIVE".into(),
        drift: "IN_SYNC".into(),
        governed_regions: governed.clone(),
        region_deny: false,
        manifest: json!({
            "accessManagement": {"enabled": true},
            "securityRoles": {"accountId": "333333333333"},
            "governedRegions": governed,
            "organizationStructure": {"security": {"name": "Security"}, "sandbox": {"name": "Sandbox"}},
            "centralizedLogging": {"accountId": "222222222222", "enabled": true,
                "configurations": {"loggingBucket": {"retentionDays": 365}, "accessLoggingBucket": {"retentionDays": 3650}}}
        }),
    });
    w.lz_operations.push(LzOperation {
        id: "0f3c2b1a-5d4e-4f6a-8b7c-9d0e1f2a3b4c".into(),
        op_type: "CREATE".into(),
        status: "SUCCEEDED".into(),
        start_ms: T0 * 1000,
        complete_at_ms: T0 * 1000 + 3_600_000,
        end_ms: Some(T0 * 1000 + 3_600_000),
        region_deny_target: None,
        governed_regions_target: None,
    });
    let registered = [
        ("ou-sb01-security", None),
        ("ou-sb01-sandbox0", None),
        ("ou-sb01-workload", None),
        ("ou-sb01-prod0000", Some("ou-sb01-workload")),
        ("ou-sb01-dev00000", Some("ou-sb01-workload")),
        ("ou-sb01-infrastr", None),
    ];
    let guardrail_names = [
        ["aws-guardrails-HqGtKd", "aws-guardrails-wPzRmX"],
        ["aws-guardrails-NcVbQa", "aws-guardrails-tYuLoE"],
        ["aws-guardrails-JmKsWe", "aws-guardrails-fDgRzB"],
        ["aws-guardrails-XqPlCv", "aws-guardrails-XqPlCw"],
        ["aws-guardrails-LbNmTy", "aws-guardrails-LbNmTz"],
        ["aws-guardrails-SeCuRa", "aws-guardrails-IoPkJh"],
    ];
    for (i, ((ou_id, parent), names)) in registered.into_iter().zip(guardrail_names).enumerate() {
        let parent_baseline = parent
            .and_then(|p| registered.iter().position(|(id, _)| *id == p))
            .map(baseline_arn);
        register(&mut w, i, ou_id, parent_baseline, names);
    }
    // The console's region deny, on: GRREGIONDENY on every registered first-tier OU.
    w.set_region_deny(true);
    w
}

fn baseline_arn(i: usize) -> String {
    format!("arn:aws:controltower:{HOME}:{MGMT}:enabledbaseline/XB{i:02}SANDBOXBASELINE")
}

/// Registers `ou_id` with Control Tower as the landing zone does: a baseline,
/// two guardrail SCPs with the mandatory statements, the mandatory controls.
/// `i` keeps the generated identifiers distinct.
fn register(
    w: &mut World,
    i: usize,
    ou_id: &str,
    parent_baseline: Option<String>,
    names: [&str; 2],
) {
    let target = w.ou_arn(ou_id);
    w.baselines.push(EnabledBaseline {
        arn: baseline_arn(i),
        baseline_identifier: format!(
            "arn:aws:controltower:{HOME}::baseline/{CONTROL_TOWER_BASELINE_ID}"
        ),
        baseline_version: "4.0".into(),
        target: target.clone(),
        parent: parent_baseline,
    });
    // Two guardrail SCPs per registered OU, as Control Tower 3.x deploys them.
    let first = vec![templates::mandatory_statement("GRCLOUDTRAILENABLED")];
    let second = vec![
        templates::mandatory_statement("GRCONFIGENABLED"),
        templates::mandatory_statement("GRIAMROLEPOLICY"),
    ];
    for (j, (name, stmts)) in names.into_iter().zip([first, second]).enumerate() {
        let pid = format!("p-gr{i}{j}sbx0");
        w.policies.insert(
            pid.clone(),
            Policy {
                id: pid.clone(),
                name: name.into(),
                description: templates::GUARDRAIL_DESCRIPTION.into(),
                content: templates::document(stmts),
                aws_managed: false,
                tags: BTreeMap::new(),
            },
        );
        w.attachments.entry(ou_id.into()).or_default().push(pid);
    }
    for (k, key) in [
        "AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED",
        "AWS-GR_CONFIG_CHANGE_PROHIBITED",
        "AWS-GR_IAM_ROLE_CHANGE_PROHIBITED",
    ]
    .into_iter()
    .enumerate()
    {
        w.enabled_controls.push(EnabledControl {
            arn: format!("arn:aws:controltower:{HOME}:{MGMT}:enabledcontrol/SBX{i}{k}MANDATORY00"),
            control_identifier: format!("arn:aws:controltower:{HOME}::control/{key}"),
            control_key: key.into(),
            target: target.clone(),
            status: "SUCCEEDED".into(),
            drift: "IN_SYNC".into(),
            last_operation: None,
            parameters: Vec::new(),
            tags: Default::default(),
        });
    }
}

fn catalog() -> Vec<CatalogControl> {
    let scp = "AWS::Organizations::Policy::SERVICE_CONTROL_POLICY";
    vec![
        CatalogControl {
            arn: "arn:aws:controlcatalog:::control/ka8e3pkqefnjsxuyc26ji580".into(),
            name: "Deny access to AWS based on the requested AWS Region for an organizational unit".into(),
            description: "This control restricts access to AWS services in Regions not specified in the control parameters, for an organizational unit.".into(),
            aliases: vec![PV1_KEY.into()],
            behavior: "PREVENTIVE".into(),
            implementation_type: scp.into(),
            regional_id: Some("TKFQGXOBPOPS".into()),
            key: PV1_KEY.into(),
        },
        CatalogControl {
            arn: "arn:aws:controlcatalog:::control/dvuaav61i5cnfazfelmvn9m6k".into(),
            name: "Disallow changes to AWS Config aggregation authorizations".into(),
            description: "Disallows changes to Config aggregation authorizations set up by AWS Control Tower.".into(),
            aliases: vec!["AWS-GR_CONFIG_AGGREGATION_AUTHORIZATION_POLICY".into()],
            behavior: "PREVENTIVE".into(),
            implementation_type: scp.into(),
            regional_id: None,
            key: "AWS-GR_CONFIG_AGGREGATION_AUTHORIZATION_POLICY".into(),
        },
        CatalogControl {
            arn: "arn:aws:controlcatalog:::control/2q27ym6ozwd0tw5ryl2ss6lx1".into(),
            name: "Require an Amazon S3 bucket to have block public access settings configured".into(),
            description: "Checks whether S3 buckets block public access.".into(),
            aliases: vec!["CT.S3.PR.1".into()],
            behavior: "PROACTIVE".into(),
            implementation_type: "AWS::CloudFormation::Type::HOOK".into(),
            regional_id: None,
            key: "CT.S3.PR.1".into(),
        },
        CatalogControl {
            arn: "arn:aws:controlcatalog:::control/5kvme4m5d2b4d7if2fs5yg2ui".into(),
            name: "Disallow creation of access keys for the root user".into(),
            description: "Secures your AWS accounts by disallowing creation of access keys for the root user.".into(),
            aliases: vec!["AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS".into()],
            behavior: "PREVENTIVE".into(),
            implementation_type: scp.into(),
            regional_id: None,
            key: "AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS".into(),
        },
    ]
}

fn profile(
    prefix: &str,
    model: &str,
    name: &str,
    sources: &[&str],
    dests: &[&str],
) -> InferenceProfile {
    InferenceProfile {
        id: format!("{prefix}.{model}"),
        name: format!("{} {name}", prefix.to_uppercase()),
        description: format!(
            "Routes requests to {name} in the {} geography.",
            prefix.to_uppercase()
        ),
        source_regions: strings(sources),
        destination_regions: strings(dests),
        model_id: model.into(),
    }
}

fn inference_profiles() -> Vec<InferenceProfile> {
    let sonnet45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    let sonnet4 = "anthropic.claude-sonnet-4-20250514-v1:0";
    let nova2 = "amazon.nova-2-lite-v1:0";
    let nova_pro = "amazon.nova-pro-v1:0";
    let mut global_sources: Vec<&str> = Vec::new();
    global_sources.extend(US_REGIONS);
    global_sources.extend(EU_REGIONS);
    global_sources.extend(APAC_REGIONS);
    vec![
        profile(
            "jp",
            sonnet45,
            "Claude Sonnet 4.5",
            &JP_REGIONS,
            &JP_REGIONS,
        ),
        profile("jp", nova2, "Nova 2 Lite", &JP_REGIONS, &JP_REGIONS),
        profile(
            "apac",
            sonnet4,
            "Claude Sonnet 4",
            &APAC_REGIONS,
            &APAC_REGIONS,
        ),
        profile("apac", nova_pro, "Nova Pro", &APAC_REGIONS, &APAC_REGIONS),
        profile(
            "us",
            sonnet45,
            "Claude Sonnet 4.5",
            &US_REGIONS,
            &US_REGIONS,
        ),
        profile("us", sonnet4, "Claude Sonnet 4", &US_REGIONS, &US_REGIONS),
        profile("us", nova_pro, "Nova Pro", &US_REGIONS, &US_REGIONS),
        profile(
            "eu",
            sonnet45,
            "Claude Sonnet 4.5",
            &EU_REGIONS,
            &EU_REGIONS,
        ),
        profile("eu", nova_pro, "Nova Pro", &EU_REGIONS, &EU_REGIONS),
        profile(
            "global",
            sonnet45,
            "Claude Sonnet 4.5",
            &global_sources,
            &[],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_has_region_deny_on_every_registered_first_tier_ou() {
        let w = scenario("default", Settings::default()).unwrap();
        let first_tier = w.registered_first_tier_ou_ids();
        assert_eq!(first_tier.len(), 4);
        for ou in &first_tier {
            assert_eq!(
                w.region_denies_on(ou),
                vec!["GRREGIONDENY".to_string()],
                "{ou}"
            );
        }
        // Nested registered OUs inherit it from their parent.
        assert_eq!(
            w.region_denies_on("ou-sb01-prod0000"),
            vec!["GRREGIONDENY".to_string()]
        );
        // The unregistered first-tier OU has none.
        assert!(w.region_denies_on("ou-sb01-experim0").is_empty());
        assert_eq!(w.accounts.len(), 13);
    }

    #[test]
    fn wide_scenario_registers_fifty_first_tier_ous_each_under_the_region_deny() {
        let w = scenario("wide", Settings::default()).unwrap();
        let first_tier = w.registered_first_tier_ou_ids();
        assert_eq!(first_tier.len(), WIDE_FIRST_TIER_OUS);
        for ou in &first_tier {
            assert_eq!(
                w.region_denies_on(ou),
                vec!["GRREGIONDENY".to_string()],
                "{ou}"
            );
        }
        // Distinct identifiers: two guardrail policies, a baseline and the
        // controls per registered OU, none overwriting another's.
        let guardrails = w
            .policies
            .values()
            .filter(|p| p.name.starts_with(GUARDRAIL_PREFIX))
            .count();
        assert_eq!(guardrails, 2 * (WIDE_FIRST_TIER_OUS + 2));
        let baselines: std::collections::BTreeSet<_> = w.baselines.iter().map(|b| &b.arn).collect();
        assert_eq!(baselines.len(), w.baselines.len());
        let controls: std::collections::BTreeSet<_> =
            w.enabled_controls.iter().map(|c| &c.arn).collect();
        assert_eq!(controls.len(), w.enabled_controls.len());
        assert_eq!(w.accounts.len(), 13 + 46);
        assert!(SCENARIOS.contains(&"wide"));
    }

    #[test]
    fn unknown_scenario_is_none() {
        assert!(scenario("nope", Settings::default()).is_none());
    }
}
