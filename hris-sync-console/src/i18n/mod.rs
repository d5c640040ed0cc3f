//! The screens' words: Japanese (the seeds' labels) by default, English when the browser
//! prefers it (`Accept-Language`).

use axum::http::HeaderMap;
use hris_sync_core::{ChangeKind, Field, Gender, MasterKind, Outcome, RunStatus};

mod warnings;

pub(crate) use warnings::warning_name;

/// A language the console speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Ja,
    En,
}

impl Lang {
    /// The language a request prefers: the highest-weighted of `ja` and `en` in
    /// `Accept-Language` (ties go to the one listed first); Japanese when neither is listed.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let Some(header) = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
        else {
            return Lang::Ja;
        };
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "ja" => Lang::Ja,
                "en" => Lang::En,
                _ => continue,
            };
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::Ja, |(_, lang)| lang)
    }

    /// The `lang` attribute.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The labels.
    pub(crate) fn t(self) -> &'static Texts {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }

    pub(crate) fn status(self, status: RunStatus) -> &'static str {
        let ja = self == Lang::Ja;
        match status {
            RunStatus::Fetching => pick(ja, "取得中", "Fetching"),
            RunStatus::AwaitingSync => pick(ja, "同期待ち", "Awaiting sync"),
            RunStatus::Syncing => pick(ja, "同期中", "Syncing"),
            RunStatus::Interrupted => pick(ja, "中断", "Interrupted"),
            RunStatus::Completed => pick(ja, "完了", "Completed"),
            RunStatus::CompletedWithErrors => {
                pick(ja, "完了（エラーあり）", "Completed with errors")
            }
            RunStatus::Failed => pick(ja, "失敗", "Failed"),
            RunStatus::Discarded => pick(ja, "破棄", "Discarded"),
        }
    }

    pub(crate) fn kind(self, kind: ChangeKind) -> &'static str {
        let ja = self == Lang::Ja;
        match kind {
            ChangeKind::New => pick(ja, "新規登録", "New"),
            ChangeKind::Changed => pick(ja, "差分あり", "Changed"),
            ChangeKind::Unchanged => pick(ja, "差分なし", "Unchanged"),
            ChangeKind::Invalid => pick(ja, "連携不可", "Cannot sync"),
        }
    }

    pub(crate) fn outcome(self, outcome: &Outcome) -> &'static str {
        self.outcome_named(outcome.name())
    }

    /// An outcome by its stable name ([`Outcome::name`]).
    pub(crate) fn outcome_named(self, name: &str) -> &'static str {
        let ja = self == Lang::Ja;
        match name {
            "created" => pick(ja, "登録済み", "Created"),
            "updated" => pick(ja, "更新済み", "Updated"),
            "skipped" => pick(ja, "スキップ", "Skipped"),
            "failed" => pick(ja, "失敗", "Failed"),
            _ => pick(ja, "未処理", "Pending"),
        }
    }

    pub(crate) fn field(self, field: Field) -> &'static str {
        let ja = self == Lang::Ja;
        match field {
            Field::Code => pick(ja, "社員番号", "Employee code"),
            Field::LastName => pick(ja, "姓", "Last name"),
            Field::FirstName => pick(ja, "名", "First name"),
            Field::LastNameKana => pick(ja, "姓（ヨミガナ）", "Last name (kana)"),
            Field::FirstNameKana => pick(ja, "名（ヨミガナ）", "First name (kana)"),
            Field::Gender => pick(ja, "性別", "Gender"),
            Field::BirthDate => pick(ja, "生年月日", "Birth date"),
            Field::HireDate => pick(ja, "入社年月日", "Hire date"),
            Field::ResignationDate => pick(ja, "退職年月日", "Resignation date"),
            Field::Email => pick(ja, "メールアドレス", "Email"),
        }
    }

    pub(crate) fn gender(self, gender: Gender) -> &'static str {
        let ja = self == Lang::Ja;
        match gender {
            Gender::Male => pick(ja, "男性", "Male"),
            Gender::Female => pick(ja, "女性", "Female"),
        }
    }

    pub(crate) fn master(self, kind: MasterKind) -> &'static str {
        let ja = self == Lang::Ja;
        match kind {
            MasterKind::Office => pick(ja, "所属事業所", "Office"),
            MasterKind::Division => pick(ja, "所属", "Division"),
            MasterKind::EmploymentType => pick(ja, "雇用区分", "Employment type"),
        }
    }
}

fn pick(ja: bool, japanese: &'static str, english: &'static str) -> &'static str {
    if ja {
        japanese
    } else {
        english
    }
}

/// Every fixed label of the screens.
pub(crate) struct Texts {
    pub(crate) app: &'static str,
    pub(crate) dashboard: &'static str,
    pub(crate) next: &'static str,
    pub(crate) next_arrow: &'static str,
    pub(crate) maintenance_windows: &'static str,
    pub(crate) maintenance_now: &'static str,
    pub(crate) until: &'static str,
    pub(crate) japan_time: &'static str,
    pub(crate) recent_reports: &'static str,
    pub(crate) all_reports: &'static str,
    pub(crate) no_reports: &'static str,
    pub(crate) settings: &'static str,
    pub(crate) status: &'static str,
    pub(crate) direction: &'static str,
    pub(crate) base_date: &'static str,
    pub(crate) base_date_help: &'static str,
    pub(crate) base_date_range: &'static str,
    pub(crate) base_date_invalid: &'static str,
    pub(crate) counts: &'static str,
    pub(crate) actor: &'static str,
    pub(crate) started_at: &'static str,
    pub(crate) report: &'static str,
    pub(crate) reports: &'static str,
    pub(crate) open: &'static str,
    pub(crate) newer: &'static str,
    pub(crate) older: &'static str,
    pub(crate) fetching_help: &'static str,
    pub(crate) start_sync: &'static str,
    pub(crate) start_sync_arrow: &'static str,
    pub(crate) discard: &'static str,
    pub(crate) discard_help: &'static str,
    pub(crate) reason: &'static str,
    pub(crate) progress: &'static str,
    pub(crate) stop: &'static str,
    pub(crate) stop_help: &'static str,
    pub(crate) stop_requested: &'static str,
    pub(crate) resume: &'static str,
    pub(crate) resume_help: &'static str,
    pub(crate) abandoned_help: &'static str,
    pub(crate) mark_abandoned: &'static str,
    pub(crate) lease_held_by: &'static str,
    pub(crate) selection: &'static str,
    pub(crate) filter: &'static str,
    pub(crate) apply_filter: &'static str,
    pub(crate) change_kind: &'static str,
    pub(crate) select: &'static str,
    pub(crate) select_page: &'static str,
    pub(crate) select_all_filtered: &'static str,
    pub(crate) select_none_filtered: &'static str,
    pub(crate) selected_count: &'static str,
    pub(crate) employee_code: &'static str,
    pub(crate) name: &'static str,
    pub(crate) differences: &'static str,
    pub(crate) warnings: &'static str,
    pub(crate) outcome: &'static str,
    pub(crate) page: &'static str,
    pub(crate) empty_selection: &'static str,
    pub(crate) nothing_listed: &'static str,
    pub(crate) creation_values: &'static str,
    pub(crate) creation_values_rule: &'static str,
    pub(crate) choose: &'static str,
    pub(crate) preview: &'static str,
    pub(crate) preview_help: &'static str,
    pub(crate) create: &'static str,
    pub(crate) update: &'static str,
    pub(crate) confirm_sync: &'static str,
    pub(crate) back_to_selection: &'static str,
    pub(crate) selection_changed: &'static str,
    pub(crate) writes: &'static str,
    pub(crate) warned_employees: &'static str,
    pub(crate) fetch_stale_help: &'static str,
    pub(crate) mark_failed: &'static str,
    pub(crate) write_kind: &'static str,
    pub(crate) sent_values: &'static str,
    pub(crate) prefer_business_name: &'static str,
    pub(crate) prefer_business_name_help: &'static str,
    pub(crate) save: &'static str,
    pub(crate) saved: &'static str,
    pub(crate) test_connection: &'static str,
    pub(crate) connection_ok: &'static str,
    pub(crate) connection_failed: &'static str,
    pub(crate) credentials_note: &'static str,
    pub(crate) forbidden: &'static str,
    pub(crate) forbidden_help: &'static str,
    pub(crate) csrf_refused: &'static str,
    pub(crate) not_found: &'static str,
    pub(crate) error: &'static str,
    pub(crate) back: &'static str,
    pub(crate) none: &'static str,
    pub(crate) empty_value: &'static str,
}

static JA: Texts = Texts {
    app: "従業員情報連携",
    dashboard: "連携ダッシュボード",
    next: "次へ",
    next_arrow: "次へ >",
    maintenance_windows: "メンテナンス時間",
    maintenance_now: "メンテナンス時間中のため連携機能を利用できません。",
    until: "終了予定",
    japan_time: "日本時間",
    recent_reports: "最近の連携レポート",
    all_reports: "すべての連携レポート",
    no_reports: "連携レポートはまだありません。",
    settings: "連携設定",
    status: "ステータス",
    direction: "連携方向",
    base_date: "従業員情報取得基準日",
    base_date_help: "基準日に在籍している従業員を取得します（基準日の翌日以降に入社する従業員、基準日以前に退職した従業員は表示されません）。このタイミングでは連携先への同期は行なわれません。",
    base_date_range: "指定できる範囲",
    base_date_invalid: "基準日を正しい日付（YYYY-MM-DD）で指定してください。",
    counts: "件数",
    actor: "実行者",
    started_at: "開始日時",
    report: "連携レポート",
    reports: "連携レポート一覧",
    open: "開く",
    newer: "< 新しい",
    older: "古い >",
    fetching_help: "従業員情報を取得しています。ステータスが［同期待ち］になるまでお待ちください（画面は自動で更新されます）。",
    start_sync: "同期を開始",
    start_sync_arrow: "同期を開始→",
    discard: "破棄",
    discard_help: "この取得結果を同期せずに破棄します（レポートは記録として残ります）。",
    reason: "理由",
    progress: "進捗",
    stop: "停止",
    stop_help: "送信中の処理は完了させ、残りは未処理のまま中断します。あとから再開できます。",
    stop_requested: "停止を受け付けました。送信中の処理が終わり次第中断します。",
    resume: "再開",
    resume_help: "未処理の従業員だけを、連携先を読み直したうえで処理します。",
    abandoned_help: "この同期を実行していたプロセスが応答していません（リースの期限切れ）。中断として扱ってから再開してください。",
    mark_abandoned: "中断として扱う",
    lease_held_by: "実行中のプロセス",
    selection: "同期対象の従業員を選択",
    filter: "絞り込み",
    apply_filter: "絞り込む",
    change_kind: "変更差分",
    select: "選択",
    select_page: "このページをすべて選択",
    select_all_filtered: "絞り込み結果をすべて選択",
    select_none_filtered: "絞り込み結果の選択をすべて解除",
    selected_count: "選択中",
    employee_code: "社員番号",
    name: "氏名",
    differences: "差分（連携先 → 連携元）",
    warnings: "注意",
    outcome: "結果",
    page: "ページ",
    empty_selection: "同期する従業員を1人以上選択してください。",
    nothing_listed: "該当する従業員はいません。",
    creation_values: "新規登録する従業員の設定",
    creation_values_rule: "選択した新規登録の従業員全員に、ここで選んだ1つの値を設定します。値が異なる場合は値ごとに従業員を選んで連携するか、連携後に連携先で変更してください。既存の従業員を更新するときには送信しません。",
    choose: "選択してください",
    preview: "送信内容の確認",
    preview_help: "同期を実行すると、次の内容を連携先に送信します。まだ何も送信していません。",
    create: "新規登録",
    update: "更新",
    confirm_sync: "同期を実行",
    back_to_selection: "選択に戻る",
    selection_changed: "確認後に選択が変更されました。内容を確認し直してください。",
    writes: "送信件数",
    warned_employees: "名の従業員に注意事項があります（連携先で受け付けられない可能性のある値など）。選択画面の各行で確認できます。",
    fetch_stale_help: "取得が10分以上終わっていません。取得していたプロセスが終了している場合は、失敗として扱ってから取得し直してください（まだ何も書き込まれていません）。",
    mark_failed: "失敗として扱う",
    write_kind: "処理",
    sent_values: "送信する内容（更新は 連携先の現在値 → 送信する値）",
    prefer_business_name: "ビジネスネームを連携する",
    prefer_business_name_help: "人事労務システムからの送信（エクスポート）で、ビジネスネームが設定されている従業員は戸籍上の氏名の代わりにビジネスネームを送ります。変更はこれから取得する連携に反映されます。取り込み（インポート）は常に戸籍上の氏名です。",
    save: "保存",
    saved: "保存しました。",
    test_connection: "接続テスト",
    connection_ok: "接続できました",
    connection_failed: "接続できませんでした",
    credentials_note: "認証情報（アクセストークン）はサーバーの設定で管理され、この画面には表示されません。",
    forbidden: "権限がありません",
    forbidden_help: "この機能は管理者権限のあるユーザーだけが利用できます。",
    csrf_refused: "フォームの有効期限が切れたか、別のサイトから送信されました。何も変更していません。画面を開き直してからやり直してください。",
    not_found: "ページが見つかりません",
    error: "エラー",
    back: "戻る",
    none: "なし",
    empty_value: "（空）",
};

static EN: Texts = Texts {
    app: "Employee sync",
    dashboard: "Sync dashboard",
    next: "Next",
    next_arrow: "Next >",
    maintenance_windows: "Maintenance windows",
    maintenance_now: "Syncing is unavailable during the maintenance window.",
    until: "ends at",
    japan_time: "Japan time",
    recent_reports: "Recent sync reports",
    all_reports: "All sync reports",
    no_reports: "No sync report yet.",
    settings: "Connection settings",
    status: "Status",
    direction: "Direction",
    base_date: "Base date",
    base_date_help: "Lists the employees enrolled on the base date (people hired after it or resigned on or before it are not listed). Nothing is written to either system at this step.",
    base_date_range: "Allowed range",
    base_date_invalid: "Give the base date as a valid date (YYYY-MM-DD).",
    counts: "Counts",
    actor: "By",
    started_at: "Started",
    report: "Sync report",
    reports: "Sync reports",
    open: "Open",
    newer: "< Newer",
    older: "Older >",
    fetching_help: "Fetching the employees. Wait until the status is Awaiting sync (this page updates itself).",
    start_sync: "Start sync",
    start_sync_arrow: "Start sync →",
    discard: "Discard",
    discard_help: "Puts this fetched list aside without syncing (the report stays on record).",
    reason: "Reason",
    progress: "Progress",
    stop: "Stop",
    stop_help: "Writes in flight finish; the rest stay pending and the run can be resumed.",
    stop_requested: "Stop requested: the run stops when the writes in flight have finished.",
    resume: "Resume",
    resume_help: "Processes only the pending employees, after reading the target again.",
    abandoned_help: "The process applying this run no longer answers (its lease expired). Mark it interrupted, then resume it.",
    mark_abandoned: "Mark interrupted",
    lease_held_by: "Applied by",
    selection: "Select the employees to sync",
    filter: "Filter",
    apply_filter: "Apply filter",
    change_kind: "Change",
    select: "Select",
    select_page: "Select this page",
    select_all_filtered: "Select all filtered",
    select_none_filtered: "Clear all filtered",
    selected_count: "Selected",
    employee_code: "Employee code",
    name: "Name",
    differences: "Differences (target → source)",
    warnings: "Warnings",
    outcome: "Outcome",
    page: "Page",
    empty_selection: "Select at least one employee to sync.",
    nothing_listed: "No employee matches.",
    creation_values: "Values for new employees",
    creation_values_rule: "Every new employee selected gets the one value chosen here. For different values, sync the employees of each value separately, or change them in the target afterwards. These values are never sent when an existing employee is updated.",
    choose: "Choose",
    preview: "What will be sent",
    preview_help: "Syncing sends exactly the following to the target. Nothing has been sent yet.",
    create: "Create",
    update: "Update",
    confirm_sync: "Sync now",
    back_to_selection: "Back to the selection",
    selection_changed: "The selection changed after the preview. Review it again.",
    writes: "Writes",
    warned_employees: "employees have warnings (values the target may refuse); each row of the selection shows them.",
    fetch_stale_help: "The fetch has not ended for over 10 minutes. If the process fetching it has ended, mark the run failed and fetch again (nothing has been written).",
    mark_failed: "Mark failed",
    write_kind: "Write",
    sent_values: "What is sent (updates: target's value now → value sent)",
    prefer_business_name: "Send business names",
    prefer_business_name_help: "On export, employees with a business name are sent under it instead of their legal name. A change applies to runs fetched from now on. Import always uses legal names.",
    save: "Save",
    saved: "Saved.",
    test_connection: "Test connection",
    connection_ok: "Connected",
    connection_failed: "Connection failed",
    credentials_note: "Credentials (access tokens) are kept in the server's configuration and never shown here.",
    forbidden: "Forbidden",
    forbidden_help: "Only administrators can use this feature.",
    csrf_refused: "The form expired or was sent from another site. Nothing was changed. Open the page again and retry.",
    not_found: "Page not found",
    error: "Error",
    back: "Back",
    none: "none",
    empty_value: "(empty)",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(header: &str) -> Lang {
        let mut headers = HeaderMap::new();
        headers.insert("accept-language", header.parse().unwrap());
        Lang::from_headers(&headers)
    }

    #[test]
    fn accept_language_picks_the_weightiest_of_ja_and_en() {
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::Ja);
        assert_eq!(lang("en-US,en;q=0.9"), Lang::En);
        assert_eq!(lang("ja,en;q=0.8"), Lang::Ja);
        assert_eq!(lang("en;q=0.5,ja;q=0.9"), Lang::Ja);
        assert_eq!(lang("fr,en;q=0.3"), Lang::En);
        assert_eq!(lang("fr,de"), Lang::Ja);
        assert_eq!(lang("en;q=0"), Lang::Ja);
    }
}
