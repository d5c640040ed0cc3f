//! A small HTTP/1.1 server on loopback for the connectors' emulators (feature `emulator`):
//! the plumbing every emulator needs once (bind, accept, read the whole request, answer or
//! drop the connection), so an emulator only writes its API.
//!
//! It is a hyper server rather than wiremock because an emulator must be able to drop the
//! connection after applying a write (a lost answer), which wiremock cannot do.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// One request, read whole.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, e.g. `"GET"`.
    pub method: String,
    /// The path's segments, percent-decoded, empty ones left out.
    pub segments: Vec<String>,
    /// The query's pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The `Authorization` header, if readable.
    pub authorization: Option<String>,
    /// The raw query string (for links that repeat it).
    pub raw_query: String,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The last value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Headers besides `content-type` (always JSON).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What the server does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Answer it.
    Answer(Response),
    /// Close the connection without answering (an applied write whose answer is lost).
    Drop,
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

/// Binds a free loopback port and serves every request with `handler` until the returned
/// task is aborted; aborting it drops every connection.
pub async fn serve<F, Fut>(handler: F) -> (SocketAddr, JoinHandle<()>)
where
    F: Fn(Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free loopback port");
    let address = listener.local_addr().expect("a bound address");
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of descriptors, say: back off a little instead of spinning.
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            };
            let handler = handler.clone();
            connections.spawn(async move {
                let service = service_fn(move |request: hyper::Request<Incoming>| {
                    let handler = handler.clone();
                    async move {
                        let request = read_request(request).await?;
                        match handler(request).await {
                            Outcome::Drop => Err(DropConnection),
                            Outcome::Answer(answer) => Ok(to_hyper(answer)),
                        }
                    }
                });
                // A connection ends with an error when a fault drops it: nothing to report.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
            while connections.try_join_next().is_some() {}
        }
    });
    (address, task)
}

fn to_hyper(answer: Response) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder()
        .status(answer.status)
        .header("content-type", "application/json; charset=utf-8");
    for (name, value) in &answer.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Full::new(Bytes::from(answer.body)))
        .expect("a valid status and headers")
}

async fn read_request(request: hyper::Request<Incoming>) -> Result<Request, DropConnection> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|_| DropConnection)?
        .to_bytes()
        .to_vec();
    let segments = parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let query = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let authorization = parts
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(Request {
        method: parts.method.as_str().to_owned(),
        segments,
        query,
        authorization,
        raw_query,
        body,
    })
}

/// Decodes `%XX` escapes in one path segment (`+` stays a plus, as in paths).
///
/// ```
/// use hris_sync_http::loopback::percent_decode;
/// assert_eq!(percent_decode("A%2F9"), "A/9");
/// assert_eq!(percent_decode("%E5%B1%B1"), "山");
/// assert_eq!(percent_decode("a+b%"), "a+b%");
/// assert_eq!(percent_decode("%4"), "%4");
/// ```
pub fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
