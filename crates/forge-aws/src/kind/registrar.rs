//! Registration: one call per kind adds its provider to the registry and
//! its ARN shape to the tag index.

use crate::clients::AwsClients;
use crate::kind::{ArnShape, Kind, KindProvider};
use forge_engine::ProviderRegistry;
use std::sync::Arc;

/// Collects kinds into a [`ProviderRegistry`] and their ARN shapes for the
/// tag index.
pub struct Registrar<'a> {
    registry: &'a mut ProviderRegistry,
    clients: Arc<AwsClients>,
    shapes: Vec<(ArnShape, String)>,
}

impl<'a> Registrar<'a> {
    /// A registrar adding to `registry`, with kinds sharing `clients`.
    pub fn new(registry: &'a mut ProviderRegistry, clients: Arc<AwsClients>) -> Self {
        Registrar {
            registry,
            clients,
            shapes: Vec::new(),
        }
    }

    /// Registers kind `K`.
    pub fn kind<K: Kind>(&mut self) {
        self.shapes
            .extend(K::ARNS.iter().map(|s| (*s, K::KIND.to_string())));
        self.registry
            .register(Arc::new(KindProvider::<K>::new(self.clients.clone())));
    }

    /// The shared client cache.
    pub fn clients(&self) -> &Arc<AwsClients> {
        &self.clients
    }

    /// The registry and the ARN shapes collected, by kind.
    pub fn finish(self) -> (&'a mut ProviderRegistry, Vec<(ArnShape, String)>) {
        (self.registry, self.shapes)
    }
}
