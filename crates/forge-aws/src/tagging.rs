//! The Resource Groups Tagging API as drift's tag index: one paged
//! `GetResources` per region, filtered on `forge:stack = <stack>`, returns
//! the ARN and tags of every tagged resource of every service, which
//! ARN shapes the kinds declare ([`crate::kind::Kind::ARN`]) map back to
//! forge kinds and ids.
//!
//! Without it, drift's orphan search calls every kind's `list_tagged`: at
//! least one List/Describe per kind and region, and for kinds whose list
//! call carries no tags (KMS keys, SSM parameters, IAM roles) one tag read
//! per resource in the account. With it, the search costs one call per
//! region (plus a page per 500 tags found).
//!
//! Kinds left out of the table keep their `list_tagged`: IAM roles
//! (`GetResources` does not list IAM users and roles), SSM parameters (the ARN
//! of `/x` and of `x` is the same, so the name cannot be told back), and
//! kinds without tags or without a list of their own (KMS aliases, ECS
//! task definition revisions, associations). A kind joins the index by
//! declaring its ARN shape; the tests below show the ARNs expected.

use crate::clients::AwsClients;
use crate::error::sdk_error;
use crate::kind::{ArnShape, IdFrom};
use crate::paging::collect_pages;
use crate::tags::STACK_TAG;
use async_trait::async_trait;
use aws_sdk_resourcegroupstagging::Client;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use forge_engine::{ObserveCtx, ProviderError, TagIndex, TaggedResource};
use std::sync::Arc;

/// The signing name of the API, for error messages.
const SERVICE: &str = "tagging";

/// Pages of `GetResources` are cut by tags (default 100, at most 500; a
/// resource and its tags are never split). Every forge resource carries at
/// least its two ownership tags plus the stack's, so the default cuts a
/// 30-resource stack in two; the maximum keeps a stack's search at one
/// request in most cases.
const TAGS_PER_PAGE: i32 = 500;

/// The kinds and id an ARN stands for among `shapes` (each with its kind,
/// in registration order), or `None` for resources forge has no kind for
/// (ECS tasks, network interfaces, snapshots, ...).
pub fn kind_and_id(shapes: &[(ArnShape, String)], arn: &str) -> Option<(Vec<String>, String)> {
    // arn:partition:service:region:account:resource — the resource part
    // may itself contain `:` (`cluster:db-1`, `log-group:/x:*`).
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", _, service, _, _, resource] = parts[..] else {
        return None;
    };
    // The longest matching prefix wins, so `vpc/` never swallows a
    // `vpc-endpoint/`, and every kind sharing it is a candidate.
    let matches = |s: &ArnShape| s.service == service && resource.starts_with(s.prefix);
    let best = shapes
        .iter()
        .filter(|(s, _)| matches(s))
        .map(|(s, _)| s.prefix.len())
        .max()?;
    let chosen: Vec<&(ArnShape, String)> = shapes
        .iter()
        .filter(|(s, _)| matches(s) && s.prefix.len() == best)
        .collect();
    let shape = chosen.first()?.0;
    let rest = &resource[shape.prefix.len()..];
    let id = match shape.id {
        IdFrom::Rest => rest,
        IdFrom::Arn => arn,
        IdFrom::LogGroup => rest.strip_suffix(":*").unwrap_or(rest),
    };
    // An empty id, or an S3 object rather than a bucket, is no resource.
    if id.is_empty() || (service == "s3" && rest.contains('/')) {
        return None;
    }
    Some((
        chosen.iter().map(|(_, k)| k.clone()).collect(),
        id.to_string(),
    ))
}

/// The Resource Groups Tagging API as a [`TagIndex`].
#[derive(Debug, Clone)]
pub struct ResourceTagIndex {
    clients: Arc<AwsClients>,
    shapes: Arc<Vec<(ArnShape, String)>>,
}

impl ResourceTagIndex {
    /// An index sharing the providers' client cache, mapping ARNs with the
    /// registered kinds' shapes.
    pub fn new(clients: Arc<AwsClients>, shapes: Vec<(ArnShape, String)>) -> Self {
        ResourceTagIndex {
            clients,
            shapes: Arc::new(shapes),
        }
    }
}

#[async_trait]
impl TagIndex for ResourceTagIndex {
    fn covers(&self, kind: &str) -> bool {
        self.shapes.iter().any(|(_, k)| k == kind)
    }

    async fn tagged(&self, ctx: &ObserveCtx) -> Result<Vec<TaggedResource>, ProviderError> {
        let client = self
            .clients
            .client_for(&ctx.region, ctx.alias.as_deref(), Client::new)
            .await?;
        let filter = TagFilter::builder()
            .key(STACK_TAG)
            .values(ctx.owner.stack.clone())
            .build();
        let client = &client;
        let filter = &filter;
        let shapes = &self.shapes;
        collect_pages(|token| async move {
            let out = client
                .get_resources()
                .tag_filters(filter.clone())
                .tags_per_page(TAGS_PER_PAGE)
                .set_pagination_token(token)
                .send()
                .await
                .map_err(|e| sdk_error(SERVICE, e))?;
            let found = out
                .resource_tag_mapping_list()
                .iter()
                .filter_map(|m| {
                    let (kinds, id) = kind_and_id(shapes, m.resource_arn()?)?;
                    let tags = m
                        .tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect();
                    Some(TaggedResource { kinds, id, tags })
                })
                .collect();
            Ok((found, out.pagination_token().map(str::to_string)))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes every registered kind declares.
    fn shapes() -> Vec<(ArnShape, String)> {
        crate::registered_shapes()
    }

    fn kind_and_id(arn: &str) -> Option<(Vec<String>, String)> {
        super::kind_and_id(&shapes(), arn)
    }

    fn one(arn: &str) -> (String, String) {
        let (kinds, id) = kind_and_id(arn).unwrap_or_else(|| panic!("{arn} not mapped"));
        assert_eq!(kinds.len(), 1, "{arn}");
        (kinds[0].clone(), id)
    }

    #[test]
    fn ec2_ids_are_the_last_path_part() {
        let a = "arn:aws:ec2:us-east-1:123456789012";
        for (res, kind, id) in [
            ("vpc/vpc-0a1", "aws.ec2.vpc", "vpc-0a1"),
            ("subnet/subnet-1", "aws.ec2.subnet", "subnet-1"),
            (
                "internet-gateway/igw-1",
                "aws.ec2.internet_gateway",
                "igw-1",
            ),
            ("elastic-ip/eipalloc-1", "aws.ec2.eip", "eipalloc-1"),
            ("natgateway/nat-1", "aws.ec2.nat_gateway", "nat-1"),
            ("route-table/rtb-1", "aws.ec2.route_table", "rtb-1"),
            ("security-group/sg-1", "aws.ec2.security_group", "sg-1"),
            ("vpc-flow-log/fl-1", "aws.ec2.flow_log", "fl-1"),
            ("vpc-endpoint/vpce-1", "aws.ec2.vpc_endpoint", "vpce-1"),
        ] {
            assert_eq!(one(&format!("{a}:{res}")), (kind.into(), id.into()));
        }
        // A VPC's prefix does not swallow a VPC endpoint's, and EC2 types
        // forge has no kind for are skipped.
        assert_eq!(kind_and_id(&format!("{a}:network-interface/eni-1")), None);
        assert_eq!(kind_and_id(&format!("{a}:instance/i-1")), None);
    }

    #[test]
    fn arn_id_kinds_keep_the_whole_arn() {
        for (arn, kind) in [
            (
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
                "aws.elbv2.load_balancer",
            ),
            (
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/nlb/50dc6c495c0c9188",
                "aws.elbv2.load_balancer",
            ),
            (
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067",
                "aws.elbv2.target_group",
            ),
            (
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc/f2f7",
                "aws.elbv2.listener",
            ),
            (
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc/f2f7/9683",
                "aws.elbv2.listener_rule",
            ),
            (
                "arn:aws:ecs:us-east-1:123456789012:cluster/app",
                "aws.ecs.cluster",
            ),
            (
                "arn:aws:ecs:us-east-1:123456789012:service/app/web",
                "aws.ecs.service",
            ),
            (
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
                "aws.secretsmanager.secret",
            ),
            (
                "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/web/a1b2c3",
                "aws.wafv2.web_acl",
            ),
        ] {
            assert_eq!(one(arn), (kind.into(), arn.into()));
        }
        // A classic load balancer is not an elbv2 one; ECS tasks and task
        // definitions are not kinds the index reports.
        assert_eq!(
            kind_and_id("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/old"),
            None
        );
        assert_eq!(
            kind_and_id("arn:aws:ecs:us-east-1:123456789012:task/app/abc"),
            None
        );
        assert_eq!(
            kind_and_id("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"),
            None
        );
    }

    #[test]
    fn name_and_key_ids() {
        let rds = "arn:aws:rds:eu-west-1:123456789012";
        let ec = "arn:aws:elasticache:eu-west-1:123456789012";
        let key = "1234abcd-12ab-34cd-56ef-1234567890ab";
        for (arn, kind, id) in [
            (
                format!("arn:aws:kms:us-east-1:1:key/{key}"),
                "aws.kms.key",
                key,
            ),
            (
                "arn:aws:logs:us-east-1:1:log-group:/ecs/web:*".into(),
                "aws.logs.log_group",
                "/ecs/web",
            ),
            (
                "arn:aws:logs:us-east-1:1:log-group:/ecs/web".into(),
                "aws.logs.log_group",
                "/ecs/web",
            ),
            (
                "arn:aws:s3:::forge-artifacts".into(),
                "aws.s3.bucket",
                "forge-artifacts",
            ),
            (format!("{rds}:cluster:app-db"), "aws.rds.cluster", "app-db"),
            (
                format!("{rds}:subgrp:app-sn"),
                "aws.rds.db_subnet_group",
                "app-sn",
            ),
            (
                format!("{rds}:cluster-pg:app-pg"),
                "aws.rds.cluster_parameter_group",
                "app-pg",
            ),
            (
                format!("{rds}:pg:app-pg"),
                "aws.rds.db_parameter_group",
                "app-pg",
            ),
            (
                format!("{ec}:replicationgroup:r"),
                "aws.elasticache.replication_group",
                "r",
            ),
            (
                format!("{ec}:subnetgroup:r"),
                "aws.elasticache.subnet_group",
                "r",
            ),
            (
                format!("{ec}:parametergroup:r7"),
                "aws.elasticache.parameter_group",
                "r7",
            ),
            (
                "arn:aws:cloudwatch:eu-west-1:1:alarm:cpu".into(),
                "aws.cloudwatch.metric_alarm",
                "cpu",
            ),
        ] {
            assert_eq!(one(&arn), (kind.into(), id.into()));
        }
        // `db:` is an Aurora cluster instance or a standalone instance:
        // both kinds, for drift to tell apart.
        let both = ["aws.rds.cluster_instance", "aws.rds.db_instance"].map(String::from);
        assert_eq!(
            kind_and_id(&format!("{rds}:db:app-db-1")),
            Some((both.to_vec(), "app-db-1".into()))
        );
        for unmapped in [
            "arn:aws:s3:::forge-artifacts/key.txt".to_string(),
            format!("{rds}:cluster-snapshot:s1"),
            format!("{rds}:snapshot:s1"),
            format!("{ec}:cluster:app-redis-001"),
        ] {
            assert_eq!(kind_and_id(&unmapped), None, "{unmapped}");
        }
    }

    #[test]
    fn malformed_arns_and_coverage() {
        for bad in [
            "",
            "vpc-1",
            "arn:aws:ec2",
            "arn:aws:ec2:us-east-1:1:vpc/",
            "nope:aws:ec2:r:a:vpc/vpc-1",
        ] {
            assert_eq!(kind_and_id(bad), None, "{bad}");
        }
        let index = ResourceTagIndex::new(Arc::new(AwsClients::new(Default::default())), shapes());
        assert!(index.covers("aws.ec2.vpc"));
        assert!(index.covers("aws.rds.db_instance"));
        assert!(index.covers("aws.kms.key"));
        assert!(index.covers("aws.wafv2.web_acl"));
        // Left to list_tagged (see the module docs).
        for kind in ["aws.iam.role", "aws.ssm.parameter", "aws.kms.alias"] {
            assert!(!index.covers(kind), "{kind}");
        }
    }

    #[test]
    fn every_shape_names_its_kinds_once() {
        let mut seen = std::collections::BTreeSet::new();
        for (s, kind) in shapes() {
            assert!(
                seen.insert((s.service, s.prefix, kind.clone())),
                "{}:{} {kind}",
                s.service,
                s.prefix
            );
            assert!(kind.starts_with("aws."), "{kind}");
        }
    }
}
