//! `forge state show ADDR`: one resource of the state as text (sensitive
//! values are already hashes in the state, so nothing secret is shown).

use forge_engine::ResourceState;
use std::fmt::Write;

/// One recorded resource: kind, region, id, any pending intent, its
/// attributes aligned, and what it depends on.
pub fn render_resource(resource: &ResourceState) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}:", resource.address);
    let _ = writeln!(out, "kind   = {}", resource.kind);
    let _ = writeln!(out, "region = {}", resource.region);
    let id = resource.id.as_deref().unwrap_or("(none)");
    let _ = writeln!(out, "id     = {id}");
    if let Some(p) = &resource.pending {
        let since = p.started_at.to_rfc3339();
        let _ = writeln!(
            out,
            "pending {:?} since {since} (token {})",
            p.operation, p.token
        );
    }
    let width = resource.attributes.keys().map(String::len).max();
    for (k, v) in &resource.attributes {
        let _ = writeln!(out, "  {k:width$} = {v}", width = width.unwrap_or(0));
    }
    if !resource.dependencies.is_empty() {
        let deps: Vec<String> = resource
            .dependencies
            .iter()
            .map(|d| d.to_string())
            .collect();
        let _ = writeln!(out, "depends on: {}", deps.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::{Address, Value};

    #[test]
    fn a_resource_renders_aligned() {
        let mut r = ResourceState::new(Address::single("db"), "aws.rds.cluster", "eu-west-1");
        r.id = Some("app-db".into());
        r.attributes
            .insert("engine".into(), Value::from("aurora-postgresql"));
        r.attributes.insert("port".into(), Value::from(5432));
        r.dependencies.insert(Address::single("subnets"));
        insta::assert_snapshot!(render_resource(&r));
    }
}
