//! 従業員情報取得基準日: a date bounded to today − 3 years … today + 1 year in Japan time
//! (SPEC R2; checked here and again by the engine), defaulting to today; 「次へ」 starts the
//! run and goes to its report.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use hris_sync_core::base_date::allowed_range;
use hris_sync_core::Direction;
use maud::html;

use super::layout::{page, page_with_status};
use super::{direction_label, explain, token_field};
use crate::console::{AppState, Connection};
use crate::web::{connection, Ctx, PostForm};

fn direction_of(text: &str) -> Option<Direction> {
    match text {
        "export" => Some(Direction::Export),
        "import" => Some(Direction::Import),
        _ => None,
    }
}

fn resolve<'a>(
    state: &'a AppState,
    ctx: &Ctx,
    slug: &str,
    direction: &str,
) -> Result<(&'a Connection, Direction), Response> {
    let connection = connection(state, ctx, slug)?;
    let direction =
        direction_of(direction).ok_or_else(|| crate::web::not_found_page(ctx.lang, &ctx.base))?;
    Ok((connection, direction))
}

pub(crate) async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, direction)): Path<(String, String)>,
) -> Response {
    match resolve(&state, &ctx, &slug, &direction) {
        Ok((connection, direction)) => render(&ctx, connection, direction, None, None),
        Err(response) => response,
    }
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, direction)): Path<(String, String)>,
    PostForm(form): PostForm,
) -> Response {
    let (connection, direction) = match resolve(&state, &ctx, &slug, &direction) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let entered = form.get("base_date").unwrap_or("").trim().to_owned();
    let Ok(base_date) = NaiveDate::parse_from_str(&entered, "%Y-%m-%d") else {
        return render(
            &ctx,
            connection,
            direction,
            Some(&entered),
            Some(ctx.t().base_date_invalid.to_owned()),
        );
    };
    // The engine checks the range (and the windows, and the actor) again, atomically with
    // starting: its refusal is shown on this form.
    match connection
        .engine
        .start(direction, base_date, &ctx.actor)
        .await
    {
        Ok(id) => ctx.see_other(&format!("/c/{slug}/reports/{id}")),
        Err(error) => render(
            &ctx,
            connection,
            direction,
            Some(&entered),
            Some(explain(ctx.lang, &error)),
        ),
    }
}

fn render(
    ctx: &Ctx,
    connection: &Connection,
    direction: Direction,
    entered: Option<&str>,
    problem: Option<String>,
) -> Response {
    let t = ctx.t();
    let engine = &connection.engine;
    let today = engine.clock().today_in_japan();
    let (earliest, latest) = allowed_range(today);
    let value = entered.map_or_else(|| today.to_string(), str::to_owned);
    let path = format!(
        "/c/{}/start/{}",
        connection.slug,
        super::direction_slug(direction)
    );
    let body = html! {
        p { strong { (direction_label(engine, direction)) } }
        @if let Some(problem) = &problem { p.error role="alert" id="base-date-error" { (problem) } }
        form.card method="post" action=(ctx.url(&path)) {
            (token_field(ctx))
            label.field for="base_date" { (t.base_date) }
            input type="date" id="base_date" name="base_date" required
                min=(earliest) max=(latest) value=(value)
                aria-describedby="base-date-help";
            p.muted id="base-date-help" {
                (t.base_date_range) ": " (earliest) " ～ " (latest) "（" (t.japan_time) "）"
                br; (t.base_date_help)
            }
            div.actions { button type="submit" { (t.next) } }
        }
    };
    if problem.is_some() {
        page_with_status(ctx, StatusCode::UNPROCESSABLE_ENTITY, t.base_date, body)
    } else {
        page(ctx, t.base_date, body)
    }
}
