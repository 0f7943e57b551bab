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
    });
    insta::assert_json_snapshot!(schemas);
}

/// The example responses in OpenAI's spec, fixed for trailing commas (`"purpose": "fine-tune",\n}`
/// is not JSON; the fix removes a comma before a closing brace and nothing else).
fn spec_examples() -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(root().join("openapi/openai-uploads.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut out = Vec::new();
    for (_, item) in doc["paths"].as_mapping().unwrap() {
        for (_, op) in item.as_mapping().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_owned();
            if let Some(example) = op["x-oaiMeta"]["examples"]["response"].as_str() {
                let fixed = regex_lite_trailing_commas(example);
                let value: Value = serde_json::from_str(&fixed)
                    .unwrap_or_else(|e| panic!("{id} example is not JSON even after the fix: {e}"));
                out.push((id, value));
            }
        }
    }
    out
}

fn regex_lite_trailing_commas(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == ',' && chars[i + 1..].iter().find(|c| !c.is_whitespace()) == Some(&'}') {
            continue;
        }
        out.push(*c);
    }
    out
}

#[test]
fn the_specs_example_responses_decode() {
    let examples = spec_examples();
    let ids: Vec<&str> = examples.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "listFiles",
            "deleteFile",
            "retrieveFile",
            "createUpload",
            "cancelUpload",
            "completeUpload",
            "addUploadPart"
        ]
    );
    for (id, value) in examples {
        let ok = match id.as_str() {
            "listFiles" => serde_json::from_value::<types::ListFilesResponse>(value)
                .is_ok_and(|page| !page.data.is_empty()),
            "deleteFile" => serde_json::from_value::<types::DeleteFileResponse>(value).is_ok(),
            "retrieveFile" => serde_json::from_value::<types::OpenAiFile>(value).is_ok(),
            "addUploadPart" => serde_json::from_value::<types::UploadPart>(value).is_ok(),
            _ => {
                let upload: types::Upload = serde_json::from_value(value).unwrap();
                (id == "completeUpload") == upload.file.is_some()
            }
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
