//! 連携レポート: one run, its run-level warnings, and its outcomes. Its status lives
//! (取得中 → 同期待ち, the sync's n / total) through a small JSON status endpoint the page
//! polls at a modest interval, which reads the run's header only (`SyncEngine::summary`);
//! the whole report is read by the page itself, which reloads when the status changes and,
//! at most every few polls, when outcomes were recorded since it was drawn. Stop, resume,
//! the recovery of an abandoned run and discard are buttons here.

use axum::extract::{Path, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hris_sync_core::{Outcome, ReportSummary, RunStatus, SyncEngine, SyncReport};
use maud::{html, Markup};

use super::layout::{self, page};
use super::warnings::run_warnings;
use super::{counts_line, direction_label, explain, jst, post_button, status_badge};
use crate::console::{AppState, Shared};
use crate::web::{connection, report_id, Ctx, Fields};

const PER_PAGE: usize = 100;

/// How long a fetch may run before the page offers to declare it failed.
const STALE_FETCH: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

pub(crate) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let (connection, id) =
        match connection(&state, &ctx, &slug).and_then(|c| Ok((c, report_id(&ctx, &id)?))) {
            Ok(found) => found,
            Err(response) => return response,
        };
    let engine = &connection.engine;
    let summary = match engine.summary(id).await {
        Ok(summary) => summary,
        Err(error) => {
            return layout::error(&ctx, StatusCode::NOT_FOUND, &explain(ctx.lang, &error), "/")
        }
    };
    // Entries are read only once there are outcomes to show.
    let report = match summary.status {
        RunStatus::Fetching
        | RunStatus::AwaitingSync
        | RunStatus::Failed
        | RunStatus::Discarded => None,
        _ => match engine.report(id).await {
            Ok(report) => Some(report),
            Err(error) => {
                return layout::error(
                    &ctx,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &explain(ctx.lang, &error),
                    "/",
                )
            }
        },
    };
    // Warnings are per employee; the report page counts them from the cached plan.
    let warned = if summary.status == RunStatus::AwaitingSync {
        state
            .drafts
            .report(engine, id)
            .await
            .map(|plan| {
                plan.entries
                    .iter()
                    .filter(|e| !e.warnings.is_empty())
                    .count()
            })
            .unwrap_or(0)
    } else {
        0
    };
    if summary.status != RunStatus::Syncing {
        state.drafts.forget_progress(id);
    }
    let page_no = Fields::query(&uri)
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let t = ctx.t();
    let base = format!("/c/{slug}/reports/{id}");
    let body = html! {
        (facts(&ctx, engine, &summary))
        (run_warnings(&ctx, &summary.warnings))
        (panel(&ctx, &state, engine, &summary, report.as_ref(), warned, &base))
        @if let Some(report) = &report { (outcomes(&ctx, report, page_no, &base)) }
        p { a href=(ctx.url(&format!("/c/{slug}/reports"))) { (t.all_reports) } }
    };
    page(&ctx, t.report, body)
}

fn facts(ctx: &Ctx, engine: &SyncEngine, s: &ReportSummary) -> Markup {
    let t = ctx.t();
    html! {
        dl.facts.card {
            dt { (t.direction) } dd { (direction_label(engine, s.direction)) }
            dt { (t.base_date) } dd { (s.base_date) }
            dt { (t.status) } dd id="run-status" { (status_badge(ctx.lang, s.status)) }
            dt { (t.actor) } dd { (s.actor.id) @if let Some(by) = &s.applied_by { @if by.id != s.actor.id { " / " (by.id) } } }
            dt { (t.started_at) } dd { (jst(s.created_at)) "（" (t.japan_time) "）" }
            @if s.status != RunStatus::Fetching { dt { (t.counts) } dd { (counts_line(ctx.lang, &s.counts)) } }
            @if let Some(failure) = &s.failure { dt { (t.reason) } dd.error { (failure) } }
        }
    }
}

/// How many polls apart the page reloads at most to show newly recorded outcomes: the
/// reload reads the whole report, the poll only the header.
const POLLS_PER_RELOAD: u32 = 4;

/// The live marker the script polls: present only while the status can change by itself.
/// It carries what the page was drawn with (status, outcomes recorded, the lease's last
/// renewal), so the script can tell when the page is out of date.
fn live(
    ctx: &Ctx,
    state: &Shared,
    s: &ReportSummary,
    base: &str,
    recorded: usize,
    inner: Markup,
) -> Markup {
    let reload = state.poll_interval * POLLS_PER_RELOAD;
    html! {
        div.card data-status-url=(ctx.url(&format!("{base}/status"))) data-status=(s.status.name())
            data-poll-ms=(state.poll_interval.as_millis()) data-reload-ms=(reload.as_millis())
            data-done=(recorded) data-renewed=(renewed(s)) aria-live="polite" {
            (inner)
        }
    }
}

/// When the applier last renewed its lease ("" without one): the header's sign of life of
/// an apply that another process runs, whose progress this process does not see.
fn renewed(s: &ReportSummary) -> String {
    s.lease
        .as_ref()
        .map(|lease| lease.renewed_at.to_rfc3339())
        .unwrap_or_default()
}

fn panel(
    ctx: &Ctx,
    state: &Shared,
    engine: &SyncEngine,
    s: &ReportSummary,
    report: Option<&SyncReport>,
    warned: usize,
    base: &str,
) -> Markup {
    let t = ctx.t();
    match s.status {
        RunStatus::Fetching => live(
            ctx,
            state,
            s,
            base,
            0,
            html! {
                p { span.spinner aria-hidden="true" {} " " (t.fetching_help) }
                // A fetch whose process ended stays Fetching until declared so.
                @if engine.clock().now() - s.updated_at > STALE_FETCH {
                    p.notice { (t.fetch_stale_help) }
                    (post_button(ctx, &format!("{base}/abandon"), t.mark_failed, "secondary"))
                }
            },
        ),
        RunStatus::AwaitingSync => html! {
            @if warned > 0 {
                p.notice id="warned" { (warned) " " (t.warned_employees) }
            }
            div.actions {
                a.button href=(ctx.url(&format!("{base}/select"))) id="start-sync" { (t.start_sync_arrow) }
            }
            details.card {
                summary { (t.discard) }
                p.muted { (t.discard_help) }
                (post_button(ctx, &format!("{base}/discard"), t.discard, "danger"))
            }
        },
        RunStatus::Syncing => {
            let recorded = recorded(report);
            // This process's live count when it applies the run, else what the store holds.
            let (done, total) = state
                .drafts
                .progress(s.id)
                .map_or(recorded, |progress| (progress.done, progress.total));
            let expired = s
                .lease
                .as_ref()
                .is_some_and(|lease| !lease.is_fresh_at(engine.clock().now()));
            live(
                ctx,
                state,
                s,
                base,
                recorded.0,
                html! {
                    label.field for="progress" { (t.progress) }
                    progress id="progress" max=(total) value=(done) {}
                    p id="progress-text" { (done) " / " (total) }
                    @if let Some(lease) = &s.lease { p.muted { (t.lease_held_by) ": " (lease.holder) } }
                    @if s.stop_requested.is_some() {
                        p.notice role="status" { (t.stop_requested) }
                    } @else {
                        p.muted { (t.stop_help) }
                        (post_button(ctx, &format!("{base}/stop"), t.stop, "danger"))
                    }
                    @if expired {
                        p.notice { (t.abandoned_help) }
                        (post_button(ctx, &format!("{base}/abandon"), t.mark_abandoned, "secondary"))
                    }
                },
            )
        }
        RunStatus::Interrupted => html! {
            div.card {
                p.muted { (t.resume_help) }
                (post_button(ctx, &format!("{base}/resume"), t.resume, ""))
            }
        },
        _ => html! {},
    }
}

/// Outcomes recorded in the store (done) and selected employees (total).
fn recorded(report: Option<&SyncReport>) -> (usize, usize) {
    report.map_or((0, 0), |report| {
        let counts = report.outcome_counts();
        (counts.selected() - counts.pending, counts.selected())
    })
}

fn outcomes(ctx: &Ctx, report: &SyncReport, page_no: usize, base: &str) -> Markup {
    let t = ctx.t();
    let counts = report.outcome_counts();
    let selected: Vec<_> = report
        .entries
        .iter()
        .filter(|e| e.outcome.is_some())
        .collect();
    let pages = selected.len().div_ceil(PER_PAGE).max(1);
    let page_no = page_no.min(pages);
    html! {
        h2 { (t.outcome) }
        p id="outcome-counts" {
            @for (i, (name, count)) in [
                ("created", counts.created),
                ("updated", counts.updated),
                ("skipped", counts.skipped),
                ("failed", counts.failed),
                ("pending", counts.pending),
            ].into_iter().enumerate() {
                @if i > 0 { " · " }
                span data-count=(name) { (ctx.lang.outcome_named(name)) " " (count) }
            }
        }
        table {
            thead { tr {
                th scope="col" { (t.employee_code) }
                th scope="col" { (t.name) }
                th scope="col" { (t.change_kind) }
                th scope="col" { (t.outcome) }
            } }
            tbody {
                @for entry in selected.iter().skip((page_no - 1) * PER_PAGE).take(PER_PAGE) {
                    @let outcome = entry.outcome.as_ref().unwrap_or(&Outcome::Pending);
                    tr data-code=(entry.code.as_str()) data-outcome=(outcome.name()) {
                        td { (entry.code.as_str()) }
                        td { (super::select::full_name(&entry.employee)) }
                        td { (ctx.lang.kind(entry.kind)) }
                        td {
                            (ctx.lang.outcome(outcome))
                            @match outcome {
                                Outcome::Failed { reason } | Outcome::Skipped { reason } => { " — " span.muted { (reason) } }
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        (super::pager(ctx, base, "", page_no, pages))
    }
}

/// The small status document the page polls. It reads the run's header only: progress
/// comes from this process's apply callback, and for a run another process applies, the
/// lease's last renewal stands for "something may have changed" (the page reloads then).
pub(crate) async fn status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let (connection, id) =
        match connection(&state, &ctx, &slug).and_then(|c| Ok((c, report_id(&ctx, &id)?))) {
            Ok(found) => found,
            Err(response) => return response,
        };
    let engine = &connection.engine;
    let summary = match engine.summary(id).await {
        Ok(summary) => summary,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    let progress = match state.drafts.progress(id) {
        Some(progress) if summary.status == RunStatus::Syncing => {
            serde_json::json!({ "done": progress.done, "total": progress.total })
        }
        _ => serde_json::Value::Null,
    };
    let body = serde_json::json!({
        "status": summary.status.name(),
        "label": ctx.lang.status(summary.status),
        "progress": progress,
        "renewed": renewed(&summary),
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}
