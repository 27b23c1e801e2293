//! File functions: `file`, `filebase64`, `fileexists`, `fileset`,
//! `templatefile`.
//!
//! A relative path is read from the folder of the spec file that holds the
//! expression (not the current directory), and every path must stay inside
//! the stack's root (its git work tree), as includes must, unless the user
//! allowed files outside it. The evaluator records both for the duration
//! of one evaluation ([`with_files`]); hcl-rs functions are plain function
//! pointers and cannot carry them. An expression evaluated without a spec
//! file (an embedder's bare evaluation) cannot read files.

use super::{map, string};
use crate::expr::budget;
use crate::spec::root::Confinement;
use base64::Engine as _;
use hcl::Value as H;
use hcl::eval::FuncArgs;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Where file functions read: the folder of the spec file that holds the
/// expression, and whether files must stay inside its repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Files<'a> {
    /// The folder relative paths start from.
    pub dir: &'a Path,
    /// Whether every file must be inside the repository (the enclosing
    /// git work tree of `dir`, else `dir`): false only when the user
    /// allowed files outside it.
    pub confined: bool,
}

#[derive(Clone)]
struct Owned {
    dir: PathBuf,
    confined: bool,
}

thread_local! {
    static FILES: RefCell<Option<Owned>> = const { RefCell::new(None) };
}

static OUTSIDE_ALLOWED: AtomicBool = AtomicBool::new(false);

/// Allows file functions evaluated at plan time to read outside the
/// repository (what `--allow-outside-root` does at load time; the CLI
/// sets both). `FORGE_ALLOW_OUTSIDE_ROOT=1` in the environment does the
/// same.
pub fn allow_files_outside_root(allow: bool) {
    OUTSIDE_ALLOWED.store(allow, Ordering::Relaxed);
}

/// Whether file functions evaluated at plan time may read outside the
/// repository.
pub fn files_outside_root_allowed() -> bool {
    OUTSIDE_ALLOWED.load(Ordering::Relaxed)
        || std::env::var("FORGE_ALLOW_OUTSIDE_ROOT").is_ok_and(|v| v == "1" || v == "true")
}

/// Runs `f` with file functions reading from `files`.
pub(crate) fn with_files<R>(files: Option<Files<'_>>, f: impl FnOnce() -> R) -> R {
    let owned = files.map(|fl| Owned {
        dir: fl.dir.to_path_buf(),
        confined: fl.confined,
    });
    let previous = FILES.with(|c| c.replace(owned));
    let out = f();
    FILES.with(|c| *c.borrow_mut() = previous);
    out
}

/// Files larger than this are refused (a spec reads policies and
/// templates, not disk images).
const MAX_FILE_BYTES: u64 = 16 << 20;

/// The path a spec names, resolved and checked against the root.
fn resolve(path: &str) -> Result<PathBuf, String> {
    let files = FILES.with(|c| c.borrow().clone()).ok_or_else(|| {
        "file functions are only available in expressions of a spec file".to_string()
    })?;
    let full = files.dir.join(path);
    if files.confined
        && let Err(outside) = Confinement::for_stack(&files.dir, false).check(&full)
    {
        return Err(format!(
            "{path:?} is outside the stack's repository ({}); {}",
            outside.root.display(),
            "pass --allow-outside-root (or set FORGE_ALLOW_OUTSIDE_ROOT=1) if it is meant to be read"
        ));
    }
    Ok(full)
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    let full = resolve(path)?;
    let meta = std::fs::metadata(&full).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("no file {path:?} (looked for {})", full.display()),
        _ => format!("cannot read {path:?}: {e}"),
    })?;
    if meta.is_dir() {
        return Err(format!("{path:?} is a folder, not a file"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{path:?} is larger than {} MB",
            MAX_FILE_BYTES >> 20
        ));
    }
    budget::charge(meta.len() / 64)?;
    std::fs::read(&full).map_err(|e| format!("cannot read {path:?}: {e}"))
}

fn read_text(path: &str) -> Result<String, String> {
    String::from_utf8(read(path)?)
        .map_err(|_| format!("{path:?} is not valid UTF-8 text; use filebase64() for binary files"))
}

pub(super) fn file(a: FuncArgs) -> Result<H, String> {
    Ok(H::from(read_text(&string(&a, 0)?)?))
}

pub(super) fn filebase64(a: FuncArgs) -> Result<H, String> {
    let bytes = read(&string(&a, 0)?)?;
    Ok(H::from(
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

pub(super) fn fileexists(a: FuncArgs) -> Result<H, String> {
    let path = string(&a, 0)?;
    let full = resolve(&path)?;
    match std::fs::metadata(&full) {
        Ok(m) if m.is_file() => Ok(H::Bool(true)),
        Ok(_) => Err(format!("{path:?} is not a regular file, but a folder")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(H::Bool(false)),
        Err(e) => Err(format!("cannot stat {path:?}: {e}")),
    }
}

/// Glob matching with `*` (within a path segment), `**` (any number of
/// segments), `?`, `[class]` and `{a,b}`.
fn glob_match(pattern: &[char], text: &[char]) -> Result<bool, String> {
    match pattern.first() {
        None => Ok(text.is_empty()),
        Some('*') if pattern.get(1) == Some(&'*') => {
            // `**/` matches zero or more whole segments; a bare `**` anything.
            let rest = &pattern[2..];
            let rest = rest.strip_prefix(&['/']).unwrap_or(rest);
            for i in 0..=text.len() {
                if (i == 0 || text[i - 1] == '/') && glob_match(rest, &text[i..])? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Some('*') => {
            for i in 0..=text.len() {
                if glob_match(&pattern[1..], &text[i..])? {
                    return Ok(true);
                }
                if i < text.len() && text[i] == '/' {
                    break;
                }
            }
            Ok(false)
        }
        Some('?') => {
            Ok(matches!(text.first(), Some(c) if *c != '/')
                && glob_match(&pattern[1..], &text[1..])?)
        }
        Some('[') => {
            let close = pattern
                .iter()
                .skip(2)
                .position(|c| *c == ']')
                .map(|p| p + 2)
                .ok_or("syntax error in pattern (an unclosed `[`)")?;
            let class = &pattern[1..close];
            let (negate, class) = match class.first() {
                Some('^' | '!') => (true, &class[1..]),
                _ => (false, class),
            };
            let Some(&c) = text.first() else {
                return Ok(false);
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            Ok(hit != negate && c != '/' && glob_match(&pattern[close + 1..], &text[1..])?)
        }
        Some('{') => {
            let close = pattern
                .iter()
                .position(|c| *c == '}')
                .ok_or("syntax error in pattern (an unclosed `{`)")?;
            let rest = &pattern[close + 1..];
            for alt in pattern[1..close].split(|c| *c == ',') {
                let mut p = alt.to_vec();
                p.extend_from_slice(rest);
                if glob_match(&p, text)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Some('\\') => match pattern.get(1) {
            Some(&lit) => Ok(text.first() == Some(&lit) && glob_match(&pattern[2..], &text[1..])?),
            None => Err("syntax error in pattern (a trailing `\\`)".into()),
        },
        Some(&lit) => Ok(text.first() == Some(&lit) && glob_match(&pattern[1..], &text[1..])?),
    }
}

/// Every file under `dir`, as `/`-separated paths relative to it.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            budget::charge(1)?;
            walk(&entry.path(), &rel, out)?;
        } else if kind.is_file() || (kind.is_symlink() && entry.path().is_file()) {
            budget::charge(1)?;
            out.push(rel);
        }
    }
    Ok(())
}

pub(super) fn fileset(a: FuncArgs) -> Result<H, String> {
    let (base, pattern) = (string(&a, 0)?, string(&a, 1)?);
    let dir = resolve(&base)?;
    let pat: Vec<char> = pattern.chars().collect();
    // Check the pattern's syntax even when there is nothing to match.
    glob_match(&pat, &[]).map_err(|e| format!("failed to glob pattern {pattern:?}: {e}"))?;
    let mut all = Vec::new();
    walk(&dir, "", &mut all)?;
    let mut out = Vec::new();
    for rel in all {
        let chars: Vec<char> = rel.chars().collect();
        if glob_match(&pat, &chars)
            .map_err(|e| format!("failed to glob pattern {pattern:?}: {e}"))?
        {
            out.push(rel);
        }
    }
    out.sort();
    Ok(H::Array(out.into_iter().map(H::from).collect()))
}

thread_local! {
    static IN_TEMPLATE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

pub(super) fn templatefile(a: FuncArgs) -> Result<H, String> {
    if IN_TEMPLATE.get() {
        return Err("cannot call templatefile() from inside a template it renders".into());
    }
    let path = string(&a, 0)?;
    let vars = map(&a, 1)?;
    let text = read_text(&path)?;
    let mut template = <hcl::Template as std::str::FromStr>::from_str(&text)
        .map_err(|e| format!("{path:?} is not a valid template: {e}"))?;
    budget::instrument_template(&mut template, false);
    let mut ctx = hcl::eval::Context::new();
    super::declare_all(&mut ctx);
    budget::declare(&mut ctx);
    for (k, v) in vars {
        if !is_identifier(k) {
            return Err(format!(
                "argument 2: {k:?} is not a valid variable name for a template"
            ));
        }
        ctx.declare_var(k.as_str(), v.clone());
    }
    IN_TEMPLATE.set(true);
    let out = hcl::eval::Evaluate::evaluate(&template, &ctx);
    IN_TEMPLATE.set(false);
    out.map(H::String).map_err(|e| {
        let e = e.to_string();
        format!("rendering {path:?}: {e}")
    })
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_in, eval_in};

    // Cases from Terraform's filesystem function tests
    // (internal/lang/funcs/filesystem_test.go), over the same fixture
    // files (testdata/hello.txt, hello.tmpl, list.tmpl, func.tmpl,
    // bare.tmpl, recursive.tmpl, icon-like binary data).
    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let td = dir.path().join("testdata");
        let write = |name: &str, body: &[u8]| {
            std::fs::create_dir_all(td.join(name).parent().unwrap_or(&td))
                .and_then(|()| std::fs::write(td.join(name), body))
                .unwrap_or_else(|e| panic!("{e}"));
        };
        write("hello.txt", b"Hello World");
        write("hello.tmpl", b"Hello, ${name}!");
        write("list.tmpl", b"%{ for x in list ~}\n- ${x}\n%{ endfor ~}\n");
        write("func.tmpl", b"The items are ${join(\", \", list)}");
        write("bare.tmpl", b"${val}");
        write("recursive.tmpl", b"${templatefile(\"recursive.tmpl\", {})}");
        write("binary.bin", &[0xff, 0xfe, 0x00, 0x01]);
        write("sub/deep.txt", b"deep");
        dir
    }

    #[test]
    fn file_and_fileexists() {
        let dir = fixture();
        check_in(
            dir.path(),
            &[
                (r#"file("testdata/hello.txt")"#, r#""Hello World""#),
                (r#"file("./testdata/hello.txt")"#, r#""Hello World""#),
                (r#"file("testdata/missing")"#, "ERR"),
                (r#"file("testdata/binary.bin")"#, "ERR"),
                (r#"file("testdata")"#, "ERR"),
                (
                    r#"filebase64("testdata/hello.txt")"#,
                    r#""SGVsbG8gV29ybGQ=""#,
                ),
                (r#"filebase64("testdata/binary.bin")"#, r#""//4AAQ==""#),
                (r#"filebase64("testdata/missing")"#, "ERR"),
                (r#"fileexists("testdata/hello.txt")"#, "true"),
                (r#"fileexists("testdata/missing")"#, "false"),
                (r#"fileexists("testdata")"#, "ERR"),
                (r#"file("../../../../../../../../etc/hostname")"#, "ERR"),
            ],
        );
        let e = eval_in(dir.path(), r#"file("testdata/missing")"#)
            .err()
            .map(|e| e.message);
        assert!(e.as_deref().is_some_and(|m| m.contains("no file")), "{e:?}");
    }

    #[test]
    fn fileset() {
        let dir = fixture();
        check_in(
            dir.path(),
            &[
                (r#"fileset(".", "testdata*")"#, "[]"),
                (r#"fileset(".", "testdata")"#, "[]"),
                (r#"fileset(".", "{testdata,missing}")"#, "[]"),
                (r#"fileset(".", "testdata/missing")"#, "[]"),
                (r#"fileset(".", "testdata/missing*")"#, "[]"),
                (r#"fileset(".", "*/missing")"#, "[]"),
                (r#"fileset(".", "**/missing")"#, "[]"),
                (
                    r#"fileset(".", "testdata/*.txt")"#,
                    r#"["testdata/hello.txt"]"#,
                ),
                (
                    r#"fileset(".", "testdata/hello.txt")"#,
                    r#"["testdata/hello.txt"]"#,
                ),
                (
                    r#"fileset(".", "testdata/hello.???")"#,
                    r#"["testdata/hello.txt"]"#,
                ),
                (
                    r#"fileset(".", "testdata/hello*")"#,
                    r#"["testdata/hello.tmpl","testdata/hello.txt"]"#,
                ),
                (
                    r#"fileset(".", "testdata/hello.{tmpl,txt}")"#,
                    r#"["testdata/hello.tmpl","testdata/hello.txt"]"#,
                ),
                (
                    r#"fileset(".", "*/hello.txt")"#,
                    r#"["testdata/hello.txt"]"#,
                ),
                (r#"fileset(".", "*/*.txt")"#, r#"["testdata/hello.txt"]"#),
                (
                    r#"fileset(".", "*/hello*")"#,
                    r#"["testdata/hello.tmpl","testdata/hello.txt"]"#,
                ),
                (
                    r#"fileset(".", "**/hello*")"#,
                    r#"["testdata/hello.tmpl","testdata/hello.txt"]"#,
                ),
                (
                    r#"fileset(".", "**/hello.{tmpl,txt}")"#,
                    r#"["testdata/hello.tmpl","testdata/hello.txt"]"#,
                ),
                (
                    r#"fileset(".", "**/*.txt")"#,
                    r#"["testdata/hello.txt","testdata/sub/deep.txt"]"#,
                ),
                (r#"fileset(".", "[")"#, "ERR"),
                (r#"fileset(".", "\\")"#, "ERR"),
                (r#"fileset("testdata", "missing")"#, "[]"),
                (r#"fileset("testdata", "missing*")"#, "[]"),
                (r#"fileset("testdata", "*.txt")"#, r#"["hello.txt"]"#),
                (r#"fileset("testdata", "hello.txt")"#, r#"["hello.txt"]"#),
                (r#"fileset("testdata", "hello.???")"#, r#"["hello.txt"]"#),
                (
                    r#"fileset("testdata", "hello*")"#,
                    r#"["hello.tmpl","hello.txt"]"#,
                ),
            ],
        );
    }

    #[test]
    fn templatefile() {
        let dir = fixture();
        check_in(
            dir.path(),
            &[
                (
                    r#"templatefile("testdata/hello.tmpl", {name = "Jodie"})"#,
                    r#""Hello, Jodie!""#,
                ),
                (
                    r#"templatefile("testdata/hello.tmpl", {name = "Jimbo"})"#,
                    r#""Hello, Jimbo!""#,
                ),
                (
                    r#"templatefile("testdata/hello.txt", {})"#,
                    r#""Hello World""#,
                ),
                (
                    r#"templatefile("testdata/list.tmpl", {list = ["a", "b", "c"]})"#,
                    r#""- a\n- b\n- c\n""#,
                ),
                (
                    r#"templatefile("testdata/func.tmpl", {list = ["a", "b", "c"]})"#,
                    r#""The items are a, b, c""#,
                ),
                (
                    r#"templatefile("testdata/bare.tmpl", {val = "x"})"#,
                    r#""x""#,
                ),
                (r#"templatefile("testdata/hello.tmpl", {})"#, "ERR"),
                (r#"templatefile("testdata/missing", {})"#, "ERR"),
                (
                    r#"templatefile("testdata/list.tmpl", {list = "not a list"})"#,
                    "ERR",
                ),
                (r#"templatefile("testdata/recursive.tmpl", {})"#, "ERR"),
                (
                    r#"templatefile("testdata/hello.tmpl", {"not valid" = "x"})"#,
                    "ERR",
                ),
            ],
        );
    }

    #[test]
    fn without_a_spec_file_files_cannot_be_read() {
        let e = super::super::testing::eval(r#"file("x")"#)
            .err()
            .map(|e| e.message);
        assert!(
            e.as_deref().is_some_and(|m| m.contains("only available")),
            "{e:?}"
        );
    }
}
