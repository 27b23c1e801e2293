//! RDS kinds: DB subnet groups, parameter groups, Aurora clusters and their instances, standalone DB instances.

use crate::clients::AwsClients;
use forge_engine::ProviderRegistry;
use std::sync::Arc;

/// Registers this service's kinds.
pub fn register(registry: &mut ProviderRegistry, clients: &Arc<AwsClients>) {
    let _ = (registry, clients);
}
