/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * librsip: the host (client) side of RSIP, RFC 3103 + RFC 3104.
 *
 * One struct rsip_client talks to one gateway over TCP (messages split by
 * Overall Length) or UDP (one message per datagram, Message Counter on every
 * message, retransmission with binary exponential backoff: 12.5 ms, then 25,
 * 50, ... ms, 7 sends in all, RFC 3103 section 10.1 and App. D). Requests are
 * stop-and-wait: one outstanding at a time, the rest wait in a FIFO.
 *
 * Two ways to use it:
 *  - blocking: rsip_client_register(), rsip_client_assign(), ... return when
 *    the answer (or the give-up) is there;
 *  - inside your own poll loop: rsip_client_submit() a request with a done
 *    callback, poll rsip_client_fd() for rsip_client_poll_events(), wake up
 *    after rsip_client_timeout_ms() at the latest, and call
 *    rsip_client_dispatch() every time.
 *
 * Return values: 0 on success; a positive RSIP error code (101..403) when the
 * gateway answered ERROR_RESPONSE (rsip_error_name() gives its name,
 * rsip_client_last_error() its Client/Bind ID); a negative errno for local
 * failures: -ETIMEDOUT (no answer after the last retransmission, or within
 * tcp_timeout_us over TCP), -ECONNRESET (the gateway closed TCP), -EPROTO (an
 * answer the client cannot use), -ENOTCONN (not registered), -EINVAL (bad
 * arguments).
 *
 * Anything the gateway sends that the client cannot parse, or that answers
 * no outstanding request (wrong Message Counter), is dropped without reply:
 * a host never sends ERROR_RESPONSE (RFC 3103 section 9.1.3).
 *
 * The gateway may take resources back at any time with an unsolicited
 * (counter 0) FREE_RESPONSE or DE-REGISTER_RESPONSE: the library updates its
 * own state and reports an event through cfg.on_event.
 */
#ifndef RSIP_CLIENT_H
#define RSIP_CLIENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "rsip/msg.h"
#include "rsip/wire.h"

enum rsip_transport {
	RSIP_TRANSPORT_TCP = 1,
	RSIP_TRANSPORT_UDP = 2,
};

/* RFC 3103 App. D: first timeout 12.5 ms, doubled on every retry, 7 sends. */
#define RSIP_CLIENT_RTO_FIRST_US 12500u
#define RSIP_CLIENT_MAX_SENDS	 7u
/* TCP retransmits by itself; this only bounds how long we wait for a reply. */
#define RSIP_CLIENT_TCP_TIMEOUT_US 5000000u

struct rsip_client;

/* What a binding (one ASSIGN) gave us. */
struct rsip_binding {
	uint32_t bind_id;
	uint8_t method;		 /* enum rsip_method it was asked with */
	uint8_t tunnel;		 /* enum rsip_tunnel_type the gateway chose */
	struct in_addr addr;	 /* Nb, the leased public address */
	struct in_addr endpoint; /* tunnel endpoint: the gateway unless it named another */
	struct in_addr remote;	 /* 0.0.0.0: any peer */
	uint16_t remote_port;	 /* 0: any port */

	/* Local ports: n_ports == 0 means none. port_range: they are
	 * port_first .. port_first + n_ports - 1; else the list in ports[]. */
	uint16_t n_ports;
	bool port_range;
	uint16_t port_first;
	uint16_t ports[RSIP_MAX_PORTS];

	/* SPIs (RSIPSEC): n_spis == 0 means none. spi_range: spi_first ..
	 * spi_first + n_spis - 1; else the list in spis[] (spi_first is then
	 * the smallest). */
	uint16_t n_spis;
	bool spi_range;
	uint32_t spi_first;
	uint32_t spis[RSIP_MAX_SPI_LIST];

	uint32_t lease_s;     /* last lease granted (ASSIGN or EXTEND) */
	uint32_t lease_req_s; /* what we ask for on renewal (0: no preference) */
	uint64_t expires_us;  /* on the client's clock */
	uint64_t renew_at_us; /* next automatic EXTEND, 0: none */
	bool auto_renew;
	bool renewing; /* an EXTEND for it is queued or in flight */
};

/* The registration (REGISTER_RESPONSE). */
struct rsip_registration {
	bool registered;
	uint32_t client_id;
	uint32_t lease_s;
	uint8_t flow_local, flow_remote; /* enum rsip_flow_policy */
	/* As advertised; when the gateway lists none, RSAP-IP and IP-IP
	 * (RFC 3103 section 9.3.3). */
	uint8_t n_methods;
	uint8_t methods[RSIP_MAX_METHODS];
	uint8_t n_tunnels;
	uint8_t tunnels[RSIP_MAX_TUNNELS];
};

/* The details of the last ERROR_RESPONSE that answered one of our requests. */
struct rsip_client_error {
	uint16_t code; /* 0: none yet */
	uint8_t request_type;
	bool has_client_id;
	uint32_t client_id;
	bool has_bind_id;
	uint32_t bind_id;
};

enum rsip_client_event_type {
	/* Unsolicited FREE_RESPONSE: the gateway took binding bind_id back.
	 * The binding is gone from the table when the callback runs. */
	RSIP_EV_BINDING_FREED = 1,
	/* Unsolicited DE-REGISTER_RESPONSE: registration and every binding gone. */
	RSIP_EV_DEREGISTERED,
	/* Unsolicited ERROR_RESPONSE (e.g. a data-path violation, 312-315, 307);
	 * error holds the code. Nothing is taken back by it. */
	RSIP_EV_ERROR,
	/* Automatic renewal: EXTEND_RESPONSE, lease_s is the new lease. */
	RSIP_EV_BINDING_EXTENDED,
	/* The binding is gone without a FREE_RESPONSE: the gateway refused the
	 * EXTEND (error > 0, e.g. 306), or its lease ran out before a renewal
	 * got through (error = -ETIMEDOUT). */
	RSIP_EV_BINDING_LOST,
	/* Renewal attempt failed for now (error < 0); it is retried. */
	RSIP_EV_RENEW_FAILED,
	/* The TCP connection closed; the registration lives on at the gateway
	 * (spec D4): the next request reconnects. */
	RSIP_EV_DISCONNECTED,
};

struct rsip_client_event {
	enum rsip_client_event_type type;
	uint32_t client_id;
	uint32_t bind_id;
	int error; /* RSIP code (> 0) or -errno, see above */
	uint32_t lease_s;
};

typedef uint64_t (*rsip_clock_fn)(void *arg); /* monotonic microseconds */
typedef void (*rsip_event_fn)(void *arg, const struct rsip_client_event *ev);

struct rsip_client_cfg {
	enum rsip_transport transport;
	/* First Message Counter. 0: random in [1, 2^31), so that a restarted
	 * host never repeats the counter of its previous life, which the
	 * gateway would answer from its reply cache (spec D3 allows any first
	 * value). */
	uint32_t first_counter;
	uint32_t rto_first_us;	 /* 0: RSIP_CLIENT_RTO_FIRST_US */
	unsigned int max_sends;	 /* 0: RSIP_CLIENT_MAX_SENDS */
	uint32_t tcp_timeout_us; /* 0: RSIP_CLIENT_TCP_TIMEOUT_US */
	/* Renew a binding when this fraction of its lease has passed
	 * (0/0: 1/2). */
	uint8_t renew_num, renew_den;
	rsip_clock_fn clock; /* NULL: CLOCK_MONOTONIC */
	void *clock_arg;
	rsip_event_fn on_event; /* may be NULL */
	void *event_arg;
};

/* Connect to server:port (blocking connect for TCP), then switch the socket to
 * non-blocking. Returns a client or NULL with errno set. */
struct rsip_client *rsip_client_connect(struct in_addr server, uint16_t port,
					const struct rsip_client_cfg *cfg);
/* Use an already connected socket (a socketpair in tests). The client owns fd
 * from now on. server is what endpoint defaults to (may be 0.0.0.0). */
struct rsip_client *rsip_client_open_fd(int fd, struct in_addr server,
					const struct rsip_client_cfg *cfg);
/* Closes the socket and forgets everything, without telling the gateway:
 * call rsip_client_release_all() first for a clean exit. */
void rsip_client_close(struct rsip_client *c);

/* ---- poll-loop interface -------------------------------------------------- */
int rsip_client_fd(const struct rsip_client *c);	    /* -1 while disconnected */
short rsip_client_poll_events(const struct rsip_client *c); /* POLLIN [| POLLOUT] */
/* Milliseconds until the next retransmission, give-up, renewal or lease
 * expiry, rounded up; -1 when nothing is pending. */
int rsip_client_timeout_ms(const struct rsip_client *c);
/* Same, as an absolute time on the client's clock; UINT64_MAX: none. */
uint64_t rsip_client_next_deadline_us(const struct rsip_client *c);
/* Read and handle whatever arrived (revents from poll, or 0 for "timers
 * only"), retransmit or give up what is due, start renewals. Callbacks run
 * from here. Returns 0, or -errno when the socket broke (the requests in
 * flight have then failed through their callbacks). */
int rsip_client_dispatch(struct rsip_client *c, short revents);
uint64_t rsip_client_now_us(const struct rsip_client *c);

/* ---- asynchronous requests -------------------------------------------------- */
/* rc as documented at the top; rsp is the answer (the ERROR_RESPONSE when
 * rc > 0), NULL when rc < 0. The library has already applied a successful
 * answer (registration, binding table) when done runs. */
typedef void (*rsip_done_fn)(void *arg, int rc, const struct rsip_msg *rsp);

/* Queue a request. m is copied; its counter (and Client ID, for every type
 * but REGISTER_REQUEST, when unset) is filled in at send time. */
int rsip_client_submit(struct rsip_client *c, const struct rsip_msg *m, rsip_done_fn done,
		       void *arg);
/* How many requests are queued or in flight. */
unsigned int rsip_client_pending(const struct rsip_client *c);

/* ---- blocking requests ---------------------------------------------------- */
/* REGISTER. With takeover, an ALREADY_REGISTERED (302) answer - this host's
 * previous life still holds a registration - is handled as RFC 3103 section
 * 10.2.1 says: DE-REGISTER the Client ID it names, then REGISTER again. */
int rsip_client_register(struct rsip_client *c, bool takeover);
/* The same, asking for a registration lease of lease_s seconds (0: the
 * gateway's default) in a Vendor Specific parameter that gateways which do
 * not know it ignore (include/rsip/wire.h, RSIP_VSUB_REGISTER_LEASE). The
 * registration's Lease Time in rsip_client_registration() is what was
 * granted; the gateway keeps a registration at least as long as its
 * bindings (R = max(R, Bi)), so renewing the bindings renews it. */
int rsip_client_register_lease(struct rsip_client *c, bool takeover, uint32_t lease_s);

struct rsip_assign_req {
	uint8_t method;	       /* RSIP_METHOD_RSIPSEC, _RSAP_IP or _RSA_IP */
	struct in_addr local;  /* 0.0.0.0: don't care */
	uint16_t n_ports;      /* RSAP-IP: >= 1; RSIPSEC: 0 = don't need */
	uint16_t port;	       /* first port wanted, 0: don't care */
	struct in_addr remote; /* 0.0.0.0: don't care */
	uint16_t remote_port;  /* 0: don't care */
	uint16_t n_spis;       /* RSIPSEC: >= 1 */
	uint32_t spi;	       /* first SPI wanted, 0: don't care */
	uint32_t lease_s;      /* 0: no preference */
	uint8_t tunnel;	       /* 0: no preference (the gateway picks, IP-IP) */
	bool auto_renew;       /* renew it automatically before it runs out */
};
/* Build the ASSIGN_REQUEST_* for req into m (no counter). -EINVAL when req
 * is inconsistent. */
int rsip_client_build_assign(const struct rsip_assign_req *req, struct rsip_msg *m);
/* ASSIGN; on success *out (may be NULL) is a copy of the new binding. */
int rsip_client_assign(struct rsip_client *c, const struct rsip_assign_req *req,
		       struct rsip_binding *out);
/* LISTEN (RFC 3103 9.16, RFC 3104 Appendix G): let peers that were never
 * contacted reach port on local (the Nb of a binding we hold; 0.0.0.0: the
 * gateway picks). A binding of its own (method RSAP-IP), renewed and freed
 * like any other. */
struct rsip_listen_req {
	struct in_addr local;
	uint16_t port;
	uint32_t lease_s; /* 0: no preference */
	uint8_t tunnel;	  /* 0: no preference */
	bool auto_renew;
};
int rsip_client_listen(struct rsip_client *c, const struct rsip_listen_req *req,
		       struct rsip_binding *out);
/* EXTEND bind_id, asking for lease_s (0: no preference); *granted_s (may be
 * NULL) gets the new lease. */
int rsip_client_extend(struct rsip_client *c, uint32_t bind_id, uint32_t lease_s,
		       uint32_t *granted_s);
int rsip_client_free(struct rsip_client *c, uint32_t bind_id);
/* Take up a registration and binding a previous life of this host left
 * behind (it crashed; its state file names them): no REGISTER, the binding
 * is known again, and an EXTEND asking for lease_s checks the gateway still
 * holds it. 0 (renewed automatically from now on, when auto_renew), the
 * gateway's error (e.g. BAD_CLIENT_ID, BAD_BIND_ID: start afresh), or
 * -errno. On failure the client is left unregistered, without the binding. */
int rsip_client_resume(struct rsip_client *c, uint32_t client_id, const struct rsip_binding *b,
		       uint32_t lease_s, bool auto_renew);
int rsip_client_deregister(struct rsip_client *c);

struct rsip_query_item {
	uint8_t indicator;   /* request: RSIP_IND_ADDRESS / _NETWORK;
				answer: RSIP_IND_LOCAL_ADDRESS ... */
	struct in_addr addr; /* address, or network */
	struct in_addr mask; /* networks only */
};
/* QUERY the n items (n may be 0: "tell me everything"). The answer's tuples
 * go to out[] (at most cap of them), their count to *n_out. */
int rsip_client_query(struct rsip_client *c, const struct rsip_query_item *items, unsigned int n,
		      struct rsip_query_item *out, unsigned int cap, unsigned int *n_out);

/* Clean exit: FREE every binding, then DE-REGISTER, each as far as the
 * gateway answers. Returns the first failure (0 when all went through). */
int rsip_client_release_all(struct rsip_client *c);

/* Run the loop until *done becomes true: what the blocking calls use, and
 * what a caller with no loop of its own can use with rsip_client_submit. */
int rsip_client_wait(struct rsip_client *c, const bool *done);

/* ---- state ------------------------------------------------------------------ */
const struct rsip_registration *rsip_client_registration(const struct rsip_client *c);
const struct rsip_client_error *rsip_client_last_error(const struct rsip_client *c);
unsigned int rsip_client_n_bindings(const struct rsip_client *c);
/* i-th binding (0 <= i < n), or NULL. */
const struct rsip_binding *rsip_client_binding_at(const struct rsip_client *c, unsigned int i);
const struct rsip_binding *rsip_client_binding(const struct rsip_client *c, uint32_t bind_id);
/* The Message Counter the next request will carry. */
uint32_t rsip_client_next_counter(const struct rsip_client *c);
enum rsip_transport rsip_client_transport(const struct rsip_client *c);
struct in_addr rsip_client_server(const struct rsip_client *c);

/* "IPSEC_SPI_UNAVAILABLE (402)" for rc > 0, strerror(-rc) for rc < 0,
 * "success" for 0. Writes into buf and returns it. */
const char *rsip_client_strerror(int rc, char *buf, size_t cap);

#endif
