//! The four upload requests the client sends conform to OpenAI's published spec: each body is
//! validated, inside the mock's matcher, against the schema in the extracted (unpatched) subset.

use httpmock::prelude::*;
use serde_json::{Value, json};
use uploads_client::{ClientConfig, PartData, types};
use uploads_e2e::conformance::{published, request_schema, validate};

#[test]
fn the_validator_can_fail() {
    let spec = published();
    let schema = request_schema(&spec, "/uploads", "application/json");
    assert!(
        validate(
            &spec,
            &schema,
            &json!({"filename": "a", "purpose": "batch", "bytes": 1, "mime_type": "x"}),
            "$"
        )
        .is_empty()
    );
    let bad = validate(
        &spec,
        &schema,
        &json!({"filename": "a", "purpose": "nope", "bytes": "1", "extra": 1}),
        "$",
    );
    assert_eq!(bad.len(), 4, "{bad:?}");
}

#[tokio::test]
async fn create_part_complete_and_cancel_requests_conform() {
    let spec = published();
    let server = MockServer::start_async().await;
    let upload = json!({
        "id": "upload_1", "object": "upload", "bytes": 5, "created_at": 1, "expires_at": 2,
        "filename": "a.jsonl", "purpose": "batch", "status": "pending"
    });
    let conforms = |path: &'static str| {
        let spec = spec.clone();
        let schema = request_schema(&spec, path, "application/json");
        move |req: &HttpMockRequest| {
            let body: Value = serde_json::from_slice(req.body_ref()).unwrap_or(Value::Null);
            let errors = validate(&spec, &schema, &body, "$");
            assert!(errors.is_empty(), "{path}: {errors:?}");
            true
        }
    };
    let create = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/uploads")
                .header("content-type", "application/json")
                .is_true(conforms("/uploads"));
            then.status(200).json_body(upload.clone());
        })
        .await;
    let complete = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/uploads/upload_1/complete")
                .is_true(conforms("/uploads/{upload_id}/complete"));
            then.status(200).json_body(upload.clone());
        })
        .await;
    // addUploadPart: multipart/form-data whose only field is `data` (additionalProperties: false).
    let part_schema = request_schema(&spec, "/uploads/{upload_id}/parts", "multipart/form-data");
    let part_schema = spec["components"]["schemas"][part_schema["$ref"]
        .as_str()
        .unwrap()
        .trim_start_matches("#/components/schemas/")]
    .clone();
    assert_eq!(part_schema["required"], json!(["data"]));
    assert_eq!(part_schema["additionalProperties"], json!(false));
    let part = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads/upload_1/parts").is_true(|req: &HttpMockRequest| {
                let body = String::from_utf8_lossy(req.body_ref()).into_owned();
                let fields: Vec<&str> = body.match_indices("Content-Disposition: form-data; name=\"").map(|(i, _)| &body[i + 38..]).collect();
                fields.len() == 1 && fields[0].starts_with("data\"")
            });
            then.status(200).json_body(json!({"id": "part_1", "object": "upload.part", "created_at": 1, "upload_id": "upload_1"}));
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            // cancelUpload has no request body in the spec.
            assert!(
                spec["paths"]["/uploads/{upload_id}/cancel"]["post"]
                    .get("requestBody")
                    .is_none()
            );
            when.method(POST)
                .path("/v1/uploads/upload_1/cancel")
                .body("");
            then.status(200).json_body(upload.clone());
        })
        .await;

    let c = ClientConfig::default()
        .api_key("k")
        .base_url(server.url("/v1"))
        .build()
        .unwrap();
    c.create_upload()
        .body(
            types::CreateUploadRequest::builder()
                .filename("a.jsonl")
                .purpose(types::KnownUploadPurpose::Batch)
                .bytes(5)
                .mime_type("text/jsonl")
                .expires_after(types::FileExpirationAfter {
                    anchor: types::FileExpirationAfterAnchor::CreatedAt,
                    seconds: 7200,
                }),
        )
        .send()
        .await
        .unwrap();
    c.add_upload_part()
        .upload_id("upload_1")
        .data(PartData::bytes(&b"hello"[..]))
        .send()
        .await
        .unwrap();
    c.complete_upload()
        .upload_id("upload_1")
        .body(
            types::CompleteUploadRequest::builder()
                .part_ids(vec!["part_1".to_string()])
                .md5("5d41402abc4b2a76b9719d911017c592".to_string()),
        )
        .send()
        .await
        .unwrap();
    c.cancel_upload()
        .upload_id("upload_1")
        .send()
        .await
        .unwrap();
    for m in [&create, &part, &complete, &cancel] {
        m.assert_async().await;
    }
}
