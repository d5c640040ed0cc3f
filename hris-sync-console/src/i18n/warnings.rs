//! The words for the run-level warnings of the guards against mass damage
//! (`hris_sync_core::guards`): each warning as a sentence, and the mass-resignation
//! acknowledgement of the preview page.

use hris_sync_core::guards::{LookAlike, RunWarning};

use super::Lang;

/// The fixed words around the run-level warnings.
pub(crate) struct WarningTexts {
    /// The heading of the list of a run's warnings.
    pub(crate) heading: &'static str,
    /// The label of the check box acknowledging a mass resignation.
    pub(crate) acknowledge: &'static str,
    /// What ticking it means.
    pub(crate) acknowledge_help: &'static str,
    /// "… employees of this selection get a resignation date" (after a number).
    pub(crate) selected_resignations: &'static str,
    /// The preview's message after a confirmation without the acknowledgement.
    pub(crate) not_acknowledged: &'static str,
}

static JA: WarningTexts = WarningTexts {
    heading: "この連携への警告",
    acknowledge: "この警告を確認しました",
    acknowledge_help: "退職年月日を多数設定することを確認したうえで同期する場合にチェックしてください。",
    selected_resignations: "名の従業員に、この選択で退職年月日が設定されます。",
    not_acknowledged: "退職年月日を設定する従業員が多いため、同期を実行しませんでした（何も送信していません）。警告を確認し、「この警告を確認しました」にチェックしてから、もう一度「同期を実行」を押してください。",
};

static EN: WarningTexts = WarningTexts {
    heading: "Warnings about this run",
    acknowledge: "I have seen this warning",
    acknowledge_help: "Tick it to sync although the run sets resignation dates on many employees.",
    selected_resignations: "employees get a resignation date with this selection.",
    not_acknowledged: "The sync did not start (nothing was sent): it sets resignation dates on many employees. Read the warning, tick “I have seen this warning”, and confirm again.",
};

impl Lang {
    /// The fixed words around the run-level warnings.
    pub(crate) fn warning_texts(self) -> &'static WarningTexts {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }

    /// A run-level warning as a sentence an administrator can act on.
    pub(crate) fn run_warning(self, warning: &RunWarning) -> String {
        match (self, warning) {
            (
                Lang::Ja,
                RunWarning::MassClearing {
                    field,
                    empty_in_source,
                    listed,
                    held_by_target,
                },
            ) => {
                let field = self.field(*field);
                format!(
                    "一括削除の防止：連携元では {listed} 名中 {empty_in_source} 名の「{field}」が空ですが、\
                     連携先では {held_by_target} 名が値を持っています。連携元がこの項目を読み取れない\
                     （API トークンに権限がないなど）可能性が高いため、これらの値は削除しません。\
                     本当に削除された値であれば、一括削除の防止を無効にして連携し直してください。"
                )
            }
            (
                Lang::Ja,
                RunWarning::EverythingNew {
                    new,
                    listed,
                    target_size,
                    look_alikes,
                    example,
                },
            ) => {
                let mut text = format!(
                    "ほぼ全員が新規登録：{listed} 名中 {new} 名が新規登録ですが、連携先にはすでに \
                     {target_size} 件の従業員が登録されています。両システムの社員番号が一致していない\
                     （採番の違い、先頭のゼロなど）可能性があります。"
                );
                if let Some(LookAlike { source, target }) = example {
                    text.push_str(&format!(
                        "先頭のゼロと空白を除くと連携先の社員番号と一致する新規の社員番号が {look_alikes} 件\
                         あります（例：連携元「{}」と連携先「{}」）。",
                        source.as_str(),
                        target.as_str()
                    ));
                }
                text.push_str("新規登録する前に社員番号を確認してください。");
                text
            }
            (
                Lang::Ja,
                RunWarning::MassResignation {
                    count,
                    enrolled,
                    share,
                },
            ) => format!(
                "大量の退職：この連携は、連携先の在籍従業員 {enrolled} 名のうち {count} 名（{share}）に\
                 退職年月日を設定します。連携元の退職年月日を確認してください。この警告を確認しない限り、\
                 これらの従業員を含む同期は実行されません。"
            ),
            (
                Lang::En,
                RunWarning::MassClearing {
                    field,
                    empty_in_source,
                    listed,
                    held_by_target,
                },
            ) => {
                let field = self.field(*field);
                format!(
                    "Mass clearing: {field} is empty for {empty_in_source} of {listed} listed \
                     employees in the source, while the target holds it for {held_by_target} of \
                     them. The source probably cannot read {field} (an API token without the \
                     right to it), so those values are not cleared. If they were really deleted, \
                     run again with the mass-clearing guard off."
                )
            }
            (
                Lang::En,
                RunWarning::EverythingNew {
                    new,
                    listed,
                    target_size,
                    look_alikes,
                    example,
                },
            ) => {
                let mut text = format!(
                    "Nearly everyone new: {new} of {listed} listed employees are new although \
                     the target already holds {target_size} records. The employee codes probably \
                     do not match between the systems (a different numbering, leading zeros). "
                );
                if let Some(LookAlike { source, target }) = example {
                    text.push_str(&format!(
                        "{look_alikes} new codes look like a target code once leading zeros and \
                         blanks are stripped, such as source “{}” and target “{}”. ",
                        source.as_str(),
                        target.as_str()
                    ));
                }
                text.push_str("Check the codes before creating them.");
                text
            }
            (
                Lang::En,
                RunWarning::MassResignation {
                    count,
                    enrolled,
                    share,
                },
            ) => format!(
                "Mass resignation: this run sets a resignation date on {count} of the target's \
                 {enrolled} enrolled employees ({share}). Check the source's resignation dates. \
                 A sync including them runs only once this warning is acknowledged."
            ),
            // A warning added to the core later: its own (English) sentence.
            (_, other) => other.to_string(),
        }
    }
}

/// The stable name of a warning, for `data-warning` attributes (scripts and tests).
pub(crate) fn warning_name(warning: &RunWarning) -> &'static str {
    match warning {
        RunWarning::MassClearing { .. } => "mass_clearing",
        RunWarning::EverythingNew { .. } => "everything_new",
        RunWarning::MassResignation { .. } => "mass_resignation",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use hris_sync_core::guards::Share;
    use hris_sync_core::{EmployeeCode, Field};

    use super::*;

    #[test]
    fn every_warning_is_a_sentence_in_both_languages_with_its_numbers() {
        let warnings = [
            RunWarning::MassClearing {
                field: Field::Email,
                empty_in_source: 40,
                listed: 41,
                held_by_target: 38,
            },
            RunWarning::EverythingNew {
                new: 45,
                listed: 50,
                target_size: 48,
                look_alikes: 44,
                example: Some(LookAlike {
                    source: EmployeeCode::new("1001"),
                    target: EmployeeCode::new("001001"),
                }),
            },
            RunWarning::MassResignation {
                count: 6,
                enrolled: 50,
                share: Share::of(6, 50),
            },
        ];
        let ja: Vec<String> = warnings.iter().map(|w| Lang::Ja.run_warning(w)).collect();
        let en: Vec<String> = warnings.iter().map(|w| Lang::En.run_warning(w)).collect();
        assert!(ja[0].contains("メールアドレス") && ja[0].contains("41 名中 40 名"));
        assert!(en[0].contains("Email is empty for 40 of 41"));
        assert!(ja[1].contains("「1001」") && ja[1].contains("「001001」"));
        assert!(en[1].contains("45 of 50") && en[1].contains("“001001”"));
        assert!(ja[2].contains("50 名のうち 6 名（12%）"));
        assert!(en[2].contains("6 of the target's 50 enrolled employees (12%)"));
        for text in &ja {
            assert!(!text.is_ascii(), "Japanese, not the core's English: {text}");
        }
        let names: Vec<_> = warnings.iter().map(warning_name).collect();
        assert_eq!(
            names,
            ["mass_clearing", "everything_new", "mass_resignation"]
        );
    }
}
