//! Reading another stack's outputs from its local state, directly and as
//! the `forge.stack_outputs` data source (S3 is covered end to end).

use super::data_source::{self, TYPE};
use super::*;
use crate::state::{LocalBackend, OutputState, ResourceState, VersionToken};
use crate::{ProviderRegistry, RetryPolicy, read_data};
use forge_core::Address;
use forge_core::spec::LoadOptions;
use std::path::PathBuf;

/// A repository with `network` (applied: its state holds a resource and
/// two outputs, one sensitive) and `fresh` (never applied).
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    async fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        for name in ["network", "fresh", "app"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        let spec = |name: &str| {
            format!(
                "stack: {name}\nregion: us-east-1\nenvironments: {{dev: {{}}, prod: {{}}}}\noutputs:\n  vpc_id: vpc-1\n"
            )
        };
        std::fs::write(dir.path().join("network/main.yaml"), spec("network")).unwrap();
        std::fs::write(dir.path().join("fresh/main.yaml"), spec("fresh")).unwrap();
        let mut state = State::new("network", Some("dev".into()));
        state.resources.push(ResourceState::new(
            Address::single("vpc"),
            "aws.ec2.vpc",
            "us-east-1",
        ));
        state.outputs.insert(
            "vpc_id".into(),
            OutputState {
                value: serde_json::json!("vpc-0abc"),
                sensitive: false,
            },
        );
        state.outputs.insert(
            "db_password".into(),
            OutputState {
                value: serde_json::json!("hunter2"),
                sensitive: true,
            },
        );
        LocalBackend::for_stack(&dir.path().join("network"), "network", Some("dev"), None)
            .write(&state, &VersionToken::absent())
            .await
            .unwrap();
        Repo { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn registry(&self) -> ProviderRegistry {
        let mut registry = ProviderRegistry::new();
        data_source::register(
            &mut registry,
            BackendRegistry::new(),
            LoadOptions::default(),
        );
        registry
    }

    /// Loads `app` with `data` as its data section, in `dev`, and reads it.
    async fn read_app(&self, data: &str) -> Result<Stack, String> {
        self.read_app_with(data, "").await
    }

    /// [`Repo::read_app`] with `rest` after the data section.
    async fn read_app_with(&self, data: &str, rest: &str) -> Result<Stack, String> {
        std::fs::write(
            self.path("app/main.yaml"),
            format!(
                "stack: app\nregion: us-east-1\nenvironments: {{dev: {{}}}}\ndata:\n{data}{rest}"
            ),
        )
        .unwrap();
        let registry = self.registry();
        let opts = LoadOptions {
            environment: Some("dev".into()),
            ..LoadOptions::default()
        };
        let stack =
            load_stack(&self.path("app"), &opts, &registry.schemas()).map_err(|d| d.to_string())?;
        read_data(&registry, &stack, &RetryPolicy::default())
            .await
            .map(|(stack, _)| stack)
            .map_err(|e| {
                let root = format!("{}/", self.dir.path().display());
                e.to_string().replace(&root, "")
            })
    }
}

#[tokio::test]
async fn the_reader_reads_outputs_and_tells_a_stack_never_applied() {
    let repo = Repo::new().await;
    let reader = StackOutputsReader::new(
        BackendRegistry::new(),
        SchemaRegistry::new(),
        LoadOptions::default(),
    );
    let read = reader
        .read_blocking(&repo.path("network"), Some("dev"))
        .unwrap();
    let StackOutputs::Applied { outputs, location } = read else {
        panic!("{read:?}")
    };
    assert_eq!(outputs["vpc_id"], Value::from("vpc-0abc"));
    assert!(outputs["db_password"].is_sensitive());
    assert!(location.ends_with("network-dev.json"), "{location}");

    let read = reader.read_blocking(&repo.path("fresh"), Some("dev"));
    assert!(
        matches!(&read, Ok(StackOutputs::NotApplied { location }) if location.ends_with("fresh-dev.json")),
        "{read:?}"
    );
}

#[tokio::test]
async fn the_data_source_reads_another_stacks_outputs_sensitive_ones_masked() {
    let repo = Repo::new().await;
    let stack = repo
        .read_app("  net: {type: forge.stack_outputs, stack: ../network}\n")
        .await
        .unwrap();
    let outputs = stack.data_values["net"].get("outputs").unwrap().clone();
    assert_eq!(outputs.get("vpc_id"), Some(&Value::from("vpc-0abc")));
    assert!(outputs.get("db_password").unwrap().is_sensitive());

    // The same state, named directly.
    let stack = repo
        .read_app(
            "  net:\n    type: forge.stack_outputs\n    state: {backend: local, path: ../network/.forge/state/network-dev.json}\n",
        )
        .await
        .unwrap();
    let outputs = stack.data_values["net"].get("outputs").unwrap().clone();
    assert_eq!(outputs.get("vpc_id"), Some(&Value::from("vpc-0abc")));
}

#[tokio::test]
async fn a_stack_not_applied_or_out_of_reach_is_an_error_at_the_data_source() {
    let repo = Repo::new().await;
    let errors = [
        repo.read_app("  net: {type: forge.stack_outputs, stack: ../fresh}\n")
            .await,
        repo.read_app("  net: {type: forge.stack_outputs, stack: ../network, environment: prod}\n")
            .await,
        repo.read_app("  net: {type: forge.stack_outputs, stack: ../nowhere}\n")
            .await,
        repo.read_app("  net: {type: forge.stack_outputs, stack: ../../..}\n")
            .await,
        repo.read_app("  net: {type: forge.stack_outputs}\n").await,
        repo.read_app("  net: {type: forge.stack_outputs, state: {backend: local}}\n")
            .await,
    ]
    .map(|r| r.err().unwrap_or_else(|| panic!("expected an error")));
    // The root's own path differs per run.
    let root = repo.dir.path().canonicalize().unwrap();
    let shown = errors
        .join("\n\n")
        .replace(&format!("{}", root.display()), "ROOT");
    let shown = stable(&shown);
    insta::assert_snapshot!(shown);
    assert_eq!(TYPE, "forge.stack_outputs");
}

#[tokio::test]
async fn an_output_the_other_stack_lacks_is_an_error_at_the_reference() {
    let repo = Repo::new().await;
    let err = repo
        .read_app_with(
            "  net: {type: forge.stack_outputs, stack: ../network}\n",
            "locals:\n  vpc: \"${data.net.outputs.vpc_idd}\"\noutputs:\n  subnet: '${data.net.outputs[\"subnet\"]}'\n  ok: \"${data.net.outputs.vpc_id}\"\n",
        )
        .await
        .unwrap_err();
    insta::assert_snapshot!(err);
}

/// The folder above the temporary root differs per run too: the "leads
/// outside" message names it.
fn stable(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("(to /") {
            Some(i) if l.contains("leads outside") => format!("{}(to OUTSIDE)", &l[..i]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Inside a module, `data.NAME` is the module's own lookup: a key its map
/// lacks is an error at the module's file, as at the stack's top level.
#[tokio::test]
async fn an_output_missing_inside_a_module_is_an_error_in_the_modules_file() {
    let repo = Repo::new().await;
    std::fs::create_dir_all(repo.path("app/modules/use")).unwrap();
    std::fs::write(
        repo.path("app/modules/use/main.yaml"),
        "data:\n  net: {type: forge.stack_outputs, stack: ../../../network}\noutputs:\n  vpc: \"${data.net.outputs.vpc_idd}\"\n",
    )
    .unwrap();
    let err = repo
        .read_app_with(
            "  net: {type: forge.stack_outputs, stack: ../network}\n",
            "modules:\n  use: {source: ./modules/use}\n",
        )
        .await
        .unwrap_err();
    insta::assert_snapshot!(err);
}

/// When a `for_each` reads a data source, the stack is loaded again with
/// what was read: a key missing there is reported by that load.
#[tokio::test]
async fn an_output_missing_in_a_load_after_reading_is_an_error_at_the_reference() {
    let repo = Repo::new().await;
    std::fs::write(
        repo.path("app/main.yaml"),
        "stack: app\nregion: us-east-1\nenvironments: {dev: {}}\ndata:\n  net: {type: forge.stack_outputs, stack: ../network}\noutputs:\n  each: \"${[for k, v in data.net.outputs : k]}\"\n  bad: \"${data.net.outputs.vpc_idd}\"\nmodules:\n  per_output:\n    source: ./modules/none\n    for_each: \"${toset(keys(data.net.outputs))}\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(repo.path("app/modules/none")).unwrap();
    std::fs::write(repo.path("app/modules/none/main.yaml"), "outputs: {}\n").unwrap();
    let registry = repo.registry();
    let opts = LoadOptions {
        environment: Some("dev".into()),
        ..LoadOptions::default()
    };
    let first = load_stack(&repo.path("app"), &opts, &registry.schemas()).unwrap();
    assert_eq!(first.awaiting_data, ["per_output"]);
    let reload = |pass| {
        let opts = LoadOptions {
            data: Some(pass),
            ..opts.clone()
        };
        load_stack(&repo.path("app"), &opts, &registry.schemas())
    };
    let err = crate::expand_with_data(&registry, first, &RetryPolicy::default(), reload)
        .await
        .unwrap_err()
        .to_string()
        .replace(&format!("{}/", repo.dir.path().display()), "");
    insta::assert_snapshot!(err);
}
