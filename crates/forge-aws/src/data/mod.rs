//! forge's AWS data sources (`data:` in a spec): read-only lookups, one
//! file each, declared like kinds — a `#[derive(Fields)]` struct whose
//! settable fields are the arguments and whose `Computed` fields are the
//! attributes — and read a batch at a time (see [`Lookup::read`]).
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
use async_trait::async_trait;
use forge_core::fields::Fields;
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::{DataError, DataRequest, DataSource, ProviderError, ProviderRegistry};
use std::marker::PhantomData;
use std::sync::Arc;

/// What one lookup found: the object's id and its fields (arguments
/// echoed, attributes filled).
pub(crate) type Found<F> = Result<(String, F), DataError>;

/// A data source type, as each file declares it.
#[async_trait]
pub(crate) trait Lookup: Send + Sync + 'static {
    /// The type's name, e.g. `aws.ec2.vpc`.
    const TYPE: &'static str;
    /// One line on what it finds.
    const DESCRIPTION: &'static str;
    /// Arguments and attributes.
    type Fields: Fields + Clone + Send + Sync;

    /// Reads every lookup of `batch` in `region`, one result per lookup in
    /// order, with as few calls as the API allows.
    async fn read(
        clients: &AwsClients,
        region: &str,
        batch: &[Self::Fields],
    ) -> Result<Vec<Found<Self::Fields>>, ProviderError>;

    /// Adjusts the attributes read (marks a value sensitive that only
    /// some objects hold as a secret).
    fn finish(_fields: &Self::Fields, _attrs: &mut Attrs) {}
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
            L::read(&self.clients, region, &batch).await?
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
