//! All reports of a connection, newest first, paged (Discarded runs included: this is the
//! audit list).

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use hris_sync_core::ReportQuery;
use maud::html;

use super::layout::{self, page};
use super::runs_table;
use crate::console::AppState;
use crate::web::{connection, Ctx, Fields};

const PER_PAGE: usize = 20;

pub(crate) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    uri: Uri,
) -> Response {
    let connection = match connection(&state, &ctx, &slug) {
        Ok(connection) => connection,
        Err(response) => return response,
    };
    let page_no = Fields::query(&uri)
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let query = ReportQuery::latest(PER_PAGE + 1)
        .with_offset((page_no - 1).saturating_mul(PER_PAGE))
        .with_discarded(true);
    let mut runs = match connection.engine.list(&query).await {
        Ok(runs) => runs,
        Err(error) => {
            return layout::error(
                &ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                &error.to_string(),
                "/",
            )
        }
    };
    let more = runs.len() > PER_PAGE;
    runs.truncate(PER_PAGE);
    let t = ctx.t();
    let here = format!("/c/{slug}/reports");
    page(
        &ctx,
        t.reports,
        html! {
            (runs_table(&ctx, &slug, &connection.engine, &runs))
            nav.pager aria-label=(t.page) {
                @if page_no > 1 {
                    a.button.secondary href=(ctx.url(&format!("{here}?page={}", page_no - 1))) { (t.newer) }
                }
                span { (t.page) " " (page_no) }
                @if more {
                    a.button.secondary href=(ctx.url(&format!("{here}?page={}", page_no + 1))) { (t.older) }
                }
            }
        },
    )
}
