//! `aws.ec2.flow_log`: a VPC / subnet / network-interface flow log to
//! CloudWatch Logs or S3.
//!
//! Flow logs cannot be modified: every field but tags forces replacement.
//! The engine's token is the ClientToken of CreateFlowLogs. Observe cost:
//! one DescribeFlowLogs per 200 flow logs (plus pages).

use super::common::prelude::*;
use crate::error::delete_result;
use aws_sdk_ec2::types::{FlowLog, FlowLogsResourceType, LogDestinationType, TrafficType};
use forge_core::{Attrs, Value};

ec2_kind!(FlowLogKind: "aws.ec2.flow_log", FlowLogFields, ResourceType::VpcFlowLog,
    "A flow log capturing IP traffic of a VPC, subnet or network interface.",
    describes FlowLog, "flow-log-id",
    describe_flow_logs.set_filter -> flow_logs, flow_log_id, paged);

/// The fields of `aws.ec2.flow_log`: every settable one but tags forces
/// replacement (flow logs cannot be modified).
#[derive(Debug, Clone, Default, Fields)]
pub struct FlowLogFields {
    /// The VPC, subnet or ENI id.
    #[field(force_new)]
    pub resource_id: String,
    /// VPC, Subnet or NetworkInterface (derived from resource_id when unset).
    #[field(optional_computed, force_new)]
    pub resource_type: Option<String>,
    /// ALL, ACCEPT or REJECT.
    #[field(force_new, default = "ALL")]
    pub traffic_type: Option<String>,
    /// cloud-watch-logs, s3 or kinesis-data-firehose.
    #[field(force_new, default = "cloud-watch-logs")]
    pub log_destination_type: Option<String>,
    /// ARN of the log group, bucket (optionally /prefix) or stream.
    #[field(optional_computed, force_new)]
    pub log_destination: Option<String>,
    /// CloudWatch Logs group name (instead of log_destination).
    #[field(optional_computed, force_new)]
    pub log_group_name: Option<String>,
    /// IAM role that lets the service write to CloudWatch Logs.
    #[field(force_new)]
    pub deliver_logs_permission_arn: Option<String>,
    /// Seconds over which packets are aggregated: 60 or 600.
    #[field(force_new, default = 600)]
    pub max_aggregation_interval: Option<i32>,
    /// Record format (${version} ${account-id} ...); AWS's default when unset.
    #[field(optional_computed, force_new)]
    pub log_format: Option<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// ACTIVE when capturing.
    pub flow_log_status: Computed<String>,
    /// SUCCESS, FAILED or ACCESS_ERROR.
    pub deliver_logs_status: Computed<String>,
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

fn flow_log_fields(f: &FlowLog) -> FlowLogFields {
    let text = |v: Option<&str>| v.map(str::to_string);
    FlowLogFields {
        resource_id: f.resource_id().unwrap_or_default().to_string(),
        resource_type: text(f.resource_id().and_then(resource_type_of)),
        traffic_type: f.traffic_type().map(|t| t.as_str().to_string()),
        log_destination_type: f.log_destination_type().map(|t| t.as_str().to_string()),
        log_destination: text(f.log_destination()),
        log_group_name: text(f.log_group_name()),
        deliver_logs_permission_arn: text(f.deliver_logs_permission_arn()),
        max_aggregation_interval: f.max_aggregation_interval(),
        log_format: text(f.log_format()),
        tags: common::observed_tag_map(f.tags()),
        flow_log_status: text(f.flow_log_status()),
        deliver_logs_status: text(f.deliver_logs_status()),
    }
}

#[async_trait]
impl Kind for FlowLogKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("ec2", "vpc-flow-log/")];

    /// An unset `resource_type` is the one `resource_id` names, so leaving
    /// it out is no diff against the live flow log.
    fn normalize(attrs: &mut Attrs) {
        let derived = match (attrs.get("resource_type"), attrs.get("resource_id")) {
            (None | Some(Value::Null), Some(Value::String(id))) => resource_type_of(id),
            _ => None,
        };
        if let Some(t) = derived {
            attrs.insert("resource_type".into(), Value::from(t));
        }
    }

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        describe_fields::<Self, _>(ctx.client, ids, flow_log_fields).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, token: &str) -> Created<Self> {
        let resource = desired.resource_id.as_str();
        let resource_type = desired
            .resource_type
            .as_deref()
            .or_else(|| resource_type_of(resource))
            .ok_or_else(|| {
                ProviderError::Invalid(format!(
                    "cannot tell the resource_type of `{resource}`; set it"
                ))
            })?;
        let out = ctx
            .client
            .create_flow_logs()
            .resource_ids(resource)
            .resource_type(FlowLogsResourceType::from(resource_type))
            .traffic_type(TrafficType::from(
                desired.traffic_type.as_deref().unwrap_or("ALL"),
            ))
            .log_destination_type(LogDestinationType::from(
                desired
                    .log_destination_type
                    .as_deref()
                    .unwrap_or("cloud-watch-logs"),
            ))
            .set_log_destination(desired.log_destination.clone())
            .set_log_group_name(desired.log_group_name.clone())
            .set_deliver_logs_permission_arn(desired.deliver_logs_permission_arn.clone())
            .set_max_aggregation_interval(desired.max_aggregation_interval)
            .set_log_format(desired.log_format.clone())
            .client_token(common::client_token(token))
            .tag_specifications(common::tag_spec::<Self>(&desired.tags, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        common::unsuccessful(out.unsuccessful())?;
        let id = returned(out.flow_log_ids().first(), "CreateFlowLogs returned no id")?.clone();
        Self::made(ctx, id).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        common::retag_and_read(ctx, id, &u.prior.tags, &u.desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let out = match ctx
            .client
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

    tagged_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::schema_of;
    use crate::kind::testing::desired;

    #[test]
    fn everything_but_tags_forces_replacement() {
        for (name, f) in &schema_of::<FlowLogKind>().fields {
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
        let n = desired::<FlowLogKind>(serde_json::json!({"resource_id": "vpc-1"}));
        assert_eq!(n["resource_type"], Value::from("VPC"));
    }
}
