// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: clients, bindings and the Nb pool. Each call mirrors the change in
 * memory, computes the client's map entries before and after, and moves the
 * maps over in one journalled transaction (dpx_txn.c): on any error the maps
 * and the mirror are as they were.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "map_sizes.h"
#include "maps_internal.h"
#include "log.h"
#include "rsip/wire.h"

bool dpx_hash_oom;

struct dpx_client *find_client(struct dpx *x, struct in_addr xa)
{
	struct dpx_client *c;

	HASH_FIND(hh, x->clients, &xa.s_addr, sizeof(xa.s_addr), c);
	return c;
}

struct dpx_bind *find_bind(struct dpx *x, uint32_t bind_id)
{
	struct dpx_bind *b;

	HASH_FIND(hh, x->binds, &bind_id, sizeof(bind_id), b);
	return b;
}

/* 0, or -ENOMEM with the table as it was. */
static int client_insert(struct dpx *x, struct dpx_client *c)
{
	dpx_hash_oom = false;
	HASH_ADD(hh, x->clients, xa.s_addr, sizeof(c->xa.s_addr), c);
	return dpx_hash_oom ? -ENOMEM : 0;
}

static int bind_insert(struct dpx *x, struct dpx_bind *b)
{
	dpx_hash_oom = false;
	HASH_ADD(hh, x->binds, bind_id, sizeof(b->bind_id), b);
	return dpx_hash_oom ? -ENOMEM : 0;
}

struct dpx *dpx_new(const struct dpx_maps *maps, const struct dpx_config *cfg)
{
	struct dpx *x;

	if (cfg->spi_block_shift > 31) {
		log_warnx("dpx: SPI block shift %u out of range (0-31)", cfg->spi_block_shift);
		return NULL;
	}
	if (cfg->cookie_cap > RSIP_LEARNED_CAP_MAX) {
		log_warnx("dpx: learned-entry cap %u out of range (0-%u)", cfg->cookie_cap,
			  RSIP_LEARNED_CAP_MAX);
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		log_warn("dpx: calloc");
		return NULL;
	}
	x->m = *maps;
	x->cfg = *cfg;
	x->ops = cfg->ops ? cfg->ops : &dpx_kernel_ops;
	if (!x->ops->learned_add) {
		/* learned counts change only through it (map_sweep.c) */
		log_warnx("dpx: the map operations cannot run the rsip_learned program");
		free(x);
		return NULL;
	}
	if (!x->cfg.cookie_cap)
		x->cfg.cookie_cap = RSIP_DEF_COOKIE_CAP;
	if (!x->cfg.ncpus) {
		int n = libbpf_num_possible_cpus();

		if (n <= 0) {
			log_warnx("dpx: cannot count the possible CPUs: %s", strerror(-n));
			free(x);
			return NULL;
		}
		x->cfg.ncpus = n;
	}
	if (bind_slots_init(&x->slots, maps->bind_slots)) {
		log_warnx("dpx: no per-binding counter slots (%s with %u entries)",
			  RSIP_MAP_BIND_STATS, maps->bind_slots);
		free(x);
		return NULL;
	}
	return x;
}

int dpx_set_maps(struct dpx *x, const struct dpx_maps *maps)
{
	if (maps->bind_slots != x->m.bind_slots) {
		log_warnx("dpx: %s has %u slots, the mirror was built for %u", RSIP_MAP_BIND_STATS,
			  maps->bind_slots, x->m.bind_slots);
		return -EINVAL;
	}
	x->m = *maps;
	return 0;
}

static void bind_free(struct dpx_bind *b)
{
	free(b->r);
	free(b);
}

/* A binding that goes: its counter slot too. */
static void bind_drop(struct dpx *x, struct dpx_bind *b)
{
	HASH_DEL(x->binds, b);
	slot_put(x, &b->slot);
	bind_free(b);
}

void dpx_free(struct dpx *x)
{
	struct dpx_client *c, *ctmp;
	struct dpx_bind *b, *btmp;

	if (!x)
		return;
	HASH_ITER(hh, x->binds, b, btmp)
	{
		HASH_DEL(x->binds, b);
		bind_free(b);
	}
	HASH_ITER(hh, x->clients, c, ctmp)
	{
		HASH_DEL(x->clients, c);
		free(c);
	}
	free(x->pool);
	free(x->pool_ports);
	bind_slots_fini(&x->slots);
	free(x);
}

/* --- the Nb pool ---------------------------------------------------------- */

/* The word of rsip_nb_filter that nb's bit is in, rewritten from the pool
 * (written only when it changes: a restart's re-adds write nothing). */
static int nb_filter_sync(struct dpx *x, struct in_addr nb)
{
	uint32_t idx = rsip_nb_filter_bit(nb.s_addr) >> 5, word = 0, live;

	for (size_t i = 0; i < x->npool; i++) {
		uint32_t bit = rsip_nb_filter_bit(x->pool[i].s_addr);

		if (x->pool[i].s_addr != INADDR_ANY && bit >> 5 == idx)
			word |= 1u << (bit & 31);
	}
	if (dpx_lookup(x, x->m.nb_filter, &idx, &live) == 0 && live == word)
		return 0;
	return dpx_raw_update(x, x->m.nb_filter, &idx, &word, BPF_ANY);
}

/* Pool place i gets rsip_port_dir partition i and its rsip_nb_dir entry,
 * when there is such a partition and no other Nb holds its filter bit (then
 * its ports stay in rsip_ports: map_dir.c). */
static int dir_nb_added(struct dpx *x, size_t i)
{
	uint32_t bit = rsip_nb_filter_bit(x->pool[i].s_addr);
	struct rsip_nb_slot s = {.nb = x->pool[i].s_addr, .slot = (uint32_t)i};
	int err;

	x->pool_ports[i] = false;
	if (!port_dir_on(x) ||
	    !nb_gets_partition(x->pool, x->pool_ports, x->npool, i, x->cfg.spi_dir.port_slots))
		return 0; /* ports stay in rsip_ports */
	err = dpx_raw_update(x, x->m.nb_dir, &bit, &s, BPF_ANY);
	if (!err)
		x->pool_ports[i] = true;
	return err;
}

static int dir_nb_deleted(struct dpx *x, size_t i)
{
	uint32_t bit = rsip_nb_filter_bit(x->pool[i].s_addr);
	struct rsip_nb_slot none = {0};

	if (!x->pool_ports[i])
		return 0;
	x->pool_ports[i] = false;
	return dpx_raw_update(x, x->m.nb_dir, &bit, &none, BPF_ANY);
}

int dpx_nb_add(struct dpx *x, struct in_addr nb)
{
	struct rsip_nb_val shared = {0}, live;
	int err;

	if (nb_in_pool(x, nb))
		return 0;
	if (x->npool == x->pool_cap) {
		size_t cap = x->pool_cap ? x->pool_cap * 2 : 8;
		struct in_addr *p = realloc(x->pool, cap * sizeof(*p));
		bool *pp = p ? realloc(x->pool_ports, cap * sizeof(*pp)) : NULL;

		if (p)
			x->pool = p;
		if (!p || !pp)
			return -ENOMEM;
		x->pool_ports = pp;
		x->pool_cap = cap;
	}
	err = dpx_lookup(x, x->m.nb, &nb.s_addr, &live);
	if (err == -ENOENT)
		err = dpx_raw_update(x, x->m.nb, &nb.s_addr, &shared, BPF_NOEXIST);
	if (err == -EEXIST)
		err = 0;
	if (err) {
		log_warnx("dpx: cannot add public address %s: %s", inet_ntoa(nb), strerror(-err));
		return err;
	}
	{
		size_t i = 0;

		while (i < x->npool && x->pool[i].s_addr != INADDR_ANY)
			i++; /* the first hole dpx_nb_del left, else the end */
		x->pool[i] = nb;
		if (i == x->npool)
			x->npool++;
		err = dir_nb_added(x, i);
		if (err) {
			log_warnx("dpx: cannot give public address %s its port partition: %s",
				  inet_ntoa(nb), strerror(-err));
			return err;
		}
	}
	err = nb_filter_sync(x, nb);
	if (err)
		log_warnx("dpx: cannot add public address %s to the filter: %s", inet_ntoa(nb),
			  strerror(-err));
	return err;
}

static bool nb_used(struct dpx *x, struct in_addr nb);

int dpx_nb_del(struct dpx *x, struct in_addr nb)
{
	int err;

	if (!nb_in_pool(x, nb))
		return -ENOENT;
	if (nb_used(x, nb))
		return -EBUSY;
	err = dpx_raw_delete(x, x->m.nb, &nb.s_addr);
	if (err && err != -ENOENT)
		return err;
	/* The others keep their places (an Nb's place is its SPI directory
	 * partition, map_dir.c): a hole, reused by the next add. */
	for (size_t i = 0; i < x->npool; i++) {
		if (x->pool[i].s_addr == nb.s_addr) {
			err = dir_nb_deleted(x, i);
			if (err)
				return err;
			x->pool[i].s_addr = INADDR_ANY;
			break;
		}
	}
	while (x->npool && x->pool[x->npool - 1].s_addr == INADDR_ANY)
		x->npool--;
	return nb_filter_sync(x, nb);
}

static bool nb_used(struct dpx *x, struct in_addr nb)
{
	const struct dpx_bind *b, *tmp;

	HASH_ITER(hh, x->binds, b, tmp)
	{
		if (b->r->nb.s_addr == nb.s_addr)
			return true;
	}
	return false;
}

/* --- clients --------------------------------------------------------------- */

int dpx_client_add(struct dpx *x, const struct dp_client *dc)
{
	struct rsip_client live;
	struct dpx_client *c;
	struct dpx_txn t;
	int err;

	if (find_client(x, dc->xa))
		return -EEXIST;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->client_id = dc->client_id;
	c->xa = dc->xa;
	c->cookie_cap = x->cfg.cookie_cap;
	/* The live entry of the same client knows its link (restore mode:
	 * restore_end looks, from one read of the whole map). */
	if (!x->restoring && dpx_lookup(x, x->m.clients, &dc->xa.s_addr, &live) == 0 &&
	    live.client_id == dc->client_id) {
		memcpy(c->mac, live.mac, sizeof(c->mac));
		c->ifindex = live.lan_ifindex;
		c->cookie_cap = live.cookie_cap;
	}
	/* Restoring: the slot its live entry carries, in dpx_restore_end. */
	err = x->restoring ? 0 : slot_take(x, &c->slot, "client", c->client_id);
	if (err) {
		free(c);
		return err;
	}
	if (client_insert(x, c)) {
		slot_put(x, &c->slot);
		free(c);
		return -ENOMEM;
	}
	txn_begin(&t, x);
	err = put_client(&t, c);
	if (err) {
		txn_abort(&t);
		HASH_DEL(x->clients, c);
		slot_put(x, &c->slot);
		free(c);
		log_warnx("dpx: cannot add client %s: %s", inet_ntoa(dc->xa), strerror(-err));
		return err;
	}
	txn_commit(&t);
	x->nclients++;
	return 0;
}

/* Learned entries (rsip_ike, rsip_icmp_id) of one client: deleted, or given
 * the client's current link. */
static int learned_update(struct dpx_txn *t, int fd, const struct dpx_client *c, unsigned int klen,
			  bool del)
{
	uint8_t key[DPX_KEY_MAX], next[DPX_KEY_MAX];
	struct dpx_set todo = {0};
	struct rsip_target v;
	bool first = true;
	int err = 0;

	/* Collect first: deleting while walking a hash map restarts the walk. */
	while (dpx_next_key(t->x, fd, first ? NULL : key, next) == 0) {
		first = false;
		memcpy(key, next, klen);
		if (dpx_lookup(t->x, fd, key, &v) || v.xa != c->xa.s_addr)
			continue;
		if (!set_add(&todo, fd, key, klen, &v, sizeof(v), RSIP_TARGET_CFG_END)) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < todo.n; i++) {
		struct dpx_entry *e = &todo.e[i];

		if (del) {
			err = txn_del(t, fd, e->key, klen, sizeof(v));
		} else {
			memcpy(&v, e->val, sizeof(v));
			memcpy(v.mac, c->mac, sizeof(v.mac));
			v.lan_ifindex = c->ifindex;
			memcpy(e->val, &v, sizeof(v));
			err = txn_put(t, e);
		}
		if (err)
			goto out;
	}
out:
	set_free(&todo);
	return err;
}

int learned_relink(struct dpx *x, struct dpx_client *c)
{
	struct dpx_txn t;
	int err;

	txn_begin(&t, x);
	err = learned_update(&t, x->m.ike, c, sizeof(struct rsip_ike_key), false);
	if (!err)
		err = learned_update(&t, x->m.icmp_id, c, sizeof(struct rsip_icmp_key), false);
	if (err)
		txn_abort(&t);
	else
		txn_commit(&t);
	return err;
}

/* The learned-entry count the LAN program keeps in the client's entry: 0
 * lets a MAC change or a deletion skip walking rsip_ike and rsip_icmp_id
 * (whole-map walks would make a start-up with many clients quadratic). The
 * count can lag (see the sweep); an entry it missed keeps its old link
 * until the sweep expires it. */
static uint32_t learned_count(struct dpx *x, const struct dpx_client *c)
{
	struct rsip_client live;

	if (dpx_lookup(x, x->m.clients, &c->xa.s_addr, &live))
		return 0;
	return RSIP_LEARNED_COOKIES(live.cookies); /* not the outbound SPIs */
}

/* A departing client's learned IKE cookies and echo ids. Its outbound SPIs
 * (rsip_out_spi) are left to the sweep: they only tell rsipd where an ICMP
 * error belongs, and rsipd finds no client there any more. */
static int learned_delete(struct dpx_txn *t, const struct dpx_client *c)
{
	int err;

	if (!learned_count(t->x, c))
		return 0;
	err = learned_update(t, t->x->m.ike, c, sizeof(struct rsip_ike_key), true);
	if (!err)
		err = learned_update(t, t->x->m.icmp_id, c, sizeof(struct rsip_icmp_key), true);
	return err;
}

int dpx_client_del(struct dpx *x, const struct dp_client *dc)
{
	struct dpx_set before = {0}, after = {0};
	struct dpx_client *c = find_client(x, dc->xa);
	struct dpx_bind *binds;
	struct dpx_txn t;
	int err = 0;

	if (!c || c->client_id != dc->client_id)
		return -ENOENT;
	if (x->restoring)
		goto forget; /* restore_end prunes what it leaves behind */
	err = client_entries(x, c, &before);
	if (err)
		goto out;
	txn_begin(&t, x);
	err = apply_diff(&t, &before, &after);
	if (!err)
		err = learned_delete(&t, c);
	if (!err)
		err = txn_del(&t, x->m.clients, &c->xa.s_addr, sizeof(c->xa.s_addr),
			      sizeof(struct rsip_client));
	if (err) {
		txn_abort(&t);
		log_warnx("dpx: cannot delete client %s: %s", inet_ntoa(dc->xa), strerror(-err));
		goto out;
	}
	txn_commit(&t);
forget:
	binds = c->binds;
	while (binds) {
		struct dpx_bind *b = binds;

		binds = b->next;
		bind_drop(x, b);
	}
	HASH_DEL(x->clients, c);
	slot_put(x, &c->slot);
	free(c);
	x->nclients--;
out:
	set_free(&before);
	set_free(&after);
	return err;
}

/* Moves client c from its current entries to those after `change` ran on
 * the mirror; `undo` reverts the mirror when the maps cannot follow. */
static int client_change(struct dpx *x, struct dpx_client *c,
			 void (*change)(struct dpx_client *c, void *arg),
			 void (*undo)(struct dpx_client *c, void *arg), void *arg, bool learned)
{
	struct dpx_set before = {0}, after = {0};
	struct dpx_txn t;
	int err;

	if (x->restoring) {
		change(c, arg); /* the mirror only: restore_end writes the maps */
		return 0;
	}
	err = client_entries(x, c, &before);
	if (err)
		goto out;
	change(c, arg);
	err = client_entries(x, c, &after);
	if (err) {
		undo(c, arg);
		goto out;
	}
	txn_begin(&t, x);
	err = apply_diff(&t, &before, &after);
	if (!err)
		err = put_client(&t, c);
	if (!err && learned)
		err = learned_update(&t, x->m.ike, c, sizeof(struct rsip_ike_key), false);
	if (!err && learned)
		err = learned_update(&t, x->m.icmp_id, c, sizeof(struct rsip_icmp_key), false);
	if (err) {
		txn_abort(&t);
		undo(c, arg);
		goto out;
	}
	txn_commit(&t);
out:
	set_free(&before);
	set_free(&after);
	return err;
}

struct link_change {
	uint8_t mac[6], old_mac[6];
	uint32_t ifindex, old_ifindex;
};

static void link_apply(struct dpx_client *c, void *arg)
{
	struct link_change *l = arg;

	memcpy(l->old_mac, c->mac, 6);
	l->old_ifindex = c->ifindex;
	memcpy(c->mac, l->mac, 6);
	c->ifindex = l->ifindex;
}

static void link_undo(struct dpx_client *c, void *arg)
{
	struct link_change *l = arg;

	memcpy(c->mac, l->old_mac, 6);
	c->ifindex = l->old_ifindex;
}

int dpx_client_set_link(struct dpx *x, struct in_addr xa, const uint8_t mac[6], uint32_t ifindex)
{
	struct dpx_client *c = find_client(x, xa);
	struct link_change l = {.ifindex = ifindex};
	bool moved;
	int err;

	if (!c)
		return -ENOENT;
	memcpy(l.mac, mac, 6);
	moved = memcmp(c->mac, mac, 6) != 0 || c->ifindex != ifindex;
	err = client_change(x, c, link_apply, link_undo, &l,
			    moved && !x->restoring && learned_count(x, c) > 0);
	if (!err)
		c->link_known = true;
	if (err)
		log_warnx("dpx: cannot set the link of client %s: %s", inet_ntoa(xa),
			  strerror(-err));
	return err;
}

struct cap_change {
	uint32_t cap, old;
};

static void cap_apply(struct dpx_client *c, void *arg)
{
	struct cap_change *cc = arg;

	cc->old = c->cookie_cap;
	c->cookie_cap = cc->cap;
}

static void cap_undo(struct dpx_client *c, void *arg)
{
	c->cookie_cap = ((struct cap_change *)arg)->old;
}

int dpx_client_set_cookie_cap(struct dpx *x, struct in_addr xa, uint32_t cap)
{
	struct dpx_client *c = find_client(x, xa);
	struct cap_change cc = {.cap = cap};
	int err;

	if (!c)
		return -ENOENT;
	if (cap > RSIP_LEARNED_CAP_MAX) /* each half of rsip_client.cookies */
		return -EINVAL;
	err = client_change(x, c, cap_apply, cap_undo, &cc, false);
	if (!err)
		c->cap_known = true;
	return err;
}

/* --- bindings --------------------------------------------------------------- */

static void bind_link(struct dpx_client *c, void *arg)
{
	struct dpx_bind *b = arg, **pp = &c->binds;

	while (*pp)
		pp = &(*pp)->next;
	b->next = NULL;
	*pp = b;
}

/* Remembers where b was so bind_relink can put it back in order. */
struct bind_pos {
	struct dpx_bind *b, *prev;
};

static void bind_unlink(struct dpx_client *c, void *arg)
{
	struct bind_pos *p = arg;
	struct dpx_bind **pp = &c->binds;

	p->prev = NULL;
	while (*pp && *pp != p->b) {
		p->prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp)
		*pp = p->b->next;
}

static void bind_relink(struct dpx_client *c, void *arg)
{
	struct bind_pos *p = arg;

	if (p->prev) {
		p->b->next = p->prev->next;
		p->prev->next = p->b;
	} else {
		p->b->next = c->binds;
		c->binds = p->b;
	}
}

static void bind_unlink_added(struct dpx_client *c, void *arg)
{
	struct bind_pos p = {.b = arg};

	bind_unlink(c, &p);
}

/* Our copy of the record: the mirror stays right whatever the caller does
 * with its own. */
static int bind_new(struct dpx_client *c, const struct binding_rec *r, struct dpx_bind **out)
{
	struct dpx_bind *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->c = c;
	b->r = binding_rec_dup(r);
	if (!b->r) {
		free(b);
		return -ENOMEM;
	}
	b->bind_id = r->bind_id;
	*out = b;
	return 0;
}

static int binding_check(const struct dpx_client *c, const struct binding_rec *b)
{
	if (b->tunnel != RSIP_TUNNEL_IPIP && b->tunnel != RSIP_TUNNEL_GRE) {
		log_warnx("dpx: binding %u: tunnel type %u is not IP-IP or GRE", b->bind_id,
			  b->tunnel);
		return -EINVAL;
	}
	if (b->method != RSIP_METHOD_RSA_IP && b->method != RSIP_METHOD_RSAP_IP &&
	    b->method != RSIP_METHOD_RSIPSEC) {
		log_warnx("dpx: binding %u: unknown method %u", b->bind_id, b->method);
		return -EINVAL;
	}
	if (c->binds && c->binds->r->nb.s_addr != b->nb.s_addr) {
		log_warnx("dpx: binding %u: client %s already uses another public address",
			  b->bind_id, inet_ntoa(c->xa));
		return -EINVAL;
	}
	return 0;
}

int dpx_binding_add(struct dpx *x, const struct binding_rec *db)
{
	struct dpx_client *c = find_client(x, db->xa);
	struct dpx_bind *b;
	int err;

	if (!c || c->client_id != db->client_id)
		return -ENOENT;
	if (find_bind(x, db->bind_id))
		return -EEXIST;
	err = binding_check(c, db);
	if (err)
		return err;
	err = bind_new(c, db, &b);
	if (err)
		return err;
	/* Restoring: the slot its live entries carry, in dpx_restore_end. */
	err = x->restoring ? 0 : slot_take(x, &b->slot, "binding", b->bind_id);
	if (err) {
		bind_free(b);
		return err;
	}
	if (bind_insert(x, b)) {
		slot_put(x, &b->slot);
		bind_free(b);
		return -ENOMEM;
	}
	err = client_change(x, c, bind_link, bind_unlink_added, b, false);
	if (err) {
		bind_drop(x, b);
		log_warnx("dpx: cannot add binding %u of client %s: %s", db->bind_id,
			  inet_ntoa(db->xa), strerror(-err));
	}
	return err;
}

int dpx_binding_del(struct dpx *x, const struct binding_rec *db)
{
	struct dpx_bind *b = find_bind(x, db->bind_id);
	struct bind_pos p = {.b = b};
	struct dpx_client *c;
	int err;

	if (!b || b->c->xa.s_addr != db->xa.s_addr)
		return -ENOENT;
	c = b->c;
	err = client_change(x, c, bind_unlink, bind_relink, &p, false);
	if (err) {
		log_warnx("dpx: cannot delete binding %u of client %s: %s", db->bind_id,
			  inet_ntoa(db->xa), strerror(-err));
		return err;
	}
	bind_drop(x, b);
	return 0;
}

/* --- restart ------------------------------------------------------------------ */

void dpx_restore_begin(struct dpx *x)
{
	x->restoring = true;
}
