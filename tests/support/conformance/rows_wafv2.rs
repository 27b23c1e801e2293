//! Conformance rows of the WAFv2 kinds.

use super::{Change, Fixtures, Row, Sdk, Tags, boxed};
use aws_sdk_wafv2::types::Scope;
use serde_json::{Value as Json, json};

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            kind: "aws.wafv2.web_acl",
            spec: |_| acl("row", "allow"),
            update: Change::By(|_| acl("row", "block")),
            replace: Change::By(|_| acl("row2", "block")),
            read: |s: Sdk, id| {
                boxed(async move {
                    // `arn:...:regional/webacl/<name>/<id>`.
                    let mut parts = id.rsplit('/');
                    let (acl_id, name) = (parts.next()?.to_string(), parts.next()?.to_string());
                    let out = s
                        .waf()
                        .get_web_acl()
                        .name(name)
                        .id(acl_id)
                        .scope(Scope::Regional)
                        .send()
                        .await
                        .ok()?;
                    let a = out.web_acl()?;
                    let action = a.default_action().map(|d| {
                        if d.block().is_some() {
                            "block"
                        } else {
                            "allow"
                        }
                    });
                    Some(json!({"name": a.name(), "default_action": action}))
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.wafv2.web_acl_association",
            spec: |f| association(f, 0),
            update: Change::Not("both ends are the association's identity"),
            replace: Change::By(|f| association(f, 1)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let (_, resource) = id.split_once('|')?;
                    let out = s
                        .waf()
                        .get_web_acl_for_resource()
                        .resource_arn(resource)
                        .send()
                        .await
                        .ok()?;
                    Some(json!({"web_acl_arn": out.web_acl()?.arn(), "resource_arn": resource}))
                })
            },
            tags: Tags::None("associations are links without tags (no ARN of their own)"),
        },
    ]
}

fn acl(name: &str, default: &str) -> Json {
    json!({"name": name, "description": "conformance", "default_action": default,
           "rules": [{"name": "rate", "priority": 1, "action": "block", "statement": {"rate_based": {"limit": 2000}}}],
           "tags": {"default": default}})
}

fn association(f: &Fixtures, lb: usize) -> Json {
    json!({"web_acl_arn": f.web_acl, "resource_arn": f.load_balancers[lb]})
}
