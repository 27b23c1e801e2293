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
#[cfg(test)]
pub mod testing;

pub use adapter::{KindProvider, schema as schema_of};
pub use arn::{ArnShape, IdFrom};
pub use registrar::Registrar;
pub(crate) use service::declare_service;
pub use service::{Service, client};
pub(crate) use tag_sync::tag_calls;
pub use tag_sync::{TagApi, retag_and_read, send_tag_diff, sync_tags};

use async_trait::async_trait;
use forge_core::fields::Fields;

/// What a kind's file needs in scope: the framework's types and calls,
/// `async_trait`, the `Fields` derive, `Tags` and `ProviderError`.
pub mod prelude {
    pub(crate) use super::delete_by;
    pub use super::{
        Act, ArnShape, Computed, Created, Found, Kind, KindDecl, Look, Made, Owned, Res, Service,
        TagApi, Update, Updated, retag_and_read, sync_tags,
    };
    pub use crate::error::returned;
    pub use async_trait::async_trait;
    pub use forge_core::fields::Tags;
    pub use forge_derive::Fields;
    pub use forge_engine::ProviderError;
}
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::{FieldChange, ObserveCtx, PlannedChange, ProviderError, Readiness, ResourceCtx};
use std::collections::BTreeMap;
use std::ops::Deref;
use std::time::Duration;

/// The client of a kind's service.
pub type ClientOf<K> = <<K as KindDecl>::Service as Service>::Client;

/// What a create made: the new object's id and what is known of it.
#[derive(Debug, Clone)]
pub struct Made<K: Kind> {
    /// The cloud's id.
    pub id: String,
    /// The object as far as known right after the call.
    pub fields: K::Fields,
}

/// A read-only field the cloud fills (an ARN, a status): `Option<T>` to
/// kind code, and `computed` to the `Fields` derive, which recognises the
/// type's name, so the field needs no `#[field(computed)]` line.
pub type Computed<T> = Option<T>;

/// The result of a kind's call.
pub type Res<T> = Result<T, ProviderError>;
/// What a describe found: fields by id; an id left out is gone.
pub type Found<K> = Res<BTreeMap<String, <K as KindDecl>::Fields>>;
/// What a create returns.
pub type Created<K> = Res<Made<K>>;
/// What an update returns: the object as it is afterwards.
pub type Updated<K> = Res<<K as KindDecl>::Fields>;

/// What an update is asked to do: the object as it was (the state's
/// record or the last refresh) and as the spec wants it, and the planned
/// field changes between them.
pub struct Update<'a, K: Kind> {
    /// The object as recorded; a sensitive value recorded only as its
    /// hash reads as unset.
    pub prior: &'a K::Fields,
    /// The object as the spec wants it.
    pub desired: &'a K::Fields,
    /// The plan's field changes.
    pub changes: &'a [FieldChange],
}

/// What a kind's call works with: its service's client for the region the
/// call is about, and the call's context, which it dereferences to
/// (`ctx.region`, `ctx.owner`, and for [`Act`] `ctx.address`,
/// `ctx.system_tags`).
pub struct Cx<'a, K: Kind, C> {
    /// The service's client in the call's region.
    pub client: &'a ClientOf<K>,
    ctx: C,
    /// In a create: the desired attributes (what [`Kind::made`] knows of
    /// the new object without reading it).
    creating: Option<&'a Attrs>,
    /// Set by [`Act::made_unread`]: the create left its object to be read
    /// back by the engine.
    unread: std::sync::atomic::AtomicBool,
}

/// A call about the objects of a region: describe and list.
pub type Look<'a, K> = Cx<'a, K, ObserveCtx>;
/// A call about one resource: create, update, delete.
pub type Act<'a, K> = Cx<'a, K, &'a ResourceCtx>;

impl<'a, K: Kind, C> Cx<'a, K, C> {
    /// A call context from its parts.
    pub fn new(client: &'a ClientOf<K>, ctx: C) -> Self {
        Cx {
            client,
            ctx,
            creating: None,
            unread: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The context of a create of an object with the `desired` attributes.
    pub(crate) fn creating(mut self, desired: &'a Attrs) -> Self {
        self.creating = Some(desired);
        self
    }

    /// Whether the call ended with [`Act::made_unread`].
    pub(crate) fn left_unread(&self) -> bool {
        self.unread.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl<'a, K: Kind> Act<'a, K> {
    /// The batched-observe context for the same region and state, to
    /// describe or list from inside a create, update or delete.
    pub fn look(&self) -> Look<'a, K> {
        Cx::new(self.client, self.ctx.observe_ctx())
    }

    /// The end of a create that leaves reading the new object `id` to the
    /// engine, instead of a describe of its own ([`Kind::made`]): `known`
    /// is what the create knows of it (what it sent, what the answer
    /// said). The engine reads the object back with one batched describe
    /// for all the objects of the kind created together
    /// ([`forge_engine::Created::read_back`]) before its dependents start.
    pub fn made_unread(&self, id: String, known: K::Fields) -> Created<K> {
        self.unread.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(Made { id, fields: known })
    }
}

impl<K: Kind> Deref for Look<'_, K> {
    type Target = ObserveCtx;
    fn deref(&self) -> &ObserveCtx {
        &self.ctx
    }
}

impl<K: Kind> Deref for Act<'_, K> {
    type Target = ResourceCtx;
    fn deref(&self) -> &ResourceCtx {
        self.ctx
    }
}

/// An object found carrying this state's ownership tags: its id and its
/// `forge:address` tag.
pub type Owned = (String, Option<String>);

/// What a kind is, declared once with [`declare_kind`]: its name, what it
/// is, its service and its fields.
pub trait KindDecl: Send + Sync + Sized + 'static {
    /// `aws.<service>.<kind>`.
    const KIND: &'static str;
    /// One line on what it is (the schema's description).
    const DESCRIPTION: &'static str;
    /// The service the kind belongs to.
    type Service: Service;
    /// Its fields: settable and computed attributes, typed.
    type Fields: Fields + Send + Sync + 'static;
}

/// Declares a kind's zero-sized type and its [`KindDecl`]: the type, its
/// `aws.<service>.<kind>` name, its service, its field struct and the
/// one-line description.
///
/// ```ignore
/// crate::kind::declare_kind!(VpcKind: "aws.ec2.vpc", Ec2, VpcFields,
///     "A virtual private cloud.");
/// ```
macro_rules! declare_kind {
    ($kind:ident: $name:literal, $svc:ty, $fields:ty, $desc:literal $(,)?) => {
        #[doc = concat!("The `", $name, "` kind.")]
        #[derive(Default)]
        pub struct $kind;

        impl $crate::kind::KindDecl for $kind {
            const KIND: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            type Service = $svc;
            type Fields = $fields;
        }
    };
    // A kind generic over flavors, each with its own name, description
    // and fields (`KIND`, `DESCRIPTION`, `Fields` of the flavor trait).
    ($kind:ident<$f:ident: $flavor:path>, $svc:ty $(,)?) => {
        impl<$f: $flavor> $crate::kind::KindDecl for $kind<$f> {
            const KIND: &'static str = $f::KIND;
            const DESCRIPTION: &'static str = $f::DESCRIPTION;
            type Service = $svc;
            type Fields = $f::Fields;
        }
    };
}
pub(crate) use declare_kind;

/// Spells one [`Kind`] method for a macro that writes it inside a kind's
/// `#[async_trait] impl Kind`: `#[async_trait]` has already rewritten the
/// impl when such a macro expands, so the method must be spelled the way
/// it spells the trait's (boxed future, named lifetimes), and the trait's
/// declaration checks the spelling. Each arm names the method and its
/// parameters; the body is the `async` block's.
///
/// ```ignore
/// kind_method!(delete(ctx, id, _prior) { ... });
/// ```
macro_rules! kind_method {
    (create($ctx:ident, $desired:ident, $token:ident) $body:block) => {
        $crate::kind::kind_method!(@spell create<'life0, 'life1, 'life2, 'life3>(
            $ctx: &'life0 $crate::kind::Act<'life1, Self>,
            $desired: &'life2 <Self as $crate::kind::KindDecl>::Fields,
            $token: &'life3 str,
        ) -> $crate::kind::Created<Self> $body);
    };
    (update($ctx:ident, $id:ident, $u:ident) $body:block) => {
        $crate::kind::kind_method!(@spell update<'life0, 'life1, 'life2, 'life3>(
            $ctx: &'life0 $crate::kind::Act<'life1, Self>,
            $id: &'life2 str,
            $u: $crate::kind::Update<'life3, Self>,
        ) -> $crate::kind::Updated<Self> $body);
    };
    (delete($ctx:ident, $id:ident, $prior:ident) $body:block) => {
        $crate::kind::kind_method!(@spell delete<'life0, 'life1, 'life2, 'life3>(
            $ctx: &'life0 $crate::kind::Act<'life1, Self>,
            $id: &'life2 str,
            $prior: &'life3 <Self as $crate::kind::KindDecl>::Fields,
        ) -> $crate::kind::Res<()> $body);
    };
    (list_owned($ctx:ident, $address:ident) $body:block) => {
        $crate::kind::kind_method!(@spell list_owned<'life0, 'life1, 'life2>(
            $ctx: &'life0 $crate::kind::Look<'life1, Self>,
            $address: Option<&'life2 str>,
        ) -> $crate::kind::Res<Vec<$crate::kind::Owned>> $body);
    };
    (@spell $name:ident<$($l:lifetime),*>($($p:ident: $t:ty,)*) -> $out:ty $body:block) => {
        fn $name<$($l,)* 'async_trait>(
            $($p: $t,)*
        ) -> ::core::pin::Pin<Box<dyn ::core::future::Future<Output = $out> + Send + 'async_trait>>
        where
            $($l: 'async_trait,)*
            Self: 'async_trait,
        {
            Box::pin(async move $body)
        }
    };
}
pub(crate) use kind_method;

/// Writes, inside a kind's `#[async_trait] impl Kind`, a `delete` that
/// is one call: `deleted` (the service's mapping of a delete's answer,
/// "already gone" being success), then the delete call and its id setter
/// (`Rds::deleted: delete_db_subnet_group.db_subnet_group_name`). With
/// `after prepare`, `prepare(client, id)` runs first (it detaches what
/// blocks the delete) and answers whether the object is still there.
/// Spelled through [`kind_method`].
macro_rules! delete_by {
    ($deleted:path: $call:ident . $set:ident $(, after $prepare:path)?) => {
        $crate::kind::kind_method!(delete(ctx, id, _prior) {
            $(if !$prepare(ctx.client, id).await? {
                return Ok(());
            })?
            $deleted(ctx.client.$call().$set(id).send().await)
        });
    };
}
pub(crate) use delete_by;

/// One AWS resource kind: only its real API logic; [`KindProvider`] does
/// the rest. A kind holds no state: its calls are associated functions
/// that get the client and context in a [`Cx`]. What it is (name,
/// service, fields) comes from its [`KindDecl`].
#[async_trait]
pub trait Kind: KindDecl {
    /// The ARN shapes the tag index maps back to this kind (most kinds
    /// have one; an ELBv2 load balancer has `app/` and `net/`); none for
    /// kinds the Resource Groups Tagging API does not list.
    const ARNS: &'static [ArnShape] = &[];
    /// See [`forge_engine::Provider::holds_data`].
    const HOLDS_DATA: bool = false;
    /// See [`forge_engine::Provider::await_deletion`].
    const AWAIT_DELETION: bool = false;
    /// See [`forge_engine::Provider::always_create_before_destroy`].
    const CREATE_BEFORE_DESTROY: bool = false;
    /// See [`forge_engine::Provider::unique_fields`].
    const UNIQUE_FIELDS: &'static [&'static str] = &[];
    /// See [`forge_engine::Provider::poll_interval`].
    const POLL_INTERVAL: Duration = Duration::from_secs(5);
    /// See [`forge_engine::Provider::ready_timeout`].
    const READY_TIMEOUT: Duration = Duration::from_secs(30 * 60);

    /// Describes the objects with these ids in one batched call per page
    /// or chunk. An id missing from the result is gone.
    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self>;

    /// Creates the object. `token` is the intent's idempotency token: pass
    /// it where the API takes a client token.
    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, token: &str) -> Created<Self>;

    /// Changes the object in place; returns it as it is afterwards.
    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self>;

    /// Deletes the object; one already gone is success.
    async fn delete(ctx: &Act<'_, Self>, id: &str, prior: &Self::Fields) -> Res<()>;

    /// Lists the live objects owned by `ctx.owner` (its `forge:state`
    /// tag; given, only those tagged `forge:address = address`). Objects
    /// of other states, or of none, are never listed.
    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>>;

    /// Reads one object back after a change, through [`Kind::describe`];
    /// not yet visible (AWS is eventually consistent) is a transient
    /// failure, so the engine retries.
    async fn read_back(ctx: &Act<'_, Self>, id: &str) -> Updated<Self> {
        let mut found = Self::describe(&ctx.look(), &[id.to_string()]).await?;
        found.remove(id).ok_or_else(|| ProviderError::Transient {
            message: format!("{} {id} not visible after the change", Self::KIND),
        })
    }

    /// What a create made, for a create whose answer does not describe
    /// the object: the new object `id` as the spec wants it, left for the
    /// engine to read back with one batched describe for all the objects
    /// of the kind created together ([`Act::made_unread`]). Outside the
    /// adapter's create (a kind's own tests), read back at once with
    /// [`Kind::read_back`].
    async fn made(ctx: &Act<'_, Self>, id: String) -> Created<Self> {
        if let Some(desired) = ctx.creating {
            let known = Self::Fields::from_attrs(desired)
                .map_err(|e| ProviderError::Invalid(format!("{}: {e}", Self::KIND)))?;
            return ctx.made_unread(id, known);
        }
        let fields = Self::read_back(ctx, &id).await?;
        Ok(Made { id, fields })
    }

    /// Kind-specific normalization beyond what every kind gets (tags as
    /// text, nulls of settable fields dropped, per-field normalizers
    /// declared on the fields). Runs on desired values too, so it must
    /// leave unknown values alone.
    fn normalize(attrs: &mut Attrs) {
        let _ = attrs;
    }

    /// A plan other than the schema's field-by-field comparison.
    fn plan(schema: &KindSchema, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
        forge_engine::diff::schema_plan(schema, prior, desired)
    }

    /// Whether an observed object is ready for its dependents.
    fn readiness(observed: &Self::Fields) -> Readiness {
        let _ = observed;
        Readiness::Ready
    }

    /// See [`forge_engine::Provider::deleting`] (kinds with
    /// [`AWAIT_DELETION`](Self::AWAIT_DELETION)).
    fn deleting(observed: &Self::Fields) -> bool {
        let _ = observed;
        false
    }

    /// See [`forge_engine::Provider::not_landed`].
    fn not_landed(desired: &Self::Fields, observed: &Self::Fields) -> Option<String> {
        let _ = (desired, observed);
        None
    }

    /// See [`forge_engine::Provider::classify_change`].
    fn classify_change(
        path: &str,
        recorded: &Value,
        live: &Value,
        object: &Attrs,
    ) -> Option<String> {
        let _ = (path, recorded, live, object);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::prelude::*;
    use forge_core::FieldMode;
    use forge_core::fields::Fields as _;

    /// Declares a field struct the way a `macro_rules!` passes types on
    /// (`$t:ty`), as RDS's shared field groups do.
    macro_rules! via_macro {
        ($t:ty) => {
            /// Fields declared through a macro.
            #[derive(Debug, Clone, Fields)]
            struct Passed {
                /// Filled by the cloud.
                status: $t,
            }
        };
    }
    via_macro!(Computed<String>);

    /// Fields declared directly.
    #[derive(Debug, Clone, Fields)]
    struct Direct {
        /// Set by the user.
        name: Option<String>,
        /// Filled by the cloud.
        arn: Computed<String>,
    }

    #[test]
    fn a_computed_type_is_a_computed_field() {
        let direct = Direct::field_schemas();
        assert_eq!(direct["name"].mode, FieldMode::Optional);
        assert_eq!(direct["arn"].mode, FieldMode::Computed);
        assert_eq!(Passed::field_schemas()["status"].mode, FieldMode::Computed);
    }
}
