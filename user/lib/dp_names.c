// SPDX-License-Identifier: BSD-2-Clause
/* Names of the data plane's counters and slow-path reasons (dp_names.h). */
#include <stddef.h>

#include "dp_names.h"

struct counter_desc {
	const char *name;
	const char *help;
	bool exit; /* counts a packet's exit, not an event */
};

#define EXIT(c, n, h)  [RSIP_CNT_##c] = {n, h, true}
#define EVENT(c, n, h) [RSIP_CNT_##c] = {n, h, false}

/* Designated initializers: the table follows the enum whatever its order;
 * test_dp_names checks that every counter has an entry. */
static const struct counter_desc counters[RSIP_CNT_MAX] = {
    EXIT(WAN_PASS_NOT_IPV4, "wan_pass_not_ipv4", "WAN: not IPv4 (ARP, IPv6, VLAN-tagged)"),
    EXIT(WAN_PASS_NOT_NB, "wan_pass_not_nb",
	 "WAN: not to one of our public addresses, or a frame to another MAC"),
    EXIT(WAN_PASS_LOCAL, "wan_pass_local", "WAN: to Nb, no binding claims it: N's own"),
    EXIT(WAN_PASS_ICMP_REQ, "wan_pass_icmp_req", "WAN: ICMP request to Nb, N answers"),
    EXIT(WAN_PASS_SHORT, "wan_pass_short", "WAN: IPv4 header too short to see the destination"),
    EXIT(WAN_TX_ESP, "wan_tx_esp", "WAN: ESP tunnelled to a client by SPI"),
    EXIT(WAN_TX_AH, "wan_tx_ah", "WAN: AH tunnelled to a client by SPI"),
    EXIT(WAN_TX_UDP_ESP, "wan_tx_udp_esp", "WAN: UDP-encapsulated ESP (4500) by SPI"),
    EXIT(WAN_TX_IKE, "wan_tx_ike", "WAN: IKE on 500/4500 by cookie"),
    EXIT(WAN_TX_PORT, "wan_tx_port", "WAN: TCP/UDP by leased port"),
    EXIT(WAN_TX_WHOLE, "wan_tx_whole", "WAN: to an address leased whole (RSA-IP)"),
    EXIT(WAN_TX_ICMP, "wan_tx_icmp", "WAN: ICMP echo/timestamp reply by learned id"),
    EXIT(WAN_DROP_MALFORMED, "wan_drop_malformed", "WAN: truncated or invalid headers to Nb"),
    EXIT(WAN_DROP_NO_SPI, "wan_drop_no_spi", "WAN: ESP/AH with an unknown SPI (RFC 3104 5)"),
    EXIT(WAN_DROP_NO_COOKIE, "wan_drop_no_cookie", "WAN: IKE with an unknown cookie (App. E)"),
    EXIT(WAN_DROP_REMOTE_POLICY, "wan_drop_remote_policy", "WAN: peer not allowed by the binding"),
    EXIT(WAN_DROP_NO_ICMP_ID, "wan_drop_no_icmp_id", "WAN: echo reply with no learned id"),
    EXIT(WAN_DROP_ENCAP_FAIL, "wan_drop_encap_fail", "WAN: no headroom to encapsulate"),
    EXIT(WAN_DROP_NO_TX, "wan_drop_no_tx", "WAN: LAN device missing from rsip_tx"),
    EXIT(WAN_DROP_KEEPALIVE, "wan_drop_keepalive", "WAN: NAT-T keepalive to 4500 (no owner)"),
    EXIT(WAN_SLOW_FRAGMENT, "wan_slow_fragment", "WAN: fragment to Nb, to rsipd"),
    EXIT(WAN_SLOW_OVERSIZE, "wan_slow_oversize", "WAN: too big for the LAN MTU, to rsipd"),
    EXIT(WAN_SLOW_NO_NEIGH, "wan_slow_no_neigh", "WAN: client MAC unknown, to rsipd"),
    EXIT(WAN_SLOW_ICMP_ERROR, "wan_slow_icmp_error", "WAN: ICMP error to Nb, to rsipd"),
    EXIT(WAN_SLOW_LOST, "wan_slow_lost", "WAN: slow path buffer full, dropped"),
    EXIT(LAN_PASS_NOT_TUNNEL, "lan_pass_not_tunnel",
	 "LAN: not a tunnel packet to Na, or a frame to another MAC"),
    EXIT(LAN_TX, "lan_tx", "LAN: decapsulated and forwarded"),
    EXIT(LAN_TX_FRAGMENT, "lan_tx_fragment", "LAN: non-first inner fragment forwarded"),
    EXIT(LAN_DROP_MALFORMED, "lan_drop_malformed", "LAN: truncated or invalid headers"),
    EXIT(LAN_DROP_NOT_CLIENT, "lan_drop_not_client", "LAN: outer source is not a client"),
    EXIT(LAN_DROP_BAD_MAC, "lan_drop_bad_mac", "LAN: wrong or unknown client MAC (spoofing)"),
    EXIT(LAN_DROP_BAD_TUNNEL, "lan_drop_bad_tunnel", "LAN: tunnel type not leased (307)"),
    EXIT(LAN_DROP_BAD_SRC, "lan_drop_bad_src", "LAN: inner source is not its Nb (312)"),
    EXIT(LAN_DROP_BAD_PORT, "lan_drop_bad_port", "LAN: source port not leased to it (313)"),
    EXIT(LAN_DROP_NO_IPSEC, "lan_drop_no_ipsec", "LAN: IPsec/IKE without RSIPSEC (313)"),
    EXIT(LAN_DROP_REMOTE_POLICY, "lan_drop_remote_policy", "LAN: remote not allowed (314/315)"),
    EXIT(LAN_DROP_COOKIE_TAKEN, "lan_drop_cookie_taken", "LAN: IKE cookie held by another client"),
    EXIT(LAN_DROP_ID_TAKEN, "lan_drop_id_taken", "LAN: echo id held by another client"),
    EXIT(LAN_DROP_COOKIE_CAP, "lan_drop_cookie_cap", "LAN: client at its learned-entry cap"),
    EXIT(LAN_DROP_LEARN_FULL, "lan_drop_learn_full", "LAN: cookie/echo-id map full"),
    EXIT(LAN_DROP_TTL, "lan_drop_ttl", "LAN: inner TTL expired"),
    EXIT(LAN_DROP_FIB, "lan_drop_fib", "LAN: no route to the public destination"),
    EXIT(LAN_DROP_NO_TX, "lan_drop_no_tx", "LAN: WAN device missing from rsip_tx"),
    EXIT(LAN_SLOW_ROUTE, "lan_slow_route", "LAN: no next hop in XDP, to rsipd"),
    EXIT(LAN_SLOW_FRAGMENT, "lan_slow_fragment", "LAN: fragmented tunnel packet, to rsipd"),
    EXIT(LAN_SLOW_LOST, "lan_slow_lost", "LAN: slow path buffer full, dropped"),
    EVENT(LAN_LEARN_COOKIE, "lan_learn_cookie", "IKE cookies learned (trial and error)"),
    EVENT(LAN_LEARN_ICMP_ID, "lan_learn_icmp_id", "echo ids learned"),
    EVENT(LAN_LEARN_OUT_SPI, "lan_learn_out_spi", "outbound (peer, SPI) pairs learned"),
    EVENT(LAN_EVENT_VIOLATION, "lan_event_violation", "lease violations reported to rsipd"),
    EVENT(LAN_EVENT_LOST, "lan_event_lost", "violation reports lost (buffer full)"),
    EVENT(SLOW_TRUNCATED, "slow_truncated", "slow-path frames cut to the record size"),
    EVENT(LAN_OUT_SPI_TAKEN, "lan_out_spi_taken",
	  "outbound (peer, SPI) another client holds: not taken over"),
    EVENT(LAN_OUT_SPI_FULL, "lan_out_spi_full", "outbound (peer, SPI) not learned: map full"),
    EVENT(LAN_OUT_SPI_CAP, "lan_out_spi_cap",
	  "outbound (peer, SPI) not learned: the client is at its cap"),
    EXIT(WAN_TX_IKE_PEER, "wan_tx_ike_peer",
	 "WAN: IKE with an unknown cookie to the one client talking to that peer"),
    EXIT(WAN_SLOW_IKE_FANOUT, "wan_slow_ike_fanout",
	 "WAN: protected IKE for one of several clients, to rsipd's fan-out"),
    EXIT(WAN_DROP_IKE_AMBIGUOUS, "wan_drop_ike_ambiguous",
	 "WAN: unprotected IKE with an unknown cookie, several candidate clients"),
    EXIT(LAN_DROP_FANOUT_UNPROTECTED, "lan_drop_fanout_unprotected",
	 "LAN: unprotected answer to a fan-out: not learned"),
    EVENT(LAN_LEARN_IKE_PEER, "lan_learn_ike_peer", "IKE peer entries (Nb, port, peer) written"),
    EVENT(LAN_LEARN_FANOUT, "lan_learn_fanout", "fan-out cookies learned from a protected answer"),
    EVENT(LAN_CSUM_COMPLETED, "lan_csum_completed",
	  "inner TCP/UDP checksums completed (partial, from a GRO-ing hop)"),
    EVENT(WAN_STEERED, "wan_steered",
	  "WAN: ESP/AH/UDP-ESP handed to the CPU its SPI is steered to (--spi-steer)"),
    EVENT(WAN_STEER_LOCAL, "wan_steer_local",
	  "WAN: the SPI's CPU has no cpumap entry: handled on the receiving CPU"),
    EVENT(WAN_STEER_ARRIVED, "wan_steer_arrived",
	  "WAN: steered frames that reached their CPU (wan_steered minus this: lost in the hop)"),
    EVENT(WAN_TC_GSO, "wan_tc_gso",
	  "WAN (--attach tc): GSO packets tunnelled whole (their segments count as packets)"),
    EVENT(LAN_TC_GSO, "lan_tc_gso", "LAN (--attach tc): GRO-merged tunnel packets forwarded whole"),
    EVENT(WAN_TC_PULLED, "wan_tc_pulled",
	  "WAN (--attach tc): headers not all in the skb's linear part: made linear first"),
    EVENT(LAN_TC_PULLED, "lan_tc_pulled",
	  "LAN (--attach tc): headers not all in the skb's linear part: made linear first"),
    EVENT(WAN_TC_GSO_CUT, "wan_tc_gso_cut",
	  "WAN (--attach tc): GSO packets whose segments did not fit the LAN with the tunnel "
	  "header: cut smaller by it"),
};

const char *dp_counter_name(unsigned int counter)
{
	if (counter >= RSIP_CNT_MAX || !counters[counter].name)
		return "unknown";
	return counters[counter].name;
}

const char *dp_counter_help(unsigned int counter)
{
	if (counter >= RSIP_CNT_MAX || !counters[counter].help)
		return "";
	return counters[counter].help;
}

bool dp_counter_is_exit(unsigned int counter)
{
	return counter < RSIP_CNT_MAX && counters[counter].exit;
}

const char *dp_slow_reason_name(unsigned int reason)
{
	switch (reason) {
	case RSIP_SLOW_FRAGMENT:
		return "fragment";
	case RSIP_SLOW_OVERSIZE:
		return "oversize";
	case RSIP_SLOW_NO_NEIGH:
		return "no_neigh";
	case RSIP_SLOW_ICMP_ERROR:
		return "icmp_error";
	case RSIP_SLOW_LAN_ROUTE:
		return "lan_route";
	case RSIP_SLOW_LAN_FRAGMENT:
		return "lan_fragment";
	case RSIP_SLOW_VIOLATION:
		return "violation";
	case RSIP_SLOW_IKE_FANOUT:
		return "ike_fanout";
	}
	return "unknown";
}
