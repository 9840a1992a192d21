#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The registration's lease follows --lease (protocol decision D21): rsipc's
# REGISTER_REQUEST asks for it in a Vendor Specific parameter, and rsipd
# (--lease 600) grants the 3 s asked for - the binding alone could not make
# the registration that short, R = max(R, Bi) only grows. rsipc's renewals
# of the binding then keep the registration alive over several of its
# leases (no expiry, no new REGISTER). After SIGKILL the registration lapses
# with the lease, not an hour later, and a plain restart registers again
# without --takeover.
. "$(dirname "$0")/rsipc_lab.sh"

lab_up --lease 600 --lease-min 1
counter() { ctl counters | json_get "d[\"rsip\"][\"$1\"]"; }
reg_lease() { ctl clients | json_get 'd[0]["lease_remaining_s"]'; }

rsipc_start --lease 3 --json
[ "$(gw_clients)" = 1 ] || fail "rsipd holds $(gw_clients) registrations, want 1"
left=$(reg_lease)
[ "$left" -le 3 ] || fail "the registration has $left s left, want <= 3 (the REGISTER carried no lease)"
ok "REGISTER asked for 3 s: the registration has $left s left (rsipd's default is 600)"

renewed() { [ "$(rsipc_status | json_get 'd["renewals"]')" -ge 4 ]; }
wait_until 30 renewed || fail "rsipc renewed $(rsipc_status | json_get 'd["renewals"]') times in 30 s, want >= 4"
kill -0 "$RSIPC_PID" || fail "rsipc up exited"
[ "$(gw_clients)" = 1 ] || fail "the registration is gone"
[ "$(counter registrations_expired)" = 0 ] || fail "rsipd let $(counter registrations_expired) registrations expire"
[ "$(counter leases_expired)" = 0 ] || fail "rsipd let $(counter leases_expired) bindings expire"
[ "$(counter registrations)" = 1 ] || fail "rsipd counted $(counter registrations) REGISTERs, want 1"
ok "$(rsipc_status | json_get 'd["renewals"]') renewals: the registration outlived several 3 s leases, no expiry, no new REGISTER"

kill -KILL "$RSIPC_PID"
wait "$RSIPC_PID" 2>/dev/null
gone() { [ "$(gw_clients)" = 0 ]; }
wait_until 20 gone || fail "the killed rsipc's registration did not lapse ($(reg_lease) s left)"
[ "$(counter registrations_expired)" = 1 ] || fail "registrations_expired $(counter registrations_expired), want 1"
ok "SIGKILL: the registration lapsed with its lease"

rsipc_start --lease 3 --json
[ "$(counter registrations)" = 2 ] || fail "the restart did not register anew"
ok "a plain restart (no --takeover) registered again"
kill -TERM "$RSIPC_PID"
rsipc_wait_exit 15
[ "$RSIPC_RC" = 0 ] || fail "rsipc exited $RSIPC_RC after SIGTERM"
[ "$(gw_clients)" = 0 ] || fail "registration left after SIGTERM"
no_sanitizer_reports "$TMP"/rsipc.err "$TMP"/rsipd.log
echo PASS
