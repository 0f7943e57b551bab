//! What a batch input file may hold, from OpenAI's spec: the endpoints of
//! `CreateBatchRequest.endpoint` and, for each, the parameters of its request body.
//!
//! `sync` extracts them into `openapi/batch-requests.yaml` (committed, so CI needs no copy of
//! the full spec); `generate` renders that into `crates/uploads-client/src/generated_batch.rs`,
//! which the batch checker reads. A spec update therefore updates the checker.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::{Context, Result};
use serde_json::{Value, json};

/// Where the extracted endpoint table is committed, relative to the workspace root.
pub const BATCH_PATH: &str = "openapi/batch-requests.yaml";
/// The Rust table generated from it.
pub const GENERATED_BATCH_RS: &str = "crates/uploads-client/src/generated_batch.rs";

/// The endpoint table, as YAML text headed like the subset.
pub fn extract(full: &Value) -> Result<Value> {
    let endpoints = full
        .pointer("/components/schemas/CreateBatchRequest/properties/endpoint/enum")
        .and_then(Value::as_array)
        .context("the spec has no CreateBatchRequest.endpoint enum")?;
    let schemas = full["components"]["schemas"]
        .as_object()
        .context("spec has no schemas")?;
    let mut out = Vec::new();
    for url in endpoints {
        let url = url.as_str().context("a batch endpoint is not a string")?;
        let path = url.strip_prefix("/v1").unwrap_or(url);
        let content = full
            .pointer(&format!(
                "/paths/{}/post/requestBody/content",
                path.replace('~', "~0").replace('/', "~1")
            ))
            .and_then(Value::as_object);
        // A batch line's body is JSON: prefer the JSON form of an endpoint that takes both.
        let schema = content.and_then(|c| {
            c.get("application/json")
                .or_else(|| c.get("multipart/form-data"))
                .and_then(|m| m.get("schema"))
        });
        let entry = match schema {
            Some(schema) => {
                let mut shape = Shape::default();
                shape.visit(schema, schemas, 0);
                let name = schema
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.rsplit('/').next())
                    .unwrap_or("");
                json!({
                    "url": url,
                    "request_schema": name,
                    "certain": shape.certain,
                    "required": shape.required,
                    "parameters": shape.properties,
                })
            }
            None => json!({
                "url": url, "request_schema": "", "certain": false,
                "required": [], "parameters": [],
            }),
        };
        out.push(entry);
    }
    Ok(json!({ "endpoints": out }))
}

/// The top-level properties a request schema allows, through `$ref` and `allOf`. `anyOf` or
/// `oneOf` alternatives and open `additionalProperties` make the list uncertain: a parameter
/// outside it is then not known to be wrong.
#[derive(Default)]
struct Shape {
    properties: BTreeSet<String>,
    required: BTreeSet<String>,
    certain: bool,
    seen_any: bool,
}

impl Shape {
    fn visit(&mut self, schema: &Value, all: &serde_json::Map<String, Value>, depth: usize) {
        if !self.seen_any {
            self.certain = true;
            self.seen_any = true;
        }
        if depth > 16 {
            self.certain = false;
            return;
        }
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            match all.get(name) {
                Some(s) => self.visit(s, all, depth + 1),
                None => self.certain = false,
            }
            return;
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            self.properties.extend(props.keys().cloned());
        }
        if let Some(req) = schema.get("required").and_then(Value::as_array) {
            self.required
                .extend(req.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.visit(part, all, depth + 1);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
                // What is required in one alternative is not required of the body.
                let required = self.required.clone();
                for alternative in alternatives {
                    self.visit(alternative, all, depth + 1);
                }
                self.required = required;
                self.certain = false;
            }
        }
        match schema.get("additionalProperties") {
            None | Some(Value::Bool(false)) => {}
            Some(_) => self.certain = false,
        }
    }
}

/// Renders the committed table as Rust.
pub fn render_rust(table: &Value) -> Result<String> {
    let mut code = String::from(
        "// @generated by `cargo xtask generate` from openapi/batch-requests.yaml (extracted by\n\
         // `cargo xtask sync` from OpenAI's spec). Do not edit by hand.\n\n\
         /// The batch endpoints of the spec's `CreateBatchRequest.endpoint`, in its order, with\n\
         /// the top-level parameters of each endpoint's request body.\n\
         pub const BATCH_ENDPOINTS: &[BatchEndpoint] = &[\n",
    );
    for e in table["endpoints"]
        .as_array()
        .context("batch table has no endpoints")?
    {
        let list = |key: &str| -> String {
            e[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            code,
            "BatchEndpoint {{ url: {:?}, request_schema: {:?}, certain: {}, required: &[{}], parameters: &[{}] }},",
            e["url"].as_str().context("endpoint without url")?,
            e["request_schema"].as_str().unwrap_or(""),
            e["certain"].as_bool().unwrap_or(false),
            list("required"),
            list("parameters"),
        )?;
    }
    code.push_str("];\n");
    Ok(code)
}
