//! Running the real `forge` binary from tests, and working copies of stacks.

use crate::emulator::repo_root;
use crate::error::HarnessError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A forge run taking longer than this is killed (a hang must fail the
/// test, not the CI job).
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// The same in a real-account run, where a NAT gateway, a load balancer
/// and an ECS rollout each take minutes.
const REAL_RUN_TIMEOUT: Duration = Duration::from_secs(2400);

fn run_timeout() -> Duration {
    static TIMEOUT: OnceLock<Duration> = OnceLock::new();
    *TIMEOUT.get_or_init(|| match crate::real_aws::Mode::from_env() {
        crate::real_aws::Mode::Real => REAL_RUN_TIMEOUT,
        _ => RUN_TIMEOUT,
    })
}

/// The target directory this test executable lives in (`<target>/<profile>`).
pub(crate) fn profile_dir() -> Option<PathBuf> {
    // <target>/<profile>/deps/<test-binary>
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    let profile = if deps.file_name().is_some_and(|n| n == "deps") {
        deps.parent()?
    } else {
        deps
    };
    Some(profile.to_path_buf())
}

/// Path of the `forge` binary: `$FORGE_BIN` if set, else
/// `<target>/<profile>/forge`, (re)built once per test process so it is
/// never stale.
pub fn forge_binary() -> Result<PathBuf, HarnessError> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    if let Some(bin) = std::env::var_os("FORGE_BIN") {
        return Ok(PathBuf::from(bin));
    }
    BIN.get_or_init(build_forge)
        .clone()
        .map_err(|stderr| HarnessError::Build {
            status: "failed".into(),
            stderr,
        })
}

fn build_forge() -> Result<PathBuf, String> {
    let profile_dir = profile_dir().ok_or("cannot locate the test executable's target dir")?;
    let target_dir = profile_dir
        .parent()
        .ok_or("test executable is not under a target dir")?
        .to_path_buf();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    // Built the way `cargo test --workspace` resolves features (all members,
    // dev-dependencies on): a `-p forge-cli` build unifies features
    // differently (e.g. tokio without test-util) and would compile the whole
    // AWS SDK a second time. If another crate's tests do not compile right
    // now, fall back to building just the binary.
    let attempts: [&[&str]; 2] = [
        &["build", "--workspace", "--bins", "--tests"],
        &["build", "-p", "forge-cli", "--bin", "forge"],
    ];
    let mut failures = String::new();
    for args in attempts {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(args)
            .current_dir(repo_root())
            .env("CARGO_TARGET_DIR", &target_dir)
            .stdin(Stdio::null());
        if release {
            cmd.arg("--release");
        }
        let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
        if out.status.success() {
            let bin = profile_dir.join(format!("forge{}", std::env::consts::EXE_SUFFIX));
            return if bin.exists() {
                Ok(bin)
            } else {
                Err(format!("built, but {} does not exist", bin.display()))
            };
        }
        failures.push_str(&format!(
            "$ cargo {} ({})\n{}\n",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Err(failures)
}

/// The outcome of one forge run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl RunOutput {
    /// The exit code (`None` if killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics with the full transcript unless forge exited with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code(), Some(code), "expected exit code {code}\n{self}");
        self
    }

    /// Panics with the full transcript unless forge exited 0.
    #[track_caller]
    pub fn expect_success(&self) -> &Self {
        self.expect_code(0)
    }
}

impl fmt::Display for RunOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ {}\n(exit: {}, {:.1}s)\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.status,
            self.elapsed.as_secs_f64(),
            self.stdout,
            self.stderr
        )
    }
}

/// Runs forge with a fixed environment (the emulator's or a proxy's).
#[derive(Debug, Clone)]
pub struct Forge {
    pub bin: PathBuf,
    pub env: Vec<(String, String)>,
}

/// Variables of the caller's environment that must not leak into forge
/// (they would point it at a real account or another endpoint).
pub(crate) const SCRUBBED: &[&str] = &[
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

impl Forge {
    /// A runner for the forge binary with `env` (e.g. [`crate::Emulator::env`]).
    pub fn new(env: Vec<(String, String)>) -> Result<Forge, HarnessError> {
        Ok(Forge {
            bin: forge_binary()?,
            env,
        })
    }

    /// Runs `forge ARGS` in `cwd` and waits (killing it after a timeout).
    pub fn run(&self, cwd: &Path, args: &[&str]) -> Result<RunOutput, HarnessError> {
        self.spawn(cwd, args, &[])?.wait()
    }

    /// Starts `forge ARGS` in `cwd` with `extra` environment variables,
    /// without waiting (to signal it while it runs).
    pub fn spawn(
        &self,
        cwd: &Path,
        args: &[&str],
        extra: &[(&str, &str)],
    ) -> Result<Running, HarnessError> {
        let io = |what: String| move |source| HarnessError::Io { what, source };
        let outdir = tempfile::tempdir().map_err(io("forge output tempdir".into()))?;
        let out_path = outdir.path().join("stdout");
        let err_path = outdir.path().join("stderr");
        let stdout = std::fs::File::create(&out_path).map_err(io("create stdout file".into()))?;
        let stderr = std::fs::File::create(&err_path).map_err(io("create stderr file".into()))?;
        let command = format!("forge {}", args.join(" "));
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .env("NO_COLOR", "1")
            .env("FORGE_NO_PROGRESS", "1");
        for var in SCRUBBED {
            cmd.env_remove(var);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let start = Instant::now();
        let child = cmd.spawn().map_err(|source| HarnessError::Spawn {
            what: format!("{} ({command})", self.bin.display()),
            source,
        })?;
        Ok(Running {
            child,
            command,
            start,
            outdir,
        })
    }
}

/// A forge process started with [`Forge::spawn`].
pub struct Running {
    child: std::process::Child,
    command: String,
    start: Instant,
    outdir: tempfile::TempDir,
}

impl Running {
    /// Sends `signal` (`INT`, `TERM`) with the system's `kill`.
    pub fn signal(&self, signal: &str) -> Result<(), HarnessError> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .map_err(|source| HarnessError::Spawn {
                what: format!("kill -{signal}"),
                source,
            })?;
        if status.success() {
            Ok(())
        } else {
            Err(HarnessError::Io {
                what: format!("kill -{signal} {} ({})", self.child.id(), self.command),
                source: std::io::Error::other(status.to_string()),
            })
        }
    }

    /// Whether it has exited.
    pub fn finished(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// What it has written to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        std::fs::read_to_string(self.outdir.path().join("stderr")).unwrap_or_default()
    }

    /// What it has written to stdout so far (the `--json` event stream).
    pub fn stdout_so_far(&self) -> String {
        std::fs::read_to_string(self.outdir.path().join("stdout")).unwrap_or_default()
    }

    /// Waits for it to exit (killing it after a timeout).
    pub fn wait(mut self) -> Result<RunOutput, HarnessError> {
        let io = |what: String| move |source| HarnessError::Io { what, source };
        let command = self.command.clone();
        let status = loop {
            match self
                .child
                .try_wait()
                .map_err(io(format!("wait for {command}")))?
            {
                Some(status) => break status,
                None if self.start.elapsed() > run_timeout() => {
                    let _ = self.child.kill();
                    break self.child.wait().map_err(io(format!("reap {command}")))?;
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        let elapsed = self.start.elapsed();
        Ok(RunOutput {
            command,
            status,
            stdout: std::fs::read_to_string(self.outdir.path().join("stdout")).unwrap_or_default(),
            stderr: std::fs::read_to_string(self.outdir.path().join("stderr")).unwrap_or_default(),
            elapsed,
        })
    }
}

/// A private working copy of a stack folder (without its `.forge/`), so a
/// test can edit it and keep its own local state.
pub struct StackCopy {
    dir: tempfile::TempDir,
}

impl StackCopy {
    /// Copies `src` (a stack folder) into a new temporary directory.
    pub fn of(src: &Path) -> Result<StackCopy, HarnessError> {
        let dir = tempfile::Builder::new()
            .prefix("forge-stack-")
            .tempdir()
            .map_err(|source| HarnessError::Io {
                what: "create stack tempdir".into(),
                source,
            })?;
        copy_dir(src, dir.path()).map_err(|source| HarnessError::Io {
            what: format!("copy {} to {}", src.display(), dir.path().display()),
            source,
        })?;
        Ok(StackCopy { dir })
    }

    /// A copy of `src` in a new directory under `parent` that is kept after
    /// the test (a real-account run keeps each stack with its state, so a
    /// cleanup can destroy what a failed test left).
    pub fn kept_in(src: &Path, parent: &Path) -> Result<StackCopy, HarnessError> {
        let io = |what: String| move |source| HarnessError::Io { what, source };
        std::fs::create_dir_all(parent).map_err(io(format!("create {}", parent.display())))?;
        let mut dir = tempfile::Builder::new()
            .prefix("stack-")
            .tempdir_in(parent)
            .map_err(io(format!(
                "create a stack directory in {}",
                parent.display()
            )))?;
        dir.disable_cleanup(true);
        copy_dir(src, dir.path()).map_err(io(format!(
            "copy {} to {}",
            src.display(),
            dir.path().display()
        )))?;
        Ok(StackCopy { dir })
    }

    /// An empty stack directory, for generated stacks.
    pub fn empty() -> Result<StackCopy, HarnessError> {
        let dir = tempfile::Builder::new()
            .prefix("forge-stack-")
            .tempdir()
            .map_err(|source| HarnessError::Io {
                what: "create stack tempdir".into(),
                source,
            })?;
        Ok(StackCopy { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The path as a string argument for forge.
    pub fn arg(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// Reads a file of the stack.
    pub fn read(&self, rel: &str) -> Result<String, HarnessError> {
        let path = self.dir.path().join(rel);
        std::fs::read_to_string(&path).map_err(|source| HarnessError::Io {
            what: format!("read {}", path.display()),
            source,
        })
    }

    /// Writes a file of the stack.
    pub fn write(&self, rel: &str, text: &str) -> Result<(), HarnessError> {
        let path = self.dir.path().join(rel);
        std::fs::write(&path, text).map_err(|source| HarnessError::Io {
            what: format!("write {}", path.display()),
            source,
        })
    }

    /// The stack's YAML files (relative paths), sorted.
    pub fn yaml_files(&self) -> Vec<String> {
        let mut files = Vec::new();
        collect_yaml(self.dir.path(), self.dir.path(), &mut files);
        files.sort();
        files
    }

    /// The value of the top-level `stack:` key, from whichever YAML file has it.
    pub fn stack_name(&self) -> Option<String> {
        self.yaml_files().iter().find_map(|rel| {
            let text = self.read(rel).ok()?;
            text.lines().find_map(|line| {
                let value = line.strip_prefix("stack:")?;
                let value = value.split(" #").next()?.trim().trim_matches(['"', '\'']);
                (!value.is_empty()).then(|| value.to_string())
            })
        })
    }
}

fn collect_yaml(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == ".forge") {
            continue;
        }
        if path.is_dir() {
            collect_yaml(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.display().to_string());
        }
    }
}

fn copy_dir(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".forge" {
            continue;
        }
        let from = entry.path();
        let to = dst.join(&name);
        if entry.file_type()?.is_dir() {
            copy_dir(&from, &to)?;
        } else {
            std::fs::copy(&from, &to)?;
        }
    }
    Ok(())
}

/// `examples/getting-started` in this repository.
pub fn getting_started_dir() -> PathBuf {
    repo_root().join("examples/getting-started")
}

impl StackCopy {
    /// A copy of getting-started's network only (its `stack.yaml`, without
    /// the app tier in `app.yaml`): for tests of the engine's robustness
    /// (kills, locks, state) whose checks count and look up the network's
    /// EC2 resources, and which need no more than the 16 of them.
    pub fn getting_started_network() -> Result<StackCopy, HarnessError> {
        let copy = StackCopy::of(&getting_started_dir())?;
        let app = copy.path().join("app.yaml");
        std::fs::remove_file(&app).map_err(|source| HarnessError::Io {
            what: format!("remove {}", app.display()),
            source,
        })?;
        Ok(copy)
    }
}

impl StackCopy {
    /// Replaces `from` (which must occur exactly once) with `to` in `rel`.
    /// Panics if the text is not there: the stack changed under the test.
    #[track_caller]
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel).unwrap_or_else(|e| panic!("{e}"));
        let n = text.matches(from).count();
        assert_eq!(n, 1, "{rel}: expected exactly one {from:?}, found {n}");
        self.write(rel, &text.replacen(from, to, 1))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}
