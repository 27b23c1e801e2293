//! Conformance rows of the ELBv2 kinds.

use super::{Change, Fixtures, Row, Sdk, Tags, boxed, user_tags};
use serde_json::{Value as Json, json};

/// The user tags of one ELBv2 ARN.
async fn tags(s: &Sdk, arn: &str) -> Json {
    let out = s.elb().describe_tags().resource_arns(arn).send().await;
    let list = out
        .ok()
        .and_then(|o| o.tag_descriptions().first().map(|d| d.tags().to_vec()))
        .unwrap_or_default();
    user_tags(list.iter().filter_map(|t| Some((t.key()?, t.value()?))))
}

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            kind: "aws.elbv2.target_group",
            spec: |f| tg(f, 8080, "/health"),
            update: Change::By(|f| tg(f, 8080, "/ready")),
            replace: Change::By(|f| tg(f, 9090, "/ready")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .elb()
                        .describe_target_groups()
                        .target_group_arns(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = out.target_groups().first()?;
                    Some(json!({"name": g.target_group_name(), "port": g.port(),
                            "health_check": {"path": g.health_check_path()}, "tags": tags(&s, &id).await}))
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.elbv2.load_balancer",
            spec: |f| lb(f, 60, "internet-facing"),
            update: Change::By(|f| lb(f, 120, "internet-facing")),
            replace: Change::By(|f| lb(f, 120, "internal")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .elb()
                        .describe_load_balancers()
                        .load_balancer_arns(&id)
                        .send()
                        .await
                        .ok()?;
                    let l = out.load_balancers().first()?;
                    let attrs = s
                        .elb()
                        .describe_load_balancer_attributes()
                        .load_balancer_arn(&id)
                        .send()
                        .await
                        .ok()?;
                    let idle = attrs
                        .attributes()
                        .iter()
                        .find(|a| a.key() == Some("idle_timeout.timeout_seconds"))
                        .and_then(|a| a.value()?.parse::<i64>().ok());
                    Some(
                        json!({"name": l.load_balancer_name(), "scheme": l.scheme().map(|s| s.as_str()),
                            "idle_timeout": idle, "tags": tags(&s, &id).await}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.elbv2.listener",
            spec: |f| listener(f, 1, 80),
            update: Change::By(|f| listener(f, 1, 8080)),
            replace: Change::By(|f| listener(f, 0, 8080)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .elb()
                        .describe_listeners()
                        .listener_arns(&id)
                        .send()
                        .await
                        .ok()?;
                    let l = out.listeners().first()?;
                    let actions: Vec<Json> = l.default_actions().iter()
                    .map(|a| json!({"type": a.r#type().map(|t| t.as_str()), "target_group_arn": a.target_group_arn()}))
                    .collect();
                    Some(
                        json!({"load_balancer_arn": l.load_balancer_arn(), "port": l.port(),
                            "default_actions": actions, "tags": tags(&s, &id).await}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.elbv2.listener_rule",
            spec: |f| rule(f, 0, 10),
            update: Change::By(|f| rule(f, 0, 20)),
            replace: Change::By(|f| rule(f, 1, 20)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s.elb().describe_rules().rule_arns(&id).send().await.ok()?;
                    let r = out.rules().first()?;
                    let priority = r.priority().and_then(|p| p.parse::<i64>().ok());
                    // The rule's ARN names its listener: `...:listener-rule/app/<lb>/<x>/<listener>/<rule>`.
                    let listener = id.replace(":listener-rule/", ":listener/");
                    let listener = listener.rsplit_once('/').map(|(l, _)| l.to_string());
                    Some(
                        json!({"listener_arn": listener, "priority": priority, "tags": tags(&s, &id).await}),
                    )
                })
            },
            tags: Tags::Owned,
        },
    ]
}

fn tg(f: &Fixtures, port: i64, path: &str) -> Json {
    json!({"name": "row", "port": port, "protocol": "HTTP", "vpc_id": f.vpc, "target_type": "ip",
           "health_check": {"path": path}, "tags": {"tier": path}})
}

fn lb(f: &Fixtures, idle: i64, scheme: &str) -> Json {
    json!({"name": "row", "scheme": scheme, "subnets": f.subnets[..2], "security_groups": [f.security_group],
           "idle_timeout": idle, "tags": {"idle": idle.to_string()}})
}

fn listener(f: &Fixtures, lb: usize, port: i64) -> Json {
    json!({"load_balancer_arn": f.load_balancers[lb], "port": port, "protocol": "HTTP",
           "default_actions": [{"type": "forward", "target_group_arn": f.target_group}],
           "tags": {"port": port.to_string()}})
}

fn rule(f: &Fixtures, listener: usize, priority: i64) -> Json {
    json!({"listener_arn": f.listeners[listener], "priority": priority,
           "conditions": [{"field": "path-pattern", "values": ["/api/*"]}],
           "actions": [{"type": "forward", "target_group_arn": f.target_group}],
           "tags": {"priority": priority.to_string()}})
}
