#!/usr/bin/env bash
# Installs the Debian packages edgenode builds and tests with, when any is missing.
# Runs apt-get directly as root, through sudo otherwise. Safe to run repeatedly.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libmosquitto-dev mosquitto mosquitto-clients
  libzmq3-dev cppzmq-dev
  libmsgpack-cxx-dev libspdlog-dev libopenblas-dev libyaml-cpp-dev
  nlohmann-json3-dev libpcre2-dev libsqlite3-dev libcli11-dev libcpp-httplib-dev libicu-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  openssl
)
# Extra sets, chosen by the caller: EDGENODE_EXTRA_PACKAGES="clang python3-torch"
if [ -n "${EDGENODE_EXTRA_PACKAGES:-}" ]; then
  read -r -a extra <<<"$EDGENODE_EXTRA_PACKAGES"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
