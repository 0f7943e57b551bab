//! Extracting the operations we use, and every schema they reference, from OpenAI's full spec.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::{batch, spec};

/// Where the extracted subset is committed, relative to the workspace root.
pub const SUBSET_PATH: &str = "openapi/openai-uploads.yaml";

/// The operations the project uses: the four Upload steps, the File calls that check a result,
/// and listFiles, which finds the File of a complete whose response was lost.
pub const OPERATIONS: &[&str] = &[
    "createUpload",
    "addUploadPart",
    "completeUpload",
    "cancelUpload",
    "retrieveFile",
    "deleteFile",
    "downloadFile",
    "listFiles",
    "createBatch",
    "retrieveBatch",
    "cancelBatch",
    "listBatches",
    "createVectorStore",
    "getVectorStore",
    "listVectorStores",
    "createVectorStoreFileBatch",
    "getVectorStoreFileBatch",
    "cancelVectorStoreFileBatch",
    "listFilesInVectorStoreBatch",
    "listVectorStoreFiles",
    "createFineTuningJob",
    "retrieveFineTuningJob",
    "cancelFineTuningJob",
    "listFineTuningEvents",
    "listPaginatedFineTuningJobs",
];

/// Schemas kept even when no kept operation references them: OpenAI's error envelope.
const EXTRA_SCHEMAS: &[&str] = &["ErrorResponse"];

/// Renders what `sync` extracts, each headed by the source's version and sha256: the subset
/// document ([`SUBSET_PATH`]) and the batch endpoint table ([`batch::BATCH_PATH`]).
pub fn render(source: &Path) -> Result<Vec<(&'static str, String)>> {
    let bytes = std::fs::read(source).with_context(|| format!("reading {}", source.display()))?;
    let sha = hex(&Sha256::digest(&bytes));
    let full = spec::parse(std::str::from_utf8(&bytes).context("the spec is not UTF-8")?)?;
    let version = full["info"]["version"].as_str().unwrap_or("unknown");
    let header = format!(
        "# Extracted by `cargo xtask sync` from OpenAI's OpenAPI spec; do not edit by hand.\n\
         # Source info.version: {version}\n\
         # Source sha256: {sha}\n\
         # License: MIT, Copyright (c) OpenAI; see openapi/NOTICE.\n"
    );
    Ok(vec![
        (
            SUBSET_PATH,
            format!("{header}{}", spec::to_yaml(&extract(&full)?)?),
        ),
        (
            batch::BATCH_PATH,
            format!("{header}{}", spec::to_yaml(&batch::extract(&full)?)?),
        ),
    ])
}

/// Builds the subset: the kept operations (in source order), and every schema they reach.
pub fn extract(full: &Value) -> Result<Value> {
    let mut paths = Map::new();
    let mut found = BTreeSet::new();
    for (path, item) in full["paths"].as_object().context("spec has no paths")? {
        let mut kept = Map::new();
        for (method, op) in item.as_object().into_iter().flatten() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str)
                && OPERATIONS.contains(&id)
            {
                found.insert(id);
                kept.insert(method.clone(), strip_operation(op));
            }
        }
        if !kept.is_empty() {
            paths.insert(path.clone(), Value::Object(kept));
        }
    }
    for id in OPERATIONS {
        anyhow::ensure!(
            found.contains(id),
            "operation {id} is missing from the source spec"
        );
    }

    let all_schemas = full["components"]["schemas"]
        .as_object()
        .context("spec has no schemas")?;
    let mut wanted: BTreeSet<String> = EXTRA_SCHEMAS.iter().map(|s| s.to_string()).collect();
    collect_refs(&Value::Object(paths.clone()), &mut wanted);
    // Shared responses (the vector store operations' 429) are copied whole; their schemas join
    // the walk below.
    let mut responses = Map::new();
    for name in response_refs(&Value::Object(paths.clone())) {
        let response = full["components"]["responses"]
            .get(&name)
            .with_context(|| format!("response {name} is referenced but not defined"))?;
        collect_refs(response, &mut wanted);
        responses.insert(name, response.clone());
    }
    let mut done = BTreeSet::new();
    while let Some(name) = wanted.iter().find(|n| !done.contains(*n)).cloned() {
        let schema = all_schemas
            .get(&name)
            .with_context(|| format!("schema {name} is referenced but not defined"))?;
        collect_refs(schema, &mut wanted);
        done.insert(name);
    }
    let schemas: Map<String, Value> = done
        .into_iter()
        .map(|n| (n.clone(), all_schemas[&n].clone()))
        .collect();

    Ok(json!({
        "openapi": full["openapi"],
        "info": {
            "title": "OpenAI API: Uploads subset",
            "description": "The operations of OpenAI's API that openai-uploads uses.",
            "version": full["info"]["version"],
            "license": full["info"]["license"],
        },
        "servers": full["servers"],
        "security": [{"ApiKeyAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": responses,
            "securitySchemes": {"ApiKeyAuth": full["components"]["securitySchemes"]["ApiKeyAuth"]},
        },
    }))
}

/// Drops the SDK code samples (`x-oaiMeta.examples.request`) but keeps the example response,
/// which our fixtures decode.
fn strip_operation(op: &Value) -> Value {
    let mut op = op.clone();
    if let Some(examples) = op
        .pointer_mut("/x-oaiMeta/examples")
        .and_then(Value::as_object_mut)
    {
        examples.remove("request");
    }
    op
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    walk_refs(v, &mut |r| {
        if let Some(name) = r.strip_prefix("#/components/schemas/") {
            out.insert(name.to_string());
        }
    });
}

/// The names of the shared responses (`#/components/responses/…`) a document refers to.
fn response_refs(v: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    walk_refs(v, &mut |r| {
        if let Some(name) = r.strip_prefix("#/components/responses/") {
            found.insert(name.to_string());
        }
    });
    found
}

fn walk_refs(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => f(r),
                    _ => walk_refs(v, f),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk_refs(i, f)),
        _ => {}
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
