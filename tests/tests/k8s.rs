//! The Kubernetes manifests, checked offline: every overlay in
//! `k8s/overlays/` renders with `kubectl kustomize`, its objects validate
//! against the Kubernetes schemas (`kubernetes-validate --strict`), and the
//! invariants that matter hold: the disruption budget covers the workload
//! and leaves room to drain, the sidecar's probes reach paths the real
//! sidecar serves, the filter accepts every policy the overlays deploy,
//! images are pinned, nothing runs as root, and the alerts and dashboard
//! query metrics that exist.

use std::path::{Path, PathBuf};
use std::process::Command;

use sentinel_stack::ports::free_port;
use sentinel_stack::sidecar::Sidecar;
use sentinel_stack::{http, tools};
use serde::Deserialize;
use serde_json::Value;

fn overlays() -> Vec<PathBuf> {
    let root = tools::workspace_root().join("k8s/overlays");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("k8s/overlays exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("kustomization.yaml").exists())
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no overlay in {}", root.display());
    found
}

/// `kubectl kustomize` of `overlay`, as YAML.
fn render(overlay: &Path) -> String {
    let kubectl = tools::venv("kubectl").expect("kubectl");
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(overlay)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{} does not render: {}",
        overlay.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 YAML")
}

fn objects(yaml: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(yaml)
        .map(|doc| Value::deserialize(doc).expect("a YAML document"))
        .filter(|v| !v.is_null())
        .collect()
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

/// The pod template of a workload object, if it has one.
fn pod_spec(object: &Value) -> Option<&Value> {
    match object["kind"].as_str()? {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => Some(&object["spec"]["template"]),
        "CronJob" => Some(&object["spec"]["jobTemplate"]["spec"]["template"]),
        _ => None,
    }
}

fn name(object: &Value) -> String {
    format!(
        "{}/{}",
        object["kind"].as_str().unwrap_or("?"),
        object["metadata"]["name"].as_str().unwrap_or("?")
    )
}

#[test]
fn every_overlay_renders_and_validates() {
    let dir = tools::test_dir("k8s-validate");
    for overlay in overlays() {
        let yaml = render(&overlay);
        let file = dir.join(format!(
            "{}.yaml",
            overlay.file_name().and_then(|n| n.to_str()).unwrap_or("x")
        ));
        std::fs::write(&file, &yaml).expect("write the rendering");
        let out = Command::new(tools::venv("kubernetes-validate").expect("installed"))
            .args(["--strict", "--quiet"])
            .arg(&file)
            .output()
            .expect("kubernetes-validate runs");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !report.contains("ERROR"),
            "{} fails validation:\n{report}{}",
            overlay.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            objects(&yaml).len() >= 5,
            "{}: too few objects",
            overlay.display()
        );
    }
}

/// Every PodDisruptionBudget selects a workload's pods and lets at least
/// one of them go: `minAvailable` below its replicas (and the HPA's floor).
#[test]
fn disruption_budgets_cover_their_workloads() {
    for overlay in overlays() {
        let all = objects(&render(&overlay));
        let budgets = of_kind(&all, "PodDisruptionBudget");
        assert!(!budgets.is_empty(), "{}: no PDB", overlay.display());
        for pdb in budgets {
            let wanted = pdb["spec"]["selector"]["matchLabels"]
                .as_object()
                .expect("matchLabels");
            let workload = all
                .iter()
                .filter(|o| pod_spec(o).is_some())
                .find(|o| {
                    let labels = &pod_spec(o).expect("pods")["metadata"]["labels"];
                    wanted.iter().all(|(k, v)| &labels[k] == v)
                })
                .unwrap_or_else(|| panic!("{} selects no workload's pods", name(pdb)));
            let replicas = workload["spec"]["replicas"].as_u64().unwrap_or(1);
            let floor = of_kind(&all, "HorizontalPodAutoscaler")
                .into_iter()
                .find(|h| h["spec"]["scaleTargetRef"]["name"] == workload["metadata"]["name"])
                .and_then(|h| h["spec"]["minReplicas"].as_u64())
                .unwrap_or(replicas);
            if let Some(min) = pdb["spec"]["minAvailable"].as_u64() {
                assert!(
                    min < replicas.min(floor),
                    "{}: minAvailable {min} leaves no pod to drain of {replicas} ({})",
                    name(pdb),
                    name(workload)
                );
            }
        }
    }
}

/// The sidecar container's probes and port, as the manifests give them.
struct Probes {
    port: u16,
    paths: Vec<String>,
}

fn sidecar_probes(all: &[Value]) -> Vec<Probes> {
    let mut found = Vec::new();
    for spec in all.iter().filter_map(pod_spec) {
        let containers = spec["spec"]["containers"].as_array().into_iter().flatten();
        for c in containers.filter(|c| c["name"] == "sentinel-sidecar") {
            let port_of = |named: &Value| -> u16 {
                match named {
                    Value::Number(n) => n.as_u64().unwrap_or(0) as u16,
                    Value::String(s) => c["ports"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|p| p["name"] == s.as_str())
                        .and_then(|p| p["containerPort"].as_u64())
                        .unwrap_or(0) as u16,
                    _ => 0,
                }
            };
            let mut ports = Vec::new();
            let mut paths = Vec::new();
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                let get = &c[probe]["httpGet"];
                assert!(get.is_object(), "the sidecar has no HTTP {probe}");
                ports.push(port_of(&get["port"]));
                paths.push(get["path"].as_str().unwrap_or_default().to_string());
            }
            ports.dedup();
            assert_eq!(ports.len(), 1, "probes on several ports: {ports:?}");
            let listen = c["env"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["name"] == "SENTINEL_LISTEN")
                .and_then(|e| e["value"].as_str())
                .expect("SENTINEL_LISTEN is set");
            assert_eq!(
                listen.rsplit(':').next().and_then(|p| p.parse().ok()),
                Some(ports[0]),
                "the probes' port is not where the sidecar listens ({listen})"
            );
            assert!(
                !listen.starts_with("127."),
                "the kubelet cannot reach a sidecar on loopback ({listen})"
            );
            found.push(Probes {
                port: ports[0],
                paths,
            });
        }
    }
    found
}

/// The real sidecar, with stores that do not answer: what the manifests
/// point at (probes, metrics) must be there without them.
fn sidecar_without_stores(name: &str) -> Sidecar {
    Sidecar::start(
        &tools::test_dir(name),
        "debug",
        free_port(),
        &["redis://127.0.0.1:1".to_string()],
        "postgres://postgres@127.0.0.1:1/sentinel",
    )
    .expect("the sidecar starts")
}

/// The probes' paths answer on the real sidecar (200 or 503, never 404),
/// started as the manifests configure it.
#[test]
fn sidecar_probes_reach_what_the_sidecar_serves() {
    let mut probes = Vec::new();
    for overlay in overlays() {
        let found = sidecar_probes(&objects(&render(&overlay)));
        assert!(!found.is_empty(), "{}: no sidecar", overlay.display());
        probes.extend(found);
    }
    let sidecar = sidecar_without_stores("k8s-probes");
    let client = http::client();
    for probe in probes {
        assert_eq!(probe.port, 8080, "the sidecar's port in the manifests");
        for path in &probe.paths {
            let status = client
                .get(sidecar.url(path))
                .send()
                .expect("the sidecar answers")
                .status();
            assert!(
                status == 200 || status == 503,
                "probe path {path} answers {status}"
            );
        }
    }
}

/// The wasm filters of an Envoy config: `http_filters` entries, wherever
/// they are in `value` (an EnvoyFilter patch, a bootstrap).
fn wasm_filters(value: &Value, found: &mut Vec<Value>) {
    match value {
        Value::Object(map) => {
            if map.get("name") == Some(&Value::from("envoy.filters.http.wasm")) {
                found.push(value.clone());
            }
            map.values().for_each(|v| wasm_filters(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| wasm_filters(v, found)),
        _ => {}
    }
}

/// The policy of every filter the overlays deploy (a WasmPlugin's
/// `pluginConfig`, an EnvoyFilter's or a bootstrap's wasm `configuration`)
/// is one the filter accepts.
#[test]
fn policies_are_ones_the_filter_accepts() {
    for overlay in overlays() {
        let all = objects(&render(&overlay));
        let mut policies: Vec<(String, String)> = of_kind(&all, "WasmPlugin")
            .into_iter()
            .map(|p| (name(p), p["spec"]["pluginConfig"].to_string()))
            .collect();
        let bootstraps = of_kind(&all, "ConfigMap").into_iter().flat_map(|c| {
            let data = c["data"].as_object().cloned().unwrap_or_default();
            data.into_iter()
                .filter(|(key, _)| key.ends_with(".yaml"))
                .filter_map(|(_, text)| serde_yaml_ng::from_str::<Value>(text.as_str()?).ok())
                .map(move |doc| (name(c), doc))
                .collect::<Vec<_>>()
        });
        let configs = of_kind(&all, "EnvoyFilter")
            .into_iter()
            .map(|f| (name(f), f["spec"].clone()))
            .chain(bootstraps);
        for (owner, config) in configs {
            let mut filters = Vec::new();
            wasm_filters(&config, &mut filters);
            for filter in filters {
                let config = &filter["typed_config"]["config"];
                assert_eq!(
                    config["allow_on_headers_stop_iteration"], true,
                    "{owner}: headers may reach the app before the verdict"
                );
                let policy = config["configuration"]["value"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{owner}: a wasm filter without a policy"));
                policies.push((owner.clone(), policy.to_string()));
            }
        }
        assert!(!policies.is_empty(), "{}: no filter", overlay.display());
        for (owner, policy) in policies {
            if let Err(e) = sentinel_filter::policy::Policy::parse(policy.as_bytes()) {
                panic!("{owner} in {}: {e}", overlay.display());
            }
        }
    }
}

/// Images carry an exact tag or a digest, and no container may run as
/// root: `runAsNonRoot` set (on the container or its pod) and no user 0.
#[test]
fn images_are_pinned_and_nothing_runs_as_root() {
    for overlay in overlays() {
        let all = objects(&render(&overlay));
        for object in &all {
            let Some(template) = pod_spec(object) else {
                continue;
            };
            let pod = &template["spec"]["securityContext"];
            let containers = ["initContainers", "containers"]
                .iter()
                .flat_map(|k| template["spec"][k].as_array().into_iter().flatten());
            for c in containers {
                let image = c["image"].as_str().unwrap_or_default();
                let pinned = image.contains("@sha256:")
                    || image
                        .rsplit_once(':')
                        .is_some_and(|(_, tag)| !tag.contains('/') && tag != "latest");
                assert!(pinned, "{}: image {image:?} is not pinned", name(object));
                let context = &c["securityContext"];
                let non_root = context["runAsNonRoot"]
                    .as_bool()
                    .or(pod["runAsNonRoot"].as_bool());
                assert_eq!(
                    non_root,
                    Some(true),
                    "{}: container {} may run as root",
                    name(object),
                    c["name"]
                );
                for user in [&context["runAsUser"], &pod["runAsUser"]] {
                    assert_ne!(user.as_u64(), Some(0), "{}: runs as user 0", name(object));
                }
            }
        }
    }
}

/// The `sentinel_*` metric names in `text` (alert expressions, dashboard
/// queries).
fn metric_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("sentinel_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.push(name);
    }
    names
}

/// Every metric the alerts and the dashboard query exists: the filter's
/// counters (as Envoy exports them) or one the real sidecar's `/metrics`
/// shows.
#[test]
fn alerts_and_dashboard_query_metrics_that_exist() {
    use sentinel_filter::metrics as filter;
    let sidecar = sidecar_without_stores("k8s-metrics");
    let exposed = http::client()
        .get(sidecar.url("/metrics"))
        .send()
        .and_then(|r| r.text())
        .expect("/metrics answers");
    let mut known: Vec<String> = exposed
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect();
    known.extend(
        [
            filter::REQUESTS,
            filter::VERDICT_ALLOW,
            filter::VERDICT_BLOCK,
            filter::VERDICT_MONITOR,
            filter::BODY_TOO_LARGE,
            filter::QUARANTINED,
            filter::RATE_LIMITED,
            filter::STATE_PULL_FAILURES,
            filter::EVENTS_SENT,
            filter::EVENTS_DROPPED,
            filter::EVENTS_FAILED_BATCHES,
        ]
        .map(str::to_string),
    );
    let mut queried = 0;
    for overlay in overlays() {
        let all = objects(&render(&overlay));
        let texts = of_kind(&all, "PrometheusRule")
            .into_iter()
            .map(|rule| rule["spec"].to_string())
            .chain(
                of_kind(&all, "ConfigMap")
                    .into_iter()
                    .filter(|c| c["metadata"]["labels"]["grafana_dashboard"] == "1")
                    .map(|c| c["data"].to_string()),
            );
        for text in texts {
            for name in metric_names(&text) {
                assert!(
                    known.contains(&name),
                    "{}: {name} is no metric the filter or the sidecar exports",
                    overlay.display()
                );
                queried += 1;
            }
        }
    }
    assert!(queried > 0, "no alert or dashboard query checked");
}

/// The custom resources (Istio, Prometheus Operator, CloudNativePG) of every
/// overlay validate against their schemas in `k8s/schemas/` (source
/// versions in the files; `scripts/crd-schemas.py` and
/// `scripts/cnpg-schemas` write them). A custom kind without a schema there
/// fails: `kubernetes-validate` only knows the built-in groups.
#[test]
fn custom_resources_validate_against_their_schemas() {
    let schemas = tools::workspace_root().join("k8s/schemas");
    let mut checked = 0;
    for overlay in overlays() {
        for object in objects(&render(&overlay)) {
            let (Some(kind), Some(api)) = (object["kind"].as_str(), object["apiVersion"].as_str())
            else {
                continue;
            };
            let Some((group, version)) = api.split_once('/') else {
                continue;
            };
            let file = schemas.join(format!(
                "{}-{}-{version}.json",
                kind.to_lowercase(),
                group.replace('.', "-")
            ));
            // Built-in groups are `kubernetes-validate`'s (core `v1` has no
            // group, so it never reaches here).
            if !group.contains('.') || group.ends_with(".k8s.io") {
                continue;
            }
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: no schema for {api} {kind}: {e}", file.display()));
            let schema: Value = serde_json::from_str(&text).expect("a JSON schema");
            let validator = jsonschema::validator_for(&schema)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let errors: Vec<String> = validator
                .iter_errors(&object)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .take(5)
                .collect();
            assert!(
                errors.is_empty(),
                "{} in {}: {errors:#?}",
                name(&object),
                overlay.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} custom resources checked");
}
