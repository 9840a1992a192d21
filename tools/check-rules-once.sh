#!/usr/bin/env bash
# Every packet rule written once (issue 7): the WAN and LAN decisions live in
# include/rsip/rules/ and both the XDP programs and rsipd's slow path run
# them. What this checks, mechanically:
#  1. no file in bpf/ looks up or writes a demultiplexing map itself (only
#     the rules do, through RULE_LOOKUP/RULE_UPDATE). One exemption:
#     bpf/learned.h (the rsip_learned syscall program) looks up a host's
#     rsip_clients entry to change its learned count; it decides nothing
#     about a packet, and the count's rule (rsip_learned_added) is in
#     include/rsip/rules/learned.h;
#  2. the IKE and NAT-T constants are defined in include/rsip/rules/ike.h
#     only, and no C file outside include/rsip/rules/ spells port 500 or 4500
#     in a byte-order conversion (that is a rule about those ports);
#  3. both sides call the shared decisions: wan_decide() and lan_decide() in
#     bpf/ and in user/rsipd/slowpath/;
#  4. one rule for every hash table in user space, too: only user/lib/hash32.h
#     includes <uthash.h>, so every table is seeded (remote parties choose
#     many keys; an unseeded hash lets them fill one bucket).
# Exit 1 with the offending lines.
set -u
cd "$(dirname "$0")/.."
fail=0
maps='rsip_(clients|nb|ports|ike|spi|spi_blk|icmp_id|out_spi)'

bad=$(grep -nE "bpf_map_(lookup|update|delete)_elem\(\s*&$maps\b" bpf/*.h bpf/*.c |
	grep -vE '^bpf/learned\.h:[0-9]+:.*bpf_map_lookup_elem\(&rsip_clients,')
if [ -n "$bad" ]; then
	echo "rules: bpf/ consults a demultiplexing map outside include/rsip/rules/:"
	echo "$bad"
	fail=1
fi

bad=$(grep -rnE '#define\s+(IKE_PORT|IKE_NATT_PORT|IKE_FLAG_I|NATT_KEEPALIVE|NON_ESP_MARKER_LEN)\b' \
	--include='*.c' --include='*.h' bpf user bench tests include | grep -v '^include/rsip/rules/ike.h:')
bad+=$(grep -rnE 'hton[sl]\(\s*(500|4500)\s*\)' --include='*.c' --include='*.h' bpf user include |
	grep -v '^include/rsip/rules/')
if [ -n "$bad" ]; then
	echo "rules: an IKE/NAT-T port or constant outside include/rsip/rules/:"
	echo "$bad"
	fail=1
fi

for f in wan_decide lan_decide; do
	for d in bpf user/rsipd/slowpath; do
		if ! grep -rqE "\b$f\(" "$d"; then
			echo "rules: $d does not call $f(): a side has its own copy of the rules"
			fail=1
		fi
	done
done

bad=$(grep -rnE '#\s*include\s*[<"]uthash\.h[>"]' --include='*.c' --include='*.h' user bench tests |
	grep -v '^user/lib/hash32\.h:')
if [ -n "$bad" ]; then
	echo "rules: <uthash.h> included directly (include hash32.h: the seeded hash):"
	echo "$bad"
	fail=1
fi

[ $fail -eq 0 ] && echo "== rules: every packet rule is written once (include/rsip/rules/), every hash table seeded (hash32.h)"
exit $fail
