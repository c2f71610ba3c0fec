//! The CloudNativePG kinds the `postgres` component deploys, as closed JSON
//! Schemas for `tests/tests/k8s.rs` (the same shape `scripts/crd-schemas.py`
//! writes for the Istio and Prometheus Operator kinds).

use k8s_crds_cloud_native_pg::{Cluster, ScheduledBackup};
use kube::CustomResourceExt;
use serde_json::{json, Value};
use std::path::Path;

const SOURCE: &str = "crates.io k8s-crds-cloud-native-pg 1.30.0";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../k8s/schemas");
    for crd in [Cluster::crd(), ScheduledBackup::crd()] {
        let kind = crd.spec.names.kind.clone();
        let version = crd.spec.versions.first().ok_or("a CRD without versions")?;
        let api_version = format!("{}/{}", crd.spec.group, version.name);
        let schema = version
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .ok_or("a CRD without a schema")?;
        let mut schema = serde_json::to_value(schema)?;
        tidy(&mut schema);
        let properties = schema["properties"]
            .as_object_mut()
            .ok_or("a schema without properties")?;
        // The API server adds these; the CRD leaves them out.
        properties.remove("status");
        properties.insert("apiVersion".into(), json!({"enum": [api_version]}));
        properties.insert("kind".into(), json!({"enum": [kind]}));
        properties.insert("metadata".into(), json!({"type": "object"}));
        schema["x-source"] = json!(SOURCE);
        let name = format!(
            "{}-{}-{}.json",
            kind.to_lowercase(),
            crd.spec.group.replace('.', "-"),
            version.name
        );
        let mut text = serde_json::to_string_pretty(&schema)?;
        text.push('\n');
        std::fs::write(out.join(&name), text)?;
        println!("wrote k8s/schemas/{name}");
    }
    Ok(())
}

/// Drops the descriptions (most of the bytes) and closes every object that
/// lists its properties, as `kubectl apply --validate=strict` does, so a
/// misspelt field fails; objects marked to keep unknown fields stay open.
fn tidy(node: &mut Value) {
    match node {
        Value::Object(map) => {
            map.remove("description");
            let open = map.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
            if map.contains_key("properties") && !map.contains_key("additionalProperties") && !open
            {
                map.insert("additionalProperties".into(), json!(false));
            }
            map.values_mut().for_each(tidy);
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}
