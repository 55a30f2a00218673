#!/bin/bash
# Installs what building (and, with --test, testing) jobworker needs on
# Debian 12 or newer. Idempotent; run as root.
set -euo pipefail

build_pkgs=(meson ninja-build gcc clang pkg-config libsystemd-dev libcap-dev libcmocka-dev
            libdbus-1-dev libmnl-dev libinih-dev libjson-c-dev systemd dbus)
test_pkgs=(qemu-system-x86 qemu-utils debootstrap e2fsprogs jq libclang-rt-14-dev)

pkgs=("${build_pkgs[@]}")
[[ "${1:-}" == --test ]] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
if ((EUID != 0)); then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
