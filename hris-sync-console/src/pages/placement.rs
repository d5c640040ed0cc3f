//! 新規登録する従業員の設定: only when New employees are selected, one pull-down per
//! creation value the target needs (export: 所属 and 雇用区分; import: 所属事業所), filled
//! from the masters fetched with the plan, with the seeds' rule spelled out: one value for
//! the whole run, never sent on update (SPEC R7).

use axum::extract::{Path, State};
use axum::response::Response;
use hris_sync_core::{MasterKind, Placement};
use maud::html;

use super::layout::page;
use super::select::plan;
use super::token_field;
use crate::console::AppState;
use crate::web::{Ctx, PostForm};

/// A creation value's name in forms.
pub(crate) fn master_slug(kind: MasterKind) -> &'static str {
    match kind {
        MasterKind::Office => "office",
        MasterKind::Division => "division",
        MasterKind::EmploymentType => "employment_type",
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let (connection, report) = match plan(&state, &ctx, &slug, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let t = ctx.t();
    let id = report.summary.id;
    let draft = state.drafts.draft(id);
    let target = report.summary.direction.target();
    let kinds = &connection.engine.system_info(target).placement_kinds;
    let here = format!("/c/{slug}/reports/{id}");
    let body = html! {
        p.notice { (t.creation_values_rule) }
        form.card method="post" action=(ctx.url(&format!("{here}/placement"))) {
            (token_field(&ctx))
            @for kind in kinds {
                @let name = master_slug(*kind);
                @let chosen = draft.placement.get(*kind);
                label.field for=(name) { (ctx.lang.master(*kind)) }
                select id=(name) name=(name) required {
                    option value="" selected[chosen.is_none()] { (t.choose) }
                    @for entry in report.masters.get(kind).map(Vec::as_slice).unwrap_or_default() {
                        option value=(entry.code) selected[chosen == Some(entry.code.as_str())] {
                            (entry.name) " (" (entry.code) ")"
                        }
                    }
                }
            }
            div.actions {
                a.button.secondary href=(ctx.url(&format!("{here}/select"))) { (t.back_to_selection) }
                button type="submit" id="to-preview" { (t.next) }
            }
        }
    };
    page(&ctx, t.creation_values, body)
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    PostForm(form): PostForm,
) -> Response {
    let (connection, report) = match plan(&state, &ctx, &slug, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let id = report.summary.id;
    let target = report.summary.direction.target();
    // Only the kinds the target needs are kept; the engine validates the codes against the
    // masters at preview and again at apply.
    let placement: Placement = connection
        .engine
        .system_info(target)
        .placement_kinds
        .iter()
        .filter_map(|kind| {
            let code = form.get(master_slug(*kind))?.trim();
            (!code.is_empty()).then_some((*kind, code))
        })
        .collect();
    state.drafts.update(id, |draft| draft.placement = placement);
    ctx.see_other(&format!("/c/{slug}/reports/{id}/preview"))
}
