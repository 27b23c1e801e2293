//! `aws.ec2.flow_log`: a VPC / subnet / network-interface flow log to
//! CloudWatch Logs or S3.
//!
//! Flow logs cannot be modified: every field but tags forces replacement.
//! The engine's token is the ClientToken of CreateFlowLogs. Observe cost:
//! one DescribeFlowLogs per 200 flow logs (plus pages).

use super::common::{
    self, Describe, Ec2Base, attrs, by_id, describe_ids, ec2_err, normalize_common, tags_field,
};
use crate::attrs::{int_or_null, opt_i64, opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::delete_result;
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Filter, FlowLog, FlowLogsResourceType, LogDestinationType, ResourceType, Tag, TrafficType,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// DescribeFlowLogs.
pub struct FlowLogApi;

impl Describe for FlowLogApi {
    type Item = FlowLog;
    const ID_FILTER: &'static str = "flow-log-id";

    async fn page(
        client: &Client,
        filters: Vec<Filter>,
        token: Option<String>,
    ) -> Result<(Vec<FlowLog>, Option<String>), ProviderError> {
        let out = client
            .describe_flow_logs()
            .set_filter(Some(filters))
            .set_next_token(token)
            .send()
            .await
            .map_err(ec2_err)?;
        Ok((out.flow_logs.unwrap_or_default(), out.next_token))
    }

    fn id(item: &FlowLog) -> Option<&str> {
        item.flow_log_id()
    }

    fn tags(item: &FlowLog) -> &[Tag] {
        item.tags()
    }
}

/// The `aws.ec2.flow_log` provider.
pub struct FlowLogProvider {
    base: Ec2Base,
    schema: KindSchema,
}

impl FlowLogProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        FlowLogProvider {
            base: Ec2Base::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.ec2.flow_log`.
pub fn schema() -> KindSchema {
    let fixed = |f: FieldSchema| f.force_new();
    KindSchema::new(
        "aws.ec2.flow_log",
        "A flow log capturing IP traffic of a VPC, subnet or network interface.",
        [
            (
                "resource_id",
                fixed(FieldSchema::required(FieldType::String))
                    .describe("The VPC, subnet or ENI id."),
            ),
            (
                "resource_type",
                fixed(FieldSchema::optional_computed(FieldType::String)).describe(
                    "VPC, Subnet or NetworkInterface (derived from resource_id when unset).",
                ),
            ),
            (
                "traffic_type",
                fixed(FieldSchema::optional(FieldType::String))
                    .default("ALL")
                    .describe("ALL, ACCEPT or REJECT."),
            ),
            (
                "log_destination_type",
                fixed(FieldSchema::optional(FieldType::String))
                    .default("cloud-watch-logs")
                    .describe("cloud-watch-logs, s3 or kinesis-data-firehose."),
            ),
            (
                "log_destination",
                fixed(FieldSchema::optional_computed(FieldType::String))
                    .describe("ARN of the log group, bucket (optionally /prefix) or stream."),
            ),
            (
                "log_group_name",
                fixed(FieldSchema::optional_computed(FieldType::String))
                    .describe("CloudWatch Logs group name (instead of log_destination)."),
            ),
            (
                "deliver_logs_permission_arn",
                fixed(FieldSchema::optional(FieldType::String))
                    .describe("IAM role that lets the service write to CloudWatch Logs."),
            ),
            (
                "max_aggregation_interval",
                fixed(FieldSchema::optional(FieldType::Number))
                    .default(600)
                    .describe("Seconds over which packets are aggregated: 60 or 600."),
            ),
            (
                "log_format",
                fixed(FieldSchema::optional_computed(FieldType::String)).describe(
                    "Record format (${version} ${account-id} ...); AWS's default when unset.",
                ),
            ),
            ("tags", tags_field()),
            (
                "flow_log_status",
                FieldSchema::computed(FieldType::String).describe("ACTIVE when capturing."),
            ),
            (
                "deliver_logs_status",
                FieldSchema::computed(FieldType::String)
                    .describe("SUCCESS, FAILED or ACCESS_ERROR."),
            ),
        ],
    )
}

/// The resource type of a resource id, from its prefix.
pub fn resource_type_of(id: &str) -> Option<&'static str> {
    if id.starts_with("vpc-") {
        Some("VPC")
    } else if id.starts_with("subnet-") {
        Some("Subnet")
    } else if id.starts_with("eni-") {
        Some("NetworkInterface")
    } else if id.starts_with("tgw-attach-") {
        Some("TransitGatewayAttachment")
    } else if id.starts_with("tgw-") {
        Some("TransitGateway")
    } else {
        None
    }
}

fn flow_log_attrs(f: &FlowLog) -> Attrs {
    let id = f.flow_log_id().unwrap_or_default();
    attrs([
        ("id", id.into()),
        ("resource_id", str_or_null(f.resource_id())),
        (
            "resource_type",
            str_or_null(f.resource_id().and_then(resource_type_of)),
        ),
        (
            "traffic_type",
            str_or_null(f.traffic_type().map(|t| t.as_str())),
        ),
        (
            "log_destination_type",
            str_or_null(f.log_destination_type().map(|t| t.as_str())),
        ),
        ("log_destination", str_or_null(f.log_destination())),
        ("log_group_name", str_or_null(f.log_group_name())),
        (
            "deliver_logs_permission_arn",
            str_or_null(f.deliver_logs_permission_arn()),
        ),
        (
            "max_aggregation_interval",
            int_or_null(f.max_aggregation_interval()),
        ),
        ("log_format", str_or_null(f.log_format())),
        ("tags", common::observed_tags(f.tags())),
        ("flow_log_status", str_or_null(f.flow_log_status())),
        ("deliver_logs_status", str_or_null(f.deliver_logs_status())),
    ])
}

async fn describe_one(client: &Client, id: &str) -> Result<Option<Attrs>, ProviderError> {
    let items = describe_ids::<FlowLogApi>(client, &[id.to_string()]).await?;
    Ok(items.first().map(flow_log_attrs))
}

#[async_trait]
impl Provider for FlowLogProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(common::CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        if attrs.get("resource_type").is_none_or(Value::is_null)
            && let Some(t) = opt_str(&attrs, "resource_id").and_then(resource_type_of)
        {
            attrs.insert("resource_type".into(), Value::from(t));
        }
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let items = describe_ids::<FlowLogApi>(&client, ids).await?;
        Ok(by_id::<FlowLogApi>(items, flow_log_attrs))
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let resource = req_str(desired, "resource_id")?;
        let resource_type = opt_str(desired, "resource_type")
            .or_else(|| resource_type_of(resource))
            .ok_or_else(|| {
                ProviderError::Invalid(format!(
                    "cannot tell the resource_type of `{resource}`; set it"
                ))
            })?;
        let interval = match opt_i64(desired, "max_aggregation_interval") {
            Some(i) => Some(
                i32::try_from(i)
                    .map_err(|_| ProviderError::Invalid(format!("max_aggregation_interval {i}")))?,
            ),
            None => None,
        };
        let out = client
            .create_flow_logs()
            .resource_ids(resource)
            .resource_type(FlowLogsResourceType::from(resource_type))
            .traffic_type(TrafficType::from(
                opt_str(desired, "traffic_type").unwrap_or("ALL"),
            ))
            .log_destination_type(LogDestinationType::from(
                opt_str(desired, "log_destination_type").unwrap_or("cloud-watch-logs"),
            ))
            .set_log_destination(opt_str(desired, "log_destination").map(str::to_string))
            .set_log_group_name(opt_str(desired, "log_group_name").map(str::to_string))
            .set_deliver_logs_permission_arn(
                opt_str(desired, "deliver_logs_permission_arn").map(str::to_string),
            )
            .set_max_aggregation_interval(interval)
            .set_log_format(opt_str(desired, "log_format").map(str::to_string))
            .client_token(common::client_token(token))
            .tag_specifications(common::tag_spec(ResourceType::VpcFlowLog, desired, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        common::unsuccessful(out.unsuccessful())?;
        let id = out
            .flow_log_ids()
            .first()
            .ok_or_else(|| ProviderError::Transient {
                message: "CreateFlowLogs returned no id".into(),
            })?
            .clone();
        let attrs = describe_one(&client, &id)
            .await?
            .ok_or_else(|| ProviderError::Transient {
                message: format!("flow log {id} not visible after create"),
            })?;
        Ok(Created { id, attrs })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::sync_tags(&client, id, prior, desired).await?;
        describe_one(&client, id)
            .await?
            .ok_or_else(|| ProviderError::Transient {
                message: format!("flow log {id} not visible after update"),
            })
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let out = match client
            .delete_flow_logs()
            .flow_log_ids(id)
            .send()
            .await
            .map_err(ec2_err)
        {
            Ok(out) => out,
            Err(e) => return delete_result(Err(e)),
        };
        delete_result(common::unsuccessful(out.unsuccessful()))
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let Some(id) = common::orphan_id::<FlowLogApi>(&client, ctx).await? else {
            return Ok(None);
        };
        Ok(describe_one(&client, &id)
            .await?
            .map(|attrs| Created { id, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::list_tagged::<FlowLogApi>(&client, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_but_tags_forces_replacement() {
        for (name, f) in &schema().fields {
            if f.settable() && name != "tags" {
                assert!(f.force_new, "{name}");
            }
        }
    }

    #[test]
    fn resource_type_is_derived() {
        assert_eq!(resource_type_of("vpc-123"), Some("VPC"));
        assert_eq!(resource_type_of("subnet-1"), Some("Subnet"));
        assert_eq!(
            resource_type_of("tgw-attach-1"),
            Some("TransitGatewayAttachment")
        );
        assert_eq!(resource_type_of("i-1"), None);
        let p = FlowLogProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())));
        let n = p.normalize(Attrs::from([(
            "resource_id".to_string(),
            Value::from("vpc-1"),
        )]));
        assert_eq!(n["resource_type"], Value::from("VPC"));
    }
}
