//! `aws.iam.role`: an IAM role with its trust policy, managed policy
//! attachments and inline policies.
//!
//! The role's name is its id (IAM addresses roles by name).
//!
//! Observe cost: IAM has no describe-many for roles that returns
//! everything a role is made of (ListRoles leaves out tags and permissions
//! boundaries, and says nothing of policies). Per role, observe makes
//! GetRole + ListAttachedRolePolicies + ListRolePolicies + one
//! GetRolePolicy per inline policy, roles running concurrently (at most
//! eight in flight): `3 + inline policies` calls per role. A three-tier
//! stack has a handful of roles, so a refresh costs tens of calls; the
//! account-wide GetAccountAuthorizationDetails would be one paged call but
//! proportional to every role in the account, which is worse for the
//! accounts these stacks live in. find_orphan / list_tagged do use it (rare
//! calls, and it is the only listing that carries tags).

use super::policy::{self, policy_map_field};
use super::{CONCURRENCY, iam_err};
use crate::attrs::attrs;
use crate::attrs::set_diff;
use crate::attrs::{int_or_null, opt_i64, opt_str, req_str, str_list, str_or_null, str_set};
use crate::clients::AwsClients;
use crate::error::is_not_found;
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, concurrent};
use crate::tags::tags_field;
use crate::tags::{self, ADDRESS_TAG};
use async_trait::async_trait;
use aws_sdk_iam::Client;
use aws_sdk_iam::types::{EntityType, Role, RoleDetail, Tag};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Roles described at once during observe.
const OBSERVE_CONCURRENCY: usize = 8;

/// The `aws.iam.role` provider.
pub struct RoleProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl RoleProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        RoleProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// The schema of `aws.iam.role`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.iam.role",
        "An IAM role: who may assume it and what it may do.",
        [
            (
                "role_name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The role's name (unique in the account)."),
            ),
            (
                "path",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default("/")
                    .describe(
                        "The role's path, e.g. /service/; IAM cannot change it after create.",
                    ),
            ),
            (
                "description",
                FieldSchema::optional(FieldType::String).describe("What the role is for."),
            ),
            (
                "assume_role_policy",
                FieldSchema::required(FieldType::Any)
                    .describe("The trust policy: JSON text or a YAML object; compared by meaning."),
            ),
            (
                "managed_policy_arns",
                FieldSchema::optional(FieldType::list(FieldType::String))
                    .default(Value::List(Vec::new()))
                    .describe("ARNs of managed policies to attach (a set: order does not matter)."),
            ),
            (
                "inline_policies",
                FieldSchema::optional(FieldType::map(FieldType::Any))
                    .default(Value::Map(BTreeMap::new()))
                    .describe("Inline policies by name: JSON text or YAML objects."),
            ),
            (
                "max_session_duration",
                FieldSchema::optional(FieldType::Number)
                    .default(3600i64)
                    .describe("Longest session in seconds (3600 to 43200)."),
            ),
            (
                "permissions_boundary",
                FieldSchema::optional(FieldType::String)
                    .describe("ARN of the managed policy bounding the role."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The role's ARN."),
            ),
            (
                "role_id",
                FieldSchema::computed(FieldType::String)
                    .describe("The role's stable unique id (AROA...)."),
            ),
        ],
    )
}

/// Everything observe learns about one role.
#[derive(Debug, Clone)]
struct RoleView {
    role: Role,
    managed: Vec<String>,
    inline: BTreeMap<String, String>,
}

fn role_attrs(view: &RoleView) -> Attrs {
    let r = &view.role;
    attrs([
        ("id", Value::from(r.role_name())),
        ("role_name", Value::from(r.role_name())),
        ("path", Value::from(r.path())),
        (
            "description",
            str_or_null(r.description().filter(|d| !d.is_empty())),
        ),
        (
            "assume_role_policy",
            r.assume_role_policy_document()
                .map(policy::observed)
                .unwrap_or(Value::Null),
        ),
        ("managed_policy_arns", str_set(view.managed.iter().cloned())),
        (
            "inline_policies",
            Value::Map(
                view.inline
                    .iter()
                    .map(|(k, v)| (k.clone(), policy::observed(v)))
                    .collect(),
            ),
        ),
        (
            "max_session_duration",
            int_or_null(r.max_session_duration()),
        ),
        (
            "permissions_boundary",
            str_or_null(
                r.permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn()),
            ),
        ),
        (
            "tags",
            tags::observed_tags(r.tags().iter().map(|t| (t.key(), t.value()))),
        ),
        ("arn", Value::from(r.arn())),
        ("role_id", Value::from(r.role_id())),
    ])
}

/// IAM tags from a key/value map.
fn iam_tags(map: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    map.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::Invalid(format!("tag `{k}`: {e}")))
        })
        .collect()
}

/// IAM's Marker/IsTruncated paging as a next token.
fn next_marker(truncated: bool, marker: Option<&str>) -> Option<String> {
    if truncated {
        marker.map(str::to_string)
    } else {
        None
    }
}

/// One role with its policies, or `None` if it does not exist.
async fn fetch_role(client: &Client, name: &str) -> Result<Option<RoleView>, ProviderError> {
    let role = match client
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(iam_err)
    {
        Ok(out) => match out.role {
            Some(r) => r,
            None => return Ok(None),
        },
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let managed = attached_policies(client, name).await?;
    let names = inline_policy_names(client, name).await?;
    let mut inline = BTreeMap::new();
    for policy_name in names {
        match client
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy_name)
            .send()
            .await
            .map_err(iam_err)
        {
            Ok(out) => {
                inline.insert(policy_name, out.policy_document().to_string());
            }
            // Deleted between the list and the get: it is gone.
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(RoleView {
        role,
        managed,
        inline,
    }))
}

async fn attached_policies(client: &Client, name: &str) -> Result<Vec<String>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .list_attached_role_policies()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(iam_err)?;
        let arns = out
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect();
        Ok((arns, next_marker(out.is_truncated(), out.marker())))
    })
    .await
}

async fn inline_policy_names(client: &Client, name: &str) -> Result<Vec<String>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .list_role_policies()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(iam_err)?;
        Ok((
            out.policy_names().to_vec(),
            next_marker(out.is_truncated(), out.marker()),
        ))
    })
    .await
}

async fn observe_roles(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let mut unique: Vec<String> = ids.iter().filter(|i| !i.is_empty()).cloned().collect();
    unique.sort();
    unique.dedup();
    let views = concurrent(unique, OBSERVE_CONCURRENCY, |name| async move {
        fetch_role(client, &name).await
    })
    .await?;
    Ok(views
        .into_iter()
        .flatten()
        .map(|v| (v.role.role_name().to_string(), normalize(role_attrs(&v))))
        .collect())
}

/// Every role of the account with its tags (GetAccountAuthorizationDetails,
/// paged), for orphan search and the drift report.
async fn all_role_details(client: &Client) -> Result<Vec<RoleDetail>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .get_account_authorization_details()
            .filter(EntityType::Role)
            .set_marker(marker)
            .send()
            .await
            .map_err(iam_err)?;
        let next = next_marker(out.is_truncated(), out.marker());
        Ok((out.role_detail_list.unwrap_or_default(), next))
    })
    .await
}

fn detail_tags(d: &RoleDetail) -> impl Iterator<Item = (&str, &str)> {
    d.tags().iter().map(|t| (t.key(), t.value()))
}

/// One change to bring a role from its observed to its desired shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleCall {
    /// UpdateRole: description (empty clears it) and session duration.
    UpdateRole {
        /// New description.
        description: String,
        /// New max session duration.
        max_session_duration: i32,
    },
    /// UpdateAssumeRolePolicy.
    UpdateTrust(String),
    /// PutRolePermissionsBoundary.
    PutBoundary(String),
    /// DeleteRolePermissionsBoundary.
    DeleteBoundary,
    /// AttachRolePolicy.
    Attach(String),
    /// DetachRolePolicy.
    Detach(String),
    /// PutRolePolicy (name, document).
    PutInline(String, String),
    /// DeleteRolePolicy.
    DeleteInline(String),
    /// TagRole.
    Tag(BTreeMap<String, String>),
    /// UntagRole.
    Untag(Vec<String>),
}

fn inline_map(attrs: &Attrs) -> BTreeMap<String, String> {
    attrs
        .get("inline_policies")
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The calls that bring a role from `prior` to `desired` (both normalized),
/// touching only what differs: detach/attach only the changed ARNs,
/// put/delete only the changed inline policies.
pub fn update_calls(prior: &Attrs, desired: &Attrs) -> Vec<RoleCall> {
    let mut calls = Vec::new();
    let description = opt_str(desired, "description").unwrap_or_default();
    let duration = opt_i64(desired, "max_session_duration").unwrap_or(3600);
    if opt_str(prior, "description").unwrap_or_default() != description
        || opt_i64(prior, "max_session_duration").unwrap_or(3600) != duration
    {
        calls.push(RoleCall::UpdateRole {
            description: description.to_string(),
            max_session_duration: i32::try_from(duration).unwrap_or(i32::MAX),
        });
    }
    if let Some(trust) = opt_str(desired, "assume_role_policy")
        && opt_str(prior, "assume_role_policy") != Some(trust)
    {
        calls.push(RoleCall::UpdateTrust(trust.to_string()));
    }
    match (
        opt_str(prior, "permissions_boundary"),
        opt_str(desired, "permissions_boundary"),
    ) {
        (p, Some(d)) if p != Some(d) => calls.push(RoleCall::PutBoundary(d.to_string())),
        (Some(_), None) => calls.push(RoleCall::DeleteBoundary),
        _ => {}
    }
    let (attach, detach) = set_diff(
        &str_list(prior, "managed_policy_arns"),
        &str_list(desired, "managed_policy_arns"),
    );
    calls.extend(detach.into_iter().map(RoleCall::Detach));
    calls.extend(attach.into_iter().map(RoleCall::Attach));
    let (before, after) = (inline_map(prior), inline_map(desired));
    for (name, doc) in &after {
        if before.get(name) != Some(doc) {
            calls.push(RoleCall::PutInline(name.clone(), doc.clone()));
        }
    }
    calls.extend(
        before
            .keys()
            .filter(|k| !after.contains_key(*k))
            .cloned()
            .map(RoleCall::DeleteInline),
    );
    let (set, remove) = tags::diff(&tags::user_tags(prior), &tags::user_tags(desired));
    if !set.is_empty() {
        calls.push(RoleCall::Tag(set));
    }
    if !remove.is_empty() {
        calls.push(RoleCall::Untag(remove));
    }
    calls
}

async fn run_call(client: &Client, role: &str, call: RoleCall) -> Result<(), ProviderError> {
    match call {
        RoleCall::UpdateRole {
            description,
            max_session_duration,
        } => {
            client
                .update_role()
                .role_name(role)
                .description(description)
                .max_session_duration(max_session_duration)
                .send()
                .await
                .map_err(iam_err)?;
        }
        RoleCall::UpdateTrust(doc) => {
            client
                .update_assume_role_policy()
                .role_name(role)
                .policy_document(doc)
                .send()
                .await
                .map_err(iam_err)?;
        }
        RoleCall::PutBoundary(arn) => {
            client
                .put_role_permissions_boundary()
                .role_name(role)
                .permissions_boundary(arn)
                .send()
                .await
                .map_err(iam_err)?;
        }
        RoleCall::DeleteBoundary => {
            crate::error::ignore_not_found(
                client
                    .delete_role_permissions_boundary()
                    .role_name(role)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(iam_err),
            )?;
        }
        RoleCall::Attach(arn) => {
            client
                .attach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .map_err(iam_err)?;
        }
        RoleCall::Detach(arn) => {
            crate::error::ignore_not_found(
                client
                    .detach_role_policy()
                    .role_name(role)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(iam_err),
            )?;
        }
        RoleCall::PutInline(name, doc) => {
            client
                .put_role_policy()
                .role_name(role)
                .policy_name(name)
                .policy_document(doc)
                .send()
                .await
                .map_err(iam_err)?;
        }
        RoleCall::DeleteInline(name) => {
            crate::error::ignore_not_found(
                client
                    .delete_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(iam_err),
            )?;
        }
        RoleCall::Tag(set) => {
            client
                .tag_role()
                .role_name(role)
                .set_tags(Some(iam_tags(&set)?))
                .send()
                .await
                .map_err(iam_err)?;
        }
        RoleCall::Untag(keys) => {
            client
                .untag_role()
                .role_name(role)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map_err(iam_err)?;
        }
    }
    Ok(())
}

/// The normalization of `aws.iam.role` attributes (spec and observed).
fn normalize(mut attrs: Attrs) -> Attrs {
    crate::normalize::policy_field(&mut attrs, "assume_role_policy");
    policy_map_field(&mut attrs, "inline_policies");
    crate::attrs::normalize_set(&mut attrs, "managed_policy_arns");
    normalize_common(&SCHEMA, &mut attrs);
    attrs
}

/// The schema, for the free normalization functions observe also uses.
static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

async fn observe_one(client: &Client, name: &str) -> Result<Attrs, ProviderError> {
    observe_roles(client, &[name.to_string()])
        .await?
        .remove(name)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("role {name} not visible yet"),
        })
}

#[async_trait]
impl Provider for RoleProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, attrs: Attrs) -> Attrs {
        normalize(attrs)
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let client = self.client(&ctx.region).await?;
        observe_roles(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let name = req_str(desired, "role_name")?;
        let trust =
            crate::normalize::policy(desired.get("assume_role_policy").unwrap_or(&Value::Null))
                .map_err(|e| ProviderError::Invalid(format!("assume_role_policy: {e}")))?;
        let duration = opt_i64(desired, "max_session_duration").unwrap_or(3600);
        let result = client
            .create_role()
            .role_name(name)
            .path(opt_str(desired, "path").unwrap_or("/"))
            .assume_role_policy_document(&trust)
            .set_description(opt_str(desired, "description").map(str::to_string))
            .max_session_duration(i32::try_from(duration).unwrap_or(i32::MAX))
            .set_permissions_boundary(opt_str(desired, "permissions_boundary").map(str::to_string))
            .set_tags(Some(iam_tags(&tags::create_tags(
                desired,
                &ctx.system_tags,
            ))?))
            .send()
            .await
            .map_err(iam_err);
        // After create the role holds what CreateRole set; the attachments
        // and inline policies follow as an update from that shape.
        let prior = match result {
            Ok(_) => {
                let mut p = desired.clone();
                p.insert("managed_policy_arns".into(), Value::List(Vec::new()));
                p.insert("inline_policies".into(), Value::Map(BTreeMap::new()));
                p
            }
            Err(ProviderError::Api { code, message }) if code == "EntityAlreadyExists" => {
                // A retry of our own create (the first attempt's answer was
                // lost): converge it. Someone else's role: refuse.
                let existing = fetch_role(&client, name).await?;
                match existing {
                    Some(v)
                        if tags::owned_by(
                            v.role.tags().iter().map(|t| (t.key(), t.value())),
                            &ctx.owner,
                            Some(&ctx.address.to_string()),
                        ) =>
                    {
                        normalize(role_attrs(&v))
                    }
                    Some(v) => {
                        return Err(tags::not_ours(
                            ctx,
                            &format!("role {name}"),
                            v.role.tags().iter().map(|t| (t.key(), t.value())),
                        ));
                    }
                    None => {
                        return Err(ProviderError::Api {
                            code,
                            message: format!("{message} (role {name} exists but cannot be read)"),
                        });
                    }
                }
            }
            Err(e) => return Err(e),
        };
        for call in update_calls(&prior, desired) {
            if !matches!(call, RoleCall::Tag(_) | RoleCall::Untag(_)) {
                run_call(&client, name, call).await?;
            }
        }
        Ok(Created {
            id: name.to_string(),
            attrs: observe_one(&client, name).await?,
        })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.client(&ctx.region).await?;
        for call in update_calls(prior, desired) {
            run_call(&client, id, call).await?;
        }
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client(&ctx.region).await?;
        // IAM refuses to delete a role that still has policies or instance
        // profiles (DeleteConflict); read the live ones, not the recorded.
        let result: Result<(), ProviderError> = async {
            for arn in attached_policies(&client, id).await? {
                run_call(&client, id, RoleCall::Detach(arn)).await?;
            }
            for name in inline_policy_names(&client, id).await? {
                run_call(&client, id, RoleCall::DeleteInline(name)).await?;
            }
            let profiles = collect_pages(|marker| {
                let client = &client;
                async move {
                    let out = client
                        .list_instance_profiles_for_role()
                        .role_name(id)
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(iam_err)?;
                    let names: Vec<String> = out
                        .instance_profiles()
                        .iter()
                        .map(|p| p.instance_profile_name().to_string())
                        .collect();
                    Ok((names, next_marker(out.is_truncated(), out.marker())))
                }
            })
            .await?;
            for profile in profiles {
                crate::error::ignore_not_found(
                    client
                        .remove_role_from_instance_profile()
                        .instance_profile_name(profile)
                        .role_name(id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(iam_err),
                )?;
            }
            client
                .delete_role()
                .role_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(iam_err)
        }
        .await;
        crate::error::ignore_not_found(result)
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let address = ctx.address.to_string();
        let ids: Vec<String> = all_role_details(&client)
            .await?
            .iter()
            .filter(|d| tags::owned_by(detail_tags(d), &ctx.owner, Some(&address)))
            .filter_map(|d| d.role_name().map(str::to_string))
            .collect();
        tags::adopt_listed(ids, &address, |id| async move {
            observe_roles(&client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        Ok(all_role_details(&client)
            .await?
            .iter()
            .filter(|d| tags::owned_by(detail_tags(d), &ctx.owner, None))
            .filter_map(|d| {
                let address = detail_tags(d)
                    .find(|(k, _)| *k == ADDRESS_TAG)
                    .map(|(_, v)| v.to_string());
                Some((d.role_name()?.to_string(), address))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired(pairs: serde_json::Value) -> Attrs {
        let v = Value::from_json(&pairs);
        normalize(v.as_map().cloned().unwrap_or_default())
    }

    #[test]
    fn schema_marks_immutable_fields() {
        let s = schema();
        assert!(s.field("role_name").is_some_and(|f| f.force_new));
        assert!(s.field("path").is_some_and(|f| f.force_new));
        assert!(s.field("assume_role_policy").is_some_and(|f| !f.force_new));
        assert!(s.field("arn").is_some_and(|f| !f.settable()));
    }

    #[test]
    fn observed_attrs_cover_every_field_and_decode_policies() {
        let role = Role::builder()
            .role_name("app")
            .path("/")
            .role_id("AROA1")
            .arn("arn:aws:iam::123456789012:role/app")
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .assume_role_policy_document(
                "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%7D%5D%7D",
            )
            .max_session_duration(3600)
            .tags(Tag::builder().key("team").value("a").build().unwrap())
            .tags(Tag::builder().key("forge:stack").value("s").build().unwrap())
            .build()
            .unwrap();
        let view = RoleView {
            role,
            managed: vec!["arn:b".into(), "arn:a".into()],
            inline: BTreeMap::from([(
                "p".to_string(),
                "%7B%22Statement%22%3A%5B%5D%7D".to_string(),
            )]),
        };
        let a = normalize(role_attrs(&view));
        for field in schema().fields.keys() {
            if field != "description" && field != "permissions_boundary" {
                assert!(a.contains_key(field), "missing {field}");
            }
        }
        assert_eq!(
            a["assume_role_policy"],
            Value::from(r#"{"Statement":[{"Effect":"Allow"}],"Version":"2012-10-17"}"#)
        );
        assert_eq!(
            a["managed_policy_arns"],
            Value::List(vec![Value::from("arn:a"), Value::from("arn:b")])
        );
        assert_eq!(
            a["inline_policies"].get("p"),
            Some(&Value::from(r#"{"Statement":[]}"#))
        );
        assert_eq!(a["tags"].as_map().map(|m| m.len()), Some(1));
    }

    #[test]
    fn unchanged_role_needs_no_calls() {
        let a = desired(serde_json::json!({
            "role_name": "app",
            "assume_role_policy": {"Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"]}]},
            "managed_policy_arns": ["arn:b", "arn:a"],
            "inline_policies": {"p": "{\"Statement\": []}"},
            "tags": {"team": "a"}
        }));
        let b = desired(serde_json::json!({
            "role_name": "app",
            "assume_role_policy": "{\"Statement\":{\"Action\":\"sts:AssumeRole\",\"Effect\":\"Allow\"}}",
            "managed_policy_arns": ["arn:a", "arn:b"],
            "inline_policies": {"p": {"Statement": []}},
            "tags": {"team": "a"}
        }));
        assert_eq!(update_calls(&a, &b), vec![]);
    }

    #[test]
    fn only_changed_policies_are_touched() {
        let prior = desired(serde_json::json!({
            "role_name": "app",
            "assume_role_policy": {"Statement": []},
            "managed_policy_arns": ["arn:keep", "arn:old"],
            "inline_policies": {"same": {"Statement": []}, "changed": {"Statement": []}, "gone": {"Statement": []}},
            "max_session_duration": 3600,
            "permissions_boundary": "arn:pb",
            "tags": {"a": "1", "b": "2"}
        }));
        let want = desired(serde_json::json!({
            "role_name": "app",
            "description": "new",
            "assume_role_policy": {"Statement": [{"Effect": "Deny"}]},
            "managed_policy_arns": ["arn:keep", "arn:new"],
            "inline_policies": {"same": {"Statement": []}, "changed": {"Statement": [{"Effect": "Allow"}]}, "added": {"Statement": []}},
            "max_session_duration": 7200,
            "tags": {"a": "1", "c": "3"}
        }));
        let calls = update_calls(&prior, &want);
        assert_eq!(
            calls,
            vec![
                RoleCall::UpdateRole {
                    description: "new".into(),
                    max_session_duration: 7200
                },
                RoleCall::UpdateTrust(r#"{"Statement":[{"Effect":"Deny"}]}"#.into()),
                RoleCall::DeleteBoundary,
                RoleCall::Detach("arn:old".into()),
                RoleCall::Attach("arn:new".into()),
                RoleCall::PutInline("added".into(), r#"{"Statement":[]}"#.into()),
                RoleCall::PutInline(
                    "changed".into(),
                    r#"{"Statement":[{"Effect":"Allow"}]}"#.into()
                ),
                RoleCall::DeleteInline("gone".into()),
                RoleCall::Tag(BTreeMap::from([("c".into(), "3".into())])),
                RoleCall::Untag(vec!["b".into()]),
            ]
        );
    }

    #[test]
    fn next_marker_only_when_truncated() {
        assert_eq!(next_marker(true, Some("m")), Some("m".into()));
        assert_eq!(next_marker(false, Some("m")), None);
    }
}
