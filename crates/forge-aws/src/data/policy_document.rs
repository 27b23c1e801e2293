//! `aws.iam.policy_document`: an IAM policy written as YAML statements,
//! rendered as canonical JSON (no call to AWS), like Terraform's
//! `aws_iam_policy_document`.
//!
//! The statements map to IAM's keys (`actions` -> `Action`, `principals`
//! `[{type, identifiers}]` -> `Principal: {TYPE: [...]}`, `conditions`
//! `[{test, variable, values}]` -> `Condition: {TEST: {VARIABLE:
//! [...]}}`; a principal of type `*` is `"*"`), then the document goes
//! through the canonical form the IAM kinds use
//! ([`crate::normalize::policy`]: keys sorted, lists sorted and
//! de-duplicated, a list of one as a plain string). The same statements
//! always give the same text, and a resource given it shows no change.

use super::{Answers, Lookup, Reading, declare_lookup};
use crate::kind::Computed;
use async_trait::async_trait;
use forge_derive::Fields;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// A principal block: `{type: AWS, identifiers: [arn]}`.
#[derive(Clone, Fields)]
pub(crate) struct Principal {
    /// AWS, Service, Federated, CanonicalUser or `*`.
    #[field(name = "type")]
    pub kind: String,
    /// ARNs, service names (ecs-tasks.amazonaws.com) or `*`.
    pub identifiers: Vec<String>,
}

/// A condition block: `{test: StringEquals, variable: aws:SourceAccount, values: [...]}`.
#[derive(Clone, Fields)]
pub(crate) struct Condition {
    /// The condition operator, e.g. StringEquals.
    pub test: String,
    /// The context key, e.g. aws:SourceAccount.
    pub variable: String,
    /// The values compared.
    pub values: Vec<String>,
}

/// One statement.
#[derive(Clone, Fields)]
pub(crate) struct Statement {
    /// The statement's id.
    pub sid: Option<String>,
    /// Allow or Deny.
    #[field(default = "Allow")]
    pub effect: Option<String>,
    /// Actions, e.g. s3:GetObject.
    pub actions: Option<Vec<String>>,
    /// Actions it does not apply to.
    pub not_actions: Option<Vec<String>>,
    /// Resource ARNs.
    pub resources: Option<Vec<String>>,
    /// Resources it does not apply to.
    pub not_resources: Option<Vec<String>>,
    /// Who it applies to (resource policies, trust policies).
    pub principals: Option<Vec<Principal>>,
    /// Who it does not apply to.
    pub not_principals: Option<Vec<Principal>>,
    /// Conditions, all of which must hold.
    pub conditions: Option<Vec<Condition>>,
}

/// Arguments and attributes of `aws.iam.policy_document`.
#[derive(Clone, Fields)]
pub(crate) struct PolicyDocumentFields {
    /// The policy language version.
    #[field(default = "2012-10-17")]
    pub version: Option<String>,
    /// The statements.
    pub statements: Vec<Statement>,
    /// The policy as canonical JSON.
    pub json: Computed<String>,
}

declare_lookup!(PolicyDocument: "aws.iam.policy_document", PolicyDocumentFields,
    "An IAM policy composed from YAML statements, as canonical JSON (no AWS call).");

#[async_trait]
impl Lookup for PolicyDocument {
    async fn read(_cx: &Reading<'_>, batch: &[PolicyDocumentFields]) -> Answers<Self> {
        Ok(batch
            .iter()
            .map(|args| {
                let text = render(args);
                let mut fields = args.clone();
                fields.json = Some(text.clone());
                Ok((text, fields))
            })
            .collect())
    }
}

/// A list of names (sorted and collapsed by the canonical form).
fn list(items: &[String]) -> Json {
    json!(items)
}

fn principals(ps: &[Principal]) -> Json {
    if ps.len() == 1 && ps[0].kind == "*" {
        return json!("*");
    }
    let mut by_type: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in ps {
        by_type
            .entry(p.kind.as_str())
            .or_default()
            .extend(p.identifiers.iter().cloned());
    }
    Json::Object(
        by_type
            .into_iter()
            .map(|(t, ids)| (t.to_string(), list(&ids)))
            .collect(),
    )
}

fn conditions(cs: &[Condition]) -> Json {
    let mut by_test: BTreeMap<&str, Map<String, Json>> = BTreeMap::new();
    for c in cs {
        by_test
            .entry(c.test.as_str())
            .or_default()
            .insert(c.variable.clone(), list(&c.values));
    }
    Json::Object(
        by_test
            .into_iter()
            .map(|(t, m)| (t.to_string(), Json::Object(m)))
            .collect(),
    )
}

/// The policy's canonical JSON text.
pub(crate) fn render(doc: &PolicyDocumentFields) -> String {
    let statements: Vec<Json> = doc
        .statements
        .iter()
        .map(|s| {
            let mut m = Map::new();
            if let Some(sid) = &s.sid {
                m.insert("Sid".into(), json!(sid));
            }
            m.insert(
                "Effect".into(),
                json!(s.effect.as_deref().unwrap_or("Allow")),
            );
            let lists = [
                ("Action", &s.actions),
                ("NotAction", &s.not_actions),
                ("Resource", &s.resources),
                ("NotResource", &s.not_resources),
            ];
            for (key, items) in lists {
                if let Some(items) = items.as_deref().filter(|i| !i.is_empty()) {
                    m.insert(key.into(), list(items));
                }
            }
            for (key, ps) in [
                ("Principal", &s.principals),
                ("NotPrincipal", &s.not_principals),
            ] {
                if let Some(ps) = ps.as_deref().filter(|p| !p.is_empty()) {
                    m.insert(key.into(), principals(ps));
                }
            }
            if let Some(cs) = s.conditions.as_deref().filter(|c| !c.is_empty()) {
                m.insert("Condition".into(), conditions(cs));
            }
            Json::Object(m)
        })
        .collect();
    let doc = json!({
        "Version": doc.version.as_deref().unwrap_or("2012-10-17"),
        "Statement": statements,
    });
    // The one canonical form of policies, shared with the IAM kinds, so
    // a role given this text compares equal to what IAM returns.
    crate::normalize::policy(&forge_core::Value::from_json(&doc))
        .unwrap_or_else(|_| doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::fields::Fields;

    fn doc(yaml: &str) -> PolicyDocumentFields {
        let v: serde_json::Value = serde_yaml::from_str(yaml).unwrap();
        let attrs = forge_core::Value::from_json(&v);
        let forge_core::Value::Map(attrs) = attrs else {
            panic!("a map")
        };
        PolicyDocumentFields::from_attrs(&attrs).unwrap()
    }

    #[test]
    fn statements_render_as_canonical_json() {
        let d = doc(r#"
statements:
  - sid: Logs
    actions: [logs:PutLogEvents, logs:CreateLogStream, logs:PutLogEvents]
    resources: ["arn:aws:logs:*:*:*"]
  - effect: Allow
    actions: [sts:AssumeRole]
    principals: [{type: Service, identifiers: [ecs-tasks.amazonaws.com]}]
    conditions:
      - {test: StringEquals, variable: "aws:SourceAccount", values: ["123456789012"]}
  - effect: Deny
    not_actions: ["iam:*"]
    resources: ["*"]
    principals: [{type: "*", identifiers: ["*"]}]
"#);
        insta::assert_snapshot!(render(&d));
    }

    #[test]
    fn the_same_statements_in_another_order_give_the_same_text() {
        let a = doc("statements: [{actions: [b, a], resources: [y, x]}]");
        let b = doc("statements: [{actions: [a, b, a], resources: [x, y]}]");
        assert_eq!(render(&a), render(&b));
    }
}
