//! The provider registry: resource kind name to provider.
//!
//! The CLI fills it with forge's AWS providers; a library user can add
//! kinds of their own with [`ProviderRegistry::register`]. It may also hold
//! a [`TagIndex`], the cheap way drift finds resources carrying a stack's
//! ownership tag (see [`crate::tag_index`]).

use crate::data::DataSource;
use crate::provider::Provider;
use crate::tag_index::TagIndex;
use forge_core::SchemaRegistry;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Maps resource kinds to providers.
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    providers: BTreeMap<String, Arc<dyn Provider>>,
    data_sources: BTreeMap<String, Arc<dyn DataSource>>,
    tag_index: Option<Arc<dyn TagIndex>>,
}

impl ProviderRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a provider under its schema's kind name (replacing any).
    pub fn register(&mut self, provider: Arc<dyn Provider>) {
        self.providers
            .insert(provider.schema().kind.clone(), provider);
    }

    /// The provider of a kind.
    pub fn get(&self, kind: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(kind)
    }

    /// The schemas of all registered kinds, for the spec loader.
    pub fn schemas(&self) -> SchemaRegistry {
        let mut reg = SchemaRegistry::new();
        for p in self.providers.values() {
            reg.insert(Arc::new(p.schema().clone()));
        }
        for d in self.data_sources.values() {
            reg.insert_data(Arc::new(d.schema().clone()));
        }
        reg
    }

    /// Registers a data source type under its schema's name (replacing any).
    pub fn register_data_source(&mut self, source: Arc<dyn DataSource>) {
        self.data_sources
            .insert(source.schema().kind.clone(), source);
    }

    /// The data source of a type.
    pub fn data_source(&self, kind: &str) -> Option<&Arc<dyn DataSource>> {
        self.data_sources.get(kind)
    }

    /// Uses `index` to find tagged resources of the kinds it covers
    /// (replacing any index set before).
    pub fn set_tag_index(&mut self, index: Arc<dyn TagIndex>) {
        self.tag_index = Some(index);
    }

    /// The tag index, if one is set.
    pub fn tag_index(&self) -> Option<&Arc<dyn TagIndex>> {
        self.tag_index.as_ref()
    }

    /// Registered kind names, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }
}

impl std::fmt::Debug for ProviderRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.providers.keys()).finish()
    }
}
