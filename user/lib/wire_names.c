// SPDX-License-Identifier: BSD-2-Clause
/*
 * Names of RSIP wire values (include/rsip/wire.h), for logs, rsipctl and
 * client error messages. Message names keep the RFC's spelling
 * ("DE-REGISTER_REQUEST", "ASSIGN_REQUEST_RSAP-IP") so a log line can be
 * searched for in the RFC text.
 */
#include "rsip/wire.h"

#include <stddef.h>

#define UNKNOWN "UNKNOWN"

static const char *lookup(const char *const *table, size_t n, unsigned int v)
{
	if (v < n && table[v])
		return table[v];
	return UNKNOWN;
}

#define LOOKUP(table, v) lookup(table, sizeof(table) / sizeof(table[0]), v)

static const char *const msg_names[] = {
    [RSIP_ERROR_RESPONSE] = "ERROR_RESPONSE",
    [RSIP_REGISTER_REQUEST] = "REGISTER_REQUEST",
    [RSIP_REGISTER_RESPONSE] = "REGISTER_RESPONSE",
    [RSIP_DEREGISTER_REQUEST] = "DE-REGISTER_REQUEST",
    [RSIP_DEREGISTER_RESPONSE] = "DE-REGISTER_RESPONSE",
    [RSIP_ASSIGN_REQUEST_RSA_IP] = "ASSIGN_REQUEST_RSA-IP",
    [RSIP_ASSIGN_RESPONSE_RSA_IP] = "ASSIGN_RESPONSE_RSA-IP",
    [RSIP_ASSIGN_REQUEST_RSAP_IP] = "ASSIGN_REQUEST_RSAP-IP",
    [RSIP_ASSIGN_RESPONSE_RSAP_IP] = "ASSIGN_RESPONSE_RSAP-IP",
    [RSIP_EXTEND_REQUEST] = "EXTEND_REQUEST",
    [RSIP_EXTEND_RESPONSE] = "EXTEND_RESPONSE",
    [RSIP_FREE_REQUEST] = "FREE_REQUEST",
    [RSIP_FREE_RESPONSE] = "FREE_RESPONSE",
    [RSIP_QUERY_REQUEST] = "QUERY_REQUEST",
    [RSIP_QUERY_RESPONSE] = "QUERY_RESPONSE",
    [RSIP_LISTEN_REQUEST] = "LISTEN_REQUEST",
    [RSIP_LISTEN_RESPONSE] = "LISTEN_RESPONSE",
    [RSIP_ASSIGN_REQUEST_RSIPSEC] = "ASSIGN_REQUEST_RSIPSEC",
    [RSIP_ASSIGN_RESPONSE_RSIPSEC] = "ASSIGN_RESPONSE_RSIPSEC",
};

static const char *const param_names[] = {
    [RSIP_P_ADDRESS] = "Address",
    [RSIP_P_PORTS] = "Ports",
    [RSIP_P_LEASE_TIME] = "Lease Time",
    [RSIP_P_CLIENT_ID] = "Client ID",
    [RSIP_P_BIND_ID] = "Bind ID",
    [RSIP_P_TUNNEL_TYPE] = "Tunnel Type",
    [RSIP_P_RSIP_METHOD] = "RSIP Method",
    [RSIP_P_ERROR] = "Error",
    [RSIP_P_FLOW_POLICY] = "Flow Policy",
    [RSIP_P_INDICATOR] = "Indicator",
    [RSIP_P_MESSAGE_COUNTER] = "Message Counter",
    [RSIP_P_VENDOR_SPECIFIC] = "Vendor Specific",
    [RSIP_P_SPI] = "SPI",
};

static const char *const error_names_1xx[] = {
    [RSIP_E_UNKNOWN_ERROR - 100] = "UNKNOWN_ERROR",
    [RSIP_E_USE_TCP - 100] = "USE_TCP",
    [RSIP_E_FLOW_POLICY_VIOLATION - 100] = "FLOW_POLICY_VIOLATION",
    [RSIP_E_INTERNAL_SERVER_ERROR - 100] = "INTERNAL_SERVER_ERROR",
    [RSIP_E_MESSAGE_COUNTER_REQUIRED - 100] = "MESSAGE_COUNTER_REQUIRED",
    [RSIP_E_UNSUPPORTED_RSIP_VERSION - 100] = "UNSUPPORTED_RSIP_VERSION",
};

static const char *const error_names_2xx[] = {
    [RSIP_E_MISSING_PARAM - 200] = "MISSING_PARAM",
    [RSIP_E_DUPLICATE_PARAM - 200] = "DUPLICATE_PARAM",
    [RSIP_E_EXTRA_PARAM - 200] = "EXTRA_PARAM",
    [RSIP_E_ILLEGAL_PARAM - 200] = "ILLEGAL_PARAM",
    [RSIP_E_BAD_PARAM - 200] = "BAD_PARAM",
    [RSIP_E_ILLEGAL_MESSAGE - 200] = "ILLEGAL_MESSAGE",
    [RSIP_E_BAD_MESSAGE - 200] = "BAD_MESSAGE",
    [RSIP_E_UNSUPPORTED_MESSAGE - 200] = "UNSUPPORTED_MESSAGE",
};

static const char *const error_names_3xx[] = {
    [RSIP_E_REGISTER_FIRST - 300] = "REGISTER_FIRST",
    [RSIP_E_ALREADY_REGISTERED - 300] = "ALREADY_REGISTERED",
    [RSIP_E_ALREADY_UNREGISTERED - 300] = "ALREADY_UNREGISTERED",
    [RSIP_E_REGISTRATION_DENIED - 300] = "REGISTRATION_DENIED",
    [RSIP_E_BAD_CLIENT_ID - 300] = "BAD_CLIENT_ID",
    [RSIP_E_BAD_BIND_ID - 300] = "BAD_BIND_ID",
    [RSIP_E_BAD_TUNNEL_TYPE - 300] = "BAD_TUNNEL_TYPE",
    [RSIP_E_LOCAL_ADDR_UNAVAILABLE - 300] = "LOCAL_ADDR_UNAVAILABLE",
    [RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE - 300] = "LOCAL_ADDRPORT_UNAVAILABLE",
    [RSIP_E_LOCAL_ADDR_INUSE - 300] = "LOCAL_ADDR_INUSE",
    [RSIP_E_LOCAL_ADDRPORT_INUSE - 300] = "LOCAL_ADDRPORT_INUSE",
    [RSIP_E_LOCAL_ADDR_UNALLOWED - 300] = "LOCAL_ADDR_UNALLOWED",
    [RSIP_E_LOCAL_ADDRPORT_UNALLOWED - 300] = "LOCAL_ADDRPORT_UNALLOWED",
    [RSIP_E_REMOTE_ADDR_UNALLOWED - 300] = "REMOTE_ADDR_UNALLOWED",
    [RSIP_E_REMOTE_ADDRPORT_UNALLOWED - 300] = "REMOTE_ADDRPORT_UNALLOWED",
};

static const char *const error_names_4xx[] = {
    [RSIP_E_IPSEC_UNALLOWED - 400] = "IPSEC_UNALLOWED",
    [RSIP_E_IPSEC_SPI_UNAVAILABLE - 400] = "IPSEC_SPI_UNAVAILABLE",
    [RSIP_E_IPSEC_SPI_INUSE - 400] = "IPSEC_SPI_INUSE",
};

static const char *const tunnel_names[] = {
    [RSIP_TUNNEL_IPIP] = "IP-IP",
    [RSIP_TUNNEL_GRE] = "GRE",
    [RSIP_TUNNEL_L2TP] = "L2TP",
};

static const char *const method_names[] = {
    [RSIP_METHOD_RSA_IP] = "RSA-IP",
    [RSIP_METHOD_RSAP_IP] = "RSAP-IP",
    [RSIP_METHOD_RSIPSEC] = "RSIPSEC",
};

static const char *const flow_names[] = {
    [RSIP_FLOW_MACRO] = "macro",
    [RSIP_FLOW_MICRO] = "micro",
    [RSIP_FLOW_NONE] = "none",
};

const char *rsip_msg_type_name(unsigned int type)
{
	return LOOKUP(msg_names, type);
}

const char *rsip_param_name(unsigned int code)
{
	return LOOKUP(param_names, code);
}

const char *rsip_error_name(unsigned int code)
{
	/* Each class is its own table: the codes are sparse across classes. */
	if (code < 100)
		return UNKNOWN;
	switch (code / 100) {
	case 1:
		return LOOKUP(error_names_1xx, code - 100);
	case 2:
		return LOOKUP(error_names_2xx, code - 200);
	case 3:
		return LOOKUP(error_names_3xx, code - 300);
	case 4:
		return LOOKUP(error_names_4xx, code - 400);
	default:
		return UNKNOWN;
	}
}

const char *rsip_tunnel_name(unsigned int tunnel)
{
	return LOOKUP(tunnel_names, tunnel);
}

const char *rsip_method_name(unsigned int method)
{
	return LOOKUP(method_names, method);
}

const char *rsip_flow_name(unsigned int policy)
{
	return LOOKUP(flow_names, policy);
}

int rsip_msg_type_known(unsigned int type)
{
	return (type >= RSIP_ERROR_RESPONSE && type <= RSIP_LISTEN_RESPONSE) ||
	       type == RSIP_ASSIGN_REQUEST_RSIPSEC || type == RSIP_ASSIGN_RESPONSE_RSIPSEC;
}

int rsip_msg_is_response(unsigned int type)
{
	/* Every gateway-sent type is odd: 1, 3, ..., 17, and 23. */
	return rsip_msg_type_known(type) && (type & 1);
}
