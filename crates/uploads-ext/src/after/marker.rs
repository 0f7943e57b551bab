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
