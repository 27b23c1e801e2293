//! Embedding forge: register a resource kind of our own (`local.note`, a
//! text file in a folder), build a small stack in code, plan it, print the
//! JSON plan, apply it to a local state file, and plan again (no changes).
//!
//! `cargo run -p forge-embed-example -- [WORKDIR]`

use async_trait::async_trait;
use forge::provider::{
    Created, FieldChange, FieldSchema, FieldType, KindSchema, ObserveCtx, Provider, ProviderError,
    ProviderRegistry, ResourceCtx,
};
use forge::spec::{Config, Instance, Stack, StateBackendConfig};
use forge::state::open_backend;
use forge::{Address, ApplyOptions, Attrs, ChangeAction, Engine, Event, Plan, PlanOptions, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// A note: a file `<dir>/<id>.txt` holding `text`.
struct NoteProvider {
    schema: KindSchema,
    dir: PathBuf,
}

impl NoteProvider {
    fn new(dir: PathBuf) -> Self {
        let schema = KindSchema::new(
            "local.note",
            "a text file in a folder",
            [
                (
                    "title",
                    FieldSchema::required(FieldType::String).force_new(),
                ),
                ("text", FieldSchema::optional(FieldType::String).default("")),
                ("path", FieldSchema::computed(FieldType::String)),
            ],
        );
        NoteProvider { schema, dir }
    }

    fn file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.txt"))
    }
}

fn io(e: std::io::Error) -> ProviderError {
    ProviderError::Api {
        code: format!("{:?}", e.kind()),
        message: e.to_string(),
    }
}

#[async_trait]
impl Provider for NoteProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    async fn observe(
        &self,
        _ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let mut out = BTreeMap::new();
        for id in ids {
            let path = self.file(id);
            if let Ok(text) = tokio::fs::read_to_string(&path).await {
                let (title, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
                out.insert(
                    id.clone(),
                    Attrs::from([
                        ("title".to_string(), Value::from(title)),
                        ("text".to_string(), Value::from(body)),
                        ("path".to_string(), Value::from(path.display().to_string())),
                    ]),
                );
            }
        }
        Ok(out)
    }

    async fn create(
        &self,
        _ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        // The idempotency token names the file, so a retried create (or one
        // that crashed after writing) finds the same note.
        let id = format!("note-{}", &token[..8.min(token.len())]);
        let title = desired
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let text = desired
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default();
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        tokio::fs::write(self.file(&id), format!("{title}\n{text}"))
            .await
            .map_err(io)?;
        let path = self.file(&id).display().to_string();
        Ok(Created::new(
            id,
            Attrs::from([("path".to_string(), Value::from(path))]),
        ))
    }

    async fn update(
        &self,
        _ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let title = desired
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let text = desired
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default();
        tokio::fs::write(self.file(id), format!("{title}\n{text}"))
            .await
            .map_err(io)?;
        Ok(Attrs::new())
    }

    async fn delete(
        &self,
        _ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        match tokio::fs::remove_file(self.file(id)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
            _ => Ok(()),
        }
    }

    async fn find_orphan(
        &self,
        _ctx: &ResourceCtx,
        token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let id = format!("note-{}", &token[..8.min(token.len())]);
        let path = self.file(&id);
        Ok(tokio::fs::try_exists(&path)
            .await
            .unwrap_or(false)
            .then(|| {
                Created::new(
                    id,
                    Attrs::from([("path".to_string(), Value::from(path.display().to_string()))]),
                )
            }))
    }
}

fn stack(root: PathBuf) -> Stack {
    let welcome = Instance::new(Address::single("welcome"), "local.note", "local")
        .with_field("title", Config::literal("Welcome"))
        .with_field("text", Config::literal("forge embedded in a Rust program"));
    let todo = Instance::new(Address::indexed("todo", 0), "local.note", "local")
        .with_field("title", Config::literal("Read docs/engine.md"))
        .with_dependency(Address::single("welcome"));
    // The rest (data sources, modules, outputs, ...) stays empty.
    Stack {
        name: "notes".into(),
        region: "local".into(),
        root,
        state: StateBackendConfig::Local { path: None },
        instances: vec![todo, welcome],
        ..Stack::default()
    }
}

/// The plan in a few lines, as this program wants it: the engine returns
/// data and leaves presentation to its caller (the `forge` binary renders
/// plans Terraform-style).
fn describe(plan: &Plan) -> String {
    let mut out = String::new();
    for c in plan
        .changes
        .iter()
        .filter(|c| c.action != ChangeAction::NoOp)
    {
        out.push_str(&format!(
            "{} {} ({})\n",
            c.action.as_str(),
            c.address,
            c.kind
        ));
    }
    let s = plan.summary();
    out.push_str(&format!(
        "{} to add, {} to change, {} to destroy.\n",
        s.add, s.change, s.destroy
    ));
    out
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("forge-embed-example"));
    let mut registry = ProviderRegistry::new();
    registry.register(Arc::new(NoteProvider::new(root.join("notes"))));
    let engine = Engine::new(registry);

    let stack = stack(root.clone());
    let backend = open_backend(&stack)?;
    let plan = engine
        .plan(&stack, backend.as_ref(), &PlanOptions::default())
        .await?;
    println!("{}", plan.to_json_string());
    eprint!("{}", describe(&plan));

    let progress = Arc::new(|e: &Event| {
        if let Event::Finished {
            address,
            operation,
            elapsed,
            ..
        } = e
        {
            eprintln!("{address}: {operation:?} done in {elapsed:?}");
        }
    });
    let options = ApplyOptions {
        progress: Some(progress),
        ..Default::default()
    };
    let report = engine.apply(&plan, backend.as_ref(), &options).await?;
    eprintln!(
        "{} succeeded, {} failed, {} skipped (state: {}, {} writes)",
        report.succeeded.len(),
        report.failed.len(),
        report.skipped.len(),
        backend.location(),
        report.state_writes
    );

    let again = engine
        .plan(&stack, backend.as_ref(), &PlanOptions::default())
        .await?;
    eprint!("{}", describe(&again));
    if !report.is_success() {
        std::process::exit(1);
    }
    Ok(())
}
