//! 送信内容の確認: exactly what an apply of the selection would send (the engine's dry run,
//! SPEC B2), before the final confirmation. Nothing is sent by this page.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use hris_sync_core::{
    ApplyRequest, Field, PlannedWrite, RecordId, ReportEntry, Selection, SyncError, SyncReport,
};
use maud::{html, Markup};

use super::layout;
use super::select::{full_name, plan, value};
use super::warnings::run_warnings;
use super::{explain, pager, token_field};
use crate::console::{AppState, Connection};
use crate::drafts::Draft;
use crate::web::{Ctx, Fields};

const PER_PAGE: usize = 100;

/// The confirmation's check box acknowledging a mass resignation.
pub(crate) const ACKNOWLEDGE_FIELD: &str = "acknowledge_mass_resignation";

/// The engine's request for a draft: the selected codes and the creation values.
pub(crate) fn request(report: &SyncReport, draft: &Draft) -> ApplyRequest {
    let codes = draft
        .selected
        .iter()
        .map(|i| report.entries[*i].code.clone());
    ApplyRequest::new(Selection::codes(codes)).with_placement(draft.placement.clone())
}

pub(crate) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let (connection, report) = match plan(&state, &ctx, &slug, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let page_no = Fields::query(&uri)
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    respond(&state, &ctx, &slug, connection, &report, page_no, None).await
}

/// Why a confirmation was refused, shown on the preview it came from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Refusal {
    /// The selection sets many resignation dates and the warning was not acknowledged.
    MassResignationNotAcknowledged,
}

/// The preview page of `report`'s selection; with `refusal`, shown again (409) after a
/// confirmation the engine refused, with why on top.
pub(crate) async fn respond(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    connection: &Connection,
    report: &SyncReport,
    page_no: usize,
    refusal: Option<Refusal>,
) -> Response {
    let t = ctx.t();
    let words = ctx.lang.warning_texts();
    let id = report.summary.id;
    let here = format!("/c/{slug}/reports/{id}");
    let draft = state.drafts.draft(id);
    if draft.selected.is_empty() {
        return ctx.see_other(&format!("{here}/select?error=empty"));
    }
    // The engine validates a preview as it would the apply: a selection it would refuse
    // without the acknowledgement is shown as acknowledged, with the check box to tick.
    let plain = request(report, &draft);
    let mut preview = connection.engine.preview(id, &plain).await;
    let mut resignations = None;
    if let Err(SyncError::MassResignationNotAcknowledged { count, .. }) = &preview {
        resignations = Some(*count);
        let acknowledged = plain.acknowledging_mass_resignation();
        preview = connection.engine.preview(id, &acknowledged).await;
    }
    let writes = match preview {
        Ok(writes) => writes,
        Err(error) => {
            return layout::error(
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &explain(ctx.lang, &error),
                &format!("{here}/select"),
            )
        }
    };
    let by_record: HashMap<&RecordId, &ReportEntry> = report
        .entries
        .iter()
        .filter_map(|entry| entry.target_id.as_ref().map(|rid| (rid, entry)))
        .collect();
    let creates = writes
        .iter()
        .filter(|w| matches!(w, PlannedWrite::Create { .. }))
        .count();
    let pages = writes.len().div_ceil(PER_PAGE).max(1);
    let page_no = page_no.min(pages);
    let body = html! {
        @if let Some(Refusal::MassResignationNotAcknowledged) = refusal {
            p.error role="alert" id="refusal" data-refusal="mass_resignation" { (words.not_acknowledged) }
        }
        (run_warnings(ctx, &report.summary.warnings))
        p { (t.preview_help) }
        p id="preview-counts" data-writes=(writes.len()) {
            (t.writes) ": " (writes.len()) "（" (t.create) " " (creates) " · " (t.update) " " (writes.len() - creates) "）"
        }
        table {
            thead { tr {
                th scope="col" { (t.employee_code) }
                th scope="col" { (t.name) }
                th scope="col" { (t.write_kind) }
                th scope="col" { (t.sent_values) }
            } }
            tbody {
                @for write in writes.iter().skip((page_no - 1) * PER_PAGE).take(PER_PAGE) {
                    (row(ctx, report, &by_record, write))
                }
            }
        }
        (pager(ctx, &format!("{here}/preview"), "", page_no, pages))
        form method="post" action=(ctx.url(&format!("{here}/apply"))) {
            (token_field(ctx))
            input type="hidden" name="version" value=(draft.version);
            @if let Some(resignations) = resignations {
                div.card.acknowledge {
                    p.notice id="selected-resignations" data-count=(resignations) {
                        (resignations) " " (words.selected_resignations)
                    }
                    label for="acknowledge" {
                        input type="checkbox" id="acknowledge" name=(ACKNOWLEDGE_FIELD) value="yes"
                            aria-describedby="acknowledge-help";
                        " " (words.acknowledge)
                    }
                    p.muted id="acknowledge-help" { (words.acknowledge_help) }
                }
            }
            div.actions {
                a.button.secondary href=(ctx.url(&format!("{here}/select"))) { (t.back_to_selection) }
                button type="submit" id="confirm-sync" { (t.confirm_sync) }
            }
        }
    };
    let status = if refusal.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    layout::page_with_status(ctx, status, t.preview, body)
}

fn row(
    ctx: &Ctx,
    report: &SyncReport,
    by_record: &HashMap<&RecordId, &ReportEntry>,
    write: &PlannedWrite,
) -> Markup {
    let lang = ctx.lang;
    let t = ctx.t();
    match write {
        PlannedWrite::Create {
            employee,
            placement,
        } => html! {
            tr data-write="create" data-code=(employee.code.as_str()) {
                td { (employee.code.as_str()) }
                td { (full_name(employee)) }
                td { (t.create) }
                td { ul.diff {
                    @for field in Field::COMPARED {
                        @if let Some(v) = employee.get(field) {
                            li { (lang.field(field)) ": " (value(lang, Some(&v))) }
                        }
                    }
                    @for (kind, code) in placement.iter() {
                        @let name = report.masters.get(&kind)
                            .and_then(|entries| entries.iter().find(|e| e.code == code))
                            .map_or(code, |e| e.name.as_str());
                        li { (lang.master(kind)) ": " (name) }
                    }
                } }
            }
        },
        PlannedWrite::Update { id, update } => {
            let entry = by_record.get(id);
            html! {
                tr data-write="update" data-code=[entry.map(|e| e.code.as_str())] {
                    td { (entry.map_or("", |e| e.code.as_str())) }
                    td { (entry.map(|e| full_name(&e.employee)).unwrap_or_default()) }
                    td { (t.update) }
                    td { ul.diff {
                        @for field in update.fields() {
                            @let target = entry.and_then(|e| e.differences.iter().find(|d| d.field == field)).and_then(|d| d.target.as_ref());
                            li {
                                (lang.field(field)) ": "
                                del { (value(lang, target)) } " → "
                                ins { (value(lang, update.value(field).flatten())) }
                            }
                        }
                    } }
                }
            }
        }
    }
}
