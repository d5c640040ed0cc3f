//! SPEC B1: each rule with real Japanese examples, each proven by its switch.

use std::borrow::Cow;

use chrono::NaiveDate;

use super::*;
use crate::model::{BusinessName, Gender};
use crate::system::{CodeCharacters, Side};

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

/// `policy`'s validation of a create of `employee` on a target that declares nothing.
fn create_check(policy: ComparisonPolicy, employee: &Employee) -> Validation {
    let target = SystemInfo::new("target", Side::Attendance);
    policy.validate(employee, &Field::ALL, &target, day(2026, 5, 1))
}

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

fn warnings_on(employee: &Employee) -> Vec<Warning> {
    create_check(ComparisonPolicy::default(), employee).warnings
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
        assert!(create_check(ComparisonPolicy::default(), &employee)
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
    create_check(policy, &Employee::new("001").with_email(address))
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

// Issue 10 item 1: the code's identity.

#[test]
fn r11_blanks_around_a_code_are_not_part_of_its_key() {
    let policy = ComparisonPolicy::default();
    let key = |code: &str| policy.match_key(&EmployeeCode::new(code)).into_owned();
    for code in [
        "1001 ",
        " 1001",
        "1001\t",
        "1001\u{3000}",
        "\u{3000}1001\u{3000}",
        "1001\u{A0}",
        "1001\u{2003}",
        "１００１",
        "１００１\u{3000}",
    ] {
        assert_eq!(key(code), "1001", "{code:?}");
    }
    // A blank inside stays: "10 01" is not "1001" (and is Invalid for a create).
    assert_eq!(key(" 10 01 "), "10 01");
    // Case stays.
    assert_ne!(key("a01 "), key("A01"));
    // Trimming borrows.
    assert!(matches!(
        policy.match_key(&EmployeeCode::new("1001 \u{3000}")),
        Cow::Borrowed("1001")
    ));
    // The key of a key is itself.
    for code in ["１０４１\u{3000}", " A－01 ", "カ\u{3099}01 "] {
        let once = key(code);
        assert_eq!(key(&once), once, "{code:?}");
    }
    // With the blanks rule off the blanks count.
    let off = ComparisonPolicy::default().with_blanks(false);
    assert_eq!(off.match_key(&EmployeeCode::new("1001 ")), "1001 ");
    rule_matters(Field::Code, "1001\u{3000}", "1001", off);
}

#[test]
fn r11_canonical_code_warns_with_the_source_form_visible() {
    let policy = ComparisonPolicy::default();
    assert_eq!(policy.canonical_code(&EmployeeCode::new("1001")), None);
    assert_eq!(policy.canonical_code(&EmployeeCode::new("   ")), None);

    let (code, warning) = policy
        .canonical_code(&EmployeeCode::new("1003\u{3000}"))
        .unwrap();
    assert_eq!(code, EmployeeCode::new("1003"));
    assert_eq!(warning.field, Field::Code);
    assert!(
        warning.message.contains(r#""1003\u{3000}""#),
        "{}",
        warning.message
    );
    assert!(warning.message.contains("blanks around it removed"));
    assert!(warning.message.contains(r#""1003""#));

    let (_, warning) = policy.canonical_code(&EmployeeCode::new("1001 ")).unwrap();
    assert!(
        warning.message.contains(r#""1001 ""#),
        "{}",
        warning.message
    );
    // A blank inside is not cosmetic: no canonical form (and Invalid for a create).
    assert_eq!(policy.canonical_code(&EmployeeCode::new("10\t01")), None);

    let (code, warning) = policy
        .canonical_code(&EmployeeCode::new("１０４１"))
        .unwrap();
    assert_eq!(code, EmployeeCode::new("1041"));
    assert!(
        warning.message.contains("full-width"),
        "{}",
        warning.message
    );
    assert!(!warning.message.contains("blanks"));
}

fn kot_like() -> SystemInfo {
    SystemInfo::new("target", Side::Attendance)
        .with_code_characters(CodeCharacters::ascii_alphanumeric_and("-_"))
        .with_max_lengths([(Field::Code, 10), (Field::LastName, 5), (Field::Email, 20)])
}

fn errors_of(employee: &Employee, sent: &[Field], target: &SystemInfo) -> Vec<InvalidReason> {
    ComparisonPolicy::default()
        .validate(employee, sent, target, day(2026, 5, 1))
        .errors
}

fn code_error(code: &str, target: &SystemInfo) -> Option<String> {
    let errors = errors_of(&Employee::new(code), &Field::ALL, target);
    assert!(errors.len() <= 1, "{errors:?}");
    errors.into_iter().next().map(|error| match error {
        InvalidReason::InvalidValue {
            field: Field::Code,
            message,
        } => message,
        other => panic!("{other:?}"),
    })
}

#[test]
fn r11_a_code_with_a_blank_inside_or_characters_the_target_cannot_hold_is_invalid() {
    let any = SystemInfo::new("target", Side::Attendance);
    let kot = kot_like();
    for target in [&any, &kot] {
        let message = code_error("10 01", target).expect("a blank inside");
        assert!(message.contains(r#""10 01""#), "{message}");
        let message = code_error("10\u{3000}01", target).expect("a blank inside");
        assert!(message.contains(r#""10\u{3000}01""#), "{message}");
        // Blanks around it and full width are cosmetic: sent canonical, so fine.
        assert_eq!(code_error(" 1001\u{3000}", target), None);
        assert_eq!(code_error("Ａ－００１", target), None);
        assert_eq!(code_error("emp_01", target), None);
    }
    // What the target declares decides the rest.
    assert_eq!(code_error("本社001", &any), None);
    assert_eq!(code_error("A.01", &any), None);
    let message = code_error("本社.001", &kot).expect("not ASCII");
    assert!(
        message.contains(r#""本" "社" ".""#) && message.contains("ASCII letters, digits and - _"),
        "{message}"
    );
    // Invisible characters are refused even by a system that declares nothing.
    let message = code_error("1001\u{200B}", &any).expect("zero-width space");
    assert!(message.contains(r#""\u{200B}""#), "{message}");
    // The code is checked only when a create sends it.
    let employee = Employee::new("10 01").with_name("山田", "太郎");
    assert!(errors_of(&employee, &[Field::LastName], &kot).is_empty());
    // With the blanks rule off, blanks around the code are blanks in what would be sent.
    let off = ComparisonPolicy::default().with_blanks(false);
    let errors = off
        .validate(&Employee::new("1001 "), &Field::ALL, &any, day(2026, 5, 1))
        .errors;
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn s3_a_text_over_the_declared_length_is_invalid_at_one_over_not_at_the_limit() {
    let target = kot_like();
    let sent = &Field::ALL;
    // Characters, not bytes: five kanji are 15 bytes.
    let at_limit = Employee::new("0123456789")
        .with_name("長谷川五郎", "太郎")
        .with_email("a123456789@ample.com");
    assert_eq!(at_limit.email.as_deref().map(str::len), Some(20));
    assert_eq!(errors_of(&at_limit, sent, &target), vec![]);

    let over = Employee::new("01234567890")
        .with_name("長谷川五郎丸", "太郎")
        .with_email("ab123456789@ample.com");
    let errors = errors_of(&over, sent, &target);
    let mut fields = vec![];
    for error in &errors {
        let InvalidReason::InvalidValue { field, message } = error else {
            panic!("{error:?}")
        };
        let limit = target.max_length(*field).unwrap();
        assert!(
            message.contains(&format!("{} characters long", limit + 1))
                && message.contains(&format!("at most {limit}")),
            "{message}"
        );
        assert!(!message.contains("長谷川"), "no personal data: {message}");
        fields.push(*field);
    }
    assert_eq!(fields, [Field::Code, Field::LastName, Field::Email]);
    // The first name has no declared limit.
    let long_first = Employee::new("1").with_name("山", "太".repeat(1000));
    assert_eq!(errors_of(&long_first, sent, &target), vec![]);
    // Only what is sent: the over-long last name does not count in an email update.
    assert_eq!(errors_of(&over, &[Field::FirstName], &target), vec![]);
}

#[test]
fn s3_length_is_measured_on_what_is_sent() {
    let target = SystemInfo::new("target", Side::Attendance).with_max_length(Field::LastName, 5);
    let padded = Employee::new("1").with_name("\u{3000}長谷川五郎\u{3000}", "太郎");
    let policy = ComparisonPolicy::default();
    let today = day(2026, 5, 1);
    assert_eq!(
        policy
            .validate(&padded, &Field::ALL, &target, today)
            .errors
            .len(),
        1
    );
    let trimming = policy.with_outgoing_trim_blanks(true);
    assert!(trimming
        .validate(&padded, &Field::ALL, &target, today)
        .errors
        .is_empty());
}

fn dated(
    birth: Option<NaiveDate>,
    hire: Option<NaiveDate>,
    resigned: Option<NaiveDate>,
) -> Employee {
    Employee {
        birth_date: birth,
        hire_date: hire,
        resignation_date: resigned,
        ..Employee::new("1")
    }
}

fn date_check(employee: &Employee, sent: &[Field]) -> Validation {
    let target = SystemInfo::new("target", Side::Attendance);
    ComparisonPolicy::default().validate(employee, sent, &target, day(2026, 5, 1))
}

fn date_errors(employee: &Employee, sent: &[Field]) -> Vec<(Field, String)> {
    date_check(employee, sent)
        .errors
        .into_iter()
        .map(|error| match error {
            InvalidReason::InvalidValue { field, message } => (field, message),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn s3_a_birth_date_after_today_is_invalid_today_is_fine() {
    let all = &Field::ALL;
    assert_eq!(
        date_errors(&dated(Some(day(2026, 5, 1)), None, None), all),
        vec![]
    );
    let errors = date_errors(&dated(Some(day(2026, 5, 2)), None, None), all);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, Field::BirthDate);
    assert!(errors[0].1.contains("future"), "{}", errors[0].1);
    assert!(!errors[0].1.contains("2026-05-02"), "no personal data");
    // Not sent, not checked.
    assert_eq!(
        date_errors(
            &dated(Some(day(2027, 5, 1)), None, None),
            &[Field::HireDate]
        ),
        vec![]
    );
}

#[test]
fn s3_a_birth_date_after_the_hire_date_is_invalid_the_same_day_is_not() {
    let hire = day(1995, 4, 1);
    let same_day = dated(Some(hire), Some(hire), None);
    assert_eq!(date_errors(&same_day, &Field::ALL), vec![]);
    let after = dated(Some(day(1995, 4, 2)), Some(hire), None);
    for sent in [&Field::ALL[..], &[Field::BirthDate], &[Field::HireDate]] {
        let errors = date_errors(&after, sent);
        assert_eq!(errors.len(), 1, "{sent:?}");
        assert_eq!(errors[0].0, Field::BirthDate);
        assert!(errors[0].1.contains("after the hire date"));
    }
    // An update that sends neither date leaves them alone.
    assert_eq!(
        date_errors(&after, &[Field::LastName, Field::Email]),
        vec![]
    );
    // The issue's case: born 2000-01-01, hired 1995-04-01.
    let issue = dated(Some(day(2000, 1, 1)), Some(hire), None);
    assert_eq!(date_errors(&issue, &Field::ALL).len(), 1);
}

#[test]
fn s3_a_resignation_before_the_hire_date_is_invalid_the_same_day_is_not() {
    let hire = day(2020, 4, 1);
    assert_eq!(
        date_errors(&dated(None, Some(hire), Some(hire)), &Field::ALL),
        vec![]
    );
    let before = dated(None, Some(hire), Some(day(2020, 3, 31)));
    for sent in [
        &Field::ALL[..],
        &[Field::ResignationDate],
        &[Field::HireDate],
    ] {
        assert_eq!(
            date_errors(&before, sent),
            vec![(Field::ResignationDate, "is before the hire date".to_owned())],
            "{sent:?}"
        );
    }
    assert_eq!(date_errors(&before, &[Field::BirthDate]), vec![]);
}

#[test]
fn s3_younger_than_the_minimum_age_at_hire_is_a_warning_not_an_error() {
    let hire = day(2015, 4, 1);
    let age_warnings = |birth: NaiveDate, policy: ComparisonPolicy| {
        let target = SystemInfo::new("target", Side::Attendance);
        let found = policy.validate(
            &dated(Some(birth), Some(hire), None),
            &Field::ALL,
            &target,
            day(2026, 5, 1),
        );
        assert!(found.errors.is_empty(), "{found:?}");
        found
            .warnings
            .into_iter()
            .filter(|warning| warning.field == Field::BirthDate)
            .count()
    };
    let policy = ComparisonPolicy::default();
    assert_eq!(policy.minimum_age_at_hire, 15);
    // Fifteen on the birthday itself.
    assert_eq!(age_warnings(day(2000, 4, 1), policy), 0);
    assert_eq!(age_warnings(day(2000, 4, 2), policy), 1);
    // Configurable, and 0 turns it off.
    assert_eq!(
        age_warnings(day(2000, 4, 1), policy.with_minimum_age_at_hire(16)),
        1
    );
    assert_eq!(
        age_warnings(day(2010, 4, 1), policy.with_minimum_age_at_hire(0)),
        0
    );
    // Born on 29 February: fifteen on 1 March of a common year, not on 28 February.
    let leap = day(2000, 2, 29);
    let target = SystemInfo::new("target", Side::Attendance);
    let warned = |hire: NaiveDate| {
        !policy
            .validate(
                &dated(Some(leap), Some(hire), None),
                &Field::ALL,
                &target,
                day(2026, 5, 1),
            )
            .warnings
            .is_empty()
    };
    assert!(warned(day(2015, 2, 28)));
    assert!(!warned(day(2015, 3, 1)));
}
