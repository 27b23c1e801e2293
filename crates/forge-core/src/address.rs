//! Resource instance addresses: `vpc`, `nat[0]`, `public_subnet["eu-central-1a"]`.

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
    /// The resource's name in the spec.
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
    "invalid resource address `{input}`: {reason} (expected `name`, `name[0]` or `name[\"key\"]`)"
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
        let Some(open) = s.find('[') else {
            return if valid_name(s) {
                Ok(Address::single(s))
            } else {
                Err(err("bad resource name"))
            };
        };
        let name = &s[..open];
        if !valid_name(name) {
            return Err(err("bad resource name"));
        }
        let rest = &s[open + 1..];
        let inner = rest
            .strip_suffix(']')
            .ok_or_else(|| err("missing closing `]`"))?;
        if let Some(quoted) = inner.strip_prefix('"') {
            let key = quoted
                .strip_suffix('"')
                .ok_or_else(|| err("unterminated key string"))?;
            let key: String = serde_json::from_str(&format!("\"{key}\""))
                .map_err(|_| err("bad escape in key"))?;
            Ok(Address::keyed(name, key))
        } else {
            let index = inner
                .parse::<usize>()
                .map_err(|_| err("index must be a number or a quoted key"))?;
            Ok(Address::indexed(name, index))
        }
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
    }
}
