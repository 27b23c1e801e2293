"""How long AWS takes, and how fast it lets you call it: the one table the
emulator's time-scaled mode (scripts/moto_patches/realtime.py) and its rate
limits (scripts/moto_patches/harness_app.py) read, and the one the
critical-path figures of the real-time e2e test are computed from.

Durations are TYPICAL real seconds of one lifecycle phase (what a user
waits on an unloaded account), not the worst case: the timeouts quoted in
the sources are the ceilings terraform-provider-aws waits before it gives
up, given for scale. In time-scaled mode (`--time-scale S`) a phase lasts
`seconds * S`; S = 0 (the default) keeps moto's "ready at once".

Each entry: kind -> phase -> (state shown during the phase, seconds). A
phase may be a list of steps (an RDS instance is `creating`, then
`backing-up`). Keep the sources next to the numbers.
"""

DURATIONS = {
    # EC2 User Guide, "NAT gateways": a new gateway is `pending`, then
    # `available`; deleting is `deleting`, then `deleted` (DescribeNatGateways
    # lists deleted gateways for about an hour). Typical: 1-2 minutes each
    # way. terraform-provider-aws aws_nat_gateway default timeouts: create
    # 10m, update 10m, delete 30m.
    "nat_gateway": {
        "create": [("pending", 90)],
        "delete": [("deleting", 60)],
    },
    # Elastic Load Balancing User Guide, "Application Load Balancers": the
    # state is `provisioning` until the load balancer is `active`; typical
    # 2-3 minutes. terraform-provider-aws aws_lb default timeouts: create
    # 10m, update 10m, delete 10m (it waits for the load balancer's network
    # interfaces to go after a delete).
    "load_balancer": {
        "create": [("provisioning", 150)],
    },
    # Aurora User Guide, "Creating an Amazon Aurora DB cluster" / "Viewing
    # DB cluster status": `creating`, `modifying`, `deleting`,
    # `backing-up`, then `available`. Typical: the cluster (no instances)
    # 3-5 minutes, a writer instance 8-12 minutes plus its first backup;
    # the whole cluster 10-15 minutes. terraform-provider-aws default
    # timeouts: aws_rds_cluster create/update/delete 120m,
    # aws_rds_cluster_instance create/update/delete 90m.
    "rds_cluster": {
        "create": [("creating", 240)],
        "modify": [("modifying", 60)],
        "delete": [("deleting", 120)],
    },
    "rds_instance": {
        "create": [("creating", 540), ("backing-up", 60)],
        "modify": [("modifying", 300)],
        "delete": [("deleting", 300)],
    },
    # Aurora User Guide, "Using Amazon Aurora global databases": the global
    # cluster is `creating`, `modifying` (an in-place engine upgrade of every
    # member: tens of minutes), `deleting`. terraform-provider-aws
    # aws_rds_global_cluster default timeouts: create 5m, update 90m,
    # delete 5m.
    "rds_global_cluster": {
        "create": [("creating", 60)],
        "modify": [("modifying", 1200)],
        "delete": [("deleting", 60)],
    },
    # ElastiCache User Guide, "Creating a Redis replication group" /
    # DescribeReplicationGroups Status: `creating`, `available`,
    # `modifying`, `deleting`, `create-failed`, `snapshotting`. Typical:
    # about 10 minutes to create, minutes to modify or delete.
    # terraform-provider-aws aws_elasticache_replication_group default
    # timeouts: create 60m, update 40m, delete 45m.
    "elasticache_replication_group": {
        "create": [("creating", 600)],
        "modify": [("modifying", 300)],
        "delete": [("deleting", 300)],
    },
    # ECS Developer Guide, "Deployment circuit breaker" / DescribeServices
    # Deployment.rolloutState: IN_PROGRESS until the new tasks are running
    # and healthy, then COMPLETED (or FAILED). Typical: a few minutes (task
    # start, target registration and health checks). terraform-provider-aws
    # aws_ecs_service default timeouts: create 20m, update 20m, delete 20m
    # (wait_for_steady_state is off by default).
    "ecs_deployment": {
        "rollout": [("IN_PROGRESS", 180)],
    },
    # Hooks for kinds forge does not have yet (nothing reads them today):
    # EKS User Guide, cluster status CREATING -> ACTIVE, 10-15 minutes
    # (aws_eks_cluster timeouts: create 30m, update 60m, delete 15m);
    # CloudFront Developer Guide, distribution status InProgress ->
    # Deployed, 5-15 minutes (aws_cloudfront_distribution waits 70m);
    # ACM User Guide, PENDING_VALIDATION -> ISSUED minutes after the DNS
    # validation record exists (aws_acm_certificate_validation: create 75m).
    "eks_cluster": {"create": [("CREATING", 720)], "delete": [("DELETING", 600)]},
    "cloudfront_distribution": {"deploy": [("InProgress", 600)]},
    "acm_certificate": {"validate": [("PENDING_VALIDATION", 120)]},
}


def steps(kind, phase, scale):
    """The (state, scaled seconds) steps of `kind`'s `phase`."""
    return [(state, seconds * scale) for state, seconds in DURATIONS[kind][phase]]


def seconds(kind, phase):
    """Real seconds of `kind`'s `phase`, all its steps."""
    return sum(s for _, s in DURATIONS[kind][phase])


# API rate limits: service (SigV4 signing name) -> bucket -> (burst, refill
# per second), per account and region. A request takes one token from the
# bucket of its action (the first bucket whose matcher fits it).
#
# EC2 (EC2 Developer Guide, "Request throttling for the Amazon EC2 API",
# published per-action buckets): non-mutating (Describe*) 100 tokens,
# refill 20/s, each API its own bucket; mutating actions 200 tokens, refill
# 5/s. Answer: RequestLimitExceeded, HTTP 503.
# ECS (ECS Developer Guide, "Request throttling for the Amazon ECS API",
# token buckets per action group): cluster reads such as DescribeClusters
# burst 50, sustained 20/s; the same bucket stands in for service reads
# and List*. Writes have lower per-action quotas; one bucket of burst 20,
# refill 1/s stands in for them. Answer: ThrottlingException, HTTP 400.
# ELBv2, RDS, ElastiCache do not publish their rates; the buckets below are
# typical figures (a few tens of calls burst, a few per second sustained,
# as seen throttling big applies). Answer: Throttling, HTTP 400 (query
# protocol).
RATE_LIMITS = {
    "ec2": [("Describe*", "per-action", 100, 20), ("*", "per-action", 200, 5)],
    "ecs": [("Describe*", "reads", 50, 20), ("List*", "reads", 50, 20), ("*", "writes", 20, 1)],
    "elasticloadbalancing": [("Describe*", "reads", 40, 10), ("*", "writes", 20, 3)],
    "rds": [("Describe*", "reads", 40, 10), ("*", "writes", 20, 3)],
    "elasticache": [("Describe*", "reads", 40, 10), ("*", "writes", 20, 3)],
}
