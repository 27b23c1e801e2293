//! The mapping table between forge kinds and terraform-provider-aws
//! resource types: one row per forge kind, with the Terraform type, the id
//! form, the attribute names that differ, the attributes Terraform writes
//! as nested blocks, and the Terraform sub-resources whose settings the
//! forge kind owns.
//!
//! It is the one home of this knowledge: the Terraform-shaped plan JSON
//! ([`super::plan_json`]) reads it forge → Terraform, and the migration
//! from Terraform state reads it Terraform → forge. Names come from the
//! kinds' field declarations (`forge schema`) and the provider's resource
//! documentation (argument and attribute references). Attributes not
//! listed are spelled the same on both sides.

/// One forge kind and its Terraform counterpart.
#[derive(Debug, Clone, Copy)]
pub struct KindRow {
    /// The forge kind, `aws.<service>.<kind>`.
    pub kind: &'static str,
    /// The terraform-provider-aws resource type.
    pub tf_type: &'static str,
    /// The id forge records (the id AWS uses for the object).
    pub id_form: &'static str,
    /// The attribute Terraform's state holds forge's id in (`id` for most
    /// types; `arn` or a name where the provider's `id` is something else).
    pub tf_id_attr: &'static str,
    /// `(forge field, Terraform attribute)` pairs whose names differ.
    pub renames: &'static [(&'static str, &'static str)],
    /// Forge fields (by their forge name) that are one object in forge and
    /// a nested block in Terraform (a one-element list of that object).
    pub blocks: &'static [&'static str],
    /// Terraform resources that carry settings forge keeps on this kind.
    pub folds: &'static [Fold],
    /// What else differs in shape (documentation; the converting code is
    /// named for the kind in [`super::shape`]).
    pub note: &'static str,
}

/// A Terraform sub-resource whose settings fold into a forge kind.
#[derive(Debug, Clone, Copy)]
pub struct Fold {
    /// The Terraform type, e.g. `aws_s3_bucket_versioning`.
    pub tf_type: &'static str,
    /// Its attribute naming the owning object (the owner's forge id).
    pub owner_attr: &'static str,
    /// The forge field(s) it sets.
    pub field: &'static str,
}

const fn fold(tf_type: &'static str, owner_attr: &'static str, field: &'static str) -> Fold {
    Fold {
        tf_type,
        owner_attr,
        field,
    }
}

/// A row with the common defaults: Terraform's `id` is forge's id, no
/// renames, no blocks, no folds.
const fn row(kind: &'static str, tf_type: &'static str, id_form: &'static str) -> KindRow {
    KindRow {
        kind,
        tf_type,
        id_form,
        tf_id_attr: "id",
        renames: &[],
        blocks: &[],
        folds: &[],
        note: "",
    }
}

/// Every forge kind, by service (a unit test checks each registered kind
/// has exactly one row).
pub const TABLE: &[KindRow] = &[
    // EC2 networking.
    row("aws.ec2.vpc", "aws_vpc", "vpc id (`vpc-…`)"),
    row("aws.ec2.subnet", "aws_subnet", "subnet id (`subnet-…`)"),
    KindRow {
        folds: &[fold(
            "aws_internet_gateway_attachment",
            "internet_gateway_id",
            "vpc_id",
        )],
        ..row(
            "aws.ec2.internet_gateway",
            "aws_internet_gateway",
            "gateway id (`igw-…`)",
        )
    },
    row("aws.ec2.eip", "aws_eip", "allocation id (`eipalloc-…`)"),
    KindRow {
        renames: &[("private_ip_address", "private_ip")],
        ..row(
            "aws.ec2.nat_gateway",
            "aws_nat_gateway",
            "NAT gateway id (`nat-…`)",
        )
    },
    KindRow {
        renames: &[("routes", "route")],
        folds: &[
            fold("aws_route", "route_table_id", "routes"),
            fold(
                "aws_route_table_association",
                "route_table_id",
                "subnet_ids",
            ),
        ],
        note: "a route's `destination_cidr_block` / `destination_ipv6_cidr_block` are \
               `cidr_block` / `ipv6_cidr_block` in `route`; `subnet_ids` are \
               `aws_route_table_association` resources",
        ..row(
            "aws.ec2.route_table",
            "aws_route_table",
            "route table id (`rtb-…`)",
        )
    },
    KindRow {
        renames: &[("group_name", "name")],
        folds: &[
            fold(
                "aws_security_group_rule",
                "security_group_id",
                "ingress/egress",
            ),
            fold(
                "aws_vpc_security_group_ingress_rule",
                "security_group_id",
                "ingress",
            ),
            fold(
                "aws_vpc_security_group_egress_rule",
                "security_group_id",
                "egress",
            ),
        ],
        note: "forge has one rule per peer (`cidr_ipv4`, `cidr_ipv6`, `referenced_group_id`, \
               `prefix_list_id`, `ip_protocol`); Terraform's inline rules group peers \
               (`cidr_blocks`, `ipv6_cidr_blocks`, `security_groups`, `prefix_list_ids`, \
               `protocol`)",
        ..row(
            "aws.ec2.security_group",
            "aws_security_group",
            "security group id (`sg-…`)",
        )
    },
    KindRow {
        folds: &[
            fold(
                "aws_vpc_endpoint_route_table_association",
                "vpc_endpoint_id",
                "route_table_ids",
            ),
            fold(
                "aws_vpc_endpoint_subnet_association",
                "vpc_endpoint_id",
                "subnet_ids",
            ),
        ],
        ..row(
            "aws.ec2.vpc_endpoint",
            "aws_vpc_endpoint",
            "endpoint id (`vpce-…`)",
        )
    },
    KindRow {
        renames: &[("deliver_logs_permission_arn", "iam_role_arn")],
        note: "`resource_id` is `vpc_id`, `subnet_id` or `eni_id` by `resource_type`",
        ..row("aws.ec2.flow_log", "aws_flow_log", "flow log id (`fl-…`)")
    },
    // Load balancing.
    KindRow {
        renames: &[
            ("deletion_protection", "enable_deletion_protection"),
            ("http2_enabled", "enable_http2"),
        ],
        blocks: &["access_logs"],
        note: "`scheme` is `internal` (true for `internal`)",
        tf_id_attr: "arn",
        ..row("aws.elbv2.load_balancer", "aws_lb", "ARN")
    },
    KindRow {
        blocks: &["health_check"],
        note: "`health_check`'s `interval_seconds` / `timeout_seconds` are `interval` / \
               `timeout`; `deregistration_delay` is a string",
        tf_id_attr: "arn",
        ..row("aws.elbv2.target_group", "aws_lb_target_group", "ARN")
    },
    KindRow {
        renames: &[("default_actions", "default_action")],
        note: "an action's `redirect` / `fixed_response` are one-element blocks; Terraform's \
               `order` is the list's order",
        tf_id_attr: "arn",
        ..row("aws.elbv2.listener", "aws_lb_listener", "ARN")
    },
    KindRow {
        renames: &[("conditions", "condition"), ("actions", "action")],
        tf_id_attr: "arn",
        ..row("aws.elbv2.listener_rule", "aws_lb_listener_rule", "ARN")
    },
    // ECS.
    KindRow {
        renames: &[("cluster_name", "name")],
        folds: &[fold(
            "aws_ecs_cluster_capacity_providers",
            "cluster_name",
            "capacity_providers, default_capacity_provider_strategy",
        )],
        note: "`container_insights` is `setting {name = \"containerInsights\", value}`",
        tf_id_attr: "arn",
        ..row("aws.ecs.cluster", "aws_ecs_cluster", "ARN")
    },
    KindRow {
        renames: &[
            ("service_name", "name"),
            ("load_balancers", "load_balancer"),
        ],
        blocks: &["network_configuration"],
        note: "`deployment_configuration` is `deployment_maximum_percent`, \
               `deployment_minimum_healthy_percent` and `deployment_circuit_breaker`; \
               `network_configuration.assign_public_ip` is a bool",
        ..row("aws.ecs.service", "aws_ecs_service", "ARN")
    },
    KindRow {
        blocks: &["runtime_platform"],
        note: "`container_definitions` is the ECS API's JSON text (camelCase keys)",
        tf_id_attr: "arn",
        ..row(
            "aws.ecs.task_definition",
            "aws_ecs_task_definition",
            "revision ARN",
        )
    },
    KindRow {
        tf_id_attr: "resource_id",
        note: "forge's id is `<namespace>|<resource id>|<dimension>`",
        ..row(
            "aws.appautoscaling.target",
            "aws_appautoscaling_target",
            "`<namespace>|<resource id>|<dimension>`",
        )
    },
    KindRow {
        renames: &[("policy_name", "name")],
        blocks: &["target_tracking_scaling_policy_configuration"],
        tf_id_attr: "name",
        note: "forge's id is `<namespace>|<resource id>|<dimension>|<policy name>`",
        ..row(
            "aws.appautoscaling.policy",
            "aws_appautoscaling_policy",
            "`<namespace>|<resource id>|<dimension>|<policy name>`",
        )
    },
    // WAF.
    KindRow {
        renames: &[("rules", "rule")],
        blocks: &["default_action", "visibility_config"],
        tf_id_attr: "arn",
        ..row("aws.wafv2.web_acl", "aws_wafv2_web_acl", "ARN")
    },
    KindRow {
        note: "Terraform's id is `<acl arn>,<resource arn>`; forge's `<acl arn>|<resource arn>`",
        ..row(
            "aws.wafv2.web_acl_association",
            "aws_wafv2_web_acl_association",
            "`<acl arn>|<resource arn>`",
        )
    },
    // IAM, logs, KMS, S3, secrets, parameters, notifications.
    KindRow {
        renames: &[
            ("role_name", "name"),
            ("inline_policies", "inline_policy"),
            ("role_id", "unique_id"),
        ],
        folds: &[
            fold("aws_iam_role_policy", "role", "inline_policies"),
            fold(
                "aws_iam_role_policy_attachment",
                "role",
                "managed_policy_arns",
            ),
        ],
        note: "`inline_policies` (name → policy) is a list of `inline_policy {name, policy}`",
        ..row("aws.iam.role", "aws_iam_role", "role name")
    },
    KindRow {
        renames: &[("log_group_name", "name")],
        ..row(
            "aws.logs.log_group",
            "aws_cloudwatch_log_group",
            "log group name",
        )
    },
    KindRow {
        renames: &[("key_spec", "customer_master_key_spec")],
        folds: &[fold("aws_kms_key_policy", "key_id", "policy")],
        ..row("aws.kms.key", "aws_kms_key", "key id")
    },
    KindRow {
        renames: &[("alias_name", "name")],
        ..row("aws.kms.alias", "aws_kms_alias", "alias name (`alias/…`)")
    },
    KindRow {
        folds: &[
            fold("aws_s3_bucket_versioning", "bucket", "versioning"),
            fold(
                "aws_s3_bucket_server_side_encryption_configuration",
                "bucket",
                "server_side_encryption",
            ),
            fold(
                "aws_s3_bucket_public_access_block",
                "bucket",
                "public_access_block",
            ),
            fold(
                "aws_s3_bucket_ownership_controls",
                "bucket",
                "ownership_controls",
            ),
            fold(
                "aws_s3_bucket_lifecycle_configuration",
                "bucket",
                "lifecycle_rules",
            ),
            fold("aws_s3_bucket_policy", "bucket", "policy"),
            fold(
                "aws_s3_bucket_replication_configuration",
                "bucket",
                "replication_configuration",
            ),
        ],
        note: "the plan JSON also writes the bucket's settings in `aws_s3_bucket`'s \
               read-only blocks (`versioning`, `server_side_encryption_configuration`, ...)",
        ..row("aws.s3.bucket", "aws_s3_bucket", "bucket name")
    },
    KindRow {
        folds: &[fold(
            "aws_secretsmanager_secret_version",
            "secret_id",
            "secret_string",
        )],
        ..row(
            "aws.secretsmanager.secret",
            "aws_secretsmanager_secret",
            "secret ARN",
        )
    },
    KindRow {
        renames: &[("parameter_type", "type")],
        tf_id_attr: "name",
        ..row("aws.ssm.parameter", "aws_ssm_parameter", "parameter name")
    },
    KindRow {
        folds: &[fold("aws_sns_topic_policy", "arn", "policy")],
        ..row("aws.sns.topic", "aws_sns_topic", "topic ARN")
    },
    KindRow {
        renames: &[("owner", "owner_id")],
        ..row(
            "aws.sns.subscription",
            "aws_sns_topic_subscription",
            "subscription ARN",
        )
    },
    // RDS.
    KindRow {
        renames: &[
            ("db_cluster_identifier", "cluster_identifier"),
            ("master_user_password", "master_password"),
            ("db_cluster_resource_id", "cluster_resource_id"),
        ],
        note: "`master_user_secret_arn` is `master_user_secret[0].secret_arn`",
        ..row("aws.rds.cluster", "aws_rds_cluster", "cluster identifier")
    },
    KindRow {
        renames: &[
            ("db_instance_identifier", "identifier"),
            ("db_cluster_identifier", "cluster_identifier"),
            ("db_instance_class", "instance_class"),
        ],
        ..row(
            "aws.rds.cluster_instance",
            "aws_rds_cluster_instance",
            "instance identifier",
        )
    },
    KindRow {
        renames: &[
            ("db_instance_identifier", "identifier"),
            ("db_instance_class", "instance_class"),
            ("master_username", "username"),
            ("master_user_password", "password"),
            ("db_parameter_group_name", "parameter_group_name"),
            ("dbi_resource_id", "resource_id"),
        ],
        tf_id_attr: "identifier",
        note: "provider 5.x records the DBI resource id (`db-…`) as `id`; the identifier is \
               `identifier`; `endpoint` is `address:port` there, `address` the host name",
        ..row(
            "aws.rds.db_instance",
            "aws_db_instance",
            "instance identifier",
        )
    },
    KindRow {
        renames: &[
            ("db_subnet_group_name", "name"),
            ("db_subnet_group_description", "description"),
        ],
        ..row(
            "aws.rds.db_subnet_group",
            "aws_db_subnet_group",
            "group name",
        )
    },
    KindRow {
        renames: &[("members", "global_cluster_members")],
        ..row(
            "aws.rds.global_cluster",
            "aws_rds_global_cluster",
            "global cluster identifier",
        )
    },
    KindRow {
        renames: &[
            ("db_cluster_parameter_group_name", "name"),
            ("db_parameter_group_family", "family"),
            ("parameters", "parameter"),
        ],
        note: "`parameters` (name → value) is a set of `parameter {name, value, apply_method}`",
        ..row(
            "aws.rds.cluster_parameter_group",
            "aws_rds_cluster_parameter_group",
            "group name",
        )
    },
    KindRow {
        renames: &[
            ("db_parameter_group_name", "name"),
            ("db_parameter_group_family", "family"),
            ("parameters", "parameter"),
        ],
        note: "`parameters` (name → value) is a set of `parameter {name, value, apply_method}`",
        ..row(
            "aws.rds.db_parameter_group",
            "aws_db_parameter_group",
            "group name",
        )
    },
    // ElastiCache.
    row(
        "aws.elasticache.subnet_group",
        "aws_elasticache_subnet_group",
        "group name",
    ),
    KindRow {
        renames: &[("parameters", "parameter")],
        note: "`parameters` (name → value) is a set of `parameter {name, value}`",
        ..row(
            "aws.elasticache.parameter_group",
            "aws_elasticache_parameter_group",
            "group name",
        )
    },
    KindRow {
        renames: &[
            ("cache_subnet_group_name", "subnet_group_name"),
            ("cache_parameter_group_name", "parameter_group_name"),
        ],
        ..row(
            "aws.elasticache.replication_group",
            "aws_elasticache_replication_group",
            "replication group id",
        )
    },
    // CloudWatch.
    row(
        "aws.cloudwatch.metric_alarm",
        "aws_cloudwatch_metric_alarm",
        "alarm name",
    ),
];

/// The row of a forge kind.
pub fn by_kind(kind: &str) -> Option<&'static KindRow> {
    TABLE.iter().find(|r| r.kind == kind)
}

/// The row of a Terraform resource type (the kind's own type, not a fold).
pub fn by_tf_type(tf_type: &str) -> Option<&'static KindRow> {
    TABLE.iter().find(|r| r.tf_type == tf_type)
}

/// The row and fold a Terraform sub-resource type folds into.
pub fn fold_of(tf_type: &str) -> Option<(&'static KindRow, &'static Fold)> {
    TABLE.iter().find_map(|r| {
        r.folds
            .iter()
            .find(|f| f.tf_type == tf_type)
            .map(|f| (r, f))
    })
}

impl KindRow {
    /// The Terraform name of a forge field.
    pub fn tf_name<'a>(&self, forge: &'a str) -> &'a str {
        self.renames
            .iter()
            .find(|(f, _)| *f == forge)
            .map_or(forge, |(_, t)| *t)
    }

    /// The forge name of a Terraform attribute.
    pub fn forge_name<'a>(&self, tf: &'a str) -> &'a str {
        self.renames
            .iter()
            .find(|(_, t)| *t == tf)
            .map_or(tf, |(f, _)| *f)
    }
}

/// The table as a Markdown table (docs/terraform.md embeds it; a unit
/// test keeps the two in step).
pub fn markdown() -> String {
    let mut out = String::from(
        "| forge kind | Terraform type | id | names that differ (forge → Terraform) | folded in |\n\
         | --- | --- | --- | --- | --- |\n",
    );
    let code = |s: &str| format!("`{s}`");
    for r in TABLE {
        let mut renames: Vec<String> = r
            .renames
            .iter()
            .map(|(f, t)| format!("`{f}` → `{t}`"))
            .collect();
        renames.extend(r.blocks.iter().map(|b| format!("`{b}` (block)")));
        if !r.note.is_empty() {
            renames.push(r.note.to_string());
        }
        let folds: Vec<String> = r
            .folds
            .iter()
            .map(|f| format!("`{}` (→ `{}`)", f.tf_type, f.field))
            .collect();
        let or_dash = |v: Vec<String>| {
            if v.is_empty() {
                "—".to_string()
            } else {
                v.join("; ")
            }
        };
        // A `|` inside a cell would end it.
        let cells = [
            code(r.kind),
            code(r.tf_type),
            r.id_form.to_string(),
            or_dash(renames),
            or_dash(folds),
        ]
        .map(|c| c.replace('|', "\\|"));
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AwsSettings, register_all};
    use forge_engine::ProviderRegistry;
    use std::collections::BTreeSet;

    fn registry() -> ProviderRegistry {
        let mut registry = ProviderRegistry::new();
        register_all(&mut registry, AwsSettings::default());
        registry
    }

    #[test]
    fn every_registered_kind_has_exactly_one_row() {
        let registry = registry();
        let kinds: BTreeSet<&str> = registry.kinds().collect();
        let rows: Vec<&str> = TABLE.iter().map(|r| r.kind).collect();
        let missing: Vec<&&str> = kinds.iter().filter(|k| !rows.contains(k)).collect();
        assert!(missing.is_empty(), "kinds without a row: {missing:?}");
        let unknown: Vec<&&str> = rows.iter().filter(|k| !kinds.contains(*k)).collect();
        assert!(unknown.is_empty(), "rows of no kind: {unknown:?}");
        assert_eq!(rows.len(), kinds.len(), "a kind has two rows");
    }

    #[test]
    fn renamed_and_block_fields_are_the_kinds_fields() {
        let registry = registry();
        let mut wrong = Vec::new();
        for r in TABLE {
            let Some(p) = registry.get(r.kind) else {
                continue;
            };
            let fields = &p.schema().fields;
            for name in r.renames.iter().map(|(f, _)| f).chain(r.blocks) {
                if !fields.contains_key(*name) {
                    wrong.push(format!("{}.{name}", r.kind));
                }
            }
        }
        assert!(wrong.is_empty(), "not fields of their kind: {wrong:?}");
    }

    #[test]
    fn terraform_types_are_distinct_and_folds_fold_once() {
        let mut seen = BTreeSet::new();
        for r in TABLE {
            assert!(seen.insert(r.tf_type), "{} twice", r.tf_type);
            for f in r.folds {
                assert!(seen.insert(f.tf_type), "{} twice", f.tf_type);
            }
        }
    }

    #[test]
    fn names_map_both_ways() {
        let role = by_kind("aws.iam.role").unwrap();
        assert_eq!(role.tf_name("role_name"), "name");
        assert_eq!(role.forge_name("name"), "role_name");
        assert_eq!(role.tf_name("path"), "path");
        assert_eq!(by_tf_type("aws_s3_bucket").unwrap().kind, "aws.s3.bucket");
        let (owner, f) = fold_of("aws_s3_bucket_versioning").unwrap();
        assert_eq!((owner.kind, f.field), ("aws.s3.bucket", "versioning"));
    }

    #[test]
    fn the_docs_show_the_table() {
        let docs = include_str!("../../../../docs/terraform.md");
        assert!(
            docs.contains(&markdown()),
            "docs/terraform.md must embed terraform::table::markdown(); its text is:\n{}",
            markdown()
        );
    }
}
