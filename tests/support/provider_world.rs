//! The world the provider-level tests (`tests/providers_*.rs`) share: an
//! emulator, forge's client cache preset to reach it (directly, or through
//! the counting proxy to measure what a call costs), the providers under
//! test, the contexts the engine hands them, specs as the engine hands
//! them to `plan`, and the VPC, subnets and KMS key the database and cache
//! kinds need, made with the SDK (the networking kinds are tested
//! elsewhere).

use crate::{Emulator, FaultConfig, Proxy, sdk_config_for};
use forge_aws::{AwsClients, AwsSettings};
use forge_core::{Address, Attrs, Value};
use forge_engine::diff::{fill_defaults, mark_sensitive};
use forge_engine::refresh::merge_observed;
use forge_engine::values::resource_ctx;
use forge_engine::{
    Created, ObserveCtx, Owner, PlannedAction, PlannedChange, Provider, ProviderError,
    ProviderRegistry, ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Adds a service's kinds to a registry (`forge_aws::<service>::register`).
pub type Register = fn(&mut forge_aws::kind::Registrar);

/// A running emulator and the providers that talk to it.
pub struct ProviderWorld {
    pub emu: Emulator,
    /// The counting proxy the providers' requests go through, when the
    /// world was started with [`ProviderWorld::start_counted`].
    pub proxy: Option<Proxy>,
    /// The client cache the providers share, preset for every region the
    /// world was started with.
    pub clients: Arc<AwsClients>,
    /// The kinds registered at start.
    pub registry: ProviderRegistry,
    /// An SDK config reaching the emulator directly (never through the
    /// proxy) in the first region, for independent read-backs.
    pub config: aws_config::SdkConfig,
}

impl ProviderWorld {
    /// An emulator, with the providers' clients talking to it directly in
    /// each of `regions`, and the kinds of `services` registered.
    pub async fn start(regions: &[&str], services: &[Register]) -> ProviderWorld {
        let emu = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
        Self::assemble(emu, None, regions, services).await
    }

    /// Like [`ProviderWorld::start`], but the providers' requests go through
    /// a fault-free proxy that counts them by action.
    pub async fn start_counted(regions: &[&str], services: &[Register]) -> ProviderWorld {
        let emu = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
        let proxy =
            Proxy::start(&emu.endpoint, FaultConfig::none()).unwrap_or_else(|e| panic!("{e}"));
        Self::assemble(emu, Some(proxy), regions, services).await
    }

    async fn assemble(
        emu: Emulator,
        proxy: Option<Proxy>,
        regions: &[&str],
        services: &[Register],
    ) -> ProviderWorld {
        // Two attempts: a test fails fast on a real error, yet one
        // throttled or dropped request does not fail it.
        let clients = Arc::new(AwsClients::new(AwsSettings {
            max_attempts: 2,
            ..AwsSettings::default()
        }));
        for region in regions {
            let config = match &proxy {
                Some(p) => sdk_config_for(&p.endpoint, region).await,
                None => emu.sdk_config(region).await,
            };
            clients.preset(region, config);
        }
        let mut registry = ProviderRegistry::new();
        let mut r = forge_aws::kind::Registrar::new(&mut registry, clients.clone());
        for register in services {
            register(&mut r);
        }
        let first = regions.first().copied().unwrap_or("us-east-1");
        let config = emu.sdk_config(first).await;
        ProviderWorld {
            emu,
            proxy,
            clients,
            registry,
            config,
        }
    }

    /// The registered provider of `kind`.
    pub fn p(&self, kind: &str) -> &dyn Provider {
        self.registry
            .get(kind)
            .unwrap_or_else(|| panic!("{kind} not registered"))
            .as_ref()
    }

    /// The counting proxy (the world must have been started counted).
    pub fn proxy(&self) -> &Proxy {
        self.proxy
            .as_ref()
            .unwrap_or_else(|| panic!("world started without the counting proxy"))
    }

    /// Requests one observe of `id` in `octx` costs, by action; `id` must
    /// be found.
    pub async fn observe_cost(
        &self,
        p: &dyn Provider,
        octx: &ObserveCtx,
        id: &str,
    ) -> BTreeMap<String, u64> {
        let proxy = self.proxy();
        proxy.reset_counts();
        let found = p
            .observe(octx, &[id.to_string()])
            .await
            .unwrap_or_else(|e| panic!("observe {id}: {e}"));
        assert!(found.contains_key(id), "{id} not observed");
        proxy.counts()
    }

    /// A new VPC of `<prefix>.0.0/16` with one `<prefix>.<i>.0/24` subnet in
    /// each of `azs`, made in the first region: `(vpc id, subnet ids)`.
    pub async fn vpc_with_subnets(&self, prefix: &str, azs: &[&str]) -> (String, Vec<String>) {
        let ec2 = aws_sdk_ec2::Client::new(&self.config);
        let vpc = ec2
            .create_vpc()
            .cidr_block(format!("{prefix}.0.0/16"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateVpc: {e}"));
        let vpc = vpc
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap_or_else(|| panic!("CreateVpc returned no id"))
            .to_string();
        let mut subnets = Vec::new();
        for (i, az) in azs.iter().enumerate() {
            let s = ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("{prefix}.{i}.0/24"))
                .availability_zone(*az)
                .send()
                .await
                .unwrap_or_else(|e| panic!("CreateSubnet: {e}"));
            let id = s
                .subnet()
                .and_then(|s| s.subnet_id())
                .unwrap_or_else(|| panic!("CreateSubnet returned no id"));
            subnets.push(id.to_string());
        }
        (vpc, subnets)
    }

    /// A new security group `name` in `vpc`: its id.
    pub async fn security_group(&self, vpc: &str, name: &str) -> String {
        let sg = aws_sdk_ec2::Client::new(&self.config)
            .create_security_group()
            .group_name(name)
            .description(name)
            .vpc_id(vpc)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateSecurityGroup: {e}"));
        sg.group_id()
            .unwrap_or_else(|| panic!("CreateSecurityGroup returned no id"))
            .to_string()
    }

    /// The ARN of a new KMS key in the first region.
    pub async fn kms_key_arn(&self) -> String {
        let kms = aws_sdk_kms::Client::new(&self.config);
        let key = kms
            .create_key()
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateKey: {e}"));
        key.key_metadata()
            .and_then(|m| m.arn())
            .unwrap_or_else(|| panic!("CreateKey returned no ARN"))
            .to_string()
    }
}

/// The state the provider tests act as for `stack`: a fixed lineage per
/// stack name, so every call of one test names the same owner.
pub fn owner_of(stack: &str) -> Owner {
    Owner::new(&format!("lineage-of-{stack}"), stack, None)
}

/// The context the engine hands a provider for the resource at `address`
/// of `stack` in `region`.
pub fn ctx_in(stack: &str, region: &str, address: &str) -> ResourceCtx {
    resource_ctx(&owner_of(stack), &Address::single(address), region, None)
}

/// A create's answer as the engine completes it: when the provider left
/// the new object to be read back ([`Created::read_back`]), the object as
/// observe sees it merged over what the create knew.
pub async fn read_back(p: &dyn Provider, ctx: &ResourceCtx, created: Created) -> Created {
    if !created.read_back {
        return created;
    }
    let ids = [created.id.clone()];
    // Eventual consistency: a new object may take a moment to be listed.
    for _ in 0..20 {
        let mut found = p
            .observe(&ctx.observe_ctx(), &ids)
            .await
            .unwrap_or_else(|e| panic!("reading back {}: {e}", created.id));
        if let Some(observed) = found.remove(&created.id) {
            let mut attrs = created.attrs;
            attrs.extend(observed.into_iter().filter(|(_, v)| !v.is_null()));
            return Created::new(created.id, attrs);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "{} {} not visible after its create",
        p.schema().kind,
        created.id
    )
}

/// `p.create` completed as the engine completes it ([`read_back`]): what
/// a provider-level test asserts on.
pub async fn create_read(
    p: &dyn Provider,
    ctx: &ResourceCtx,
    spec: &Attrs,
    token: &str,
) -> Result<Created, ProviderError> {
    let created = p.create(ctx, spec, token).await?;
    Ok(read_back(p, ctx, created).await)
}

/// The context the engine hands a provider's observe for `stack` in
/// `region`.
pub fn octx_in(stack: &str, region: &str) -> ObserveCtx {
    ObserveCtx {
        region: region.into(),
        alias: None,
        owner: owner_of(stack),
    }
}

/// A spec with defaults filled and normalized by `p`.
pub fn normalized(p: &dyn Provider, spec: serde_json::Value) -> Attrs {
    let mut a = Value::from_json(&spec)
        .as_map()
        .cloned()
        .unwrap_or_default();
    fill_defaults(p.schema(), &mut a);
    p.normalize(a)
}

/// The spec as the engine hands it to `plan`: defaults filled, normalized,
/// sensitive fields marked.
pub fn desired(p: &dyn Provider, spec: serde_json::Value) -> Attrs {
    let mut a = normalized(p, spec);
    mark_sensitive(p.schema(), &mut a);
    a
}

/// Attributes with every sensitive mark removed, as providers receive them.
pub fn unmarked(a: &Attrs) -> Attrs {
    a.iter().map(|(k, v)| (k.clone(), v.unmarked())).collect()
}

/// Asserts that `planned` (a re-plan of `p`'s kind against what is live)
/// changes nothing, naming the kind and the changes otherwise.
pub fn assert_noop_plan(p: &dyn Provider, planned: &PlannedChange) {
    assert_eq!(
        planned.action,
        PlannedAction::NoOp,
        "{} re-plan: {:?}",
        p.schema().kind,
        planned.changes
    );
}

/// The steps every provider-level test takes, for one stack in one region:
/// the one prelude of `tests/providers_*.rs` (the standard lifecycle of
/// every kind is the conformance suite's; these tests check what it does
/// not: request counts, special behaviours).
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub stack: &'static str,
    pub region: &'static str,
}

impl Scope {
    /// The context of the resource at `address`.
    pub fn ctx(&self, address: &str) -> ResourceCtx {
        ctx_in(self.stack, self.region, address)
    }

    /// The context of an observe.
    pub fn octx(&self) -> ObserveCtx {
        octx_in(self.stack, self.region)
    }

    /// The live object `id` as observe returns it, sensitive fields marked.
    pub async fn observe(&self, p: &dyn Provider, id: &str) -> Option<Attrs> {
        let found = p
            .observe(&self.octx(), &[id.to_string()])
            .await
            .unwrap_or_else(|e| panic!("observe {id}: {e}"))
            .remove(id)?;
        let mut a = p.normalize(found);
        mark_sensitive(p.schema(), &mut a);
        Some(a)
    }

    /// What the engine plans against: the live object with the sensitive
    /// values the cloud never returns kept from `spec`.
    pub async fn prior(&self, p: &dyn Provider, id: &str, spec: &Attrs) -> Option<Attrs> {
        let live = self.observe(p, id).await?;
        let mut merged = merge_observed(Some(p.schema()), spec, &live, id);
        mark_sensitive(p.schema(), &mut merged);
        Some(merged)
    }

    /// Plans `spec` against the live object: the prior and the plan.
    pub async fn planned(
        &self,
        p: &dyn Provider,
        id: &str,
        spec: &Attrs,
    ) -> (Attrs, PlannedChange) {
        let prior = self
            .prior(p, id, spec)
            .await
            .unwrap_or_else(|| panic!("{id} not observed"));
        let planned = p.plan(Some(&prior), spec);
        (prior, planned)
    }

    /// Plans `spec` against the live object, expecting `action`: the prior
    /// and the plan.
    pub async fn plan(
        &self,
        p: &dyn Provider,
        id: &str,
        spec: &Attrs,
        action: PlannedAction,
    ) -> (Attrs, PlannedChange) {
        let prior = self
            .prior(p, id, spec)
            .await
            .unwrap_or_else(|| panic!("{id} not observed"));
        let planned = p.plan(Some(&prior), spec);
        assert_eq!(
            planned.action,
            action,
            "{} plan of {id}: {:?}",
            p.schema().kind,
            planned.changes
        );
        (prior, planned)
    }

    /// Asserts the re-plan of `spec` against the live object is a no-op.
    pub async fn assert_noop(&self, p: &dyn Provider, id: &str, spec: &Attrs) {
        self.plan(p, id, spec, PlannedAction::NoOp).await;
    }

    /// Creates `spec` at `address` after checking it plans as a create:
    /// the new id.
    pub async fn create(&self, p: &dyn Provider, address: &str, spec: &Attrs) -> String {
        self.created(p, address, spec).await.id
    }

    /// [`Scope::create`], returning what create returned.
    pub async fn created(&self, p: &dyn Provider, address: &str, spec: &Attrs) -> Created {
        assert_eq!(p.plan(None, spec).action, PlannedAction::Create);
        let ctx = self.ctx(address);
        let created = p
            .create(&ctx, &unmarked(spec), &format!("tok-{address}"))
            .await
            .unwrap_or_else(|e| panic!("create {address}: {e}"));
        read_back(p, &ctx, created).await
    }

    /// Updates in place after checking the plan says so: what update
    /// returns.
    pub async fn update(&self, p: &dyn Provider, address: &str, id: &str, spec: &Attrs) -> Attrs {
        let (prior, planned) = self.plan(p, id, spec, PlannedAction::Update).await;
        p.update(
            &self.ctx(address),
            id,
            &unmarked(&prior),
            &unmarked(spec),
            &planned.changes,
        )
        .await
        .unwrap_or_else(|e| panic!("update {address}: {e}"))
    }

    /// Deletes `id`, checks observe no longer sees it, and that deleting
    /// again succeeds.
    pub async fn delete_and_gone(&self, p: &dyn Provider, address: &str, id: &str) {
        let prior = self
            .observe(p, id)
            .await
            .map(|a| unmarked(&a))
            .unwrap_or_default();
        p.delete(&self.ctx(address), id, &prior)
            .await
            .unwrap_or_else(|e| panic!("delete {address}: {e}"));
        assert!(
            self.observe(p, id).await.is_none(),
            "{id} still observed after delete"
        );
        p.delete(&self.ctx(address), id, &prior)
            .await
            .unwrap_or_else(|e| panic!("second delete {address}: {e}"));
    }
}
