//! The local AWS emulator (moto server, patched by `scripts/moto_launcher.py`)
//! as a value owned by a test: started on a free loopback port, killed on drop.
//!
//! Every test that needs AWS starts its own [`Emulator`], so tests never share
//! cloud state and can run in parallel.

use crate::error::HarnessError;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the launcher may take to import moto and bind its port. Import
/// alone is ~1 s, but the machine is shared with compilers.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Line the launcher prints on stdout once its socket is listening.
const READY_PREFIX: &str = "FORGE_EMULATOR_LISTENING ";

/// A running moto server on `127.0.0.1:port`.
pub struct Emulator {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The port the server listens on.
    pub port: u16,
    child: Child,
    log: PathBuf,
    // Keeps the log file's directory alive for as long as the server runs.
    _log_dir: tempfile::TempDir,
}

/// The repository root (this crate lives in `<root>/tests`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest.to_path_buf())
}

/// Runs `scripts/emulator-venv` (installs moto if needed) and returns the
/// venv's python interpreter.
pub fn ensure_venv() -> Result<PathBuf, HarnessError> {
    let script = repo_root().join("scripts/emulator-venv");
    let out = Command::new(&script)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| HarnessError::Spawn {
            what: script.display().to_string(),
            source,
        })?;
    if !out.status.success() {
        return Err(HarnessError::Venv {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    let python = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if python.is_empty() {
        return Err(HarnessError::Venv {
            status: out.status.to_string(),
            stderr: "scripts/emulator-venv printed no interpreter path".into(),
        });
    }
    Ok(PathBuf::from(python))
}

impl Emulator {
    /// Ensures the venv, starts the launcher on a free port, waits until the
    /// server answers HTTP.
    ///
    /// `FORGE_EMULATOR_ARGS` (whitespace-separated) adds launcher arguments,
    /// e.g. `--verbose`, or `--skip-patch NAME` to see a test fail without
    /// a patch.
    pub fn start() -> Result<Emulator, HarnessError> {
        let extra = std::env::var("FORGE_EMULATOR_ARGS").unwrap_or_default();
        let extra: Vec<&str> = extra.split_whitespace().collect();
        Emulator::start_with_args(&extra)
    }

    /// [`Emulator::start`] with extra launcher arguments (e.g.
    /// `["--skip-patch", "patch_s3_conditional_writes_atomic"]` to show a
    /// test catches an unpatched gap).
    pub fn start_with_args(extra: &[&str]) -> Result<Emulator, HarnessError> {
        let python = ensure_venv()?;
        let launcher = repo_root().join("scripts/moto_launcher.py");
        let log_dir = tempfile::Builder::new()
            .prefix("forge-emulator-")
            .tempdir()
            .map_err(|source| HarnessError::Io {
                what: "create emulator log directory".into(),
                source,
            })?;
        let log = log_dir.path().join("moto.log");
        let log_file = std::fs::File::create(&log).map_err(|source| HarnessError::Io {
            what: format!("create {}", log.display()),
            source,
        })?;
        // Port 0: the launcher binds a free port itself and reports it, so two
        // tests can never race for the same port. stdin stays a pipe: the
        // launcher exits when it closes, i.e. when this process dies even
        // without running Drop (killed test binary).
        let mut child = Command::new(&python)
            .arg(&launcher)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .map_err(|source| HarnessError::Spawn {
                what: format!("{} {}", python.display(), launcher.display()),
                source,
            })?;

        let port = match wait_for_port(&mut child) {
            Ok(port) => port,
            Err(reason) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(HarnessError::Start {
                    reason,
                    log: read_log(&log),
                });
            }
        };
        let emulator = Emulator {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            child,
            log,
            _log_dir: log_dir,
        };
        emulator.wait_until_answering()?;
        Ok(emulator)
    }

    fn wait_until_answering(&self) -> Result<(), HarnessError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match http_request(self.port, "GET", "/moto-api/", "") {
                Ok((status, _)) if status < 500 => return Ok(()),
                Ok(_) | Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Ok((status, body)) => {
                    return Err(HarnessError::Start {
                        reason: format!("server answered HTTP {status}: {body}"),
                        log: self.log(),
                    });
                }
                Err(e) => {
                    return Err(HarnessError::Start {
                        reason: format!("server does not answer: {e}"),
                        log: self.log(),
                    });
                }
            }
        }
    }

    /// Environment for a process (forge) that must talk to this emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        aws_env(&self.endpoint)
    }

    /// An SDK configuration pointed at this emulator, for verifying what forge
    /// did independently of forge's own state.
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        sdk_config_for(&self.endpoint, region).await
    }

    /// An EC2 client for verification.
    pub async fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config(region).await)
    }

    /// An S3 client for verification (path-style: moto is on a bare IP).
    pub async fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        s3_client(&self.sdk_config(region).await)
    }

    /// Forgets every resource in every service (`POST /moto-api/reset`).
    pub fn reset(&self) -> Result<(), HarnessError> {
        let (status, body) =
            http_request(self.port, "POST", "/moto-api/reset", "").map_err(|source| {
                HarnessError::Io {
                    what: "POST /moto-api/reset".into(),
                    source,
                }
            })?;
        if status != 200 {
            return Err(HarnessError::Reset { status, body });
        }
        Ok(())
    }

    /// Sends an unsigned query-protocol call (`Action=...&...` form) to
    /// `service` (its SigV4 signing name, e.g. `elasticache`), for services
    /// the tests have no SDK crate for. moto routes by the credential scope
    /// and does not check signatures unless told to. Returns status and body.
    pub fn query(&self, service: &str, form: &str) -> Result<(u16, String), HarnessError> {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        http_request_with(
            self.port,
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", &auth),
            ],
            form,
        )
        .map_err(|source| HarnessError::Io {
            what: format!("{service} query {form}"),
            source,
        })
    }

    /// The server's log so far (stderr of the launcher), for failure messages.
    pub fn log(&self) -> String {
        read_log(&self.log)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Kill by our own child's pid and reap it so no zombie or stray server
        // outlives the test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment variables that point AWS tools at `endpoint` with dummy
/// credentials and nothing read from the user's own AWS configuration.
pub fn aws_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// An SDK configuration for `endpoint` with the same dummy credentials as
/// [`aws_env`], ignoring the calling user's environment and profiles. Three
/// attempts: moto answers unsupported calls with 500s, which the SDK
/// retries, and a failing verification should fail fast.
pub async fn sdk_config_for(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    let credentials =
        aws_sdk_ec2::config::Credentials::new("test", "test", None, None, "forge-e2e");
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// An S3 client using path-style addressing (bucket names cannot be
/// subdomains of 127.0.0.1).
pub fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

fn wait_for_port(child: &mut Child) -> Result<u16, String> {
    let Some(stdout) = child.stdout.take() else {
        return Err("launcher stdout not captured".into());
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(_) => {
                    if let Some(port) = line.trim().strip_prefix(READY_PREFIX) {
                        let _ = tx.send(port.parse::<u16>().ok());
                        // Keep draining so the launcher never blocks on a full pipe.
                        let _ = std::io::copy(&mut reader, &mut std::io::sink());
                        return;
                    }
                }
            }
        }
    });
    match rx.recv_timeout(START_TIMEOUT) {
        Ok(Some(port)) => Ok(port),
        Ok(None) => Err(match child.try_wait() {
            Ok(Some(status)) => format!("launcher exited ({status}) before listening"),
            _ => "launcher closed stdout without reporting its port".into(),
        }),
        Err(_) => Err(format!(
            "launcher did not report its port within {}s",
            START_TIMEOUT.as_secs()
        )),
    }
}

fn read_log(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    // The tail is what explains a failure; the head is import noise.
    let keep = 8000;
    if text.len() > keep {
        let mut start = text.len() - keep;
        while !text.is_char_boundary(start) {
            start += 1;
        }
        format!("...{}", &text[start..])
    } else {
        text
    }
}

/// A minimal blocking HTTP/1.1 request (moto closes every connection, so the
/// response ends at EOF). Returns status and body.
pub(crate) fn http_request(
    port: u16,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    http_request_with(port, method, path, &[("Content-Type", "text/plain")], body)
}

fn http_request_with(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    write!(
        stream,
        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not an HTTP response: {:.200}", text),
            )
        })?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}
