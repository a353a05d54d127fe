//! AWS Control Tower over aws-sdk-controltower, bound to one Region (the
//! landing zone's home Region once it is known).

use aws_sdk_controltower::types::{
    self as sdk, ControlOperationFilter, ControlOperationStatus, EnabledControlFilter,
};

use super::paginate::{items, sent};
use super::{
    AwsError, AwsErrorKind, ControlTower, EnabledControlQuery, document_to_json, iso,
    json_to_document,
};
use crate::model::*;

const SERVICE: &str = "controltower";

pub struct SdkControlTower {
    client: aws_sdk_controltower::Client,
}

impl SdkControlTower {
    pub fn new(config: &aws_config::SdkConfig, region: &str) -> SdkControlTower {
        let conf = aws_sdk_controltower::config::Builder::from(config)
            .region(aws_sdk_controltower::config::Region::new(
                region.to_string(),
            ))
            .interceptor(super::calls::Counter {
                service: "controltower",
            })
            .build();
        SdkControlTower {
            client: aws_sdk_controltower::Client::from_conf(conf),
        }
    }
}

fn build_error(operation: &'static str, e: impl std::fmt::Display) -> AwsError {
    AwsError {
        service: SERVICE,
        operation,
        kind: AwsErrorKind::Other(e.to_string()),
        retry_after_secs: None,
    }
}

/// An SDK enum's text (absent: empty) as the model's enum of the same spelling.
fn wire<T: for<'a> From<&'a str>>(v: Option<&str>) -> T {
    T::from(v.unwrap_or_default())
}

fn sdk_parameters(
    operation: &'static str,
    parameters: &[ControlParameter],
) -> Result<Vec<sdk::EnabledControlParameter>, AwsError> {
    parameters
        .iter()
        .map(|p| {
            sdk::EnabledControlParameter::builder()
                .key(&p.key)
                .value(json_to_document(&p.value))
                .build()
                .map_err(|e| build_error(operation, e))
        })
        .collect()
}

/// An enabled control from `ListEnabledControls`' `EnabledControlSummary`
/// or `GetEnabledControl`'s `EnabledControlDetails` (same fields, same names).
macro_rules! enabled_control {
    ($c:expr, $parameters:expr) => {{
        let c = $c;
        EnabledControl {
            arn: c.arn().unwrap_or_default().to_string(),
            control_identifier: c.control_identifier().unwrap_or_default().to_string(),
            target: c.target_identifier().unwrap_or_default().to_string(),
            status: wire(
                c.status_summary()
                    .and_then(|s| s.status())
                    .map(|s| s.as_str()),
            ),
            drift_status: c
                .drift_status_summary()
                .and_then(|d| d.drift_status())
                .map(|d| d.as_str().into()),
            parent: c.parent_identifier().map(str::to_string),
            last_operation: c
                .status_summary()
                .and_then(|s| s.last_operation_identifier())
                .map(str::to_string),
            parameters: $parameters,
        }
    }};
}

/// A control operation from `GetControlOperation`'s `ControlOperation` or
/// `ListControlOperations`' `ControlOperationSummary`, which have the same
/// fields under the same names.
macro_rules! control_operation {
    ($o:expr) => {{
        let o = $o;
        ControlOperation {
            id: o.operation_identifier().unwrap_or_default().to_string(),
            kind: o
                .operation_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            status: wire(o.status().map(|t| t.as_str())),
            message: o.status_message().map(str::to_string),
            control_identifier: o.control_identifier().map(str::to_string),
            target: o.target_identifier().map(str::to_string),
            enabled_control: o.enabled_control_identifier().map(str::to_string),
            start_time: o.start_time().map(iso),
            end_time: o.end_time().map(iso),
        }
    }};
}

impl ControlTower for SdkControlTower {
    async fn list_landing_zones(&self) -> Result<Vec<String>, AwsError> {
        let list: Vec<sdk::LandingZoneSummary> = items!(
            SERVICE,
            "ListLandingZones",
            self.client.list_landing_zones()
        );
        Ok(list
            .iter()
            .filter_map(|l| l.arn().map(str::to_string))
            .collect())
    }

    async fn get_landing_zone(&self, arn: &str) -> Result<LandingZone, AwsError> {
        let out = sent!(
            SERVICE,
            "GetLandingZone",
            self.client.get_landing_zone().landing_zone_identifier(arn)
        );
        let lz = out.landing_zone();
        let manifest = lz
            .map(|l| document_to_json(l.manifest()))
            .unwrap_or_default();
        let governed_regions = manifest
            .get("governedRegions")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let arn = lz.and_then(|l| l.arn()).unwrap_or(arn).to_string();
        Ok(LandingZone {
            home_region: arn_region(&arn).unwrap_or_default().to_string(),
            arn,
            version: lz.map(|l| l.version().to_string()).unwrap_or_default(),
            latest_available_version: lz
                .and_then(|l| l.latest_available_version())
                .map(str::to_string),
            status: wire(lz.and_then(|l| l.status()).map(|s| s.as_str())),
            drift_status: lz
                .and_then(|l| l.drift_status())
                .and_then(|d| d.status())
                .map(|s| s.as_str().into()),
            governed_regions,
            manifest,
        })
    }

    async fn list_landing_zone_operations(&self) -> Result<Vec<LandingZoneOperation>, AwsError> {
        let list: Vec<sdk::LandingZoneOperationSummary> = items!(
            SERVICE,
            "ListLandingZoneOperations",
            self.client.list_landing_zone_operations()
        );
        Ok(list
            .iter()
            .map(|o| LandingZoneOperation {
                id: o.operation_identifier().unwrap_or_default().to_string(),
                kind: o
                    .operation_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                status: wire(o.status().map(|t| t.as_str())),
                start_time: None,
                end_time: None,
                message: None,
            })
            .collect())
    }

    async fn get_landing_zone_operation(&self, id: &str) -> Result<LandingZoneOperation, AwsError> {
        let out = sent!(
            SERVICE,
            "GetLandingZoneOperation",
            self.client
                .get_landing_zone_operation()
                .operation_identifier(id)
        );
        let d = out.operation_details();
        Ok(LandingZoneOperation {
            id: d
                .and_then(|d| d.operation_identifier())
                .unwrap_or(id)
                .to_string(),
            kind: d
                .and_then(|d| d.operation_type())
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            status: wire(d.and_then(|d| d.status()).map(|t| t.as_str())),
            start_time: d.and_then(|d| d.start_time()).map(iso),
            end_time: d.and_then(|d| d.end_time()).map(iso),
            message: d.and_then(|d| d.status_message()).map(str::to_string),
        })
    }

    async fn list_enabled_baselines(
        &self,
        include_children: bool,
    ) -> Result<Vec<EnabledBaseline>, AwsError> {
        let list: Vec<sdk::EnabledBaselineSummary> = items!(
            SERVICE,
            "ListEnabledBaselines",
            self.client
                .list_enabled_baselines()
                .include_children(include_children)
        );
        Ok(list
            .iter()
            .map(|b| EnabledBaseline {
                arn: b.arn().to_string(),
                baseline_identifier: b.baseline_identifier().to_string(),
                baseline_version: b.baseline_version().map(str::to_string),
                target: b.target_identifier().to_string(),
                parent: b.parent_identifier().map(str::to_string),
            })
            .collect())
    }

    async fn list_enabled_controls(
        &self,
        query: EnabledControlQuery<'_>,
    ) -> Result<Vec<EnabledControl>, AwsError> {
        let mut req = self
            .client
            .list_enabled_controls()
            .include_children(query.include_children);
        if let Some(t) = query.target {
            req = req.target_identifier(t);
        }
        if let Some(c) = query.control {
            req = req.filter(
                EnabledControlFilter::builder()
                    .control_identifiers(c)
                    .build(),
            );
        }
        let list: Vec<sdk::EnabledControlSummary> = items!(SERVICE, "ListEnabledControls", req);
        Ok(list
            .iter()
            .map(|c| enabled_control!(c, Vec::new()))
            .collect())
    }

    async fn get_enabled_control(&self, arn: &str) -> Result<EnabledControl, AwsError> {
        let out = sent!(
            SERVICE,
            "GetEnabledControl",
            self.client
                .get_enabled_control()
                .enabled_control_identifier(arn)
        );
        let d = out.enabled_control_details().ok_or_else(|| {
            build_error(
                "GetEnabledControl",
                "the answer has no enabledControlDetails",
            )
        })?;
        let parameters = d
            .parameters()
            .iter()
            .map(|p| ControlParameter {
                key: p.key().to_string(),
                value: document_to_json(p.value()),
            })
            .collect();
        let mut c = enabled_control!(d, parameters);
        if c.arn.is_empty() {
            c.arn = arn.to_string();
        }
        Ok(c)
    }

    async fn enable_control(
        &self,
        control: &str,
        target: &str,
        parameters: &[ControlParameter],
        tags: &std::collections::BTreeMap<String, String>,
    ) -> Result<(String, Option<String>), AwsError> {
        let mut req = self
            .client
            .enable_control()
            .control_identifier(control)
            .target_identifier(target);
        for p in sdk_parameters("EnableControl", parameters)? {
            req = req.parameters(p);
        }
        for (k, v) in tags {
            req = req.tags(k, v);
        }
        let out = sent!(SERVICE, "EnableControl", req);
        Ok((
            out.operation_identifier().to_string(),
            out.arn().map(str::to_string),
        ))
    }

    async fn list_tags_for_resource(
        &self,
        arn: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
        let out = sent!(
            SERVICE,
            "ListTagsForResource",
            self.client.list_tags_for_resource().resource_arn(arn)
        );
        Ok(out
            .tags()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    async fn disable_control(&self, enabled_control: &str) -> Result<String, AwsError> {
        let out = sent!(
            SERVICE,
            "DisableControl",
            self.client
                .disable_control()
                .enabled_control_identifier(enabled_control)
        );
        Ok(out.operation_identifier().to_string())
    }

    async fn update_enabled_control(
        &self,
        enabled_control: &str,
        parameters: &[ControlParameter],
    ) -> Result<String, AwsError> {
        let parameters = sdk_parameters("UpdateEnabledControl", parameters)?;
        let out = sent!(
            SERVICE,
            "UpdateEnabledControl",
            self.client
                .update_enabled_control()
                .enabled_control_identifier(enabled_control)
                .set_parameters(Some(parameters))
        );
        Ok(out.operation_identifier().to_string())
    }

    async fn get_control_operation(&self, id: &str) -> Result<ControlOperation, AwsError> {
        let out = sent!(
            SERVICE,
            "GetControlOperation",
            self.client.get_control_operation().operation_identifier(id)
        );
        Ok(out
            .control_operation()
            .map(|o| control_operation!(o))
            .unwrap_or(ControlOperation {
                id: id.to_string(),
                kind: String::new(),
                status: OperationStatus::Other(String::new()),
                message: None,
                control_identifier: None,
                target: None,
                enabled_control: None,
                start_time: None,
                end_time: None,
            }))
    }

    async fn list_control_operations(
        &self,
        status: Option<OperationStatus>,
    ) -> Result<Vec<ControlOperation>, AwsError> {
        let mut req = self.client.list_control_operations();
        if let Some(s) = status {
            req = req.filter(
                ControlOperationFilter::builder()
                    .statuses(ControlOperationStatus::from(s.to_string().as_str()))
                    .build(),
            );
        }
        let list: Vec<sdk::ControlOperationSummary> = items!(SERVICE, "ListControlOperations", req);
        Ok(list.iter().map(|o| control_operation!(o)).collect())
    }
}
