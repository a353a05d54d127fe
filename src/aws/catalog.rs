//! AWS Control Catalog over aws-sdk-controlcatalog.

use aws_sdk_controlcatalog::types::{ControlFilter, ControlSummary, ImplementationFilter};

use super::paginate::items;
use super::{AwsError, ControlCatalog};
use crate::model::CatalogControl;

const SCP_TYPE: &str = "AWS::Organizations::Policy::SERVICE_CONTROL_POLICY";

pub struct SdkControlCatalog {
    client: aws_sdk_controlcatalog::Client,
}

impl SdkControlCatalog {
    pub fn new(config: &aws_config::SdkConfig) -> SdkControlCatalog {
        SdkControlCatalog {
            client: aws_sdk_controlcatalog::Client::from_conf(
                aws_sdk_controlcatalog::config::Builder::from(config)
                    .interceptor(super::calls::Counter {
                        service: "controlcatalog",
                    })
                    .build(),
            ),
        }
    }
}

impl ControlCatalog for SdkControlCatalog {
    async fn list_scp_controls(&self) -> Result<Vec<CatalogControl>, AwsError> {
        let filter = ControlFilter::builder()
            .implementations(ImplementationFilter::builder().types(SCP_TYPE).build())
            .build();
        let list: Vec<ControlSummary> = items!(
            "controlcatalog",
            "ListControls",
            self.client.list_controls().filter(filter)
        );
        Ok(list
            .iter()
            .map(|c| CatalogControl {
                arn: c.arn().to_string(),
                name: c.name().to_string(),
                aliases: c.aliases().to_vec(),
                implementation_type: c.implementation().map(|i| i.r#type().to_string()),
            })
            .collect())
    }
}
