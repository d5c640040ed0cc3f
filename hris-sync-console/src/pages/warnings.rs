//! The run-level warnings of the guards against mass damage, as the report, selection and
//! preview pages show them above their lists of employees.

use hris_sync_core::RunWarning;
use maud::{html, Markup};

use crate::i18n::warning_name;
use crate::web::Ctx;

/// The run's warnings, one sentence each; nothing when there are none.
pub(crate) fn run_warnings(ctx: &Ctx, warnings: &[RunWarning]) -> Markup {
    let words = ctx.lang.warning_texts();
    html! {
        @if !warnings.is_empty() {
            section.card.run-warnings id="run-warnings" aria-labelledby="run-warnings-heading" {
                h2 id="run-warnings-heading" { (words.heading) }
                ul {
                    @for warning in warnings {
                        li.notice data-warning=(warning_name(warning)) { (ctx.lang.run_warning(warning)) }
                    }
                }
            }
        }
    }
}
