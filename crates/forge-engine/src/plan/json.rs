//! The stable, documented JSON form of a plan (`forge plan --json`):
//! values for display (sensitive values as `"(sensitive)"`, unknowns as
//! `"(known after apply)"`, plus `after_unknown` / `after_sensitive` path
//! lists), keys sorted, no configuration. See `docs/engine.md`.

use super::{Plan, ResourceChange};
use forge_core::{Attrs, Value};
use serde_json::{Map, Value as Json, json};

fn display_attrs(attrs: &Option<Attrs>) -> Json {
    match attrs {
        None => Json::Null,
        Some(a) => Json::Object(
            a.iter()
                .map(|(k, v)| (k.clone(), v.to_display_json()))
                .collect(),
        ),
    }
}

fn display_opt(v: &Option<Value>) -> Json {
    v.as_ref().map(Value::to_display_json).unwrap_or(Json::Null)
}

fn paths(attrs: &Option<Attrs>, pred: fn(&Value) -> bool) -> Json {
    let list: Vec<Json> = attrs
        .iter()
        .flat_map(|a| a.iter())
        .filter(|(_, v)| pred(v))
        .map(|(k, _)| Json::String(k.clone()))
        .collect();
    Json::Array(list)
}

fn resource_json(c: &ResourceChange) -> Json {
    let mut out = resource_fields(c);
    // Only where the cloud holds changes, so other plans' JSON is as before.
    if !c.pending.is_empty()
        && let Some(map) = out.as_object_mut()
    {
        let pending = c.pending.iter().map(|f| {
            json!({"path": f.path, "before": display_opt(&f.before), "after": display_opt(&f.after)})
        });
        map.insert("pending".into(), pending.collect::<Vec<_>>().into());
    }
    out
}

fn resource_fields(c: &ResourceChange) -> Json {
    json!({
        "address": c.address.to_string(),
        "kind": c.kind,
        "region": c.region,
        "action": c.action.as_str(),
        "id": c.id,
        "before": display_attrs(&c.before),
        "after": display_attrs(&c.after),
        "after_unknown": paths(&c.after, |v| !v.is_known()),
        "after_sensitive": paths(&c.after, Value::is_sensitive),
        "changes": c.changes.iter().map(|f| json!({
            "path": f.path,
            "before": display_opt(&f.before),
            "after": display_opt(&f.after),
            "forces_replacement": f.forces_replacement,
        })).collect::<Vec<_>>(),
        "replace_because": c.replace_because,
        "create_before_destroy": c.create_before_destroy,
        "deposed": c.deposed,
        "data_loss": c.data_loss,
        "dependencies": c.dependencies.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "warnings": c.warnings,
        "import": c.import,
        "moved_from": c.moved_from.as_ref().map(ToString::to_string),
    })
}

/// Recursively sorts object keys so the text is stable.
pub fn sort_keys(v: Json) -> Json {
    match v {
        Json::Object(map) => {
            let mut entries: Vec<(String, Json)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Json::Array(items) => Json::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

impl Plan {
    /// The plan's JSON form for machines (CI comments, policy checks):
    /// secrets masked, keys sorted. Not loadable; save with [`Plan::save`]
    /// to apply later.
    pub fn to_json(&self) -> Json {
        let s = self.summary();
        sort_keys(json!({
            "format_version": self.format_version,
            "stack": self.stack,
            "environment": self.environment,
            "lineage": self.lineage,
            "serial": self.serial,
            "created_at": self.created_at.to_rfc3339(),
            "destroy": self.destroy,
            "has_changes": self.has_changes(),
            "summary": { "add": s.add, "change": s.change, "destroy": s.destroy, "adopt": s.adopt, "import": s.import, "forget": s.forget },
            "moved": self.moves.iter().map(|m| json!({"from": m.from.to_string(), "to": m.to.to_string()})).collect::<Vec<_>>(),
            "removed": self.unmanage.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            "data_loss": self.changes.iter().filter(|c| c.data_loss).map(|c| c.address.to_string()).collect::<Vec<_>>(),
            "resource_changes": self.changes.iter().map(resource_json).collect::<Vec<_>>(),
            "data_sources": self.data_reads().iter().map(|d| json!({
                "address": forge_core::spec::data_address(&d.address),
                "type": d.kind,
                "read_during": if d.values.is_some() { "plan" } else { "apply" },
                "values": display_attrs(&d.values),
            })).collect::<Vec<_>>(),
            "output_changes": self.output_changes.iter().map(|o| json!({
                "name": o.name,
                "action": o.action.as_str(),
                "before": if o.sensitive && o.before.is_some() { json!("(sensitive)") } else { display_opt(&o.before) },
                "after": if o.sensitive && o.after.is_some() { json!("(sensitive)") } else { display_opt(&o.after) },
                "sensitive": o.sensitive,
            })).collect::<Vec<_>>(),
        }))
    }

    /// [`Plan::to_json`] as pretty text.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
    }
}
