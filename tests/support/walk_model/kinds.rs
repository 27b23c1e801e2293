//! forge's kinds as the model sees them: which entry and phase of the
//! emulator's durations table (scripts/moto_patches/durations.py) each slow
//! kind spends on create and on delete, the describe call forge polls it
//! with, and the terraform-provider-aws waiter of the matching Terraform
//! resource (`internal/service/...`; parameters and sources in
//! docs/testing.md). Every other kind is instant: one API round trip.

use super::waiter::Waiter;
use super::{Cost, Node, Op};
use crate::realtime::phase_seconds;
use serde_json::Value as Json;

/// A slow kind: its durations-table entry, the phases the emulator times
/// on create and on delete (none: it does not time that one), and the
/// describe call that observes it.
struct Slow {
    kind: &'static str,
    entry: &'static str,
    create: Option<&'static str>,
    delete: Option<&'static str>,
    describe: &'static str,
}

const SLOW: &[Slow] = &[
    Slow {
        kind: "aws.ec2.nat_gateway",
        entry: "nat_gateway",
        create: Some("create"),
        delete: Some("delete"),
        describe: "ec2:DescribeNatGateways",
    },
    // The emulator times no load balancer deletion.
    Slow {
        kind: "aws.elbv2.load_balancer",
        entry: "load_balancer",
        create: Some("create"),
        delete: None,
        describe: "elasticloadbalancing:DescribeLoadBalancers",
    },
    Slow {
        kind: "aws.rds.cluster",
        entry: "rds_cluster",
        create: Some("create"),
        delete: Some("delete"),
        describe: "rds:DescribeDBClusters",
    },
    Slow {
        kind: "aws.rds.cluster_instance",
        entry: "rds_instance",
        create: Some("create"),
        delete: Some("delete"),
        describe: "rds:DescribeDBInstances",
    },
    Slow {
        kind: "aws.rds.db_instance",
        entry: "rds_instance",
        create: Some("create"),
        delete: Some("delete"),
        describe: "rds:DescribeDBInstances",
    },
    // The emulator times no global cluster deletion.
    Slow {
        kind: "aws.rds.global_cluster",
        entry: "rds_global_cluster",
        create: Some("create"),
        delete: None,
        describe: "rds:DescribeGlobalClusters",
    },
    Slow {
        kind: "aws.elasticache.replication_group",
        entry: "elasticache_replication_group",
        create: Some("create"),
        delete: Some("delete"),
        describe: "elasticache:DescribeReplicationGroups",
    },
    // A new service's first deployment rolls out; deleting is instant.
    Slow {
        kind: "aws.ecs.service",
        entry: "ecs_deployment",
        create: Some("rollout"),
        delete: None,
        describe: "ecs:DescribeServices",
    },
];

fn slow(kind: &str) -> Option<&'static Slow> {
    SLOW.iter().find(|s| s.kind == kind)
}

/// Real seconds `kind`'s object takes to settle after its `op` call, from
/// a durations table as `realtime::durations` returns it (0: instant).
pub fn settle(table: &Json, kind: &str, op: Op) -> f64 {
    let Some(s) = slow(kind) else { return 0.0 };
    let phase = match op {
        Op::Apply => s.create,
        Op::Destroy => s.delete,
    };
    phase.map_or(0.0, |p| phase_seconds(table, s.entry, p))
}

/// The describe calls forge observes the slow kinds with ("service:Action"
/// as the emulator counts them), each once.
pub fn slow_describes() -> Vec<&'static str> {
    let mut v: Vec<&str> = SLOW.iter().map(|s| s.describe).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Whether Terraform's `aws_ecs_service` waits for its deployment
/// (`wait_for_steady_state`, false by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcsSteadyState {
    Default,
    Wait,
}

/// The waiter terraform-provider-aws runs after the call of the resource
/// matching `kind` (none: it returns at once).
pub fn terraform_waiter(kind: &str, op: Op, ecs: EcsSteadyState) -> Option<Waiter> {
    let doubling = Waiter::new(0.0, 0.0);
    let rds = Waiter::new(30.0, 10.0);
    match (op, kind) {
        // ec2 waitNATGatewayCreated: no Delay, no MinTimeout.
        (Op::Apply, "aws.ec2.nat_gateway") => Some(doubling),
        // elbv2 waitLoadBalancerActive; rds waitDBClusterCreated,
        // waitDBInstanceAvailable; elasticache
        // waitReplicationGroupAvailable: Delay 30 s, MinTimeout 10 s.
        (
            Op::Apply,
            "aws.elbv2.load_balancer"
            | "aws.rds.cluster"
            | "aws.rds.cluster_instance"
            | "aws.rds.db_instance"
            | "aws.elasticache.replication_group",
        ) => Some(rds),
        // rds waitGlobalClusterCreated: no Delay, no MinTimeout.
        (Op::Apply, "aws.rds.global_cluster") => Some(doubling),
        // ecs waitServiceStable, only with wait_for_steady_state.
        (Op::Apply, "aws.ecs.service") => (ecs == EcsSteadyState::Wait).then_some(doubling),
        // ec2 waitNATGatewayDeleted: Delay 10 s, MinTimeout 10 s.
        (Op::Destroy, "aws.ec2.nat_gateway") => Some(Waiter::new(10.0, 10.0)),
        // rds waitDBClusterDeleted, elasticache waitReplicationGroupDeleted:
        // Delay 30 s, MinTimeout 10 s.
        (Op::Destroy, "aws.rds.cluster" | "aws.elasticache.replication_group") => Some(rds),
        // rds waitDBInstanceDeleted: Delay 1 min, PollInterval 10 s, gone
        // on 3 refreshes in a row.
        (Op::Destroy, "aws.rds.cluster_instance" | "aws.rds.db_instance") => Some(Waiter {
            delay: 60.0,
            min_timeout: 0.0,
            poll_interval: 10.0,
            occurrences: 3,
        }),
        _ => None,
    }
}

/// What each resource costs forge's ideal scheduler: its object's settle
/// time (forge waits for every slow kind, and for slow deletions).
pub fn forge_cost(table: &Json, op: Op) -> impl Fn(&Node) -> Cost + '_ {
    move |n| Cost {
        settle: settle(table, &n.kind, op),
        waiter: None,
    }
}

/// What each resource costs Terraform: the settle time and the waiter
/// when its provider waits, else nothing beyond the call.
pub fn terraform_cost(table: &Json, op: Op, ecs: EcsSteadyState) -> impl Fn(&Node) -> Cost + '_ {
    move |n| match terraform_waiter(&n.kind, op, ecs) {
        Some(w) => Cost {
            settle: settle(table, &n.kind, op),
            waiter: Some(w),
        },
        None => Cost::INSTANT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Json {
        serde_json::json!({"scale": 0.01, "durations": {
            "nat_gateway": {"create": [["pending", 90]], "delete": [["deleting", 60]]},
            "rds_instance": {"create": [["creating", 540], ["backing-up", 60]]},
            "ecs_deployment": {"rollout": [["IN_PROGRESS", 180]]},
        }})
    }

    #[test]
    fn slow_kinds_read_their_phase_and_the_rest_is_instant() {
        let t = table();
        assert_eq!(settle(&t, "aws.ec2.nat_gateway", Op::Apply), 90.0);
        assert_eq!(settle(&t, "aws.ec2.nat_gateway", Op::Destroy), 60.0);
        assert_eq!(settle(&t, "aws.rds.cluster_instance", Op::Apply), 600.0);
        assert_eq!(settle(&t, "aws.ecs.service", Op::Destroy), 0.0);
        assert_eq!(settle(&t, "aws.ec2.subnet", Op::Apply), 0.0);
    }

    #[test]
    fn terraform_does_not_wait_for_an_ecs_rollout_by_default() {
        let t = table();
        let node = Node {
            address: "service".into(),
            kind: "aws.ecs.service".into(),
            deps: vec![],
        };
        assert_eq!(
            terraform_cost(&t, Op::Apply, EcsSteadyState::Default)(&node),
            Cost::INSTANT
        );
        let waited = terraform_cost(&t, Op::Apply, EcsSteadyState::Wait)(&node);
        assert_eq!(waited.settle, 180.0);
        assert_eq!(forge_cost(&t, Op::Apply)(&node).settle, 180.0);
    }
}
