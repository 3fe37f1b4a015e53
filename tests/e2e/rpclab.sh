# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# A Samba AD domain controller behind fwc's gateway, for the MS-RPC
# pinhole test (90-rpc-samba.sh) and `make demo-rpc`. Sourced after
# lab.sh (not executable, so `make e2e-tests` skips it).
#
#   ${LAB_PREFIX}cli   eth0  192.0.2.10 (client A), 192.0.2.20 (client B)
#        |                  impacket (rpc_client.py), Samba's rpcclient
#   ${LAB_PREFIX}gw    legs "cli" 192.0.2.1/24 and "srv" 198.51.100.1/24,
#        |                  forwarding; fwc enforces on both
#   ${LAB_PREFIX}srv   eth0  198.51.100.10: samba (AD DC): the endpoint
#                           mapper on TCP 135, netlogon, samr, drsuapi...
#                           on dynamic ports from 49152
#
# The veths are made inside the gateway namespace; nothing is created in,
# or changed on, the root namespace. No default routes: each side has a
# route to the other's subnet through the gateway, no more, so nothing
# can leave the lab. IPv6 is off in the three namespaces (the DC's towers
# are IPv4, and no link-local chatter). The DC runs no DNS, dynamic DNS
# update, NetBIOS, WINS or NTP signing service: nothing that talks to a
# resolver or broadcasts. Its state (one `samba-tool domain provision`,
# about 15 s) lives in $RPC_STATE, which the caller deletes.
#
# Needs: LAB_PREFIX, RPC_STATE (an empty directory of the caller's).

RPC_A=192.0.2.10 RPC_B=192.0.2.20 RPC_DC=198.51.100.10
RPC_GW_CLI=192.0.2.1 RPC_GW_SRV=198.51.100.1
RPC_CLI_NET=192.0.2.0/24 RPC_SRV_NET=198.51.100.0/24
RPC_REALM=FWCT.TEST RPC_DOMAIN=FWCT RPC_USER=Administrator
RPC_PASS='Fwc-Test-Pass1!'
# Debian's python: python3-impacket is installed for it, not for another
# python3 that PATH may find first.
RPC_PY=/usr/bin/python3
RPC_CLIENT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/rpc_client.py
RPC_SAMBA_PID=

rpclab_say() { printf '[%5.1fs] %s\n' "$(rpclab_elapsed)" "$*"; }
rpclab_elapsed() {
	awk -v a="$(date +%s.%N)" -v b="${RPC_T0:-$(date +%s.%N)}" \
		'BEGIN { printf "%.1f", a - b }'
}

# What the lab needs, all of it, or a loud failure naming what is missing
# (tools/deps.sh installs the Debian packages).
rpclab_deps() {
	local miss=() b
	for b in samba samba-tool rpcclient ss; do
		command -v "$b" >/dev/null || miss+=("$b")
	done
	"$RPC_PY" -c 'import impacket.dcerpc.v5.epm' 2>/dev/null ||
		miss+=("impacket for $RPC_PY (python3-impacket)")
	if [ ${#miss[@]} -gt 0 ]; then
		echo "rpclab: missing: ${miss[*]} (tools/deps.sh installs them)" >&2
		return 1
	fi
}

rpclab_nsdef() { # NAME: a namespace with lo up, IPv6 off, cleaned on exit
	ip netns add "$(lab_ns "$1")"
	LAB_NS+=("$(lab_ns "$1")")
	lab_in "$1" ip link set lo up
	lab_sysctl "$1" net.ipv6.conf.all.disable_ipv6=1
	lab_sysctl "$1" net.ipv6.conf.default.disable_ipv6=1
}

rpclab_net() {
	rpclab_nsdef gw
	rpclab_nsdef cli
	rpclab_nsdef srv
	lab_sysctl gw net.ipv4.ip_forward=1
	lab_in gw ip link add name cli type veth peer name eth0 \
		netns "$(lab_ns cli)"
	lab_in gw ip link add name srv type veth peer name eth0 \
		netns "$(lab_ns srv)"
	lab_in gw ip addr add "$RPC_GW_CLI/24" dev cli
	lab_in gw ip addr add "$RPC_GW_SRV/24" dev srv
	lab_in cli ip addr add "$RPC_A/24" dev eth0
	lab_in cli ip addr add "$RPC_B/24" dev eth0
	lab_in srv ip addr add "$RPC_DC/24" dev eth0
	lab_in gw ip link set cli up
	lab_in gw ip link set srv up
	lab_in cli ip link set eth0 up
	lab_in srv ip link set eth0 up
	# Client A is the address a client picks; B is bound explicitly.
	lab_in cli ip route add "$RPC_SRV_NET" via "$RPC_GW_CLI" src "$RPC_A"
	lab_in srv ip route add "$RPC_CLI_NET" via "$RPC_GW_SRV"
}

# The DC's smb.conf options, at provision time (written into smb.conf).
rpclab_dc_options() {
	local s=$RPC_STATE/dc
	printf -- '--option=%s\n' \
		"interfaces = lo eth0" "bind interfaces only = yes" \
		"server services = -dns -dnsupdate -nbt -wrepl -ntp_signd" \
		"prefork children = 2" "load printers = no" \
		"printcap name = /dev/null" "disable spoolss = yes" \
		"pid directory = $s/run" "ncalrpc dir = $s/ncalrpc" \
		"winbindd socket directory = $s/winbindd" \
		"log file = $s/log/log.%m" "max log size = 0"
}

rpclab_provision() {
	local s=$RPC_STATE/dc opts
	mkdir -p "$s/run" "$s/ncalrpc" "$s/winbindd" "$s/log"
	mapfile -t opts < <(rpclab_dc_options)
	# Backgrounded and waited for: a signal interrupts the wait at once.
	lab_in srv samba-tool domain provision --targetdir="$s" \
		--realm="$RPC_REALM" --domain="$RPC_DOMAIN" --server-role=dc \
		--dns-backend=NONE --adminpass="$RPC_PASS" \
		--host-name=dc1 --host-ip="$RPC_DC" "${opts[@]}" \
		>"$RPC_STATE/provision.log" 2>&1 &
	if ! wait $!; then
		tail -20 "$RPC_STATE/provision.log" >&2
		echo "rpclab: samba-tool domain provision failed" >&2
		return 1
	fi
}

# Starts the DC and waits (bounded) until it listens on 135.
rpclab_dc_start() {
	local s=$RPC_STATE/dc
	# smbd and winbindd open /var/log/samba/log.NAME before they read
	# smb.conf: in a mount namespace of its own (private, gone with the
	# DC), the DC's log directory is mounted there. nsenter, unshare and
	# sh exec in turn: $! is the DC's main process.
	# shellcheck disable=SC2016 # $1, $@ are the inner shell's
	nsenter --net="/run/netns/$(lab_ns srv)" \
		unshare --mount --propagation private sh -c '
			[ ! -d /var/log/samba ] ||
				mount --bind "$1" /var/log/samba || exit 1
			shift
			exec samba "$@"' sh "$s/log" -s "$s/etc/smb.conf" \
		-F --no-process-group -l "$s/log" --debuglevel=1 \
		>"$s/log/samba.out" 2>&1 &
	RPC_SAMBA_PID=$!
	for _ in $(seq 120); do # <= 30 s
		kill -0 "$RPC_SAMBA_PID" 2>/dev/null || break
		lab_in srv ss -Hltn "sport = :135" | grep -q "$RPC_DC:135" &&
			return 0
		sleep 0.25
	done
	tail -20 "$s/log/samba.out" "$s/log/log.samba" >&2 2>/dev/null
	echo "rpclab: samba did not listen on $RPC_DC:135" >&2
	return 1
}

# Stops the DC: TERM to its main process (it stops its children), then
# whatever is left in the server namespace, KILL after 10 s.
rpclab_dc_stop() {
	local pids
	[ -n "$RPC_SAMBA_PID" ] && kill -TERM "$RPC_SAMBA_PID" 2>/dev/null
	[ -e "/run/netns/$(lab_ns srv)" ] || return 0
	for _ in $(seq 40); do
		pids=$(ip netns pids "$(lab_ns srv)" 2>/dev/null)
		[ -z "$pids" ] && break
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null
		sleep 0.25
	done
	pids=$(ip netns pids "$(lab_ns srv)" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	[ -n "$RPC_SAMBA_PID" ] && wait "$RPC_SAMBA_PID" 2>/dev/null
	RPC_SAMBA_PID=
	return 0
}

# rpc_client IFACE [ARGS...]: rpc_client.py from client A (--source for B),
# bounded by timeout(1) whatever the sockets do.
rpc_client() {
	local iface=$1
	shift
	lab_in cli timeout 30 "$RPC_PY" "$RPC_CLIENT" "$RPC_DC" \
		--iface "$iface" --user "$RPC_USER" --password "$RPC_PASS" \
		--domain "$RPC_DOMAIN" "$@"
}

# Waits (bounded) until the EPM maps every interface named.
rpclab_dc_ready() {
	local i
	for i in "$@"; do
		for _ in $(seq 60); do # <= 30 s
			rpc_client "$i" --map-only --timeout 1 >/dev/null 2>&1 &&
				continue 2
			sleep 0.5
		done
		echo "rpclab: the endpoint mapper never mapped $i" >&2
		return 1
	done
}

# Samba's rpcclient in client A, its own smb.conf under $RPC_STATE.
rpclab_rpcclient_conf() {
	local d=$RPC_STATE/client
	mkdir -p "$d/lock" "$d/state" "$d/cache" "$d/private" "$d/run" \
		"$d/log" "$d/ncalrpc"
	cat >"$d/smb.conf" <<EOF
[global]
	workgroup = $RPC_DOMAIN
	realm = $RPC_REALM
	client use kerberos = off
	name resolve order = host
	lock directory = $d/lock
	state directory = $d/state
	cache directory = $d/cache
	private dir = $d/private
	pid directory = $d/run
	ncalrpc dir = $d/ncalrpc
	log file = $d/log/log.%m
EOF
}

# rpcclient BINDING COMMAND: e.g. "ncacn_ip_tcp:IP" (it asks the EPM for
# the port of the command's interface) or "ncacn_ip_tcp:IP[PORT]".
rpcclient_run() {
	lab_in cli timeout 15 rpcclient -s "$RPC_STATE/client/smb.conf" \
		-U "$RPC_DOMAIN\\$RPC_USER%$RPC_PASS" "$1" -c "$2"
}
