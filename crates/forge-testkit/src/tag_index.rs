//! A tag index over the fake cloud, as the AWS Resource Groups Tagging
//! API is over AWS: every object of the covered kinds carrying the stack's
//! name tag, with all its tags (the attributes' user `tags` and forge's
//! ownership tags), plus, optionally, one id that is no longer there, as an
//! eventually consistent index would list.

use crate::fake::FakeCloud;
use async_trait::async_trait;
use forge_core::Value;
use forge_engine::{ObserveCtx, ProviderError, TagIndex, TaggedResource};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// See the module docs.
pub struct FakeTagIndex {
    cloud: FakeCloud,
    kinds: Vec<String>,
    calls: AtomicU64,
    fail: bool,
    stale: bool,
}

impl FakeTagIndex {
    /// An index of `kinds` over `cloud`.
    pub fn new(cloud: &FakeCloud, kinds: &[&str]) -> Self {
        FakeTagIndex {
            cloud: cloud.clone(),
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
            calls: AtomicU64::new(0),
            fail: false,
            stale: false,
        }
    }

    /// The same index, failing every call (one that is not allowed).
    pub fn failing(mut self) -> Self {
        self.fail = true;
        self
    }

    /// The same index, also listing an id that is gone (a lagging index).
    pub fn lagging(mut self) -> Self {
        self.stale = true;
        self
    }

    /// How many times it was asked.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TagIndex for FakeTagIndex {
    fn covers(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k == kind)
    }

    async fn tagged(&self, ctx: &ObserveCtx) -> Result<Vec<TaggedResource>, ProviderError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail {
            return Err(ProviderError::Api {
                code: "AccessDeniedException".into(),
                message: "tag:GetResources".into(),
            });
        }
        let mut found: Vec<TaggedResource> = self
            .cloud
            .objects()
            .into_iter()
            .filter(|(_, o)| self.covers(&o.kind))
            .filter(|(_, o)| o.system_tags.get("forge:stack") == Some(&ctx.owner.stack))
            .map(|(id, o)| {
                let mut all = o.system_tags.clone();
                if let Some(Value::Map(user)) = o.attrs.get("tags") {
                    for (k, v) in user {
                        if let Some(v) = v.as_str() {
                            all.insert(k.clone(), v.to_string());
                        }
                    }
                }
                TaggedResource {
                    kinds: vec![o.kind.clone()],
                    id,
                    tags: all,
                }
            })
            .collect();
        if self.stale
            && let Some(kind) = self.kinds.first()
        {
            found.push(TaggedResource {
                kinds: vec![kind.clone()],
                id: "deleted-a-moment-ago".into(),
                tags: BTreeMap::from([
                    ("forge:stack".to_string(), ctx.owner.stack.clone()),
                    ("forge:state".to_string(), ctx.owner.lineage.clone()),
                ]),
            });
        }
        Ok(found)
    }
}
