//! Pure edits behind `forge state list | rm | mv` (the CLI renders
//! `forge state show`).
//!
//! The [`crate::Engine`] wraps them with locking and a compare-and-swap
//! write; they are here so they can be tested without a backend.

use super::{ResourceState, State};
use crate::error::EngineError;
use forge_core::Address;

/// Addresses in the state, sorted.
pub fn list(state: &State) -> Vec<Address> {
    state.resources.iter().map(|r| r.address.clone()).collect()
}

/// Forgets a resource (it stays in the cloud).
pub fn rm(state: &mut State, address: &Address) -> Result<ResourceState, EngineError> {
    state
        .remove(address)
        .ok_or_else(|| EngineError::NotInState(address.to_string()))
}

/// Renames a resource's address, rewriting dependencies that name it.
pub fn mv(state: &mut State, from: &Address, to: &Address) -> Result<(), EngineError> {
    if state.get(to).is_some() {
        return Err(EngineError::AlreadyInState(to.to_string()));
    }
    let mut r = rm(state, from)?;
    r.address = to.clone();
    state.upsert(r);
    for other in &mut state.resources {
        if other.dependencies.remove(from) {
            other.dependencies.insert(to.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mv_renames_and_rewrites_dependencies() {
        let mut s = State::new("st", None);
        s.upsert(ResourceState::new(Address::single("a"), "k", "r"));
        let mut b = ResourceState::new(Address::single("b"), "k", "r");
        b.dependencies.insert(Address::single("a"));
        s.upsert(b);
        mv(&mut s, &Address::single("a"), &Address::indexed("a", 0)).unwrap();
        assert_eq!(
            list(&s),
            vec![Address::indexed("a", 0), Address::single("b")]
        );
        assert!(
            s.get(&Address::single("b"))
                .unwrap()
                .dependencies
                .contains(&Address::indexed("a", 0))
        );
        assert!(mv(&mut s, &Address::single("zz"), &Address::single("y")).is_err());
        assert!(mv(&mut s, &Address::single("b"), &Address::indexed("a", 0)).is_err());
    }
}
