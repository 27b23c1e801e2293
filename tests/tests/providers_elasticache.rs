//! The ElastiCache providers (subnet groups, parameter groups, replication
//! groups) against the emulator, through the provider API: create, read
//! back independently with aws-sdk-elasticache, observe (counting the
//! requests it costs through the proxy), no-op re-plan, in-place updates,
//! replacement where forced, orphan lookup by tags, delete and gone, and
//! that the AUTH token never appears in anything the provider returns in
//! the clear.
//!
//! Emulator gaps are patched in the harness (scripts/moto_launcher.py:
//! `patch_elasticache_deletes`, `patch_elasticache_replication_group_details`,
//! `patch_elasticache_parameter_groups`,
//! `patch_elasticache_modify_subnet_group`).

#![allow(clippy::unwrap_used)]

use forge_core::{Attrs, Value};
use forge_e2e::ProviderWorld;
use forge_e2e::provider_world::create_read;
use forge_e2e::provider_world::{Scope, desired, unmarked};
use forge_engine::diff::mark_sensitive;
use forge_engine::{PlannedAction, Provider};
use serde_json::json;
use std::collections::BTreeMap;

const REGION: &str = "us-east-1";
const STACK: &str = "cache-test";
const S: Scope = Scope {
    stack: STACK,
    region: REGION,
};
const TOKEN: &str = "first-auth-token-0123456789";
const TOKEN2: &str = "second-auth-token-9876543210";

async fn world() -> ProviderWorld {
    ProviderWorld::start_counted(&[REGION], &[forge_aws::elasticache::register]).await
}

fn ec(w: &ProviderWorld) -> aws_sdk_elasticache::Client {
    aws_sdk_elasticache::Client::new(&w.config)
}

/// Two subnets in two AZs of a new VPC and a security group.
async fn network(w: &ProviderWorld) -> (Vec<String>, String) {
    let (vpc, subnets) = w
        .vpc_with_subnets("10.50", &["us-east-1a", "us-east-1b"])
        .await;
    (subnets, w.security_group(&vpc, "cache").await)
}

/// What observe returns, unmarked: the token checks must see every field.
async fn observe(p: &dyn Provider, id: &str) -> Option<Attrs> {
    let mut found = p.observe(&S.octx(), &[id.to_string()]).await.unwrap();
    found.remove(id)
}

/// What the engine's refresh holds for a resource: the observed attributes
/// plus the sensitive values the cloud never returns, kept from the state.
fn refreshed(p: &dyn Provider, observed: &Attrs, recorded: &Attrs) -> Attrs {
    let id = observed
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut merged = forge_engine::refresh::merge_observed(None, recorded, observed, id);
    mark_sensitive(p.schema(), &mut merged);
    merged
}

/// Asserts the token appears nowhere in `attrs` except inside sensitive
/// values.
fn assert_no_token(what: &str, attrs: &Attrs) {
    for (k, v) in attrs {
        if v.is_sensitive() {
            continue;
        }
        let text = v.to_json().to_string();
        assert!(
            !text.contains(TOKEN) && !text.contains(TOKEN2),
            "{what}: field {k} shows the auth token"
        );
    }
    let debug = format!("{attrs:?}");
    assert!(
        !debug.contains(TOKEN) && !debug.contains(TOKEN2),
        "{what}: Debug shows the auth token"
    );
}

#[tokio::test]
async fn subnet_and_parameter_groups_lifecycle() {
    let w = world().await;
    let (subnets, _sg) = network(&w).await;
    let sg_p = w.p("aws.elasticache.subnet_group");
    let spec = desired(
        sg_p,
        json!({"name": "cache-net", "subnet_ids": [subnets[1], subnets[0]], "tags": {"team": "data"}}),
    );
    let created = create_read(sg_p, &S.ctx("net"), &unmarked(&spec), "t1")
        .await
        .unwrap();
    assert_eq!(created.id, "cache-net");

    // Independent read-back.
    let ec = ec(&w);
    let g = ec
        .describe_cache_subnet_groups()
        .cache_subnet_group_name("cache-net")
        .send()
        .await
        .unwrap();
    let g = &g.cache_subnet_groups()[0];
    let mut ids: Vec<&str> = g
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier())
        .collect();
    ids.sort();
    let mut want: Vec<&str> = subnets.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(ids, want);
    let tags = ec
        .list_tags_for_resource()
        .resource_name(g.arn().unwrap())
        .send()
        .await
        .unwrap();
    let tag = |k: &str| {
        tags.tag_list()
            .iter()
            .find(|t| t.key() == Some(k))
            .and_then(|t| t.value())
            .map(str::to_string)
    };
    assert_eq!(tag("forge:stack").as_deref(), Some(STACK));
    assert_eq!(tag("forge:address").as_deref(), Some("net"));
    assert_eq!(tag("team").as_deref(), Some("data"));

    let live = observe(sg_p, "cache-net").await.unwrap();
    let plan = sg_p.plan(Some(&live), &spec);
    assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
    let renamed = desired(sg_p, json!({"name": "cache-net2", "subnet_ids": subnets}));
    assert_eq!(
        sg_p.plan(Some(&live), &renamed).action,
        PlannedAction::Replace
    );
    // In place: the subnets (ModifyCacheSubnetGroup).
    let spec2 = desired(
        sg_p,
        json!({"name": "cache-net", "subnet_ids": [subnets[0]], "tags": {"team": "data"}}),
    );
    let plan = sg_p.plan(Some(&live), &spec2);
    assert_eq!(plan.action, PlannedAction::Update, "{:?}", plan.changes);
    let after = sg_p
        .update(
            &S.ctx("net"),
            "cache-net",
            &unmarked(&live),
            &unmarked(&spec2),
            &plan.changes,
        )
        .await
        .unwrap();
    assert_eq!(sg_p.plan(Some(&after), &spec2).action, PlannedAction::NoOp);
    let g = ec
        .describe_cache_subnet_groups()
        .cache_subnet_group_name("cache-net")
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = g.cache_subnet_groups()[0]
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier())
        .collect();
    assert_eq!(ids, vec![subnets[0].as_str()]);
    let orphan = sg_p
        .find_orphan(&S.ctx("net"), "t1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(orphan.id, "cache-net");
    let listed = sg_p.list_tagged(&S.octx()).await.unwrap();
    assert_eq!(
        listed,
        vec![("cache-net".to_string(), Some("net".to_string()))]
    );

    // Parameter group: only user-set values compared.
    let pg_p = w.p("aws.elasticache.parameter_group");
    let pspec = desired(
        pg_p,
        json!({"name": "app-redis7", "family": "redis7", "description": "app",
               "parameters": {"maxmemory-policy": "allkeys-lru", "timeout": 300}}),
    );
    let created = create_read(pg_p, &S.ctx("params"), &unmarked(&pspec), "t2")
        .await
        .unwrap();
    assert_eq!(created.id, "app-redis7");
    let user_params = |out: aws_sdk_elasticache::operation::describe_cache_parameters::DescribeCacheParametersOutput| {
        out.parameters()
            .iter()
            .filter(|p| p.source() == Some("user"))
            .map(|p| (p.parameter_name().unwrap().to_string(), p.parameter_value().unwrap().to_string()))
            .collect::<BTreeMap<_, _>>()
    };
    let params = user_params(
        ec.describe_cache_parameters()
            .cache_parameter_group_name("app-redis7")
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(
        params,
        BTreeMap::from([
            ("maxmemory-policy".to_string(), "allkeys-lru".to_string()),
            ("timeout".to_string(), "300".to_string())
        ])
    );
    let groups = ec
        .describe_cache_parameter_groups()
        .cache_parameter_group_name("app-redis7")
        .send()
        .await
        .unwrap();
    assert_eq!(
        groups.cache_parameter_groups()[0].cache_parameter_group_family(),
        Some("redis7")
    );
    let live = observe(pg_p, "app-redis7").await.unwrap();
    let plan = pg_p.plan(Some(&live), &pspec);
    assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);

    // In place: one value changed, one removed (reset to the default).
    let pspec2 = desired(
        pg_p,
        json!({"name": "app-redis7", "family": "redis7", "description": "app",
               "parameters": {"maxmemory-policy": "volatile-ttl"}}),
    );
    let plan = pg_p.plan(Some(&live), &pspec2);
    assert_eq!(plan.action, PlannedAction::Update, "{:?}", plan.changes);
    let after = pg_p
        .update(
            &S.ctx("params"),
            "app-redis7",
            &unmarked(&live),
            &unmarked(&pspec2),
            &plan.changes,
        )
        .await
        .unwrap();
    assert_eq!(pg_p.plan(Some(&after), &pspec2).action, PlannedAction::NoOp);
    let params = user_params(
        ec.describe_cache_parameters()
            .cache_parameter_group_name("app-redis7")
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(
        params,
        BTreeMap::from([("maxmemory-policy".to_string(), "volatile-ttl".to_string())])
    );
    let refamily = desired(
        pg_p,
        json!({"name": "app-redis7", "family": "valkey8", "description": "app"}),
    );
    assert_eq!(
        pg_p.plan(Some(&after), &refamily).action,
        PlannedAction::Replace
    );

    for (p, addr, id) in [(pg_p, "params", "app-redis7"), (sg_p, "net", "cache-net")] {
        // Deletes get the recorded attributes, as the engine passes them.
        let prior = observe(p, id).await.expect("still there");
        p.delete(&S.ctx(addr), id, &prior).await.unwrap();
        assert!(observe(p, id).await.is_none(), "{id} still observed");
        p.delete(&S.ctx(addr), id, &prior).await.unwrap();
    }
}

#[tokio::test]
async fn replication_group_lifecycle() {
    let w = world().await;
    let (subnets, sg) = network(&w).await;
    let key = w.kms_key_arn().await;
    let ec = ec(&w);

    let net = w.p("aws.elasticache.subnet_group");
    let net_spec = desired(net, json!({"name": "app-cache", "subnet_ids": subnets}));
    create_read(net, &S.ctx("net"), &unmarked(&net_spec), "t0")
        .await
        .unwrap();
    let params = w.p("aws.elasticache.parameter_group");
    let params_spec = desired(
        params,
        json!({"name": "app-params", "family": "redis7", "parameters": {"maxmemory-policy": "allkeys-lru"}}),
    );
    create_read(params, &S.ctx("params"), &unmarked(&params_spec), "t0")
        .await
        .unwrap();

    let p = w.p("aws.elasticache.replication_group");
    let base = json!({
        "replication_group_id": "app",
        "description": "app cache",
        "engine": "redis",
        "engine_version": "7.1",
        "node_type": "cache.t4g.small",
        "num_cache_clusters": 2,
        "multi_az_enabled": true,
        "automatic_failover_enabled": true,
        "at_rest_encryption_enabled": true,
        "kms_key_id": key,
        "transit_encryption_enabled": true,
        "transit_encryption_mode": "required",
        "auth_token": TOKEN,
        "cache_subnet_group_name": "app-cache",
        "security_group_ids": [sg],
        "cache_parameter_group_name": "app-params",
        "snapshot_retention_limit": 1,
        "maintenance_window": "sun:23:00-mon:01:30",
        "apply_immediately": true,
        "final_snapshot_identifier": "app-final",
        "tags": {"team": "data"}
    });
    let with = |extra: serde_json::Value| {
        let mut s = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        desired(p, s)
    };
    let spec = with(json!({}));
    let created = create_read(p, &S.ctx("redis"), &unmarked(&spec), "t1")
        .await
        .unwrap();
    assert_eq!(created.id, "app");
    assert_no_token("create", &created.attrs);
    assert_eq!(created.attrs["auth_token_enabled"], Value::Bool(true));
    // Write-only: never read back (at most a null the engine's merge skips).
    assert!(created.attrs.get("auth_token").is_none_or(Value::is_null));

    // Independent read-back of the group and its members.
    let g = ec
        .describe_replication_groups()
        .replication_group_id("app")
        .send()
        .await
        .unwrap();
    let g = &g.replication_groups()[0];
    assert_eq!(g.engine(), Some("redis"));
    assert_eq!(g.cache_node_type(), Some("cache.t4g.small"));
    assert_eq!(g.at_rest_encryption_enabled(), Some(true));
    assert_eq!(g.kms_key_id(), Some(key.as_str()));
    assert_eq!(g.transit_encryption_enabled(), Some(true));
    assert_eq!(g.auth_token_enabled(), Some(true));
    assert_eq!(g.multi_az().map(|m| m.as_str()), Some("enabled"));
    assert_eq!(g.automatic_failover().map(|m| m.as_str()), Some("enabled"));
    assert_eq!(g.member_clusters().len(), 2);
    assert_eq!(g.snapshot_retention_limit(), Some(1));
    let clusters = ec.describe_cache_clusters().send().await.unwrap();
    assert_eq!(clusters.cache_clusters().len(), 2);
    for c in clusters.cache_clusters() {
        assert_eq!(c.cache_subnet_group_name(), Some("app-cache"));
        assert_eq!(c.engine_version(), Some("7.1.0"));
        assert_eq!(
            c.cache_parameter_group()
                .and_then(|p| p.cache_parameter_group_name()),
            Some("app-params")
        );
        let sgs: Vec<&str> = c
            .security_groups()
            .iter()
            .filter_map(|s| s.security_group_id())
            .collect();
        assert_eq!(sgs, vec![sg.as_str()]);
    }
    let tags = ec
        .list_tags_for_resource()
        .resource_name(g.arn().unwrap())
        .send()
        .await
        .unwrap();
    let tag = |k: &str| {
        tags.tag_list()
            .iter()
            .find(|t| t.key() == Some(k))
            .and_then(|t| t.value())
    };
    assert_eq!(tag("forge:stack"), Some(STACK));
    assert_eq!(tag("forge:address"), Some("redis"));
    assert_eq!(tag("forge:apply_immediately"), Some("true"));
    assert_eq!(tag("forge:final_snapshot_identifier"), Some("app-final"));
    assert_eq!(tag("team"), Some("data"));
    let group_params = ec
        .describe_cache_parameters()
        .cache_parameter_group_name("app-params")
        .source("user")
        .send()
        .await
        .unwrap();
    assert_eq!(
        group_params.parameters()[0].parameter_value(),
        Some("allkeys-lru")
    );

    // Observe: one batched describe per API plus one tag read.
    let cost = w.observe_cost(p, &S.octx(), "app").await;
    assert_eq!(
        cost,
        BTreeMap::from([
            ("elasticache:DescribeCacheClusters".to_string(), 1),
            ("elasticache:DescribeReplicationGroups".to_string(), 1),
            ("elasticache:ListTagsForResource".to_string(), 1),
        ]),
        "observe cost"
    );
    let observed = observe(p, "app").await.unwrap();
    assert_no_token("observe", &observed);
    assert_eq!(observed["engine_version"], Value::from("7.1.0"));
    assert_eq!(
        observed["final_snapshot_identifier"],
        Value::from("app-final")
    );

    // No-op re-plan, with the token kept from the state as the engine does.
    let recorded = created.attrs.clone();
    let mut recorded = forge_engine::refresh::merge_observed(None, &spec, &recorded, "app");
    mark_sensitive(p.schema(), &mut recorded);
    let live = refreshed(p, &observed, &recorded);
    let plan = p.plan(Some(&live), &spec);
    assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
    // Pinning only the major is no change either.
    let plan = p.plan(Some(&live), &with(json!({"engine_version": "7"})));
    assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);

    // In place: node type and snapshot retention.
    let spec2 = with(json!({"node_type": "cache.t4g.medium", "snapshot_retention_limit": 3}));
    let plan = p.plan(Some(&live), &spec2);
    assert_eq!(plan.action, PlannedAction::Update, "{:?}", plan.changes);
    assert!(plan.changes.iter().all(|c| !c.forces_replacement));
    w.proxy().reset_counts();
    let after = p
        .update(
            &S.ctx("redis"),
            "app",
            &unmarked(&live),
            &unmarked(&spec2),
            &plan.changes,
        )
        .await
        .unwrap();
    assert_eq!(
        w.proxy().counts().get("elasticache:ModifyReplicationGroup"),
        Some(&1)
    );
    assert_no_token("update", &after);
    let g = ec
        .describe_replication_groups()
        .replication_group_id("app")
        .send()
        .await
        .unwrap();
    let g = &g.replication_groups()[0];
    assert_eq!(g.cache_node_type(), Some("cache.t4g.medium"));
    assert_eq!(g.snapshot_retention_limit(), Some(3));
    let live = refreshed(p, &after, &live);
    assert_eq!(p.plan(Some(&live), &spec2).action, PlannedAction::NoOp);

    // In place: one more replica (IncreaseReplicaCount).
    let spec2 = with(
        json!({"node_type": "cache.t4g.medium", "snapshot_retention_limit": 3, "num_cache_clusters": 3}),
    );
    let plan = p.plan(Some(&live), &spec2);
    assert_eq!(plan.action, PlannedAction::Update, "{:?}", plan.changes);
    w.proxy().reset_counts();
    let after = p
        .update(
            &S.ctx("redis"),
            "app",
            &unmarked(&live),
            &unmarked(&spec2),
            &plan.changes,
        )
        .await
        .unwrap();
    assert_eq!(
        w.proxy().counts().get("elasticache:IncreaseReplicaCount"),
        Some(&1)
    );
    assert_eq!(
        w.proxy().counts().get("elasticache:ModifyReplicationGroup"),
        None
    );
    let g = ec
        .describe_replication_groups()
        .replication_group_id("app")
        .send()
        .await
        .unwrap();
    assert_eq!(g.replication_groups()[0].member_clusters().len(), 3);
    let live = refreshed(p, &after, &live);
    assert_eq!(p.plan(Some(&live), &spec2).action, PlannedAction::NoOp);

    // Token rotation: in place, the new token never shows.
    let spec3 = with(
        json!({"node_type": "cache.t4g.medium", "snapshot_retention_limit": 3,
               "num_cache_clusters": 3, "auth_token": TOKEN2}),
    );
    let plan = p.plan(Some(&live), &spec3);
    assert_eq!(plan.action, PlannedAction::Update, "{:?}", plan.changes);
    for c in &plan.changes {
        let shown = format!(
            "{:?} {:?}",
            c.before.as_ref().map(|v| v.to_string()),
            c.after.as_ref().map(|v| v.to_string())
        );
        assert!(
            !shown.contains(TOKEN) && !shown.contains(TOKEN2),
            "plan shows the token: {shown}"
        );
    }
    let after = p
        .update(
            &S.ctx("redis"),
            "app",
            &unmarked(&live),
            &unmarked(&spec3),
            &plan.changes,
        )
        .await
        .unwrap();
    assert_no_token("rotate", &after);
    assert_eq!(after["auth_token_enabled"], Value::Bool(true));

    // An error never carries the token either.
    let err = create_read(p, &S.ctx("redis"), &unmarked(&spec3), "t2")
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN2), "error shows the token: {shown}");

    // Force-new changes plan a replacement.
    for change in [
        json!({"port": 6380}),
        json!({"cache_subnet_group_name": "other"}),
        json!({"at_rest_encryption_enabled": false}),
    ] {
        let plan = p.plan(Some(&live), &with(change.clone()));
        assert_eq!(
            plan.action,
            PlannedAction::Replace,
            "{change}: {:?}",
            plan.changes
        );
    }

    // Orphan lookup by tags finds it.
    let orphan = p.find_orphan(&S.ctx("redis"), "t1").await.unwrap().unwrap();
    assert_eq!(orphan.id, "app");
    assert!(
        p.find_orphan(&S.ctx("other"), "t1")
            .await
            .unwrap()
            .is_none()
    );

    // Delete: final snapshot, deleting, then gone; deleting again succeeds.
    p.delete(&S.ctx("redis"), "app", &unmarked(&after))
        .await
        .unwrap();
    let snaps = ec.describe_snapshots().send().await.unwrap();
    assert!(
        snaps
            .snapshots()
            .iter()
            .any(|s| s.snapshot_name() == Some("app-final")),
        "no final snapshot"
    );
    let mut gone = false;
    for _ in 0..5 {
        match observe(p, "app").await {
            None => {
                gone = true;
                break;
            }
            Some(a) => assert_eq!(a["status"], Value::from("deleting")),
        }
    }
    assert!(gone, "replication group still observed after delete");
    p.delete(&S.ctx("redis"), "app", &unmarked(&after))
        .await
        .unwrap();

    // Now the subnet and parameter groups can go.
    let prior = observe(net, "app-cache").await.expect("still there");
    net.delete(&S.ctx("net"), "app-cache", &prior)
        .await
        .unwrap();
    assert!(observe(net, "app-cache").await.is_none());
    let prior = observe(params, "app-params").await.expect("still there");
    params
        .delete(&S.ctx("params"), "app-params", &prior)
        .await
        .unwrap();
    assert!(observe(params, "app-params").await.is_none());
}
