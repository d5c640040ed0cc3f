//! SPEC B1: each rule with real Japanese examples, each proven by its switch.

use std::borrow::Cow;

use chrono::NaiveDate;

use super::*;
use crate::model::{BusinessName, Gender};

fn text(value: &str) -> FieldValue {
    FieldValue::Text(value.to_owned())
}

fn same(policy: &ComparisonPolicy, field: Field, a: &str, b: &str) -> bool {
    let equal = policy.equivalent(field, Some(&text(a)), Some(&text(b)));
    // The relation is symmetric and the text shortcut agrees with it.
    assert_eq!(
        equal,
        policy.equivalent(field, Some(&text(b)), Some(&text(a)))
    );
    assert_eq!(equal, policy.equivalent_text(field, a, b));
    equal
}

/// Asserts that `a` and `b` are equal under the default policy and differ once `off` has
/// turned the one rule off.
fn rule_matters(field: Field, a: &str, b: &str, off: ComparisonPolicy) {
    assert!(
        same(&ComparisonPolicy::default(), field, a, b),
        "{field}: {a:?} and {b:?} should be equal by default"
    );
    assert!(
        !same(&off, field, a, b),
        "{field}: {a:?} and {b:?} should differ with the rule off"
    );
}

#[test]
fn b1_half_width_katakana_equals_full_width() {
    let off = ComparisonPolicy::default().with_katakana_width(false);
    rule_matters(Field::LastNameKana, "ﾔﾏﾀﾞ", "ヤマダ", off);
    rule_matters(Field::FirstNameKana, "ﾀﾛｳ", "タロウ", off);
    rule_matters(Field::LastNameKana, "ｽｽﾞｷ", "スズキ", off);
    rule_matters(Field::LastNameKana, "ﾊﾟｸ", "パク", off);
    rule_matters(Field::FirstNameKana, "ｳﾞｨｸﾄﾙ", "ヴィクトル", off);
    rule_matters(Field::FirstNameKana, "ｼﾞｮｰ", "ジョー", off);
    // Legal names written in katakana too.
    rule_matters(Field::FirstName, "ｴﾘｶ", "エリカ", off);
    // The voiced mark makes a different letter: カ is not ガ.
    assert!(!same(
        &ComparisonPolicy::default(),
        Field::LastNameKana,
        "ｶﾀﾔﾏ",
        "ガタヤマ"
    ));
}

#[test]
fn b1_hiragana_equals_katakana_in_kana_fields_only() {
    let off = ComparisonPolicy::default().with_hiragana_katakana(false);
    rule_matters(Field::LastNameKana, "すずき", "スズキ", off);
    rule_matters(Field::FirstNameKana, "たろう", "タロウ", off);
    rule_matters(Field::LastNameKana, "やまだ", "ヤマダ", off);
    rule_matters(Field::LastNameKana, "ゔぃ", "ヴィ", off);
    // With the width rule, half-width katakana meets hiragana too.
    rule_matters(Field::LastNameKana, "ｽｽﾞｷ", "すずき", off);
    // In a legal name the script is the name: さくら and サクラ are different given names.
    let policy = ComparisonPolicy::default();
    assert!(!same(&policy, Field::FirstName, "さくら", "サクラ"));
    assert!(!same(&policy, Field::LastName, "すずき", "スズキ"));
}

#[test]
fn b1_full_width_ascii_equals_ascii_in_codes_and_emails() {
    let off = ComparisonPolicy::default().with_ascii_width(false);
    rule_matters(Field::Code, "００１", "001", off);
    rule_matters(Field::Code, "Ａ－０１２３", "A-0123", off);
    rule_matters(
        Field::Email,
        "ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        "abc@example.com",
        off,
    );
    rule_matters(
        Field::Email,
        "taro＠example.co.jp",
        "taro@example.co.jp",
        off,
    );

    let (wide, narrow) = (EmployeeCode::new("００１"), EmployeeCode::new("001"));
    let policy = ComparisonPolicy::default();
    assert_eq!(policy.match_key(&wide), policy.match_key(&narrow));
    assert_ne!(off.match_key(&wide), off.match_key(&narrow));

    // Case is not width: a01 and A01 are different codes.
    assert!(!same(&policy, Field::Code, "ａ01", "A01"));
    // The rule is for codes and emails; names keep their width.
    assert!(!same(&policy, Field::LastName, "ＳＭＩＴＨ", "SMITH"));
}

#[test]
fn b1_ideographic_space_and_surrounding_blanks_are_cosmetic() {
    let off = ComparisonPolicy::default().with_blanks(false);
    rule_matters(Field::LastName, "山田\u{3000}太郎", "山田 太郎", off);
    rule_matters(
        Field::LastNameKana,
        "ヤマダ\u{3000}タロウ",
        "ヤマダ タロウ",
        off,
    );
    rule_matters(Field::LastName, "山田 ", "山田", off);
    rule_matters(Field::FirstName, "\u{3000}太郎", "太郎", off);
    rule_matters(Field::FirstNameKana, "タロウ  ", "タロウ", off);
    rule_matters(Field::LastName, "山田  太郎", "山田 太郎", off);
    rule_matters(
        Field::LastName,
        "山田\u{3000}\u{3000}太郎\u{3000}",
        "山田 太郎",
        off,
    );
    // A blank against none is a real difference.
    assert!(!same(
        &ComparisonPolicy::default(),
        Field::LastName,
        "山田 太郎",
        "山田太郎"
    ));
}

#[test]
fn b1_email_domain_case_is_ignored_but_local_part_case_is_not() {
    let off = ComparisonPolicy::default().with_email_domain_case(false);
    rule_matters(
        Field::Email,
        "taro@Example.CO.JP",
        "taro@example.co.jp",
        off,
    );
    rule_matters(
        Field::Email,
        "yamada.taro@SMARTHR.JP",
        "yamada.taro@smarthr.jp",
        off,
    );
    let policy = ComparisonPolicy::default();
    assert!(!same(
        &policy,
        Field::Email,
        "Taro@example.co.jp",
        "taro@example.co.jp"
    ));
    // Full-width and upper case together: both rules apply.
    assert!(same(
        &policy,
        Field::Email,
        "taro@ＥＸＡＭＰＬＥ.jp",
        "taro@example.jp"
    ));
}

#[test]
fn b1_composed_equals_decomposed() {
    let off = ComparisonPolicy::default().with_unicode_composition(false);
    rule_matters(Field::LastNameKana, "ガ", "カ\u{3099}", off);
    rule_matters(Field::LastNameKana, "ヤマダ", "ヤマタ\u{3099}", off);
    rule_matters(Field::FirstNameKana, "パク", "ハ\u{309A}ク", off);
    rule_matters(Field::LastNameKana, "すずき", "スス\u{3099}キ", off);
    rule_matters(Field::LastName, "ジョゼ", "シ\u{3099}ョセ\u{3099}", off);
    rule_matters(
        Field::Email,
        "josé@example.com",
        "jose\u{301}@example.com",
        off,
    );
    // The width rule combines ｶﾞ on its own: it does not depend on this switch.
    assert!(same(&off, Field::LastNameKana, "ｶﾞ", "ガ"));
}

#[test]
fn b1_registered_spellings_stay_different() {
    let policy = ComparisonPolicy::default();
    for (a, b) in [
        ("髙橋", "高橋"),
        ("斉藤", "斎藤"),
        ("斎藤", "齋藤"),
        ("斉藤", "齋藤"),
        ("渡辺", "渡邊"),
        ("渡辺", "渡邉"),
        ("山崎", "山﨑"),
        ("吉田", "𠮷田"),
        // 神 as the compatibility ideograph U+FA19: canonically equal to 神 under plain NFC.
        ("\u{FA19}田", "\u{795E}田"),
        // Compatibility forms are not folded (NFKC would).
        ("①", "1"),
        ("Ⅱ", "II"),
        ("㈱", "(株)"),
        ("㍻", "平成"),
    ] {
        for field in [Field::LastName, Field::FirstName, Field::LastNameKana] {
            assert!(
                !same(&policy, field, a, b),
                "{field}: {a} and {b} must differ"
            );
        }
    }
}

#[test]
fn b1_empty_text_equals_unset() {
    let policy = ComparisonPolicy::default();
    let off = policy.with_empty_is_unset(false);
    let empty = text("");
    assert!(policy.equivalent(Field::Email, Some(&empty), None));
    assert!(policy.equivalent(Field::LastNameKana, None, Some(&text("\u{3000} "))));
    assert!(!off.equivalent(Field::Email, Some(&empty), None));
    assert!(!off.equivalent(Field::LastNameKana, None, Some(&text("\u{3000} "))));
    assert!(!policy.equivalent(Field::LastName, Some(&text("山田")), None));
}

#[test]
fn b1_exact_policy_compares_as_stored() {
    let exact = ComparisonPolicy::exact();
    assert!(same(&exact, Field::LastName, "山田", "山田"));
    for (field, a, b) in [
        (Field::LastNameKana, "ﾔﾏﾀﾞ", "ヤマダ"),
        (Field::LastNameKana, "やまだ", "ヤマダ"),
        (Field::Code, "００１", "001"),
        (Field::LastName, "山田\u{3000}", "山田"),
        (Field::Email, "taro@Example.com", "taro@example.com"),
        (Field::LastNameKana, "ガ", "カ\u{3099}"),
    ] {
        assert!(!same(&exact, field, a, b), "{field}: {a} and {b}");
    }
    assert!(!exact.equivalent(Field::Email, Some(&text("")), None));
    assert!(matches!(
        exact.match_key(&EmployeeCode::new("００１")),
        Cow::Borrowed("００１")
    ));
}

#[test]
fn b1_dates_and_genders_compare_exactly() {
    let policy = ComparisonPolicy::default();
    let date = |d| FieldValue::Date(NaiveDate::from_ymd_opt(2020, 4, d).unwrap());
    assert!(policy.equivalent(Field::HireDate, Some(&date(1)), Some(&date(1))));
    assert!(!policy.equivalent(Field::HireDate, Some(&date(1)), Some(&date(2))));
    assert!(!policy.equivalent(Field::HireDate, Some(&date(1)), None));
    let gender = |g| FieldValue::Gender(g);
    assert!(!policy.equivalent(
        Field::Gender,
        Some(&gender(Gender::Male)),
        Some(&gender(Gender::Female))
    ));
    assert!(policy.equivalent(Field::Gender, None, None));
}

#[test]
fn b1_match_key_borrows_codes_that_need_no_change() {
    let policy = ComparisonPolicy::default();
    for code in ["001", "A-0123", "emp_42", "本社001"] {
        let code = EmployeeCode::new(code);
        assert!(
            matches!(policy.match_key(&code), Cow::Borrowed(key) if key == code.as_str()),
            "{code}"
        );
    }
    assert!(matches!(
        policy.match_key(&EmployeeCode::new("００１")),
        Cow::Owned(key) if key == "001"
    ));
}

fn messy_employee() -> Employee {
    Employee::new("００１")
        .with_name("山田\u{3000}\u{3000}", "ﾀﾛｳ")
        .with_kana("ﾔﾏﾀﾞ ", "タ\u{3099}ロウ")
        .with_email("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ")
        .with_business_name(BusinessName {
            last_name: Some("ﾔﾏﾀﾞ".to_owned()),
            ..BusinessName::default()
        })
}

#[test]
fn b1_prepare_outgoing_keeps_source_values_by_default() {
    let mut employee = messy_employee();
    ComparisonPolicy::default().prepare_outgoing(&mut employee);
    assert_eq!(employee, messy_employee());
    ComparisonPolicy::exact().prepare_outgoing(&mut employee);
    assert_eq!(employee, messy_employee());
}

#[test]
fn b1_prepare_outgoing_rewrites_only_what_is_switched_on() {
    let prepared = |policy: ComparisonPolicy| {
        let mut employee = messy_employee();
        policy.prepare_outgoing(&mut employee);
        employee
    };
    let base = ComparisonPolicy::default();

    let wide = prepared(base.with_outgoing_full_width_kana(true));
    assert_eq!(wide.first_name.as_deref(), Some("タロウ"));
    assert_eq!(wide.last_name_kana.as_deref(), Some("ヤマダ "));
    assert_eq!(
        wide.business_name.unwrap().last_name.as_deref(),
        Some("ヤマダ")
    );
    assert_eq!(wide.first_name_kana, messy_employee().first_name_kana);

    let composed = prepared(base.with_outgoing_compose(true));
    assert_eq!(composed.first_name_kana.as_deref(), Some("ダロウ"));
    assert_eq!(composed.first_name.as_deref(), Some("ﾀﾛｳ"));

    let trimmed = prepared(base.with_outgoing_trim_blanks(true));
    assert_eq!(trimmed.last_name.as_deref(), Some("山田"));
    assert_eq!(trimmed.last_name_kana.as_deref(), Some("ﾔﾏﾀﾞ"));

    let ascii = prepared(base.with_outgoing_ascii_email(true));
    assert_eq!(ascii.email.as_deref(), Some("taro@example.com"));
    assert_eq!(ascii.last_name, messy_employee().last_name);

    // The code is the match key: never rewritten.
    let all = prepared(
        base.with_outgoing_full_width_kana(true)
            .with_outgoing_compose(true)
            .with_outgoing_trim_blanks(true)
            .with_outgoing_ascii_email(true),
    );
    assert_eq!(all.code, EmployeeCode::new("００１"));
    // What is sent stays equivalent to the source under the default rules.
    let source = messy_employee();
    for field in Field::ALL {
        assert!(
            base.equivalent(field, source.get(field).as_ref(), all.get(field).as_ref()),
            "{field}"
        );
    }
}

fn warnings_on(employee: &Employee) -> Vec<Warning> {
    ComparisonPolicy::default().validate(employee).warnings
}

#[test]
fn b1_warns_on_machine_dependent_characters() {
    for symbol in [
        "①", "⑳", "⑴", "❶", "Ⅰ", "Ⅱ", "Ⅹ", "ⅰ", "ⅹ", "㈱", "㈲", "㈹", "㊤", "㍻", "㍼", "㍽",
        "㍾", "㍿", "㌔", "㌢", "㍍", "㎜", "㏄", "№", "℡", "〝", "∮", "⊿",
    ] {
        let employee = Employee::new("001").with_name(format!("山田{symbol}"), "太郎");
        let warnings = warnings_on(&employee);
        assert_eq!(warnings.len(), 1, "{symbol}: {warnings:?}");
        assert_eq!(warnings[0].field, Field::LastName);
        assert!(warnings[0].message.contains(symbol), "{symbol}");
        assert!(ComparisonPolicy::default()
            .validate(&employee)
            .errors
            .is_empty());
    }
    // Registered spellings outside JIS X 0208 are names, not warnings.
    let takahashi = Employee::new("001")
        .with_name("髙橋", "一郎")
        .with_kana("タカハシ", "イチロウ");
    assert!(warnings_on(&takahashi).is_empty());
    // Codes are checked too.
    let code = Employee::new("①");
    assert_eq!(warnings_on(&code)[0].field, Field::Code);
}

#[test]
fn b1_warns_on_characters_outside_the_bmp() {
    let employee = Employee::new("001").with_name("𠮷田", "太郎");
    let warnings = warnings_on(&employee);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].field, Field::LastName);
    assert!(warnings[0].message.contains("Basic Multilingual Plane"));
}

#[test]
fn b1_warns_on_non_kana_in_kana_fields() {
    for (kana, kind) in [
        ("山田", "kanji"),
        ("Yamada", "Latin letters"),
        ("ＹＡＭＡＤＡ", "Latin letters"),
        ("ヤマダ2", "digits"),
        ("ヤマダ（旧姓）", "symbols"),
    ] {
        let warnings = warnings_on(&Employee::new("001").with_kana(kana, "タロウ"));
        assert_eq!(warnings.len(), 1, "{kana}: {warnings:?}");
        assert_eq!(warnings[0].field, Field::LastNameKana);
        assert!(
            warnings[0].message.contains(kind),
            "{kana}: {}",
            warnings[0].message
        );
        // The value itself is not quoted.
        assert!(!warnings[0].message.contains(kana));
    }
    for kana in [
        "ヤマダ",
        "やまだ",
        "ﾔﾏﾀﾞ",
        "ヤマダ\u{3000}タロウ",
        "ファン・デル・ヴェー",
        "ゝヽヾー",
    ] {
        assert!(
            warnings_on(&Employee::new("001").with_kana(kana, "タロウ")).is_empty(),
            "{kana}"
        );
    }
    // Kanji in a legal name is the norm.
    assert!(warnings_on(&Employee::new("001").with_name("山田", "太郎")).is_empty());
}

fn email_check(policy: ComparisonPolicy, address: &str) -> Validation {
    policy.validate(&Employee::new("001").with_email(address))
}

#[test]
fn b1_rejects_malformed_emails() {
    for (address, why) in [
        ("taro.example.com", "no @"),
        ("taro yamada@example.com", "blank"),
        ("taro@example\u{3000}.com", "blank"),
        ("@example.com", "nothing before"),
        ("taro@", "no domain"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "full-width"),
    ] {
        let found = email_check(ComparisonPolicy::default(), address);
        assert!(
            found.errors.iter().any(|error| matches!(
                error,
                InvalidReason::InvalidValue { field: Field::Email, message }
                    if message.contains(why) && !message.contains(address)
            )),
            "{address}: {found:?}"
        );
    }
    // Sent as ASCII, the full-width address is fine.
    let folded = email_check(
        ComparisonPolicy::default().with_outgoing_ascii_email(true),
        "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    );
    assert_eq!(folded, Validation::default());
}

#[test]
fn b1_warns_on_suspicious_emails() {
    for (address, why) in [
        (" taro@example.com", "blanks before or after"),
        ("taro@example.com\u{3000}", "blanks before or after"),
        ("taro..yamada.@docomo.ne.jp", "dot"),
        ("taro@localhost", "no dot"),
        ("taro@example..com", "empty label"),
        ("a@b@example.com", "more than one @"),
        ("taro@例え.jp", "non-ASCII"),
        ("taro@ｅｘａｍｐｌｅ.jp", "full-width"),
    ] {
        let found = email_check(ComparisonPolicy::default(), address);
        assert!(found.errors.is_empty(), "{address}: {found:?}");
        assert!(
            found
                .warnings
                .iter()
                .any(|w| w.field == Field::Email && w.message.contains(why)),
            "{address}: {found:?}"
        );
    }
    let long = format!("{}@example.com", "a".repeat(65));
    assert_eq!(
        email_check(ComparisonPolicy::default(), &long)
            .warnings
            .len(),
        1
    );
    for fine in ["taro.yamada@example.co.jp", "t+sync@mail.example.com", ""] {
        assert_eq!(
            email_check(ComparisonPolicy::default(), fine),
            Validation::default(),
            "{fine}"
        );
    }
}
