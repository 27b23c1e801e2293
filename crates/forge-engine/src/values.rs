//! What expressions see of other resources, and the pipeline that turns an
//! instance's configuration into the desired attributes a provider plans.

use crate::diff::{fill_defaults, mark_sensitive};
use crate::error::EngineError;
use crate::ownership::Owner;
use crate::provider::{Provider, ResourceCtx};
use forge_core::spec::{Instance, ResourceValues, Stack};
use forge_core::{Address, Attrs, InstanceKey, Value};
use std::collections::BTreeMap;

/// Resource attributes by address, viewed the way `${name}` sees them: a
/// map for a single resource, a list for `count`, a map by key for
/// `for_each`. Every map includes `id`.
#[derive(Debug, Clone, Default)]
pub struct AttrValues {
    by_address: BTreeMap<Address, Attrs>,
}

impl AttrValues {
    /// An empty view.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the attributes of one instance.
    pub fn insert(&mut self, address: Address, attrs: Attrs) {
        self.by_address.insert(address, attrs);
    }

    /// The attributes of one instance.
    pub fn get(&self, address: &Address) -> Option<&Attrs> {
        self.by_address.get(address)
    }

    /// Removes one instance.
    pub fn remove(&mut self, address: &Address) -> Option<Attrs> {
        self.by_address.remove(address)
    }
}

impl ResourceValues for AttrValues {
    fn resource(&self, name: &str) -> Option<Value> {
        let start = Address::single(name);
        let mut single = None;
        let mut indexed: Vec<(usize, Value)> = Vec::new();
        let mut keyed = BTreeMap::new();
        for (addr, attrs) in self.by_address.range(start..) {
            if addr.name != name {
                break;
            }
            let v = Value::Map(attrs.clone());
            match &addr.key {
                None => single = Some(v),
                Some(InstanceKey::Index(i)) => indexed.push((*i, v)),
                Some(InstanceKey::Key(k)) => {
                    keyed.insert(k.clone(), v);
                }
            }
        }
        if single.is_some() {
            return single;
        }
        if !indexed.is_empty() {
            // Instances not known here (not applied yet during an apply)
            // keep their place as unknowns, so `nat[2]` is still the third
            // NAT even when only some of them have been created so far.
            let len = indexed.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
            let mut list = vec![Value::Unknown; len];
            for (i, v) in indexed {
                list[i] = v;
            }
            return Some(Value::List(list));
        }
        if !keyed.is_empty() {
            return Some(Value::Map(keyed));
        }
        None
    }
}

#[cfg(test)]
mod index_tests {
    use super::*;

    #[test]
    fn count_instances_keep_their_index_when_others_are_missing() {
        let mut values = AttrValues::new();
        values.insert(
            Address::indexed("nat", 1),
            Attrs::from([("id".to_string(), Value::from("nat-1"))]),
        );
        let Some(Value::List(list)) = values.resource("nat") else {
            panic!("expected a list")
        };
        assert_eq!(list.len(), 2);
        assert_eq!(list[0], Value::Unknown);
        assert_eq!(list[1].get("id"), Some(&Value::from("nat-1")));
    }
}

/// Merges the stack's tags under the resource's own `tags` (the resource's
/// win), for kinds whose schema has a `tags` field.
pub fn merge_stack_tags(
    stack_tags: &BTreeMap<String, String>,
    provider: &dyn Provider,
    desired: &mut Attrs,
) {
    if stack_tags.is_empty() || provider.schema().field("tags").is_none() {
        return;
    }
    let mut merged: BTreeMap<String, Value> = stack_tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    match desired.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Map(own)) => merged.extend(own.iter().map(|(k, v)| (k.clone(), v.clone()))),
        // Unknown or otherwise non-map tags cannot be merged key by key.
        Some(_) => return,
    }
    desired.insert("tags".into(), Value::Map(merged));
}

/// Evaluates an instance and prepares it for `Provider::plan`: stack tags
/// merged, schema defaults filled, normalized, sensitive fields marked.
pub fn desired_attrs(
    stack: &Stack,
    instance: &Instance,
    provider: &dyn Provider,
    values: &AttrValues,
) -> Result<Attrs, EngineError> {
    let mut desired = stack
        .evaluate_instance(instance, values)
        .map_err(|diagnostics| EngineError::Evaluate {
            address: instance.address.clone(),
            diagnostics,
        })?;
    merge_stack_tags(&stack.tags, provider, &mut desired);
    fill_defaults(provider.schema(), &mut desired);
    let mut desired = provider.normalize(desired);
    mark_sensitive(provider.schema(), &mut desired);
    Ok(desired)
}

/// The context of a call about one resource, with forge's ownership tags.
pub fn resource_ctx(
    owner: &Owner,
    address: &Address,
    region: &str,
    alias: Option<&str>,
) -> ResourceCtx {
    ResourceCtx {
        region: region.to_string(),
        alias: alias.map(str::to_string),
        owner: owner.clone(),
        address: address.clone(),
        system_tags: owner.system_tags(address),
    }
}

/// Sets `id` in an attribute map.
pub fn with_id(mut attrs: Attrs, id: &str) -> Attrs {
    attrs.insert("id".into(), Value::from(id));
    attrs
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn a(id: &str) -> Attrs {
        with_id(Attrs::new(), id)
    }

    #[test]
    fn shapes_follow_count_and_for_each() {
        let mut v = AttrValues::new();
        v.insert(Address::single("vpc"), a("v"));
        v.insert(Address::indexed("sn", 1), a("s1"));
        v.insert(Address::indexed("sn", 0), a("s0"));
        v.insert(Address::keyed("az", "b"), a("b"));
        v.insert(Address::single("vpc2"), a("v2"));
        assert_eq!(
            v.resource("vpc").unwrap().get("id"),
            Some(&Value::from("v"))
        );
        let list = v.resource("sn").unwrap();
        assert_eq!(
            list.as_list().unwrap()[0].get("id"),
            Some(&Value::from("s0"))
        );
        assert_eq!(
            v.resource("az").unwrap().get("b").unwrap().get("id"),
            Some(&Value::from("b"))
        );
        assert!(v.resource("nope").is_none());
    }
}
