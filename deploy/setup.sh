#!/usr/bin/env bash
# Installs the Debian packages sitewatch needs to build, run and test, when
# they are missing. Idempotent; needs root (or sudo) only when installing.
set -euo pipefail
PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libzmq3-dev libczmq-dev libprotobuf-c-dev protobuf-c-compiler
      liblmdb-dev lmdb-utils libcmocka-dev libyaml-dev libcurl4-openssl-dev
      tzdata jq
      chromium fonts-wqy-microhei)
# chromium (headless) and a CJK font are in the default list: the express
# report test screenshots the HTML page. --with-browser is kept as a no-op.
if [ "${1:-}" = "--with-browser" ]; then :; fi
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#PKGS[@]} packages present"
    exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
