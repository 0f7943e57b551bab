//! A create made at most once: recorded before it is sent, looked for by its marker when its
//! answer does not come, and sent again only when the listing shows it was not carried out.

use std::future::Future;
use std::time::Duration;

use uploads_client::ApiError;

use super::{AfterError, Ledger, StepRecord};
use crate::retry::{RetryPolicy, Verdict, classify};

/// How a create ended.
pub(crate) enum Created<T> {
    /// Sent now and answered.
    New(T),
    /// An earlier attempt (this run's or an earlier run's) was carried out: found by listing.
    Found(T),
    /// The ledger already had its id.
    Recorded(String),
}

/// How many times a create is sent at most when the service fails it in a way a retry can fix.
const CREATE_ATTEMPTS: u32 = 5;

/// Creates the object of `step` once. With a ledger record of the step that has an id, nothing
/// is sent. With one that has only a marker (a run stopped before the answer), `find` looks
/// for it first. Each attempt is recorded before it is sent; an attempt that fails in a way
/// that may have been carried out (a lost connection, a 5xx) is looked for with `find` before
/// the next; a refusal (4xx) ends it.
pub(crate) async fn create_once<T, C, CF, F, FF>(
    ledger: Option<&Ledger>,
    mut step: StepRecord,
    what: &str,
    id_of: impl Fn(&T) -> String,
    mut create: C,
    mut find: F,
) -> Result<(Created<T>, StepRecord), AfterError>
where
    C: FnMut(String) -> CF,
    CF: Future<Output = Result<T, ApiError>>,
    F: FnMut(String, i64) -> FF,
    FF: Future<Output = Result<Option<T>, ApiError>>,
{
    let record = |step: &StepRecord| -> Result<(), AfterError> {
        match ledger {
            Some(l) => l
                .record(step)
                .map_err(AfterError::io(format!("recording {what} in the ledger"))),
            None => Ok(()),
        }
    };
    if let Some(prior) = ledger.and_then(|l| l.open_step(&step.key)) {
        if let Some(id) = &prior.id {
            return Ok((Created::Recorded(id.clone()), prior));
        }
        // An earlier run sent this create and stopped before its answer: look first.
        step.marker = prior.marker.clone();
        step.since = prior.since;
        if let Some(found) =
            find(step.marker.clone(), step.since)
                .await
                .map_err(AfterError::api(format!(
                    "looking for {what} created by an earlier run"
                )))?
        {
            step.id = Some(id_of(&found));
            record(&step)?;
            return Ok((Created::Found(found), step));
        }
    }
    record(&step)?;
    let policy = RetryPolicy::default();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let failure = match create(step.marker.clone()).await {
            Ok(made) => {
                step.id = Some(id_of(&made));
                record(&step)?;
                return Ok((Created::New(made), step));
            }
            Err(e) => e,
        };
        let after = match classify(&failure) {
            Verdict::Retry { after, .. } if attempt < CREATE_ATTEMPTS => after,
            _ => {
                return Err(AfterError::Api {
                    what: what.to_owned(),
                    source: failure,
                });
            }
        };
        tracing::info!(error = %failure, "{what}: no answer; looking for it before sending it again");
        if let Some(found) =
            find(step.marker.clone(), step.since)
                .await
                .map_err(AfterError::api(format!(
                    "looking for {what} after a lost answer"
                )))?
        {
            step.id = Some(id_of(&found));
            record(&step)?;
            return Ok((Created::Found(found), step));
        }
        let wait = policy.delay(attempt, after, rand::random::<f64>());
        tokio::time::sleep(wait.min(Duration::from_secs(30))).await;
    }
}
