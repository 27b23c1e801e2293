//! Terraform addresses → forge addresses (the documented rule, see
//! docs/terraform.md "Addresses"):
//!
//! 1. The forge name is the module path's names, then the resource's name,
//!    joined with `_`: `module.vpc.aws_subnet.private[0]` → `vpc_private[0]`,
//!    `module.app.module.db.aws_rds_cluster.main` → `app_db_main`. A module
//!    instance key joins the name too: `module.vpc["a"].aws_vpc.main` →
//!    `vpc_a_main`.
//! 2. Inside a module, a resource named `this` is the module's own name:
//!    `module.vpc.aws_vpc.this` → `vpc`.
//! 3. The instance key stays the key: `[0]`, `["web"]`.
//! 4. Terraform names are unique per type, forge's per stack: when two
//!    resources get the same forge name, each gets its type (without
//!    `aws_`) appended: `aws_vpc.main` and `aws_subnet.main` → `main_vpc`,
//!    `main_subnet`.
//! 5. Characters a forge name cannot hold become `_`, and a name starting
//!    with a digit gets a leading `_`.

use forge_core::{Address, InstanceKey};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Splits `module.a["k"].module.b` into its names (keys folded in).
fn module_names(module: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = module;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(".module.").unwrap_or(after.len());
        let part = &after[..end];
        let name = match part.find('[') {
            Some(i) => {
                let key = part[i + 1..]
                    .trim_end_matches(']')
                    .trim_matches('"')
                    .to_string();
                format!("{}_{}", &part[..i], key)
            }
            None => part.to_string(),
        };
        names.push(name);
        rest = &after[end..];
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    names
}

/// A name forge accepts.
fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// The forge name of a resource before collisions are resolved (rules 1,
/// 2 and 5).
pub fn base_name(module: Option<&str>, name: &str) -> String {
    let mut parts = module.map(module_names).unwrap_or_default();
    if name != "this" || parts.is_empty() {
        parts.push(name.to_string());
    }
    sanitize(&parts.join("_"))
}

/// The instance key of a Terraform `index_key`.
pub fn instance_key(index_key: Option<&Json>) -> Option<InstanceKey> {
    match index_key? {
        Json::Number(n) => n.as_u64().map(|i| InstanceKey::Index(i as usize)),
        Json::String(s) => Some(InstanceKey::Key(s.clone())),
        _ => None,
    }
}

/// Forge names for resources `(module, type, name)`, in order, colliding
/// names disambiguated by type (rule 4).
pub fn forge_names(resources: &[(Option<String>, String, String)]) -> Vec<String> {
    let base: Vec<String> = resources
        .iter()
        .map(|(m, _, n)| base_name(m.as_deref(), n))
        .collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &base {
        *count.entry(b.as_str()).or_default() += 1;
    }
    let mut names: Vec<String> = base
        .iter()
        .zip(resources)
        .map(|(b, (_, ty, _))| {
            if count[b.as_str()] > 1 {
                sanitize(&format!("{b}_{}", ty.strip_prefix("aws_").unwrap_or(ty)))
            } else {
                b.clone()
            }
        })
        .collect();
    // Still the same (the same type twice under names that sanitize
    // alike): number them.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for n in &mut names {
        let k = seen.entry(n.clone()).or_default();
        *k += 1;
        if *k > 1 {
            n.push_str(&format!("_{k}"));
        }
    }
    names
}

/// The forge address of a name and key.
pub fn address(name: &str, key: Option<InstanceKey>) -> Address {
    Address {
        name: name.to_string(),
        key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_become_readable_names() {
        assert_eq!(base_name(Some("module.vpc"), "private"), "vpc_private");
        assert_eq!(base_name(Some("module.vpc"), "this"), "vpc");
        assert_eq!(base_name(None, "this"), "this");
        assert_eq!(
            base_name(Some("module.app.module.db"), "main"),
            "app_db_main"
        );
        assert_eq!(base_name(Some("module.vpc[\"eu\"]"), "main"), "vpc_eu_main");
        assert_eq!(base_name(None, "1st.bucket"), "_1st_bucket");
    }

    #[test]
    fn colliding_names_get_their_type() {
        let names = forge_names(&[
            (None, "aws_vpc".into(), "main".into()),
            (None, "aws_subnet".into(), "main".into()),
            (None, "aws_s3_bucket".into(), "logs".into()),
        ]);
        assert_eq!(names, ["main_vpc", "main_subnet", "logs"]);
    }

    #[test]
    fn index_keys_stay_keys() {
        let a = address("vpc_private", instance_key(Some(&serde_json::json!(0))));
        assert_eq!(a.to_string(), "vpc_private[0]");
        let b = address("sg", instance_key(Some(&serde_json::json!("web"))));
        assert_eq!(b.to_string(), "sg[\"web\"]");
    }
}
