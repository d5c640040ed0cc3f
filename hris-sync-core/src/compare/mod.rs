//! The comparison policy (SPEC B1): which differences are cosmetic, and which values a
//! target may refuse.
//!
//! Classification asks [`ComparisonPolicy::equivalent`] whether a source value and a target
//! value differ, and matches employees by [`ComparisonPolicy::match_key`]. Each rule below is
//! on by default and has its own switch; [`ComparisonPolicy::exact`] turns them all off.
//!
//! | Rule (switch) | Fields | Equal by default |
//! |---|---|---|
//! | [`katakana_width`](ComparisonPolicy::katakana_width) | names, kana | `ﾔﾏﾀﾞ` = `ヤマダ`, `ｶﾞ` = `ガ` |
//! | [`hiragana_katakana`](ComparisonPolicy::hiragana_katakana) | kana | `すずき` = `スズキ` |
//! | [`ascii_width`](ComparisonPolicy::ascii_width) | code, email | `００１` = `001`, `ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ` = `abc@example.com` |
//! | [`blanks`](ComparisonPolicy::blanks) | names, kana; the code's ends | `山田　太郎` = `山田 太郎` = ` 山田  太郎 `; `1001　` = `1001` |
//! | [`email_domain_case`](ComparisonPolicy::email_domain_case) | email | `taro@Example.COM` = `taro@example.com` |
//! | [`unicode_composition`](ComparisonPolicy::unicode_composition) | all text | `ガ` (U+30AC) = `ガ` (U+30AB U+3099) |
//! | [`empty_is_unset`](ComparisonPolicy::empty_is_unset) | all text | `""` = unset |
//!
//! Never equal, whatever the switches: different registered spellings of a name (髙橋 and
//! 高橋, 斉藤, 斎藤 and 齋藤, 渡辺 and 渡邊, 神 U+FA19 and 神 U+795E), compatibility forms
//! (`①` and `1`, `㈱` and `(株)`), and the case of an email's local part. No rule applies
//! NFKC to a whole name, because it folds exactly those.
//!
//! What is sent stays the source's value: [`ComparisonPolicy::prepare_outgoing`] rewrites
//! nothing unless one of its `outgoing_*` switches (all off by default) is turned on. The
//! one exception is the employee code: a create sends its canonical form, the
//! [`match_key`](ComparisonPolicy::match_key), so the next run matches what was created.
//!
//! [`ComparisonPolicy::validate`] checks what a write will send (lengths, code characters,
//! dates, emails) and flags what a target may refuse; see its docs. The full
//! rules table with examples is `docs/comparison.md`.

mod email;
mod text;
mod validate;

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::model::{Employee, EmployeeCode, Field, FieldValue};
use crate::report::{InvalidReason, Warning};
use crate::system::SystemInfo;

/// Which cosmetic differences classification ignores, and which rewrites are applied to
/// what is sent.
///
/// Build one from [`ComparisonPolicy::default`] (every comparison rule on, every outgoing
/// rewrite off) or [`ComparisonPolicy::exact`] and adjust single rules with the `with_*`
/// setters:
///
/// ```
/// use hris_sync_core::{ComparisonPolicy, Field, FieldValue};
///
/// let text = |s: &str| FieldValue::Text(s.to_owned());
/// let policy = ComparisonPolicy::default();
/// assert!(policy.equivalent(Field::LastNameKana, Some(&text("ﾔﾏﾀﾞ")), Some(&text("やまだ"))));
///
/// // Hiragana and katakana readings count as different when the rule is off.
/// let strict = ComparisonPolicy::default().with_hiragana_katakana(false);
/// assert!(!strict.equivalent(Field::LastNameKana, Some(&text("ヤマダ")), Some(&text("やまだ"))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ComparisonPolicy {
    /// Half-width katakana equals full-width katakana in names and kana: `ﾔﾏﾀﾞ ﾀﾛｳ` =
    /// `ヤマダ タロウ`; a half-width voiced mark combines with its kana, `ｶﾞ` = `ガ`,
    /// `ﾊﾟ` = `パ`, `ｳﾞ` = `ヴ`. The half-width punctuation ｡｢｣､･ and ｰ widen too.
    pub katakana_width: bool,
    /// Hiragana equals katakana in the kana fields only ([`Field::is_kana`]):
    /// `すずき` = `スズキ`, `ゔ` = `ヴ`. In a legal name the script is part of the name
    /// (`さくら` and `サクラ` are different given names) and stays significant.
    pub hiragana_katakana: bool,
    /// Full-width ASCII equals ASCII in the employee code and the email: `００１` = `001`,
    /// `Ａ－０１` = `A-01`, `ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ` = `abc@example.com`. The whole
    /// full-width ASCII range U+FF01..U+FF5E folds (digits, letters and symbols such as ＠ ．
    /// － ＿); case does not (`a01` and `A01` are different codes).
    pub ascii_width: bool,
    /// Blanks in names and kana: the ideographic space U+3000, tabs and runs of blanks count as
    /// one space, and leading and trailing blanks are ignored: `山田　太郎` = `山田 太郎` =
    /// ` 山田  太郎 `, `タロウ ` = `タロウ`. A blank against none still differs (`山田 太郎` ≠
    /// `山田太郎`). In the employee code only the blanks around it are ignored (`1001 ` =
    /// `1001　` = `1001`, also in the [match key](Self::match_key)); a code with a blank
    /// inside is Invalid for a create. With the rule off a code's blanks count (`1001 ` ≠
    /// `1001`), and a create of a code with blanks is Invalid, since no code holds blanks.
    pub blanks: bool,
    /// Upper and lower case are equal in the email domain: `taro@Example.CO.JP` =
    /// `taro@example.co.jp`. The local part stays case-sensitive (`Taro@` ≠ `taro@`):
    /// RFC 5321 §2.4 leaves it to the receiving host, so the two may be different mailboxes
    /// and treating them as equal could keep a wrong address in the target.
    pub email_domain_case: bool,
    /// Unicode composed and decomposed forms are equal (canonical composition, NFC) in every
    /// text field: `ガ` as U+30AC = `ガ` as U+30AB U+3099, `パ` as U+30D1 = U+30CF U+309A.
    /// CJK compatibility ideographs are exempt (神 U+FA19 ≠ 神 U+795E): in Japanese names
    /// they are registered spellings. Compatibility folding (NFKC) is never applied to a whole
    /// value, so `①` ≠ `1` and `㈱` ≠ `(株)`.
    pub unicode_composition: bool,
    /// An empty text value equals an unset one (after the other rules, so a name of blanks
    /// only is empty when [`blanks`](Self::blanks) is on): systems disagree on whether a
    /// missing email is `""` or absent.
    pub empty_is_unset: bool,
    /// Outgoing: compose decomposed text (NFC, compatibility ideographs kept) in names, kana
    /// and email before sending. Off by default. The code is never rewritten.
    pub outgoing_compose: bool,
    /// Outgoing: send half-width katakana in names and kana as full-width (`ﾔﾏﾀﾞ` →
    /// `ヤマダ`). Off by default.
    pub outgoing_full_width_kana: bool,
    /// Outgoing: trim leading and trailing blanks of names and kana and keep only the first
    /// blank of a run (`山田　　太郎 ` → `山田　太郎`; the blank the source chose stays).
    /// Off by default.
    pub outgoing_trim_blanks: bool,
    /// Outgoing: send a full-width email as ASCII (`ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ` →
    /// `abc@example.com`). Off by default; [`validate`](ComparisonPolicy::validate) takes
    /// it into account.
    pub outgoing_ascii_email: bool,
    /// Validation: a birth date that makes the employee younger than this many years on the
    /// hire date gets a warning (not an error). 15 by default, the minimum age of the Labour
    /// Standards Act (労働基準法 第56条); 0 turns the check off. An employee reaches an age
    /// on the birthday (born 29 February: on 1 March in a common year).
    pub minimum_age_at_hire: u8,
}

/// Every comparison rule on, every outgoing rewrite off.
impl Default for ComparisonPolicy {
    fn default() -> Self {
        Self {
            katakana_width: true,
            hiragana_katakana: true,
            ascii_width: true,
            blanks: true,
            email_domain_case: true,
            unicode_composition: true,
            empty_is_unset: true,
            outgoing_compose: false,
            outgoing_full_width_kana: false,
            outgoing_trim_blanks: false,
            outgoing_ascii_email: false,
            minimum_age_at_hire: DEFAULT_MINIMUM_AGE_AT_HIRE,
        }
    }
}

/// The default [`ComparisonPolicy::minimum_age_at_hire`]: the Labour Standards Act's 15.
pub const DEFAULT_MINIMUM_AGE_AT_HIRE: u8 = 15;

/// What [`ComparisonPolicy::validate`] found on one employee.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validation {
    /// Values the target may refuse; shown, not blocking.
    pub warnings: Vec<Warning>,
    /// Values the target would certainly refuse: the employee is Invalid.
    pub errors: Vec<InvalidReason>,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $setter:ident => $field:ident;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $setter(mut self, on: bool) -> Self {
            self.$field = on;
            self
        }
    )*};
}

impl ComparisonPolicy {
    /// Every rule off: values compare exactly as stored, nothing is rewritten. (Validation
    /// keeps its thresholds: [`minimum_age_at_hire`](Self::minimum_age_at_hire) stays 15.)
    pub fn exact() -> Self {
        Self {
            katakana_width: false,
            hiragana_katakana: false,
            ascii_width: false,
            blanks: false,
            email_domain_case: false,
            unicode_composition: false,
            empty_is_unset: false,
            outgoing_compose: false,
            outgoing_full_width_kana: false,
            outgoing_trim_blanks: false,
            outgoing_ascii_email: false,
            minimum_age_at_hire: DEFAULT_MINIMUM_AGE_AT_HIRE,
        }
    }

    setters! {
        /// Sets [`katakana_width`](Self::katakana_width).
        with_katakana_width => katakana_width;
        /// Sets [`hiragana_katakana`](Self::hiragana_katakana).
        with_hiragana_katakana => hiragana_katakana;
        /// Sets [`ascii_width`](Self::ascii_width).
        with_ascii_width => ascii_width;
        /// Sets [`blanks`](Self::blanks).
        with_blanks => blanks;
        /// Sets [`email_domain_case`](Self::email_domain_case).
        with_email_domain_case => email_domain_case;
        /// Sets [`unicode_composition`](Self::unicode_composition).
        with_unicode_composition => unicode_composition;
        /// Sets [`empty_is_unset`](Self::empty_is_unset).
        with_empty_is_unset => empty_is_unset;
        /// Sets [`outgoing_compose`](Self::outgoing_compose).
        with_outgoing_compose => outgoing_compose;
        /// Sets [`outgoing_full_width_kana`](Self::outgoing_full_width_kana).
        with_outgoing_full_width_kana => outgoing_full_width_kana;
        /// Sets [`outgoing_trim_blanks`](Self::outgoing_trim_blanks).
        with_outgoing_trim_blanks => outgoing_trim_blanks;
        /// Sets [`outgoing_ascii_email`](Self::outgoing_ascii_email).
        with_outgoing_ascii_email => outgoing_ascii_email;
    }

    /// Sets [`minimum_age_at_hire`](Self::minimum_age_at_hire) (0 turns the check off).
    #[must_use]
    pub fn with_minimum_age_at_hire(mut self, years: u8) -> Self {
        self.minimum_age_at_hire = years;
        self
    }

    /// The employee code's identity: two codes are the same employee exactly when their match
    /// keys are equal. Classification matches source and target by it, counts duplicates by
    /// it (`1001` and `1001 ` in one source are a duplicate pair), and a create sends it as
    /// the code; compare any code a person types (a selection) through it too.
    ///
    /// The key is the code with [`blanks`](Self::blanks) (leading and trailing blanks —
    /// space, tab, U+3000 and any other Unicode white space — removed; a blank inside stays),
    /// [`ascii_width`](Self::ascii_width) (`１０４１` → `1041`) and
    /// [`unicode_composition`](Self::unicode_composition) applied. Case stays (`a01` ≠
    /// `A01`). The key of a key is itself. Cheap: borrowed (no allocation) unless a full-width
    /// or decomposed character has to change, so always for an ASCII code, blanks or not.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use hris_sync_core::{ComparisonPolicy, EmployeeCode};
    ///
    /// let policy = ComparisonPolicy::default();
    /// assert_eq!(policy.match_key(&EmployeeCode::new("１０４１")), "1041");
    /// assert_eq!(policy.match_key(&EmployeeCode::new("1003\u{3000}")), "1003");
    /// assert_eq!(policy.match_key(&EmployeeCode::new(" 10 01\t")), "10 01");
    /// assert!(matches!(policy.match_key(&EmployeeCode::new("1001 ")), Cow::Borrowed("1001")));
    /// ```
    pub fn match_key<'a>(&self, code: &'a EmployeeCode) -> Cow<'a, str> {
        self.key(Field::Code, code.as_str())
    }

    /// Whether two values of `field` are the same under this policy. Dates and genders
    /// compare exactly; text goes through the rules that apply to `field` (see the fields).
    ///
    /// ```
    /// use hris_sync_core::{ComparisonPolicy, Field, FieldValue};
    ///
    /// let text = |s: &str| Some(FieldValue::Text(s.to_owned()));
    /// let policy = ComparisonPolicy::default();
    /// assert!(policy.equivalent(Field::LastName, text("山田\u{3000}").as_ref(), text("山田").as_ref()));
    /// assert!(!policy.equivalent(Field::LastName, text("髙橋").as_ref(), text("高橋").as_ref()));
    /// ```
    pub fn equivalent(&self, field: Field, a: Option<&FieldValue>, b: Option<&FieldValue>) -> bool {
        match (a, b) {
            (Some(FieldValue::Text(a)), Some(FieldValue::Text(b))) => {
                self.equivalent_text(field, a, b)
            }
            (Some(FieldValue::Text(text)), None) | (None, Some(FieldValue::Text(text))) => {
                self.empty_is_unset && self.key(field, text).is_empty()
            }
            (a, b) => a == b,
        }
    }

    /// [`equivalent`](Self::equivalent) for two texts of `field`, without wrapping them in
    /// [`FieldValue`]s. Byte-equal texts return at once; otherwise each text is folded only as
    /// far as it needs (an ASCII name skips the kana and width work).
    pub fn equivalent_text(&self, field: Field, a: &str, b: &str) -> bool {
        a == b || self.key(field, a) == self.key(field, b)
    }

    /// Rewrites a source employee into the form sent to the target, where an `outgoing_*`
    /// switch says so (all off by default, so by default nothing changes):
    ///
    /// - [`outgoing_compose`](Self::outgoing_compose): NFC in names, kana and email;
    /// - [`outgoing_full_width_kana`](Self::outgoing_full_width_kana): `ﾔﾏﾀﾞ` → `ヤマダ` in
    ///   names and kana;
    /// - [`outgoing_trim_blanks`](Self::outgoing_trim_blanks): `山田　　太郎 ` → `山田　太郎`
    ///   in names and kana;
    /// - [`outgoing_ascii_email`](Self::outgoing_ascii_email): `ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ`
    ///   → `abc@example.com`.
    ///
    /// The business name's parts get the name rewrites too. The employee code is left alone
    /// here: classification sends its [`match_key`](Self::match_key) (the canonical code:
    /// trimmed, half-width) and keeps the source's form in
    /// [`ReportEntry::code`](crate::ReportEntry::code), with a warning when they differ.
    pub fn prepare_outgoing(&self, employee: &mut Employee) {
        let names = [
            &mut employee.last_name,
            &mut employee.first_name,
            &mut employee.last_name_kana,
            &mut employee.first_name_kana,
        ];
        let business = employee.business_name.as_mut().map(|name| {
            [
                &mut name.last_name,
                &mut name.first_name,
                &mut name.last_name_kana,
                &mut name.first_name_kana,
            ]
        });
        for value in names
            .into_iter()
            .chain(business.into_iter().flatten())
            .flatten()
        {
            if let Cow::Owned(sent) = self.outgoing_name(value) {
                *value = sent;
            }
        }
        if let Some(address) = &mut employee.email {
            if let Cow::Owned(sent) = self.outgoing_email(address) {
                *address = sent;
            }
        }
    }

    /// Checks the values a write will send: `sent` lists the fields it sends (every field,
    /// [`Field::ALL`], for a create; the differing fields for an update). Values are checked
    /// as they would be sent (the outgoing rewrites taken into account, and the code in its
    /// canonical form, its [`match_key`](Self::match_key)), so the answer is the same before
    /// and after [`prepare_outgoing`](Self::prepare_outgoing). `target` declares what the
    /// target holds; `today` is today's date in Japan. Messages never quote a name, an
    /// address or a date of the employee (SPEC S4); they name the offending symbols only.
    ///
    /// Errors (the employee is Invalid and cannot be selected), where the target would
    /// certainly refuse the value or no administrator would want it sent:
    /// - the code (sent on create only): a blank inside it (`10 01`), or a character the
    ///   target cannot hold ([`SystemInfo::code_characters`]);
    /// - any text longer than the target holds ([`SystemInfo::max_lengths`]), in characters;
    /// - an email with a blank inside, without `@` (a full-width `＠` does not count unless
    ///   [`outgoing_ascii_email`](Self::outgoing_ascii_email) is on), with nothing before or
    ///   after the `@`;
    /// - a birth date after `today` or after the hire date; a resignation date before the
    ///   hire date (the same day is fine). A date rule applies when the update sends one of
    ///   the dates it relates.
    ///
    /// Warnings (shown, not blocking):
    /// - a birth date that makes the employee younger than
    ///   [`minimum_age_at_hire`](Self::minimum_age_at_hire) on the hire date;
    /// - machine-dependent characters (機種依存文字) in the code, names and kana: ① … ⑳ and
    ///   the rest of U+2460..U+24FF, ❶ (U+2776..U+2793), Ⅰ … Ⅻ ⅰ … ⅻ (U+2160..U+217F),
    ///   ㈱ ㈲ ㈹ ㊤ (U+3200..U+32FF), ㌔ ㌢ ㍍ ㍻ ㍼ ㍽ ㍾ ㍿ ㎜ ㏄ (U+3300..U+33FF), and
    ///   № ℡ 〝 〟 ∮ ∑ ∟ ⊿;
    /// - characters outside the Basic Multilingual Plane (𠮷, variation selectors) there too;
    /// - kana fields containing kanji, Latin letters, digits or symbols;
    /// - suspicious emails: blanks around the address, more than one `@`, a domain without a
    ///   dot or with an empty label, a local part with leading, trailing or doubled dots,
    ///   non-ASCII characters, over-long addresses.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use hris_sync_core::{ComparisonPolicy, Employee, Field, InvalidReason, Side, SystemInfo};
    ///
    /// let target = SystemInfo::new("Attendance", Side::Attendance).with_max_length(Field::LastName, 5);
    /// let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
    /// let employee = Employee::new("001").with_name("山田", "太郎").with_kana("ヤマダ", "太郎")
    ///     .with_email("taro.example.com");
    /// let policy = ComparisonPolicy::default();
    /// let found = policy.validate(&employee, &Field::ALL, &target, today);
    /// assert_eq!(found.warnings[0].field, Field::FirstNameKana);
    /// assert_eq!(found.errors.len(), 1);
    ///
    /// // An update that sends only the last name is checked on the last name only.
    /// let long = Employee::new("001").with_name("長い長い名字", "太郎").with_email("taro.example.com");
    /// let found = policy.validate(&long, &[Field::LastName], &target, today);
    /// assert!(matches!(&found.errors[..],
    ///     [InvalidReason::InvalidValue { field: Field::LastName, .. }]));
    /// ```
    pub fn validate(
        &self,
        employee: &Employee,
        sent: &[Field],
        target: &SystemInfo,
        today: NaiveDate,
    ) -> Validation {
        let mut found = Validation::default();
        let sends = |field: Field| sent.contains(&field);
        if sends(Field::Code) {
            let code = self.match_key(&employee.code);
            validate::check_code(&code, &target.code_characters, &mut found.errors);
            validate::check_characters(Field::Code, &code, &mut found.warnings);
            validate::check_length(Field::Code, &code, target, &mut found.errors);
        }
        for (field, value) in [
            (Field::LastName, &employee.last_name),
            (Field::FirstName, &employee.first_name),
            (Field::LastNameKana, &employee.last_name_kana),
            (Field::FirstNameKana, &employee.first_name_kana),
        ] {
            let Some(text) = value.as_deref().filter(|_| sends(field)) else {
                continue;
            };
            let text = self.outgoing_name(text);
            validate::check_length(field, &text, target, &mut found.errors);
            if validate::is_unremarkable(&text, field.is_kana()) {
                continue;
            }
            validate::check_characters(field, &text, &mut found.warnings);
            if field.is_kana() {
                validate::check_kana(field, &text, &mut found.warnings);
            }
        }
        if let Some(address) = employee.email.as_deref().filter(|_| sends(Field::Email)) {
            let address = self.outgoing_email(address);
            email::check(&address, &mut found.warnings, &mut found.errors);
            validate::check_length(Field::Email, &address, target, &mut found.errors);
        }
        validate::check_dates(employee, sends, today, self.minimum_age_at_hire, &mut found);
        found
    }

    /// The canonical code of `code` (its [`match_key`](Self::match_key)) and a warning saying
    /// what changed, when it differs from the code as the source holds it.
    pub(crate) fn canonical_code(&self, code: &EmployeeCode) -> Option<(EmployeeCode, Warning)> {
        let key = self.match_key(code);
        if key == code.as_str() || key.is_empty() {
            return None;
        }
        let source = code.as_str();
        let mut changes = Vec::new();
        if self.blanks && source.trim() != source {
            changes.push("blanks around it removed");
        }
        if self.ascii_width && text::ascii_from_full_width(source).is_some() {
            changes.push("full-width characters made half-width");
        }
        if self.unicode_composition && text::composed(source.trim()).is_some() {
            changes.push("composed (NFC)");
        }
        let message = format!(
            "the source holds the code as {}: {}; it is matched, and created where new, as {}",
            validate::visible(source),
            changes.join(", "),
            validate::visible(&key),
        );
        Some((
            EmployeeCode::new(key.into_owned()),
            Warning {
                field: Field::Code,
                message,
            },
        ))
    }

    /// The email as it would be sent.
    fn outgoing_email<'a>(&self, address: &'a str) -> Cow<'a, str> {
        text::fold(
            address,
            &[
                (self.outgoing_ascii_email, text::ascii_from_full_width),
                (self.outgoing_compose, text::composed),
            ],
        )
    }

    /// A name or kana as it would be sent.
    fn outgoing_name<'a>(&self, name: &'a str) -> Cow<'a, str> {
        text::fold(
            name,
            &[
                (self.outgoing_full_width_kana, text::full_width_katakana),
                (self.outgoing_compose, text::composed),
                (self.outgoing_trim_blanks, text::trimmed_blanks),
            ],
        )
    }

    /// The form of a text value of `field` that equal values share under this policy. ASCII
    /// text skips the width, kana and composition folds: none of them changes ASCII.
    fn key<'a>(&self, field: Field, value: &'a str) -> Cow<'a, str> {
        let wide = !value.is_ascii();
        match field {
            Field::Code => {
                // Trimming borrows: a code with blanks around it costs no allocation.
                let value = if self.blanks { value.trim() } else { value };
                let wide = !value.is_ascii();
                text::fold(
                    value,
                    &[
                        (wide && self.ascii_width, text::ascii_from_full_width),
                        (wide && self.unicode_composition, text::composed),
                    ],
                )
            }
            Field::Email => text::fold(
                value,
                &[
                    (wide && self.ascii_width, text::ascii_from_full_width),
                    (wide && self.unicode_composition, text::composed),
                    (self.email_domain_case, email::lower_domain),
                ],
            ),
            field if field.is_name() => text::fold(
                value,
                &[
                    (wide && self.katakana_width, text::full_width_katakana),
                    (
                        wide && field.is_kana() && self.hiragana_katakana,
                        text::katakana_from_hiragana,
                    ),
                    (wide && self.unicode_composition, text::composed),
                    (self.blanks, text::canonical_blanks),
                ],
            ),
            _ => Cow::Borrowed(value),
        }
    }
}

#[cfg(test)]
mod tests;
