#!/usr/bin/env bash
# test-timeout: 240
# rsipd --store etcd:// (issue 12): two real gateways share their leases
# through a real 3-member etcd; rsipd_pair.py drives them:
#   - N1 (active) lends to 8 hosts; N2 (standby) mirrors every binding
#     (same IDs, Nb, ports, SPIs; its allocator holds the same) and answers
#     no request; a de-registration at N1 reaches N2; a truncated record
#     put with etcdctl is refused by N2 (counted, logged) and the record
#     after it applied (the mirror's one tokener starts each record afresh);
#   - kill -9 N1, N2's role file says MASTER: every host EXTENDs its bindings
#     at N2 with its old Client and Bind IDs (no re-registration), ports and
#     SPIs unchanged; the time to the first answer is printed;
#   - one etcd member is stopped: N2 still lends (a new ASSIGN);
#   - the two others are paused (etcd unreachable): N2 answers EXTEND, refuses
#     a new binding with RSIP 104 and says why in its log; they resume: N2
#     writes what waited and lends again, without a restart;
#   - N1 comes back as BACKUP: it reads everything from etcd, stays standby;
#   - a bad --store URL stops start-up with exit 2 and names the URL.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/etcd.sh"
etcd_rsipd_up rst || exit 1

echo "== a bad --store URL"
for url in etcd://127.0.1.1/x etcd://127.0.1.1:2379 etcd://127.0.1.1:99999/x \
	etcd://127.0.1.1:2379,/x 'etcd://127.0.1.1:2379/a b'; do
	out=$("$BUILD/asan/rsipd" --listen 127.0.0.1 --public 192.0.2.1 --store "$url" \
		--check-config 2>&1)
	rc=$?
	[ "$rc" = 2 ] && grep -qF -- "--store" <<<"$out" && grep -qF "'$url'" <<<"$out" || {
		echo "FAIL: --store '$url': exit $rc: $out"; exit 1; }
	echo "refused: $out" | head -n 1
done

etcd_drive "$here/rsipd_pair.py" "$BUILD" "$ETCD_DIR" "$(etcd_client_endpoints)" "/rsip/t$$/"
