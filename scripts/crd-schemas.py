#!/usr/bin/env python3
"""Writes k8s/schemas/*.json: JSON Schemas of the custom resources the
overlays use, for tests/tests/k8s.rs. Run by hand when the pinned model
versions below change (they are the schemas' source, noted in each file):

    python3 -m venv /tmp/crd && /tmp/crd/bin/pip install \
        cloudcoil-models-istio==1.24.2.1 cloudcoil-models-prometheus-operator==0.80.1.0
    /tmp/crd/bin/python scripts/crd-schemas.py

The models are generated from the projects' CRDs. Their schemas check
types and enums; every object that lists its properties is made closed
(`additionalProperties: false`), as `kubernetes-validate --strict` does for
the core kinds, so a misspelt field fails too. Free-form objects (a
WasmPlugin's pluginConfig, an EnvoyFilter patch's value) stay open.
"""
import json
import pathlib
from importlib.metadata import version

from cloudcoil.models.istio.extensions import v1alpha1 as istio_extensions
from cloudcoil.models.istio.networking import v1 as istio_networking
from cloudcoil.models.istio.networking import v1alpha3 as istio_networking_v1alpha3
from cloudcoil.models.prometheus_operator import v1 as monitoring

KINDS = [
    ("extensions.istio.io/v1alpha1", istio_extensions.WasmPlugin, "cloudcoil-models-istio"),
    ("networking.istio.io/v1", istio_networking.DestinationRule, "cloudcoil-models-istio"),
    ("networking.istio.io/v1", istio_networking.VirtualService, "cloudcoil-models-istio"),
    ("networking.istio.io/v1alpha3", istio_networking_v1alpha3.EnvoyFilter, "cloudcoil-models-istio"),
    ("monitoring.coreos.com/v1", monitoring.PodMonitor, "cloudcoil-models-prometheus-operator"),
    ("monitoring.coreos.com/v1", monitoring.PrometheusRule, "cloudcoil-models-prometheus-operator"),
]


def close(node):
    """additionalProperties: false wherever properties are listed."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            close(value)
    elif isinstance(node, list):
        for value in node:
            close(value)


def main():
    out = pathlib.Path(__file__).resolve().parent.parent / "k8s" / "schemas"
    out.mkdir(exist_ok=True)
    for api_version, model, package in KINDS:
        schema = model.model_json_schema(by_alias=True)
        close(schema)
        # Kubernetes adds these; the models leave them open or absent.
        schema["properties"]["metadata"] = {"type": "object"}
        schema["properties"].pop("status", None)
        schema["x-source"] = f"{package} {version(package)}"
        group, ver = api_version.split("/")
        name = f"{model.__name__.lower()}-{group.replace('.', '-')}-{ver}.json"
        (out / name).write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        print(f"wrote k8s/schemas/{name}")


if __name__ == "__main__":
    main()
