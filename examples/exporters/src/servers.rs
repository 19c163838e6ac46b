//! The network side: a minimal HTTP/1.1 server (`/metrics`, the miners' `/cgi-bin/*.cgi` pages)
//! and cgminer's API port (one request per connection, reply ending in NUL, then close). Every
//! connection gets its own thread, with read/write timeouts, a deadline for the whole request and
//! a cap on connections at once, so a slow or hostile client can neither hang a server nor
//! exhaust the process. What to answer comes from hcp.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hcpcore::sim::telemetry::cgminer;

use crate::sim::Sim;

const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a client may take to send its whole request (a trickle of bytes cannot hold a
/// connection open longer).
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections handled at once per server; more are closed straight away.
const MAX_CONNECTIONS: usize = 64;
/// The longest HTTP request head read.
const MAX_HTTP_HEAD_BYTES: usize = 8192;

/// Accepts connections forever, each handled on its own thread by `handle`.
pub fn accept_loop(listener: TcpListener, handle: impl Fn(TcpStream) + Send + Sync + 'static) {
    let handle = Arc::new(handle);
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            let _ = stream.shutdown(Shutdown::Both);
            continue;
        }
        let (handle, open2) = (Arc::clone(&handle), Arc::clone(&open));
        let spawned = std::thread::Builder::new().name("conn".into()).spawn(move || {
            let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
            let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
            handle(stream);
            open2.fetch_sub(1, Ordering::AcqRel);
        });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Reads until `done(received)`, or the peer stops sending (EOF, a read timeout, the request
/// deadline), or more than `limit` bytes came.
fn read_request(stream: &mut TcpStream, limit: usize, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 2048];
    let start = Instant::now();
    while buf.len() <= limit && !done(&buf) {
        let Some(left) = REQUEST_DEADLINE.checked_sub(start.elapsed()).filter(|d| !d.is_zero()) else {
            break;
        };
        let _ = stream.set_read_timeout(Some(left.min(READ_TIMEOUT)));
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    buf
}

/// One cgminer API connection of miner `device`.
pub fn serve_cgminer(mut stream: TcpStream, sim: &Sim, device: i64) {
    let request = read_request(&mut stream, cgminer::MAX_REQUEST_BYTES, cgminer::is_complete);
    if request.iter().all(u8::is_ascii_whitespace) {
        // Nothing asked (a port scan, or a client that gave up): cgminer closes too.
        let _ = stream.shutdown(Shutdown::Both);
        return;
    }
    let reply = sim.fleet().cgminer_request(device, &request, now_unix());
    match reply {
        Ok(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Err(e) => eprintln!("hcp-exporters: miner {device}: {e}"),
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn http_response(stream: &mut TcpStream, status: &str, content_type: &str, extra: &str, body: &str, head_only: bool) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if !head_only {
        let _ = stream.write_all(body.as_bytes());
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

/// The exposition format Prometheus asks for (text 0.0.4).
pub const EXPOSITION_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// JSON pages.
pub const JSON_TYPE: &str = "application/json";

/// What a server answers for a path: content type and body, or `None` (404).
pub type Route<'a> = &'a dyn Fn(&str) -> Option<(&'static str, String)>;

/// One HTTP connection: `GET`/`HEAD` of a path `route` knows answers 200 with its body; other
/// paths 404, other methods 405, a malformed or oversized request 400 / 431.
pub fn serve_http(mut stream: TcpStream, route: Route<'_>) {
    let head_end = |b: &[u8]| b.windows(4).any(|w| w == b"\r\n\r\n") || b.windows(2).any(|w| w == b"\n\n");
    let request = read_request(&mut stream, MAX_HTTP_HEAD_BYTES, head_end);
    if request.is_empty() {
        return;
    }
    let text = "text/plain; charset=utf-8";
    if !head_end(&request) {
        let (status, body) = if request.len() > MAX_HTTP_HEAD_BYTES {
            ("431 Request Header Fields Too Large", "request head too large\n")
        } else {
            ("400 Bad Request", "incomplete request\n")
        };
        return http_response(&mut stream, status, text, "", body, false);
    }
    let line = request.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end().split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return http_response(&mut stream, "400 Bad Request", text, "", "bad request line\n", false);
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return http_response(&mut stream, "400 Bad Request", text, "", "bad request line\n", false);
    }
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        let allow = "Allow: GET, HEAD\r\n";
        return http_response(&mut stream, "405 Method Not Allowed", text, allow, "only GET and HEAD\n", false);
    }
    let path = target.split('?').next().unwrap_or(target);
    match route(path) {
        Some((content_type, body)) => http_response(&mut stream, "200 OK", content_type, "", &body, head_only),
        None => http_response(&mut stream, "404 Not Found", text, "", "not found\n", head_only),
    }
}
