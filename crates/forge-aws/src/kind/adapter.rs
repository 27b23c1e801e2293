//! [`KindProvider`]: the one implementation of the engine's `Provider`
//! for every framework kind.

use crate::clients::AwsClients;
use crate::kind::{Cx, Kind, Made, Service, Update, client};
use crate::tags;
use async_trait::async_trait;
use forge_core::fields::{FieldError, Fields};
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::{
    Created, FieldChange, ObserveCtx, PlannedChange, Provider, ProviderError, Readiness,
    ResourceCtx,
};
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// Kind `K` as a [`Provider`].
pub struct KindProvider<K: Kind> {
    schema: KindSchema,
    kind: PhantomData<K>,
    clients: Arc<AwsClients>,
}

impl<K: Kind> KindProvider<K> {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        KindProvider {
            schema: schema::<K>(),
            kind: PhantomData,
            clients,
        }
    }

    /// The client for where the context says: its region and its
    /// credential alias. Every call of a kind gets its client here, so the
    /// alias reaches every API call without the kind files knowing of it.
    async fn client(
        &self,
        (region, alias): (&str, Option<&str>),
    ) -> Result<crate::kind::ClientOf<K>, ProviderError> {
        client::<K::Service>(&self.clients, region, alias).await
    }
}

/// The schema of kind `K`, from its field declaration.
pub fn schema<K: Kind>() -> KindSchema {
    KindSchema {
        kind: K::KIND.to_string(),
        description: K::DESCRIPTION,
        fields: K::Fields::field_schemas(),
    }
}

/// Attributes as `K`'s fields; a value that does not fit is invalid
/// configuration, naming the kind and the field.
fn typed<K: Kind>(attrs: &Attrs) -> Result<K::Fields, ProviderError> {
    K::Fields::from_attrs(attrs)
        .map_err(|e: FieldError| ProviderError::Invalid(format!("{}: {e}", K::KIND)))
}

/// A prior object (from the state or a refresh) as `K`'s fields. The state
/// records a sensitive value only as its hash (`{"sha256": ...}`): that
/// reads as unset, since a kind never needs the old secret, only whether
/// it changed, which the plan's changes say.
fn typed_prior<K: Kind>(attrs: &Attrs) -> Result<K::Fields, ProviderError> {
    let mut attrs = attrs.clone();
    for v in attrs.values_mut() {
        if let Value::Map(m) = v.unmarked()
            && m.len() == 1
            && m.contains_key("sha256")
        {
            *v = Value::Null;
        }
    }
    typed::<K>(&attrs)
}

/// A kind's fields as observed attributes, with the `id`.
fn observed<K: Kind>(id: &str, fields: &K::Fields) -> Attrs {
    let mut attrs = fields.to_attrs();
    attrs.insert("id".into(), Value::from(id));
    attrs
}

fn created<K: Kind>(made: Made<K>) -> Created {
    Created::new(made.id.clone(), observed::<K>(&made.id, &made.fields))
}

#[async_trait]
impl<K: Kind> Provider for KindProvider<K> {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some((K::Service::NAME, K::Service::CONCURRENCY))
    }

    fn always_create_before_destroy(&self) -> bool {
        K::CREATE_BEFORE_DESTROY
    }

    fn unique_fields(&self) -> &'static [&'static str] {
        K::UNIQUE_FIELDS
    }

    fn holds_data(&self) -> bool {
        K::HOLDS_DATA
    }

    fn await_deletion(&self) -> bool {
        K::AWAIT_DELETION
    }

    fn deleting(&self, observed: &Attrs) -> bool {
        K::Fields::from_attrs(observed).is_ok_and(|f| K::deleting(&f))
    }

    fn poll_interval(&self) -> Duration {
        K::POLL_INTERVAL
    }

    fn ready_timeout(&self) -> Duration {
        K::READY_TIMEOUT
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        // A list whose default is empty has one spelling for "none":
        // absent, null and `[]` all normalize to `[]`.
        for (name, field) in &self.schema.fields {
            if field.default == Some(Value::List(Vec::new()))
                && attrs.get(name).is_none_or(Value::is_null)
            {
                attrs.insert(name.clone(), Value::List(Vec::new()));
            }
        }
        K::Fields::normalize_attrs(&mut attrs);
        K::normalize(&mut attrs);
        crate::normalize::normalize_common(&self.schema, &mut attrs);
        attrs
    }

    fn plan(&self, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
        K::plan(&self.schema, prior, desired)
    }

    fn classify_change(
        &self,
        path: &str,
        recorded: &Value,
        live: &Value,
        object: &Attrs,
    ) -> Option<String> {
        K::classify_change(path, recorded, live, object)
    }

    fn readiness(&self, observed: &Attrs) -> Readiness {
        match K::Fields::from_attrs(observed) {
            Ok(fields) => K::readiness(&fields),
            // What observe wrote always reads back; anything else is not
            // this kind's object and never becomes ready.
            Err(e) => Readiness::Failed(e.to_string()),
        }
    }

    fn not_landed(&self, desired: &Attrs, observed: &Attrs) -> Option<String> {
        // A side that does not read as this kind's fields was checked by
        // readiness already; nothing more to say here.
        let desired = K::Fields::from_attrs(desired).ok()?;
        K::not_landed(&desired, &K::Fields::from_attrs(observed).ok()?)
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let client = self.client((&ctx.region, ctx.alias.as_deref())).await?;
        let found = K::describe(&Cx::new(&client, ctx.clone()), ids).await?;
        Ok(found
            .iter()
            .map(|(id, fields)| (id.clone(), observed::<K>(id, fields)))
            .collect())
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client((&ctx.region, ctx.alias.as_deref())).await?;
        let typed_desired = typed::<K>(desired)?;
        let cx = Cx::new(&client, ctx).creating(desired);
        let made = K::create(&cx, &typed_desired, token).await?;
        let created = created::<K>(made);
        Ok(if cx.left_unread() {
            // Only what the create knew: computed fields it did not learn
            // are left out, for the engine's read-back to fill. Write-only
            // secrets (a master password) are never answered back, as a
            // describe never returns them: the engine keeps their hash.
            let secret = |k: &str| self.schema.field(k).is_some_and(|f| f.sensitive);
            let attrs = created
                .attrs
                .into_iter()
                .filter(|(k, v)| !v.is_null() && !secret(k));
            Created::to_read_back(created.id, attrs.collect())
        } else {
            created
        })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.client((&ctx.region, ctx.alias.as_deref())).await?;
        let (prior, desired) = (typed_prior::<K>(prior)?, typed::<K>(desired)?);
        let (prior, desired) = (&prior, &desired);
        let u = Update {
            prior,
            desired,
            changes,
        };
        let after = K::update(&Cx::new(&client, ctx), id, u).await?;
        Ok(observed::<K>(id, &after))
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client((&ctx.region, ctx.alias.as_deref())).await?;
        let prior = typed_prior::<K>(prior)?;
        K::delete(&Cx::new(&client, ctx), id, &prior).await
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.client((&ctx.region, ctx.alias.as_deref())).await?;
        let look = Cx::<K, _>::new(&client, ctx.observe_ctx());
        let address = ctx.address.to_string();
        let listed = K::list_owned(&look, Some(&address)).await?;
        let Some(id) = tags::pick_orphan(tags::listed_ids(listed), &address) else {
            return Ok(None);
        };
        let mut found = K::describe(&look, std::slice::from_ref(&id)).await?;
        Ok(found
            .remove(&id)
            .map(|fields| created::<K>(Made { id, fields })))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client((&ctx.region, ctx.alias.as_deref())).await?;
        K::list_owned(&Cx::new(&client, ctx.clone()), None).await
    }
}
