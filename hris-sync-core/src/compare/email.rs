//! Email addresses: the domain-case fold and the checks of what a target accepts.

use crate::model::Field;
use crate::report::{InvalidReason, Warning};

/// The domain (after the last `@`) in lower case: `Taro@Example.CO.JP` → `Taro@example.co.jp`.
/// The local part is left alone: RFC 5321 §2.4 lets the receiving host treat it as
/// case-sensitive, so `Taro@` and `taro@` may be two mailboxes.
pub(super) fn lower_domain(text: &str) -> Option<String> {
    let at = text.rfind('@')?;
    let domain = &text[at + 1..];
    if !domain.chars().any(char::is_uppercase) {
        return None;
    }
    Some(format!("{}@{}", &text[..at], domain.to_lowercase()))
}

/// `..` anywhere; a byte scan, cheaper than a substring search on short addresses.
fn has_double_dot(text: &str) -> bool {
    text.as_bytes().windows(2).any(|pair| pair == b"..")
}

/// Checks an email as it would be sent. Messages never quote the address (SPEC S4).
///
/// Errors, because any target refuses them: a blank inside, no `@`, an empty local part or
/// domain. Warnings, because some targets refuse them: blanks around the address, more than
/// one `@`, a domain without a dot or with an empty label, dots at the ends of the local part
/// or doubled (RFC 5322 forbids them, yet Japanese carriers issued such addresses for years,
/// e.g. `taro..yamada.@docomo.ne.jp`, and they are still in use), non-ASCII characters, and
/// an address longer than RFC 5321 allows (64 for the local part, 254 in all).
pub(super) fn check(email: &str, warnings: &mut Vec<Warning>, errors: &mut Vec<InvalidReason>) {
    let value = email.trim();
    if value.is_empty() {
        // Nothing to send: an empty address is the same as none.
        return;
    }
    let warn = |warnings: &mut Vec<Warning>, message: &str| {
        warnings.push(Warning {
            field: Field::Email,
            message: message.to_owned(),
        });
    };
    let error = |errors: &mut Vec<InvalidReason>, message: &str| {
        errors.push(InvalidReason::InvalidValue {
            field: Field::Email,
            message: message.to_owned(),
        });
    };
    if value.len() != email.len() {
        warn(
            warnings,
            "has blanks before or after the address; the target may refuse them",
        );
    }
    if value.chars().any(char::is_whitespace) {
        error(errors, "malformed address: it contains a blank");
    }
    let Some(at) = value.rfind('@') else {
        if value.contains('＠') {
            error(
                errors,
                "malformed address: its @ is full-width (＠); fix the source or enable \
                 outgoing ASCII folding of emails",
            );
        } else {
            error(errors, "malformed address: it has no @");
        }
        return;
    };
    let (local, domain) = (&value[..at], &value[at + 1..]);
    if local.is_empty() {
        error(errors, "malformed address: nothing before the @");
    }
    if domain.is_empty() {
        error(errors, "malformed address: no domain after the @");
    }
    if local.contains('@') {
        warn(warnings, "has more than one @; the target may refuse it");
    }
    if !domain.is_empty()
        && (!domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || has_double_dot(domain))
    {
        warn(
            warnings,
            "the domain has no dot or an empty label; the target may refuse it",
        );
    }
    if local.starts_with('.') || local.ends_with('.') || has_double_dot(local) {
        warn(
            warnings,
            "the part before the @ starts or ends with a dot or has two in a row (allowed by \
             some Japanese carriers, refused by strict targets)",
        );
    }
    if !value.is_ascii() {
        if value
            .chars()
            .any(|c| ('\u{FF01}'..='\u{FF5E}').contains(&c))
        {
            warn(
                warnings,
                "contains full-width letters, digits or symbols; the target may refuse them",
            );
        } else {
            warn(
                warnings,
                "contains non-ASCII characters; the target may refuse an internationalised address",
            );
        }
    }
    if local.len() > 64 || value.len() > 254 {
        warn(
            warnings,
            "is longer than RFC 5321 allows (64 before the @, 254 in all)",
        );
    }
}
