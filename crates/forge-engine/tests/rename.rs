//! Renaming a resource others use: the renamed one is created under its new
//! address and the old one deleted; everything that referred to it moves
//! first, so no delete meets an object still in use (AWS's `ResourceInUse`
//! on a target group a listener forwards to). The fake cloud refuses such
//! deletes, and names of the `fake.group` kind are unique, like a target
//! group's.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_core::spec::{Config, Stack};
use forge_engine::{ChangeAction, Engine, MemoryBackend, PlanOptions, ProviderRegistry};
use forge_testkit::fake::{FakeCloud, FakeObject, FakeProvider};
use std::sync::Arc;

const NET: &str = "fake.net";
const GROUP: &str = "fake.group";
const LISTENER: &str = "fake.listener";

fn rename_engine(cloud: &FakeCloud, unique_group_names: bool) -> Engine {
    let mut r = ProviderRegistry::new();
    r.register(FakeProvider::arc(NET, cloud));
    let group = FakeProvider::new(GROUP, cloud);
    r.register(Arc::new(if unique_group_names {
        group.with_unique_names()
    } else {
        group
    }));
    r.register(FakeProvider::arc(LISTENER, cloud));
    Engine::new(r)
}

/// A net (named `net_name` in the spec), a group inside it (its `parent`
/// forces a replacement when it changes), and a listener forwarding to
/// the group.
fn network(net_name: &str) -> Stack {
    let net = of_kind(net_name, NET).with_field("name", Config::literal("main"));
    let group = dep(
        of_kind("group", GROUP)
            .with_field("name", Config::literal("app"))
            .with_field("parent", Config::template(format!("${{{net_name}.id}}"))),
        net_name,
    );
    let listener = dep(
        of_kind("listener", LISTENER).with_field("ref", Config::template("${group.arn}")),
        "group",
    );
    stack(vec![net, group, listener])
}

fn live(cloud: &FakeCloud, kind: &str) -> Vec<(String, FakeObject)> {
    cloud
        .objects()
        .into_iter()
        .filter(|(_, o)| o.kind == kind)
        .collect()
}

/// The last `op` on `address` in the cloud's timeline.
fn last(cloud: &FakeCloud, op: &str, address: &str) -> forge_testkit::fake::OpRecord {
    cloud
        .timeline()
        .into_iter()
        .rfind(|r| r.op == op && r.address == address)
        .unwrap()
}

fn action(plan: &forge_engine::Plan, address: &str) -> ChangeAction {
    plan.change(&address.parse().unwrap()).unwrap().action
}

async fn rename(unique_group_names: bool) -> (FakeCloud, forge_engine::Plan) {
    let cloud = FakeCloud::new();
    cloud.refuse_deletes_in_use();
    let e = rename_engine(&cloud, unique_group_names);
    let b = MemoryBackend::new();
    let first = e
        .plan(&network("vpc"), &b, &PlanOptions::default())
        .await
        .unwrap();
    let r = e.apply(&first, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{r:?}");

    let plan = e
        .plan(&network("main_vpc"), &b, &PlanOptions::default())
        .await
        .unwrap();
    assert_eq!(action(&plan, "vpc"), ChangeAction::Delete);
    assert_eq!(action(&plan, "main_vpc"), ChangeAction::Create);
    assert_eq!(action(&plan, "group"), ChangeAction::Replace);
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "the rename failed: {:?}", r.failed);

    // Exactly one of each, wired to each other.
    let nets = live(&cloud, NET);
    let groups = live(&cloud, GROUP);
    let listeners = live(&cloud, LISTENER);
    assert_eq!((nets.len(), groups.len(), listeners.len()), (1, 1, 1));
    let (net_id, _) = &nets[0];
    let (group_id, group) = &groups[0];
    assert_eq!(group.attrs["parent"].as_str(), Some(net_id.as_str()));
    assert_eq!(
        listeners[0].1.attrs["ref"].as_str(),
        Some(format!("arn:fake:{group_id}").as_str())
    );
    let state = b.state().unwrap();
    assert!(state.get(&"vpc".parse().unwrap()).is_none());
    assert_eq!(
        state
            .get(&"main_vpc".parse().unwrap())
            .unwrap()
            .id
            .as_deref(),
        Some(net_id.as_str())
    );
    // A second plan has nothing left to do.
    let again = e
        .plan(&network("main_vpc"), &b, &PlanOptions::default())
        .await
        .unwrap();
    assert!(!again.has_changes(), "{}", again.to_json_string());
    (cloud, plan)
}

#[tokio::test(start_paused = true)]
async fn renaming_a_used_resource_replaces_its_users_when_names_are_unique() {
    let (cloud, plan) = rename(true).await;
    // The group's new object cannot exist beside the old one (same name):
    // the listener goes first and comes back pointing at the new group.
    let group = plan.change(&"group".parse().unwrap()).unwrap();
    assert!(!group.create_before_destroy);
    let listener = plan.change(&"listener".parse().unwrap()).unwrap();
    assert_eq!(listener.action, ChangeAction::Replace);
    assert!(
        listener.replace_because.iter().any(|r| r.contains("group")),
        "{:?}",
        listener.replace_because
    );
    let at = |op: &str, a: &str| last(&cloud, op, a);
    assert!(at("delete", "group").start >= at("delete", "listener").end);
    assert!(at("delete", "vpc").start >= at("delete", "group").end);
    assert!(at("create", "listener").start >= at("create", "group").end);
}

#[tokio::test(start_paused = true)]
async fn renaming_a_used_resource_moves_its_users_before_deleting_it() {
    let (cloud, plan) = rename(false).await;
    // Without a unique name the group is replaced new-first, and the
    // listener is updated in place to the new group before the old goes.
    let group = plan.change(&"group".parse().unwrap()).unwrap();
    assert!(group.create_before_destroy, "{:?}", group.warnings);
    assert_eq!(action(&plan, "listener"), ChangeAction::Update);
    let at = |op: &str, a: &str| last(&cloud, op, a);
    assert!(at("delete", "group").start >= at("update", "listener").end);
    assert!(at("update", "listener").start >= at("create", "group").end);
}

#[tokio::test(start_paused = true)]
async fn the_fake_refuses_to_delete_what_is_in_use() {
    // What an apply deleting the group before moving the listener (the
    // order before the fix) meets: a refusal that is not retried.
    let cloud = FakeCloud::new();
    cloud.refuse_deletes_in_use();
    let e = rename_engine(&cloud, false);
    let b = MemoryBackend::new();
    let plan = e
        .plan(&network("vpc"), &b, &PlanOptions::default())
        .await
        .unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
    let group_id = live(&cloud, GROUP)[0].0.clone();
    let provider = FakeProvider::new(GROUP, &cloud);
    let ctx = forge_engine::ResourceCtx {
        owner: forge_engine::Owner::new("l", "test", None),
        address: "group".parse().unwrap(),
        region: "eu-west-1".into(),
        alias: None,
        system_tags: Default::default(),
    };
    let err = forge_engine::Provider::delete(&provider, &ctx, &group_id, &Default::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ResourceInUse"), "{err}");
    assert!(!err.is_retryable());
}
