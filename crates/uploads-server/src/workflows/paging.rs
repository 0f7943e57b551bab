//! Cursor pages of a list, as the list endpoints answer them: `after` an id, at most `limit`.

/// One page and whether more follow.
pub(crate) struct Page<T> {
    pub(crate) data: Vec<T>,
    pub(crate) has_more: bool,
}

/// The items after the one whose id is `after` (from the start without it; nothing if no item
/// has that id), at most `limit` of them, in the order given.
pub(crate) fn page<T: Clone>(
    items: impl IntoIterator<Item = T>,
    id: impl Fn(&T) -> &str,
    after: Option<&str>,
    limit: usize,
) -> Page<T> {
    let mut items = items.into_iter();
    if let Some(after) = after {
        // Past the cursor (a cursor naming nothing known gives an empty page).
        if !items.by_ref().any(|item| id(&item) == after) {
            return Page {
                data: Vec::new(),
                has_more: false,
            };
        }
    }
    let data: Vec<T> = items.by_ref().take(limit).collect();
    let has_more = items.next().is_some();
    Page { data, has_more }
}

#[cfg(test)]
mod tests {
    use super::page;

    #[test]
    fn pages_follow_the_cursor_and_say_when_more_follow() {
        let ids = ["a", "b", "c", "d", "e"];
        let first = page(ids, |s| s, None, 2);
        assert_eq!((first.data, first.has_more), (vec!["a", "b"], true));
        let next = page(ids, |s| s, Some("b"), 2);
        assert_eq!((next.data, next.has_more), (vec!["c", "d"], true));
        let last = page(ids, |s| s, Some("d"), 2);
        assert_eq!((last.data, last.has_more), (vec!["e"], false));
        let exact = page(ids, |s| s, Some("c"), 2);
        assert_eq!((exact.data, exact.has_more), (vec!["d", "e"], false));
        let unknown = page(ids, |s| s, Some("zz"), 2);
        assert!(unknown.data.is_empty() && !unknown.has_more);
    }
}
