//! Our overlay: documented patches applied to the extracted subset before generation.
//!
//! The overlay (`openapi/overlay.yaml`) is a list of patches; each names a JSON pointer, an
//! operation and the reason for it. A patch whose target no longer exists fails the run, so a
//! spec update that makes a patch obsolete is noticed rather than silently ignored.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;

pub const OVERLAY_PATH: &str = "openapi/overlay.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    pub patches: Vec<Patch>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// Why the live API differs from the published spec, in one line.
    pub reason: String,
    /// JSON pointer (RFC 6901) to the value the patch changes.
    pub target: String,
    #[serde(flatten)]
    pub op: Op,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Replace the value at `target`, or add it when the parent object exists and the key does not.
    Set(Value),
    /// Remove the value at `target`; it must exist.
    Remove(serde::de::IgnoredAny),
    /// Remove one item, equal to this value, from the array at `target`; it must be present.
    RemoveItem(Value),
}

pub fn parse(text: &str) -> Result<Overlay> {
    let value = crate::spec::parse(text)?;
    Ok(serde_json::from_value(value)?)
}

pub fn apply(doc: &mut Value, overlay: &Overlay) -> Result<()> {
    for patch in &overlay.patches {
        apply_one(doc, patch)
            .with_context(|| format!("overlay patch on {} ({})", patch.target, patch.reason))?;
    }
    Ok(())
}

fn apply_one(doc: &mut Value, patch: &Patch) -> Result<()> {
    anyhow::ensure!(
        !patch.reason.trim().is_empty(),
        "every patch needs a reason"
    );
    match &patch.op {
        Op::Set(value) => {
            let (parent, key) = split_pointer(&patch.target)?;
            let parent = doc
                .pointer_mut(&parent)
                .with_context(|| format!("parent {parent} does not exist"))?;
            match parent {
                Value::Object(map) => {
                    map.insert(key, value.clone());
                }
                Value::Array(items) => {
                    let idx: usize = key.parse().context("array index")?;
                    *items.get_mut(idx).context("array index out of range")? = value.clone();
                }
                _ => bail!("parent is neither an object nor an array"),
            }
        }
        Op::Remove(_) => {
            let (parent, key) = split_pointer(&patch.target)?;
            let removed = match doc.pointer_mut(&parent) {
                Some(Value::Object(map)) => map.shift_remove(&key).is_some(),
                _ => false,
            };
            anyhow::ensure!(removed, "nothing to remove");
        }
        Op::RemoveItem(item) => {
            let items = doc
                .pointer_mut(&patch.target)
                .and_then(Value::as_array_mut)
                .context("target is not an array")?;
            let before = items.len();
            items.retain(|v| v != item);
            anyhow::ensure!(items.len() < before, "{item} is not in the array");
        }
    }
    Ok(())
}

/// Splits a JSON pointer into its parent pointer and its last (unescaped) token.
fn split_pointer(pointer: &str) -> Result<(String, String)> {
    let (parent, last) = pointer
        .rsplit_once('/')
        .context("a pointer starts with '/'")?;
    Ok((
        parent.to_string(),
        last.replace("~1", "/").replace("~0", "~"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_op_changes_the_target_and_missing_targets_fail() {
        let mut doc = json!({"a": {"b": [1, 2, 3], "c/d": true}});
        let overlay = parse(
            "patches:\n\
             - {reason: r, target: /a/e, set: 5}\n\
             - {reason: r, target: /a/b, remove_item: 2}\n\
             - {reason: r, target: /a/c~1d, remove: true}\n",
        )
        .unwrap();
        apply(&mut doc, &overlay).unwrap();
        assert_eq!(doc, json!({"a": {"b": [1, 3], "e": 5}}));

        let stale = parse("patches:\n- {reason: r, target: /a/zzz, remove: true}\n").unwrap();
        assert!(apply(&mut doc, &stale).is_err());
    }
}
