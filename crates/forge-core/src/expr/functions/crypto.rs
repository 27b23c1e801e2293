//! Hash functions (`md5`, `sha1`, `sha256`, `sha512`, and their Base64
//! forms) over a string's UTF-8 bytes, and `uuidv5`.

use super::string;
use base64::Engine as _;
use hcl::Value as H;
use hcl::eval::FuncArgs;
use sha2::Digest as _;

fn hex(bytes: &[u8]) -> H {
    H::from(hex::encode(bytes))
}

fn b64(bytes: &[u8]) -> H {
    H::from(base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub(super) fn md5(a: FuncArgs) -> Result<H, String> {
    use md5::Digest as _;
    Ok(hex(md5::Md5::digest(string(&a, 0)?.as_bytes()).as_slice()))
}

pub(super) fn sha1(a: FuncArgs) -> Result<H, String> {
    Ok(hex(sha1::Sha1::digest(string(&a, 0)?.as_bytes()).as_slice()))
}

pub(super) fn sha256(a: FuncArgs) -> Result<H, String> {
    Ok(hex(
        sha2::Sha256::digest(string(&a, 0)?.as_bytes()).as_slice()
    ))
}

pub(super) fn sha512(a: FuncArgs) -> Result<H, String> {
    Ok(hex(
        sha2::Sha512::digest(string(&a, 0)?.as_bytes()).as_slice()
    ))
}

pub(super) fn base64sha256(a: FuncArgs) -> Result<H, String> {
    Ok(b64(
        sha2::Sha256::digest(string(&a, 0)?.as_bytes()).as_slice()
    ))
}

pub(super) fn base64sha512(a: FuncArgs) -> Result<H, String> {
    Ok(b64(
        sha2::Sha512::digest(string(&a, 0)?.as_bytes()).as_slice()
    ))
}

/// A name-based UUID (RFC 4122 version 5: SHA-1 of namespace and name).
pub(super) fn uuidv5(a: FuncArgs) -> Result<H, String> {
    let ns = string(&a, 0)?;
    let namespace = match ns.as_str() {
        "dns" => uuid::Uuid::from_u128(0x6ba7b810_9dad_11d1_80b4_00c04fd430c8),
        "url" => uuid::Uuid::from_u128(0x6ba7b811_9dad_11d1_80b4_00c04fd430c8),
        "oid" => uuid::Uuid::from_u128(0x6ba7b812_9dad_11d1_80b4_00c04fd430c8),
        "x500" => uuid::Uuid::from_u128(0x6ba7b814_9dad_11d1_80b4_00c04fd430c8),
        other => uuid::Uuid::parse_str(other).map_err(|_| {
            format!(
                "argument 1 (namespace) must be \"dns\", \"url\", \"oid\", \"x500\" or a UUID, got {other:?}"
            )
        })?,
    };
    let name = string(&a, 1)?;
    let mut h = sha1::Sha1::new();
    h.update(namespace.as_bytes());
    h.update(name.as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_slice()[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Ok(H::from(
        uuid::Uuid::from_bytes(bytes).hyphenated().to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    // Cases from Terraform's crypto function tests
    // (internal/lang/funcs/crypto_test.go).

    #[test]
    fn hashes() {
        check(&[
            (r#"md5("tada")"#, r#""ce47d07243bb6eaf5e1322c81baf9bbf""#),
            (
                r#"md5("hello world")"#,
                r#""5eb63bbbe01eeed093cb22bb8f5acdc3""#,
            ),
            (r#"md5("")"#, r#""d41d8cd98f00b204e9800998ecf8427e""#),
            (
                r#"sha1("test")"#,
                r#""a94a8fe5ccb19ba61c4c0873d391e987982fbbd3""#,
            ),
            (
                r#"sha256("test")"#,
                r#""9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08""#,
            ),
            (
                r#"sha512("test")"#,
                r#""ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db27ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff""#,
            ),
            (
                r#"base64sha256("test")"#,
                r#""n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=""#,
            ),
            (
                r#"base64sha512("test")"#,
                r#""7iaw3Ur350mqGo7jwQrpkj9hiYB3Lkc/iBml1JQODbJ6wYX4oOHV+E+IvIh/1nsUNzLDBMxfqa2Ob1f1ACio/w==""#,
            ),
            (
                r#"sha256(1)"#,
                r#""6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b""#,
            ),
            (r#"sha256(["a"])"#, "ERR"),
        ]);
    }

    #[test]
    fn uuidv5() {
        check(&[
            (
                r#"uuidv5("dns", "tada")"#,
                r#""faa898db-9b9d-5b75-86a9-149e7bb8e3b8""#,
            ),
            (
                r#"uuidv5("url", "tada")"#,
                r#""2c1ff6b4-211f-577e-94de-d978b0caa16e""#,
            ),
            (
                r#"uuidv5("oid", "tada")"#,
                r#""61eeea26-5176-5288-87fc-232d6ed30d2f""#,
            ),
            (
                r#"uuidv5("x500", "tada")"#,
                r#""7e12415e-f7c9-57c3-9e43-52dc9950d264""#,
            ),
            (
                r#"uuidv5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "tada")"#,
                r#""faa898db-9b9d-5b75-86a9-149e7bb8e3b8""#,
            ),
            (r#"uuidv5("tada", "tada")"#, "ERR"),
        ]);
    }
}
