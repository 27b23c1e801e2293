//! The model on small graphs whose answers are computed by hand.

use super::*;

fn node(address: &str, kind: &str, deps: &[&str]) -> Node {
    Node {
        address: address.into(),
        kind: kind.into(),
        deps: deps.iter().map(|d| d.to_string()).collect(),
    }
}

fn graph(nodes: Vec<Node>) -> Graph {
    Graph { nodes }
}

/// "slowN" settles in N seconds, polled every 10 s after a 30 s delay;
/// everything else is instant.
fn cost(n: &Node) -> Cost {
    match n
        .kind
        .strip_prefix("slow")
        .and_then(|s| s.parse::<f64>().ok())
    {
        Some(settle) => Cost {
            settle,
            waiter: Some(Waiter::new(30.0, 10.0)),
        },
        None => Cost::INSTANT,
    }
}

const P: Params = Params {
    latency: 1.0,
    parallelism: 10,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn a_chain_adds_up_in_both_directions() {
    let g = graph(vec![
        node("a", "vpc", &[]),
        node("b", "slow90", &["a"]),
        node("c", "route", &["b"]),
        node("x", "other", &[]),
    ]);
    let apply = g.critical_path(Op::Apply, &P, cost);
    assert!(close(apply.seconds, 93.0), "{apply:?}");
    assert_eq!(apply.path, ["a", "b", "c"]);
    let destroy = g.critical_path(Op::Destroy, &P, cost);
    assert!(close(destroy.seconds, 93.0), "{destroy:?}");
    assert_eq!(destroy.path, ["c", "b", "a"]);
    // Terraform: b's waiter sees it settled at 30, 40 ... 90 s: 7 polls.
    let tf = g.terraform_walk(Op::Apply, &P, cost);
    assert!(close(tf.seconds, 1.0 + 1.0 + 90.0 + 1.0), "{tf:?}");
    assert_eq!(tf.polls, 7);
}

#[test]
fn a_waiter_is_late_by_its_schedule() {
    // Settled at 55 s, seen at 60 s on the 4th refresh (30, 40, 50, 60).
    let g = graph(vec![node("db", "slow55", &[])]);
    let tf = g.terraform_walk(Op::Apply, &P, cost);
    assert!(close(tf.seconds, 61.0), "{tf:?}");
    assert_eq!(tf.polls, 4);
    assert!(close(g.critical_path(Op::Apply, &P, cost).seconds, 56.0));
}

#[test]
fn a_fan_out_waits_for_slots() {
    // 25 instant leaves under one root: with 10 slots they go in three
    // waves after the root; the critical path is root + one leaf.
    let mut nodes = vec![node("root", "vpc", &[])];
    nodes.extend((0..25).map(|i| node(&format!("leaf{i:02}"), "subnet", &["root"])));
    let g = graph(nodes);
    assert!(close(g.critical_path(Op::Apply, &P, cost).seconds, 2.0));
    assert!(close(g.terraform_walk(Op::Apply, &P, cost).seconds, 4.0));
    let one = Params {
        parallelism: 1,
        ..P
    };
    assert!(close(g.terraform_walk(Op::Apply, &one, cost).seconds, 26.0));
}

#[test]
fn a_waiting_resource_holds_its_slot() {
    // One slot: the slow resource (ready first by address) holds it for
    // its whole wait, so the instant one runs after it.
    let g = graph(vec![node("a", "slow30", &[]), node("b", "subnet", &[])]);
    let one = Params {
        parallelism: 1,
        ..P
    };
    let tf = g.terraform_walk(Op::Apply, &one, cost);
    assert!(close(tf.seconds, 31.0 + 1.0), "{tf:?}");
    assert!(close(g.critical_path(Op::Apply, &one, cost).seconds, 31.0));
}

#[test]
fn units_start_after_the_units_they_wait_for() {
    let units = vec![
        Unit {
            name: "network".into(),
            graph: graph(vec![node("nat", "slow90", &[])]),
            waits_for: vec![],
        },
        Unit {
            name: "data".into(),
            graph: graph(vec![node("db", "slow55", &[]), node("key", "kms", &[])]),
            waits_for: vec![0],
        },
        Unit {
            name: "app".into(),
            graph: graph(vec![node("svc", "ecs", &[])]),
            waits_for: vec![0],
        },
    ];
    let (apply, each) = across_units(&units, Op::Apply, |g| g.critical_path(Op::Apply, &P, cost));
    assert!(close(apply.seconds, 91.0 + 56.0), "{apply:?}");
    assert_eq!(apply.path, ["network:nat", "data:db"]);
    assert!(close(each[2].seconds, 1.0));
    // Destroy: network goes last, after both.
    let (destroy, _) = across_units(&units, Op::Destroy, |g| {
        g.critical_path(Op::Destroy, &P, cost)
    });
    assert_eq!(destroy.path, ["data:db", "network:nat"]);
    let (tf, _) = across_units(&units, Op::Apply, |g| g.terraform_walk(Op::Apply, &P, cost));
    assert!(close(tf.seconds, 91.0 + 61.0), "{tf:?}");
    assert_eq!(tf.polls, 7 + 4);
}
