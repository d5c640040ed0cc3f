//! Checks of the characters a target may refuse: machine-dependent characters, characters
//! outside the Basic Multilingual Plane, and non-kana in kana fields.

use crate::model::Field;
use crate::report::Warning;

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
