//! What the examples print: aligned tables (Japanese names are two columns wide), the
//! classified list, the report, the recent runs, and progress — a redrawn bar on a terminal,
//! plain lines otherwise.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hris_sync_core::{
    japan, ChangeKind, FieldValue, MasterEntry, Outcome, Progress, ReportSummary, SyncReport,
};

/// How wide `text` shows in a terminal: East Asian wide and full-width characters take two
/// columns, everything else (half-width katakana included) one.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// `text` padded with spaces to `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let mut padded = text.to_owned();
    padded.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(display_width(text)),
    ));
    padded
}

/// Rows of cells printed with each column as wide as its widest cell. A row may carry
/// indented lines printed under it (differences, reasons).
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<(Vec<String>, Vec<String>)>,
}

impl Table {
    /// A table with a header row.
    pub fn new<const N: usize>(header: [&str; N]) -> Self {
        let mut table = Self::default();
        table.row(header.map(str::to_owned).to_vec());
        table
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push((cells, Vec::new()));
    }

    /// Adds a line under the last row.
    pub fn note(&mut self, line: String) {
        if let Some((_, notes)) = self.rows.last_mut() {
            notes.push(line);
        }
    }

    /// The table as text, indented by two spaces.
    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|(cells, _)| cells.get(i))
                    .map(|cell| display_width(cell))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut text = String::new();
        for (cells, notes) in &self.rows {
            let line: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, cell)| pad(cell, widths[i]))
                .collect();
            text.push_str("  ");
            text.push_str(line.join("  ").trim_end());
            text.push('\n');
            for note in notes {
                text.push_str("        ");
                text.push_str(note);
                text.push('\n');
            }
        }
        text
    }
}

/// Where the examples print, and whether it is a terminal.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    terminal: bool,
}

impl Output {
    /// Standard output, terminal or not.
    pub fn stdout() -> Self {
        Self {
            terminal: std::io::stdout().is_terminal(),
        }
    }

    /// Whether output goes to a terminal (progress is redrawn in place then).
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// Prints a step heading.
    pub fn step(&self, title: &str) {
        println!("\n== {title}");
    }

    /// Prints one line.
    pub fn line(&self, text: impl AsRef<str>) {
        println!("{}", text.as_ref());
    }

    /// Shows that a fetch is running, until `done` resolves: a spinner with the elapsed time
    /// on a terminal, one plain line otherwise.
    pub async fn while_fetching<F: std::future::Future>(&self, done: F) -> F::Output {
        let started = Instant::now();
        if !self.terminal {
            println!("  status fetching (取得中) …");
            return done.await;
        }
        let mut done = std::pin::pin!(done);
        let mut ticker = tokio::time::interval(Duration::from_millis(80));
        let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        let mut frame = 0;
        loop {
            tokio::select! {
                output = &mut done => {
                    print!("\r\x1b[2K");
                    let _ = std::io::stdout().flush();
                    return output;
                }
                _ = ticker.tick() => {
                    print!(
                        "\r  {} status fetching (取得中) … {:.1} s",
                        frames[frame % frames.len()],
                        started.elapsed().as_secs_f32()
                    );
                    let _ = std::io::stdout().flush();
                    frame += 1;
                }
            }
        }
    }

    /// A progress callback for apply: a redrawn bar on a terminal, a plain line at every
    /// quarter of the way otherwise.
    pub fn apply_progress(&self) -> impl Fn(Progress) + Send + Sync + 'static {
        let terminal = self.terminal;
        let shown = Arc::new(AtomicUsize::new(0));
        move |progress: Progress| {
            let Progress { done, total, .. } = progress;
            if terminal {
                let width = 30;
                let filled = (done * width).checked_div(total).unwrap_or(width);
                print!(
                    "\r  syncing (同期中) [{}{}] {done}/{total}",
                    "#".repeat(filled),
                    "-".repeat(width - filled)
                );
                if done == total {
                    println!();
                }
                let _ = std::io::stdout().flush();
            } else {
                let quarter = (done * 4).checked_div(total).unwrap_or(4);
                if quarter > 0 && shown.fetch_max(quarter, Ordering::SeqCst) < quarter {
                    println!("  syncing (同期中) {done}/{total}");
                }
            }
        }
    }
}

fn kind_label(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::New => "new 新規登録",
        ChangeKind::Changed => "changed 差分あり",
        ChangeKind::Unchanged => "unchanged 差分なし",
        ChangeKind::Invalid => "invalid 連携不可",
    }
}

/// The widest a name or reading is shown in a table, in columns: one over-long value (a
/// 104-character given name) would otherwise widen every row of the list.
const NAME_COLUMNS: usize = 32;

/// `text` cut to at most `width` columns, ending in `…` when cut.
pub fn clip(text: &str, width: usize) -> String {
    if display_width(text) <= width {
        return text.to_owned();
    }
    let mut clipped = String::new();
    let mut used = 0;
    for c in text.chars() {
        let columns = display_width(c.encode_utf8(&mut [0; 4]));
        if used + columns + 1 > width {
            break;
        }
        clipped.push(c);
        used += columns;
    }
    clipped.push('…');
    clipped
}

fn join(a: Option<&str>, b: Option<&str>) -> String {
    let joined = match (a, b) {
        (None, None) => "—".to_owned(),
        (a, b) => format!("{} {}", a.unwrap_or("？"), b.unwrap_or("？")),
    };
    clip(&joined, NAME_COLUMNS)
}

fn shown(value: &Option<FieldValue>) -> String {
    value
        .as_ref()
        .map_or_else(|| "(empty)".to_owned(), ToString::to_string)
}

/// The classified list (step 6), filtered to `kinds` (all when empty), with counts per kind.
pub fn classified(report: &SyncReport, kinds: &[ChangeKind]) -> String {
    let counts = report.summary.counts;
    let mut text = format!(
        "  {} listed: new {}, changed {}, unchanged {}, invalid {}\n",
        counts.total(),
        counts.new,
        counts.changed,
        counts.unchanged,
        counts.invalid
    );
    if !kinds.is_empty() {
        let names: Vec<String> = kinds.iter().map(ToString::to_string).collect();
        text.push_str(&format!(
            "  showing {} ({} of {})\n",
            names.join(", "),
            report.entries_of(kinds).count(),
            counts.total()
        ));
    }
    let mut table = Table::new(["code", "kind", "name", "reading", "hired", "resigns"]);
    for entry in report.entries_of(kinds) {
        let employee = &entry.employee;
        table.row(vec![
            entry.code.to_string(),
            kind_label(entry.kind).to_owned(),
            join(
                employee.last_name.as_deref(),
                employee.first_name.as_deref(),
            ),
            join(
                employee.last_name_kana.as_deref(),
                employee.first_name_kana.as_deref(),
            ),
            employee
                .hire_date
                .map_or_else(String::new, |d| d.to_string()),
            employee
                .resignation_date
                .map_or_else(String::new, |d| d.to_string()),
        ]);
        if let Some(reason) = &entry.invalid_reason {
            table.note(format!("cannot sync: {reason}"));
        }
        for difference in &entry.differences {
            table.note(format!(
                "{}: {} → {}",
                difference.field,
                shown(&difference.target),
                shown(&difference.source)
            ));
        }
        for warning in &entry.warnings {
            table.note(format!("warning: {}: {}", warning.field, warning.message));
        }
    }
    text.push_str(&table.render());
    text
}

/// The run's warnings from the guards against mass damage, one per line.
pub fn run_warnings(report: &SyncReport) -> String {
    report
        .summary
        .warnings
        .iter()
        .map(|warning| format!("  warning: {warning}\n"))
        .collect()
}

/// A master list, for choosing a creation value.
pub fn masters(entries: &[MasterEntry]) -> String {
    let mut table = Table::new(["code", "name"]);
    for entry in entries {
        table.row(vec![entry.code.clone(), entry.name.clone()]);
    }
    table.render()
}

/// The report of an applied run: header, counts, and one line per selected employee.
pub fn applied(report: &SyncReport) -> String {
    let s = &report.summary;
    let outcomes = report.outcome_counts();
    let parts: Vec<String> = [
        ("created", outcomes.created),
        ("updated", outcomes.updated),
        ("skipped", outcomes.skipped),
        ("failed", outcomes.failed),
        ("pending", outcomes.pending),
    ]
    .into_iter()
    .filter(|(_, count)| *count > 0)
    .map(|(name, count)| format!("{name} {count}"))
    .collect();
    let mut text = format!(
        "  report {} · {} {} · base date {} · status {}\n  {} selected: {}\n",
        s.id,
        s.vendor,
        s.direction,
        s.base_date,
        s.status,
        outcomes.selected(),
        parts.join(" · ")
    );
    if let Some(failure) = &s.failure {
        text.push_str(&format!("  reason: {failure}\n"));
    }
    let mut table = Table::new(["code", "name", "outcome"]);
    for entry in &report.entries {
        let Some(outcome) = &entry.outcome else {
            continue;
        };
        let detail = match outcome {
            Outcome::Created { id } => format!("created (record {id})"),
            Outcome::Updated { fields } => {
                let names: Vec<&str> = fields.iter().map(|f| f.name()).collect();
                format!("updated: {}", names.join(", "))
            }
            other => other.to_string(),
        };
        table.row(vec![
            entry.code.to_string(),
            join(
                entry.employee.last_name.as_deref(),
                entry.employee.first_name.as_deref(),
            ),
            detail,
        ]);
    }
    text.push_str(&table.render());
    text
}

/// The recent runs, newest first.
pub fn recent(summaries: &[ReportSummary]) -> String {
    let mut table = Table::new([
        "started (JST)",
        "vendor",
        "direction",
        "base date",
        "status",
        "new/changed/unchanged/invalid",
        "report",
    ]);
    for s in summaries {
        table.row(vec![
            s.created_at
                .with_timezone(&japan())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            s.vendor.clone(),
            s.direction.to_string(),
            s.base_date.to_string(),
            s.status.to_string(),
            format!(
                "{}/{}/{}/{}",
                s.counts.new, s.counts.changed, s.counts.unchanged, s.counts.invalid
            ),
            s.id.to_string(),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_text_is_two_columns_wide() {
        assert_eq!(display_width("山田 太郎"), 9);
        assert_eq!(display_width("ヤマダ"), 6);
        assert_eq!(display_width("ﾔﾏﾀﾞ"), 4);
        assert_eq!(display_width("1001"), 4);
        assert_eq!(pad("山田", 6), "山田  ");
    }

    #[test]
    fn long_names_are_clipped_to_the_column() {
        assert_eq!(clip("山田 太郎", 32), "山田 太郎");
        let long = "寿限無".repeat(20);
        let clipped = clip(&long, 32);
        assert!(display_width(&clipped) <= 32, "{clipped}");
        assert!(clipped.ends_with('…') && clipped.starts_with("寿限無寿限無"));
        assert_eq!(clip("abcdef", 4), "abc…");
    }

    #[test]
    fn columns_align_by_display_width() {
        let mut table = Table::new(["code", "name"]);
        table.row(vec!["1".into(), "佐藤 花子".into()]);
        table.row(vec!["1002".into(), "Abe".into()]);
        let text = table.render();
        let lines: Vec<&str> = text.lines().collect();
        let column = |line: &str, needle: &str| display_width(&line[..line.find(needle).unwrap()]);
        assert_eq!(column(lines[1], "佐藤"), column(lines[2], "Abe"));
        assert_eq!(column(lines[0], "name"), column(lines[1], "佐藤"));
    }
}
