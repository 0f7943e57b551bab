//! The marker a create carries in its metadata, by which a create whose answer was lost is
//! found by listing, and the clock its ledger record keeps.

use std::future::Future;

use uploads_client::{ApiError, types};

/// The metadata key whose value marks a create as ours, so a create whose answer was lost can
/// be found by listing.
pub const MARKER_KEY: &str = "openai_uploads_request";

/// A fresh marker: `oup_` and 96 random bits in hex.
pub fn new_marker() -> String {
    format!("oup_{:024x}", rand::random::<u128>() >> 32)
}

/// Looks through a list served newest first, page by page (`page(after)` gives one page and
/// whether more follow), for the object whose metadata carries `marker`; the search stops at
/// the first page reaching before `since` (with a minute of slack for clocks), so it reads
/// only what was created since the create was first sent.
pub(crate) async fn find_marked<T, F, Fut>(
    marker: &str,
    since: i64,
    mut page: F,
    metadata: impl Fn(&T) -> Option<&types::Metadata>,
    created_at: impl Fn(&T) -> i64,
    id: impl Fn(&T) -> &str,
) -> Result<Option<T>, ApiError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, bool), ApiError>>,
{
    let mut after: Option<String> = None;
    loop {
        let (items, has_more) = page(after.take()).await?;
        let older = items.last().is_some_and(|x| created_at(x) < since - 60);
        after = items.last().map(|x| id(x).to_owned());
        if let Some(found) = items.into_iter().find(|x| {
            metadata(x)
                .and_then(|m| m.0.as_ref())
                .and_then(|m| m.get(MARKER_KEY))
                .is_some_and(|m| m == marker)
        }) {
            return Ok(Some(found));
        }
        if !has_more || older || after.is_none() {
            return Ok(None);
        }
    }
}

/// Unix seconds now.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An object of a listing: (id, created_at, marker).
    type Item = (&'static str, i64, Option<&'static str>);

    fn metadata(marker: Option<&str>) -> Option<types::Metadata> {
        marker.map(|m| {
            types::Metadata(Some(std::collections::HashMap::from([(
                MARKER_KEY.to_owned(),
                m.to_owned(),
            )])))
        })
    }

    /// Searches `pages` (newest first) for `marker`: what it found and how many pages it read.
    async fn search(
        pages: &[(Vec<Item>, bool)],
        marker: &str,
        since: i64,
    ) -> (Option<&'static str>, usize) {
        let read = AtomicUsize::new(0);
        let found = find_marked(
            marker,
            since,
            |after| {
                let n = read.fetch_add(1, Ordering::SeqCst);
                let (items, more) = pages[n].clone();
                if n > 0 {
                    assert_eq!(
                        after.as_deref(),
                        pages[n - 1].0.last().map(|i| i.0),
                        "the cursor is the last id read"
                    );
                }
                let items: Vec<(&'static str, i64, Option<types::Metadata>)> = items
                    .into_iter()
                    .map(|(id, at, m)| (id, at, metadata(m)))
                    .collect();
                async move { Ok((items, more)) }
            },
            |x| x.2.as_ref(),
            |x| x.1,
            |x| x.0,
        )
        .await
        .unwrap();
        (found.map(|x| x.0), read.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn the_search_pages_on_until_a_page_reaches_before_the_create() {
        let since = 1_000;
        // Found on the second page: the first ends at `since - 60` exactly (not before).
        let pages = vec![
            (
                vec![("b4", 1_010, None), ("b3", since - 60, Some("other"))],
                true,
            ),
            (vec![("b2", 930, Some("oup_1")), ("b1", 900, None)], false),
        ];
        assert_eq!(search(&pages, "oup_1", since).await, (Some("b2"), 2));
        // A first page reaching before the create (a minute of slack) ends the search there.
        let pages = vec![
            (vec![("b4", 1_010, None), ("b3", since - 61, None)], true),
            (vec![("b2", 930, Some("oup_1"))], false),
        ];
        assert_eq!(search(&pages, "oup_1", since).await, (None, 1));
        // No more pages, or an empty one: the end.
        let pages = vec![
            (vec![("b4", 1_010, None)], false),
            (vec![("b2", 1_000, Some("oup_1"))], false),
        ];
        assert_eq!(search(&pages, "oup_1", since).await, (None, 1));
        let pages = vec![(vec![], true), (vec![("b2", 1_000, Some("oup_1"))], false)];
        assert_eq!(search(&pages, "oup_1", since).await, (None, 1));
        // Only the marker asked for matches.
        let pages = vec![(vec![("b4", 1_010, Some("oup_2"))], false)];
        assert_eq!(search(&pages, "oup_1", since).await, (None, 1));
    }
}
