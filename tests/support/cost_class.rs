//! What an object of each kind costs while a real-account test holds it,
//! as a class rather than a price: enough to decide whether a run is
//! affordable before it starts (the dry run's listing), not a bill.
//!
//! Classes are per kind and conservative (the larger of the sizes the
//! tests use). The figures behind them are AWS's published on-demand
//! prices in us-east-1 as of 2025 (AWS pricing pages of VPC, EC2 public
//! IPv4 addresses, Elastic Load Balancing, Fargate, RDS, ElastiCache, KMS,
//! Secrets Manager, CloudWatch, WAF); they move, the classes rarely do.

use std::fmt;

/// How an object is billed while it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CostClass {
    /// No charge for the object itself (VPCs, subnets, security groups,
    /// IAM roles, ECS clusters, target groups ...).
    Free,
    /// Billed only by use: storage, requests, ingested logs (S3, log
    /// groups, SNS). A test's use is cents.
    Usage,
    /// A flat monthly fee, prorated (KMS key $1/month, secret
    /// $0.40/month, alarm $0.10/month, WAF web ACL $5/month).
    Monthly,
    /// By the hour, under about $0.10 an hour (public IPv4 $0.005, NAT
    /// gateway $0.045 plus data, ALB $0.0225 plus LCUs, interface endpoint
    /// $0.01 per AZ, a small Fargate task about $0.012).
    HourlyCheap,
    /// By the hour, more than that, and slow to create and delete (RDS
    /// and Aurora instances, ElastiCache nodes): minutes of waiting that
    /// keep the meter running.
    HourlyExpensive,
    /// A kind the table does not know yet.
    Unknown,
}

impl CostClass {
    /// The class of `kind` (`aws.ec2.nat_gateway`).
    pub fn of(kind: &str) -> CostClass {
        use CostClass::*;
        match kind {
            "aws.ec2.vpc"
            | "aws.ec2.subnet"
            | "aws.ec2.route_table"
            | "aws.ec2.internet_gateway"
            | "aws.ec2.security_group"
            | "aws.ecs.cluster"
            | "aws.ecs.task_definition"
            | "aws.elbv2.listener"
            | "aws.elbv2.listener_rule"
            | "aws.elbv2.target_group"
            | "aws.iam.role"
            | "aws.kms.alias"
            | "aws.appautoscaling.target"
            | "aws.appautoscaling.policy"
            | "aws.rds.db_subnet_group"
            | "aws.rds.cluster_parameter_group"
            | "aws.rds.db_parameter_group"
            | "aws.rds.global_cluster"
            | "aws.elasticache.subnet_group"
            | "aws.elasticache.parameter_group"
            | "aws.sns.subscription"
            | "aws.ssm.parameter"
            | "aws.secretsmanager.secret_version"
            | "aws.wafv2.web_acl_association" => Free,
            "aws.s3.bucket"
            | "aws.logs.log_group"
            | "aws.sns.topic"
            | "aws.ec2.flow_log"
            // An Aurora cluster bills its storage and I/O; its instances
            // bill the hours.
            | "aws.rds.cluster" => Usage,
            "aws.kms.key"
            | "aws.secretsmanager.secret"
            | "aws.cloudwatch.metric_alarm"
            | "aws.wafv2.web_acl" => Monthly,
            "aws.ec2.eip"
            | "aws.ec2.nat_gateway"
            | "aws.ec2.vpc_endpoint"
            | "aws.elbv2.load_balancer"
            | "aws.ecs.service" => HourlyCheap,
            "aws.rds.cluster_instance"
            | "aws.rds.db_instance"
            | "aws.elasticache.replication_group" => HourlyExpensive,
            _ => Unknown,
        }
    }
}

impl fmt::Display for CostClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CostClass::Free => "free",
            CostClass::Usage => "usage",
            CostClass::Monthly => "monthly",
            CostClass::HourlyCheap => "hourly-cheap",
            CostClass::HourlyExpensive => "hourly-expensive",
            CostClass::Unknown => "unknown",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind forge can create has a class: a new kind must be
    /// classed before a real run can list it.
    #[test]
    fn every_kind_is_classed() {
        let mut registry = forge_engine::ProviderRegistry::new();
        forge_aws::register_all(&mut registry, forge_aws::AwsSettings::default());
        let unknown: Vec<&str> = registry
            .kinds()
            .filter(|k| CostClass::of(k) == CostClass::Unknown)
            .collect();
        assert!(
            unknown.is_empty(),
            "kinds without a cost class: {unknown:?}"
        );
    }
}
