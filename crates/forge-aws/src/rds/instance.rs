//! The DBInstance API shared by `aws.rds.cluster_instance` (an instance of
//! an Aurora cluster) and `aws.rds.db_instance` (a standalone instance):
//! both are described, created, modified and deleted by the same calls, so
//! one kind implementation ([`InstanceKind`]) serves both. Each kind brings
//! its own fields ([`Flavor`]) and converts them to and from [`Spec`], the
//! superset the calls read and write; fields a kind does not have are
//! never sent nor shown.
//!
//! The instance identifier is its id (RDS stores it lower case).
//!
//! Observe cost: one DescribeDBInstances per 100 ids (filter
//! `db-instance-id`, paged with `Marker`); tags come from its `TagList`.

use super::Rds;
use super::common::{
    Settings, by_id, changed, create_tags, describe_filtered, describe_page, kms_key, lower,
    needs_modify, owned, pick, settings_of, sorted, sync_tags_and_settings, text, user_tags,
    version_change, versioned_kind,
};
use crate::kind::prelude::*;
use crate::paging::collect_pages;
use aws_sdk_rds::Client;
use aws_sdk_rds::types::DbInstance;
use forge_core::Value;
use forge_core::fields::Fields;
use forge_core::fields::Secret;
use forge_engine::{FieldChange, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// Everything the DBInstance calls read and write, named as the kinds'
/// fields are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spec {
    pub db_instance_identifier: String,
    pub db_cluster_identifier: Option<String>,
    pub db_instance_class: String,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub promotion_tier: Option<i32>,
    pub publicly_accessible: Option<bool>,
    pub performance_insights_enabled: Option<bool>,
    pub performance_insights_kms_key_id: Option<String>,
    pub performance_insights_retention_period: Option<i32>,
    pub monitoring_interval: Option<i32>,
    pub monitoring_role_arn: Option<String>,
    pub availability_zone: Option<String>,
    pub db_parameter_group_name: Option<String>,
    pub auto_minor_version_upgrade: Option<bool>,
    pub allocated_storage: Option<i32>,
    pub max_allocated_storage: Option<i32>,
    pub storage_type: Option<String>,
    pub multi_az: Option<bool>,
    pub db_subnet_group_name: Option<String>,
    pub vpc_security_group_ids: Option<Vec<String>>,
    pub storage_encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub master_username: Option<String>,
    pub master_user_password: Secret,
    pub manage_master_user_password: Option<bool>,
    pub db_name: Option<String>,
    pub backup_retention_period: Option<i32>,
    pub deletion_protection: Option<bool>,
    pub skip_final_snapshot: Option<bool>,
    pub final_snapshot_identifier: Option<String>,
    pub apply_immediately: Option<bool>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    pub arn: Option<String>,
    pub endpoint: Option<String>,
    pub dbi_resource_id: Option<String>,
    pub master_user_secret_arn: Option<String>,
    pub status: Option<String>,
    pub pending_modified_values: Option<BTreeMap<String, Value>>,
}

/// One field's value as a kind holds it, from [`Spec`]'s: the same type,
/// or a required field the spec holds as optional.
pub trait FromSpec<T> {
    /// The kind's value.
    fn take(value: T) -> Self;
}

impl<T> FromSpec<T> for T {
    fn take(value: T) -> T {
        value
    }
}

impl<T: Default> FromSpec<Option<T>> for T {
    fn take(value: Option<T>) -> T {
        value.unwrap_or_default()
    }
}

/// A kind's fields as [`Spec`] and back (written by [`instance_fields`]).
pub trait AsSpec: Sized {
    /// What the calls send for these fields.
    fn spec(&self) -> Spec;
    /// The kind's fields of an instance.
    fn from_spec(spec: &Spec) -> Self;
}

/// Declares an instance kind's fields struct (every field one of
/// [`Spec`]'s, by name) and its [`AsSpec`] conversions.
macro_rules! instance_fields {
    (
        $(#[$($meta:tt)*])*
        pub struct $fields:ident {
            $( $(#[$($fmeta:tt)*])* pub $f:ident: $t:ty, )*
        }
    ) => {
        $(#[$($meta)*])*
        pub struct $fields {
            $( $(#[$($fmeta)*])* pub $f: $t, )*
        }

        impl $crate::rds::instance::AsSpec for $fields {
            fn spec(&self) -> $crate::rds::instance::Spec {
                $crate::rds::instance::Spec {
                    $($f: self.$f.clone().into(),)*
                    ..Default::default()
                }
            }

            fn from_spec(s: &$crate::rds::instance::Spec) -> Self {
                $fields {
                    $($f: $crate::rds::instance::FromSpec::take(s.$f.clone()),)*
                }
            }
        }
    };
}
pub(crate) use instance_fields;

/// One of the two instance kinds.
pub trait Flavor: Send + Sync + 'static {
    /// `aws.rds.<kind>`.
    const KIND: &'static str;
    /// The schema's description.
    const DESCRIPTION: &'static str;
    /// An instance of an Aurora cluster (its data lives in the cluster),
    /// not a standalone one.
    const MEMBER: bool;
    /// The kind's fields (declared with [`instance_fields`]).
    type Fields: Fields + AsSpec + Clone + Send + Sync + 'static;
}

/// The kind of instances of flavor `F`.
pub struct InstanceKind<F>(PhantomData<F>);

impl<F> Default for InstanceKind<F> {
    fn default() -> Self {
        InstanceKind(PhantomData)
    }
}

/// An observed instance.
pub fn observed(i: &DbInstance) -> Spec {
    let encrypted = i.storage_encrypted().unwrap_or(false);
    let pi = i.performance_insights_enabled().unwrap_or(false);
    let settings = Settings::from_tags(i.tag_list());
    let sgs = i.vpc_security_groups().iter();
    let group = i.db_parameter_groups().first();
    Spec {
        db_instance_identifier: lower(i.db_instance_identifier()).unwrap_or_default(),
        db_cluster_identifier: lower(i.db_cluster_identifier()),
        db_instance_class: i.db_instance_class().unwrap_or_default().to_string(),
        engine: text(i.engine()),
        engine_version: text(i.engine_version()),
        promotion_tier: i.promotion_tier(),
        publicly_accessible: i.publicly_accessible(),
        performance_insights_enabled: Some(pi),
        performance_insights_kms_key_id: kms_key(pi, i.performance_insights_kms_key_id()),
        performance_insights_retention_period: i
            .performance_insights_retention_period()
            .filter(|_| pi),
        monitoring_interval: Some(i.monitoring_interval().unwrap_or(0)),
        monitoring_role_arn: text(i.monitoring_role_arn()),
        availability_zone: text(i.availability_zone()),
        db_parameter_group_name: lower(group.and_then(|g| g.db_parameter_group_name())),
        auto_minor_version_upgrade: i.auto_minor_version_upgrade(),
        allocated_storage: i.allocated_storage(),
        max_allocated_storage: i.max_allocated_storage(),
        storage_type: text(i.storage_type()),
        multi_az: i.multi_az(),
        db_subnet_group_name: lower(i.db_subnet_group().and_then(|g| g.db_subnet_group_name())),
        vpc_security_group_ids: Some(sorted(sgs.filter_map(|g| g.vpc_security_group_id()))),
        storage_encrypted: Some(encrypted),
        kms_key_id: kms_key(encrypted, i.kms_key_id()),
        master_username: text(i.master_username()),
        master_user_password: Secret(None),
        manage_master_user_password: Some(i.master_user_secret().is_some()),
        db_name: text(i.db_name()),
        backup_retention_period: i.backup_retention_period(),
        deletion_protection: i.deletion_protection(),
        skip_final_snapshot: settings.skip_final_snapshot,
        final_snapshot_identifier: settings.final_snapshot_identifier,
        apply_immediately: settings.apply_immediately,
        tags: user_tags(i.tag_list()),
        arn: text(i.db_instance_arn()),
        endpoint: text(i.endpoint().and_then(|e| e.address())),
        dbi_resource_id: text(i.dbi_resource_id()),
        master_user_secret_arn: text(i.master_user_secret().and_then(|s| s.secret_arn())),
        status: text(i.db_instance_status()),
        pending_modified_values: super::pending::instance(i.pending_modified_values()),
    }
}

async fn create(client: &Client, ctx: &ResourceCtx, d: &Spec) -> Result<String, ProviderError> {
    let id = d.db_instance_identifier.to_lowercase();
    let manage = d.manage_master_user_password.filter(|m| *m);
    let monitoring = d.monitoring_interval.filter(|m| *m > 0);
    let sgs = d.vpc_security_group_ids.clone().filter(|v| !v.is_empty());
    client
        .create_db_instance()
        .db_instance_identifier(&id)
        .db_instance_class(&d.db_instance_class)
        .set_engine(d.engine.clone())
        .set_engine_version(d.engine_version.clone())
        .set_db_cluster_identifier(d.db_cluster_identifier.clone())
        .set_promotion_tier(d.promotion_tier)
        .set_publicly_accessible(d.publicly_accessible)
        .set_enable_performance_insights(d.performance_insights_enabled)
        .set_performance_insights_kms_key_id(d.performance_insights_kms_key_id.clone())
        .set_performance_insights_retention_period(d.performance_insights_retention_period)
        .set_monitoring_interval(monitoring)
        .set_monitoring_role_arn(monitoring.and(d.monitoring_role_arn.clone()))
        .set_availability_zone(d.availability_zone.clone())
        .set_db_parameter_group_name(d.db_parameter_group_name.clone())
        .set_auto_minor_version_upgrade(d.auto_minor_version_upgrade)
        .set_allocated_storage(d.allocated_storage)
        .set_max_allocated_storage(d.max_allocated_storage)
        .set_storage_type(d.storage_type.clone())
        .set_multi_az(d.multi_az)
        .set_db_subnet_group_name(d.db_subnet_group_name.clone())
        .set_vpc_security_group_ids(sgs)
        .set_storage_encrypted(d.storage_encrypted)
        .set_kms_key_id(d.kms_key_id.clone())
        .set_master_username(d.master_username.clone())
        .set_master_user_password(
            d.master_user_password
                .0
                .clone()
                .filter(|_| manage.is_none()),
        )
        .set_manage_master_user_password(manage)
        .set_db_name(d.db_name.clone())
        .set_backup_retention_period(d.backup_retention_period)
        .set_deletion_protection(d.deletion_protection)
        .set_tags(Some(create_tags(&d.tags, ctx, &settings_of!(d))))
        .send()
        .await
        .map_err(Rds::err)?;
    Ok(id)
}

async fn modify(
    client: &Client,
    id: &str,
    p: &Spec,
    d: &Spec,
    changes: &[FieldChange],
) -> Result<(), ProviderError> {
    // What the call sends for a field: the desired value when it changed.
    macro_rules! pick {
        ($f:ident) => {
            pick(&p.$f, &d.$f)
        };
    }
    let (version, major) = version_change(&p.engine_version, &d.engine_version);
    let monitoring =
        changed(changes, "monitoring_interval") || changed(changes, "monitoring_role_arn");
    let password = d.master_user_password.0.clone().filter(|_| {
        changed(changes, "master_user_password") && d.manage_master_user_password != Some(true)
    });
    let pi = [
        "performance_insights_enabled",
        "performance_insights_kms_key_id",
        "performance_insights_retention_period",
    ]
    .iter()
    .any(|f| changed(changes, f));
    client
        .modify_db_instance()
        .db_instance_identifier(id)
        .apply_immediately(d.apply_immediately.unwrap_or(false))
        .set_db_instance_class(
            (p.db_instance_class != d.db_instance_class).then(|| d.db_instance_class.clone()),
        )
        .set_engine_version(version)
        .set_allow_major_version_upgrade(major.then_some(true))
        .set_promotion_tier(pick!(promotion_tier))
        .set_publicly_accessible(pick!(publicly_accessible))
        .set_enable_performance_insights(
            pi.then(|| d.performance_insights_enabled.unwrap_or(false)),
        )
        .set_performance_insights_kms_key_id(pick!(performance_insights_kms_key_id))
        .set_performance_insights_retention_period(pick!(performance_insights_retention_period))
        .set_monitoring_interval(monitoring.then(|| d.monitoring_interval.unwrap_or(0)))
        .set_monitoring_role_arn(d.monitoring_role_arn.clone().filter(|_| monitoring))
        .set_db_parameter_group_name(pick!(db_parameter_group_name))
        .set_auto_minor_version_upgrade(pick!(auto_minor_version_upgrade))
        .set_allocated_storage(pick!(allocated_storage))
        .set_max_allocated_storage(pick!(max_allocated_storage))
        .set_storage_type(pick!(storage_type))
        .set_multi_az(pick!(multi_az))
        .set_vpc_security_group_ids(pick!(vpc_security_group_ids))
        .set_master_user_password(password)
        .set_manage_master_user_password(pick!(manage_master_user_password))
        .set_backup_retention_period(pick!(backup_retention_period))
        .set_deletion_protection(pick!(deletion_protection))
        .send()
        .await
        .map_err(Rds::err)?;
    Ok(())
}

crate::kind::declare_kind!(InstanceKind<F: Flavor>, Rds);

#[async_trait]
impl<F: Flavor> Kind for InstanceKind<F> {
    const ARNS: &[ArnShape] = &[ArnShape::rest("rds", "db:")];

    /// A standalone instance holds its data. A cluster's instance does
    /// not: the data lives in the cluster volume, and a replaced or deleted
    /// instance loses none (deleting the last one only leaves the cluster
    /// without an endpoint to serve it until another is added).
    const HOLDS_DATA: bool = !F::MEMBER;

    versioned_kind!(|f| f.spec().status.as_deref(), slow);

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let page = describe_page!(ctx.client.describe_db_instances(), db_instances);
        let found = describe_filtered(ids, "db-instance-id", page).await?;
        Ok(by_id(
            &found,
            ids,
            |i| i.db_instance_identifier(),
            |i| F::Fields::from_spec(&observed(i)),
        ))
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let id = create(ctx.client, ctx, &desired.spec()).await?;
        Self::made(ctx, id).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update {
            prior,
            desired,
            changes,
        } = u;
        let (p, d) = (prior.spec(), desired.spec());
        if needs_modify(changes) {
            modify(ctx.client, id, &p, &d, changes).await?;
        }
        if let Some(arn) = &p.arn {
            let (ps, ds) = (settings_of!(p), settings_of!(d));
            sync_tags_and_settings(ctx.client, arn, (&p.tags, &ps), (&d.tags, &ds)).await?;
        }
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, prior: &Self::Fields) -> Res<()> {
        // A cluster's instance has no storage of its own to snapshot (RDS
        // refuses a final snapshot for it); the cluster takes one.
        let snapshot = match F::MEMBER {
            true => None,
            false => settings_of!(prior.spec()).final_snapshot(id, chrono::Utc::now()),
        };
        Rds::deleted(
            ctx.client
                .delete_db_instance()
                .db_instance_identifier(id)
                .skip_final_snapshot(snapshot.is_none())
                .set_final_db_snapshot_identifier(snapshot)
                .send()
                .await,
        )
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let page = describe_page!(ctx.client.describe_db_instances(), db_instances);
        let all = collect_pages(|m| page(None, m)).await?;
        // Each kind lists only its own instances.
        let mine: Vec<DbInstance> = all
            .into_iter()
            .filter(|i| F::MEMBER == i.db_cluster_identifier().is_some())
            .collect();
        let (owner, id) = (&ctx.owner, DbInstance::db_instance_identifier);
        Ok(owned(&mine, owner, address, id, DbInstance::tag_list))
    }
}
