//! The stylesheet and the script, embedded in the binary: no build step, nothing from
//! another origin.

use axum::extract::Path;
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../assets/console.css");
const JS: &str = include_str!("../assets/console.js");

/// The URL of an asset under the console's base, with the crate version so a new release
/// is fetched anew.
pub(crate) fn url(base: &str, file: &str) -> String {
    format!("{base}/assets/{file}?v={}", env!("CARGO_PKG_VERSION"))
}

/// Serves `console.css` and `console.js` to anyone: they hold no data.
pub(crate) async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        body,
    )
        .into_response()
}
