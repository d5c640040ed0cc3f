//! 連携設定 of one connection: the business-name setting (SPEC R9) and 「接続テスト」 for
//! each side (R15). Credentials live in the application's configuration: this screen never
//! shows them, and connector errors never carry them.

use axum::extract::{Path, State};
use axum::response::Response;
use hris_sync_core::Side;
use maud::{html, Markup};

use super::layout::page;
use super::{explain, token_field};
use crate::console::{AppState, Connection};
use crate::web::{connection, Ctx, PostForm};

pub(crate) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Response {
    match connection(&state, &ctx, &slug) {
        Ok(connection) => render(&ctx, connection, html! {}),
        Err(response) => response,
    }
}

pub(crate) async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PostForm(form): PostForm,
) -> Response {
    let connection = match connection(&state, &ctx, &slug) {
        Ok(connection) => connection,
        Err(response) => return response,
    };
    let prefer = form.get("prefer_business_name") == Some("on");
    let message = match connection
        .engine
        .set_prefer_business_name(prefer, &ctx.actor)
    {
        Ok(()) => html! { p.ok role="status" id="settings-saved" { (ctx.t().saved) } },
        Err(error) => html! { p.error role="alert" { (explain(ctx.lang, &error)) } },
    };
    render(&ctx, connection, message)
}

pub(crate) async fn test(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    PostForm(_): PostForm,
) -> Response {
    let connection = match connection(&state, &ctx, &slug) {
        Ok(connection) => connection,
        Err(response) => return response,
    };
    let t = ctx.t();
    let mut results = Vec::new();
    for side in [Side::Hr, Side::Attendance] {
        let name = connection.engine.system_info(side).name.clone();
        let result = connection.engine.test_connection(side, &ctx.actor).await;
        results.push((name, result));
    }
    let message = html! {
        ul id="connection-test" {
            @for (name, result) in &results {
                @match result {
                    Ok(()) => li.ok data-test="ok" { (name) ": " (t.connection_ok) },
                    Err(error) => li.error data-test="failed" { (name) ": " (t.connection_failed) " — " (explain(ctx.lang, error)) },
                }
            }
        }
    };
    render(&ctx, connection, message)
}

fn render(ctx: &Ctx, connection: &Connection, message: Markup) -> Response {
    let t = ctx.t();
    let engine = &connection.engine;
    let base = format!("/c/{}/settings", connection.slug);
    let body = html! {
        p { strong { (engine.system_info(Side::Attendance).name) } " ⇄ " (engine.system_info(Side::Hr).name) }
        (message)
        form.card method="post" action=(ctx.url(&base)) {
            (token_field(ctx))
            p {
                label {
                    input type="checkbox" name="prefer_business_name" id="prefer_business_name"
                        checked[engine.prefer_business_name()] aria-describedby="business-name-help";
                    " " (t.prefer_business_name)
                }
            }
            p.muted id="business-name-help" { (t.prefer_business_name_help) }
            button type="submit" { (t.save) }
        }
        form.card method="post" action=(ctx.url(&format!("{base}/test"))) {
            (token_field(ctx))
            p.muted { (t.credentials_note) }
            button type="submit" class="secondary" id="test-connection" { (t.test_connection) }
        }
    };
    page(ctx, t.settings, body)
}
