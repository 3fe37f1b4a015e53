#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# fwc as an operator meets it: `make install` into a DESTDIR (and with the
# default PREFIX), the man pages rendered without warnings and naming every
# command and option, the systemd unit checked by systemd-analyze verify
# and its ExecStart/ExecReload/ExecStop lines run by hand in the lab, then,
# with the installed binary: stats --watch, --prometheus (checked by
# promcheck.awk), --listen scraped over HTTP, graph and matrix with live
# counters, bash completion; `make uninstall` removes every file.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

A=$E2E_DIR/lab-a.pol
B=$E2E_DIR/lab-b.pol
PROMCHECK=$E2E_DIR/promcheck.awk
CLI4=203.0.113.7 WEB4=192.0.2.10 DB4=198.51.100.10
O=$(dirname "$FWC")
DEST=$TMP/dest
BUILT_FWC=$FWC

echo "make install PREFIX=/usr DESTDIR=$DEST"
env -u MAKEFLAGS -u MAKELEVEL make -s -C "$REPO" O="$O" PREFIX=/usr DESTDIR="$DEST" install >/dev/null
for f in usr/bin/fwc usr/lib/fwc/fwc.bpf.o usr/share/man/man8/fwc.8 \
	usr/share/man/man5/fwc.pol.5 usr/share/bash-completion/completions/fwc \
	usr/lib/systemd/system/fwc@.service usr/share/fwc/fwc.conf.example; do
	check "installed /$f" [ -s "$DEST/$f" ]
done
expect_eq "installed example policies" "$(ls "$REPO"/policies/*.pol | wc -l)" \
	"$(ls "$DEST"/usr/share/fwc/policies/*.pol | wc -l)"
check "fwc.bpf.o is a BPF object" bash -c \
	"readelf -h '$DEST/usr/lib/fwc/fwc.bpf.o' | grep -q 'Linux BPF'"
FWC=$DEST/usr/bin/fwc
expect_eq "the installed fwc runs" "$("$BUILT_FWC" --version)" "$("$FWC" --version)"
UNIT=$DEST/usr/lib/systemd/system/fwc@.service
check "unit runs the installed path" grep -q '^ExecStart=/usr/bin/fwc ' "$UNIT"

echo "make install with the default PREFIX"
env -u MAKEFLAGS -u MAKELEVEL make -s -C "$REPO" O="$O" DESTDIR="$TMP/dest2" install >/dev/null
check "/usr/local/bin/fwc" [ -x "$TMP/dest2/usr/local/bin/fwc" ]
check "unit in /usr/local/lib/systemd/system, running /usr/local/bin/fwc" \
	grep -q '^ExecStart=/usr/local/bin/fwc ' \
	"$TMP/dest2/usr/local/lib/systemd/system/fwc@.service"
env -u MAKEFLAGS -u MAKELEVEL make -s -C "$REPO" O="$O" DESTDIR="$TMP/dest2" uninstall >/dev/null 2>&1
expect_eq "make uninstall (default PREFIX) leaves no file" "" \
	"$(find "$TMP/dest2" -type f)"

echo "man pages"
render() { MANWIDTH=1000 LC_ALL=C man -l "$1" 2>/dev/null; }
for p in man8/fwc.8 man5/fwc.pol.5; do
	expect_eq "man --warnings -l $p: no warnings" "" \
		"$(MANWIDTH=80 man --warnings -l "$DEST/usr/share/man/$p" 2>&1 >/dev/null)"
done
page=$(render "$DEST/usr/share/man/man8/fwc.8")
missing=
for c in $("$FWC" --help | awk '/^commands:/ { on = 1; next }
		on && /^  [a-z]/ && $1 != "fwc" { print $1 }'); do
	grep -q "fwc $c" <<<"$page" || missing+=" $c"
	for o in $("$FWC" "$c" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		grep -q -- "$o" <<<"$page" || missing+=" $c:$o"
	done
done
expect_eq "fwc(8) names every command and option of fwc --help" "" "$missing"
page=$(render "$DEST/usr/share/man/man5/fwc.pol.5")
missing=
for w in define zone service set allow deny log label proto port from-port \
	type any "set default" "set non-ip" "set state" "set timeout"; do
	grep -q -- "$w" <<<"$page" || missing+=" '$w'"
done
expect_eq "fwc.pol(5) has every statement, keyword and option" "" "$missing"

echo "systemd unit"
ln -s fwc@.service "$DEST/usr/lib/systemd/system/fwc@lab.service"
out=$(MANPATH=$DEST/usr/share/man systemd-analyze --root="$DEST" verify \
	"$DEST/usr/lib/systemd/system/fwc@lab.service" 2>&1) && rc=0 || rc=$?
expect_eq "systemd-analyze verify fwc@lab.service" "0 ''" "$rc '$out'"
rm "$DEST/usr/lib/systemd/system/fwc@lab.service"
for d in Type=oneshot RemainAfterExit=yes Before=network-pre.target \
	Wants=network-pre.target DefaultDependencies=no; do
	check "unit: $d" grep -q "^${d%%=*}=.*${d#*=}" "$UNIT"
done

lab_gateway
lab_host cli $CLI4
lab_host web $WEB4
lab_host db $DB4
lab_serve web 120 tcp:$WEB4:443 tcp:$WEB4:8080 udp:$WEB4:7001 udp:$WEB4:7003
lab_serve db 120 tcp:$DB4:5432
lab_settle

# An instance "lab" (cli and web, one shared load) in fwc.conf, and the
# per-interface instance "db" (db.pol beside fwc.conf, on db).
ETC=$TMP/etc/fwc
mkdir -p "$ETC"
cp "$A" "$ETC/lab.pol"
cp "$A" "$ETC/db.pol"
printf '# instances of the test\nlab  lab.pol  cli web   # shared\n' >"$ETC/fwc.conf"

# The line KEY= of the unit for instance NAME, run as systemd would (its
# Environment= first), with the binary under DESTDIR; extra env from $@.
unit_run() {
	local key=$1 name=$2 cmd envs
	shift 2
	cmd=$(sed -n "s/^$key=//p" "$UNIT" | head -1 | sed "s/%i/$name/g")
	cmd=${cmd#-}
	envs=$(sed -n 's/^Environment=//p' "$UNIT" | tr '\n' ' ')
	[ -n "$cmd" ] || { echo "unit has no $key" >&2; return 1; }
	# shellcheck disable=SC2086
	lab_in gw env FWC_CONF="$ETC/fwc.conf" $envs "$@" "$DEST"$cmd
}
xdp_of() { lab_in gw bpftool -j net show dev "$1" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2; }

echo "ExecStart of fwc@lab and fwc@db"
unit_run ExecStart lab >/dev/null && rc=0 || rc=$?
expect_eq "ExecStart lab: exit status" 0 "$rc"
unit_run ExecStart db >/dev/null
expect_eq "status: cli, web, db attached" "attached attached attached" \
	"$(status_field cli state) $(status_field web state) $(status_field db state)"
expect_eq "cli runs lab.pol" "$ETC/lab.pol" "$(status_field cli policy)"
expect_eq "db runs db.pol" "$ETC/db.pol" "$(status_field db policy)"
expect_eq "cli and web share one program" "$(status_field cli prog_id)" \
	"$(status_field web prog_id)"
expect_eq "tcp cli -> web:443 (https)" connected "$(tcp_try cli $CLI4 $WEB4:443)"
expect_eq "tcp cli -> web:8080 (no-8080)" timeout "$(tcp_try cli $CLI4 $WEB4:8080)"

echo "ExecReload of fwc@lab after lab.pol changed (to lab-b.pol)"
link=$(status_field cli link_id)
cp "$B" "$ETC/lab.pol"
unit_run ExecReload lab >/dev/null
expect_eq "reload: same link (atomic swap)" "$link" "$(status_field cli link_id)"
expect_eq "reload: sha256 of the new text" "$(sha256sum "$B" | cut -d' ' -f1)" \
	"$(status_field cli sha256)"
expect_eq "tcp cli -> web:443 now denied (https-off)" timeout \
	"$(tcp_try cli $CLI4 $WEB4:443)"
expect_eq "udp cli -> web:7003 now allowed (new-echo)" 3 \
	"$(udp_try cli $CLI4 $WEB4:7003 3 64)"

echo "ExecStop: the policy stays enforced"
out=$(unit_run ExecStop lab) && rc=0 || rc=$?
expect_eq "ExecStop lab: exit status" 0 "$rc"
check "ExecStop says the policy stays" grep -q "stays enforced" <<<"$out"
expect_eq "cli still attached" attached "$(status_field cli state)"
expect_eq "tcp cli -> web:443 still denied" timeout "$(tcp_try cli $CLI4 $WEB4:443)"
unit_run ExecStop db FWC_UNLOAD_ON_STOP=yes >/dev/null
check "ExecStop db with FWC_UNLOAD_ON_STOP=yes unloads" [ ! -e "$FWC_BPFFS/db" ]
expect_eq "no XDP on db" "" "$(xdp_of db)"
unit_run ExecStop db FWC_UNLOAD_ON_STOP=yes >/dev/null && rc=0 || rc=$?
expect_eq "ExecStop of a stopped instance: exit status" 0 "$rc"

echo "fwc.conf: errors name file and line"
printf 'lab lab.pol cli web mode=fast\n' >"$ETC/bad.conf"
out=$(lab_in gw "$FWC" load --instance lab --conf "$ETC/bad.conf" 2>&1) && rc=0 || rc=$?
expect_eq "bad option: exit 2, file:line" "2 $ETC/bad.conf:1:" "$rc ${out%% error*}"
out=$(lab_in gw env FWC_CONF="$ETC/fwc.conf" "$FWC" load --instance nosuch 2>&1) && rc=0 || rc=$?
expect_eq "unknown instance: exit 2" 2 "$rc"
check "  says where it looked" grep -q "no line in $ETC/fwc.conf and no $ETC/nosuch.pol" <<<"$out"

# Back to A on cli, web and db for the stats (one shared load).
fwc_gw load "$A" cli web db >/dev/null

echo "traffic for the counters"
for _ in 1 2 3; do tcp_try cli $CLI4 $WEB4:443 >/dev/null; done
tcp_try cli $CLI4 $WEB4:8080 >/dev/null
udp_try cli $CLI4 $WEB4:7001 20 100 >/dev/null

echo "fwc stats --prometheus"
lab_in gw "$FWC" stats --prometheus >"$TMP/m.prom"
out=$(awk -v require_samples=1 -f "$PROMCHECK" "$TMP/m.prom") && rc=0 || rc=$?
expect_eq "promcheck: valid exposition" "0 ''" "$rc '$out'"
check "valid UTF-8" iconv -f UTF-8 -t UTF-8 "$TMP/m.prom" -o /dev/null
expect_eq "ends with a newline" 0a "$(tail -c1 "$TMP/m.prom" | od -An -tx1 | tr -d ' ')"
prom_value() { # prom_value METRIC LABEL-FRAGMENT
	grep "^$1{" "$TMP/m.prom" | grep -F "$2" | awk '{ print $NF }'
}
expect_eq "https packets: prometheus = stats --json" \
	"$(stats_packets https | cut -d' ' -f1)" \
	"$(prom_value fwc_rule_packets_total 'label="https"')"
expect_eq "https bytes: prometheus = stats --json" \
	"$(stats_packets https | cut -d' ' -f2)" \
	"$(prom_value fwc_rule_bytes_total 'label="https"')"
check "https series labels" grep -q \
	'^fwc_rule_packets_total{iface="cli,db,web",rule="1",label="https",action="allow"} [1-9]' \
	"$TMP/m.prom"
check "reserved counters" grep -q \
	'^fwc_reserved_packets_total{iface="cli,db,web",counter="malformed",action="drop"} ' \
	"$TMP/m.prom"
expect_eq "policy info sha256" "$(sha256sum "$A" | cut -d' ' -f1)" \
	"$(sed -n 's/^fwc_policy_info{.*sha256="\([0-9a-f]*\)"} 1$/\1/p' "$TMP/m.prom")"
expect_eq "interfaces enforcing" "3" \
	"$(grep -c '^fwc_interface_enforcing{iface="[a-z]*"} 1$' "$TMP/m.prom")"

echo "label values escaped per the format"
sed 's/label "https"/label "say \\"hi\\" \\\\ now"/' "$A" >"$TMP/esc.pol"
fwc_gw load "$TMP/esc.pol" cli web db >/dev/null
lab_in gw "$FWC" stats --prometheus >"$TMP/esc.prom"
out=$(awk -f "$PROMCHECK" "$TMP/esc.prom") && rc=0 || rc=$?
expect_eq "promcheck: valid" "0 ''" "$rc '$out'"
check 'label="say \"hi\" \\ now"' grep -qF 'label="say \"hi\" \\ now"' "$TMP/esc.prom"
fwc_gw load "$A" cli web db >/dev/null
# The relabelled rule gave its counter to no rule of A: count https again.
for _ in 1 2; do tcp_try cli $CLI4 $WEB4:443 >/dev/null; done

echo "promcheck rejects what is not the format"
for bad in 'a 1' '# TYPE a counter\na -1' '# TYPE a gauge\na{x="\\q"} 1' \
	'# TYPE a gauge\na 1\na 1' '# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x="1"} 1' \
	'# TYPE a gauge\na{x="1"}1' '# TYPE a gauge\n# TYPE a gauge'; do
	check "rejects: $bad" bash -c "! printf '%b\n' '$bad' | awk -f '$PROMCHECK' >/dev/null"
done

echo "fwc stats --listen"
PORT=$((20000 + $$ % 20000))
# nsenter execs fwc: $! is the server itself.
nsenter --net="/run/netns/$(lab_ns gw)" "$FWC" stats --listen "$PORT" \
	2>"$TMP/listen.err" &
LISTEN=$!
for _ in $(seq 50); do grep -q serving "$TMP/listen.err" && break; sleep 0.1; done
expect_eq "PORT alone binds the loopback" "fwc: serving http://127.0.0.1:$PORT/metrics" \
	"$(cat "$TMP/listen.err")"
http() { # http REQUEST: the whole answer (request given with printf escapes)
	lab_in gw timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%b" "$2" >&3; cat <&3' _ "$PORT" "$1" | tr -d '\r'
}
resp=$(http 'GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n')
expect_eq "GET /metrics: status" "HTTP/1.0 200 OK" "$(head -1 <<<"$resp")"
check "content type 0.0.4" grep -q '^Content-Type: text/plain; version=0.0.4' <<<"$resp"
body=$(sed '1,/^$/d' <<<"$resp")
expect_eq "Content-Length is the body's" "$(sed -n 's/^Content-Length: //p' <<<"$resp")" \
	"$(($(printf '%s\n' "$body" | wc -c)))"
out=$(awk -v require_samples=1 -f "$PROMCHECK" <<<"$body") && rc=0 || rc=$?
expect_eq "scraped body: promcheck" "0 ''" "$rc '$out'"
check "scraped https counter" grep -q 'label="https",action="allow"} [1-9]' <<<"$body"
if command -v curl >/dev/null; then
	check "curl scrapes it" bash -c "nsenter --net=/run/netns/$(lab_ns gw) \
		curl -sf --max-time 5 http://127.0.0.1:$PORT/metrics | awk -f '$PROMCHECK'"
fi
expect_eq "GET / -> 404" "HTTP/1.0 404 Not Found" "$(http 'GET / HTTP/1.0\r\n\r\n' | head -1)"
expect_eq "POST -> 405" "HTTP/1.0 405 Method Not Allowed" \
	"$(http 'POST /metrics HTTP/1.0\r\n\r\n' | head -1)"
expect_eq "garbage -> 400" "HTTP/1.0 400 Bad Request" "$(http 'HELLO\r\n\r\n' | head -1)"
big=$(head -c 9000 /dev/zero | tr '\0' a)
expect_eq "9000-byte head -> 431" "HTTP/1.0 431 Request Header Fields Too Large" \
	"$(http "GET /metrics HTTP/1.0\r\nX: $big\r\n\r\n" | head -1)"
resp=$(http 'HEAD /metrics HTTP/1.0\r\n\r\n')
expect_eq "HEAD: headers only" "" "$(sed '1,/^$/d' <<<"$resp")"
# A client that sends nothing holds the single thread 5 s at most.
nsenter --net="/run/netns/$(lab_ns gw)" \
	bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; exec sleep 9" &
idle=$!
sleep 0.3
t0=$SECONDS
expect_eq "a scrape behind an idle client" "HTTP/1.0 200 OK" \
	"$(http 'GET /metrics HTTP/1.0\r\n\r\n' | head -1)"
check "  answered within 7 s" [ $((SECONDS - t0)) -le 7 ]
kill "$idle" 2>/dev/null || true
wait "$idle" 2>/dev/null || true
out=$(lab_in gw timeout 5 "$FWC" stats --listen "$PORT" 2>&1) && rc=0 || rc=$?
expect_eq "a second listener on the port: exit 2" 2 "$rc"
out=$(lab_in gw "$FWC" stats --listen ":$PORT" 2>&1) && rc=0 || rc=$?
expect_eq "--listen :PORT refused (every address must be named)" 2 "$rc"
kill -TERM "$LISTEN"
for _ in $(seq 30); do kill -0 "$LISTEN" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM ends the server" bash -c "! kill -0 $LISTEN 2>/dev/null"
wait "$LISTEN" && rc=0 || rc=$?
expect_eq "  with exit status 0" 0 "$rc"

echo "fwc stats --watch"
lab_in cli "$PROBE" udp --from $CLI4 --count 400 --interval 5 --size 64 \
	$WEB4:7001 >/dev/null 2>&1 &
sender=$!
lab_in gw "$FWC" stats --watch --count 3 -i 0.5 --sort rate >"$TMP/watch.out"
wait "$sender" || true
expect_eq "three frames" 3 "$(grep -c '^fwc stats --watch' "$TMP/watch.out")"
check "no terminal codes into a pipe" bash -c "! grep -q $'\033' '$TMP/watch.out'"
check "header with rates" grep -q 'pkts/s *bytes/s' "$TMP/watch.out"
rates=$(awk '$NF == "echo" { print $5 }' "$TMP/watch.out" | tr '\n' ' ')
check "echo: no rate on the first frame, then > 0 ($rates)" \
	awk -v r="$rates" 'BEGIN { n = split(r, a, " ");
		exit !(n == 3 && a[1] == "-" && a[2] + 0 > 0 && a[3] + 0 > 0) }'
first=$(awk '/^ +id +action/ { getline; f = $NF } END { print f }' "$TMP/watch.out")
check "--sort rate: the busiest rule first on the last frame ($first)" [ "$first" = echo ]
lab_in gw "$FWC" stats --watch --count 1 --filter HTTPS >"$TMP/filter.out"
expect_eq "--filter HTTPS: one rule row" "https" \
	"$(awk '/^ +id +action/ { on = 1; next }
		on && $1 ~ /^[0-9]+$/ && $NF != "total" { print $NF }' "$TMP/filter.out")"
check "  says what it hides" grep -q 'rows hidden by --filter' "$TMP/filter.out"
lab_in gw "$FWC" stats --watch --count 1 --sort packets >"$TMP/sort.out"
top=$(awk '/^ +id +action/ { getline; print $3; exit }' "$TMP/sort.out")
max=$(awk '/^ +id +action/ { on = 1; next }
	on && $1 ~ /^[0-9]+$/ && $NF != "total" && $3 + 0 > m + 0 { m = $3 }
	END { print m }' "$TMP/sort.out")
expect_eq "--sort packets: the largest first" "$max" "$top"
out=$(lab_in gw "$FWC" stats --count 2 2>&1) && rc=0 || rc=$?
expect_eq "--count without --watch: usage, exit 2" 2 "$rc"
# On a terminal: q quits, Ctrl-C quits, the screen is redrawn in place.
# The key is typed only once the first frame is on the screen: before
# that, fwc has not yet taken the terminal, and a Ctrl-C typed then would
# hit whatever process is starting up (as it would for an admin).
# script(1) runs the command with $SHELL; dash does not exec a lone
# command, stays in the terminal's foreground group and dies of the
# Ctrl-C itself (exit 130 whatever fwc does), so exec fwc, with one
# fixed shell, to test fwc alone wherever the suite runs.
for key in q '\003'; do
	rm -f "$TMP/keys" "$TMP/tty.out"
	mkfifo "$TMP/keys"
	lab_in gw env SHELL=/bin/sh timeout 10 \
		script -qec "exec '$FWC' stats --watch -i 0.2" \
		/dev/null <"$TMP/keys" >"$TMP/tty.out" 2>&1 &
	tty_pid=$!
	exec 9>"$TMP/keys"
	for _ in $(seq 100); do
		grep -q 'id  *action' "$TMP/tty.out" 2>/dev/null && break
		sleep 0.1
	done
	check "  first frame drawn before the key" grep -q 'id  *action' "$TMP/tty.out"
	printf "$key" >&9
	exec 9>&-
	wait "$tty_pid" && rc=0 || rc=$?
	expect_eq "on a tty, key $key quits" 0 "$rc"
	check "  drew in place (ESC[H)" grep -q $'\033\[H' "$TMP/tty.out"
done

echo "fwc graph and fwc matrix with live counters"
lab_in gw "$FWC" graph "$A" --stats cli >"$TMP/g.dot"
check "dot parses the graph" dot -Tsvg -o /dev/null "$TMP/g.dot"
check "edges weighted by traffic" grep -q 'penwidth=' "$TMP/g.dot"
check "deny edges dashed" grep -q 'no-8080.*style=dashed' "$TMP/g.dot"
lab_in gw "$FWC" matrix "$A" --stats cli >"$TMP/m.txt"
expect_eq "matrix: https packets = stats" "$(stats_packets https | cut -d' ' -f1)" \
	"$(awk '$NF == "https" { print $(NF - 2) }' "$TMP/m.txt")"
check "matrix cell client -> web: 1,2,!3,7" grep -q '^client .* 1,2,!3,7' "$TMP/m.txt"
check "passwordmgr picture parses" bash -c \
	"'$FWC' graph '$REPO/policies/passwordmgr.pol' | dot -Tpng -o /dev/null"

echo "bash completion"
comp() { # comp WORD... (the last is being completed): the candidates
	lab_in gw env PATH="$DEST/usr/bin:$PATH" FWC_BPFFS="$FWC_BPFFS" bash -c '
		. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _fwc 2>/dev/null
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		"$DEST/usr/share/bash-completion/completions/fwc" "$@"
}
c=$(comp fwc "")
check "commands ($c)" bash -c "for w in check graph load matrix stats status unload; do
	grep -qw \$w <<<'$c' || exit 1; done"
expect_eq "fwc stats --w" "--watch " "$(comp fwc stats --w)"
expect_eq "fwc load --mode" "auto generic native " "$(comp fwc load --mode "")"
expect_eq "fwc stats --sort" "bytes packets rate rule " "$(comp fwc stats --sort "")"
expect_eq "fwc unload: pinned interfaces" "cli db web " "$(comp fwc unload "")"
check "fwc load POLICY: interfaces" grep -qw cli <<<"$(comp fwc load "$A" "")"
expect_eq "fwc check: policy files" "$E2E_DIR/lab-a.pol $E2E_DIR/lab-b.pol " \
	"$(comp fwc check "$E2E_DIR/lab-")"

echo "make uninstall"
fwc_gw unload --all >/dev/null
FWC=$BUILT_FWC
env -u MAKEFLAGS -u MAKELEVEL make -s -C "$REPO" O="$O" PREFIX=/usr DESTDIR="$DEST" uninstall >/dev/null 2>&1
expect_eq "no installed file left" "" "$(find "$DEST" -type f)"

e2e_done
