#!/usr/bin/env bash
# Lints the deployment files in deploy/ with the tools tools/requirements.txt puts in .venv
# (scripts/setup.sh installs them); no Docker engine or cluster is needed:
#   hadolint            deploy/docker/Dockerfile (with ShellCheck on its RUN lines)
#   yamllint            every YAML file in deploy/ (settings: deploy/.yamllint.yaml)
#   check-jsonschema    deploy/compose.yaml against the Compose specification's schema
#   kubernetes-validate deploy/kubernetes/*.yaml, strict (unknown fields are errors), against
#                       the oldest and the newest Kubernetes release it checks here
# Every tool runs, then the script exits 1 if any of them found anything (warnings count).
#
#   scripts/lint-deploy.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "lint-deploy.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

# The releases kubernetes-validate checks the manifests against: the oldest still in common
# support, and the newest it knows.
kubernetes_versions=(1.30.0 1.37.0)

venv="$root/.venv/bin"
for tool in hadolint yamllint check-jsonschema kubernetes-validate; do
  [ -x "$venv/$tool" ] || { echo "lint-deploy.sh: $tool missing from .venv (run scripts/setup.sh)" >&2; exit 2; }
done

failed=()
run() {
  local name="$1"
  shift
  echo "[lint-deploy] $name" >&2
  if ! "$@" >&2; then failed+=("$name"); fi
}

run "hadolint $("$venv/hadolint" --version | awk '{print $NF}')" \
  "$venv/hadolint" --no-color --failure-threshold style deploy/docker/Dockerfile
run "yamllint $("$venv/yamllint" --version | awk '{print $NF}')" \
  "$venv/yamllint" --strict --config-file deploy/.yamllint.yaml deploy/
run "check-jsonschema $("$venv/check-jsonschema" --version | awk '{print $NF}') (compose specification)" \
  "$venv/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml
# kubernetes-validate only warns (and exits 0) for a kind it has no schema for, such as a
# misspelt apiVersion: a warning fails here too.
kubernetes_validate() {
  local output status=0
  output="$("$venv/kubernetes-validate" --strict --quiet --kubernetes-version "$1" deploy/kubernetes/*.yaml 2>&1)" || status=$?
  [ -z "$output" ] || printf '%s\n' "$output"
  [ "$status" -eq 0 ] && ! grep -q '^WARN' <<<"$output"
}
for version in "${kubernetes_versions[@]}"; do
  run "kubernetes-validate $("$venv/kubernetes-validate" --version | awk '{print $NF}') (Kubernetes $version)" \
    kubernetes_validate "$version"
done

if [ "${#failed[@]}" -gt 0 ]; then
  printf '[lint-deploy] FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "[lint-deploy] all deployment files pass" >&2
