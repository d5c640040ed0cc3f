//! The embedding contract: the console authenticates nobody itself. The application says
//! who a request comes from, as an [`Actor`]; the console serves administrators only
//! (SPEC R14) and answers anyone else with 403, starting nothing.

use async_trait::async_trait;
use axum::http::request::Parts;
use hris_sync_core::Actor;

/// Turns a request into the signed-in user, the way the embedding application knows it
/// (its session cookie, a header set by its proxy, …).
///
/// Return `None` when nobody is signed in. Members and anonymous requests get 403 and no
/// screen; only administrators ([`Actor::is_administrator`]) use the console.
///
/// A closure `Fn(&Parts) -> Option<Actor>` is an `Authenticate`:
///
/// ```
/// use hris_sync_console::Authenticate;
/// use hris_sync_core::Actor;
/// fn check(_: impl Authenticate) {}
/// check(|parts: &axum::http::request::Parts| {
///     let user = parts.headers.get("x-user")?.to_str().ok()?;
///     Some(Actor::administrator(user))
/// });
/// ```
#[async_trait]
pub trait Authenticate: Send + Sync + 'static {
    /// The actor the request comes from, or `None` when it comes from nobody known.
    async fn actor(&self, request: &Parts) -> Option<Actor>;
}

#[async_trait]
impl<F> Authenticate for F
where
    F: Fn(&Parts) -> Option<Actor> + Send + Sync + 'static,
{
    async fn actor(&self, request: &Parts) -> Option<Actor> {
        self(request)
    }
}
