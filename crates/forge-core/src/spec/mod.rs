//! The spec language: loading YAML stacks into an expanded, validated
//! [`Stack`] of resource [`Instance`]s.
//!
//! `model` is the contract the engine consumes; the loader, expressions,
//! expansion and graph live in the sibling modules.

pub mod model;

pub use model::{
    Config, Instance, Lifecycle, LoadOptions, OutputDef, ResourceValues, Stack, StateBackendConfig,
};
