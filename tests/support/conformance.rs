//! Requests checked against OpenAI's published spec: the extracted subset before our overlay,
//! and a validator for the JSON Schema keywords its request bodies use.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

/// OpenAI's published subset (`openapi/openai-uploads.yaml`), before our overlay.
pub fn published() -> Arc<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openai-uploads.yaml");
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Arc::new(serde_json::to_value(yaml).unwrap())
}

/// The request body schema of a POST operation, for a media type.
pub fn request_schema(spec: &Value, path: &str, media: &str) -> Value {
    spec["paths"][path]["post"]["requestBody"]["content"][media]["schema"].clone()
}

/// Checks `value` against `schema` for the keywords OpenAI's request schemas use (`$ref`,
/// `type` with `null`, `enum`, `minimum`/`maximum`, `maxLength`, `minItems`/`maxItems`,
/// `required`, `properties`, `additionalProperties: false`, `items`, `anyOf`/`oneOf`). The
/// problems found; empty when the value conforms.
pub fn validate(spec: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return validate(spec, &spec["components"]["schemas"][name], value, at);
    }
    let mut errors = Vec::new();
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema[key].as_array() {
            let fits = branches
                .iter()
                .any(|b| validate(spec, b, value, at).is_empty());
            if !fits {
                errors.push(format!("{at}: {value} fits no branch of {key}"));
                return errors;
            }
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let ok = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "array" => value.is_array(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => true,
        });
        if !ok {
            errors.push(format!("{at}: expected {types:?}, got {value}"));
            return errors;
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(min), Some(v)) = (schema["minimum"].as_f64(), value.as_f64())
        && v < min
    {
        errors.push(format!("{at}: {v} < minimum {min}"));
    }
    if let (Some(max), Some(v)) = (schema["maximum"].as_f64(), value.as_f64())
        && v > max
    {
        errors.push(format!("{at}: {v} > maximum {max}"));
    }
    if let (Some(max), Some(s)) = (schema["maxLength"].as_u64(), value.as_str())
        && s.chars().count() as u64 > max
    {
        errors.push(format!("{at}: longer than {max}"));
    }
    if let Some(arr) = value.as_array() {
        if let Some(min) = schema["minItems"].as_u64()
            && (arr.len() as u64) < min
        {
            errors.push(format!("{at}: fewer than {min} items"));
        }
        if let Some(max) = schema["maxItems"].as_u64()
            && arr.len() as u64 > max
        {
            errors.push(format!("{at}: more than {max} items"));
        }
        if let Some(items) = schema.get("items") {
            for (i, v) in arr.iter().enumerate() {
                errors.extend(validate(spec, items, v, &format!("{at}[{i}]")));
            }
        }
    }
    if let Some(obj) = value.as_object() {
        let props = schema["properties"].as_object();
        for req in schema["required"].as_array().into_iter().flatten() {
            if !obj.contains_key(req.as_str().unwrap_or_default()) {
                errors.push(format!("{at}: missing required {req}"));
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => errors.extend(validate(spec, s, v, &format!("{at}.{k}"))),
                None if schema["additionalProperties"] == json!(false) => {
                    errors.push(format!("{at}: unexpected property {k}"));
                }
                None => match schema.get("additionalProperties") {
                    Some(extra) if extra.is_object() => {
                        errors.extend(validate(spec, extra, v, &format!("{at}.{k}")));
                    }
                    _ => {}
                },
            }
        }
    }
    errors
}
