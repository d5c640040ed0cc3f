//! Paging of SmartHR lists: `page` and `per_page` in, `Link` (`rel="next"`, `rel="last"`)
//! and `x-total-count` out.
//!
//! The next page is asked for while the answer's `Link` names a `next`; an answer without a
//! `Link` header goes on while fewer records than `x-total-count` were read, and without
//! either while pages come back full. An empty page always ends the list, and no more pages
//! are read than the first answer's `last` (or count) announces, plus one. Without such a
//! bound, a page that repeats the one before ends the read with an error (the client's
//! `all_pages`): a server that ignores `page` cannot make the client read for ever.

use reqwest::header::HeaderMap;

/// What one page's headers say about the rest.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct PageInfo {
    /// Whether `Link` names a next page (`None`: no `Link` header at all).
    pub(crate) has_next: Option<bool>,
    /// The last page's number, from `Link` `rel="last"`.
    pub(crate) last_page: Option<u32>,
    /// `x-total-count`.
    pub(crate) total: Option<u64>,
}

impl PageInfo {
    pub(crate) fn read(headers: &HeaderMap) -> Self {
        let link = headers.get("link").and_then(|v| v.to_str().ok());
        let links = link.map(parse_link).unwrap_or_default();
        Self {
            has_next: link.map(|_| links.iter().any(|(rel, _)| rel == "next")),
            last_page: links
                .iter()
                .find(|(rel, _)| rel == "last")
                .and_then(|(_, page)| *page),
            total: headers
                .get("x-total-count")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok()),
        }
    }

    /// Whether to ask for the page after `page`, having read `read` records so far, the
    /// last page holding `on_page` of `per_page`.
    pub(crate) fn more_after(&self, read: u64, on_page: usize, per_page: u32) -> bool {
        if on_page == 0 {
            return false;
        }
        match (self.has_next, self.total) {
            (Some(next), _) => next,
            (None, Some(total)) => read < total,
            (None, None) => on_page as u32 >= per_page,
        }
    }

    /// The most pages worth reading, from what the first page announced.
    pub(crate) fn page_bound(&self, per_page: u32) -> Option<u32> {
        let by_count = self.total.map(|total| {
            total
                .div_ceil(u64::from(per_page.max(1)))
                .min(u64::from(u32::MAX)) as u32
        });
        self.last_page
            .or(by_count)
            .map(|pages| pages.saturating_add(1))
    }
}

/// The `(rel, page)` pairs of a `Link` header.
fn parse_link(header: &str) -> Vec<(String, Option<u32>)> {
    header
        .split(',')
        .filter_map(|part| {
            let (target, params) = part.split_once(';')?;
            let target = target.trim().trim_start_matches('<').trim_end_matches('>');
            let rel = params.split(';').find_map(|param| {
                let (key, value) = param.split_once('=')?;
                (key.trim() == "rel").then(|| value.trim().trim_matches('"').to_owned())
            })?;
            let page = url::Url::parse(target).ok().and_then(|url| {
                url.query_pairs()
                    .find(|(key, _)| key == "page")
                    .and_then(|(_, value)| value.parse().ok())
            });
            Some((rel, page))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn info(link: Option<&str>, total: Option<&str>) -> PageInfo {
        let mut headers = HeaderMap::new();
        if let Some(link) = link {
            headers.insert("link", HeaderValue::from_str(link).unwrap());
        }
        if let Some(total) = total {
            headers.insert("x-total-count", HeaderValue::from_str(total).unwrap());
        }
        PageInfo::read(&headers)
    }

    #[test]
    fn reads_link_and_count() {
        let page = info(
            Some(
                r#"<https://t.smarthr.jp/api/v1/crews?page=2&per_page=100>; rel="next", <https://t.smarthr.jp/api/v1/crews?page=5&per_page=100>; rel="last""#,
            ),
            Some("450"),
        );
        assert_eq!(page.has_next, Some(true));
        assert_eq!(page.last_page, Some(5));
        assert_eq!(page.total, Some(450));
        assert!(page.more_after(100, 100, 100));
        assert_eq!(page.page_bound(100), Some(6));

        let last = info(
            Some(r#"<https://t.smarthr.jp/api/v1/crews?page=1&per_page=100>; rel="first""#),
            Some("450"),
        );
        assert_eq!(last.has_next, Some(false));
        assert!(!last.more_after(450, 50, 100));
    }

    #[test]
    fn falls_back_to_the_count_then_to_full_pages() {
        let counted = info(None, Some("250"));
        assert!(counted.more_after(200, 100, 100));
        assert!(!counted.more_after(250, 50, 100));
        assert_eq!(counted.page_bound(100), Some(4));
        let bare = info(None, None);
        assert!(bare.more_after(100, 100, 100));
        assert!(!bare.more_after(150, 50, 100));
        assert!(!bare.more_after(100, 0, 100), "an empty page ends the list");
        assert_eq!(bare.page_bound(100), None);
    }
}
