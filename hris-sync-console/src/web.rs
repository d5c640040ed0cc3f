//! What every request goes through: the CSRF token cookie and the security headers (one
//! middleware), the administrator check and the page context ([`Ctx`]), forms whose token
//! is checked before a handler sees them ([`PostForm`]), and error pages.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hris_sync_core::{Actor, ReportId};

use crate::console::{AppState, Connection};
use crate::i18n::{Lang, Texts};
use crate::pages::layout;

/// The cookie holding the CSRF token (double-submit: every form carries it back).
const TOKEN_COOKIE: &str = "hris_sync_console_csrf";
/// The form field carrying the token.
pub(crate) const TOKEN_FIELD: &str = "csrf";
/// The largest form accepted (a page of check boxes is a few kilobytes).
const MAX_FORM: usize = 256 * 1024;

/// The policy every response carries: nothing from another origin, no inline script or
/// style, no framing, forms post to this origin only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The request's CSRF token, put in the request by [`headers_and_token`].
#[derive(Clone, Debug)]
pub(crate) struct CsrfToken(pub(crate) String);

/// Gives every request a CSRF token (the cookie's, or a fresh one set on the response) and
/// every response the security headers.
pub(crate) async fn headers_and_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let base = base_path(request.uri(), request.extensions().get::<OriginalUri>());
    let (token, fresh) = match cookie_token(request.headers()) {
        Some(token) => (token, false),
        None => match fresh_token() {
            Ok(token) => (token, true),
            Err(error) => {
                tracing::error!(%error, "no randomness for a CSRF token");
                return (StatusCode::INTERNAL_SERVER_ERROR, "no randomness available")
                    .into_response();
            }
        },
    };
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if fresh {
        let path = if base.is_empty() { "/" } else { &base };
        let secure = if state.secure_cookies { "; Secure" } else { "" };
        let cookie =
            format!("{TOKEN_COOKIE}={token}; Path={path}; HttpOnly; SameSite=Strict{secure}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// 32 random bytes from the operating system, in hex.
fn fresh_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The token in the request's cookie, if it is one this console could have issued.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Compares without an early exit, so the time taken tells nothing about the token.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The path prefix the application mounted the console under ("" at the root).
fn base_path(uri: &Uri, original: Option<&OriginalUri>) -> String {
    let inner = uri.path();
    let full = original.map_or(inner, |original| original.0.path());
    let prefix = if inner == "/" {
        full.trim_end_matches('/')
    } else {
        full.strip_suffix(inner).unwrap_or("")
    };
    prefix.to_owned()
}

/// `path` (starting with '/') under the console's base. The dashboard under a prefix is the
/// prefix itself: a router nested at `/admin/sync` answers `/admin/sync`, not `/admin/sync/`.
pub(crate) fn url(base: &str, path: &str) -> String {
    if path == "/" && !base.is_empty() {
        base.to_owned()
    } else {
        format!("{base}{path}")
    }
}

/// What a screen needs about the request: an administrator, the language, where the
/// console is mounted, the CSRF token for its forms.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub(crate) actor: Actor,
    pub(crate) lang: Lang,
    pub(crate) base: String,
    pub(crate) token: String,
}

impl Ctx {
    pub(crate) fn t(&self) -> &'static Texts {
        self.lang.t()
    }

    /// A URL inside the console.
    pub(crate) fn url(&self, path: &str) -> String {
        url(&self.base, path)
    }

    /// A 303 to a URL inside the console: the answer to every successful POST.
    pub(crate) fn see_other(&self, path: &str) -> Response {
        Redirect::to(&self.url(path)).into_response()
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = Lang::from_headers(&parts.headers);
        let base = base_path(&parts.uri, parts.extensions.get::<OriginalUri>());
        let token = parts
            .extensions
            .get::<CsrfToken>()
            .map(|token| token.0.clone())
            .unwrap_or_default();
        match state.auth.actor(parts).await {
            Some(actor) if actor.is_administrator() => Ok(Ctx {
                actor,
                lang,
                base,
                token,
            }),
            other => {
                tracing::info!(
                    signed_in = other.is_some(),
                    path = %parts.uri.path(),
                    "console refused a request from a non-administrator"
                );
                Err(layout::bare(
                    lang,
                    &base,
                    StatusCode::FORBIDDEN,
                    lang.t().forbidden,
                    lang.t().forbidden_help,
                ))
            }
        }
    }
}

/// Form fields (repeated keys kept: check boxes), from a query string or a body.
#[derive(Debug, Default)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    pub(crate) fn parse(input: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(input)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The query of a request.
    pub(crate) fn query(uri: &Uri) -> Self {
        Self::parse(uri.query().unwrap_or("").as_bytes())
    }

    /// The first value of a field.
    pub(crate) fn get<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.all(name).next()
    }

    /// Every value of a field.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The fields of a POST whose CSRF token matched the cookie's and that no other site sent.
/// A handler taking it cannot run on a forged request: the refusal (403) happens first.
#[derive(Debug)]
pub(crate) struct PostForm(pub(crate) Fields);

impl FromRequest<AppState> for PostForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let lang = Lang::from_headers(request.headers());
        let base = base_path(request.uri(), request.extensions().get::<OriginalUri>());
        let expected = request
            .extensions()
            .get::<CsrfToken>()
            .map(|token| token.0.clone())
            .unwrap_or_default();
        // Browsers say where a request comes from; one from another site is refused even
        // before its token is looked at.
        let cross_site = request
            .headers()
            .get("sec-fetch-site")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|site| site != "same-origin" && site != "none");
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let refuse = || {
            tracing::warn!("console refused a form without a valid CSRF token");
            layout::bare(
                lang,
                &base,
                StatusCode::FORBIDDEN,
                lang.t().error,
                lang.t().csrf_refused,
            )
        };
        if body.len() > MAX_FORM || cross_site {
            return Err(refuse());
        }
        let fields = Fields::parse(&body);
        match fields.get(TOKEN_FIELD) {
            Some(sent) if !expected.is_empty() && same_token(sent, &expected) => {
                Ok(PostForm(fields))
            }
            _ => Err(refuse()),
        }
    }
}

/// The connection a path names, or 404.
pub(crate) fn connection<'a>(
    state: &'a AppState,
    ctx: &Ctx,
    slug: &str,
) -> Result<&'a Connection, Response> {
    state
        .connection(slug)
        .ok_or_else(|| not_found_page(ctx.lang, &ctx.base))
}

/// A report id from a path, or 404.
pub(crate) fn report_id(ctx: &Ctx, text: &str) -> Result<ReportId, Response> {
    text.parse()
        .map_err(|_| not_found_page(ctx.lang, &ctx.base))
}

pub(crate) fn not_found_page(lang: Lang, base: &str) -> Response {
    layout::bare(
        lang,
        base,
        StatusCode::NOT_FOUND,
        lang.t().not_found,
        lang.t().not_found,
    )
}

/// The fallback: 404 for any other path (administrators only learn what exists).
pub(crate) async fn not_found(ctx: Result<Ctx, Response>) -> Response {
    match ctx {
        Ok(ctx) => not_found_page(ctx.lang, &ctx.base),
        Err(refused) => refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_path_is_what_the_application_mounted_the_console_under() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let original = |s: &str| OriginalUri(uri(s));
        assert_eq!(base_path(&uri("/"), None), "");
        assert_eq!(base_path(&uri("/c/kot/reports"), None), "");
        assert_eq!(
            base_path(
                &uri("/c/kot/reports"),
                Some(&original("/hr/sync/c/kot/reports"))
            ),
            "/hr/sync"
        );
        assert_eq!(
            base_path(&uri("/"), Some(&original("/hr/sync/"))),
            "/hr/sync"
        );
        assert_eq!(
            base_path(&uri("/"), Some(&original("/hr/sync"))),
            "/hr/sync"
        );
    }

    #[test]
    fn only_a_well_formed_cookie_token_is_taken() {
        let mut headers = HeaderMap::new();
        let token = "ab".repeat(32);
        headers.insert(
            header::COOKIE,
            format!("other=1; {TOKEN_COOKIE}={token}").parse().unwrap(),
        );
        assert_eq!(cookie_token(&headers), Some(token));
        headers.insert(
            header::COOKIE,
            format!("{TOKEN_COOKIE}=short").parse().unwrap(),
        );
        assert_eq!(cookie_token(&headers), None);
    }

    #[test]
    fn tokens_are_fresh_and_compared_whole() {
        let (a, b) = (fresh_token().unwrap(), fresh_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..63]));
        assert!(!same_token(&a, ""));
    }
}
