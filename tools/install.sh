#!/bin/bash
# Builds jobworker, installs it under /usr and activates it on this host:
# afterwards `jobworkerctl version` works. Run as root from the source tree.
set -euo pipefail
cd "$(dirname "$0")/.."

"$PWD/tools/install-deps.sh"
[[ -d build-release ]] || meson setup build-release --prefix=/usr --buildtype=release
ninja -C build-release
meson install -C build-release --no-rebuild
# Pick up the unit files and the bus policy; the daemon itself starts on the
# first call (D-Bus activation).
systemctl daemon-reload
systemctl reload dbus
echo "jobworker installed. Try: jobworkerctl version"
