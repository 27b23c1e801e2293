//! Ownership: which state an object in the cloud belongs to.
//!
//! Every object forge creates carries ownership tags naming the one state
//! that owns it: `forge:state` (the state's lineage, a UUID made when the
//! state is first written, and the only tag that decides ownership), plus
//! `forge:stack`, `forge:environment` and `forge:address` for people and
//! for narrowing listings. Names alone never decide: two environments, two
//! folders or two regions of one stack share `forge:stack` and often
//! `forge:address`, but never a lineage.
//!
//! Objects tagged by a forge from before the state tag carry `forge:stack`
//! and `forge:address` only. They are [`Claim::Unconfirmed`]: reported for
//! the user to confirm, never adopted or converged silently.

use forge_core::Address;
use std::collections::BTreeMap;

/// The ownership tag that decides: the owning state's lineage.
pub const STATE_TAG: &str = "forge:state";
/// The ownership tag naming the stack (for people and listing filters).
pub const STACK_TAG: &str = "forge:stack";
/// The ownership tag naming the environment (absent without one).
pub const ENVIRONMENT_TAG: &str = "forge:environment";
/// The ownership tag naming the object's address in its state.
pub const ADDRESS_TAG: &str = "forge:address";

/// The identity of the state acting: who owns what it creates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Owner {
    /// The state's lineage (the value of `forge:state`).
    pub lineage: String,
    /// The stack's name (the value of `forge:stack`).
    pub stack: String,
    /// The environment, if the stack has one (`forge:environment`).
    pub environment: Option<String>,
}

/// Who the ownership tags of an object say it belongs to, seen from one
/// state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Tagged with this state's lineage.
    Ours,
    /// Tagged with another state's lineage.
    OtherState(ClaimedBy),
    /// Tagged `forge:stack` with this stack's name but with no state tag:
    /// made by an earlier forge, by this state or by any other state of a
    /// stack of the same name. Never taken over without the user's word.
    Unconfirmed(ClaimedBy),
    /// No forge ownership tags for this stack: made by hand, by another
    /// tool, or by an earlier forge for another stack.
    Unowned,
}

/// What an object's ownership tags say about its owner, for messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaimedBy {
    /// `forge:state`, if set.
    pub lineage: Option<String>,
    /// `forge:stack`, if set.
    pub stack: Option<String>,
    /// `forge:environment`, if set.
    pub environment: Option<String>,
    /// `forge:address`, if set.
    pub address: Option<String>,
}

impl ClaimedBy {
    /// Reads the ownership tags out of an object's full tag set.
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut c = ClaimedBy::default();
        for (k, v) in tags {
            let slot = match k {
                STATE_TAG => &mut c.lineage,
                STACK_TAG => &mut c.stack,
                ENVIRONMENT_TAG => &mut c.environment,
                ADDRESS_TAG => &mut c.address,
                _ => continue,
            };
            *slot = Some(v.to_string());
        }
        c
    }
}

impl std::fmt::Display for ClaimedBy {
    /// `state 6f1c… (stack web, environment prod, address vpc)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.lineage {
            Some(l) => write!(f, "state {l}")?,
            None => write!(f, "no state (no {STATE_TAG} tag)")?,
        }
        let mut parts = Vec::new();
        if let Some(s) = &self.stack {
            parts.push(format!("stack {s}"));
        }
        if let Some(e) = &self.environment {
            parts.push(format!("environment {e}"));
        }
        if let Some(a) = &self.address {
            parts.push(format!("address {a}"));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}

impl Owner {
    /// The owner of a state: its lineage, stack and environment.
    pub fn new(lineage: &str, stack: &str, environment: Option<String>) -> Self {
        Owner {
            lineage: lineage.to_string(),
            stack: stack.to_string(),
            environment,
        }
    }

    /// The owner of `state`.
    pub fn of_state(state: &crate::state::State) -> Self {
        Owner::new(&state.lineage, &state.stack, state.environment.clone())
    }

    /// The owner of the state `plan` was made against (and, for a first
    /// apply, the lineage the new state gets).
    pub fn of_plan(plan: &crate::plan::Plan) -> Self {
        Owner::new(&plan.lineage, &plan.stack, plan.environment.clone())
    }

    /// The ownership tags of an object at `address` of this state.
    pub fn system_tags(&self, address: &Address) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::from([
            (STATE_TAG.to_string(), self.lineage.clone()),
            (STACK_TAG.to_string(), self.stack.clone()),
            (ADDRESS_TAG.to_string(), address.to_string()),
        ]);
        if let Some(env) = &self.environment {
            tags.insert(ENVIRONMENT_TAG.to_string(), env.clone());
        }
        tags
    }

    /// Who an object's full tag set says it belongs to.
    pub fn claim<'a>(&self, tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Claim {
        let by = ClaimedBy::from_tags(tags);
        match &by.lineage {
            Some(l) if *l == self.lineage => Claim::Ours,
            Some(_) => Claim::OtherState(by),
            None if by.stack.as_deref() == Some(self.stack.as_str()) => Claim::Unconfirmed(by),
            None => Claim::Unowned,
        }
    }

    /// Whether an object's full tag set marks it as this state's (and,
    /// given, as `address` in it). Only the lineage decides ownership; the
    /// address narrows a listing to one resource.
    pub fn owns<'a>(
        &self,
        tags: impl IntoIterator<Item = (&'a str, &'a str)>,
        address: Option<&str>,
    ) -> bool {
        let by = ClaimedBy::from_tags(tags);
        by.lineage.as_deref() == Some(self.lineage.as_str())
            && address.is_none_or(|a| by.address.as_deref() == Some(a))
    }

    /// The error for an object this state may not take over: what exists,
    /// who owns it, and how to take it over explicitly.
    pub fn refusal(&self, what: &str, address: &Address, claim: &Claim) -> String {
        let owner = match claim {
            Claim::Ours => {
                format!("it belongs to this state under another address (not {address})")
            }
            Claim::OtherState(by) => format!("it is owned by {by}"),
            Claim::Unconfirmed(by) => format!(
                "it carries this stack's name but no {STATE_TAG} tag, so it may belong to \
                 any state of stack {} (tagged by {by}); forge does not take it over without \
                 your word",
                self.stack
            ),
            Claim::Unowned => "it is not managed by any forge state".to_string(),
        };
        format!(
            "{what} already exists and {owner}. forge never adopts an object another state \
             or nobody owns: if it should be managed as {address} here, import it \
             explicitly (`forge import {address} <id>`), otherwise give {address} another name"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner {
        Owner::new("l-1", "web", Some("dev".into()))
    }

    #[test]
    fn system_tags_name_the_state() {
        let t = owner().system_tags(&Address::single("vpc"));
        assert_eq!(t.get(STATE_TAG).map(String::as_str), Some("l-1"));
        assert_eq!(t.get(STACK_TAG).map(String::as_str), Some("web"));
        assert_eq!(t.get(ENVIRONMENT_TAG).map(String::as_str), Some("dev"));
        assert_eq!(t.get(ADDRESS_TAG).map(String::as_str), Some("vpc"));
        let none = Owner::new("l", "s", None).system_tags(&Address::single("a"));
        assert!(!none.contains_key(ENVIRONMENT_TAG));
    }

    #[test]
    fn only_the_lineage_decides() {
        let o = owner();
        let ours = [(STATE_TAG, "l-1"), (STACK_TAG, "web"), (ADDRESS_TAG, "vpc")];
        assert_eq!(o.claim(ours), Claim::Ours);
        assert!(o.owns(ours, Some("vpc")));
        assert!(o.owns(ours, None));
        assert!(!o.owns(ours, Some("subnet")));
        // Same stack, same address, same environment name: another state.
        let prod = [
            (STATE_TAG, "l-2"),
            (STACK_TAG, "web"),
            (ENVIRONMENT_TAG, "dev"),
            (ADDRESS_TAG, "vpc"),
        ];
        assert!(matches!(o.claim(prod), Claim::OtherState(_)));
        assert!(!o.owns(prod, Some("vpc")));
        let legacy = [(STACK_TAG, "web"), (ADDRESS_TAG, "vpc")];
        assert!(matches!(o.claim(legacy), Claim::Unconfirmed(_)));
        assert!(!o.owns(legacy, Some("vpc")));
        assert_eq!(o.claim([(STACK_TAG, "other")]), Claim::Unowned);
        assert_eq!(o.claim([("Name", "x")]), Claim::Unowned);
    }

    #[test]
    fn refusals_say_who_owns_and_how_to_import() {
        let o = owner();
        let claim = o.claim([
            (STATE_TAG, "l-2"),
            (STACK_TAG, "web"),
            (ENVIRONMENT_TAG, "prod"),
            (ADDRESS_TAG, "logs"),
        ]);
        let msg = o.refusal("log group /web/x", &Address::single("logs"), &claim);
        assert!(
            msg.contains("state l-2 (stack web, environment prod, address logs)"),
            "{msg}"
        );
        assert!(msg.contains("forge import logs <id>"), "{msg}");
        let msg = o.refusal("x", &Address::single("logs"), &Claim::Unowned);
        assert!(msg.contains("not managed by any forge state"), "{msg}");
    }
}
