//! The spec language: loading YAML stacks into an expanded, validated
//! [`Stack`] of resource [`Instance`]s.
//!
//! `model` is the contract the engine consumes; `loader` drives loading
//! (files and includes in `include`, positions in `yaml`, variables in
//! `vars`, resources and outputs in `resources`, type checks in
//! `typecheck`, the files a stack may read in `root`); `json_schema`
//! describes the file format for editors; `sources` lists the files a
//! stack reads, for saved plans' digests; `discover` tells stacks from
//! other folders and lists a stack's environments without loading it whole.

pub mod adoption;
pub mod aws_settings;
mod conditions;
mod data;
mod data_keys;
mod dependencies;
mod discover;
pub mod generate;
mod include;
mod json_schema;
pub mod layout;
mod loader;
mod locals;
pub mod model;
mod module_eval;
mod module_source;
mod modules;
mod resources;
pub(crate) mod root;
mod sources;
mod stack_tree;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod typecheck;
mod var_types;
mod vars;
mod yaml;

pub use adoption::{Adoption, ImportBlock, MovedBlock, RemovedBlock};
pub use aws_settings::{AssumeRole, AwsCredentials};
pub use conditions::{Checked, Condition, Conditions, condition_failed};
pub use data::data_address;
pub use dependencies::{
    DeclaredDependency, DependencyReader, DependencyRequest, DependencyState, MOCK_COMMANDS,
    other_stack_path, stack_dependencies,
};
pub use discover::{is_stack, stack_environments};
pub use include::convention_var_files;
pub use json_schema::json_schema;
pub use loader::{TOP_LEVEL_KEYS, load_stack};
pub use model::{
    Config, DataPass, EachBinding, Instance, Lifecycle, LoadOptions, OutputDef, ResourceValues,
    SerdePos, Stack, StateBackendConfig, Timeouts, parse_duration_secs,
};
pub use module_eval::ModuleInstance;
pub use module_source::{LOCK_FILE, LockedSource, ModuleLock, read_module_lock};
pub use resources::{META_KEYS, RESERVED_NAMES};
pub use sources::spec_sources;
pub use stack_tree::{StackTree, TreeStack, find_stacks, stack_tree, subfolders};
