//! Data sources: read-only lookups (`data:` in a spec) of objects forge
//! does not manage — the account id, the region's availability zones, a
//! VPC by tag, an SSM parameter.
//!
//! A [`DataSource`] is registered like a resource kind (see
//! [`crate::ProviderRegistry::register_data_source`]) and reads a whole
//! batch of lookups of its type in one region at once, so ten `aws.ec2.vpc`
//! lookups can be one `DescribeVpcs`. [`read_data`] reads a stack's data
//! sources before it is planned, in waves: those whose arguments are
//! known (they read vars, locals and data sources already read), then
//! those that read them, and so on. A lookup whose arguments stay unknown
//! (an unset secret var in a review-only plan, which cannot be applied)
//! is not read: its attributes are "known after apply". The results go into
//! [`Stack::data_values`], which the plan carries in its configuration, so
//! an apply evaluates resources against exactly what the plan read. They
//! are never written to the state (as in Terraform, data sources are not
//! resources).

use crate::conditions::{When, check};
use crate::diff::mark_sensitive;
use crate::error::EngineError;
use crate::provider::ProviderError;
use crate::registry::ProviderRegistry;
use crate::retry::{RetryPolicy, with_retry};
use crate::values::AttrValues;
use async_trait::async_trait;
use forge_core::spec::{Instance, ResourceValues, Stack};
use forge_core::{Address, Attrs, Diagnostic, Diagnostics, KindSchema, SourcePos, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// One lookup of a batch: which data source and its evaluated arguments
/// (sensitivity marks kept; read them with [`Value::unmarked`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DataRequest {
    /// The data source's address (`azs`, `subnet["a"]`), without `data.`.
    pub address: Address,
    /// Its arguments; absent optional ones are not in the map.
    pub args: Attrs,
    /// The spec file that declares it, when known: paths among its
    /// arguments are relative to that file's folder.
    pub file: Option<PathBuf>,
    /// The environment the stack is loaded with.
    pub environment: Option<String>,
}

/// Why one lookup of a batch found no single answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DataError {
    /// Nothing matched; the text says what was looked for.
    #[error("no {0} found")]
    NotFound(String),
    /// More than one object matched where one is expected.
    #[error("{count} {what} found where exactly one is expected")]
    TooMany {
        /// How many matched.
        count: usize,
        /// What was looked for.
        what: String,
    },
    /// The arguments cannot be sent as they are (or the call failed for
    /// this lookup alone).
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The lookup cannot be answered as asked; the hint says what to do.
    #[error("{message}")]
    Refused {
        /// What is wrong.
        message: String,
        /// What to do about it.
        hint: String,
    },
}

/// A data source type (`aws.ec2.availability_zones`, ...).
///
/// Implementations must be cheap to share and safe to call concurrently.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The type's schema: settable fields are its arguments, computed ones
    /// its attributes (its name is `schema().kind`).
    fn schema(&self) -> &KindSchema;

    /// Reads every lookup of `requests` (all in `region`), with as few
    /// calls as the API allows. Returns one result per request, in order:
    /// its attributes (`id` included), or why it found no single answer.
    /// `Err` fails the whole batch (retried when retryable).
    async fn read(
        &self,
        region: &str,
        requests: &[DataRequest],
    ) -> Result<Vec<Result<Attrs, DataError>>, ProviderError>;
}

/// What reading a stack's data sources found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataRead {
    /// The lookups read, by address, with their attributes.
    pub read: BTreeMap<Address, Attrs>,
    /// The lookups left for apply (their arguments are not known yet).
    pub deferred: BTreeSet<Address>,
}

/// Reads the data sources of `stack` and returns it with
/// [`Stack::data_values`] filled (the stack itself when it declares
/// none). Those already in `data_values` are not read again. Every lookup
/// that fails is reported, at its declaration.
pub async fn read_data(
    registry: &ProviderRegistry,
    stack: &Stack,
    retry: &RetryPolicy,
) -> Result<(Stack, DataRead), EngineError> {
    let mut out = DataRead::default();
    let mut stack = stack.clone();
    if stack.data.is_empty() {
        return Ok((stack, out));
    }
    // Resources are not visible to data sources (the loader refuses such
    // references), so nothing is known of them here.
    let resources = AttrValues::new();
    let mut results = AttrValues::new();
    let mut problems = Diagnostics::default();
    // Data sources an earlier round already read (see
    // [`crate::expand_with_data`]) are not read again.
    let mut pending: Vec<Instance> = stack
        .data
        .iter()
        .filter(|i| !stack.data_values.contains_key(&i.address.name))
        .cloned()
        .collect();
    loop {
        // The lookups whose arguments are known now, by type and region.
        let mut batches: BTreeMap<(String, String), Vec<(Instance, DataRequest)>> = BTreeMap::new();
        let mut waiting = Vec::new();
        for inst in pending {
            let args = match stack.evaluate_instance(&inst, &resources) {
                Ok(args) => args,
                Err(d) => {
                    problems.0.extend(d.0);
                    continue;
                }
            };
            if !args.values().all(Value::is_known) {
                waiting.push(inst);
                continue;
            }
            if let Err(failed) = check(&stack, &inst, &resources, None, When::Plan) {
                problems.push(at(&inst, failed));
                continue;
            }
            let request = DataRequest {
                address: inst.address.clone(),
                args,
                file: inst.pos.as_ref().map(|p| p.file.clone()),
                environment: stack.environment.clone(),
            };
            batches
                .entry((inst.kind.clone(), inst.region.clone()))
                .or_default()
                .push((inst, request));
        }
        pending = waiting;
        if batches.is_empty() {
            break;
        }
        let reads = batches
            .into_iter()
            .map(|((kind, region), batch)| async move {
                let result = match registry.data_source(&kind) {
                    None => Err(ProviderError::Invalid(format!(
                        "no data source type `{kind}` is registered"
                    ))),
                    Some(source) => {
                        let requests: Vec<DataRequest> =
                            batch.iter().map(|(_, r)| r.clone()).collect();
                        with_retry(retry, || source.read(&region, &requests), |_, _, _| {}).await
                    }
                };
                (kind, batch, result)
            });
        let mut just_read = Vec::new();
        for (kind, batch, result) in futures::future::join_all(reads).await {
            let found = match result {
                Ok(found) if found.len() == batch.len() => found,
                Ok(found) => {
                    for (inst, _) in &batch {
                        problems.push(at(
                            inst,
                            format!(
                                "{kind} answered {} lookups for {} asked",
                                found.len(),
                                batch.len()
                            ),
                        ));
                    }
                    continue;
                }
                Err(e) => {
                    for (inst, _) in &batch {
                        problems.push(at(inst, format!("reading {kind}: {e}")));
                    }
                    continue;
                }
            };
            let schema = registry.data_source(&kind).map(|s| s.schema().clone());
            for ((inst, _), found) in batch.into_iter().zip(found) {
                match found {
                    Ok(mut attrs) => {
                        if let Some(schema) = &schema {
                            mark_sensitive(schema, &mut attrs);
                        }
                        results.insert(inst.address.clone(), attrs.clone());
                        out.read.insert(inst.address.clone(), attrs);
                        just_read.push(inst);
                    }
                    Err(e) => {
                        let mut d = at(&inst, format!("{kind}: {e}"));
                        if let DataError::Refused { hint, .. } = e {
                            d.hint = Some(hint);
                        }
                        problems.push(d);
                    }
                }
            }
        }
        // Make this wave's results visible to the next one, then check
        // the postconditions of what was just read (they may read them).
        publish(&mut stack, &results);
        for inst in &just_read {
            if let Some(attrs) = out.read.get(&inst.address)
                && let Err(failed) = check(&stack, inst, &resources, Some(attrs), When::Plan)
            {
                problems.push(at(inst, failed));
            }
        }
    }
    for inst in &pending {
        out.deferred.insert(inst.address.clone());
    }
    if problems.is_empty() {
        // Now that the keys of map attributes are known.
        problems = stack.check_data_keys();
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(EngineError::Data(problems));
    }
    Ok((stack, out))
}

/// Sets the stack's data values from what was read, shaped like resource
/// values (`count` a list, `for_each` a map by key).
fn publish(stack: &mut Stack, results: &AttrValues) {
    let names: BTreeSet<String> = stack.data.iter().map(|i| i.address.name.clone()).collect();
    for name in names {
        if let Some(v) = results.resource(&name) {
            stack.data_values.insert(name, v);
        }
    }
}

/// A problem of a data source, at its declaration.
fn at(inst: &Instance, message: String) -> Diagnostic {
    let message = format!(
        "{}: {message}",
        forge_core::spec::data_address(&inst.address)
    );
    match &inst.pos {
        Some(p) => Diagnostic::at(SourcePos::from(p), message),
        None => Diagnostic::general(message),
    }
}

/// One data source of a plan, as shown to people and in the plan's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRead {
    /// Its address, without `data.`.
    pub address: Address,
    /// Its type.
    pub kind: String,
    /// What it read; `None` when it is read during apply.
    pub values: Option<Attrs>,
}

impl crate::plan::Plan {
    /// The data sources of the plan's configuration and what each read.
    pub fn data_reads(&self) -> Vec<PlannedRead> {
        self.config
            .data
            .iter()
            .map(|inst| {
                let whole = self.config.data_values.get(&inst.address.name);
                let one = match (&inst.address.key, whole) {
                    (None, v) => v,
                    (Some(forge_core::InstanceKey::Index(i)), Some(Value::List(l))) => l.get(*i),
                    (Some(forge_core::InstanceKey::Key(k)), Some(Value::Map(m))) => m.get(k),
                    _ => None,
                };
                PlannedRead {
                    address: inst.address.clone(),
                    kind: inst.kind.clone(),
                    values: match one {
                        Some(Value::Map(attrs)) => Some(attrs.clone()),
                        _ => None,
                    },
                }
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use forge_core::spec::{Config, SerdePos};
    use forge_core::{FieldSchema, FieldType};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Echoes `name` as `upper` (upper-cased); "none" finds nothing.
    struct Echo {
        schema: KindSchema,
        calls: AtomicUsize,
        batches: Mutex<Vec<usize>>,
    }

    #[async_trait]
    impl DataSource for Echo {
        fn schema(&self) -> &KindSchema {
            &self.schema
        }
        async fn read(
            &self,
            _region: &str,
            requests: &[DataRequest],
        ) -> Result<Vec<Result<Attrs, DataError>>, ProviderError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.batches.lock().unwrap().push(requests.len());
            Ok(requests
                .iter()
                .map(|r| {
                    let name = r.args.get("name").cloned().unwrap_or(Value::Null);
                    let Value::String(name) = name.unmarked() else {
                        return Err(DataError::NotFound("name".into()));
                    };
                    if name == "none" {
                        return Err(DataError::NotFound(format!("thing `{name}`")));
                    }
                    Ok(Attrs::from([
                        ("id".to_string(), Value::from(name.as_str())),
                        ("upper".to_string(), Value::from(name.to_uppercase())),
                    ]))
                })
                .collect())
        }
    }

    fn registry() -> (ProviderRegistry, Arc<Echo>) {
        let echo = Arc::new(Echo {
            schema: KindSchema::new(
                "test.echo",
                "echo",
                [
                    ("name", FieldSchema::required(FieldType::String)),
                    ("upper", FieldSchema::computed(FieldType::String)),
                ],
            ),
            calls: AtomicUsize::new(0),
            batches: Mutex::new(Vec::new()),
        });
        let mut r = ProviderRegistry::new();
        r.register_data_source(echo.clone());
        (r, echo)
    }

    use std::sync::Arc;

    fn lookup(name: &str, arg: Config, line: usize) -> Instance {
        let mut i =
            Instance::new(Address::single(name), "test.echo", "eu-west-1").with_field("name", arg);
        i.pos = Some(SerdePos {
            file: "main.yaml".into(),
            line,
            column: 3,
        });
        i
    }

    #[tokio::test]
    async fn lookups_are_read_in_waves_with_one_call_per_wave() {
        let (registry, echo) = registry();
        let mut stack = forge_testkit::stack("s", Vec::new());
        stack.data = vec![
            lookup("a", Config::literal("x"), 3),
            lookup("b", Config::literal("y"), 6),
            lookup("c", Config::template("${data.a.upper}-${data.b.upper}"), 9),
        ];
        let (read, found) = read_data(&registry, &stack, &RetryPolicy::default())
            .await
            .unwrap();
        assert_eq!(*echo.batches.lock().unwrap(), [2, 1]);
        assert_eq!(
            read.data_values["c"].get("upper"),
            Some(&Value::from("X-Y"))
        );
        assert_eq!(found.read.len(), 3);
        assert!(found.deferred.is_empty());
    }

    #[tokio::test]
    async fn a_lookup_with_unknown_arguments_is_deferred_and_nothing_found_is_positioned() {
        let (registry, _) = registry();
        let mut stack = forge_testkit::stack("s", Vec::new());
        stack.vars.insert("secret".into(), Value::Unknown);
        stack.data = vec![
            lookup("later", Config::template("${vars.secret}"), 3),
            lookup("ok", Config::literal("z"), 6),
        ];
        let (read, found) = read_data(&registry, &stack, &RetryPolicy::default())
            .await
            .unwrap();
        assert!(found.deferred.contains(&Address::single("later")));
        assert!(!read.data_values.contains_key("later"));

        stack
            .data
            .push(lookup("missing", Config::literal("none"), 9));
        let err = read_data(&registry, &stack, &RetryPolicy::default())
            .await
            .unwrap_err();
        insta::assert_snapshot!(err.to_string());
    }
}
