//! The router: one function lists every route, with authentication and the fallbacks; handlers
//! live with their resource ([`uploads`], [`files`], [`batches`], [`vector_stores`],
//! [`fine_tuning`]), read requests through [`request`] and
//! answer with the API's objects ([`objects`]).

mod batches;
mod complete;
mod files;
mod fine_tuning;
mod objects;
mod request;
mod uploads;
mod vector_stores;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use subtle::ConstantTimeEq;

use crate::envelope::ApiFailure;
use crate::state::{AppState, Stats};
use request::MAX_JSON_BODY;

/// Every route of the server.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/uploads", post(uploads::create))
        // Parts are streamed to disk and checked against the part limit as they arrive.
        .route(
            "/uploads/{upload_id}/parts",
            post(uploads::add_part).layer(DefaultBodyLimit::disable()),
        )
        .route("/uploads/{upload_id}/complete", post(complete::complete))
        .route("/uploads/{upload_id}/cancel", post(uploads::cancel))
        .route("/files", get(files::list))
        .route(
            "/files/{file_id}",
            get(files::retrieve).delete(files::delete),
        )
        .route("/files/{file_id}/content", get(files::download))
        .route("/batches", post(batches::create).get(batches::list))
        .route("/batches/{batch_id}", get(batches::retrieve))
        .route("/batches/{batch_id}/cancel", post(batches::cancel))
        .route(
            "/vector_stores",
            post(vector_stores::create).get(vector_stores::list),
        )
        .route(
            "/vector_stores/{vector_store_id}",
            get(vector_stores::retrieve),
        )
        .route(
            "/vector_stores/{vector_store_id}/files",
            get(vector_stores::list_files),
        )
        .route(
            "/vector_stores/{vector_store_id}/file_batches",
            post(vector_stores::create_batch),
        )
        .route(
            "/vector_stores/{vector_store_id}/file_batches/{batch_id}",
            get(vector_stores::retrieve_batch),
        )
        .route(
            "/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel",
            post(vector_stores::cancel_batch),
        )
        .route(
            "/vector_stores/{vector_store_id}/file_batches/{batch_id}/files",
            get(vector_stores::list_batch_files),
        )
        .route(
            "/fine_tuning/jobs",
            post(fine_tuning::create).get(fine_tuning::list),
        )
        .route(
            "/fine_tuning/jobs/{fine_tuning_job_id}",
            get(fine_tuning::retrieve),
        )
        .route(
            "/fine_tuning/jobs/{fine_tuning_job_id}/cancel",
            post(fine_tuning::cancel),
        )
        .route(
            "/fine_tuning/jobs/{fine_tuning_job_id}/events",
            get(fine_tuning::events),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_bearer_key,
        ));
    // The counters need the key when one is set (open otherwise, for scripts and tests).
    let admin =
        Router::new()
            .route("/_admin/stats", get(stats))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                |State(state): State<Arc<AppState>>, req: Request, next: Next| async move {
                    if state.config.api_key.is_some() {
                        require_bearer_key(State(state), req, next).await
                    } else {
                        next.run(req).await
                    }
                },
            ));
    Router::new()
        .nest("/v1", api)
        .merge(admin)
        .fallback(unknown_url)
        .method_not_allowed_fallback(unknown_url)
        // Every other body is a small JSON document.
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .with_state(state)
}

async fn require_bearer_key(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    let fail = |message: String, code: Option<&'static str>| {
        let mut f = ApiFailure::invalid(None, message).with_status(StatusCode::UNAUTHORIZED);
        f.code = code;
        f.into_response()
    };
    if given.is_empty() {
        return fail(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.".into(),
            None,
        );
    }
    // Compared in constant time: how long a refusal takes says nothing about the key.
    if let Some(key) = &state.config.api_key
        && !bool::from(given.as_bytes().ct_eq(key.as_bytes()))
    {
        return fail(
            format!(
                "Incorrect API key provided: {}. You can find your API key at https://platform.openai.com/account/api-keys.",
                mask(given)
            ),
            Some("invalid_api_key"),
        );
    }
    next.run(req).await
}

/// Shows a key the way OpenAI does in its 401s: the first 8 and last 4 characters, stars
/// between; a key too short to keep 4 hidden is all stars.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 16 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 12))
}

async fn unknown_url(req: Request) -> ApiFailure {
    ApiFailure::invalid(
        None,
        format!("Invalid URL ({} {})", req.method(), req.uri().path()),
    )
    .with_status(StatusCode::NOT_FOUND)
}

async fn stats(State(state): State<Arc<AppState>>) -> Json<Stats> {
    Json(state.stats.snapshot())
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_masked_like_openai_does() {
        assert_eq!(super::mask("sk-XG6GWabcdefghwlmi"), "sk-XG6GW********wlmi");
        assert_eq!(super::mask("sk-abcdefghijkl"), "***************");
        // 16 characters: the shortest key shown in part.
        assert_eq!(super::mask("sk-abcdefghijklm"), "sk-abcde****jklm");
        assert_eq!(super::mask("short"), "*****");
    }
}
