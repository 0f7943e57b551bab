//! Named passes that rewrite the (OpenAPI 3.1) subset into the 3.0 dialect progenitor reads.
//!
//! Each pass is a function from document to document, documented with what progenitor-impl
//! 0.15 does without it. They run in [`PASSES`] order after the overlay.

use serde_json::{Map, Value, json};

pub struct Pass {
    pub name: &'static str,
    pub run: fn(&mut Value),
}

pub const PASSES: &[Pass] = &[
    Pass {
        name: "downgrade_version",
        run: downgrade_version,
    },
    Pass {
        name: "null_unions",
        run: null_unions,
    },
    Pass {
        name: "const_to_enum",
        run: const_to_enum,
    },
    Pass {
        name: "open_enums",
        run: open_enums,
    },
    Pass {
        name: "drop_multipart_operations",
        run: drop_multipart_operations,
    },
];

pub fn run_all(doc: &mut Value) {
    for pass in PASSES {
        (pass.run)(doc);
    }
}

/// progenitor parses with `openapiv3` (OpenAPI 3.0) and refuses `openapi: 3.1.0` as an invalid
/// version; nothing else in our subset needs 3.1.
fn downgrade_version(doc: &mut Value) {
    doc["openapi"] = json!("3.0.3");
}

/// `{type: 'null'}` inside `anyOf`/`oneOf` panics typify (`invalid type: null`) and
/// `type: [x, 'null']` is refused: both become the 3.0 form, the other branch with `nullable`.
fn null_unions(doc: &mut Value) {
    walk(doc, &mut |map| {
        if let Some(Value::Array(types)) = map.get("type") {
            let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            if rest.len() < types.len() {
                map.insert("nullable".into(), json!(true));
            }
            if rest.len() == 1 {
                map.insert("type".into(), rest[0].clone());
            }
        }
        for key in ["anyOf", "oneOf"] {
            let Some(Value::Array(branches)) = map.get(key) else {
                continue;
            };
            let is_null = |b: &Value| b.get("type") == Some(&json!("null"));
            if !branches.iter().any(is_null) {
                continue;
            }
            let rest: Vec<Value> = branches.iter().filter(|b| !is_null(b)).cloned().collect();
            map.shift_remove(key);
            map.insert("nullable".into(), json!(true));
            match rest.as_slice() {
                [Value::Object(only)] if !only.contains_key("$ref") => {
                    for (k, v) in only {
                        map.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                [only] => {
                    map.insert("allOf".into(), json!([only]));
                }
                _ => {
                    map.insert(key.into(), Value::Array(rest));
                }
            }
        }
    });
}

/// progenitor drops `const` silently (the field becomes a bare `String`); a one-value `enum`
/// keeps the constraint in the generated type.
fn const_to_enum(doc: &mut Value) {
    walk(doc, &mut |map| {
        if let Some(value) = map.shift_remove("const") {
            map.insert("enum".into(), json!([value]));
        }
    });
}

/// Our overlay writes an open enum as `anyOf: [{enum: [...]}, {type: string}]`, which is what
/// it means in JSON Schema. typify renders such an `anyOf` as a struct of optional flattened
/// fields; as `oneOf` it becomes an untagged enum that tries the known values first and keeps
/// any other string, which is the type we want.
fn open_enums(doc: &mut Value) {
    walk(doc, &mut |map| {
        let Some(Value::Array(branches)) = map.get("anyOf") else {
            return;
        };
        let plain_string =
            |b: &Value| b.get("type") == Some(&json!("string")) && b.get("enum").is_none();
        let known = |b: &Value| b.get("type") == Some(&json!("string")) && b.get("enum").is_some();
        if let [a, b] = branches.as_slice()
            && known(a)
            && plain_string(b)
        {
            let branches = map.shift_remove("anyOf").unwrap_or_default();
            map.insert("oneOf".into(), branches);
        }
    });
}

/// No progenitor release supports `multipart/form-data` request bodies (progenitor issue 402): one
/// aborts the whole generation. Such operations (`addUploadPart`) are written by hand in
/// `uploads-client/src/parts.rs`, in the generated operations' shape.
fn drop_multipart_operations(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        if let Some(ops) = item.as_object_mut() {
            ops.retain(|_, op| {
                op.pointer("/requestBody/content/multipart~1form-data")
                    .is_none()
            });
        }
    }
    paths.retain(|_, item| item.as_object().is_some_and(|ops| !ops.is_empty()));
}

/// Calls `f` on every JSON object in the document, parents before children.
fn walk(v: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(map) => {
            f(map);
            for child in map.values_mut() {
                walk(child, f);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_unions_become_nullable() {
        let mut doc = json!({
            "a": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "b": {"type": ["integer", "null"]},
            "c": {"anyOf": [{"$ref": "#/x"}, {"type": "null"}]},
        });
        null_unions(&mut doc);
        assert_eq!(doc["a"], json!({"nullable": true, "type": "string"}));
        assert_eq!(doc["b"], json!({"type": "integer", "nullable": true}));
        assert_eq!(
            doc["c"],
            json!({"nullable": true, "allOf": [{"$ref": "#/x"}]})
        );
    }

    #[test]
    fn const_becomes_single_enum() {
        let mut doc = json!({"x": {"type": "string", "const": "upload"}});
        const_to_enum(&mut doc);
        assert_eq!(doc["x"], json!({"type": "string", "enum": ["upload"]}));
    }

    #[test]
    fn multipart_operations_are_dropped() {
        let mut doc = json!({"paths": {
            "/a": {"post": {"requestBody": {"content": {"multipart/form-data": {}}}}},
            "/b": {"post": {"requestBody": {"content": {"application/json": {}}}}},
        }});
        drop_multipart_operations(&mut doc);
        assert_eq!(
            doc["paths"].as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["/b"]
        );
    }
}
