//! Just enough HTTP/1.1 framing for the proxy: message heads, and bodies
//! delimited by Content-Length, chunked encoding (kept raw, forwarded as is)
//! or end of stream.

use std::io;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// Heads larger than this are refused (nothing AWS sends comes close).
const MAX_HEAD: usize = 1 << 20;

/// The start line and headers of a request or response.
#[derive(Debug, Clone)]
pub struct Head {
    pub start_line: String,
    pub headers: Vec<(String, String)>,
}

/// How the body following a head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Empty,
    Length(u64),
    Chunked,
    UntilEof,
}

impl Head {
    /// First value of a header, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn remove(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.headers.push((name.to_string(), value.to_string()));
    }

    /// Request method and target (`GET /path?q HTTP/1.1`).
    pub fn request_line(&self) -> (&str, &str) {
        let mut parts = self.start_line.split_whitespace();
        (parts.next().unwrap_or(""), parts.next().unwrap_or("/"))
    }

    /// Response status code (0 if unparsable).
    pub fn status(&self) -> u16 {
        self.start_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    fn is_chunked(&self) -> bool {
        self.get("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    fn content_length(&self) -> io::Result<Option<u64>> {
        match self.get("content-length") {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| invalid(format!("bad Content-Length {v:?}"))),
        }
    }

    /// How a request's body is delimited (requests never run to EOF).
    pub fn request_body(&self) -> io::Result<BodyKind> {
        if self.is_chunked() {
            return Ok(BodyKind::Chunked);
        }
        Ok(match self.content_length()? {
            Some(0) | None => BodyKind::Empty,
            Some(n) => BodyKind::Length(n),
        })
    }

    /// How a response's body is delimited, given the request's method.
    pub fn response_body(&self, request_method: &str) -> io::Result<BodyKind> {
        let status = self.status();
        if request_method.eq_ignore_ascii_case("HEAD")
            || (100..200).contains(&status)
            || status == 204
            || status == 304
        {
            return Ok(BodyKind::Empty);
        }
        if self.is_chunked() {
            return Ok(BodyKind::Chunked);
        }
        Ok(match self.content_length()? {
            Some(0) => BodyKind::Empty,
            Some(n) => BodyKind::Length(n),
            None => BodyKind::UntilEof,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(self.start_line.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (k, v) in &self.headers {
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Reads a message head. `Ok(None)` when the stream ends cleanly before a
/// new message starts (the peer closed an idle keep-alive connection).
pub async fn read_head<R: AsyncBufRead + Unpin>(r: &mut R) -> io::Result<Option<Head>> {
    let mut start_line = String::new();
    // Tolerate stray empty lines between messages (RFC 9112 2.2).
    loop {
        start_line.clear();
        if r.read_line(&mut start_line).await? == 0 {
            return Ok(None);
        }
        if !start_line.trim().is_empty() {
            break;
        }
    }
    let mut headers = Vec::new();
    let mut size = start_line.len();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Err(invalid("stream ended inside a message head".into()));
        }
        size += line.len();
        if size > MAX_HEAD {
            return Err(invalid("message head too large".into()));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("bad header line {line:?}")))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(Some(Head {
        start_line: start_line.trim_end_matches(['\r', '\n']).to_string(),
        headers,
    }))
}

/// Reads a body as raw bytes (chunked framing included, so it can be
/// forwarded unchanged).
pub async fn read_body<R: AsyncBufRead + Unpin>(r: &mut R, kind: BodyKind) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    match kind {
        BodyKind::Empty => {}
        BodyKind::Length(n) => {
            let n = usize::try_from(n).map_err(|_| invalid("body too large".into()))?;
            body.resize(n, 0);
            r.read_exact(&mut body).await?;
        }
        BodyKind::UntilEof => {
            r.read_to_end(&mut body).await?;
        }
        BodyKind::Chunked => loop {
            let mut line = String::new();
            if r.read_line(&mut line).await? == 0 {
                return Err(invalid("stream ended inside a chunked body".into()));
            }
            body.extend_from_slice(line.as_bytes());
            let size_text = line.trim().split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| invalid(format!("bad chunk size {size_text:?}")))?;
            if size == 0 {
                // Trailers, then the final empty line.
                loop {
                    let mut trailer = String::new();
                    if r.read_line(&mut trailer).await? == 0 {
                        break;
                    }
                    body.extend_from_slice(trailer.as_bytes());
                    if trailer.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size + 2, 0);
            r.read_exact(&mut body[start..]).await?;
        },
    }
    Ok(body)
}

/// The payload of a body read by [`read_body`], with chunked framing removed
/// (used only to look for `Action=` in query-protocol forms).
pub fn dechunk(raw: &[u8], kind: BodyKind) -> Vec<u8> {
    if kind != BodyKind::Chunked {
        return raw.to_vec();
    }
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(pos) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..pos]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        rest = &rest[pos + 2..];
        if size == 0 || rest.len() < size {
            break;
        }
        out.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or(&[]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_chunked_body_raw_and_dechunks() {
        let raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nAct=x\r\n3;ext\r\nabc\r\n0\r\n\r\nNEXT";
        let mut r = tokio::io::BufReader::new(&raw[..]);
        let head = read_head(&mut r).await.expect("io").expect("head");
        let kind = head.request_body().expect("kind");
        assert_eq!(kind, BodyKind::Chunked);
        let body = read_body(&mut r, kind).await.expect("body");
        assert_eq!(body, b"5\r\nAct=x\r\n3;ext\r\nabc\r\n0\r\n\r\n");
        assert_eq!(dechunk(&body, kind), b"Act=xabc");
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).await.expect("rest");
        assert_eq!(rest, b"NEXT");
    }

    #[tokio::test]
    async fn response_without_length_runs_to_eof_but_head_has_none() {
        let raw = b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\nhello";
        let mut r = tokio::io::BufReader::new(&raw[..]);
        let head = read_head(&mut r).await.expect("io").expect("head");
        assert_eq!(head.status(), 200);
        assert_eq!(head.response_body("GET").expect("kind"), BodyKind::UntilEof);
        assert_eq!(head.response_body("HEAD").expect("kind"), BodyKind::Empty);
        let body = read_body(&mut r, BodyKind::UntilEof).await.expect("body");
        assert_eq!(body, b"hello");
    }
}
