//! The prerequisites rows refer to, made once for all rows (through forge's
//! providers, at addresses no row uses): a VPC with three subnets, a security group, an
//! attached internet gateway, Elastic IPs and route tables, two spare
//! VPCs, KMS keys, a target group, two load balancers and a listener, an
//! ECS cluster with a task definition and services, a scalable target, a
//! web ACL, and RDS and ElastiCache subnet groups with an Aurora cluster.

use super::REGION;
use crate::ProviderWorld;
use crate::provider_world::{ctx_in, desired, unmarked};
use serde_json::{Value as Json, json};

/// The stack the fixtures belong to: the rows' own, since some kinds look
/// for orphans only under their parents that the state owns (listeners of
/// its load balancers); fixture addresses are never a row's.
const SETUP: &str = super::STACK;

/// What rows can refer to (ids and ARNs).
pub struct Fixtures {
    pub vpc: String,
    /// Two VPCs with nothing in them (an internet gateway moves between them).
    pub spare_vpcs: [String; 2],
    /// One subnet of `vpc` in each of us-east-1a, b and c.
    pub subnets: Vec<String>,
    pub security_group: String,
    /// Attached to `vpc`.
    pub internet_gateway: String,
    pub eips: [String; 2],
    /// Two route tables of `vpc`.
    pub route_tables: [String; 2],
    /// Two KMS key ARNs.
    pub keys: [String; 2],
    pub target_group: String,
    pub load_balancers: [String; 2],
    /// Two HTTP listeners (ports 80 and 81) of the first load balancer.
    pub listeners: [String; 2],
    pub cluster: String,
    pub task_definition: String,
    /// Three ECS services' scalable resource ids; the third has a scalable
    /// target.
    pub services: [String; 3],
    pub web_acl: String,
    pub db_subnet_group: String,
    /// An Aurora PostgreSQL cluster (for cluster instances).
    pub aurora: String,
    pub cache_subnet_group: String,
    /// An SNS topic (for subscriptions).
    pub topic: String,
}

/// Creates `spec` of `kind` as the setup stack's `address`: its id.
async fn make(w: &ProviderWorld, kind: &str, address: &str, spec: Json) -> String {
    let p = w.p(kind);
    let want = unmarked(&desired(p, spec));
    let address = format!("fixture_{address}");
    p.create(
        &ctx_in(SETUP, REGION, &address),
        &want,
        &format!("setup-{address}"),
    )
    .await
    .unwrap_or_else(|e| panic!("fixture {address} ({kind}): {e}"))
    .id
}

impl Fixtures {
    /// Makes every fixture in the world's emulator.
    pub async fn build(w: &ProviderWorld) -> Fixtures {
        let vpc = make(
            w,
            "aws.ec2.vpc",
            "vpc",
            json!({"cidr_block": "10.0.0.0/16"}),
        )
        .await;
        let mut subnets = Vec::new();
        for (i, az) in ["a", "b", "c"].iter().enumerate() {
            let spec = json!({"vpc_id": vpc, "cidr_block": format!("10.0.{i}.0/24"),
                              "availability_zone": format!("{REGION}{az}")});
            subnets.push(make(w, "aws.ec2.subnet", &format!("subnet_{az}"), spec).await);
        }
        let (network, apps, data) = tokio::join!(
            Self::network(w, &vpc),
            Self::apps(w, &vpc, &subnets),
            Self::data(w, &subnets),
        );
        let (spare_vpcs, security_group, internet_gateway, eips, route_tables) = network;
        let (target_group, load_balancers, listeners, cluster, task_definition, services, web_acl) =
            apps;
        let (keys, db_subnet_group, aurora, cache_subnet_group) = data;
        let topic = make(
            w,
            "aws.sns.topic",
            "topic",
            json!({"name": "conformance-fixture-topic"}),
        )
        .await;
        Fixtures {
            vpc,
            spare_vpcs,
            subnets,
            security_group,
            internet_gateway,
            eips,
            route_tables,
            keys,
            target_group,
            load_balancers,
            listeners,
            cluster,
            task_definition,
            services,
            web_acl,
            db_subnet_group,
            aurora,
            cache_subnet_group,
            topic,
        }
    }

    async fn network(
        w: &ProviderWorld,
        vpc: &str,
    ) -> ([String; 2], String, String, [String; 2], [String; 2]) {
        let spare = [
            make(
                w,
                "aws.ec2.vpc",
                "spare_b",
                json!({"cidr_block": "10.1.0.0/16"}),
            )
            .await,
            make(
                w,
                "aws.ec2.vpc",
                "spare_c",
                json!({"cidr_block": "10.2.0.0/16"}),
            )
            .await,
        ];
        let sg = make(
            w,
            "aws.ec2.security_group",
            "sg",
            json!({"group_name": "setup", "vpc_id": vpc,
                   "egress": [{"ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}]}),
        )
        .await;
        let igw = make(w, "aws.ec2.internet_gateway", "igw", json!({"vpc_id": vpc})).await;
        let eips = [
            make(w, "aws.ec2.eip", "eip_a", json!({})).await,
            make(w, "aws.ec2.eip", "eip_b", json!({})).await,
        ];
        let rts = [
            make(w, "aws.ec2.route_table", "rt_a", json!({"vpc_id": vpc})).await,
            make(w, "aws.ec2.route_table", "rt_b", json!({"vpc_id": vpc})).await,
        ];
        (spare, sg, igw, eips, rts)
    }

    #[allow(clippy::type_complexity)]
    async fn apps(
        w: &ProviderWorld,
        vpc: &str,
        subnets: &[String],
    ) -> (
        String,
        [String; 2],
        [String; 2],
        String,
        String,
        [String; 3],
        String,
    ) {
        // The load balancers need a group of their own (the network branch
        // makes the rows' group concurrently).
        let sg = make(
            w,
            "aws.ec2.security_group",
            "alb_sg",
            json!({"group_name": "setup-alb", "vpc_id": vpc}),
        )
        .await;
        let tg = make(
            w,
            "aws.elbv2.target_group",
            "tg",
            json!({"name": "setup", "port": 80, "protocol": "HTTP", "vpc_id": vpc, "target_type": "ip"}),
        )
        .await;
        let lb = |name: &'static str| json!({"name": name, "subnets": subnets[..2], "security_groups": [sg]});
        let lbs = [
            make(w, "aws.elbv2.load_balancer", "lb_a", lb("setup-a")).await,
            make(w, "aws.elbv2.load_balancer", "lb_b", lb("setup-b")).await,
        ];
        let listener = |port: i64| {
            json!({"load_balancer_arn": lbs[0], "port": port, "protocol": "HTTP",
                   "default_actions": [{"type": "forward", "target_group_arn": tg}]})
        };
        let listeners = [
            make(w, "aws.elbv2.listener", "listener_80", listener(80)).await,
            make(w, "aws.elbv2.listener", "listener_81", listener(81)).await,
        ];
        let cluster = make(
            w,
            "aws.ecs.cluster",
            "cluster",
            json!({"cluster_name": "setup"}),
        )
        .await;
        let td = make(
            w,
            "aws.ecs.task_definition",
            "td",
            json!({"family": "setup", "cpu": 256, "memory": 512, "network_mode": "awsvpc",
                   "requires_compatibilities": ["FARGATE"],
                   "container_definitions": [{"name": "app", "image": "nginx:1.27"}]}),
        )
        .await;
        let mut services = Vec::new();
        for name in ["svc-a", "svc-b", "svc-c"] {
            make(
                w,
                "aws.ecs.service",
                name,
                json!({"service_name": name, "cluster": cluster, "task_definition": td,
                       "desired_count": 1, "launch_type": "FARGATE",
                       "network_configuration": {"subnets": subnets[..2], "security_groups": [sg]}}),
            )
            .await;
            services.push(format!("service/setup/{name}"));
        }
        let services: [String; 3] = services.try_into().unwrap_or_else(|_| unreachable!());
        make(
            w,
            "aws.appautoscaling.target",
            "scaling",
            json!({"resource_id": services[2], "min_capacity": 1, "max_capacity": 4}),
        )
        .await;
        let acl = make(
            w,
            "aws.wafv2.web_acl",
            "acl",
            json!({"name": "setup", "default_action": "allow", "rules": []}),
        )
        .await;
        (tg, lbs, listeners, cluster, td, services, acl)
    }

    async fn data(w: &ProviderWorld, subnets: &[String]) -> ([String; 2], String, String, String) {
        let key = |address: &'static str| async move {
            let id = make(w, "aws.kms.key", address, json!({"description": address})).await;
            format!("arn:aws:kms:{REGION}:123456789012:key/{id}")
        };
        let keys = [key("key_a").await, key("key_b").await];
        let db = make(
            w,
            "aws.rds.db_subnet_group",
            "db_subnets",
            json!({"db_subnet_group_name": "setup-db", "subnet_ids": subnets}),
        )
        .await;
        let aurora = make(
            w,
            "aws.rds.cluster",
            "aurora",
            json!({"db_cluster_identifier": "setup-aurora", "engine_version": "16",
                   "master_username": "setup_admin", "master_user_password": "correct-horse-battery",
                   "db_subnet_group_name": db, "skip_final_snapshot": true}),
        )
        .await;
        let cache = make(
            w,
            "aws.elasticache.subnet_group",
            "cache_subnets",
            json!({"name": "setup-cache", "subnet_ids": subnets}),
        )
        .await;
        (keys, db, aurora, cache)
    }
}
