//! Tag indexes: one call that lists every resource carrying a stack's
//! ownership tag, whatever its kind.
//!
//! Drift's orphan search needs "everything tagged `forge:stack = <stack>`".
//! Asking each kind ([`crate::Provider::list_tagged`]) costs at least one
//! List/Describe per kind and region, often more (kinds whose list call has
//! no tag filter read tags per resource). A cloud with a cross-service tag
//! index (AWS's Resource Groups Tagging API) answers the same question with
//! one paged call per region. A [`TagIndex`] registered with
//! [`crate::ProviderRegistry::set_tag_index`] is that call: drift uses it
//! for the kinds it [`covers`](TagIndex::covers) and keeps calling
//! `list_tagged` for the others, so kinds a library user adds keep working
//! without knowing about the index.
//!
//! An index may lag behind the services (it is eventually consistent, and
//! lists objects that are pending deletion), so drift confirms what it
//! reports with the kind's batched `observe` (only when there are
//! candidates: a clean stack costs nothing more).

use crate::provider::{ObserveCtx, ProviderError};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// One resource the index found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedResource {
    /// The kinds it can be, most likely first. Usually one; several when
    /// one identifier shape names objects of several kinds (an RDS `db`
    /// ARN is an Aurora cluster instance or a standalone instance), which
    /// drift tells apart with the kinds' `observe`.
    pub kinds: Vec<String>,
    /// Its id as the kind's provider records it.
    pub id: String,
    /// All its tags, including `forge:stack` and `forge:address`.
    pub tags: BTreeMap<String, String>,
}

/// A cross-kind index of resources by the stack's ownership tag.
#[async_trait]
pub trait TagIndex: Send + Sync + 'static {
    /// Whether [`TagIndex::tagged`] finds every tagged resource of `kind`,
    /// so the kind's `list_tagged` need not be called.
    fn covers(&self, kind: &str) -> bool;

    /// Every resource of a covered kind in `ctx.region` tagged
    /// `forge:stack = ctx.stack`. Resources of kinds the index does not
    /// know are left out.
    async fn tagged(&self, ctx: &ObserveCtx) -> Result<Vec<TaggedResource>, ProviderError>;
}
