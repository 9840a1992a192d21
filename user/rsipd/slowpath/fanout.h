/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The IKE fan-out (RSIP_SLOW_IKE_FANOUT): a protected IKE message from a
 * peer Y that talks IKE with several clients on (Nb, port), with a cookie
 * none of them sent yet (Y rekeyed an IKE SA: the new SPIs travelled
 * encrypted). The candidates are the clients whose learned cookies on
 * (Nb, port) name Y (rsip_target.remote of a learned entry); each gets a
 * copy, and the cookie is marked in rsip_ike (RSIP_TF_IKE_FANOUT, xa 0) so
 * that the LAN rules give it to the client that answers with a protected
 * message and to no other (include/rsip/rules/lan.h).
 *
 * Bounded: at most FANOUT_PENDING fan-outs wait at once, FANOUT_PER_PEER of
 * them for one peer (a peer cannot use up the table), FANOUT_HOSTS copies
 * per message; a mark nobody took is removed after FANOUT_TTL_S. Every
 * outcome is counted (SC_FANOUT_*). A retransmission of the message while
 * its fan-out waits goes to the same candidates without another walk.
 */
#ifndef RSIPD_SLOW_FANOUT_H
#define RSIPD_SLOW_FANOUT_H

#include <stdint.h>

#include "counters.h"
#include "demux.h"
#include "pkt.h"

#define FANOUT_PENDING	64
#define FANOUT_PER_PEER 8
#define FANOUT_HOSTS	8
#define FANOUT_TTL_S	10

struct fanout;

struct fanout *fanout_new(void);
void fanout_free(struct fanout *f);

/*
 * The IKE message ip (a whole IPv4 datagram from Y to Nb that the WAN rules
 * gave to the fan-out): fills out[] with the clients to send a copy to and
 * returns how many (> 0), or 0 when it is dropped; ctr (SC_MAX counters) is
 * counted either way. v must walk and delete (dp_view.next_key, .del).
 */
int fanout_packet(struct fanout *f, const struct dp_view *v, const struct pkt_ip *ip,
		  uint64_t now_ns, struct rsip_target out[FANOUT_HOSTS], uint64_t *ctr);

/* About once a second: forget fan-outs a client answered (its cookie is no
 * longer marked), remove the marks of those that timed out. */
void fanout_tick(struct fanout *f, const struct dp_view *v, uint64_t now_ns, uint64_t *ctr);

#endif
