//! Command-line arguments (clap).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

/// forge: infrastructure as code for AWS, without Terraform.
#[derive(Debug, Parser)]
#[command(name = "forge", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Disable colour (also: NO_COLOR, or when output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Let specs include (read) files outside the stack's repository root
    /// (the enclosing git work tree, else the stack folder).
    #[arg(
        long,
        global = true,
        env = "FORGE_ALLOW_OUTSIDE_ROOT",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_outside_root: bool,
    /// Ask on the terminal (default true). forge never asks for variable values; `-input=false` also
    /// turns the confirmation prompt into an error (pass --auto-approve), as Terraform's.
    #[arg(long, global = true, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub input: bool,
}

/// Which stack, environment and variables to load.
#[derive(Debug, Args, Clone)]
pub struct StackArgs {
    /// The stack: a folder of YAML files, or one YAML file.
    #[arg(default_value = ".")]
    pub stack: PathBuf,
    /// Environment to load (`environments:` overlay).
    #[arg(short = 'e', long = "env")]
    pub env: Option<String>,
    /// Set a variable (repeatable): `--var name=value`.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a YAML/JSON file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Override the stack's region.
    #[arg(long)]
    pub region: Option<String>,
}

/// Locking options.
#[derive(Debug, Args, Clone)]
pub struct LockArgs {
    /// Take the state lock (default true); `--lock=false` skips it.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub lock: bool,
    /// Wait this long for a held lock (e.g. `30s`, `5m`) instead of failing at once.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub lock_timeout: Option<std::time::Duration>,
}

/// What a plan is made of (`forge plan`, `forge apply STACK`): Terraform's
/// `-refresh=false`, `-replace ADDR` and `-target ADDR` (docs/ci.md).
#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// Refresh from the cloud first (default true); `-refresh=false` plans from the state alone.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,
    /// Replace this resource even if nothing forces it (repeatable). `-replace ADDR` works too.
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<forge_core::Address>,
    /// Plan only this resource and what it depends on (repeatable; a partial plan). `-target ADDR` works too.
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<forge_core::Address>,
}

impl PlanArgs {
    /// The engine's plan options for these flags.
    pub fn options(&self) -> forge_engine::PlanOptions {
        forge_engine::PlanOptions {
            refresh: self.refresh,
            replace: self.replace.iter().cloned().collect(),
            target: self.target.iter().cloned().collect(),
            ..forge_engine::PlanOptions::default()
        }
    }

    /// Whether any flag differs from a plain plan (refused with a saved plan).
    pub fn is_set(&self) -> bool {
        !self.refresh || !self.replace.is_empty() || !self.target.is_empty()
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a stack: syntax, schemas, references, expressions, cycles.
    Validate {
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Print the dependency graph (DOT or Mermaid).
    Graph {
        #[command(flatten)]
        stack: StackArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Show what apply would change.
    Plan {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        lock: LockArgs,
        #[command(flatten)]
        planning: PlanArgs,
        /// Save the plan to FILE (`forge apply FILE` applies exactly it). `-out FILE` works too.
        #[arg(long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
        /// The JSON to print: `forge` (the default) or `terraform` (Terraform's plan representation, for checkov, conftest, cost tools; implies `--json`; docs/terraform.md).
        #[arg(long, value_enum, value_name = "FORMAT")]
        json_format: Option<JsonFormat>,
        /// Exit 0 = no changes, 2 = changes, 1 = error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// `human` (the default) or `markdown` (a pull-request comment; docs/ci.md).
        #[arg(long, value_enum, default_value_t = PlanFormat::Human, conflicts_with_all = ["json", "json_format"])]
        format: PlanFormat,
        /// Plan destroying everything.
        #[arg(long)]
        destroy: bool,
        /// Write the spec of import blocks whose address is not declared yet to FILE, from the live objects.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["out", "json", "destroy"])]
        generate_spec: Option<PathBuf>,
        #[command(flatten)]
        all: RunAllArgs,
    },
    /// Apply a stack (plans first and asks), or a saved plan file.
    Apply {
        /// A stack folder/file, or a plan file saved with `plan -out` (recognized by its content).
        #[command(flatten)]
        stack: StackArgs,
        /// After a saved plan: the stack it was made for (refused if it is another one).
        #[arg(value_name = "STACK")]
        plan_stack: Option<PathBuf>,
        /// Destroy everything instead, like `forge destroy`; with a saved plan, only a destroy plan is accepted. `-destroy` works too.
        #[arg(long)]
        destroy: bool,
        #[command(flatten)]
        lock: LockArgs,
        #[command(flatten)]
        planning: PlanArgs,
        #[command(flatten)]
        run: RunArgs,
        #[command(flatten)]
        all: RunAllArgs,
    },
    /// Destroy everything the stack's state holds.
    Destroy {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        lock: LockArgs,
        #[command(flatten)]
        run: RunArgs,
        #[command(flatten)]
        all: RunAllArgs,
    },
    /// List the stacks under a folder: environments, dependencies, run order (levels).
    Stacks(StacksArgs),
    /// Print outputs.
    Output {
        #[command(flatten)]
        stack: StackArgs,
        /// Only this output (printed raw, sensitive or not).
        name: Option<String>,
        /// JSON.
        #[arg(long)]
        json: bool,
    },
    /// Inspect and edit state.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// Remove a stale lock (only when you are sure no forge is running).
    ForceUnlock {
        /// The lock id printed by the error.
        lock_id: String,
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Compare the live cloud with the state and the spec, read-only (exit 0 = no drift, 2 = drift, 1 = error).
    Drift(DriftArgs),
    /// Record an existing object in the state as the spec's resource ADDR, changing nothing in the cloud (`forge import ADDR ID [STACK] -e ENV`).
    Import {
        /// The resource's address in the spec (`vpc`, `subnet[0]`, `sg["web"]`).
        address: String,
        /// The object's id as AWS names it (vpc-..., an ARN, a name; see docs/import.md).
        id: String,
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Record the live cloud in the state (accept drift), after a preview and confirmation.
    Refresh {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        lock: LockArgs,
        /// Don't ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Show a plan saved with `plan -out`: for people by default, or as JSON.
    Show {
        /// The saved plan.
        plan: PathBuf,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
        /// The JSON to print: `forge` (the default) or `terraform` (Terraform's plan representation; implies `--json`).
        #[arg(long, value_enum, value_name = "FORMAT")]
        json_format: Option<JsonFormat>,
        /// `human` (the default) or `markdown` (a pull-request comment; docs/ci.md).
        #[arg(long, value_enum, default_value_t = PlanFormat::Human, conflicts_with_all = ["json", "json_format"])]
        format: PlanFormat,
    },
    /// Take over what another tool manages: `forge migrate terraform SOURCE`.
    Migrate {
        #[command(subcommand)]
        from: MigrateFrom,
    },
    /// Print the JSON Schema of the spec format (for editors).
    Schema {
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Rewrite spec files in the canonical layout (docs/spec-language.md, "Formatting").
    Fmt {
        /// Spec files or folders (searched recursively; default: the current folder).
        paths: Vec<PathBuf>,
        /// Change nothing: list the files that are not laid out and exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Manage the modules a stack uses (`modules update`).
    Modules {
        #[command(subcommand)]
        action: ModulesAction,
    },
    /// List the functions available in `${ ... }` expressions.
    Functions {
        /// Print JSON: name, signature, argument counts, description.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate expressions against the stack, its environment and its state (like `terraform console`).
    Console {
        #[command(flatten)]
        stack: StackArgs,
        /// Evaluate this expression and exit (repeatable); without it, expressions are read from stdin, one per line.
        #[arg(long, value_name = "EXPR")]
        expr: Vec<String>,
        /// Print each value as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `forge drift` arguments.
#[derive(Debug, Args, Clone)]
pub struct DriftArgs {
    /// Stacks to check: stack folders or files, or folders whose subfolders are stacks.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Environment to check (`environments:` overlay).
    #[arg(short = 'e', long = "env", conflicts_with = "all_envs")]
    pub env: Option<String>,
    /// Check every environment each stack declares.
    #[arg(long)]
    pub all_envs: bool,
    /// Check every stack under the folders, at any depth (as `forge plan DIR --all` finds them), in one table.
    #[arg(long)]
    pub all: bool,
    /// Set a variable (repeatable): `--var name=value`.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a YAML/JSON file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Override the stacks' region.
    #[arg(long)]
    pub region: Option<String>,
    /// Print the report as JSON (state-schema/drift-report.v1.schema.json).
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// How many stacks to check at once.
    #[arg(long, default_value_t = 4)]
    pub parallelism: usize,
    /// Skip the search for untracked resources tagged with the stack (saves one Describe per kind).
    #[arg(long)]
    pub no_orphans: bool,
}

/// Running every stack under a folder (`forge plan|apply|destroy DIR --all`).
#[derive(Debug, Args, Clone)]
pub struct RunAllArgs {
    /// Run every stack under the folder, in dependency order (destroy: reverse order).
    #[arg(long)]
    pub all: bool,
    /// With --all: every environment each stack declares.
    #[arg(long, requires = "all", conflicts_with = "env")]
    pub all_envs: bool,
    /// With --all: how many stacks run at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub parallelism_stacks: usize,
}

/// `forge stacks` arguments.
#[derive(Debug, Args, Clone)]
pub struct StacksArgs {
    /// The folder of stacks.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Only the stacks whose files changed since GIT_REF (`git diff --name-only`), and those depending on them.
    #[arg(long, value_name = "GIT_REF")]
    pub changed_since: Option<String>,
    /// Print JSON (for a CI matrix).
    #[arg(long)]
    pub json: bool,
}

/// Options of commands that change things.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Don't ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// How many operations may run at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    /// Print a JSON event stream on stdout, one object a line, instead of the human output (docs/ci.md). `-json` works too.
    #[arg(long)]
    pub json: bool,
}

/// `forge state ...`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List resource addresses in state.
    List {
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Show one resource's recorded attributes.
    Show {
        /// Address, e.g. `vpc` or `subnet["a"]`.
        address: String,
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Forget a resource (it keeps existing in AWS).
    Rm {
        /// Address.
        address: String,
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Rename a resource's address in state.
    Mv {
        /// From address.
        from: String,
        /// To address.
        to: String,
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Create (or bring in line) an S3 bucket for state: versioning,
    /// encryption, public access blocked, TLS-only policy.
    Bootstrap {
        /// The bucket.
        #[arg(long)]
        bucket: String,
        /// Its region (default: AWS_REGION, else us-east-1).
        #[arg(long)]
        region: Option<String>,
        /// SSE-KMS key for default encryption (SSE-S3 without it).
        #[arg(long)]
        kms_key_id: Option<String>,
    },
    /// Copy the state between the local file and the stack's `state:` backend, under both locks.
    Migrate {
        #[command(flatten)]
        stack: StackArgs,
        /// Where the state goes: `s3` (from the local file to the `state:`
        /// block's bucket) or `local` (from the bucket to the local file).
        #[arg(long, value_enum, required_unless_present = "from_local")]
        to: Option<MigrateTarget>,
        /// Same as `--to s3`: copy the local file into the configured backend.
        #[arg(long, conflicts_with = "to")]
        from_local: bool,
    },
    /// Write a saved state file (e.g. an emergency file) to the stack's backend.
    Push {
        /// The state file.
        file: PathBuf,
        #[command(flatten)]
        stack: StackArgs,
        /// Allow another lineage or a lower serial than the stored state's.
        #[arg(long)]
        force: bool,
    },
    /// Print the stored state as JSON.
    Pull {
        #[command(flatten)]
        stack: StackArgs,
    },
}

/// Where `forge state migrate` copies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MigrateTarget {
    /// The S3 backend of the stack's `state:` block.
    S3,
    /// The local state file under `.forge/state/`.
    Local,
}

/// What `forge migrate` reads.
#[derive(Debug, Subcommand)]
pub enum MigrateFrom {
    /// Map a Terraform state (version 4) to a forge stack and state, reading the Terraform state only (docs/terraform.md).
    Terraform(MigrateTerraformArgs),
}

/// `forge migrate terraform` arguments.
#[derive(Debug, Args, Clone)]
pub struct MigrateTerraformArgs {
    /// A `terraform.tfstate` file, an S3 backend object `s3://BUCKET/KEY`, or a Terragrunt tree (a folder of units with `terragrunt.hcl`).
    pub source: String,
    /// Where the stack goes (one sub-folder per Terragrunt unit).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// The stack's name (default: the output folder's name; with Terragrunt, the unit's path).
    #[arg(long = "stack-name")]
    pub stack_name: Option<String>,
    /// The region of the objects (default: read from their ARNs), and of the S3 state object.
    #[arg(long)]
    pub region: Option<String>,
}

/// The JSON forms of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JsonFormat {
    /// forge's own plan JSON (docs/engine.md).
    Forge,
    /// Terraform's JSON plan representation (docs/terraform.md).
    Terraform,
}

/// Graph output formats.
/// How `forge plan` and `forge show` print a plan when not as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// For a terminal, as Terraform prints it.
    Human,
    /// GitHub-flavoured markdown for a pull-request comment.
    Markdown,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// Rewrites Terraform's single-dash long options (`-out FILE`, `-out=FILE`,
/// `-auto-approve`, `-detailed-exitcode`, `-destroy`, `-refresh=false`, `-replace ADDR`, `-target ADDR`,
/// `-var NAME=VALUE`, `-var-file FILE`, `-lock-timeout 30s`, `-input=false`, `-json`, `-no-color`) to clap's
/// double-dash form so muscle memory and existing CI scripts keep working.
pub fn terraform_style_args(args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    const LONG: [&str; 15] = [
        "out",
        "auto-approve",
        "detailed-exitcode",
        "json",
        "lock",
        "parallelism",
        "destroy",
        "refresh",
        "replace",
        "target",
        "var",
        "var-file",
        "lock-timeout",
        "input",
        "no-color",
    ];
    args.map(|arg| {
        let Some(text) = arg.to_str() else { return arg };
        if let Some(rest) = text.strip_prefix('-').filter(|r| !r.starts_with('-')) {
            let name = rest.split('=').next().unwrap_or(rest);
            if LONG.contains(&name) {
                return OsString::from(format!("--{rest}"));
            }
        }
        arg
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_and_replace_parse_in_terraform_spelling() {
        use clap::Parser;
        let args = [
            "forge",
            "plan",
            "stack",
            "-refresh=false",
            "-replace",
            "db",
            "-replace=web[\"a\"]",
            "-target",
            "app",
        ]
        .into_iter()
        .map(OsString::from);
        let cli = Cli::try_parse_from(terraform_style_args(args)).expect("parses");
        let Command::Plan { planning, .. } = cli.command else {
            panic!("not a plan: {cli:?}");
        };
        assert!(!planning.refresh);
        let replace: Vec<String> = planning.replace.iter().map(|a| a.to_string()).collect();
        assert_eq!(replace, ["db", "web[\"a\"]"]);
        assert!(planning.is_set());
        let options = planning.options();
        assert!(!options.refresh);
        assert_eq!(options.replace.len(), 2);
        assert_eq!(options.target.len(), 1);
    }

    #[test]
    fn terraform_single_dash_options_are_accepted() {
        let args = [
            "forge",
            "plan",
            "-out",
            "p.json",
            "-out=q.json",
            "-e",
            "dev",
            "-detailed-exitcode",
            "-destroy",
        ]
        .into_iter()
        .map(OsString::from);
        let fixed: Vec<String> = terraform_style_args(args)
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            fixed,
            [
                "forge",
                "plan",
                "--out",
                "p.json",
                "--out=q.json",
                "-e",
                "dev",
                "--detailed-exitcode",
                "--destroy"
            ]
        );
    }

    #[test]
    fn the_spellings_ci_scripts_use_parse() {
        use clap::Parser;
        let parse = |args: &[&str]| {
            Cli::try_parse_from(terraform_style_args(args.iter().map(OsString::from)))
                .unwrap_or_else(|e| panic!("{args:?}: {e}"))
        };
        let cli = parse(&[
            "forge",
            "apply",
            "stack",
            "-input=false",
            "-var",
            "a=1",
            "-var=b=2",
            "-var-file",
            "one.yaml",
            "-var-file=two.yaml",
            "-lock-timeout=30s",
            "-json",
            "-auto-approve",
            "-no-color",
        ]);
        assert!(!cli.global.input);
        assert!(cli.global.no_color);
        let Command::Apply {
            stack, lock, run, ..
        } = cli.command
        else {
            panic!("not an apply");
        };
        assert_eq!(stack.vars, ["a=1", "b=2"]);
        assert_eq!(
            stack.var_files,
            [PathBuf::from("one.yaml"), PathBuf::from("two.yaml")]
        );
        assert_eq!(lock.lock_timeout, Some(std::time::Duration::from_secs(30)));
        assert!(run.json && run.auto_approve);
        let cli = parse(&[
            "forge",
            "plan",
            "stack",
            "-destroy",
            "-lock-timeout",
            "5m",
            "-input=false",
            "-lock=false",
        ]);
        let Command::Plan { destroy, lock, .. } = cli.command else {
            panic!("not a plan");
        };
        assert!(destroy && !lock.lock);
        assert_eq!(lock.lock_timeout, Some(std::time::Duration::from_secs(300)));
        // Without the flag, prompts stay allowed.
        assert!(parse(&["forge", "plan"]).global.input);
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

/// `forge modules` subcommands.
#[derive(Debug, Subcommand)]
pub enum ModulesAction {
    /// Re-resolve the ref of every git module source (nested ones too) and
    /// rewrite `.forge-modules.lock` with the commits they name now.
    Update {
        #[command(flatten)]
        stack: StackArgs,
    },
}
