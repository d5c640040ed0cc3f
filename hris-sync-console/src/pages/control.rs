//! The POSTs that change a run: apply (after the preview), stop, resume, declare abandoned,
//! discard. Each goes through [`PostForm`] (the CSRF check) and the engine's own checks
//! (administrator, status, lease); the apply runs in the engine's task, so a browser that
//! goes away never strands it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hris_sync_core::{ReportId, SyncError};

use super::explain;
use super::layout;
use super::preview::{self, request, Refusal, ACKNOWLEDGE_FIELD};
use super::select::plan;
use crate::console::{AppState, Connection};
use crate::web::{connection, report_id, Ctx, PostForm};

pub(crate) async fn apply(
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
    let here = format!("/c/{slug}/reports/{id}");
    let draft = state.drafts.draft(id);
    // The confirmation names the selection it was shown; a change since (another tab,
    // another administrator) means what would be sent is not what was confirmed.
    if form.get("version") != Some(draft.version.to_string().as_str()) {
        return layout::error(
            &ctx,
            StatusCode::CONFLICT,
            ctx.t().selection_changed,
            &format!("{here}/preview"),
        );
    }
    let mut request = request(&report, &draft);
    if form.get(ACKNOWLEDGE_FIELD) == Some("yes") {
        request = request.acknowledging_mass_resignation();
    }
    request.progress = Some(state.drafts.progress_callback());
    match connection.engine.begin_apply(id, request, &ctx.actor).await {
        Ok(_running) => {
            // The handle is dropped: the apply goes on in the engine's task either way.
            state.drafts.forget(id);
            ctx.see_other(&here)
        }
        // Nothing was recorded or sent: the preview again, with why and the check box.
        Err(SyncError::MassResignationNotAcknowledged { .. }) => {
            let refusal = Some(Refusal::MassResignationNotAcknowledged);
            preview::respond(&state, &ctx, &slug, connection, &report, 1, refusal).await
        }
        Err(error) => refused(&ctx, &error, &format!("{here}/preview")),
    }
}

fn refused(ctx: &Ctx, error: &SyncError, back: &str) -> Response {
    let status = match error {
        SyncError::NotAdministrator { .. } => StatusCode::FORBIDDEN,
        SyncError::ReportNotFound(_) => StatusCode::NOT_FOUND,
        SyncError::Store(_) | SyncError::Connector { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::CONFLICT,
    };
    layout::error(ctx, status, &explain(ctx.lang, error), back)
}

fn run<'a>(
    state: &'a AppState,
    ctx: &Ctx,
    slug: &str,
    id: &str,
) -> Result<(&'a Connection, ReportId), Response> {
    Ok((connection(state, ctx, slug)?, report_id(ctx, id)?))
}

/// Answers a control POST: back to the report, or the refusal with a way back to it.
fn after<T>(ctx: &Ctx, slug: &str, id: ReportId, result: Result<T, SyncError>) -> Response {
    let here = format!("/c/{slug}/reports/{id}");
    match result {
        Ok(_) => ctx.see_other(&here),
        Err(error) => refused(ctx, &error, &here),
    }
}

pub(crate) async fn stop(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> Response {
    let (connection, id) = match run(&state, &ctx, &slug, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let result = connection.engine.stop(id, &ctx.actor).await;
    after(&ctx, &slug, id, result)
}

pub(crate) async fn resume(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> Response {
    let (connection, id) = match run(&state, &ctx, &slug, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let progress = Some(state.drafts.progress_callback());
    let result = connection
        .engine
        .begin_resume(id, &ctx.actor, progress)
        .await;
    after(&ctx, &slug, id, result)
}

pub(crate) async fn abandon(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> Response {
    let (connection, id) = match run(&state, &ctx, &slug, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let result = connection.engine.mark_abandoned(id, &ctx.actor).await;
    after(&ctx, &slug, id, result)
}

pub(crate) async fn discard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    PostForm(_): PostForm,
) -> Response {
    let (connection, id) = match run(&state, &ctx, &slug, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let result = connection.engine.discard(id, &ctx.actor).await;
    if result.is_ok() {
        state.drafts.forget(id);
    }
    after(&ctx, &slug, id, result)
}
