//! Spec YAML written from live objects: what `forge plan --generate-spec`
//! writes for import blocks whose address the spec does not declare yet
//! (Terraform's `-generate-config-out`).
//!
//! Each resource gets the fields its kind lets a user set, in the schema's
//! order: computed fields, nulls, empty lists and maps, and values equal
//! to the schema's default are left out; a string equal to the id (or ARN)
//! of another resource of the stack becomes a reference to it, so the
//! written spec keeps the objects wired together. Sensitive values are
//! never written: they are listed in a comment for the user to fill in.

use crate::address::Address;
use crate::schema::{FieldMode, KindSchema};
use crate::value::{Attrs, Value};
use serde_yaml::{Mapping, Value as Yaml};
use std::collections::BTreeMap;

/// One resource to write.
#[derive(Debug, Clone)]
pub struct LiveResource<'a> {
    /// Its address (without a key: instances of `count` / `for_each`
    /// cannot be written as one resource each).
    pub address: &'a Address,
    /// Its kind's schema.
    pub schema: &'a KindSchema,
    /// The object as read.
    pub attrs: &'a Attrs,
}

/// Values of the stack's resources a written field may refer to instead
/// of repeating them: the value (an id, an ARN) and the resource's address
/// and attribute.
#[derive(Debug, Clone, Default)]
pub struct References(BTreeMap<String, (Address, &'static str)>);

impl References {
    /// Adds the `id` and `arn` of the resource at `address`.
    pub fn add(&mut self, address: &Address, attrs: &Attrs) {
        for attr in ["id", "arn"] {
            if let Some(Value::String(v)) = attrs.get(attr).map(Value::unmarked)
                && !v.is_empty()
            {
                self.0.entry(v).or_insert((address.clone(), attr));
            }
        }
    }

    /// The expression for `value` written in resource `from`, if another
    /// resource holds it.
    fn reference(&self, value: &str, from: &Address) -> Option<String> {
        let (address, attr) = self.0.get(value)?;
        (address.name != from.name).then(|| format!("${{{address}.{attr}}}"))
    }
}

/// The YAML document (a `resources:` map, with a header comment) of
/// `resources`. `stack_tags` (the stack's `tags:`, added to every
/// resource) are left out of each resource's tags.
pub fn generate_resources(
    resources: &[LiveResource<'_>],
    refs: &References,
    stack_tags: &BTreeMap<String, String>,
) -> String {
    let mut out = Mapping::new();
    let mut secrets: Vec<String> = Vec::new();
    for r in resources {
        let mut body = Mapping::new();
        body.insert("type".into(), r.schema.kind.clone().into());
        for (name, field) in &r.schema.fields {
            if field.mode == FieldMode::Computed {
                continue;
            }
            let Some(value) = r.attrs.get(name) else {
                continue;
            };
            if value.is_sensitive() {
                secrets.push(format!("{}.{name}", r.address));
                continue;
            }
            let value = match (name.as_str(), value) {
                ("tags", Value::Map(tags)) => Value::Map(
                    tags.iter()
                        .filter(|(k, v)| {
                            stack_tags
                                .get(*k)
                                .is_none_or(|s| v.as_str() != Some(s.as_str()))
                        })
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
                _ => value.clone(),
            };
            if field.default.as_ref() == Some(&value) {
                continue;
            }
            if let Some(y) = to_yaml(&value, refs, r.address) {
                body.insert(name.clone().into(), y);
            }
        }
        out.insert(r.address.name.clone().into(), Yaml::Mapping(body));
    }
    let mut doc = Mapping::new();
    doc.insert("resources".into(), Yaml::Mapping(out));
    let mut text = String::from(
        "# Written by `forge plan --generate-spec` from the live objects of import blocks.\n\
         # Review it (references, names), then run `forge plan` again.\n",
    );
    for s in &secrets {
        text.push_str(&format!(
            "# {s} is sensitive and was not written: set it (from a var) before applying.\n"
        ));
    }
    text.push_str(&serde_yaml::to_string(&Yaml::Mapping(doc)).unwrap_or_default());
    text
}

/// A value as YAML: `None` for what a spec leaves unset (null, unknown,
/// empty), strings that are another resource's id as references, and a
/// literal `${` escaped.
fn to_yaml(value: &Value, refs: &References, from: &Address) -> Option<Yaml> {
    match value {
        Value::Null | Value::Unknown | Value::Sensitive(_) => None,
        Value::Bool(b) => Some(Yaml::Bool(*b)),
        Value::Number(_) => serde_yaml::to_value(value.to_json()).ok(),
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(Yaml::String(
            refs.reference(s, from)
                .unwrap_or_else(|| s.replace("${", "$${")),
        )),
        Value::List(items) if items.is_empty() => None,
        Value::List(items) => Some(Yaml::Sequence(
            items
                .iter()
                .map(|v| to_yaml(v, refs, from).unwrap_or(Yaml::Null))
                .collect(),
        )),
        Value::Map(m) if m.is_empty() => None,
        Value::Map(m) => Some(Yaml::Mapping(
            m.iter()
                .filter_map(|(k, v)| to_yaml(v, refs, from).map(|y| (Yaml::from(k.clone()), y)))
                .collect(),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::schema::{FieldSchema as F, FieldType as T};

    #[test]
    fn writes_settable_fields_without_defaults_with_references() {
        let schema = KindSchema::new(
            "aws.ec2.subnet",
            "a subnet",
            [
                ("vpc_id", F::required(T::String)),
                ("cidr_block", F::required(T::String)),
                (
                    "map_public_ip_on_launch",
                    F::optional(T::Bool).default(false),
                ),
                ("password", F::optional(T::String).sensitive()),
                ("tags", F::optional(T::map(T::String))),
                ("note", F::optional(T::String)),
                ("arn", F::computed(T::String)),
            ],
        );
        let attrs = Attrs::from([
            ("id".to_string(), Value::from("subnet-1")),
            ("vpc_id".to_string(), Value::from("vpc-9")),
            ("cidr_block".to_string(), Value::from("10.0.1.0/24")),
            ("map_public_ip_on_launch".to_string(), Value::Bool(false)),
            ("password".to_string(), Value::from("hunter2").sensitive()),
            ("note".to_string(), Value::from("costs ${x}")),
            (
                "arn".to_string(),
                Value::from("arn:aws:ec2:subnet/subnet-1"),
            ),
            (
                "tags".to_string(),
                Value::Map(BTreeMap::from([
                    ("Name".to_string(), Value::from("app")),
                    ("team".to_string(), Value::from("core")),
                ])),
            ),
        ]);
        let mut refs = References::default();
        let vpc = Address::single("main");
        refs.add(
            &vpc,
            &Attrs::from([("id".to_string(), Value::from("vpc-9"))]),
        );
        let address = Address::single("app");
        refs.add(&address, &attrs);
        let stack_tags = BTreeMap::from([("team".to_string(), "core".to_string())]);
        let text = generate_resources(
            &[LiveResource {
                address: &address,
                schema: &schema,
                attrs: &attrs,
            }],
            &refs,
            &stack_tags,
        );
        insta::assert_snapshot!(text);
    }
}
