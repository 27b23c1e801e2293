//! forge's AWS data sources (`data:` in a spec): read-only lookups, one
//! file each, declared like kinds — a `#[derive(Fields)]` struct whose
//! settable fields are the arguments and whose `Computed` fields are the
//! attributes — declared with [`declare_lookup`] and read a batch at a
//! time (see [`Lookup::read`]); lookups by name share [`fetch_named`] and
//! [`answer_each`].
//!
//! | type | file |
//! |---|---|
//! | `aws.sts.caller_identity` | `caller_identity.rs` |
//! | `aws.ec2.availability_zones` | `availability_zones.rs` |
//! | `aws.iam.policy_document` | `policy_document.rs` |
//! | `aws.ec2.vpc` | `vpc.rs` |
//! | `aws.ec2.subnets` | `subnets.rs` |
//! | `aws.ssm.parameter` | `ssm_parameter.rs` |
//! | `aws.secretsmanager.secret_version` | `secret_version.rs` |
//! | `aws.kms.alias` | `kms_alias.rs` |
//! | `aws.ec2.ami` | `ami.rs` |
//! | `aws.elbv2.load_balancer` | `load_balancer.rs` |
//! | `aws.ecs.cluster` | `ecs_cluster.rs` |

mod ami;
mod availability_zones;
mod caller_identity;
mod ec2_match;
mod ecs_cluster;
mod kms_alias;
mod load_balancer;
mod policy_document;
mod secret_version;
mod ssm_parameter;
mod subnets;
mod vpc;

use crate::AwsClients;
use crate::retry_guard::GuardedClient;
use async_trait::async_trait;
use aws_config::SdkConfig;
use forge_core::fields::Fields;
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::{DataError, DataRequest, DataSource, ProviderError, ProviderRegistry};
use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

/// What one lookup found: the object's id and its fields (arguments
/// echoed, attributes filled).
pub(crate) type Found<F> = Result<(String, F), DataError>;

/// What a batch read answers: one result per lookup, in order.
pub(crate) type Answers<L> = Result<Vec<Found<<L as LookupDecl>::Fields>>, ProviderError>;

/// What a data source type is, declared once with [`declare_lookup`]:
/// its name, what it finds and its fields.
pub(crate) trait LookupDecl: Send + Sync + 'static {
    /// The type's name, e.g. `aws.ec2.vpc`.
    const TYPE: &'static str;
    /// One line on what it finds.
    const DESCRIPTION: &'static str;
    /// Arguments and attributes.
    type Fields: Fields + Clone + Send + Sync;
}

/// Declares a data source type's zero-sized type and its [`LookupDecl`]:
/// the type, its `aws.<service>.<type>` name, its field struct and the
/// one-line description.
///
/// ```ignore
/// declare_lookup!(Vpc: "aws.ec2.vpc", VpcFields,
///     "One existing VPC, by id, tags or filters.");
/// ```
macro_rules! declare_lookup {
    ($lookup:ident: $name:literal, $fields:ty, $desc:literal $(,)?) => {
        #[doc = concat!("`", $name, "`.")]
        pub(crate) struct $lookup;

        impl $crate::data::LookupDecl for $lookup {
            const TYPE: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;
            type Fields = $fields;
        }
    };
}
pub(crate) use declare_lookup;

/// A data source type, as each file declares it: how it reads a batch.
#[async_trait]
pub(crate) trait Lookup: LookupDecl {
    /// Reads every lookup of `batch`, one result per lookup in order,
    /// with as few calls as the API allows.
    async fn read(cx: &Reading<'_>, batch: &[Self::Fields]) -> Answers<Self>;

    /// Adjusts the attributes read (marks a value sensitive that only
    /// some objects hold as a secret).
    fn finish(_fields: &Self::Fields, _attrs: &mut Attrs) {}
}

/// Where a batch is read: the region, and its clients.
pub(crate) struct Reading<'a> {
    clients: &'a AwsClients,
    /// The region the batch's lookups are in.
    pub region: &'a str,
}

impl Reading<'_> {
    /// The region's client built by `make` (a service's `Client::new`).
    pub async fn client<C>(&self, make: fn(&SdkConfig) -> C) -> Result<C, ProviderError>
    where
        C: GuardedClient + Clone + Send + Sync + 'static,
    {
        self.clients.client(self.region, make).await
    }

    /// The region's EC2 client.
    pub async fn ec2(&self) -> Result<aws_sdk_ec2::Client, ProviderError> {
        self.clients.ec2(self.region).await
    }
}

/// Reads the objects a batch names: each distinct name once, at most
/// `per_call` names to a call of `fetch`, which answers the objects it
/// found with their names. A name left out was not found.
pub(crate) async fn fetch_named<T, Fut>(
    names: impl IntoIterator<Item = String>,
    per_call: usize,
    mut fetch: impl FnMut(Vec<String>) -> Fut,
) -> Result<BTreeMap<String, T>, ProviderError>
where
    Fut: Future<Output = Result<Vec<(String, T)>, ProviderError>>,
{
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    names.dedup();
    let mut found = BTreeMap::new();
    for chunk in names.chunks(per_call) {
        found.extend(fetch(chunk.to_vec()).await?);
    }
    Ok(found)
}

/// Each lookup's answer from the objects read: its object (found under
/// its `key`) filled in by `fill`, which gives the id, or `NotFound` with
/// the `missing` message.
pub(crate) fn answer_each<F: Clone, K: Ord, T>(
    batch: &[F],
    found: &BTreeMap<K, T>,
    key: impl Fn(&F) -> K,
    missing: impl Fn(&F) -> String,
    fill: impl Fn(&mut F, &T) -> String,
) -> Vec<Found<F>> {
    batch
        .iter()
        .map(|args| {
            let Some(object) = found.get(&key(args)) else {
                return Err(DataError::NotFound(missing(args)));
            };
            let mut fields = args.clone();
            let id = fill(&mut fields, object);
            Ok((id, fields))
        })
        .collect()
}

/// A [`Lookup`] as the engine's [`DataSource`].
struct Adapter<L> {
    schema: KindSchema,
    clients: Arc<AwsClients>,
    lookup: PhantomData<fn() -> L>,
}

impl<L: Lookup> Adapter<L> {
    fn new(clients: Arc<AwsClients>) -> Self {
        Adapter {
            schema: KindSchema {
                kind: L::TYPE.to_string(),
                description: L::DESCRIPTION,
                fields: L::Fields::field_schemas(),
            },
            clients,
            lookup: PhantomData,
        }
    }
}

#[async_trait]
impl<L: Lookup> DataSource for Adapter<L> {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    async fn read(
        &self,
        region: &str,
        requests: &[DataRequest],
    ) -> Result<Vec<Result<Attrs, DataError>>, ProviderError> {
        // Arguments that do not fit the type are that lookup's error.
        let mut out: Vec<Option<Result<Attrs, DataError>>> = Vec::new();
        let mut batch = Vec::new();
        for r in requests {
            let args: Attrs = r
                .args
                .iter()
                .map(|(k, v)| (k.clone(), v.unmarked()))
                .collect();
            match L::Fields::from_attrs(&args) {
                Ok(f) => {
                    batch.push(f);
                    out.push(None);
                }
                Err(e) => out.push(Some(Err(DataError::Provider(ProviderError::Invalid(
                    e.to_string(),
                ))))),
            }
        }
        let mut found = if batch.is_empty() {
            Vec::new()
        } else {
            let cx = Reading {
                clients: &self.clients,
                region,
            };
            L::read(&cx, &batch).await?
        }
        .into_iter();
        Ok(out
            .into_iter()
            .map(|slot| match slot {
                Some(failed) => failed,
                None => match found.next() {
                    Some(Ok((id, fields))) => {
                        let mut attrs = fields.to_attrs();
                        attrs.insert("id".into(), Value::from(id.as_str()));
                        L::finish(&fields, &mut attrs);
                        Ok(attrs)
                    }
                    Some(Err(e)) => Err(e),
                    None => Err(DataError::Provider(ProviderError::Invalid(format!(
                        "{} returned fewer results than lookups",
                        L::TYPE
                    )))),
                },
            })
            .collect())
    }
}

/// Registers forge's AWS data sources.
pub fn register(registry: &mut ProviderRegistry, clients: Arc<AwsClients>) {
    fn add<L: Lookup>(registry: &mut ProviderRegistry, clients: &Arc<AwsClients>) {
        registry.register_data_source(Arc::new(Adapter::<L>::new(clients.clone())));
    }
    add::<caller_identity::CallerIdentity>(registry, &clients);
    add::<availability_zones::AvailabilityZones>(registry, &clients);
    add::<policy_document::PolicyDocument>(registry, &clients);
    add::<vpc::Vpc>(registry, &clients);
    add::<subnets::Subnets>(registry, &clients);
    add::<ssm_parameter::Parameter>(registry, &clients);
    add::<secret_version::SecretVersion>(registry, &clients);
    add::<kms_alias::Alias>(registry, &clients);
    add::<ami::Ami>(registry, &clients);
    add::<load_balancer::LoadBalancer>(registry, &clients);
    add::<ecs_cluster::Cluster>(registry, &clients);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[tokio::test]
    async fn names_are_fetched_once_each_in_chunks() {
        let calls = RefCell::new(Vec::new());
        let names = ["c", "a", "b", "a", "c"].map(String::from);
        let found = fetch_named(names, 2, |chunk: Vec<String>| {
            calls.borrow_mut().push(chunk.clone());
            // "b" does not exist.
            let hits = chunk.into_iter().filter(|n| n != "b");
            let hits: Vec<(String, usize)> = hits.map(|n| (n.clone(), n.len())).collect();
            async move { Ok(hits) }
        })
        .await
        .unwrap();
        assert_eq!(calls.into_inner(), [vec!["a", "b"], vec!["c"]]);
        assert_eq!(found.keys().collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn each_lookup_gets_its_object_or_not_found() {
        let found = BTreeMap::from([("a".to_string(), 1)]);
        let answers = answer_each(
            &["a".to_string(), "z".to_string()],
            &found,
            Clone::clone,
            |name| format!("thing `{name}`"),
            |name, n| {
                name.push('!');
                format!("id-{n}")
            },
        );
        assert!(matches!(&answers[0], Ok((id, f)) if id == "id-1" && f == "a!"));
        assert!(matches!(&answers[1], Err(DataError::NotFound(m)) if m == "thing `z`"));
    }
}
