/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RSIP wire constants: RFC 3103 (messages 1-17, parameters 1-12, errors
 * 1xx-3xx) and RFC 3104 (messages 22/23, SPI parameter 22, errors 401-403).
 * Values are the IANA registry's. See docs/protocol-decisions.md for where we
 * chose between readings of the RFCs.
 */
#ifndef RSIP_WIRE_H
#define RSIP_WIRE_H

#include <stdint.h>

#define RSIP_VERSION   1
#define RSIP_PORT      4555
#define RSIP_HDR_LEN   4    /* version, type, overall length */
#define RSIP_PARAM_HDR 3    /* code, 16-bit value length */
#define RSIP_MAX_MSG   4096 /* decision D2: larger gets 207 BAD_MESSAGE */

/* Our own Vendor Specific parameters (code 12, spec D7; decision D21 in
 * docs/protocol-decisions.md): a vendor ID from the private range 241-255.
 * A gateway that does not know them ignores them (RFC 3103 section 8.12). */
#define RSIP_VENDOR_ID_PRIVATE 241
enum rsip_vendor_subtype {
	/* REGISTER_REQUEST: the registration lease the host asks for, 4
	 * bytes, seconds, big-endian (the RFC's REGISTER_REQUEST has no Lease
	 * Time). The REGISTER_RESPONSE's Lease Time says what was granted. */
	RSIP_VSUB_REGISTER_LEASE = 1,
};

enum rsip_msg_type {
	RSIP_ERROR_RESPONSE = 1,
	RSIP_REGISTER_REQUEST = 2,
	RSIP_REGISTER_RESPONSE = 3,
	RSIP_DEREGISTER_REQUEST = 4,
	RSIP_DEREGISTER_RESPONSE = 5,
	RSIP_ASSIGN_REQUEST_RSA_IP = 6,
	RSIP_ASSIGN_RESPONSE_RSA_IP = 7,
	RSIP_ASSIGN_REQUEST_RSAP_IP = 8,
	RSIP_ASSIGN_RESPONSE_RSAP_IP = 9,
	RSIP_EXTEND_REQUEST = 10,
	RSIP_EXTEND_RESPONSE = 11,
	RSIP_FREE_REQUEST = 12,
	RSIP_FREE_RESPONSE = 13,
	RSIP_QUERY_REQUEST = 14,
	RSIP_QUERY_RESPONSE = 15,
	RSIP_LISTEN_REQUEST = 16,
	RSIP_LISTEN_RESPONSE = 17,
	RSIP_ASSIGN_REQUEST_RSIPSEC = 22,
	RSIP_ASSIGN_RESPONSE_RSIPSEC = 23,
};

enum rsip_param_code {
	RSIP_P_ADDRESS = 1,
	RSIP_P_PORTS = 2,
	RSIP_P_LEASE_TIME = 3,
	RSIP_P_CLIENT_ID = 4,
	RSIP_P_BIND_ID = 5,
	RSIP_P_TUNNEL_TYPE = 6,
	RSIP_P_RSIP_METHOD = 7,
	RSIP_P_ERROR = 8,
	RSIP_P_FLOW_POLICY = 9,
	RSIP_P_INDICATOR = 10,
	RSIP_P_MESSAGE_COUNTER = 11,
	RSIP_P_VENDOR_SPECIFIC = 12,
	RSIP_P_SPI = 22,
};

enum rsip_addr_type {
	RSIP_ADDR_IPV4 = 1,
	RSIP_ADDR_IPV4_NETMASK = 2,
	RSIP_ADDR_IPV6 = 3,
	RSIP_ADDR_FQDN = 4,
};

enum rsip_tunnel_type {
	RSIP_TUNNEL_IPIP = 1,
	RSIP_TUNNEL_GRE = 2,
	RSIP_TUNNEL_L2TP = 3,
};

enum rsip_method {
	RSIP_METHOD_RSA_IP = 1,
	RSIP_METHOD_RSAP_IP = 2,
	RSIP_METHOD_RSIPSEC = 3,
};

enum rsip_flow_policy {
	RSIP_FLOW_MACRO = 1,
	RSIP_FLOW_MICRO = 2,
	RSIP_FLOW_NONE = 3, /* remote policy only */
};

enum rsip_indicator {
	/* QUERY_REQUEST */
	RSIP_IND_ADDRESS = 1,
	RSIP_IND_NETWORK = 2,
	/* QUERY_RESPONSE */
	RSIP_IND_LOCAL_ADDRESS = 1,
	RSIP_IND_LOCAL_NETWORK = 2,
	RSIP_IND_REMOTE_ADDRESS = 3,
	RSIP_IND_REMOTE_NETWORK = 4,
};

enum rsip_error {
	RSIP_E_UNKNOWN_ERROR = 101,
	RSIP_E_USE_TCP = 102,
	RSIP_E_FLOW_POLICY_VIOLATION = 103,
	RSIP_E_INTERNAL_SERVER_ERROR = 104,
	RSIP_E_MESSAGE_COUNTER_REQUIRED = 105,
	RSIP_E_UNSUPPORTED_RSIP_VERSION = 106,
	RSIP_E_MISSING_PARAM = 201,
	RSIP_E_DUPLICATE_PARAM = 202,
	RSIP_E_EXTRA_PARAM = 203,
	RSIP_E_ILLEGAL_PARAM = 204,
	RSIP_E_BAD_PARAM = 205,
	RSIP_E_ILLEGAL_MESSAGE = 206,
	RSIP_E_BAD_MESSAGE = 207,
	RSIP_E_UNSUPPORTED_MESSAGE = 208,
	RSIP_E_REGISTER_FIRST = 301,
	RSIP_E_ALREADY_REGISTERED = 302,
	RSIP_E_ALREADY_UNREGISTERED = 303,
	RSIP_E_REGISTRATION_DENIED = 304,
	RSIP_E_BAD_CLIENT_ID = 305,
	RSIP_E_BAD_BIND_ID = 306,
	RSIP_E_BAD_TUNNEL_TYPE = 307,
	RSIP_E_LOCAL_ADDR_UNAVAILABLE = 308,
	RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE = 309,
	RSIP_E_LOCAL_ADDR_INUSE = 310,
	RSIP_E_LOCAL_ADDRPORT_INUSE = 311,
	RSIP_E_LOCAL_ADDR_UNALLOWED = 312,
	RSIP_E_LOCAL_ADDRPORT_UNALLOWED = 313,
	RSIP_E_REMOTE_ADDR_UNALLOWED = 314,
	RSIP_E_REMOTE_ADDRPORT_UNALLOWED = 315,
	RSIP_E_IPSEC_UNALLOWED = 401,
	RSIP_E_IPSEC_SPI_UNAVAILABLE = 402,
	RSIP_E_IPSEC_SPI_INUSE = 403,
};

/* Names for logs, rsipctl and client errors. Never NULL: unknown values give
 * a static "UNKNOWN" string. */
const char *rsip_msg_type_name(unsigned int type);
const char *rsip_param_name(unsigned int code);
const char *rsip_error_name(unsigned int code);
const char *rsip_tunnel_name(unsigned int tunnel);
const char *rsip_method_name(unsigned int method);
const char *rsip_flow_name(unsigned int policy);

/* True for the message types only a gateway sends (1, 3, 5, ..., 17, 23). */
int rsip_msg_is_response(unsigned int type);
/* True for every type of RFC 3103 (1-17) and RFC 3104 (22, 23). */
int rsip_msg_type_known(unsigned int type);

#endif
