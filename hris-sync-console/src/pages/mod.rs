//! One module per screen, plus the layout and the bits several screens show.

pub(crate) mod control;
pub(crate) mod dashboard;
pub(crate) mod layout;
pub(crate) mod list;
pub(crate) mod placement;
pub(crate) mod preview;
pub(crate) mod report;
pub(crate) mod select;
pub(crate) mod settings;
pub(crate) mod start;
pub(crate) mod warnings;

use chrono::{DateTime, Utc};
use hris_sync_core::{Direction, KindCounts, ReportSummary, RunStatus, Side, SyncEngine};
use maud::{html, Markup};

use crate::i18n::Lang;
use crate::web::{Ctx, TOKEN_FIELD};

/// A moment in Japan time, as every screen shows it.
pub(crate) fn jst(at: DateTime<Utc>) -> String {
    at.with_timezone(&hris_sync_core::japan())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// "HR → KING OF TIME" for a direction of an engine.
pub(crate) fn direction_label(engine: &SyncEngine, direction: Direction) -> String {
    let name = |side: Side| engine.system_info(side).name.clone();
    format!(
        "{} → {}",
        name(direction.source()),
        name(direction.target())
    )
}

/// The URL segment of a direction.
pub(crate) fn direction_slug(direction: Direction) -> &'static str {
    match direction {
        Direction::Export => "export",
        Direction::Import => "import",
    }
}

/// A status badge; `data-status` carries the stable name for scripts and tests.
pub(crate) fn status_badge(lang: Lang, status: RunStatus) -> Markup {
    html! {
        span.badge.(status.name()) data-status=(status.name()) { (lang.status(status)) }
    }
}

/// "新規登録 3 · 差分あり 2 · …" for a summary.
pub(crate) fn counts_line(lang: Lang, counts: &KindCounts) -> Markup {
    html! {
        @for (i, kind) in hris_sync_core::ChangeKind::ALL.iter().enumerate() {
            @if i > 0 { " · " }
            (lang.kind(*kind)) " " (counts.get(*kind))
        }
    }
}

/// The hidden CSRF field every form carries.
pub(crate) fn token_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name=(TOKEN_FIELD) value=(ctx.token); }
}

/// A one-button form posting to `path`.
pub(crate) fn post_button(ctx: &Ctx, path: &str, label: &str, class: &str) -> Markup {
    html! {
        form method="post" action=(ctx.url(path)) {
            (token_field(ctx))
            button type="submit" class=(class) { (label) }
        }
    }
}

/// The table of runs the dashboard and the list show.
pub(crate) fn runs_table(
    ctx: &Ctx,
    slug: &str,
    engine: &SyncEngine,
    runs: &[ReportSummary],
) -> Markup {
    let t = ctx.t();
    html! {
        @if runs.is_empty() {
            p.muted { (t.no_reports) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (t.started_at) }
                    th scope="col" { (t.direction) }
                    th scope="col" { (t.base_date) }
                    th scope="col" { (t.status) }
                    th scope="col" { (t.counts) }
                    th scope="col" { (t.actor) }
                    th scope="col" { span.muted { (t.report) } }
                } }
                tbody {
                    @for run in runs {
                        tr data-report=(run.id) {
                            td { (jst(run.created_at)) }
                            td { (direction_label(engine, run.direction)) }
                            td { (run.base_date) }
                            td { (status_badge(ctx.lang, run.status)) }
                            td { (counts_line(ctx.lang, &run.counts)) }
                            td { (run.actor.id) }
                            td { a href=(ctx.url(&format!("/c/{slug}/reports/{}", run.id))) { (t.open) } }
                        }
                    }
                }
            }
        }
    }
}

/// An engine's refusal or failure in the administrator's language where the screens know
/// it; otherwise the engine's own (English) message, which never carries credentials.
pub(crate) fn explain(lang: Lang, error: &hris_sync_core::SyncError) -> String {
    use hris_sync_core::SyncError as E;
    let ja = lang == Lang::Ja;
    match error {
        E::BaseDateOutOfRange { base_date, earliest, latest } if ja => format!(
            "基準日 {base_date} は指定できません。{earliest} から {latest} までの日付を指定してください。"
        ),
        E::MaintenanceWindow { system, ends_at } if ja => format!(
            "{system} はメンテナンス時間中です。{}（日本時間）以降にやり直してください。",
            ends_at.format("%H:%M")
        ),
        E::NotAdministrator { .. } if ja => "管理者権限がありません。".to_owned(),
        E::EmptySelection if ja => lang.t().empty_selection.to_owned(),
        E::MassResignationNotAcknowledged { .. } => {
            lang.warning_texts().not_acknowledged.to_owned()
        }
        E::MissingPlacement { kinds } if ja => format!(
            "新規登録する従業員の {} を選択してください。",
            kinds.iter().map(|k| lang.master(*k)).collect::<Vec<_>>().join("・")
        ),
        E::UnknownPlacement { kind, code, .. } if ja => {
            format!("{} {code:?} は連携先にありません。", lang.master(*kind))
        }
        E::WrongStatus { status, .. } if ja => format!(
            "この連携レポートは「{}」のため、この操作はできません。",
            lang.status(*status)
        ),
        E::RunInProgress(_) if ja => "この連携はすでに実行中です。".to_owned(),
        E::LeaseHeld { holder, expires_in_secs, .. } if ja => format!(
            "この連携は {holder} が実行中です（応答がなければ約 {expires_in_secs} 秒後に中断として扱えます）。"
        ),
        error => error.to_string(),
    }
}

/// Page links: `base` + `?{query}page=N`, with the current page marked.
pub(crate) fn pager(ctx: &Ctx, base: &str, query: &str, page_no: usize, pages: usize) -> Markup {
    let t = ctx.t();
    let link = |n: usize| ctx.url(&format!("{base}?{query}page={n}"));
    html! {
        @if pages > 1 {
            nav.pager aria-label=(t.page) {
                @if page_no > 1 { a.button.secondary href=(link(page_no - 1)) rel="prev" { "‹" } }
                span { (t.page) " " (page_no) " / " (pages) }
                @if page_no < pages { a.button.secondary href=(link(page_no + 1)) rel="next" { "›" } }
            }
        }
    }
}
