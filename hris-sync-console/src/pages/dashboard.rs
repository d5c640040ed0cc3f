//! 連携ダッシュボード: per connection, the two directions with 「次へ >」 (or, during a
//! maintenance window, a notice with its end), the windows, and the latest 10 reports.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, FixedOffset};
use hris_sync_core::{Direction, Side, SyncEngine};
use maud::{html, Markup};

use super::layout::{self, page};
use super::{direction_label, direction_slug, runs_table};
use crate::console::{AppState, Connection};
use crate::web::Ctx;

pub(crate) async fn show(State(state): State<AppState>, ctx: Ctx) -> Response {
    let mut sections = Vec::new();
    for connection in &state.connections {
        match connection.engine.recent().await {
            Ok(recent) => sections.push(section(&ctx, connection, &recent)),
            Err(error) => {
                return layout::error(
                    &ctx,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &error.to_string(),
                    "/",
                )
            }
        }
    }
    page(
        &ctx,
        ctx.t().dashboard,
        html! { @for s in sections { (s) } },
    )
}

/// When the maintenance window either side is in ends, if one is active now.
pub(crate) fn window_end(engine: &SyncEngine) -> Option<DateTime<FixedOffset>> {
    let now = engine.clock().now();
    [Side::Hr, Side::Attendance]
        .into_iter()
        .filter_map(|side| engine.system_info(side).maintenance_windows.active_at(now))
        .max()
}

fn section(ctx: &Ctx, connection: &Connection, recent: &[hris_sync_core::ReportSummary]) -> Markup {
    let t = ctx.t();
    let engine = &connection.engine;
    let slug = &connection.slug;
    let vendor = &engine.system_info(Side::Attendance).name;
    let windows: Vec<String> = [Side::Attendance, Side::Hr]
        .into_iter()
        .flat_map(|side| {
            engine
                .system_info(side)
                .maintenance_windows
                .windows()
                .to_vec()
        })
        .map(|w| format!("{}～{}", w.start.format("%H:%M"), w.end.format("%H:%M")))
        .collect();
    let active = window_end(engine);
    html! {
        section.card aria-labelledby={ "conn-" (slug) } data-connection=(slug) {
            h2 id={ "conn-" (slug) } { (vendor) }
            p.muted {
                (t.maintenance_windows) "（" (t.japan_time) "）: "
                @if windows.is_empty() { (t.none) } @else { (windows.join("、")) }
                " · " a href=(ctx.url(&format!("/c/{slug}/settings"))) { (t.settings) }
            }
            @if let Some(end) = active {
                p.notice role="status" data-maintenance-until=(end.to_rfc3339()) {
                    (t.maintenance_now) " " (t.until) ": " (end.format("%H:%M")) "（" (t.japan_time) "）"
                }
            }
            div.directions {
                @for direction in [Direction::Import, Direction::Export] {
                    div.card.direction {
                        span.path { (direction_label(engine, direction)) }
                        @if active.is_none() {
                            a.button href=(ctx.url(&format!("/c/{slug}/start/{}", direction_slug(direction))))
                                data-direction=(direction_slug(direction)) { (t.next_arrow) }
                        }
                    }
                }
            }
            h2 { (t.recent_reports) }
            (runs_table(ctx, slug, engine, recent))
            p { a href=(ctx.url(&format!("/c/{slug}/reports"))) { (t.all_reports) } }
        }
    }
}
