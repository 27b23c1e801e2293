//! Resource instance addresses: `vpc`, `nat[0]`, `public_subnet["eu-central-1a"]`,
//! and inside modules `module.net.vpc`, `module.net["a"].subnet[0]`,
//! `module.a.module.b.x` (Terraform's spelling).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The key of one instance of a resource expanded with `count` or `for_each`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceKey {
    /// `count` index.
    Index(usize),
    /// `for_each` key.
    Key(String),
}

/// The stable address of one resource instance in a stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// The resource's name in the spec, after the path of the module
    /// instance that declares it (`module.net["a"].vpc`): everything that
    /// groups instances by resource works on it unchanged. A bare module
    /// path (`module.net`, as `-target` takes it) is an address too.
    pub name: String,
    /// Which instance, when the resource uses `count` or `for_each`.
    pub key: Option<InstanceKey>,
}

impl Address {
    /// The address of a resource without count/for_each.
    pub fn single(name: impl Into<String>) -> Self {
        Address {
            name: name.into(),
            key: None,
        }
    }

    /// The address of `name[index]`.
    pub fn indexed(name: impl Into<String>, index: usize) -> Self {
        Address {
            name: name.into(),
            key: Some(InstanceKey::Index(index)),
        }
    }

    /// The address of `name["key"]`.
    pub fn keyed(name: impl Into<String>, key: impl Into<String>) -> Self {
        Address {
            name: name.into(),
            key: Some(InstanceKey::Key(key.into())),
        }
    }
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Index(i) => write!(f, "[{i}]"),
            InstanceKey::Key(k) => write!(f, "[{k:?}]"),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            None => write!(f, "{}", self.name),
            Some(InstanceKey::Index(i)) => write!(f, "{}[{}]", self.name, i),
            Some(InstanceKey::Key(k)) => write!(f, "{}[{:?}]", self.name, k),
        }
    }
}

/// Why a string is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid resource address `{input}`: {reason} (expected `name`, `name[0]`, `name[\"key\"]` or `module.NAME.name`)"
)]
pub struct AddressParseError {
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl FromStr for Address {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| AddressParseError {
            input: s.to_string(),
            reason,
        };
        let steps = split_steps(s).map_err(err)?;
        // Module steps come in pairs (`module`, `NAME[KEY]`); a resource
        // step, if any, ends the address.
        let mut name = String::new();
        let mut rest = &steps[..];
        while let [(word, None), (call, key), tail @ ..] = rest
            && word == "module"
        {
            if !valid_name(call) {
                return Err(err("bad module name"));
            }
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str("module.");
            name.push_str(call);
            // A bare module path: its last key is the address's key.
            if tail.is_empty() {
                return Ok(Address {
                    name,
                    key: key.clone(),
                });
            }
            if let Some(k) = key {
                name.push_str(&k.to_string());
            }
            rest = tail;
        }
        let [(resource, key)] = rest else {
            return Err(err(if rest.is_empty() {
                "empty address"
            } else {
                "a resource name must be the last part"
            }));
        };
        if !valid_name(resource) || resource == "module" {
            return Err(err("bad resource name"));
        }
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(resource);
        Ok(Address {
            name,
            key: key.clone(),
        })
    }
}

/// Splits `module.net["a"].vpc[0]` into its dotted steps, each a name and
/// an optional key (a quoted key may hold dots and brackets).
fn split_steps(s: &str) -> Result<Vec<(String, Option<InstanceKey>)>, &'static str> {
    let mut steps = Vec::new();
    let mut chars = s.char_indices().peekable();
    loop {
        let start = chars.peek().map_or(s.len(), |(i, _)| *i);
        while chars.next_if(|(_, c)| *c != '.' && *c != '[').is_some() {}
        let end = chars.peek().map_or(s.len(), |(i, _)| *i);
        let name = s[start..end].to_string();
        if name.is_empty() {
            return Err("bad resource name");
        }
        let mut key = None;
        if chars.next_if(|(_, c)| *c == '[').is_some() {
            let open = end + 1;
            if chars.next_if(|(_, c)| *c == '"').is_some() {
                let mut escaped = false;
                let close = loop {
                    match chars.next() {
                        None => return Err("unterminated key string"),
                        Some((_, '\\')) if !escaped => escaped = true,
                        Some((i, '"')) if !escaped => break i,
                        Some(_) => escaped = false,
                    }
                };
                let text: String =
                    serde_json::from_str(&s[open..=close]).map_err(|_| "bad escape in key")?;
                key = Some(InstanceKey::Key(text));
                if chars.next_if(|(_, c)| *c == ']').is_none() {
                    return Err("missing closing `]`");
                }
            } else {
                let mut close = None;
                for (i, c) in chars.by_ref() {
                    if c == ']' {
                        close = Some(i);
                        break;
                    }
                }
                let close = close.ok_or("missing closing `]`")?;
                let index = s[open..close]
                    .parse::<usize>()
                    .map_err(|_| "index must be a number or a quoted key")?;
                key = Some(InstanceKey::Index(index));
            }
        }
        steps.push((name, key));
        match chars.next() {
            None => return Ok(steps),
            Some((_, '.')) => continue,
            Some(_) => return Err("expected `.` after `]`"),
        }
    }
}

impl Address {
    /// Whether this instance is declared inside the module instance (or,
    /// for a `module` path without key, any instance of the module call)
    /// that `module` names: `module.net` takes `module.net.vpc`,
    /// `module.net["a"].vpc` and `module.net.module.sub.x`.
    pub fn is_in_module(&self, module: &Address) -> bool {
        if !module.is_module_path() {
            return false;
        }
        let path = module.to_string();
        self.name.strip_prefix(path.as_str()).is_some_and(|rest| {
            rest.starts_with('.') || (module.key.is_none() && rest.starts_with('['))
        })
    }

    /// Whether this is a module path (`module.net`, `module.a.module.b`)
    /// rather than a resource's address.
    pub fn is_module_path(&self) -> bool {
        split_steps(&self.name).is_ok_and(|steps| {
            steps.len() % 2 == 0
                && steps
                    .iter()
                    .step_by(2)
                    .all(|(w, k)| w == "module" && k.is_none())
        })
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        for a in [
            Address::single("vpc"),
            Address::indexed("nat", 2),
            Address::keyed("public_subnet", "eu-central-1a"),
            Address::keyed("odd", "with \"quote\""),
        ] {
            let text = a.to_string();
            assert_eq!(text.parse::<Address>(), Ok(a));
        }
        assert_eq!(Address::keyed("s", "a").to_string(), "s[\"a\"]");
    }

    #[test]
    fn rejects_garbage() {
        assert!("".parse::<Address>().is_err());
        assert!("a[".parse::<Address>().is_err());
        assert!("a[x]".parse::<Address>().is_err());
        assert!("1a".parse::<Address>().is_err());
        assert!("module".parse::<Address>().is_err());
        assert!("module.net.module".parse::<Address>().is_err());
        assert!("vpc.module.net".parse::<Address>().is_err());
        assert!("module[0].x".parse::<Address>().is_err());
    }

    #[test]
    fn module_addresses_round_trip() {
        for text in [
            "module.net.vpc",
            "module.net[\"a\"].vpc",
            "module.net[0].subnet[\"x.y\"]",
            "module.a.module.b.x[2]",
            "module.a[\"k]\"].module.b[1].x",
            "module.net",
            "module.net[\"a\"]",
        ] {
            let a: Address = text.parse().unwrap();
            assert_eq!(a.to_string(), text);
        }
        let a: Address = "module.net[\"a\"].vpc[0]".parse().unwrap();
        assert_eq!(a.name, "module.net[\"a\"].vpc");
        assert_eq!(a.key, Some(InstanceKey::Index(0)));
    }

    #[test]
    fn module_paths_contain_their_instances() {
        let net: Address = "module.net".parse().unwrap();
        let net_a: Address = "module.net[\"a\"]".parse().unwrap();
        assert!(net.is_module_path() && net_a.is_module_path());
        assert!(!Address::single("vpc").is_module_path());
        for inside in [
            "module.net.vpc",
            "module.net[\"a\"].vpc",
            "module.net.module.b.x",
        ] {
            assert!(
                inside.parse::<Address>().unwrap().is_in_module(&net),
                "{inside}"
            );
        }
        assert!(
            "module.net[\"a\"].vpc"
                .parse::<Address>()
                .unwrap()
                .is_in_module(&net_a)
        );
        assert!(
            !"module.net[\"b\"].vpc"
                .parse::<Address>()
                .unwrap()
                .is_in_module(&net_a)
        );
        assert!(
            !"module.network.vpc"
                .parse::<Address>()
                .unwrap()
                .is_in_module(&net)
        );
        assert!(!Address::single("vpc").is_in_module(&net));
    }
}
