//! The kind framework: how an AWS kind is written.
//!
//! A kind is a zero-sized type implementing [`Kind`]: its name, its typed
//! fields (a struct deriving [`forge_core::fields::Fields`]), its service,
//! the shape of its ARN, and its real API logic — a batched describe,
//! create, update, delete, and how to list the objects a state owns. The
//! one generic [`KindProvider`] turns it into the engine's
//! [`forge_engine::Provider`] and supplies everything else: the schema,
//! the concurrency group, normalization, `find_orphan` and `list_tagged`
//! through the ownership tags, the per-region client, and registration
//! ([`Registrar`]), which also hands the kind's ARN shape to the tag index.
//!
//! Kind code sees typed values only: `desired.cidr_block`, never
//! `attrs["cidr_block"]`.

mod adapter;
mod arn;
mod registrar;
mod service;
mod tag_sync;

pub use adapter::{KindProvider, schema as schema_of};
pub use arn::{ArnShape, IdFrom};
pub use registrar::Registrar;
pub use service::{Service, client};
pub use tag_sync::{TagApi, sync_tags};

use async_trait::async_trait;
use forge_core::fields::Fields;
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::{FieldChange, ObserveCtx, PlannedChange, ProviderError, Readiness, ResourceCtx};
use std::collections::BTreeMap;
use std::time::Duration;

/// The client of a kind's service.
pub type ClientOf<K> = <<K as Kind>::Service as Service>::Client;

/// What a create made: the new object's id and what is known of it.
#[derive(Debug, Clone)]
pub struct Made<F> {
    /// The cloud's id.
    pub id: String,
    /// The object as far as known right after the call.
    pub fields: F,
}

/// An object found carrying this state's ownership tags: its id and its
/// `forge:address` tag.
pub type Owned = (String, Option<String>);

/// One AWS resource kind: only its real API logic; [`KindProvider`] does
/// the rest.
#[async_trait]
pub trait Kind: Default + Send + Sync + 'static {
    /// `aws.<service>.<kind>`.
    const KIND: &'static str;
    /// One line on what it is (the schema's description).
    const DESCRIPTION: &'static str;
    /// The ARN shape the tag index maps back to this kind; `None` for
    /// kinds the Resource Groups Tagging API does not list.
    const ARN: Option<ArnShape> = None;

    /// The service the kind belongs to.
    type Service: Service;
    /// Its fields: settable and computed attributes, typed.
    type Fields: Fields + Send + Sync + 'static;

    /// Describes the objects with these ids in one batched call per page
    /// or chunk. An id missing from the result is gone.
    async fn describe(
        &self,
        client: &ClientOf<Self>,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Self::Fields>, ProviderError>;

    /// Creates the object. `token` is the intent's idempotency token: pass
    /// it where the API takes a client token.
    async fn create(
        &self,
        client: &ClientOf<Self>,
        ctx: &ResourceCtx,
        desired: &Self::Fields,
        token: &str,
    ) -> Result<Made<Self::Fields>, ProviderError>;

    /// Changes the object in place; returns it as it is afterwards.
    async fn update(
        &self,
        client: &ClientOf<Self>,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Self::Fields,
        desired: &Self::Fields,
        changes: &[FieldChange],
    ) -> Result<Self::Fields, ProviderError>;

    /// Deletes the object; one already gone is success.
    async fn delete(
        &self,
        client: &ClientOf<Self>,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Self::Fields,
    ) -> Result<(), ProviderError>;

    /// Lists the live objects owned by `ctx.owner` (its `forge:state`
    /// tag; given, only those tagged `forge:address = address`). Objects
    /// of other states, or of none, are never listed.
    async fn list_owned(
        &self,
        client: &ClientOf<Self>,
        ctx: &ObserveCtx,
        address: Option<&str>,
    ) -> Result<Vec<Owned>, ProviderError>;

    /// Reads one object back after a change, through [`Kind::describe`];
    /// not yet visible (AWS is eventually consistent) is a transient
    /// failure, so the engine retries.
    async fn read_back(
        &self,
        client: &ClientOf<Self>,
        ctx: &ResourceCtx,
        id: &str,
    ) -> Result<Self::Fields, ProviderError> {
        let mut found = self
            .describe(client, &ctx.observe_ctx(), &[id.to_string()])
            .await?;
        found.remove(id).ok_or_else(|| ProviderError::Transient {
            message: format!("{} {id} not visible after the change", Self::KIND),
        })
    }

    /// Kind-specific normalization beyond what every kind gets (tags as
    /// text, nulls of settable fields dropped, per-field normalizers
    /// declared on the fields). Runs on desired values too, so it must
    /// leave unknown values alone.
    fn normalize(&self, attrs: &mut Attrs) {
        let _ = attrs;
    }

    /// A plan other than the schema's field-by-field comparison.
    fn plan(&self, schema: &KindSchema, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
        forge_engine::diff::schema_plan(schema, prior, desired)
    }

    /// Whether an observed object is ready for its dependents.
    fn readiness(&self, observed: &Self::Fields) -> Readiness {
        let _ = observed;
        Readiness::Ready
    }

    /// See [`forge_engine::Provider::holds_data`].
    fn holds_data(&self) -> bool {
        false
    }

    /// See [`forge_engine::Provider::await_deletion`].
    fn await_deletion(&self) -> bool {
        false
    }

    /// See [`forge_engine::Provider::always_create_before_destroy`].
    fn always_create_before_destroy(&self) -> bool {
        false
    }

    /// See [`forge_engine::Provider::unique_fields`].
    fn unique_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// See [`forge_engine::Provider::classify_change`].
    fn classify_change(&self, path: &str, recorded: &Value, live: &Value) -> Option<String> {
        let _ = (path, recorded, live);
        None
    }

    /// See [`forge_engine::Provider::poll_interval`].
    fn poll_interval(&self) -> Duration {
        Duration::from_secs(5)
    }

    /// See [`forge_engine::Provider::ready_timeout`].
    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(30 * 60)
    }
}
