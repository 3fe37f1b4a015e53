# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# A lab of network namespaces for fwc's end-to-end tests and the demo.
# Sourced, not run (not executable, so `make e2e-tests` skips it).
#
#   host ns ${LAB_PREFIX}NAME          gateway ns ${LAB_PREFIX}gw
#     eth0  <------ veth ------>  NAME     fwc's XDP runs here
#
# Everything a host sends, requests and replies alike, enters the gateway
# on its one leg, where fwc enforces the policy; replies pass because fwc
# tracks the flows its rules admit (set state on). The gateway routes to
# each host over the same leg (XDP sees ingress only). Addresses are only
# the ones the lab assigns, inside its own namespaces.
#
# Needs: LAB_PREFIX (unique per run), PROBE (path of fwc-probe).

LAB_NS=()		# namespaces made, for cleanup
LAB_PIDS=()		# servers started, for cleanup
LAB_GW_IP4=169.254.0.1	# the gateway on every leg (link-local)
LAB_GW_IP6=fe80::1

lab_ns() { echo "${LAB_PREFIX}$1"; }

# Run a command in a lab namespace. nsenter keeps our mount namespace,
# unlike `ip netns exec`, so bpffs pins made inside stay visible.
lab_in() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$(lab_ns "$ns")" "$@"
}

lab_sysctl() { lab_in "$1" sysctl -qw "$2" >/dev/null; }

# No duplicate address detection: addresses are usable at once.
lab_nodad() {
	lab_sysctl "$1" net.ipv6.conf.all.accept_dad=0
	lab_sysctl "$1" net.ipv6.conf.default.accept_dad=0
}

lab_gateway() {
	ip netns add "$(lab_ns gw)"
	LAB_NS+=("$(lab_ns gw)")
	lab_in gw ip link set lo up
	lab_nodad gw
	lab_sysctl gw net.ipv4.ip_forward=1
	lab_sysctl gw net.ipv6.conf.all.forwarding=1
	lab_sysctl gw net.ipv4.conf.all.rp_filter=0
	lab_sysctl gw net.ipv4.conf.default.rp_filter=0
}

# lab_host NAME ADDR...: a host namespace whose addresses route via the gw.
lab_host() {
	local name=$1 ns
	shift
	ns=$(lab_ns "$name")
	ip netns add "$ns"
	LAB_NS+=("$ns")
	lab_nodad "$name"
	lab_in gw ip link add name "$name" type veth peer name eth0 netns "$ns"
	lab_in "$name" ip link set lo up
	lab_sysctl "$name" net.ipv4.conf.all.rp_filter=0
	lab_sysctl "$name" net.ipv4.conf.default.rp_filter=0
	lab_sysctl gw "net.ipv4.conf.$name.rp_filter=0"
	lab_in gw ip link set "$name" up
	lab_in gw ip addr add "$LAB_GW_IP4/32" dev "$name"
	lab_in gw ip addr add "$LAB_GW_IP6/64" dev "$name" nodad
	lab_sysctl "$name" net.ipv4.conf.eth0.rp_filter=0
	lab_in "$name" ip link set eth0 up
	lab_in "$name" ip route add default via "$LAB_GW_IP4" dev eth0 onlink
	lab_in "$name" ip -6 route add default via "$LAB_GW_IP6" dev eth0
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			lab_in "$name" ip addr add "$a/128" dev eth0 nodad
			lab_in gw ip -6 route add "$a/128" dev "$name"
		else
			lab_in "$name" ip addr add "$a/32" dev eth0
			lab_in gw ip route add "$a/32" dev "$name"
		fi
	done
}

# lab_serve NAME SECS SPEC...: fwc-probe servers (tcp:ADDR:PORT, udp:...)
# in host NAME.
lab_serve() {
	local name=$1 secs=$2 out
	shift 2
	# The same listener twice would not bind.
	mapfile -t specs < <(printf '%s\n' "$@" | sort -u)
	set -- "${specs[@]}"
	out=$(mktemp)
	lab_in "$name" "$PROBE" serve --for "$secs" "$@" >"$out" 2>&1 &
	LAB_PIDS+=($!)
	for _ in $(seq 50); do
		grep -qx ready "$out" && break
		sleep 0.1
	done
	if ! grep -qx ready "$out"; then
		cat "$out" >&2
		rm -f "$out"
		echo "lab: servers in $name did not start" >&2
		return 1
	fi
	rm -f "$out"
}

# Is an address still tentative (DAD)? Wait until v6 addresses are usable.
lab_settle() {
	local ns
	for ns in "${LAB_NS[@]}"; do
		for _ in $(seq 50); do
			nsenter --net="/run/netns/$ns" ip -6 addr show tentative |
				grep -q inet6 || break
			sleep 0.1
		done
	done
}

lab_cleanup() {
	local pid ns
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${LAB_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	LAB_PIDS=()
	for ns in "${LAB_NS[@]}"; do
		# Processes started in it by this run (probes, backgrounded).
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	LAB_NS=()
}

# Remove what runs of suite $1 (a prefix such as fwct) left when they were
# killed before their trap ran (SIGKILL): namespaces $1-PID-*, pins
# /sys/fs/bpf/$1-PID* and temp dirs /tmp/$1-PID.*, of every PID that no
# longer runs. A live run's are left alone, so suites may run side by side.
lab_sweep_dead() {
	local suite=$1 path name pid
	local -A dead=()
	for name in $(ip netns list | awk '{print $1}') /sys/fs/bpf/"$suite"-* /tmp/"$suite"-*; do
		name=${name##*/}
		[[ $name =~ ^$suite-([0-9]+)([-.]|$) ]] || continue
		pid=${BASH_REMATCH[1]}
		[ "$pid" = "$$" ] || kill -0 "$pid" 2>/dev/null || dead[$pid]=1
	done
	for pid in "${!dead[@]}"; do
		lab_cleanup_prefix "$suite-$pid-"
		for path in /sys/fs/bpf/"$suite-$pid" /sys/fs/bpf/"$suite-$pid"-* /tmp/"$suite-$pid".*; do
			[ -e "$path" ] || continue
			# A bpffs a killed test mounted under its temp dir.
			findmnt -rno TARGET | grep "^$path/" | sort -r | xargs -r umount 2>/dev/null || true
			rm -rf "$path"
		done
		echo "$suite: removed what the killed run $pid left behind" >&2
	done
}

# True (and says so) when a namespace of LAB_PREFIX or a pin directory
# matching the glob $2 survived cleanup; $1 names the suite.
lab_left_behind() {
	if ip netns list | grep -q "^${LAB_PREFIX}" || compgen -G "$2" >/dev/null; then
		echo "$1: cleanup left namespaces or pins behind" >&2
		return 0
	fi
	return 1
}

# Remove every namespace with prefix $1 (default: ours), and what runs in
# them: for a lab left by a killed run.
lab_cleanup_prefix() {
	local ns pid prefix=${1:-$LAB_PREFIX}
	for ns in $(ip netns list | awk '{print $1}' | grep "^${prefix}" || true); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
}
