//! Application Auto Scaling kinds: scalable targets and target tracking
//! policies. One file per kind; the client and composite ids in
//! [`common`].

pub mod common;
pub mod policy;
pub mod target;

pub use policy::PolicyProvider;
pub use target::TargetProvider;

use crate::kind::Registrar;
use std::sync::Arc;

/// Registers every Application Auto Scaling kind.
pub fn register(r: &mut Registrar) {
    r.provider(Arc::new(TargetProvider::new(r.clients().clone())), &[]);
    r.provider(Arc::new(PolicyProvider::new(r.clients().clone())), &[]);
}
