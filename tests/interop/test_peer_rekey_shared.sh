#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test-timeout: 300
# IKE_SA rekeys started by Y on the shared 500/4500 (IKEv2, strongSwan
# 5.9.8) while traffic flows, two hosts on one Nb. The new IKE SA's SPIs
# travel only inside the encrypted exchange, so Y's first request on it
# names a cookie the gateway never saw; Y talks IKE with both hosts on
# (Nb, 4500), so the WAN program hands that protected request to rsipd's
# fan-out, which asks both hosts; the one whose IKE SA it is answers
# protected and teaches the gateway its new SPI (docs/dataplane.md). Each
# IKE rekey is followed by a CHILD_SA rekey Y starts on the new IKE SA.
. "$(dirname "$0")/iop.sh"
iop_up prk
iop_two_hosts bookworm 2 shared
iop_rekey_run "y:x1 " "y:x1 --child net" "y:x2 " "y:x2 --child net"
# Each host's IKE SA is now one Y initiated: the host is its responder.
for x in x1 x2; do
	iop_swc $x --list-sas --ike "$IOP_HOST_CONN" | grep -q "ESTABLISHED, IKEv2, [0-9a-f]*_i [0-9a-f]*_r\*" ||
		iop_fail "$x: its IKE_SA is not the one Y's rekey made"
done
c=$(iop_counters)
echo "gateway: $c"
# The path under test was taken: fan-outs answered, no IKE dropped.
case " $c " in *" slow_fanout_answered="*) ;; *) iop_fail "no fan-out was answered" ;; esac
case " $c " in *" wan_drop_no_cookie="*) iop_fail "IKE dropped for an unknown cookie" ;; esac
echo PASS
