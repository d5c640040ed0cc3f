//! Checks of what a write sends: machine-dependent characters, characters outside the Basic
//! Multilingual Plane, non-kana in kana fields, the code's characters, lengths and dates.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use crate::model::{Employee, Field};
use crate::report::{InvalidReason, Warning};
use crate::system::{is_blank_or_invisible, CodeCharacters, SystemInfo};

use super::Validation;

/// Machine-dependent characters (機種依存文字): the NEC special characters (row 13 of
/// Windows-31J / CP932) and the IBM extensions, which are not in JIS X 0208, so Shift_JIS
/// and ISO-2022-JP systems refuse or garble them. Flagged by whole Unicode ranges:
///
/// - U+2460..U+24FF Enclosed Alphanumerics: ① … ⑳, ⑴, ⒈, ⓐ;
/// - U+2776..U+2793 dingbat circled digits: ❶, ➀;
/// - U+2160..U+217F Roman numerals: Ⅰ … Ⅻ, ⅰ … ⅻ;
/// - U+3200..U+32FF Enclosed CJK Letters and Months: ㈱ ㈲ ㈹ ㊤ ㊥ ㊦ ㊧ ㊨;
/// - U+3300..U+33FF CJK Compatibility: ㌔ ㌢ ㍍ ㌘ ㌧ ㍉, ㍻ ㍼ ㍽ ㍾ ㍿, ㎜ ㎝ ㎞ ㎏ ㏄ ㎡ ㏍;
/// - the row-13 symbols № ℡ 〝 〟 ∮ ∑ ∟ ⊿.
///
/// IBM extended kanji (髙, 﨑 …) are not flagged: they are people's registered spellings and
/// a warning on every 髙橋 would teach administrators to ignore warnings.
pub(super) fn is_machine_dependent(c: char) -> bool {
    matches!(c,
        '\u{2460}'..='\u{24FF}'
        | '\u{2776}'..='\u{2793}'
        | '\u{2160}'..='\u{217F}'
        | '\u{3200}'..='\u{32FF}'
        | '\u{3300}'..='\u{33FF}'
        | '№' | '℡' | '〝' | '〟' | '∮' | '∑' | '∟' | '⊿'
    )
}

/// One pass over the text Japanese names are usually made of, so most employees need no
/// closer look: kana (and blanks) in a kana field; ASCII, kana, common CJK symbols, unified
/// ideographs and full-width forms in a name. `false` means "check in detail", not "warn".
pub(super) fn is_unremarkable(text: &str, kana: bool) -> bool {
    if kana {
        text.chars().all(
            |c| matches!(c, ' ' | '\u{3000}' | '\u{3041}'..='\u{30FF}' | '\u{FF65}'..='\u{FF9F}'),
        )
    } else {
        text.chars().all(|c| {
            matches!(c,
                '\0'..='\u{7F}'
                | '\u{3000}'..='\u{301C}'
                | '\u{3041}'..='\u{30FF}'
                | '\u{4E00}'..='\u{9FFF}'
                | '\u{FF01}'..='\u{FF9F}'
            )
        })
    }
}

/// Warns about machine-dependent characters (naming them: they are symbols, not personal
/// data) and characters outside the BMP (𠮷, variation selectors), which Shift_JIS targets
/// and 3-byte UTF-8 stores (MySQL `utf8`) refuse.
pub(super) fn check_characters(field: Field, text: &str, warnings: &mut Vec<Warning>) {
    if text.is_ascii() {
        return;
    }
    let mut found = String::new();
    let mut beyond_bmp = false;
    for c in text.chars() {
        if is_machine_dependent(c) && !found.contains(c) {
            if !found.is_empty() {
                found.push(' ');
            }
            found.push(c);
        }
        beyond_bmp |= u32::from(c) > 0xFFFF;
    }
    if !found.is_empty() {
        let message = format!(
            "contains machine-dependent characters (機種依存文字) {found}; the target may \
             refuse or garble them"
        );
        warnings.push(Warning { field, message });
    }
    if beyond_bmp {
        warnings.push(Warning {
            field,
            message: "contains characters outside the Basic Multilingual Plane (such as 𠮷 or \
                      an ideographic variation selector); the target may refuse them"
                .to_owned(),
        });
    }
}

/// What a non-kana character in a kana field is, for the warning.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NonKana {
    Kanji,
    Latin,
    Digit,
    Other,
}

fn non_kana(c: char) -> Option<NonKana> {
    match c {
        // Hiragana, the voiced marks and ゝゞゟ, katakana (with ・ ー ヽ ヾ ヿ), the small
        // katakana extensions, half-width katakana (･ to ﾟ), and blanks.
        '\u{3041}'..='\u{3096}'
        | '\u{3099}'..='\u{309F}'
        | '\u{30A0}'..='\u{30FF}'
        | '\u{31F0}'..='\u{31FF}'
        | '\u{FF65}'..='\u{FF9F}' => None,
        c if c.is_whitespace() => None,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}'
        | '々' => Some(NonKana::Kanji),
        'A'..='Z' | 'a'..='z' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => Some(NonKana::Latin),
        '0'..='9' | '０'..='９' => Some(NonKana::Digit),
        _ => Some(NonKana::Other),
    }
}

/// Warns when a kana field holds something that is not kana: kanji (a name typed into the
/// reading), Latin letters, digits or other symbols. Hiragana and half-width katakana are
/// kana and pass.
pub(super) fn check_kana(field: Field, text: &str, warnings: &mut Vec<Warning>) {
    let mut kinds: Vec<NonKana> = text.chars().filter_map(non_kana).collect();
    if kinds.is_empty() {
        return;
    }
    kinds.sort_unstable();
    kinds.dedup();
    let names: Vec<&str> = kinds
        .iter()
        .map(|kind| match kind {
            NonKana::Kanji => "kanji",
            NonKana::Latin => "Latin letters",
            NonKana::Digit => "digits",
            NonKana::Other => "symbols",
        })
        .collect();
    warnings.push(Warning {
        field,
        message: format!(
            "is a kana reading but contains {}; the target may refuse it",
            names.join(", ")
        ),
    });
}

/// A code (or a symbol) quoted with its blanks and invisible characters made visible:
/// `"1001\u{3000}"`, `"1001 "`, `"10\t01"`. Only for codes and symbols, never for personal
/// data (SPEC S4).
pub(super) fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            ' ' => out.push(' '),
            c if is_blank_or_invisible(c) => {
                let _ = write!(out, "\\u{{{:04X}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Errors for a code (in its canonical form) that a create cannot send: a blank in it, or
/// characters the target does not hold in a code.
pub(super) fn check_code(code: &str, allowed: &CodeCharacters, errors: &mut Vec<InvalidReason>) {
    if code.is_empty() {
        return;
    }
    if code.contains(char::is_whitespace) {
        errors.push(InvalidReason::InvalidValue {
            field: Field::Code,
            message: format!(
                "{} contains a blank; a code cannot hold blanks",
                visible(code)
            ),
        });
        return;
    }
    let mut refused = String::new();
    for c in code.chars().filter(|c| !allowed.allows(*c)) {
        if !refused.contains(c) {
            refused.push(c);
        }
    }
    if !refused.is_empty() {
        let symbols: Vec<String> = refused.chars().map(|c| visible(&c.to_string())).collect();
        errors.push(InvalidReason::InvalidValue {
            field: Field::Code,
            message: format!(
                "{} contains {} that the target cannot hold in a code (it holds {allowed})",
                visible(code),
                symbols.join(" ")
            ),
        });
    }
}

/// An error when `value` is longer than the target holds in `field` (in characters).
pub(super) fn check_length(
    field: Field,
    value: &str,
    target: &SystemInfo,
    errors: &mut Vec<InvalidReason>,
) {
    let Some(limit) = target.max_length(field) else {
        return;
    };
    // Bytes bound characters from above: most values need no count.
    if value.len() <= limit {
        return;
    }
    let length = value.chars().count();
    if length > limit {
        errors.push(InvalidReason::InvalidValue {
            field,
            message: format!("is {length} characters long; the target holds at most {limit}"),
        });
    }
}

/// Completed years from `birth` to `on`: one is a year older on the birthday (born
/// 29 February: on 1 March in a common year, as Japanese law reckons it).
fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let before_birthday = (on.month(), on.day()) < (birth.month(), birth.day());
    on.year() - birth.year() - i32::from(before_birthday)
}

/// The date rules, each applied when `sends` covers one of the dates it relates: a birth
/// date after `today` or after the hire date, a resignation date before the hire date
/// (errors), an employee younger than `minimum_age` on the hire date (a warning). The same
/// day is fine. Messages name no date of the employee (SPEC S4).
pub(super) fn check_dates(
    employee: &Employee,
    sends: impl Fn(Field) -> bool,
    today: NaiveDate,
    minimum_age: u8,
    found: &mut Validation,
) {
    let birth_sent = sends(Field::BirthDate);
    let hire_sent = sends(Field::HireDate);
    if let Some(birth) = employee.birth_date.filter(|_| birth_sent) {
        if birth > today {
            found.errors.push(InvalidReason::InvalidValue {
                field: Field::BirthDate,
                message: format!("is in the future (today is {today} in Japan)"),
            });
        }
    }
    if let (Some(birth), Some(hire)) = (employee.birth_date, employee.hire_date) {
        if birth_sent || hire_sent {
            if birth > hire {
                found.errors.push(InvalidReason::InvalidValue {
                    field: Field::BirthDate,
                    message: "is after the hire date".to_owned(),
                });
            } else if minimum_age > 0 && age_on(birth, hire) < i32::from(minimum_age) {
                found.warnings.push(Warning {
                    field: Field::BirthDate,
                    message: format!(
                        "makes the employee younger than {minimum_age} on the hire date \
                         (the Labour Standards Act's minimum age is 15)"
                    ),
                });
            }
        }
    }
    if let (Some(resigned), Some(hire)) = (employee.resignation_date, employee.hire_date) {
        if (sends(Field::ResignationDate) || hire_sent) && resigned < hire {
            found.errors.push(InvalidReason::InvalidValue {
                field: Field::ResignationDate,
                message: "is before the hire date".to_owned(),
            });
        }
    }
}
