//! The proxy's accept loop and per-connection request handling.

use super::action::{InjectedError, classify, error_response};
use super::http::{BodyKind, Head, dechunk, read_body, read_head};
use super::{Fault, Shared};
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

pub(crate) async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    // A broken client connection only ends that connection.
                    let _ = handle(stream, shared).await;
                });
            }
        }
    }
}

/// Serves one client connection (keep-alive: many requests in turn).
async fn handle(stream: TcpStream, shared: Arc<Shared>) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    loop {
        let Some(mut head) = read_head(&mut rd).await? else {
            return Ok(());
        };
        let kind = head.request_body()?;
        if head
            .get("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        {
            // Answer the interim response ourselves; the emulator then gets a
            // plain request.
            wr.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
            head.remove("expect");
        }
        let body = read_body(&mut rd, kind).await?;
        let call = classify(&head, &dechunk(&body, kind));
        let decision = shared.decide(&call.key);
        if let Some(latency) = decision.latency {
            tokio::time::sleep(latency).await;
        }
        match decision.fault {
            Some(Fault::Throttle) => {
                let resp =
                    error_response(call.protocol, InjectedError::Throttle, decision.request_id);
                wr.write_all(&resp).await?;
                continue;
            }
            Some(Fault::Internal) => {
                let resp =
                    error_response(call.protocol, InjectedError::Internal, decision.request_id);
                wr.write_all(&resp).await?;
                continue;
            }
            Some(Fault::Drop) => return Ok(()),
            Some(Fault::DropAfter | Fault::InternalAfter) | None => {}
        }
        let method = head.request_line().0.to_string();
        let response = match forward(&shared.upstream, head, &body, &method).await {
            Ok(r) => r,
            Err(e) => {
                let msg = format!("forge proxy: upstream error: {e}");
                let resp = format!(
                    "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{msg}",
                    msg.len()
                );
                wr.write_all(resp.as_bytes()).await?;
                return Ok(());
            }
        };
        match decision.fault {
            Some(Fault::DropAfter) => return Ok(()),
            Some(Fault::InternalAfter) => {
                // The emulator acted; the caller is told it failed.
                let resp =
                    error_response(call.protocol, InjectedError::Internal, decision.request_id);
                wr.write_all(&resp).await?;
            }
            _ => wr.write_all(&response).await?,
        }
    }
}

/// Sends one request to the emulator on a fresh connection (it closes every
/// connection anyway) and returns the complete response, re-framed so the
/// client connection can stay open.
async fn forward(upstream: &str, mut head: Head, body: &[u8], method: &str) -> io::Result<Vec<u8>> {
    let stream = TcpStream::connect(upstream).await?;
    let _ = stream.set_nodelay(true);
    let (rd, mut wr) = stream.into_split();
    head.set("Connection", "close");
    let mut request = head.to_bytes();
    request.extend_from_slice(body);
    wr.write_all(&request).await?;
    let mut rd = BufReader::new(rd);
    let mut resp = read_head(&mut rd).await?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "emulator closed without answering",
        )
    })?;
    let kind = resp.response_body(method)?;
    let resp_body = read_body(&mut rd, kind).await?;
    if kind == BodyKind::UntilEof {
        resp.set("Content-Length", &resp_body.len().to_string());
    }
    resp.remove("connection");
    resp.remove("keep-alive");
    if let Some(rest) = resp.start_line.strip_prefix("HTTP/1.0") {
        resp.start_line = format!("HTTP/1.1{rest}");
    }
    let mut out = resp.to_bytes();
    out.extend_from_slice(&resp_body);
    Ok(out)
}
