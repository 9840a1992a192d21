// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: what the LAN program learned (IKE cookies and peer entries, echo ids,
 * outbound SPIs), read out and written in from outside: a cluster's active gateway
 * publishes its learned entries, its standbys write them into their own
 * maps (docs/cluster.md "Learned entries"). Each entry written or deleted
 * here is charged to / taken off its host's learned count
 * (learned_count_add, map_sweep.c: the rsip_learned program's
 * compare-and-swap, never a rewrite of the client entry), so the per-host
 * cap bounds the mirror as it bounds the LAN program. What comes from
 * outside is checked like wire input against what the LAN rules would have
 * written (misfit).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "maps_internal.h"
#include "log.h"

static int map_of(const struct dpx *x, uint8_t kind, unsigned int *klen, unsigned int *vlen)
{
	switch (kind) {
	case DP_LEARNED_IKE:
		*klen = sizeof(struct rsip_ike_key);
		*vlen = sizeof(struct rsip_target);
		return x->m.ike;
	case DP_LEARNED_ICMP_ID:
		*klen = sizeof(struct rsip_icmp_key);
		*vlen = sizeof(struct rsip_target);
		return x->m.icmp_id;
	case DP_LEARNED_OUT_SPI:
		*klen = sizeof(struct rsip_out_key);
		*vlen = sizeof(struct rsip_out_val);
		return x->m.out_spi;
	}
	return -1;
}

/* What one host's traffic taught: IKE cookies, IKE peer entries (one host,
 * or several: RSIP_TF_IKE_SEVERAL, named by the first), echo ids. Never a
 * fan-out in progress (RSIP_TF_IKE_FANOUT): rsipd's slow path wrote it
 * with no host (xa 0), and it lives seconds; nor a cookie marked several. */
static bool listable(uint8_t kind, const uint8_t *key, const struct rsip_target *t)
{
	struct rsip_ike_key k;

	if (!(t->flags & RSIP_TF_LEARNED) || (t->flags & RSIP_TF_IKE_FANOUT))
		return false;
	if (kind != DP_LEARNED_IKE)
		return !(t->flags & RSIP_TF_IKE_SEVERAL);
	memcpy(&k, key, sizeof(k));
	if (k.kind == RSIP_IKE_KIND_PEER)
		return true;
	return k.kind == RSIP_IKE_KIND_COOKIE && !(t->flags & RSIP_TF_IKE_SEVERAL);
}

int dpx_learned_list(struct dpx *x, void (*fn)(const struct dp_learned *l, void *arg), void *arg)
{
	static const uint8_t kinds[] = {DP_LEARNED_IKE, DP_LEARNED_ICMP_ID, DP_LEARNED_OUT_SPI};
	int err = 0;

	for (size_t k = 0; !err && k < sizeof(kinds); k++) {
		struct dpx_set all = {0};
		unsigned int klen = 0, vlen = 0;
		int fd = map_of(x, kinds[k], &klen, &vlen);

		err = dpx_dump(x, fd, klen, vlen, vlen, &all);
		for (size_t i = 0; !err && i < all.n; i++) {
			struct dp_learned l = {.kind = kinds[k], .klen = (uint8_t)klen};
			const struct dpx_client *c;

			memcpy(l.key, all.e[i].key, klen);
			if (kinds[k] == DP_LEARNED_OUT_SPI) {
				struct rsip_out_val v;

				memcpy(&v, all.e[i].val, sizeof(v));
				l.xa.s_addr = v.xa;
			} else {
				struct rsip_target t;

				memcpy(&t, all.e[i].val, sizeof(t));
				if (!listable(kinds[k], l.key, &t))
					continue;
				l.xa.s_addr = t.xa;
				l.tunnel = t.tunnel;
				l.remote.s_addr = t.remote;
				l.several = (t.flags & RSIP_TF_IKE_SEVERAL) != 0;
			}
			c = find_client(x, l.xa);
			if (!c)
				continue; /* a host that is gone: the sweep takes it */
			l.client_id = c->client_id;
			fn(&l, arg);
		}
		set_free(&all);
	}
	return err;
}

/* The entry fits the host: its key is well formed and on the host's Nb,
 * through a tunnel the host leased. NULL, or what is wrong. */
static const char *misfit(const struct dpx *x, const struct dpx_client *c,
			  const struct dp_learned *l)
{
	struct rsip_client v;
	const char *why;

	client_value(x, c, &v);
	switch (l->kind) {
	case DP_LEARNED_IKE:
		why = dpx_ike_misfit(&v, l);
		if (why)
			return why;
		break;
	case DP_LEARNED_ICMP_ID: {
		struct rsip_icmp_key k;

		memcpy(&k, l->key, sizeof(k));
		if (k.nb != v.nb || k.pad)
			return "not on its host's Nb";
		if (l->several)
			return "several hosts named on an echo id";
		break;
	}
	case DP_LEARNED_OUT_SPI: {
		struct rsip_out_key k;

		memcpy(&k, l->key, sizeof(k));
		if (l->several)
			return "several hosts named on an outbound SPI";
		return k.peer && k.spi ? NULL : "no peer or SPI";
	}
	default:
		return "unknown kind";
	}
	return l->tunnel < 8 && (v.tunnels & (1u << l->tunnel)) ? NULL
								: "a tunnel its host did not lease";
}

/* The entry the LAN program would have written (rules/lan.h
 * learned_target), with this gateway's MAC and ifindex for the host, seen
 * now: the sweep counts its idleness from the moment it was mirrored. */
static void value_of(const struct dpx_client *c, const struct dp_learned *l, uint8_t *val)
{
	if (l->kind == DP_LEARNED_OUT_SPI) {
		struct rsip_out_val v = {.xa = l->xa.s_addr, .seen = rsip_seen_at(0, dpx_now_ns())};

		memcpy(val, &v, sizeof(v));
		return;
	}
	struct rsip_target t = {.xa = l->xa.s_addr,
				.tunnel = l->tunnel,
				.flags = RSIP_TF_LEARNED | (l->several ? RSIP_TF_IKE_SEVERAL : 0),
				.lan_ifindex = c->ifindex,
				.remote = l->remote.s_addr,
				.seen = rsip_seen_at(0, dpx_now_ns())};

	memcpy(t.mac, c->mac, sizeof(t.mac));
	memcpy(val, &t, sizeof(t));
}

/* Which host holds the live entry; 0: none. */
static __be32 holder(const uint8_t *val, uint8_t kind)
{
	__be32 xa;

	memcpy(&xa,
	       val + (kind == DP_LEARNED_OUT_SPI ? offsetof(struct rsip_out_val, xa)
						 : offsetof(struct rsip_target, xa)),
	       sizeof(xa));
	return xa;
}

/* Adds n entries of the kind to xa's count; with cap, refused (-EDQUOT)
 * past its cookie_cap. -ENOENT: no client entry. */
static int charge(struct dpx *x, __be32 xa, uint8_t kind, int n, bool cap)
{
	return kind == DP_LEARNED_OUT_SPI ? learned_count_add(x, xa, 0, n, cap)
					  : learned_count_add(x, xa, n, 0, cap);
}

/* A host that is gone has no count to take the entry off. */
static int uncharge(struct dpx *x, __be32 xa, uint8_t kind)
{
	int err = charge(x, xa, kind, -1, false);

	return err == -ENOENT ? 0 : err;
}

int dpx_learned_put(struct dpx *x, const struct dp_learned *l, const char **why)
{
	uint8_t live[DPX_VAL_MAX], val[DPX_VAL_MAX];
	const struct dpx_client *c = find_client(x, l->xa);
	unsigned int klen = 0, vlen = 0;
	int fd = map_of(x, l->kind, &klen, &vlen);
	const char *bad;
	int err, cerr;

	if (x->restoring)
		return -EAGAIN; /* the clients' entries are not in the maps yet */
	if (!c || c->client_id != l->client_id)
		return -ENOENT;
	bad = fd < 0 || l->klen != klen ? "a key of the wrong kind or size" : misfit(x, c, l);
	if (bad) {
		if (why)
			*why = bad;
		return -EINVAL;
	}
	value_of(c, l, val);
	err = dpx_lookup(x, fd, l->key, live);
	if (err == 0 && holder(live, l->kind) == l->xa.s_addr) {
		/* The same host's: its link and tunnel as they are now, its
		 * packet counters kept, nothing charged twice; seen now (the
		 * cluster still holds it: a standby's own sweep must not
		 * expire what only the active gateway's traffic refreshes). */
		if (l->kind != DP_LEARNED_OUT_SPI) {
			const size_t at = offsetof(struct rsip_target, seen);
			struct rsip_seen seen;

			memcpy(val + RSIP_TARGET_CFG_END, live + RSIP_TARGET_CFG_END,
			       vlen - RSIP_TARGET_CFG_END);
			/* The programs' jiffies kept: their next refresh comes when it would have.
			 */
			memcpy(&seen, live + at, sizeof(seen));
			seen = rsip_seen_at(seen.jiffies, dpx_now_ns());
			memcpy(val + at, &seen, sizeof(seen));
		}
		return dpx_raw_update(x, fd, l->key, val, BPF_EXIST);
	}
	if (err && err != -ENOENT)
		return err;
	/* Charged first, against the cap, in one step in the kernel: the LAN
	 * program may learn for the host at the same moment, and a check
	 * before a separate add would let both through. */
	cerr = charge(x, l->xa.s_addr, l->kind, 1, true);
	if (cerr)
		return cerr;
	if (err == 0) {
		/* Another host's here (this gateway's own past, or a host
		 * that left): the cluster's word wins, the other host's count
		 * gives the entry up. */
		err = dpx_raw_update(x, fd, l->key, val, BPF_EXIST);
		if (!err)
			return uncharge(x, holder(live, l->kind), l->kind);
	} else {
		err = dpx_raw_update(x, fd, l->key, val, BPF_NOEXIST);
	}
	if (err) {
		cerr = uncharge(x, l->xa.s_addr, l->kind); /* not written: not held */
		if (cerr)
			log_warnx("dpx: giving back a learned count: %s", strerror(-cerr));
	}
	return err;
}

int dpx_learned_del(struct dpx *x, const struct dp_learned *l)
{
	uint8_t live[DPX_VAL_MAX];
	unsigned int klen = 0, vlen = 0;
	int fd = map_of(x, l->kind, &klen, &vlen);
	int err;

	if (fd < 0 || l->klen != klen)
		return -EINVAL;
	err = dpx_lookup(x, fd, l->key, live);
	if (err)
		return err == -ENOENT ? 0 : err;
	if (holder(live, l->kind) != l->xa.s_addr)
		return 0;
	err = dpx_raw_delete(x, fd, l->key);
	if (err)
		return err == -ENOENT ? 0 : err;
	return uncharge(x, l->xa.s_addr, l->kind);
}
