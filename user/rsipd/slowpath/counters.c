// SPDX-License-Identifier: BSD-2-Clause
#include <stddef.h>

#include "counters.h"

static const char *const names[SC_MAX] = {
    [SC_RECORDS] = "slow_records",
    [SC_LOST] = "slow_lost",
    [SC_BAD_RECORD] = "slow_bad_record",
    [SC_MALFORMED] = "slow_malformed",
    [SC_WAN_TX_ESP] = "slow_wan_tx_esp",
    [SC_WAN_TX_AH] = "slow_wan_tx_ah",
    [SC_WAN_TX_UDP_ESP] = "slow_wan_tx_udp_esp",
    [SC_WAN_TX_IKE] = "slow_wan_tx_ike",
    [SC_WAN_TX_PORT] = "slow_wan_tx_port",
    [SC_WAN_TX_WHOLE] = "slow_wan_tx_whole",
    [SC_WAN_TX_ICMP] = "slow_wan_tx_icmp",
    [SC_WAN_DROP_NOT_NB] = "slow_wan_drop_not_nb",
    [SC_WAN_DROP_LOCAL] = "slow_wan_drop_local",
    [SC_WAN_DROP_NO_SPI] = "slow_wan_drop_no_spi",
    [SC_WAN_DROP_NO_COOKIE] = "slow_wan_drop_no_cookie",
    [SC_WAN_DROP_REMOTE_POLICY] = "slow_wan_drop_remote_policy",
    [SC_WAN_DROP_NO_ICMP_ID] = "slow_wan_drop_no_icmp_id",
    [SC_WAN_DROP_KEEPALIVE] = "slow_wan_drop_keepalive",
    [SC_WAN_DROP_MALFORMED] = "slow_wan_drop_malformed",
    [SC_OVERSIZE_ICMP_SENT] = "slow_oversize_icmp_sent",
    [SC_OVERSIZE_TUNNELLED] = "slow_oversize_tunnelled",
    [SC_NO_NEIGH_TUNNELLED] = "slow_no_neigh_tunnelled",
    [SC_ICMP_ERR_TUNNELLED] = "slow_icmp_err_tunnelled",
    [SC_ICMP_ERR_NO_OWNER] = "slow_icmp_err_no_owner",
    [SC_ICMP_ERR_MALFORMED] = "slow_icmp_err_malformed",
    [SC_LAN_ROUTE_SENT] = "slow_lan_route_sent",
    [SC_LAN_TX] = "slow_lan_tx",
    [SC_LAN_TX_FRAGMENT] = "slow_lan_tx_fragment",
    [SC_LAN_DROP_NOT_CLIENT] = "slow_lan_drop_not_client",
    [SC_LAN_DROP_BAD_MAC] = "slow_lan_drop_bad_mac",
    [SC_LAN_DROP_BAD_TUNNEL] = "slow_lan_drop_bad_tunnel",
    [SC_LAN_DROP_BAD_SRC] = "slow_lan_drop_bad_src",
    [SC_LAN_DROP_BAD_PORT] = "slow_lan_drop_bad_port",
    [SC_LAN_DROP_NO_IPSEC] = "slow_lan_drop_no_ipsec",
    [SC_LAN_DROP_REMOTE_POLICY] = "slow_lan_drop_remote_policy",
    [SC_LAN_DROP_COOKIE] = "slow_lan_drop_cookie",
    [SC_LAN_DROP_MALFORMED] = "slow_lan_drop_malformed",
    [SC_LAN_DROP_TTL] = "slow_lan_drop_ttl",
    [SC_VIOLATIONS] = "slow_violations",
    [SC_TX_TOO_BIG] = "slow_tx_too_big",
    [SC_TX_ERROR] = "slow_tx_error",
    [SC_FRAG_IN] = "slow_frag_in",
    [SC_FRAG_REASSEMBLED] = "slow_frag_reassembled",
    [SC_FRAG_DUPLICATE] = "slow_frag_duplicate",
    [SC_FRAG_OVERLAP] = "slow_frag_overlap",
    [SC_FRAG_TIMEOUT] = "slow_frag_timeout",
    [SC_FRAG_EVICTED] = "slow_frag_evicted",
    [SC_FRAG_MALFORMED] = "slow_frag_malformed",
    [SC_FRAG_TOO_BIG] = "slow_frag_too_big",
    [SC_FRAG_TOO_MANY] = "slow_frag_too_many",
    [SC_FRAG_BYTES_HELD] = "slow_frag_bytes_held",
};

const char *slow_counter_name(unsigned int c)
{
	return c < SC_MAX ? names[c] : NULL;
}
