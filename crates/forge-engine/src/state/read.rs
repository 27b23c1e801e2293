//! Reading a state's JSON text: the one place every read path goes through
//! (the local file, S3, the memory backend, `forge state push`, migrations).
//!
//! A state is checked and normalized here, so the rest of the engine can
//! rely on it:
//! - the format `version` is one this forge reads;
//! - `lineage` is a UUID (it names the state's history: plans, migrations
//!   and ownership tags compare it);
//! - `forge_version` is not newer than this forge: a newer forge may record
//!   things this one does not know and would drop on its next write
//!   (Terraform refuses such a state for the same reason);
//! - resources are sorted by address ([`State::get`] binary-searches them:
//!   an unsorted list made every lookup miss and every resource planned as
//!   new) and no address appears twice (one entry would hide the other, and
//!   apply would create the hidden one a second time).

use super::{STATE_VERSION, State};

/// Why a state's text was refused.
#[derive(Debug, thiserror::Error)]
pub enum StateReadError {
    /// Not JSON at all.
    #[error("not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// JSON, but without a format version.
    #[error("not a forge state file (no `version`)")]
    NoVersion,
    /// A format version this forge does not read.
    #[error(
        "state format version {found} is not supported: this forge ({this}) reads version {supported}{}",
        if *.found > u64::from(*.supported) {
            "; it was written by a newer forge: upgrade forge to use it"
        } else {
            ""
        }
    )]
    UnsupportedVersion {
        /// The version in the file.
        found: u64,
        /// The version this forge reads.
        supported: u32,
        /// This forge's version.
        this: String,
    },
    /// The right version, but a field is missing or has the wrong type.
    #[error("does not match state format version {STATE_VERSION}: {0}")]
    Shape(#[source] serde_json::Error),
    /// `lineage` is not a UUID.
    #[error(
        "its `lineage` {lineage:?} is not a UUID; the lineage names the state's history and \
         must be kept as forge wrote it (restore it from the backup or an earlier version)"
    )]
    BadLineage {
        /// The value found.
        lineage: String,
    },
    /// `forge_version` does not parse.
    #[error(
        "its `forge_version` {found:?} is not a version (expected MAJOR.MINOR.PATCH, e.g. 0.1.0)"
    )]
    BadForgeVersion {
        /// The value found.
        found: String,
    },
    /// Written by a newer forge than this one.
    #[error(
        "it was written by forge {written_by}, which is newer than this forge ({this}); \
         upgrade forge to use this state (an older forge could drop what it does not know \
         on its next write)"
    )]
    NewerForge {
        /// The version that wrote it.
        written_by: String,
        /// This forge's version.
        this: String,
    },
    /// The same address is recorded more than once.
    #[error(
        "resource `{address}` is recorded {count} times; an address may appear once \
         (keep the right entry: `forge state pull`, edit the file, `forge state push`)"
    )]
    DuplicateAddress {
        /// The address.
        address: String,
        /// How many entries have it.
        count: usize,
    },
}

/// This forge's version, as written into every state.
pub fn this_forge_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

impl State {
    /// Parses a state's JSON text, validating and normalizing it (see the
    /// module docs). Every backend reads through this.
    pub fn from_json(text: &[u8]) -> Result<State, StateReadError> {
        let raw: serde_json::Value = serde_json::from_slice(text).map_err(StateReadError::Json)?;
        match raw.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(STATE_VERSION) => {}
            Some(found) => {
                return Err(StateReadError::UnsupportedVersion {
                    found,
                    supported: STATE_VERSION,
                    this: this_forge_version().into(),
                });
            }
            None => return Err(StateReadError::NoVersion),
        }
        let mut state: State = serde_json::from_value(raw).map_err(StateReadError::Shape)?;
        state.validate()?;
        state.normalize()?;
        Ok(state)
    }

    /// Checks the lineage and the forge version that wrote the state.
    pub fn validate(&self) -> Result<(), StateReadError> {
        if uuid::Uuid::parse_str(&self.lineage).is_err() {
            return Err(StateReadError::BadLineage {
                lineage: self.lineage.clone(),
            });
        }
        let written_by = semver::Version::parse(self.forge_version.trim()).map_err(|_| {
            StateReadError::BadForgeVersion {
                found: self.forge_version.clone(),
            }
        })?;
        // The crate's own version always parses; if it somehow did not,
        // comparing would be meaningless, so nothing is refused.
        if let Ok(this) = semver::Version::parse(this_forge_version())
            && written_by.cmp_precedence(&this).is_gt()
        {
            return Err(StateReadError::NewerForge {
                written_by: self.forge_version.clone(),
                this: this_forge_version().into(),
            });
        }
        Ok(())
    }

    /// Sorts the resources by address and refuses duplicate addresses.
    pub fn normalize(&mut self) -> Result<(), StateReadError> {
        self.sort();
        let mut i = 0;
        while i < self.resources.len() {
            let address = &self.resources[i].address;
            let count = self.resources[i..]
                .iter()
                .take_while(|r| &r.address == address)
                .count();
            if count > 1 {
                return Err(StateReadError::DuplicateAddress {
                    address: address.to_string(),
                    count,
                });
            }
            i += count;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::state::ResourceState;
    use forge_core::Address;

    fn state_text(addresses: &[&str]) -> serde_json::Value {
        let mut s = State::new("app", Some("dev".into()));
        for a in addresses {
            // Pushed as given (not upserted) to build unsorted lists.
            s.resources.push(ResourceState::new(
                a.parse::<Address>().unwrap(),
                "fake.thing",
                "us-east-1",
            ));
        }
        serde_json::to_value(&s).unwrap()
    }

    fn read(json: &serde_json::Value) -> Result<State, StateReadError> {
        State::from_json(&serde_json::to_vec(json).unwrap())
    }

    #[test]
    fn an_unsorted_state_is_sorted_so_every_lookup_finds_its_entry() {
        let s = read(&state_text(&[
            "web",
            "vpc",
            "db",
            "app[\"b\"]",
            "app[\"a\"]",
        ]))
        .unwrap();
        let order: Vec<String> = s.resources.iter().map(|r| r.address.to_string()).collect();
        let mut sorted = order.clone();
        sorted.sort_by(|a, b| {
            a.parse::<Address>()
                .unwrap()
                .cmp(&b.parse::<Address>().unwrap())
        });
        assert_eq!(order, sorted);
        for a in ["web", "vpc", "db", "app[\"b\"]", "app[\"a\"]"] {
            assert!(s.get(&a.parse().unwrap()).is_some(), "{a} not found");
        }
    }

    #[test]
    fn a_duplicate_address_is_refused_naming_it() {
        let err = read(&state_text(&["vpc", "db", "vpc"])).unwrap_err();
        assert!(
            matches!(&err, StateReadError::DuplicateAddress { address, count: 2 } if address == "vpc"),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("`vpc` is recorded 2 times"),
            "{err}"
        );
    }

    #[test]
    fn a_lineage_that_is_not_a_uuid_is_refused() {
        let mut j = state_text(&["vpc"]);
        j["lineage"] = "my-lineage".into();
        let err = read(&j).unwrap_err();
        assert!(matches!(err, StateReadError::BadLineage { .. }), "{err:?}");
        assert!(
            err.to_string().contains("\"my-lineage\" is not a UUID"),
            "{err}"
        );
    }

    #[test]
    fn a_state_of_a_newer_forge_or_format_is_refused() {
        let mut j = state_text(&["vpc"]);
        j["forge_version"] = "999.0.0".into();
        let err = read(&j).unwrap_err();
        assert!(matches!(err, StateReadError::NewerForge { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("written by forge 999.0.0, which is newer than this forge"),
            "{err}"
        );

        let mut j = state_text(&["vpc"]);
        j["forge_version"] = "soon".into();
        assert!(matches!(
            read(&j).unwrap_err(),
            StateReadError::BadForgeVersion { .. }
        ));

        let mut j = state_text(&["vpc"]);
        j["version"] = 2.into();
        let err = read(&j).unwrap_err();
        assert!(
            err.to_string().contains("written by a newer forge"),
            "{err}"
        );

        // Older forge versions and this one are fine.
        let mut j = state_text(&["vpc"]);
        j["forge_version"] = "0.0.1".into();
        read(&j).unwrap();
        j["forge_version"] = this_forge_version().into();
        read(&j).unwrap();
    }
}
