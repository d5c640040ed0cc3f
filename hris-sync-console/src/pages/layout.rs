//! The page frame every screen is drawn in.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use crate::assets;
use crate::i18n::Lang;
use crate::web::Ctx;

/// A full page for an administrator.
pub(crate) fn page(ctx: &Ctx, title: &str, body: Markup) -> Response {
    page_with_status(ctx, StatusCode::OK, title, body)
}

/// A full page with a status other than 200 (a refused form shown again, …).
pub(crate) fn page_with_status(
    ctx: &Ctx,
    status: StatusCode,
    title: &str,
    body: Markup,
) -> Response {
    frame(
        ctx.lang,
        &ctx.base,
        status,
        title,
        Some(&ctx.actor.id),
        body,
    )
}

/// A page with a message only, also for those who may see nothing else (403, 404).
pub(crate) fn bare(
    lang: Lang,
    base: &str,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    frame(lang, base, status, title, None, html! { p { (message) } })
}

/// An error shown to an administrator, with a way back.
pub(crate) fn error(ctx: &Ctx, status: StatusCode, message: &str, back: &str) -> Response {
    let t = ctx.t();
    page_with_status(
        ctx,
        status,
        t.error,
        html! {
            p.error role="alert" { (message) }
            p { a.button.secondary href=(ctx.url(back)) { (t.back) } }
        },
    )
}

fn frame(
    lang: Lang,
    base: &str,
    status: StatusCode,
    title: &str,
    who: Option<&str>,
    body: Markup,
) -> Response {
    let t = lang.t();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (t.app) }
                link rel="stylesheet" href=(assets::url(base, "console.css"));
                script src=(assets::url(base, "console.js")) defer {}
            }
            body {
                header.top {
                    a href=(crate::web::url(base, "/")) { (t.dashboard) }
                    @if let Some(who) = who { span.who { (who) } }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    (status, Html(markup.into_string())).into_response()
}
