#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Installs the Debian packages fwc builds and tests with, when missing.
# Idempotent: installs nothing when everything is present.
set -euo pipefail

pkgs=(make gcc clang clang-format llvm libbpf-dev libelf-dev zlib1g-dev libcmocka-dev
      bpftool iproute2 nftables pkg-config gnuplot-nox iptables ipset
      graphviz man-db systemd util-linux curl time strace bc
      samba samba-ad-dc samba-ad-provision smbclient winbind python3-impacket)
# The tests run their own Samba AD DC in a namespace (tests/e2e/rpclab.sh):
# the daemons of these packages must not start on this host, now or at boot.
daemons=(smbd nmbd winbind samba-ad-dc)

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
samba_new=0
[[ " ${missing[*]} " =~ " "(samba|winbind|samba-ad-dc)" " ]] && samba_new=1
# invoke-rc.d asks policy-rc.d: 101 is "start nothing" (a container has
# one already).
rcd=/usr/sbin/policy-rc.d
if [ "$samba_new" = 1 ] && [ ! -e "$rcd" ]; then
	printf '#!/bin/sh\n# tools/deps.sh of fwc, while it installs\nexit 101\n' >"$rcd"
	chmod 755 "$rcd"
	trap 'rm -f "$rcd"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ "$samba_new" = 1 ]; then
	systemctl disable --quiet "${daemons[@]}" 2>/dev/null || true
fi
