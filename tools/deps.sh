#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Installs the Debian packages fwc builds and tests with, when missing.
# Idempotent: installs nothing when everything is present.
set -euo pipefail

pkgs=(make gcc clang clang-format llvm libbpf-dev libelf-dev zlib1g-dev libcmocka-dev
      bpftool iproute2 nftables pkg-config gnuplot-nox iptables ipset
      graphviz man-db systemd util-linux curl time strace bc)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "fwc: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "fwc: run as root (or install them yourself): apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
apt-get install -y -qq --no-install-recommends "${missing[@]}"
