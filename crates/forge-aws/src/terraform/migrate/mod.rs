//! `forge migrate terraform`: a Terraform state (version 4) mapped to a
//! forge stack. Every `aws_*` instance the table ([`super::table`]) knows
//! becomes a forge resource with its kind, id and spec fields; the
//! sub-resources Terraform models separately fold into their owner; every
//! other instance is listed with the reason it was not mapped. The
//! Terraform state is only read.
//!
//! This module is pure (text in, [`Migration`] out); reading the state
//! from a file, S3 or a Terragrunt tree is [`source`], and recording the
//! mapped objects in a forge state is the binary's (it imports each one,
//! reading it from the cloud, as `forge import` does).

pub mod address;
pub mod fields;
pub mod source;
pub mod spec;
pub mod tfstate;

use super::table::{self, KindRow};
use forge_core::{Address, FieldMode};
use forge_engine::ProviderRegistry;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use tfstate::{TfInstance, TfResource, TfState};

/// One Terraform instance mapped to a forge resource.
#[derive(Debug, Clone)]
pub struct Mapped {
    /// Its Terraform address (`module.vpc.aws_subnet.private[0]`).
    pub tf_address: String,
    /// Its forge address.
    pub address: Address,
    /// Its forge kind.
    pub kind: String,
    /// The object's id, as forge records it.
    pub id: String,
    /// Its spec fields (settable fields only, Terraform's unset values and
    /// forge's defaults left out), references to other mapped resources
    /// written as `${name.id}` / `${name.arn}`.
    pub fields: Map<String, Json>,
    /// Sensitive values Terraform recorded (forge field → value): they go
    /// to the forge state as forge hashes them, never into the spec.
    pub sensitive: BTreeMap<String, Json>,
    /// Settable sensitive fields and the sensitive var the spec reads
    /// each from (field → var name): the spec asks for the value instead
    /// of holding it.
    pub secret_vars: Vec<(String, String)>,
    /// The Terraform sub-resources folded into it.
    pub folded: Vec<String>,
    /// Terraform's attributes (to match folds and references).
    tf_attrs: Map<String, Json>,
}

/// An instance not mapped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// Its Terraform address.
    pub tf_address: String,
    /// Why.
    pub reason: String,
}

/// A mapped Terraform state.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The resources, in the state's order.
    pub resources: Vec<Mapped>,
    /// What was left out.
    pub unmapped: Vec<Unmapped>,
    /// The region (from `--region`, else the objects' ARNs).
    pub region: Option<String>,
}

fn instance_address(r: &TfResource, i: &TfInstance) -> String {
    let base = r.address();
    match &i.index_key {
        None => base,
        Some(Json::Number(n)) => format!("{base}[{n}]"),
        Some(Json::String(s)) => format!("{base}[{s:?}]"),
        Some(other) => format!("{base}[{other}]"),
    }
}

fn str_attr<'a>(attrs: &'a Map<String, Json>, k: &str) -> Option<&'a str> {
    attrs
        .get(k)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
}

/// The id forge records for an object Terraform recorded.
fn forge_id(row: &KindRow, attrs: &Map<String, Json>) -> Option<String> {
    let s = |k: &str| str_attr(attrs, k);
    match row.kind {
        "aws.appautoscaling.target" => Some(format!(
            "{}|{}|{}",
            s("service_namespace")?,
            s("resource_id")?,
            s("scalable_dimension")?
        )),
        "aws.appautoscaling.policy" => Some(format!(
            "{}|{}|{}|{}",
            s("service_namespace")?,
            s("resource_id")?,
            s("scalable_dimension")?,
            s("name")?
        )),
        "aws.wafv2.web_acl_association" => {
            Some(format!("{}|{}", s("web_acl_arn")?, s("resource_arn")?))
        }
        _ => s(row.tf_id_attr).or_else(|| s("id")).map(str::to_string),
    }
}

/// The region in an ARN attribute, if any.
fn arn_region(attrs: &Map<String, Json>) -> Option<String> {
    let arn = str_attr(attrs, "arn")?;
    let region = arn.split(':').nth(3)?;
    (!region.is_empty()).then(|| region.to_string())
}

/// Maps a Terraform state to forge resources (see the module docs).
/// `region` is `--region`; without it the objects' ARNs tell.
pub fn map_state(state: &TfState, registry: &ProviderRegistry, region: Option<&str>) -> Migration {
    let mut unmapped = Vec::new();
    let mut owners: Vec<(&TfResource, &KindRow)> = Vec::new();
    let mut folds: Vec<&TfResource> = Vec::new();
    for r in &state.resources {
        let skip = |reason: String| Unmapped {
            tf_address: r.address(),
            reason,
        };
        if r.mode == "data" {
            unmapped.push(skip(
                "a data source (a read-only lookup): write it as a `data:` lookup in the spec if \
                 the stack needs it"
                    .into(),
            ));
        } else if !r.tf_type.starts_with("aws_") {
            unmapped.push(skip(format!(
                "not an AWS resource (provider {}); forge manages AWS objects only",
                r.provider
            )));
        } else if let Some(row) = table::by_tf_type(&r.tf_type) {
            owners.push((r, row));
        } else if table::fold_of(&r.tf_type).is_some() {
            folds.push(r);
        } else {
            unmapped.push(skip(format!(
                "forge has no kind for {} yet (docs/terraform.md lists the types it maps)",
                r.tf_type
            )));
        }
    }

    let names = address::forge_names(
        &owners
            .iter()
            .map(|(r, _)| (r.module.clone(), r.tf_type.clone(), r.name.clone()))
            .collect::<Vec<_>>(),
    );
    let mut resources: Vec<Mapped> = Vec::new();
    let mut found_region = region.map(str::to_string);
    for ((r, row), name) in owners.iter().zip(&names) {
        for i in &r.instances {
            let tf_address = instance_address(r, i);
            if i.deposed.is_some() {
                unmapped.push(Unmapped {
                    tf_address,
                    reason: "a deposed object (left by an unfinished create_before_destroy \
                             replacement): delete it or finish the Terraform apply first"
                        .into(),
                });
                continue;
            }
            let Some(id) = forge_id(row, &i.attributes) else {
                unmapped.push(Unmapped {
                    tf_address,
                    reason: format!("its `{}` attribute is empty", row.tf_id_attr),
                });
                continue;
            };
            if found_region.is_none() {
                found_region = arn_region(&i.attributes);
            }
            let sensitive = i
                .sensitive_top_level()
                .into_iter()
                .filter_map(|tf| {
                    let v = i.attributes.get(&tf).filter(|v| !fields::is_empty(v))?;
                    Some((row.forge_name(&tf).to_string(), v.clone()))
                })
                .collect();
            resources.push(Mapped {
                tf_address,
                address: address::address(name, address::instance_key(i.index_key.as_ref())),
                kind: row.kind.to_string(),
                id,
                fields: fields::own_fields(row, &i.attributes),
                sensitive,
                secret_vars: Vec::new(),
                folded: Vec::new(),
                tf_attrs: i.attributes.clone(),
            });
        }
    }

    for r in folds {
        let Some((row, fold)) = table::fold_of(&r.tf_type) else {
            continue;
        };
        for i in &r.instances {
            let tf_address = instance_address(r, i);
            let owner_ref = i
                .attributes
                .get(fold.owner_attr)
                .cloned()
                .unwrap_or(Json::Null);
            let owner = resources.iter_mut().find(|m| {
                m.kind == row.kind
                    && owner_ref.as_str().is_some_and(|o| {
                        m.id == o
                            || ["arn", "name", "bucket", "id"]
                                .iter()
                                .any(|k| str_attr(&m.tf_attrs, k) == Some(o))
                    })
            });
            let Some(owner) = owner else {
                unmapped.push(Unmapped {
                    tf_address,
                    reason: format!(
                        "its {} `{}` ({}) is not in this state",
                        row.tf_type,
                        owner_ref.as_str().unwrap_or("?"),
                        fold.owner_attr
                    ),
                });
                continue;
            };
            let owner_id = Json::String(owner.id.clone());
            match fields::apply_fold(&r.tf_type, &i.attributes, &owner_id, &mut owner.fields) {
                Ok(()) => {
                    if r.tf_type == "aws_secretsmanager_secret_version"
                        && let Some(v) = i.attributes.get("secret_string")
                    {
                        owner.sensitive.insert("secret_string".into(), v.clone());
                    }
                    owner.folded.push(tf_address);
                }
                Err(reason) => unmapped.push(Unmapped { tf_address, reason }),
            }
        }
    }

    for m in &mut resources {
        settable_only(m, registry);
    }
    spec::link_references(&mut resources);
    Migration {
        resources,
        unmapped,
        region: found_region,
    }
}

/// Keeps the fields a spec may set, without Terraform's empty values,
/// forge's defaults and the sensitive ones (those go to the state only).
fn settable_only(m: &mut Mapped, registry: &ProviderRegistry) {
    let Some(provider) = registry.get(&m.kind) else {
        return;
    };
    let schema = provider.schema();
    let fields = std::mem::take(&mut m.fields);
    m.fields = fields
        .into_iter()
        .filter(|(k, v)| {
            let Some(f) = schema.fields.get(k) else {
                return false;
            };
            if f.mode == FieldMode::Computed || f.sensitive || m.sensitive.contains_key(k) {
                return false;
            }
            let v = fields::prune(v.clone());
            if fields::is_empty(&v) {
                return false;
            }
            f.default.as_ref().is_none_or(|d| d.to_json() != v)
        })
        .map(|(k, v)| (k, fields::prune(v)))
        .collect();
    // A secret Terraform recorded is read from a sensitive var: the first
    // plan cannot compare it without the value and says so (the state has
    // its hash), and an apply asks for it, instead of planning to unset it.
    for k in m.sensitive.keys() {
        if schema.fields.get(k).is_some_and(|f| f.settable()) {
            let var = format!("{}_{k}", m.address.name);
            m.fields
                .insert(k.clone(), Json::String(format!("${{var.{var}}}")));
            m.secret_vars.push((k.clone(), var));
        }
    }
}

#[cfg(test)]
mod tests;
