//! A request body's parameters against the spec's schema of its endpoint.

use uploads_client::rules::BatchEndpoint;

use crate::report::Findings;
use crate::rules::did_you_mean;

/// The body's parameters against the spec's schema of the endpoint: unknown ones (only when
/// the schema lists all) and missing required ones are warnings, since the spec can lag the
/// service.
pub(super) fn body_schema<'k>(
    n: u64,
    keys: impl Iterator<Item = &'k str> + Clone,
    endpoint: &BatchEndpoint,
    out: &mut Findings,
) {
    for key in keys.clone() {
        if endpoint.certain && endpoint.parameters.binary_search(&key).is_err() {
            let hint = did_you_mean(key, endpoint.parameters.iter().copied())
                .map(|k| format!(": did you mean {k:?}?"))
                .unwrap_or_default();
            out.warning(
                n,
                "unknown_parameter",
                format!(
                    "body parameter {:?} is not in the spec's {}{hint}",
                    key, endpoint.request_schema
                ),
            );
        }
    }
    for required in endpoint.required {
        if *required != "model" && !keys.clone().any(|k| k == *required) {
            out.warning(
                n,
                "missing_parameter",
                format!(
                    "body has no {required:?}, which the spec's {} requires",
                    endpoint.request_schema
                ),
            );
        }
    }
}
