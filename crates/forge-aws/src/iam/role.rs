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
//! accounts these stacks live in. The ownership listing (orphan search,
//! drift) does use it (rare calls, and it is the only listing that carries
//! tags).

use super::policy::{self, policy_map_value};
use super::{Iam, iam_tags};
use crate::attrs::{non_empty, set_diff};
use crate::error::{found, ignore_not_found};
use crate::kind::prelude::*;
use crate::paging::{each_id, truncated_pages};
use crate::tags;
use aws_sdk_iam::Client;
use aws_sdk_iam::types::{EntityType, Role};
use forge_core::Value;
use std::collections::BTreeMap;

/// Roles described at once during observe.
const OBSERVE_CONCURRENCY: usize = 8;

/// Every page of an IAM list call (see [`truncated_pages`]).
macro_rules! iam_pages {
    ($call:expr, |$out:ident| $items:expr) => {
        truncated_pages!($call, Iam::err, is_truncated, marker, |$out| $items)
    };
}

crate::kind::declare_kind!(RoleKind: "aws.iam.role", Iam, RoleFields,
    "An IAM role: who may assume it and what it may do.");

/// The fields of `aws.iam.role`.
#[derive(Debug, Clone, Fields)]
pub struct RoleFields {
    /// The role's name (unique in the account).
    #[field(force_new)]
    pub role_name: String,
    /// The role's path, e.g. /service/; IAM cannot change it after create.
    #[field(force_new, default = "/")]
    pub path: Option<String>,
    /// What the role is for.
    pub description: Option<String>,
    /// The trust policy: JSON text or a YAML object; compared by meaning.
    #[field(normalize = crate::normalize::policy_value)]
    pub assume_role_policy: Value,
    /// ARNs of managed policies to attach (a set: order does not matter).
    #[field(default = Value::List(Vec::new()), normalize = crate::attrs::set_value)]
    pub managed_policy_arns: Option<Vec<String>>,
    /// Inline policies by name: JSON text or YAML objects.
    #[field(default = Value::Map(BTreeMap::new()), normalize = policy_map_value)]
    pub inline_policies: Option<BTreeMap<String, Value>>,
    /// Longest session in seconds (3600 to 43200).
    #[field(default = 3600i64)]
    pub max_session_duration: Option<i64>,
    /// ARN of the managed policy bounding the role.
    pub permissions_boundary: Option<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The role's ARN.
    pub arn: Computed<String>,
    /// The role's stable unique id (AROA...).
    pub role_id: Computed<String>,
}

impl RoleFields {
    /// The trust policy as canonical text.
    fn trust(&self) -> Res<String> {
        crate::normalize::policy(&self.assume_role_policy)
            .map_err(|e| ProviderError::Invalid(format!("assume_role_policy: {e}")))
    }

    fn duration(&self) -> i32 {
        i32::try_from(self.max_session_duration.unwrap_or(3600)).unwrap_or(i32::MAX)
    }

    /// Inline policies as canonical text.
    fn inline(&self) -> BTreeMap<String, String> {
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            other => crate::normalize::policy(other).ok(),
        };
        self.inline_policies
            .iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
            .collect()
    }
}

/// Everything observe learns about one role.
#[derive(Debug, Clone)]
struct RoleView {
    role: Role,
    managed: Vec<String>,
    inline: BTreeMap<String, String>,
}

fn fields(view: &RoleView) -> RoleFields {
    let r = &view.role;
    let mut managed = view.managed.clone();
    managed.sort();
    managed.dedup();
    RoleFields {
        role_name: r.role_name().to_string(),
        path: Some(r.path().to_string()),
        description: non_empty(r.description()),
        assume_role_policy: r
            .assume_role_policy_document()
            .map(policy::observed)
            .unwrap_or(Value::Null),
        managed_policy_arns: Some(managed),
        inline_policies: Some(
            view.inline
                .iter()
                .map(|(k, v)| (k.clone(), policy::observed(v)))
                .collect(),
        ),
        max_session_duration: r.max_session_duration().map(i64::from),
        permissions_boundary: r
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
        tags: tags::observed_map(r.tags().iter().map(|t| (t.key(), t.value()))),
        arn: Some(r.arn().to_string()),
        role_id: Some(r.role_id().to_string()),
    }
}

/// One role with its policies, or `None` if it does not exist.
async fn fetch_role(client: &Client, name: &str) -> Res<Option<RoleView>> {
    let got = client.get_role().role_name(name).send().await;
    let Some(role) = found(got.map_err(Iam::err))?.and_then(|out| out.role) else {
        return Ok(None);
    };
    let managed = attached_policies(client, name).await?;
    let mut inline = BTreeMap::new();
    for policy in inline_policy_names(client, name).await? {
        let got = client
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await;
        // Deleted between the list and the get: it is gone.
        if let Some(out) = found(got.map_err(Iam::err))? {
            inline.insert(policy, out.policy_document().to_string());
        }
    }
    Ok(Some(RoleView {
        role,
        managed,
        inline,
    }))
}

async fn inline_policy_names(client: &Client, name: &str) -> Res<Vec<String>> {
    iam_pages!(client.list_role_policies().role_name(name), |out| out
        .policy_names()
        .to_vec())
}

async fn attached_policies(client: &Client, name: &str) -> Res<Vec<String>> {
    iam_pages!(
        client.list_attached_role_policies().role_name(name),
        |out| out
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect()
    )
}

/// One change to bring a role from its observed to its desired shape
/// (tags go through [`sync_tags`]).
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
    /// RemoveRoleFromInstanceProfile (before delete).
    LeaveProfile(String),
}

/// The calls that bring a role from `prior` to `desired` (both normalized),
/// touching only what differs: detach/attach only the changed ARNs,
/// put/delete only the changed inline policies.
pub fn update_calls(
    prior: &RoleFields,
    desired: &RoleFields,
) -> Result<Vec<RoleCall>, ProviderError> {
    let mut calls = Vec::new();
    let description = desired.description.clone().unwrap_or_default();
    if prior.description.clone().unwrap_or_default() != description
        || prior.duration() != desired.duration()
    {
        calls.push(RoleCall::UpdateRole {
            description,
            max_session_duration: desired.duration(),
        });
    }
    if prior.assume_role_policy != desired.assume_role_policy {
        calls.push(RoleCall::UpdateTrust(desired.trust()?));
    }
    match (&prior.permissions_boundary, &desired.permissions_boundary) {
        (p, Some(d)) if p.as_ref() != Some(d) => calls.push(RoleCall::PutBoundary(d.clone())),
        (Some(_), None) => calls.push(RoleCall::DeleteBoundary),
        _ => {}
    }
    let arns = |f: &RoleFields| f.managed_policy_arns.clone().unwrap_or_default();
    let (attach, detach) = set_diff(&arns(prior), &arns(desired));
    calls.extend(detach.into_iter().map(RoleCall::Detach));
    calls.extend(attach.into_iter().map(RoleCall::Attach));
    let (before, after) = (prior.inline(), desired.inline());
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
    Ok(calls)
}

async fn run_call(client: &Client, role: &str, call: RoleCall) -> Res<()> {
    // Every call names the role; forge needs nothing from the answers.
    macro_rules! iam {
        ($op:ident $(, $set:ident($v:expr))*) => {
            client.$op().role_name(role)$(.$set($v))*.send().await.map(drop).map_err(Iam::err)
        };
    }
    use RoleCall as C;
    let removal = matches!(
        call,
        C::DeleteBoundary | C::Detach(_) | C::DeleteInline(_) | C::LeaveProfile(_)
    );
    let answer = match call {
        C::UpdateRole {
            description,
            max_session_duration,
        } => iam!(
            update_role,
            description(description),
            max_session_duration(max_session_duration)
        ),
        C::UpdateTrust(doc) => iam!(update_assume_role_policy, policy_document(doc)),
        C::PutBoundary(arn) => iam!(put_role_permissions_boundary, permissions_boundary(arn)),
        C::Attach(arn) => iam!(attach_role_policy, policy_arn(arn)),
        C::PutInline(name, doc) => iam!(put_role_policy, policy_name(name), policy_document(doc)),
        C::DeleteBoundary => iam!(delete_role_permissions_boundary),
        C::Detach(arn) => iam!(detach_role_policy, policy_arn(arn)),
        C::DeleteInline(name) => iam!(delete_role_policy, policy_name(name)),
        C::LeaveProfile(profile) => {
            iam!(
                remove_role_from_instance_profile,
                instance_profile_name(profile)
            )
        }
    };
    // Removals: one already gone is done.
    if removal {
        ignore_not_found(answer)
    } else {
        answer
    }
}

#[async_trait]
impl Kind for RoleKind {
    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        each_id(ids, OBSERVE_CONCURRENCY, |name| async move {
            Ok(fetch_role(ctx.client, &name).await?.as_ref().map(fields))
        })
        .await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let name = &desired.role_name;
        let trust = desired.trust()?;
        let result = ctx
            .client
            .create_role()
            .role_name(name)
            .path(desired.path.as_deref().unwrap_or("/"))
            .assume_role_policy_document(&trust)
            .set_description(desired.description.clone())
            .max_session_duration(desired.duration())
            .set_permissions_boundary(desired.permissions_boundary.clone())
            .set_tags(Some(iam_tags(&tags::with_system(
                &desired.tags,
                &ctx.system_tags,
            ))?))
            .send()
            .await
            .map_err(Iam::err);
        // After create the role holds what CreateRole set; the attachments
        // and inline policies follow as an update from that shape.
        let prior = match result {
            Ok(_) => RoleFields {
                managed_policy_arns: Some(Vec::new()),
                inline_policies: Some(BTreeMap::new()),
                ..desired.clone()
            },
            Err(ProviderError::Api { code, message }) if code == "EntityAlreadyExists" => {
                // A retry of our own create (the first attempt's answer was
                // lost): converge it. Someone else's role: refuse.
                let Some(v) = fetch_role(ctx.client, name).await? else {
                    return Err(ProviderError::Api {
                        code,
                        message: format!("{message} (role {name} exists but cannot be read)"),
                    });
                };
                let pairs = v.role.tags().iter().map(|t| (t.key(), t.value()));
                tags::ensure_ours(ctx, &format!("role {name}"), pairs, true)?;
                fields(&v)
            }
            Err(e) => return Err(e),
        };
        for call in update_calls(&prior, desired)? {
            run_call(ctx.client, name, call).await?;
        }
        Self::made(ctx, name.clone()).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        for call in update_calls(prior, desired)? {
            run_call(ctx.client, id, call).await?;
        }
        retag_and_read(ctx, id, Some(id), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        // IAM refuses to delete a role that still has policies or instance
        // profiles (DeleteConflict); read the live ones, not the recorded.
        let result: Result<(), ProviderError> = async {
            let detach = attached_policies(ctx.client, id)
                .await?
                .into_iter()
                .map(RoleCall::Detach);
            let client = ctx.client;
            let inline = inline_policy_names(client, id).await?;
            let profiles = iam_pages!(
                client.list_instance_profiles_for_role().role_name(id),
                |out| out
                    .instance_profiles()
                    .iter()
                    .map(|p| p.instance_profile_name().to_string())
                    .collect::<Vec<_>>()
            )?;
            let inline = inline.into_iter().map(RoleCall::DeleteInline);
            let profiles = profiles.into_iter().map(RoleCall::LeaveProfile);
            for call in detach.chain(inline).chain(profiles) {
                run_call(ctx.client, id, call).await?;
            }
            ctx.client
                .delete_role()
                .role_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(Iam::err)
        }
        .await;
        ignore_not_found(result)
    }

    /// Every role of the account with its tags: GetAccountAuthorizationDetails,
    /// paged (the only listing that carries tags).
    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let client = ctx.client;
        let details = iam_pages!(
            client
                .get_account_authorization_details()
                .filter(EntityType::Role),
            |out| out.role_detail_list.unwrap_or_default()
        )?;
        Ok(details
            .iter()
            .filter_map(|d| {
                let pairs = d.tags().iter().map(|t| (t.key(), t.value()));
                tags::owned_entry(&ctx.owner, pairs, d.role_name()?, address)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::types::Tag;
    use forge_core::fields::Fields;

    fn desired(pairs: serde_json::Value) -> RoleFields {
        let mut a = crate::kind::testing::attrs(pairs);
        RoleFields::normalize_attrs(&mut a);
        RoleFields::from_attrs(&a).unwrap()
    }

    #[test]
    fn schema_marks_immutable_fields() {
        let s = crate::kind::schema_of::<RoleKind>();
        assert!(s.field("role_name").is_some_and(|f| f.force_new));
        assert!(s.field("path").is_some_and(|f| f.force_new));
        assert!(s.field("assume_role_policy").is_some_and(|f| !f.force_new));
        assert!(s.field("arn").is_some_and(|f| !f.settable()));
    }

    #[test]
    fn observed_fields_decode_policies() {
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
        let f = fields(&view);
        assert_eq!(
            f.assume_role_policy,
            Value::from(r#"{"Statement":[{"Effect":"Allow"}],"Version":"2012-10-17"}"#)
        );
        assert_eq!(
            f.managed_policy_arns,
            Some(vec!["arn:a".to_string(), "arn:b".to_string()])
        );
        assert_eq!(
            f.inline_policies.as_ref().and_then(|m| m.get("p")),
            Some(&Value::from(r#"{"Statement":[]}"#))
        );
        assert_eq!(f.tags.0.len(), 1);
        assert_eq!(f.role_id.as_deref(), Some("AROA1"));
        // What observe writes reads back as the same fields.
        let back = RoleFields::from_attrs(&f.to_attrs()).unwrap();
        assert_eq!(back.inline(), f.inline());
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
        assert_eq!(update_calls(&a, &b).unwrap(), vec![]);
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
        assert_eq!(
            update_calls(&prior, &want).unwrap(),
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
            ]
        );
    }
}
