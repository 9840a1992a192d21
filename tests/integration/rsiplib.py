# SPDX-License-Identifier: BSD-2-Clause
"""A small RSIP (RFC 3103 + RFC 3104) encoder and strict decoder for tests.

Written from the project's wire digest (shared/spec/rsip-wire.md, sections
2-4, decisions D1-D20, byte vectors of section 10), independently of the C
codec on purpose: the integration tests speak to rsipd with this module, so
the daemon's codec is cross-checked against a second reading of the spec.

Two layers:
  * parameters are (code, value_bytes) pairs built by the p_* functions, and
    messages are built by encode(type, params) in whatever order the caller
    gives (tests need out-of-order and malformed messages too); the *_request
    builders put them in grammar order;
  * decode(data) checks a message the way section 6.1 orders the checks
    (framing 207, version 106, type 206, TLV walk 207/204/205, grammar
    201/202/203) and raises RsipError(code, why) on the first failure.
"""

import ipaddress
import struct

VERSION = 1
HDR_LEN = 4
MAX_MSG = 4096  # D2

# ---- message types (RFC 3103 App. B, RFC 3104 App. C) ----------------------
ERROR_RESPONSE = 1
REGISTER_REQUEST = 2
REGISTER_RESPONSE = 3
DEREGISTER_REQUEST = 4
DEREGISTER_RESPONSE = 5
ASSIGN_REQUEST_RSA_IP = 6
ASSIGN_RESPONSE_RSA_IP = 7
ASSIGN_REQUEST_RSAP_IP = 8
ASSIGN_RESPONSE_RSAP_IP = 9
EXTEND_REQUEST = 10
EXTEND_RESPONSE = 11
FREE_REQUEST = 12
FREE_RESPONSE = 13
QUERY_REQUEST = 14
QUERY_RESPONSE = 15
LISTEN_REQUEST = 16
LISTEN_RESPONSE = 17
ASSIGN_REQUEST_RSIPSEC = 22
ASSIGN_RESPONSE_RSIPSEC = 23

MSG_NAMES = {
    1: "ERROR_RESPONSE", 2: "REGISTER_REQUEST", 3: "REGISTER_RESPONSE",
    4: "DE-REGISTER_REQUEST", 5: "DE-REGISTER_RESPONSE",
    6: "ASSIGN_REQUEST_RSA-IP", 7: "ASSIGN_RESPONSE_RSA-IP",
    8: "ASSIGN_REQUEST_RSAP-IP", 9: "ASSIGN_RESPONSE_RSAP-IP",
    10: "EXTEND_REQUEST", 11: "EXTEND_RESPONSE", 12: "FREE_REQUEST",
    13: "FREE_RESPONSE", 14: "QUERY_REQUEST", 15: "QUERY_RESPONSE",
    16: "LISTEN_REQUEST", 17: "LISTEN_RESPONSE",
    22: "ASSIGN_REQUEST_RSIPSEC", 23: "ASSIGN_RESPONSE_RSIPSEC",
}
RESPONSE_TYPES = {1, 3, 5, 7, 9, 11, 13, 15, 17, 23}
# The three types a gateway may send unsolicited, with counter 0 (section 1).
UNSOLICITED_TYPES = {ERROR_RESPONSE, DEREGISTER_RESPONSE, FREE_RESPONSE}

# ---- parameter codes (section 3) -------------------------------------------
P_ADDRESS = 1
P_PORTS = 2
P_LEASE = 3
P_CLIENT_ID = 4
P_BIND_ID = 5
P_TUNNEL = 6
P_METHOD = 7
P_ERROR = 8
P_FLOW = 9
P_INDICATOR = 10
P_COUNTER = 11
P_VENDOR = 12
P_SPI = 22
PARAM_NAMES = {1: "Address", 2: "Ports", 3: "Lease Time", 4: "Client ID",
               5: "Bind ID", 6: "Tunnel Type", 7: "RSIP Method", 8: "Error",
               9: "Flow Policy", 10: "Indicator", 11: "Message Counter",
               12: "Vendor Specific", 22: "SPI"}

ADDR_IPV4 = 1
ADDR_IPV4_NETMASK = 2
ADDR_IPV6 = 3
ADDR_FQDN = 4

TUNNEL_IPIP = 1
TUNNEL_GRE = 2
TUNNEL_L2TP = 3

METHOD_RSA_IP = 1
METHOD_RSAP_IP = 2
METHOD_RSIPSEC = 3

FLOW_MACRO = 1
FLOW_MICRO = 2
FLOW_NONE = 3

IND_ADDRESS = 1
IND_NETWORK = 2
IND_LOCAL_ADDRESS = 1
IND_LOCAL_NETWORK = 2
IND_REMOTE_ADDRESS = 3
IND_REMOTE_NETWORK = 4

# ---- error codes (section 5) -----------------------------------------------
ERRORS = {
    101: "UNKNOWN_ERROR", 102: "USE_TCP", 103: "FLOW_POLICY_VIOLATION",
    104: "INTERNAL_SERVER_ERROR", 105: "MESSAGE_COUNTER_REQUIRED",
    106: "UNSUPPORTED_RSIP_VERSION", 201: "MISSING_PARAM",
    202: "DUPLICATE_PARAM", 203: "EXTRA_PARAM", 204: "ILLEGAL_PARAM",
    205: "BAD_PARAM", 206: "ILLEGAL_MESSAGE", 207: "BAD_MESSAGE",
    208: "UNSUPPORTED_MESSAGE", 301: "REGISTER_FIRST",
    302: "ALREADY_REGISTERED", 303: "ALREADY_UNREGISTERED",
    304: "REGISTRATION_DENIED", 305: "BAD_CLIENT_ID", 306: "BAD_BIND_ID",
    307: "BAD_TUNNEL_TYPE", 308: "LOCAL_ADDR_UNAVAILABLE",
    309: "LOCAL_ADDRPORT_UNAVAILABLE", 310: "LOCAL_ADDR_INUSE",
    311: "LOCAL_ADDRPORT_INUSE", 312: "LOCAL_ADDR_UNALLOWED",
    313: "LOCAL_ADDRPORT_UNALLOWED", 314: "REMOTE_ADDR_UNALLOWED",
    315: "REMOTE_ADDRPORT_UNALLOWED", 401: "IPSEC_UNALLOWED",
    402: "IPSEC_SPI_UNAVAILABLE", 403: "IPSEC_SPI_INUSE",
}
E_UNKNOWN_ERROR = 101
E_USE_TCP = 102
E_FLOW_POLICY_VIOLATION = 103
E_INTERNAL_SERVER_ERROR = 104
E_MESSAGE_COUNTER_REQUIRED = 105
E_UNSUPPORTED_RSIP_VERSION = 106
E_MISSING_PARAM = 201
E_DUPLICATE_PARAM = 202
E_EXTRA_PARAM = 203
E_ILLEGAL_PARAM = 204
E_BAD_PARAM = 205
E_ILLEGAL_MESSAGE = 206
E_BAD_MESSAGE = 207
E_UNSUPPORTED_MESSAGE = 208
E_REGISTER_FIRST = 301
E_ALREADY_REGISTERED = 302
E_ALREADY_UNREGISTERED = 303
E_REGISTRATION_DENIED = 304
E_BAD_CLIENT_ID = 305
E_BAD_BIND_ID = 306
E_BAD_TUNNEL_TYPE = 307
E_LOCAL_ADDR_UNAVAILABLE = 308
E_LOCAL_ADDRPORT_UNAVAILABLE = 309
E_LOCAL_ADDR_INUSE = 310
E_LOCAL_ADDRPORT_INUSE = 311
E_LOCAL_ADDR_UNALLOWED = 312
E_LOCAL_ADDRPORT_UNALLOWED = 313
E_REMOTE_ADDR_UNALLOWED = 314
E_REMOTE_ADDRPORT_UNALLOWED = 315
E_IPSEC_UNALLOWED = 401
E_IPSEC_SPI_UNAVAILABLE = 402
E_IPSEC_SPI_INUSE = 403


class RsipError(Exception):
    """A message this decoder rejects, with the RSIP error code that a
    gateway would answer (section 6.1)."""

    def __init__(self, code, why):
        super().__init__("%d %s: %s" % (code, ERRORS.get(code, "?"), why))
        self.code = code
        self.why = why


# ============================================================================
# Encoding
# ============================================================================

def param(code, value):
    """One TLV: code (1 byte), length of value (2 bytes), value."""
    return struct.pack(">BH", code, len(value)) + bytes(value)


def encode(mtype, params, version=VERSION, length=None):
    """A whole message: params is a list of (code, value) pairs, kept in the
    given order. length overrides Overall Length (for malformed tests)."""
    body = b"".join(param(c, v) for c, v in params)
    total = HDR_LEN + len(body) if length is None else length
    return struct.pack(">BBH", version, mtype, total) + body


def _u32(code, v):
    return (code, struct.pack(">I", v))


def p_counter(n):
    return _u32(P_COUNTER, n)


def p_client_id(n):
    return _u32(P_CLIENT_ID, n)


def p_bind_id(n):
    return _u32(P_BIND_ID, n)


def p_lease(n):
    return _u32(P_LEASE, n)


def p_error(code):
    return (P_ERROR, struct.pack(">H", code))


def p_tunnel(t):
    return (P_TUNNEL, bytes([t]))


def p_method(m):
    return (P_METHOD, bytes([m]))


def p_flow(local, remote):
    return (P_FLOW, bytes([local, remote]))


def p_indicator(v, width=2):
    """D6: send 2 bytes, value in the low byte; width=1 for the 1-byte
    reading of RFC 3103 9.14."""
    return (P_INDICATOR, struct.pack(">H", v) if width == 2 else bytes([v]))


def p_vendor(vendor_id, subtype, data=b""):
    return (P_VENDOR, struct.pack(">HH", vendor_id, subtype) + bytes(data))


def p_addr_v4(a, addrtype=ADDR_IPV4):
    return (P_ADDRESS, bytes([addrtype]) + ipaddress.IPv4Address(a).packed)


def p_netmask(m):
    return p_addr_v4(m, ADDR_IPV4_NETMASK)


def p_addr_v6(a):
    return (P_ADDRESS, bytes([ADDR_IPV6]) + ipaddress.IPv6Address(a).packed)


def p_addr_fqdn(name):
    return (P_ADDRESS, bytes([ADDR_FQDN]) + name.encode("ascii"))


def p_addr_any(addrtype=ADDR_IPV4):
    """Don't care, canonical Length-1 form (section 3.1)."""
    return (P_ADDRESS, bytes([addrtype]))


def p_ports_range(first, number=1):
    """A single port (number 1) or the contiguous run first..first+number-1."""
    return (P_PORTS, struct.pack(">BH", number, first))


def p_ports_list(ports):
    return (P_PORTS, bytes([len(ports)]) + b"".join(struct.pack(">H", p) for p in ports))


def p_ports_any(number=1):
    """Don't care: Length 1, Number >= 1."""
    return (P_PORTS, bytes([number]))


def p_ports_not_needed():
    """RFC 3104 don't need: Length 0 (RSIPSEC messages only)."""
    return (P_PORTS, b"")


def p_spi_range(first, number=1):
    return (P_SPI, struct.pack(">HI", number, first))


def p_spi_list(spis):
    return (P_SPI, struct.pack(">H", len(spis)) + b"".join(struct.pack(">I", s) for s in spis))


def p_spi_any(number=1):
    """Don't care: Length 2, Number >= 1."""
    return (P_SPI, struct.pack(">H", number))


def _opt(params, counter=None, lease=None, tunnel=None, tunnels=()):
    if counter is not None:
        params.append(p_counter(counter))
    if lease is not None:
        params.append(p_lease(lease))
    if tunnel is not None:
        params.append(p_tunnel(tunnel))
    for t in tunnels:
        params.append(p_tunnel(t))
    return params


def register_request(counter=None):
    return encode(REGISTER_REQUEST, _opt([], counter))


def deregister_request(client_id, counter=None):
    return encode(DEREGISTER_REQUEST, _opt([p_client_id(client_id)], counter))


def assign_rsap_ip(client_id, local_addr=None, local_ports=None, remote_addr=None,
                   remote_ports=None, counter=None, lease=None, tunnel=None):
    """ASSIGN_REQUEST_RSAP-IP; every address and port defaults to don't care
    (one local port)."""
    params = [p_client_id(client_id), local_addr or p_addr_any(),
              local_ports or p_ports_any(1), remote_addr or p_addr_any(),
              remote_ports or p_ports_any(1)]
    return encode(ASSIGN_REQUEST_RSAP_IP, _opt(params, counter, lease, tunnel))


def assign_rsa_ip(client_id, local_addr=None, remote_addr=None, remote_ports=None,
                  counter=None, lease=None, tunnel=None):
    params = [p_client_id(client_id), local_addr or p_addr_any(),
              remote_addr or p_addr_any(), remote_ports or p_ports_any(1)]
    return encode(ASSIGN_REQUEST_RSA_IP, _opt(params, counter, lease, tunnel))


def assign_rsipsec(client_id, spi, local_addr=None, local_ports=None, remote_addr=None,
                   remote_ports=None, counter=None, lease=None, tunnel=None):
    """ASSIGN_REQUEST_RSIPSEC; ports default to don't need, addresses to
    don't care. spi is a p_spi_* parameter."""
    params = [p_client_id(client_id), local_addr or p_addr_any(),
              local_ports or p_ports_not_needed(), remote_addr or p_addr_any(),
              remote_ports or p_ports_not_needed(), spi]
    return encode(ASSIGN_REQUEST_RSIPSEC, _opt(params, counter, lease, tunnel))


def extend_request(client_id, bind_id, lease=None, counter=None):
    params = [p_client_id(client_id), p_bind_id(bind_id)]
    if lease is not None:
        params.append(p_lease(lease))
    return encode(EXTEND_REQUEST, _opt(params, counter))


def free_request(client_id, bind_id, counter=None):
    return encode(FREE_REQUEST, _opt([p_client_id(client_id), p_bind_id(bind_id)], counter))


def query_request(client_id, addresses=(), networks=(), counter=None):
    """addresses: dotted quads; networks: (network, netmask) pairs."""
    params = _opt([p_client_id(client_id)], counter)
    for a in addresses:
        params += [p_indicator(IND_ADDRESS), p_addr_v4(a)]
    for net, mask in networks:
        params += [p_indicator(IND_NETWORK), p_addr_v4(net), p_netmask(mask)]
    return encode(QUERY_REQUEST, params)


def listen_request(client_id, local_addr=None, local_ports=None, remote_addr=None,
                   remote_ports=None, counter=None, lease=None, tunnels=()):
    params = [p_client_id(client_id), local_addr or p_addr_any(),
              local_ports or p_ports_any(1), remote_addr or p_addr_any(),
              remote_ports or p_ports_any(1)]
    return encode(LISTEN_REQUEST, _opt(params, counter, lease, None, tunnels))


# ============================================================================
# Decoding
# ============================================================================

class Address:
    """A decoded Address value. any: the don't-care forms (Length 1, or an
    all-zero IPv4/IPv6 address, D5)."""

    def __init__(self, addrtype, any_, value):
        self.type = addrtype
        self.any = any_
        self.value = value  # ipaddress object, FQDN str, or None

    def __eq__(self, other):
        return (isinstance(other, Address) and self.type == other.type
                and self.any == other.any and self.value == other.value)

    def __repr__(self):
        if self.any:
            return "Address(any/%d)" % self.type
        return "Address(%s)" % self.value


class Ports:
    """A decoded Ports value: form is 'range' (number ports from ports[0]),
    'list', 'any' (number ports, don't care) or 'not_needed'."""

    def __init__(self, form, number, ports):
        self.form = form
        self.number = number
        self.ports = ports

    def expand(self):
        """The port numbers this value names (empty for any/not_needed)."""
        if self.form == "range":
            return list(range(self.ports[0], self.ports[0] + self.number))
        if self.form == "list":
            return list(self.ports)
        return []

    def __repr__(self):
        return "Ports(%s,%d,%s)" % (self.form, self.number, self.ports)


class Spi:
    """A decoded SPI value: form 'range', 'list' or 'any'."""

    def __init__(self, form, number, spis):
        self.form = form
        self.number = number
        self.spis = spis

    def expand(self):
        if self.form == "range":
            return list(range(self.spis[0], self.spis[0] + self.number))
        if self.form == "list":
            return list(self.spis)
        return []

    def __repr__(self):
        return "Spi(%s,%d,%s)" % (self.form, self.number, [hex(s) for s in self.spis])


def _fixed(code, value, n):
    if len(value) != n:
        raise RsipError(E_BAD_PARAM, "%s has length %d, not %d"
                        % (PARAM_NAMES[code], len(value), n))


def decode_value(code, value):
    """The decoded form of one parameter value; RsipError 205 for a bad
    value, 204 for an unknown code."""
    bad = E_BAD_PARAM
    if code in (P_LEASE, P_CLIENT_ID, P_BIND_ID, P_COUNTER):
        _fixed(code, value, 4)
        return struct.unpack(">I", value)[0]
    if code in (P_TUNNEL, P_METHOD):
        _fixed(code, value, 1)
        if value[0] == 0:
            raise RsipError(bad, "%s 0 is reserved" % PARAM_NAMES[code])
        return value[0]
    if code == P_ERROR:
        _fixed(code, value, 2)
        return struct.unpack(">H", value)[0]
    if code == P_FLOW:
        _fixed(code, value, 2)
        if value[0] not in (FLOW_MACRO, FLOW_MICRO) or value[1] not in (1, 2, 3):
            raise RsipError(bad, "flow policy %d/%d" % (value[0], value[1]))
        return (value[0], value[1])
    if code == P_INDICATOR:
        if len(value) == 1:
            return value[0]
        if len(value) == 2:
            return struct.unpack(">H", value)[0]
        raise RsipError(bad, "Indicator has length %d" % len(value))
    if code == P_VENDOR:
        if len(value) < 4:
            raise RsipError(bad, "Vendor Specific shorter than 4")
        vid, sub = struct.unpack(">HH", value[:4])
        return (vid, sub, bytes(value[4:]))
    if code == P_ADDRESS:
        return _decode_address(value)
    if code == P_PORTS:
        return _decode_ports(value)
    if code == P_SPI:
        return _decode_spi(value)
    raise RsipError(E_ILLEGAL_PARAM, "unknown parameter code %d" % code)


def _decode_address(value):
    bad = E_BAD_PARAM
    if len(value) < 1:
        raise RsipError(bad, "Address without Addrtype")
    t = value[0]
    if t not in (ADDR_IPV4, ADDR_IPV4_NETMASK, ADDR_IPV6, ADDR_FQDN):
        raise RsipError(bad, "Addrtype %d" % t)
    if len(value) == 1:
        return Address(t, True, None)
    rest = bytes(value[1:])
    if t in (ADDR_IPV4, ADDR_IPV4_NETMASK):
        if len(rest) != 4:
            raise RsipError(bad, "IPv4 address of %d bytes" % len(rest))
        a = ipaddress.IPv4Address(rest)
        return Address(t, t == ADDR_IPV4 and int(a) == 0, a)
    if t == ADDR_IPV6:
        if len(rest) != 16:
            raise RsipError(bad, "IPv6 address of %d bytes" % len(rest))
        a = ipaddress.IPv6Address(rest)
        return Address(t, int(a) == 0, a)
    if len(rest) > 255 or not all(0x21 <= b < 0x7f for b in rest):
        raise RsipError(bad, "FQDN not printable ASCII or too long")
    return Address(t, False, rest.decode("ascii"))


def _decode_ports(value):
    bad = E_BAD_PARAM
    n = len(value)
    if n == 0:
        return Ports("not_needed", 0, [])
    number = value[0]
    if number == 0:
        raise RsipError(bad, "Ports Number 0")
    if n == 1:
        return Ports("any", number, [])
    if (n - 1) % 2:
        raise RsipError(bad, "Ports length %d" % n)
    fields = [struct.unpack(">H", value[i:i + 2])[0] for i in range(1, n, 2)]
    if len(fields) == 1:
        if number == 1 and fields[0] == 0:
            return Ports("any", 1, [])  # D5
        if fields[0] + number - 1 > 0xFFFF:
            raise RsipError(bad, "port range past 65535")
        return Ports("range", number, fields)
    if len(fields) != number:
        raise RsipError(bad, "Ports Number %d with %d fields" % (number, len(fields)))
    return Ports("list", number, fields)


def _decode_spi(value):
    bad = E_BAD_PARAM
    n = len(value)
    if n < 2 or (n - 2) % 4:
        raise RsipError(bad, "SPI length %d" % n)
    number = struct.unpack(">H", value[:2])[0]
    if number == 0:
        raise RsipError(bad, "SPI Number 0")
    fields = [struct.unpack(">I", value[i:i + 4])[0] for i in range(2, n, 4)]
    if not fields:
        return Spi("any", number, [])
    if len(fields) == 1:
        if number == 1 and fields[0] == 0:
            return Spi("any", 1, [])  # D5
        if fields[0] + number - 1 > 0xFFFFFFFF:
            raise RsipError(bad, "SPI range past 2^32-1")
        return Spi("range", number, fields)
    if len(fields) != number:
        raise RsipError(bad, "SPI Number %d with %d fields" % (number, len(fields)))
    return Spi("list", number, fields)


# Grammars (section 4.2): required codes in order, then optional codes with
# how often each may appear (None: any number). Vendor Specific may appear any
# number of times in the optional part of any message (D7).
MANY = None
_A, _P = P_ADDRESS, P_PORTS
GRAMMARS = {
    ERROR_RESPONSE: ([P_ERROR], {P_COUNTER: 1, P_CLIENT_ID: 1, P_BIND_ID: 1}),
    REGISTER_REQUEST: ([], {P_COUNTER: 1}),
    REGISTER_RESPONSE: ([P_CLIENT_ID, P_LEASE, P_FLOW],
                        {P_COUNTER: 1, P_METHOD: MANY, P_TUNNEL: MANY}),
    DEREGISTER_REQUEST: ([P_CLIENT_ID], {P_COUNTER: 1}),
    DEREGISTER_RESPONSE: ([P_CLIENT_ID], {P_COUNTER: 1}),
    ASSIGN_REQUEST_RSA_IP: ([P_CLIENT_ID, _A, _A, _P],
                            {P_COUNTER: 1, P_LEASE: 1, P_TUNNEL: 1}),
    ASSIGN_RESPONSE_RSA_IP: ([P_CLIENT_ID, P_BIND_ID, _A, _A, _P, P_LEASE, P_TUNNEL],
                             {_A: 1, P_COUNTER: 1}),
    ASSIGN_REQUEST_RSAP_IP: ([P_CLIENT_ID, _A, _P, _A, _P],
                             {P_COUNTER: 1, P_LEASE: 1, P_TUNNEL: 1}),
    ASSIGN_RESPONSE_RSAP_IP: ([P_CLIENT_ID, P_BIND_ID, _A, _P, _A, _P, P_LEASE, P_TUNNEL],
                              {_A: 1, P_COUNTER: 1}),
    EXTEND_REQUEST: ([P_CLIENT_ID, P_BIND_ID], {P_LEASE: 1, P_COUNTER: 1}),
    EXTEND_RESPONSE: ([P_CLIENT_ID, P_BIND_ID, P_LEASE], {P_COUNTER: 1}),
    FREE_REQUEST: ([P_CLIENT_ID, P_BIND_ID], {P_COUNTER: 1}),
    FREE_RESPONSE: ([P_CLIENT_ID, P_BIND_ID], {P_COUNTER: 1}),
    QUERY_REQUEST: ([P_CLIENT_ID], {P_COUNTER: 1}),      # + tuples
    QUERY_RESPONSE: ([P_CLIENT_ID], {P_COUNTER: 1}),     # + tuples
    LISTEN_REQUEST: ([P_CLIENT_ID, _A, _P, _A, _P],
                     {P_COUNTER: 1, P_LEASE: 1, P_TUNNEL: MANY}),
    LISTEN_RESPONSE: ([P_CLIENT_ID, P_BIND_ID, _A, _P, _A, _P, P_TUNNEL, P_LEASE],
                      {_A: 1, P_COUNTER: 1}),
    ASSIGN_REQUEST_RSIPSEC: ([P_CLIENT_ID, _A, _P, _A, _P, P_SPI],
                             {P_COUNTER: 1, P_LEASE: 1, P_TUNNEL: 1}),
    ASSIGN_RESPONSE_RSIPSEC: ([P_CLIENT_ID, P_BIND_ID, _A, _P, _A, _P, P_SPI, P_LEASE,
                               P_TUNNEL], {_A: 1, P_COUNTER: 1}),
}
RSIPSEC_TYPES = (ASSIGN_REQUEST_RSIPSEC, ASSIGN_RESPONSE_RSIPSEC)


class Message:
    """A decoded message: params is the list of (code, decoded value) in wire
    order; tuples holds QUERY tuples as (indicator, Address[, netmask])."""

    def __init__(self, version, mtype, length, params, raw):
        self.version = version
        self.type = mtype
        self.length = length
        self.params = params
        self.raw = raw
        self.tuples = []

    @property
    def name(self):
        return MSG_NAMES.get(self.type, "type %d" % self.type)

    def all(self, code):
        return [v for c, v in self.params if c == code]

    def get(self, code, default=None):
        for c, v in self.params:
            if c == code:
                return v
        return default

    counter = property(lambda self: self.get(P_COUNTER))
    client_id = property(lambda self: self.get(P_CLIENT_ID))
    bind_id = property(lambda self: self.get(P_BIND_ID))
    lease = property(lambda self: self.get(P_LEASE))
    error = property(lambda self: self.get(P_ERROR))
    flow = property(lambda self: self.get(P_FLOW))
    spi = property(lambda self: self.get(P_SPI))
    addresses = property(lambda self: self.all(P_ADDRESS))
    ports = property(lambda self: self.all(P_PORTS))
    tunnels = property(lambda self: self.all(P_TUNNEL))
    methods = property(lambda self: self.all(P_METHOD))

    # Roles by position (section 2.3): local, remote, then tunnel endpoint.
    local_addr = property(lambda self: _nth(self.addresses, 0))
    remote_addr = property(lambda self: _nth(self.addresses, 1))
    endpoint = property(lambda self: _nth(self.addresses, 2))
    local_ports = property(lambda self: _nth(self.ports, 0))
    remote_ports = property(lambda self: _nth(self.ports, 1))

    def __repr__(self):
        items = ", ".join("%s=%r" % (PARAM_NAMES.get(c, c), v) for c, v in self.params)
        return "<%s %s>" % (self.name, items)


def _nth(lst, i):
    return lst[i] if len(lst) > i else None


def walk_tlvs(data, start=HDR_LEN, end=None):
    """The raw (code, value) pairs of data[start:end]; RsipError 207 when a
    parameter runs past the end."""
    end = len(data) if end is None else end
    out = []
    off = start
    while off < end:
        if end - off < 3:
            raise RsipError(E_BAD_MESSAGE, "parameter header cut at %d" % off)
        code, plen = struct.unpack(">BH", data[off:off + 3])
        if off + 3 + plen > end:
            raise RsipError(E_BAD_MESSAGE,
                            "parameter %d at %d runs past the end" % (code, off))
        out.append((code, bytes(data[off + 3:off + 3 + plen])))
        off += 3 + plen
    return out


def frame_len(buf):
    """TCP framing: the Overall Length of the message at the head of buf, 0
    when fewer than 4 bytes are there, -1 when it is below 4 or above
    MAX_MSG (the stream is lost)."""
    if len(buf) < HDR_LEN:
        return 0
    n = struct.unpack(">H", buf[2:4])[0]
    return n if HDR_LEN <= n <= MAX_MSG else -1


def decode(data, datagram=True):
    """Decode one message strictly; RsipError on the first problem, in the
    order of section 6.1. datagram: Overall Length must equal len(data)."""
    data = bytes(data)
    if len(data) < HDR_LEN:
        raise RsipError(E_BAD_MESSAGE, "%d bytes, shorter than a header" % len(data))
    version, mtype, length = struct.unpack(">BBH", data[:4])
    if length < HDR_LEN or length > MAX_MSG or (datagram and length != len(data)) \
            or length > len(data):
        raise RsipError(E_BAD_MESSAGE,
                        "Overall Length %d for %d bytes" % (length, len(data)))
    if version != VERSION:
        raise RsipError(E_UNSUPPORTED_RSIP_VERSION, "version %d" % version)
    if mtype not in MSG_NAMES:
        raise RsipError(E_ILLEGAL_MESSAGE, "message type %d" % mtype)
    raw = walk_tlvs(data, HDR_LEN, length)
    params = []
    for code, value in raw:
        # Private codes 241-255 and unassigned ones are 204 (D7).
        params.append((code, decode_value(code, value)))
    msg = Message(version, mtype, length, params, data[:length])
    _check_values(msg)
    _check_grammar(msg)
    return msg


def _check_values(msg):
    """Value checks that depend on the message (D8, D16)."""
    bad = E_BAD_PARAM
    for code, v in msg.params:
        if code == P_PORTS and v.form == "not_needed" and msg.type not in RSIPSEC_TYPES:
            raise RsipError(bad, "don't-need Ports outside RSIPSEC")
        if code == P_ADDRESS and v.type == ADDR_IPV4_NETMASK and \
                msg.type not in (QUERY_REQUEST, QUERY_RESPONSE):
            raise RsipError(bad, "netmask Addrtype outside a network tuple")
    if msg.type in (REGISTER_RESPONSE,) and msg.flow is not None and \
            msg.flow[0] not in (FLOW_MACRO, FLOW_MICRO):
        raise RsipError(bad, "local flow policy %d" % msg.flow[0])


def _check_grammar(msg):
    required, optional = GRAMMARS[msg.type]
    codes = [c for c, _ in msg.params]
    for i, want in enumerate(required):
        if i >= len(codes) or codes[i] != want:
            raise RsipError(E_MISSING_PARAM,
                            "%s expected at position %d" % (PARAM_NAMES[want], i))
    rest = msg.params[len(required):]
    if msg.type in (QUERY_REQUEST, QUERY_RESPONSE):
        _check_query(msg, rest)
        return
    seen = {}
    for code, _ in rest:
        if code == P_VENDOR:
            continue
        if code not in optional:
            if code in required:
                raise RsipError(E_DUPLICATE_PARAM, "second %s" % PARAM_NAMES[code])
            raise RsipError(E_EXTRA_PARAM, "%s not allowed in %s"
                            % (PARAM_NAMES.get(code, code), msg.name))
        seen[code] = seen.get(code, 0) + 1
        limit = optional[code]
        if limit is not MANY and seen[code] > limit:
            raise RsipError(E_DUPLICATE_PARAM, "repeated %s" % PARAM_NAMES[code])


def _check_query(msg, rest):
    """QUERY tuples (D1): an Indicator immediately followed by its Address,
    or by network Address and netmask; a Counter may sit between tuples."""
    request = msg.type == QUERY_REQUEST
    net_inds = (IND_NETWORK,) if request else (IND_LOCAL_NETWORK, IND_REMOTE_NETWORK)
    addr_inds = (IND_ADDRESS,) if request else (IND_LOCAL_ADDRESS, IND_REMOTE_ADDRESS)
    i = 0
    counters = 0
    while i < len(rest):
        code, v = rest[i]
        if code == P_VENDOR:
            i += 1
            continue
        if code == P_COUNTER:
            counters += 1
            if counters > 1:
                raise RsipError(E_DUPLICATE_PARAM, "repeated Message Counter")
            i += 1
            continue
        if code != P_INDICATOR:
            if code == P_CLIENT_ID:
                raise RsipError(E_DUPLICATE_PARAM, "second Client ID")
            raise RsipError(E_EXTRA_PARAM, "%s outside a tuple" % PARAM_NAMES.get(code, code))
        if v in addr_inds:
            need = 1
        elif v in net_inds:
            need = 2
        else:
            raise RsipError(E_BAD_PARAM, "indicator %d" % v)
        parts = rest[i + 1:i + 1 + need]
        if len(parts) != need or any(c != P_ADDRESS for c, _ in parts):
            raise RsipError(E_MISSING_PARAM, "tuple at %d incomplete" % i)
        if need == 2:
            if parts[0][1].type == ADDR_FQDN:
                raise RsipError(E_BAD_PARAM, "FQDN network")
            if parts[1][1].type != ADDR_IPV4_NETMASK:
                raise RsipError(E_BAD_PARAM, "netmask slot without Addrtype 2")
            msg.tuples.append((v, parts[0][1], parts[1][1]))
        else:
            if parts[0][1].type == ADDR_IPV4_NETMASK:
                raise RsipError(E_BAD_PARAM, "netmask as an address")
            msg.tuples.append((v, parts[0][1]))
        i += 1 + need


def hexdump(data):
    return " ".join("%02x" % b for b in data)


def from_hex(text):
    """Bytes from a spaced hex dump; '|' separators are ignored."""
    return bytes.fromhex(text.replace("|", " ").replace("\n", " "))
