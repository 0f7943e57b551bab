//! Snapshots that turn an upstream spec change into a reviewable diff: the generated API surface,
//! the JSON Schemas of the request and response types, and decoding of the spec's own examples.

use std::path::Path;

use serde_json::Value;
use uploads_client::types;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Operations of the generated client: each builder's setters and what `send` returns.
#[test]
fn generated_api_surface() {
    let code =
        std::fs::read_to_string(root().join("crates/uploads-client/src/generated.rs")).unwrap();
    let file = syn::parse_file(&code).unwrap();
    let mut out = Vec::new();
    for item in &file.items {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "builder" {
            continue;
        }
        for item in &m.content.as_ref().unwrap().1 {
            let syn::Item::Impl(imp) = item else { continue };
            let syn::Type::Path(ty) = &*imp.self_ty else {
                continue;
            };
            let name = ty.path.segments.last().unwrap().ident.to_string();
            let mut setters = Vec::new();
            let mut returns = String::new();
            for it in &imp.items {
                let syn::ImplItem::Fn(f) = it else { continue };
                let fname = f.sig.ident.to_string();
                match fname.as_str() {
                    "new" | "body_map" => {}
                    "send" => {
                        if let syn::ReturnType::Type(_, t) = &f.sig.output {
                            returns = quote::quote!(#t).to_string();
                        }
                    }
                    _ => setters.push(fname),
                }
            }
            out.push(format!("{name}({}) -> {returns}", setters.join(", ")));
        }
    }
    insta::assert_snapshot!(out.join("\n"));
}

#[test]
fn json_schemas_of_request_and_response_types() {
    let schemas = serde_json::json!({
        "CreateUploadRequest": schemars::schema_for!(types::CreateUploadRequest),
        "CompleteUploadRequest": schemars::schema_for!(types::CompleteUploadRequest),
        "Upload": schemars::schema_for!(types::Upload),
        "UploadPart": schemars::schema_for!(types::UploadPart),
        "OpenAiFile": schemars::schema_for!(types::OpenAiFile),
        "DeleteFileResponse": schemars::schema_for!(types::DeleteFileResponse),
        "ErrorResponse": schemars::schema_for!(types::ErrorResponse),
        "CreateBatchRequest": schemars::schema_for!(types::CreateBatchRequest),
        "Batch": schemars::schema_for!(types::Batch),
        "CreateVectorStoreFileBatchRequest": schemars::schema_for!(types::CreateVectorStoreFileBatchRequest),
        "VectorStoreFileBatchObject": schemars::schema_for!(types::VectorStoreFileBatchObject),
        "VectorStoreFileObject": schemars::schema_for!(types::VectorStoreFileObject),
    });
    insta::assert_json_snapshot!(schemas);
}

/// The example responses in OpenAI's spec (one per operation, or several under `examples[]`),
/// fixed for what is not JSON in them: a trailing comma (`"purpose": "fine-tune",\n}`) and the
/// `{ ... }` that stands for more items of a list, and Python's `None` for `null` (the W&B fine-tune
/// example). The fixes change those and nothing else.
fn spec_examples() -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(root().join("openapi/openai-uploads.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut out = Vec::new();
    for (_, item) in doc["paths"].as_mapping().unwrap() {
        for (_, op) in item.as_mapping().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_owned();
            let examples = &op["x-oaiMeta"]["examples"];
            let responses: Vec<&str> = match examples.as_sequence() {
                Some(many) => many.iter().filter_map(|e| e["response"].as_str()).collect(),
                None => examples["response"].as_str().into_iter().collect(),
            };
            for example in responses {
                let fixed = without_trailing_commas(
                    &example
                        .replace("{ ... },", "")
                        .replace("{ ... }", "")
                        .replace(": None", ": null"),
                );
                let value: Value = serde_json::from_str(&fixed)
                    .unwrap_or_else(|e| panic!("{id} example is not JSON even after the fix: {e}"));
                out.push((id.clone(), value));
            }
        }
    }
    out
}

fn without_trailing_commas(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
        if *c == ',' && matches!(next, Some('}' | ']')) {
            continue;
        }
        out.push(*c);
    }
    out
}

/// Decodes `value` as `T`, and says whether it decoded.
fn decodes<T: serde::de::DeserializeOwned>(value: Value) -> bool {
    match serde_json::from_value::<T>(value) {
        Ok(_) => true,
        Err(e) => {
            eprintln!("{}: {e}", std::any::type_name::<T>());
            false
        }
    }
}

#[test]
fn the_specs_example_responses_decode() {
    let examples = spec_examples();
    let ids: Vec<&str> = examples.iter().map(|(id, _)| id.as_str()).collect();
    insta::assert_snapshot!(ids.join("\n"));
    for (id, value) in examples {
        let ok = match id.as_str() {
            "listFiles" => serde_json::from_value::<types::ListFilesResponse>(value)
                .is_ok_and(|page| !page.data.is_empty()),
            "deleteFile" => decodes::<types::DeleteFileResponse>(value),
            "retrieveFile" => decodes::<types::OpenAiFile>(value),
            "addUploadPart" => decodes::<types::UploadPart>(value),
            "createUpload" | "cancelUpload" | "completeUpload" => {
                let upload: types::Upload = serde_json::from_value(value).unwrap();
                (id == "completeUpload") == upload.file.is_some()
            }
            "createBatch" | "retrieveBatch" | "cancelBatch" => decodes::<types::Batch>(value),
            "listBatches" => serde_json::from_value::<types::ListBatchesResponse>(value)
                .is_ok_and(|page| !page.data.is_empty()),
            "createFineTuningJob" | "retrieveFineTuningJob" | "cancelFineTuningJob" => {
                decodes::<types::FineTuningJob>(value)
            }
            "listPaginatedFineTuningJobs" => {
                decodes::<types::ListPaginatedFineTuningJobsResponse>(value)
            }
            "listFineTuningEvents" => decodes::<types::ListFineTuningJobEventsResponse>(value),
            "listVectorStores" => decodes::<types::ListVectorStoresResponse>(value),
            "createVectorStore" | "getVectorStore" => decodes::<types::VectorStoreObject>(value),
            "createVectorStoreFileBatch"
            | "getVectorStoreFileBatch"
            | "cancelVectorStoreFileBatch" => decodes::<types::VectorStoreFileBatchObject>(value),
            "listFilesInVectorStoreBatch" | "listVectorStoreFiles" => {
                decodes::<types::ListVectorStoreFilesResponse>(value)
            }
            other => panic!("{other} has an example and no decoding check here"),
        };
        assert!(ok, "{id}");
    }
}

#[test]
fn forward_compatible_responses_decode() {
    let upload: types::Upload = serde_json::from_value(serde_json::json!({
        "id": "upload_1", "object": "upload", "bytes": 10, "created_at": 1, "expires_at": 2,
        "filename": "a.pdf", "purpose": "brand_new_purpose", "status": "archived",
        "some_new_field": {"nested": true},
        "file": {
            "id": "file-1", "object": "file", "bytes": 10, "created_at": 1, "filename": "a.pdf",
            "purpose": "brand_new_purpose", "status": "quarantined", "another_new_field": 1
        }
    }))
    .unwrap();
    assert_eq!(upload.status, types::UploadStatus::Other("archived".into()));
    let file = upload.file.unwrap();
    assert_eq!(
        file.purpose,
        types::FilePurpose::Other("brand_new_purpose".into())
    );
    assert_eq!(
        file.status,
        Some(types::FileStatus::Other("quarantined".into()))
    );
    let known: types::OpenAiFile = serde_json::from_value(serde_json::json!({
        "id": "file-1", "object": "file", "bytes": 1, "created_at": 1, "filename": "a", "purpose": "user_data"
    }))
    .unwrap();
    assert_eq!(known.purpose, types::KnownFilePurpose::UserData.into());
    assert_eq!(known.status, None);
}
