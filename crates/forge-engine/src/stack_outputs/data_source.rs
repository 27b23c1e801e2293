//! The `forge.stack_outputs` data source: another stack's outputs, read
//! from its state backend (Terraform's `terraform_remote_state`).
//!
//! ```yaml
//! data:
//!   net:
//!     type: forge.stack_outputs
//!     stack: ../network        # from this file's folder; or `state:` below
//!     environment: shared      # default: the environment being loaded
//! resources:
//!   subnet: {type: aws.ec2.subnet, vpc_id: "${data.net.outputs.vpc_id}", ...}
//! ```
//!
//! With `stack`, the other stack's spec says where its state is (as for
//! `dependencies:`); with `state: {backend: s3, bucket, key, region}` or
//! `{backend: local, path}` the state is named directly. It is no AWS
//! lookup, so forge-engine registers it ([`register`]) for any program
//! that has state backends.

use super::{StackOutputs, StackOutputsReader};
use crate::data::{DataError, DataRequest, DataSource};
use crate::provider::ProviderError;
use crate::registry::ProviderRegistry;
use crate::state::{BackendRegistry, StateBackend};
use async_trait::async_trait;
use forge_core::schema::{FieldSchema as F, FieldType as T};
use forge_core::spec::{LoadOptions, Stack, StateBackendConfig, other_stack_path};
use forge_core::{Attrs, KindSchema, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The type's name.
pub const TYPE: &str = "forge.stack_outputs";

/// The type's arguments and attributes.
pub fn schema() -> KindSchema {
    KindSchema::new(
        TYPE,
        "another stack's outputs, read from its state backend",
        [
            (
                "stack",
                F::optional(T::String)
                    .describe("the other stack's folder, relative to this file's"),
            ),
            (
                "environment",
                F::optional(T::String).describe("its environment (default: the one being loaded)"),
            ),
            (
                "state",
                F::optional(T::object([
                    ("backend", F::required(T::String).describe("s3 or local")),
                    ("bucket", F::optional(T::String).describe("s3: the bucket")),
                    (
                        "key",
                        F::optional(T::String).describe("s3: the state's key"),
                    ),
                    (
                        "region",
                        F::optional(T::String).describe("s3: the bucket's region"),
                    ),
                    (
                        "endpoint",
                        F::optional(T::String).describe("s3: a custom endpoint"),
                    ),
                    (
                        "path",
                        F::optional(T::String)
                            .describe("local: the state file, relative to this file's folder"),
                    ),
                ]))
                .describe("the state backend itself, instead of `stack`"),
            ),
            (
                "outputs",
                F::computed(T::map(T::Any))
                    .describe("its outputs by name (sensitive ones stay sensitive)"),
            ),
        ],
    )
}

/// Registers `forge.stack_outputs` in `registry`, reading states through
/// `backends` and loading other stacks with `base` options against the
/// kinds registered so far (register it last).
pub fn register(registry: &mut ProviderRegistry, backends: BackendRegistry, base: LoadOptions) {
    let schema = schema();
    let mut schemas = registry.schemas();
    schemas.insert_data(Arc::new(schema.clone()));
    registry.register_data_source(Arc::new(StackOutputsSource {
        schema,
        reader: StackOutputsReader::new(backends, schemas, base),
    }));
}

/// The data source.
#[derive(Debug)]
pub struct StackOutputsSource {
    schema: KindSchema,
    reader: StackOutputsReader,
}

#[async_trait]
impl DataSource for StackOutputsSource {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    async fn read(
        &self,
        region: &str,
        requests: &[DataRequest],
    ) -> Result<Vec<Result<Attrs, DataError>>, ProviderError> {
        // Each lookup is one state read; they go out together.
        Ok(futures::future::join_all(requests.iter().map(|r| self.read_one(region, r))).await)
    }
}

/// An argument's text, if set.
fn text<'a>(request: &'a DataRequest, name: &str) -> Option<&'a str> {
    match request.args.get(name) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Sensitive(inner)) => inner.as_str(),
        _ => None,
    }
}

fn refused(message: impl Into<String>, hint: impl Into<String>) -> DataError {
    DataError::Refused {
        message: message.into(),
        hint: hint.into(),
    }
}

impl StackOutputsSource {
    async fn read_one(&self, region: &str, request: &DataRequest) -> Result<Attrs, DataError> {
        let file = request.file.clone().unwrap_or_else(|| PathBuf::from("."));
        let environment = text(request, "environment")
            .map(str::to_string)
            .or_else(|| request.environment.clone());
        let (backend, what) = match (text(request, "stack"), request.args.get("state")) {
            (Some(stack), None) => {
                let allow = self.reader.base_options().allow_outside_root;
                let path = other_stack_path(&file, stack, allow)
                    .map_err(|(message, hint)| refused(message, hint))?;
                let shown = match &environment {
                    Some(env) => format!("{} -e {env}", path.display()),
                    None => path.display().to_string(),
                };
                let backend = self
                    .reader
                    .backend_of(&path, environment.as_deref())
                    .map_err(|e| {
                        refused(
                            format!("reading stack {shown}: {e}"),
                            "fix the other stack, or name its state with `state:`",
                        )
                    })?;
                (backend, Some(shown))
            }
            (None, Some(state)) => (self.open_explicit(region, &file, state, environment)?, None),
            _ => {
                return Err(refused(
                    "give either `stack` or `state`",
                    "stack: ../network (its spec says where its state is), or state: {backend: s3, bucket: B, key: K}",
                ));
            }
        };
        match StackOutputsReader::read(backend.as_ref()).await {
            Ok(StackOutputs::Applied { outputs, location }) => Ok(Attrs::from([
                ("id".to_string(), Value::String(location)),
                ("outputs".to_string(), Value::Map(outputs)),
            ])),
            Ok(StackOutputs::NotApplied { location }) => Err(refused(
                format!("there is no applied state at {location}"),
                match what {
                    Some(shown) => format!("apply that stack first (`forge apply {shown}`)"),
                    None => "apply the stack that writes this state first".to_string(),
                },
            )),
            Err(e) => Err(refused(
                format!("reading the state: {e}"),
                "check the backend's location and credentials",
            )),
        }
    }

    /// The backend an explicit `state:` names: an S3 bucket region
    /// defaults to the lookup's, a local path is relative to the file.
    fn open_explicit(
        &self,
        region: &str,
        file: &Path,
        state: &Value,
        environment: Option<String>,
    ) -> Result<Box<dyn StateBackend>, DataError> {
        let config: StateBackendConfig = serde_json::from_value(state.to_json()).map_err(|e| {
            refused(
                format!("`state` is not a state backend: {e}"),
                "state: {backend: s3, bucket: B, key: K, region: R} or {backend: local, path: P}",
            )
        })?;
        if matches!(config, StateBackendConfig::Local { path: None }) {
            return Err(refused(
                "a local `state` needs its `path`",
                "state: {backend: local, path: ../network/.forge/state/network-dev.json}",
            ));
        }
        let holder = Stack {
            name: TYPE.to_string(),
            environment,
            region: region.to_string(),
            root: file.parent().map(Path::to_path_buf).unwrap_or_default(),
            state: config,
            ..Stack::default()
        };
        self.reader.open(&holder).map_err(|e| {
            refused(
                format!("opening the state: {e}"),
                "check the backend's settings",
            )
        })
    }
}
