//! 同期対象の従業員を選択: the classified list with counts per kind, 絞り込み by any set of
//! kinds, a check box per selectable employee (Invalid rows show why, without one), the
//! differences of each Changed row, and select all / none of the filtered rows. Filtering,
//! paging and "all of the filtered" happen on the server, so 10,000 rows stay fast; the
//! selection is kept server-side while the administrator pages.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use hris_sync_core::{ChangeKind, Employee, FieldValue, ReportEntry, RunStatus, SyncReport};
use maud::{html, Markup};

use super::layout::{self, page};
use super::warnings::run_warnings;
use super::{explain, token_field};
use crate::console::{AppState, Connection};
use crate::i18n::Lang;
use crate::web::{connection, report_id, Ctx, Fields, PostForm};

const PER_PAGE: usize = 100;

/// The kinds in URLs and forms.
fn kind_slug(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::New => "new",
        ChangeKind::Changed => "changed",
        ChangeKind::Unchanged => "unchanged",
        ChangeKind::Invalid => "invalid",
    }
}

/// The kinds a filter names; none named means every kind.
fn parse_kinds<'a>(values: impl Iterator<Item = &'a str>) -> Vec<ChangeKind> {
    let named: HashSet<&str> = values.flat_map(|v| v.split(',')).collect();
    ChangeKind::ALL
        .into_iter()
        .filter(|kind| named.contains(kind_slug(*kind)))
        .collect()
}

fn kinds_query(kinds: &[ChangeKind]) -> String {
    if kinds.is_empty() {
        return String::new();
    }
    let names: Vec<_> = kinds.iter().map(|k| kind_slug(*k)).collect();
    format!("kinds={}&", names.join(","))
}

/// "姓 名" as listed.
pub(crate) fn full_name(employee: &Employee) -> String {
    [
        employee.last_name.as_deref(),
        employee.first_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

pub(crate) fn value(lang: Lang, value: Option<&FieldValue>) -> String {
    match value {
        None => lang.t().empty_value.to_owned(),
        Some(FieldValue::Gender(gender)) => lang.gender(*gender).to_owned(),
        Some(other) => other.to_string(),
    }
}

/// The connection and the plan of a run awaiting its selection; a run in any other status
/// sends the administrator to its report, which shows where it stands.
pub(crate) async fn plan<'a>(
    state: &'a AppState,
    ctx: &Ctx,
    slug: &str,
    id: &str,
) -> Result<(&'a Connection, Arc<SyncReport>), Response> {
    let connection = connection(state, ctx, slug)?;
    let id = report_id(ctx, id)?;
    let report = state
        .drafts
        .report(&connection.engine, id)
        .await
        .map_err(|error| {
            layout::error(ctx, StatusCode::NOT_FOUND, &explain(ctx.lang, &error), "/")
        })?;
    if report.summary.status != RunStatus::AwaitingSync {
        return Err(ctx.see_other(&format!("/c/{slug}/reports/{id}")));
    }
    Ok((connection, report))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let (_, report) = match plan(&state, &ctx, &slug, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let query = Fields::query(&uri);
    let kinds = parse_kinds(query.all("kinds"));
    let page_no = query
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let problem = (query.get("error") == Some("empty")).then_some(ctx.t().empty_selection);
    page(
        &ctx,
        ctx.t().selection,
        render(&ctx, &state, &slug, &report, &kinds, page_no, problem),
    )
}

fn render(
    ctx: &Ctx,
    state: &AppState,
    slug: &str,
    report: &SyncReport,
    kinds: &[ChangeKind],
    page_no: usize,
    problem: Option<&str>,
) -> Markup {
    let t = ctx.t();
    let lang = ctx.lang;
    let id = report.summary.id;
    let draft = state.drafts.draft(id);
    let filtered: Vec<(usize, &ReportEntry)> = report
        .entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| kinds.is_empty() || kinds.contains(&entry.kind))
        .collect();
    let pages = filtered.len().div_ceil(PER_PAGE).max(1);
    let page_no = page_no.min(pages);
    let shown = &filtered[(page_no - 1) * PER_PAGE..filtered.len().min(page_no * PER_PAGE)];
    let base = format!("/c/{slug}/reports/{id}/select");
    let counts = report.summary.counts;
    html! {
        @if let Some(problem) = problem { p.error role="alert" { (problem) } }
        (run_warnings(ctx, &report.summary.warnings))
        form method="post" action=(ctx.url(&base)) {
            (token_field(ctx))
            input type="hidden" name="page" value=(page_no);
            @for (index, _) in shown { input type="hidden" name="shown" value=(index); }
            fieldset {
                legend { (t.filter) "（" (t.change_kind) "）" }
                @for kind in ChangeKind::ALL {
                    label {
                        input type="checkbox" name="kind" value=(kind_slug(kind))
                            checked[kinds.contains(&kind)] data-kind-filter=(kind_slug(kind));
                        " " (lang.kind(kind)) " (" (counts.get(kind)) ")"
                    }
                }
                button type="submit" name="action" value="filter" class="secondary" { (t.apply_filter) }
            }
            div.actions {
                span id="selected-count" data-selected=(draft.selected.len()) data-label=(t.selected_count) aria-live="polite" {
                    (t.selected_count) ": " (draft.selected.len())
                }
                button type="submit" name="action" value="all" class="secondary" { (t.select_all_filtered) }
                button type="submit" name="action" value="none" class="secondary" { (t.select_none_filtered) }
            }
            @if shown.is_empty() {
                p.muted { (t.nothing_listed) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" {
                            // Shown by the script, which makes it work.
                            label hidden { input type="checkbox" id="select-page" hidden aria-label=(t.select_page); }
                            span.muted { (t.select) }
                        }
                        th scope="col" { (t.employee_code) }
                        th scope="col" { (t.name) }
                        th scope="col" { (t.change_kind) }
                        th scope="col" { (t.differences) }
                    } }
                    tbody {
                        @for (index, entry) in shown {
                            tr data-code=(entry.code.as_str()) data-kind=(kind_slug(entry.kind)) {
                                td {
                                    @if entry.is_selectable() {
                                        input type="checkbox" name="sel" value=(index) id={ "sel-" (index) }
                                            checked[draft.selected.contains(index)]
                                            aria-label={ (t.select) " " (entry.code.as_str()) };
                                    }
                                }
                                td { label for={ "sel-" (index) } { (entry.code.as_str()) } }
                                td { (full_name(&entry.employee)) }
                                td class={ "kind-" (kind_slug(entry.kind)) } { (lang.kind(entry.kind)) }
                                td { (details(lang, entry)) }
                            }
                        }
                    }
                }
            }
            @if pages > 1 {
                nav.pager aria-label=(t.page) {
                    @if page_no > 1 { button type="submit" class="secondary" name="action" value={ "page:" (page_no - 1) } { "‹" } }
                    span { (t.page) " " (page_no) " / " (pages) }
                    @if page_no < pages { button type="submit" class="secondary" name="action" value={ "page:" (page_no + 1) } { "›" } }
                }
            }
            div.actions {
                button type="submit" name="action" value="next" id="to-sync" { (t.start_sync) }
            }
        }
    }
}

/// What a row says besides its name: differences (Changed), the reason (Invalid), warnings.
fn details(lang: Lang, entry: &ReportEntry) -> Markup {
    let t = lang.t();
    html! {
        @if !entry.differences.is_empty() {
            ul.diff {
                @for difference in &entry.differences {
                    li {
                        (lang.field(difference.field)) ": "
                        del { (value(lang, difference.target.as_ref())) } " → "
                        ins { (value(lang, difference.source.as_ref())) }
                    }
                }
            }
        }
        @if let Some(reason) = &entry.invalid_reason { span.kind-invalid { (reason) } }
        @for warning in &entry.warnings {
            div.muted { (t.warnings) ": " (lang.field(warning.field)) " — " (warning.message) }
        }
    }
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
    let kinds = parse_kinds(form.all("kind"));
    let index = |text: &str| {
        text.parse::<usize>()
            .ok()
            .filter(|i| *i < report.entries.len())
    };
    let shown: Vec<usize> = form.all("shown").filter_map(index).collect();
    let ticked: HashSet<usize> = form.all("sel").filter_map(index).collect();
    let action = form.get("action").unwrap_or("filter");
    let filtered = || {
        report
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_selectable() && (kinds.is_empty() || kinds.contains(&e.kind)))
            .map(|(i, _)| i)
    };
    state.drafts.update(id, |draft| {
        for i in &shown {
            if ticked.contains(i) && report.entries[*i].is_selectable() {
                draft.selected.insert(*i);
            } else {
                draft.selected.remove(i);
            }
        }
        match action {
            "all" => draft.selected.extend(filtered()),
            "none" => filtered().for_each(|i| {
                draft.selected.remove(&i);
            }),
            _ => {}
        }
    });
    let here = format!("/c/{slug}/reports/{id}");
    let list =
        |page: usize| ctx.see_other(&format!("{here}/select?{}page={page}", kinds_query(&kinds)));
    match action {
        "next" => {
            let draft = state.drafts.draft(id);
            if draft.selected.is_empty() {
                return ctx.see_other(&format!("{here}/select?{}error=empty", kinds_query(&kinds)));
            }
            let creates = draft
                .selected
                .iter()
                .any(|i| report.entries[*i].kind == ChangeKind::New);
            let target = report.summary.direction.target();
            let needs_values = !connection
                .engine
                .system_info(target)
                .placement_kinds
                .is_empty();
            if creates && needs_values {
                ctx.see_other(&format!("{here}/placement"))
            } else {
                ctx.see_other(&format!("{here}/preview"))
            }
        }
        "filter" | "all" | "none" => list(1),
        other => {
            let page = other
                .strip_prefix("page:")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            list(page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_name_any_set_of_kinds_and_nothing_else() {
        assert_eq!(
            parse_kinds(["new,changed"].into_iter()),
            vec![ChangeKind::New, ChangeKind::Changed]
        );
        assert_eq!(
            parse_kinds(["invalid", "new"].into_iter()),
            vec![ChangeKind::New, ChangeKind::Invalid]
        );
        assert!(parse_kinds(["bogus"].into_iter()).is_empty());
        assert_eq!(kinds_query(&[ChangeKind::New]), "kinds=new&");
        assert_eq!(kinds_query(&[]), "");
    }
}
