//! The text folds the comparison rules are made of. Each returns `None` when the text is
//! already in the folded form, so the common case allocates nothing.

use std::borrow::Cow;

use unicode_normalization::char::{compose, decompose_compatible};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// One fold: the folded text, or `None` when the text is already folded.
pub(super) type Fold = fn(&str) -> Option<String>;

/// Applies in order each fold whose switch is on; borrowed while none changes anything.
pub(super) fn fold<'a>(text: &'a str, folds: &[(bool, Fold)]) -> Cow<'a, str> {
    let mut folded = Cow::Borrowed(text);
    for (on, step) in folds {
        if *on {
            if let Some(changed) = step(&folded) {
                folded = Cow::Owned(changed);
            }
        }
    }
    folded
}

/// The Halfwidth Katakana range of the Halfwidth and Fullwidth Forms block (｡ to ﾟ).
fn is_half_width_katakana(c: char) -> bool {
    ('\u{FF61}'..='\u{FF9F}').contains(&c)
}

/// Half-width katakana (and its punctuation ｡｢｣､･ and the prolonged mark ｰ) to full width;
/// a half-width voiced or semi-voiced mark (ﾞ ﾟ) is combined with the kana before it where
/// Unicode has the combined letter (ｶﾞ → ガ, ﾊﾟ → パ, ｳﾞ → ヴ), else kept as the combining
/// mark U+3099 / U+309A. The per-character mapping is Unicode's compatibility decomposition
/// (from `unicode-normalization`), applied to this range only: NFKC on the whole text would
/// also fold ① into 1 and ㈱ into (株).
pub(super) fn full_width_katakana(text: &str) -> Option<String> {
    if !text.chars().any(is_half_width_katakana) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !is_half_width_katakana(c) {
            out.push(c);
            continue;
        }
        let mut full = c;
        decompose_compatible(c, |d| full = d);
        if matches!(full, '\u{3099}' | '\u{309A}') {
            if let Some(combined) = out.chars().next_back().and_then(|prev| compose(prev, full)) {
                out.pop();
                out.push(combined);
                continue;
            }
        }
        out.push(full);
    }
    Some(out)
}

/// Hiragana to katakana (すずき → スズキ, ゔ → ヴ, ゝ → ヽ). The voiced marks and ー are shared
/// by both scripts and stay; ゟ has no katakana counterpart and stays.
pub(super) fn katakana_from_hiragana(text: &str) -> Option<String> {
    let to_katakana = |c: char| match c {
        // ぁ..ゖ and ゝゞ sit exactly 0x60 below ァ..ヶ and ヽヾ.
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => char::from_u32(c as u32 + 0x60),
        _ => None,
    };
    if !text.chars().any(|c| to_katakana(c).is_some()) {
        return None;
    }
    Some(text.chars().map(|c| to_katakana(c).unwrap_or(c)).collect())
}

/// Full-width ASCII (U+FF01..U+FF5E: ０-９, Ａ-Ｚ, ａ-ｚ, ＠, ．, －, ＿ …) to ASCII. The
/// ideographic space is not part of it: blanks are their own rule.
pub(super) fn ascii_from_full_width(text: &str) -> Option<String> {
    let to_ascii = |c: char| match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        _ => None,
    };
    if text.is_ascii() || !text.chars().any(|c| to_ascii(c).is_some()) {
        return None;
    }
    Some(text.chars().map(|c| to_ascii(c).unwrap_or(c)).collect())
}

/// Blanks canonical: every run of white space (ASCII space, tab, U+3000 …) becomes one ASCII
/// space, and leading and trailing blanks go. `山田　太郎` and ` 山田  太郎 ` → `山田 太郎`;
/// `山田太郎` (no blank) stays as it is.
pub(super) fn canonical_blanks(text: &str) -> Option<String> {
    let mut previous_blank = false;
    let canonical = !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
        && text.chars().all(|c| {
            let blank = c.is_whitespace();
            let ok = !blank || (c == ' ' && !previous_blank);
            previous_blank = blank;
            ok
        });
    if canonical {
        return None;
    }
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Like [`canonical_blanks`] but keeps the blank the source chose: trims the ends and keeps
/// the first blank of each run (`山田　　太郎 ` → `山田　太郎`). Used for what is sent.
pub(super) fn trimmed_blanks(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut previous_blank = false;
    for c in text.trim().chars() {
        let blank = c.is_whitespace();
        if !(blank && previous_blank) {
            out.push(c);
        }
        previous_blank = blank;
    }
    (out != text).then_some(out)
}

/// CJK Compatibility Ideographs (U+F900..U+FAFF and the supplement U+2F800..U+2FA1F).
/// Unicode makes most of them canonically equal to a unified ideograph (神 U+FA19 → 神
/// U+795E), but in Japanese names they are registered spellings of their own, so composition
/// leaves them as they are.
fn is_compatibility_ideograph(c: char) -> bool {
    ('\u{F900}'..='\u{FAFF}').contains(&c) || ('\u{2F800}'..='\u{2FA1F}').contains(&c)
}

/// Characters that NFC leaves alone whatever surrounds them, checked by range: a cheaper
/// test than the general quick check for the text Japanese names are made of.
fn is_plainly_composed(c: char) -> bool {
    matches!(c,
        // Below the combining diacritics nothing composes or decomposes.
        '\0'..='\u{2FF}'
        // CJK symbols (without the ideographic tone marks), kana without the combining voiced
        // marks, unified ideographs, full-width and half-width forms.
        | '\u{3000}'..='\u{3029}'
        | '\u{3041}'..='\u{3098}'
        | '\u{309B}'..='\u{30FF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{FF01}'..='\u{FFEF}'
    )
}

/// Unicode canonical composition (NFC): ガ written as カ + U+3099 becomes ガ (U+30AC), é as
/// e + U+0301 becomes é. CJK compatibility ideographs are kept (see
/// [`is_compatibility_ideograph`]); nothing is folded by compatibility (① stays ①).
pub(super) fn composed(text: &str) -> Option<String> {
    if text.chars().all(is_plainly_composed) || is_nfc_quick(text.chars()) == IsNormalized::Yes {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, kept)) = rest
        .char_indices()
        .find(|(_, c)| is_compatibility_ideograph(*c))
    {
        out.extend(rest[..at].nfc());
        out.push(kept);
        rest = &rest[at + kept.len_utf8()..];
    }
    out.extend(rest.nfc());
    (out != text).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(f: fn(&str) -> Option<String>, text: &str) -> String {
        f(text).unwrap_or_else(|| text.to_owned())
    }

    #[test]
    fn b1_half_width_katakana_widens_and_combines_marks() {
        assert_eq!(fold(full_width_katakana, "ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(fold(full_width_katakana, "ﾊﾟｰﾙ"), "パール");
        assert_eq!(fold(full_width_katakana, "ｳﾞｨｰｸﾞ"), "ヴィーグ");
        // No combined letter exists for ア + ゛: the combining mark stays after it.
        assert_eq!(fold(full_width_katakana, "ｱﾞ"), "ア\u{3099}");
        // A half-width mark after a full-width kana still combines.
        assert_eq!(fold(full_width_katakana, "カﾞ"), "ガ");
        assert_eq!(full_width_katakana("ヤマダ"), None);
    }

    #[test]
    fn b1_hiragana_becomes_katakana() {
        assert_eq!(fold(katakana_from_hiragana, "すずき"), "スズキ");
        assert_eq!(fold(katakana_from_hiragana, "ゔぁいおりん"), "ヴァイオリン");
        assert_eq!(fold(katakana_from_hiragana, "いすゞ"), "イスヾ");
        assert_eq!(katakana_from_hiragana("スズキ"), None);
    }

    #[test]
    fn b1_full_width_ascii_becomes_ascii() {
        assert_eq!(fold(ascii_from_full_width, "００１"), "001");
        assert_eq!(
            fold(ascii_from_full_width, "ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
            "abc@example.com"
        );
        assert_eq!(fold(ascii_from_full_width, "Ａ－０１"), "A-01");
        // The ideographic space is the blanks rule's business.
        assert_eq!(
            ascii_from_full_width("Ａ\u{3000}1"),
            Some("A\u{3000}1".to_owned())
        );
        assert_eq!(ascii_from_full_width("001"), None);
    }

    #[test]
    fn b1_blanks_collapse_and_trim() {
        assert_eq!(fold(canonical_blanks, "山田\u{3000}太郎"), "山田 太郎");
        assert_eq!(fold(canonical_blanks, " 山田  太郎 "), "山田 太郎");
        assert_eq!(fold(canonical_blanks, "山田\t太郎\u{3000}"), "山田 太郎");
        assert_eq!(canonical_blanks("山田 太郎"), None);
        assert_eq!(canonical_blanks("山田太郎"), None);
        assert_eq!(canonical_blanks(""), None);
        assert_eq!(fold(canonical_blanks, "\u{3000}"), "");
        assert_eq!(
            fold(trimmed_blanks, "\u{3000}山田\u{3000}\u{3000}太郎 "),
            "山田\u{3000}太郎"
        );
        assert_eq!(trimmed_blanks("山田\u{3000}太郎"), None);
    }

    #[test]
    fn b1_composition_keeps_compatibility_ideographs() {
        assert_eq!(fold(composed, "カ\u{3099}"), "ガ");
        assert_eq!(fold(composed, "ハ\u{309A}ク"), "パク");
        // 神 U+FA19 would become 神 U+795E under plain NFC.
        assert_eq!(composed("\u{FA19}田"), None);
        assert_eq!(fold(composed, "\u{FA19}カ\u{3099}"), "\u{FA19}ガ");
        // Compatibility characters are not folded.
        assert_eq!(composed("①㈱"), None);
    }
}
