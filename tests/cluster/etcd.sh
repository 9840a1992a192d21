# shellcheck shell=bash
# A real etcd v3 cluster for cluster tests (Debian etcd-server 3.4), as
# functions to source:
#
#   . tests/cluster/etcd.sh
#   etcd_cluster_init [TAG]      # names, ETCD_DIR (mktemp), EXIT trap
#   etcd_cluster_up [N]          # N members (default 3), waits until healthy
#   etcd_rsipd_up TAG            # BUILD with an ASan rsipd, then init + 3 members up
#   etcd_exec CMD...             # run CMD where the members are reachable
#   etcd_ctl ARGS...             # etcdctl (API v3) against every member
#   etcd_member_stop I | etcd_member_kill I | etcd_member_start I
#   etcd_member_pause I | etcd_member_resume I   # SIGSTOP / SIGCONT
#   etcd_cluster_attach NS       # make the members reachable from netns NS
#   etcd_serve_requests PID      # act on a driver's $ETCD_DIR/etcd-req while PID runs
#   etcd_drive DRIVER.py ARGS... # run a driver there, serve its requests, its status
#   etcd_client_endpoints        # HOST:PORT,... of the members
#   etcd_cluster_down            # the trap; safe to call twice
#
# The members run in a network namespace of their own (unique name), member
# I listening on 127.0.1.I: clients on port 2379, peers on 2380. Loopback in
# a fresh namespace means fixed ports never collide with another test or
# another worker, and nothing is reachable from outside it. Tests that run a
# client run it through etcd_exec (rsipd, test programs). Data directories
# live under ETCD_DIR, a mktemp directory removed at the end; every process
# is stopped by its PID.
#
# Member I also listens on 172.31.255.I (on lo in its namespace);
# etcd_cluster_attach NS links another namespace (a gateway's) to it by a
# veth pair and a route, and ETCD_ENDPOINTS_NET lists those URLs.
#
# Exported for clients: ETCD_NS, ETCD_ENDPOINTS (comma-separated URLs),
# ETCD_ENDPOINTS_NET, and
# with ETCD_TLS=1 (set before etcd_cluster_up): https endpoints, client
# certificates required, ETCD_CACERT, ETCD_CERT, ETCD_KEY (a client
# certificate signed by the test CA) and ETCD_BADCERT/ETCD_BADKEY (one
# signed by another CA, which the members must refuse).
#
# Timing: heartbeat 100 ms and election timeout 1 s are etcd's defaults, too
# tight for a machine shared by several builds; the members use 250 / 2500.
#
# Benchmarks only (bench/cluster_bench.sh): ETCD_DATA_BASE (default /tmp) is
# where ETCD_DIR is made - /dev/shm puts every member's WAL on tmpfs, where
# fsync costs nothing (not a deployment: a power cut loses every member's
# data).

ETCD_CLIENT_PORT=2379
ETCD_PEER_PORT=2380

etcd_log() { echo "[etcd $ETCD_ID] $*" >&2; }

etcd_cluster_init() {
	local tag=${1:-t}
	if [ -n "${ETCD_ID:-}" ]; then return 0; fi
	ETCD_ID="re${tag:0:4}$(printf '%04x' $((RANDOM)))$$"
	ETCD_ID=${ETCD_ID:0:14}
	ETCD_DIR=$(mktemp -d "${ETCD_DATA_BASE:-/tmp}/rsip-etcd.$ETCD_ID.XXXXXX")
	ETCD_NS=$ETCD_ID-etcd
	ETCD_N=0
	ETCD_PIDS=()
	ETCD_TLS=${ETCD_TLS:-0}
	export ETCD_ID ETCD_DIR ETCD_NS
	# Keep a trap the caller installed before (e.g. lab_down).
	local prev
	prev=$(trap -p EXIT | sed -e "s/^trap -- '\(.*\)' EXIT\$/\1/")
	# shellcheck disable=SC2064
	trap "etcd_cluster_down${prev:+; $prev}" EXIT
	trap "exit 130" INT TERM
}

etcd_addr() { echo "127.0.1.$1"; }
etcd_net_addr() { echo "172.31.255.$1"; }

_etcd_scheme() { if [ "$ETCD_TLS" = 1 ]; then echo https; else echo http; fi; }

etcd_exec() { ip netns exec "$ETCD_NS" "$@"; }

# A CA, a server certificate valid for every member address, a client
# certificate from that CA and one from an unrelated CA.
_etcd_certs() {
	local d=$ETCD_DIR/pki i san="IP:127.0.0.1"
	mkdir -p "$d"
	for i in $(seq 1 "$1"); do san="$san,IP:$(etcd_addr "$i"),IP:$(etcd_net_addr "$i")"; done
	_etcd_ca() { # name
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=rsip test $1" \
			-keyout "$d/$1.key" -out "$d/$1.pem" 2>/dev/null
	}
	_etcd_leaf() { # name ca ext
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$d/$1.key" \
			-out "$d/$1.csr" 2>/dev/null &&
			openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.pem" -CAkey "$d/$2.key" \
				-CAcreateserial -days 2 -extfile <(printf '%s\n' "$3") \
				-out "$d/$1.pem" 2>/dev/null
	}
	_etcd_ca ca && _etcd_ca otherca &&
		_etcd_leaf server ca "subjectAltName=$san
extendedKeyUsage=serverAuth,clientAuth" &&
		_etcd_leaf client ca "extendedKeyUsage=clientAuth" &&
		_etcd_leaf badclient otherca "extendedKeyUsage=clientAuth" || {
		etcd_log "openssl failed making the test certificates"
		return 1
	}
	ETCD_CACERT=$d/ca.pem ETCD_CERT=$d/client.pem ETCD_KEY=$d/client.key
	ETCD_BADCERT=$d/badclient.pem ETCD_BADKEY=$d/badclient.key
	export ETCD_CACERT ETCD_CERT ETCD_KEY ETCD_BADCERT ETCD_BADKEY
}

_etcd_initial_cluster() {
	local i s=""
	for i in $(seq 1 "$ETCD_N"); do
		s="$s${s:+,}m$i=$(_etcd_scheme)://$(etcd_addr "$i"):$ETCD_PEER_PORT"
	done
	echo "$s"
}

# etcd_member_start I [new|existing]
etcd_member_start() {
	local i=$1 state=${2:-existing} a na sch tls=()
	a=$(etcd_addr "$i")
	na=$(etcd_net_addr "$i")
	sch=$(_etcd_scheme)
	if [ "$ETCD_TLS" = 1 ]; then
		local p=$ETCD_DIR/pki
		tls=(--cert-file "$p/server.pem" --key-file "$p/server.key" --client-cert-auth
			--trusted-ca-file "$p/ca.pem" --peer-cert-file "$p/server.pem"
			--peer-key-file "$p/server.key" --peer-client-cert-auth
			--peer-trusted-ca-file "$p/ca.pem")
	fi
	ip netns exec "$ETCD_NS" etcd --name "m$i" --data-dir "$ETCD_DIR/m$i.data" \
		--listen-client-urls "$sch://$a:$ETCD_CLIENT_PORT,$sch://$na:$ETCD_CLIENT_PORT" \
		--advertise-client-urls "$sch://$a:$ETCD_CLIENT_PORT" \
		--listen-peer-urls "$sch://$a:$ETCD_PEER_PORT" \
		--initial-advertise-peer-urls "$sch://$a:$ETCD_PEER_PORT" \
		--initial-cluster "$(_etcd_initial_cluster)" --initial-cluster-state "$state" \
		--initial-cluster-token "$ETCD_ID" --heartbeat-interval 250 --election-timeout 2500 \
		--logger zap --log-level warn "${tls[@]}" >>"$ETCD_DIR/m$i.log" 2>&1 &
	ETCD_PIDS[$i]=$!
}

# True when member I answers /health with "true" (a member that is up but
# has no quorum answers false).
etcd_member_healthy() {
	local a tls=()
	a=$(etcd_addr "$1")
	[ "$ETCD_TLS" = 1 ] && tls=(--cacert "$ETCD_CACERT" --cert "$ETCD_CERT" --key "$ETCD_KEY")
	etcd_exec curl -s -m 2 "${tls[@]}" "$(_etcd_scheme)://$a:$ETCD_CLIENT_PORT/health" 2>/dev/null |
		grep -q '"health":"true"'
}

# etcd_wait_healthy I [SECONDS]: wait for member I (bounded).
etcd_wait_healthy() {
	local i=$1 n=$((${2:-60} * 5))
	while [ "$n" -gt 0 ]; do
		etcd_member_healthy "$i" && return 0
		if ! kill -0 "${ETCD_PIDS[$i]}" 2>/dev/null; then
			etcd_log "member m$i exited; its log:"
			tail -n 20 "$ETCD_DIR/m$i.log" >&2
			return 1
		fi
		sleep 0.2
		n=$((n - 1))
	done
	etcd_log "member m$i not healthy in time; its log:"
	tail -n 20 "$ETCD_DIR/m$i.log" >&2
	return 1
}

# etcd_rsipd_up TAG: the set-up of a test that drives real rsipd against the
# cluster: BUILD (default: this tree's build/) made absolute, with an ASan
# rsipd, then etcd_cluster_init TAG and 3 members up. 1 (said why) if not.
etcd_rsipd_up() {
	BUILD=$(cd "${BUILD:-$(dirname "${BASH_SOURCE[0]}")/../../build}" && pwd) || return 1
	[ -x "$BUILD/asan/rsipd" ] || { echo "missing $BUILD/asan/rsipd (make)"; return 1; }
	etcd_cluster_init "$1"
	etcd_cluster_up 3
}

etcd_cluster_up() {
	[ -n "${ETCD_ID:-}" ] || etcd_cluster_init
	ETCD_N=${1:-3}
	command -v etcd >/dev/null || { etcd_log "etcd not installed (make deps)"; return 1; }
	ip netns add "$ETCD_NS" || return 1
	ip -n "$ETCD_NS" link set lo up || return 1
	if [ "$ETCD_TLS" = 1 ]; then _etcd_certs "$ETCD_N" || return 1; fi
	local i eps="" neps=""
	for i in $(seq 1 "$ETCD_N"); do
		ip -n "$ETCD_NS" addr add "$(etcd_net_addr "$i")/32" dev lo
		etcd_member_start "$i" new
		eps="$eps${eps:+,}$(_etcd_scheme)://$(etcd_addr "$i"):$ETCD_CLIENT_PORT"
		neps="$neps${neps:+,}$(_etcd_scheme)://$(etcd_net_addr "$i"):$ETCD_CLIENT_PORT"
	done
	ETCD_ENDPOINTS=$eps
	ETCD_ENDPOINTS_NET=$neps
	ETCD_ATTACHED=0
	export ETCD_ENDPOINTS ETCD_ENDPOINTS_NET
	for i in $(seq 1 "$ETCD_N"); do etcd_wait_healthy "$i" || return 1; done
	etcd_log "$ETCD_N members up in netns $ETCD_NS: $ETCD_ENDPOINTS"
}

# etcd_cluster_attach NS: a veth pair between the members' namespace and NS
# (172.31.254.4K+1/30 and .4K+2/30) and a route in NS to 172.31.255.0/24:
# clients in NS reach the members at ETCD_ENDPOINTS_NET. The link goes with
# either namespace.
etcd_cluster_attach() {
	local ns=$1 k=$ETCD_ATTACHED base
	base=$((4 * k))
	[ $k -lt 60 ] || { etcd_log "too many attached namespaces"; return 1; }
	ip -n "$ETCD_NS" link add "att$k" type veth peer name etcd0 netns "$ns" || return 1
	ip -n "$ETCD_NS" addr add "172.31.254.$((base + 1))/30" dev "att$k"
	ip -n "$ETCD_NS" link set "att$k" up
	ip -n "$ns" addr add "172.31.254.$((base + 2))/30" dev etcd0
	ip -n "$ns" link set etcd0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" route add 172.31.255.0/24 via "172.31.254.$((base + 1))" || return 1
	ETCD_ATTACHED=$((k + 1))
}

etcd_ctl() {
	local tls=()
	[ "$ETCD_TLS" = 1 ] && tls=(--cacert "$ETCD_CACERT" --cert "$ETCD_CERT" --key "$ETCD_KEY")
	ETCDCTL_API=3 etcd_exec etcdctl --endpoints "$ETCD_ENDPOINTS" --dial-timeout 3s \
		--command-timeout 10s "${tls[@]}" "$@"
}

_etcd_signal_wait() { # I SIGNAL
	local pid=${ETCD_PIDS[$1]:-} n=100
	[ -n "$pid" ] || return 0
	kill "-$2" "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	ETCD_PIDS[$1]=
}

etcd_member_stop() { _etcd_signal_wait "$1" TERM; }
etcd_member_kill() { _etcd_signal_wait "$1" KILL; }
etcd_member_pause() { kill -STOP "${ETCD_PIDS[$1]}"; }
etcd_member_resume() { kill -CONT "${ETCD_PIDS[$1]}"; }

# A driver (rsipd_gw.py) asks for members to stop, pause or resume through
# the file $ETCD_DIR/etcd-req ("stop 1", "pause 2 3"...): done here while PID
# runs (etcd.sh acts on its own PIDs), then acknowledged by removing it.
etcd_serve_requests() { # PID
	local verb members m
	while kill -0 "$1" 2>/dev/null; do
		if [ -s "$ETCD_DIR/etcd-req" ]; then
			read -r verb members <"$ETCD_DIR/etcd-req"
			for m in $members; do "etcd_member_$verb" "$m"; done
			rm -f "$ETCD_DIR/etcd-req"
		fi
		sleep 0.05
	done
}

# etcd_client_endpoints: the members' client addresses, HOST:PORT,...
etcd_client_endpoints() {
	local i eps=""
	for i in $(seq 1 "$ETCD_N"); do eps="$eps${eps:+,}$(etcd_addr "$i"):$ETCD_CLIENT_PORT"; done
	echo "$eps"
}

# etcd_drive DRIVER.py ARGS...: a Python driver of rsipd gateways
# (rsipd_gw.py) inside the members' namespace, its etcd requests served
# while it runs; returns its exit status. On the way out (EXIT trap) the
# driver is stopped first (it stops its own rsipd), then the members.
etcd_drive() {
	# ip netns exec execs python: $! is the driver's PID.
	ip netns exec "$ETCD_NS" python3 "$@" &
	ETCD_DRIVER_PID=$!
	trap 'kill -TERM "$ETCD_DRIVER_PID" 2>/dev/null; wait "$ETCD_DRIVER_PID" 2>/dev/null; etcd_cluster_down' EXIT
	etcd_serve_requests "$ETCD_DRIVER_PID"
	wait "$ETCD_DRIVER_PID"
}

etcd_cluster_down() {
	[ -n "${ETCD_ID:-}" ] || return 0
	local i
	for i in "${!ETCD_PIDS[@]}"; do
		[ -n "${ETCD_PIDS[$i]}" ] || continue
		kill -CONT "${ETCD_PIDS[$i]}" 2>/dev/null
		_etcd_signal_wait "$i" TERM
	done
	ip netns del "$ETCD_NS" 2>/dev/null
	[ -n "${ETCD_DIR:-}" ] && [ -d "$ETCD_DIR" ] && rm -rf "$ETCD_DIR"
	ETCD_PIDS=()
	return 0
}
