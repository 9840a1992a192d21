// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "fake_dp_view.h"
#include "rsip/rules/learned.h"

#define FAKE_MAX 256

struct entry {
	enum dp_map_id map;
	uint8_t key[16];
	uint8_t val[64];
	size_t vlen;
};

static struct entry tab[FAKE_MAX];
static size_t ntab;

static const size_t klen[DPM_MAX] = {
    [DPM_CLIENTS] = 4,
    [DPM_NB] = 4,
    [DPM_PORTS] = sizeof(struct rsip_port_key),
    [DPM_IKE] = sizeof(struct rsip_ike_key),
    [DPM_SPI] = sizeof(struct rsip_spi_key),
    [DPM_SPI_BLK] = sizeof(struct rsip_blk_key),
    [DPM_ICMP_ID] = sizeof(struct rsip_icmp_key),
    [DPM_OUT_SPI] = sizeof(struct rsip_out_key),
    [DPM_SPI_DIR] = sizeof(__u32),
    [DPM_PORT_DIR] = sizeof(__u32),
    [DPM_NB_DIR] = sizeof(__u32),
};

static struct entry *find(enum dp_map_id m, const void *key)
{
	size_t i;

	for (i = 0; i < ntab; i++)
		if (tab[i].map == m && !memcmp(tab[i].key, key, klen[m]))
			return &tab[i];
	return NULL;
}

static int fake_lookup(void *arg, enum dp_map_id m, const void *key, void *val)
{
	struct entry *e = find(m, key);

	(void)arg;
	if (!e)
		return -ENOENT;
	memcpy(val, e->val, e->vlen);
	return 0;
}

/* BPF_NOEXIST / BPF_EXIST / BPF_ANY, as the kernel answers them (a full
 * table: -E2BIG). */
static int fake_update(void *arg, enum dp_map_id m, const void *key, const void *val,
		       uint64_t flags)
{
	static const size_t vlen[DPM_MAX] = {
	    [DPM_CLIENTS] = sizeof(struct rsip_client),
	    [DPM_NB] = sizeof(struct rsip_nb_val),
	    [DPM_PORTS] = sizeof(struct rsip_target),
	    [DPM_IKE] = sizeof(struct rsip_target),
	    [DPM_SPI] = sizeof(struct rsip_target),
	    [DPM_SPI_BLK] = sizeof(struct rsip_target),
	    [DPM_ICMP_ID] = sizeof(struct rsip_target),
	    [DPM_OUT_SPI] = sizeof(struct rsip_out_val),
	    [DPM_SPI_DIR] = sizeof(struct rsip_dir_val),
	    [DPM_PORT_DIR] = sizeof(struct rsip_dir_val),
	    [DPM_NB_DIR] = sizeof(struct rsip_nb_slot),
	};
	struct entry *e = find(m, key);

	(void)arg;
	if (e && flags == BPF_NOEXIST)
		return -EEXIST;
	if (!e && flags == BPF_EXIST)
		return -ENOENT;
	if (!e && ntab == FAKE_MAX)
		return -E2BIG;
	fake_view_put(m, key, val, vlen[m]);
	return 0;
}

/* The entries of map m in table order (deleting reorders the table). */
static int fake_next_key(void *arg, enum dp_map_id m, const void *key, void *next)
{
	size_t i = 0;

	(void)arg;
	if (key) {
		const struct entry *e = find(m, key);

		if (!e)
			return -ENOENT;
		i = (size_t)(e - tab) + 1;
	}
	for (; i < ntab; i++) {
		if (tab[i].map == m) {
			memcpy(next, tab[i].key, klen[m]);
			return 0;
		}
	}
	return -ENOENT;
}

static int fake_del(void *arg, enum dp_map_id m, const void *key)
{
	(void)arg;
	if (!find(m, key))
		return -ENOENT;
	fake_view_del(m, key);
	return 0;
}

/* The rsip_learned program (bpf/learned.h) on the table: the same rule. */
static int fake_learned_add(void *arg, struct rsip_learned_req *req)
{
	struct entry *e = find(DPM_CLIENTS, &req->xa);
	struct rsip_client c;
	__u32 n = 0;

	(void)arg;
	if (!e) {
		req->result = RSIP_LREQ_NO_CLIENT;
		return 0;
	}
	memcpy(&c, e->val, sizeof(c));
	if (rsip_learned_added(c.cookies, c.cookie_cap, req->d_cookies, req->d_out,
			       req->flags & RSIP_LREQ_F_CAP, &n)) {
		req->count = c.cookies;
		req->result = RSIP_LREQ_OVER_CAP;
		return 0;
	}
	c.cookies = n;
	memcpy(e->val, &c, sizeof(c));
	req->count = n;
	req->result = RSIP_LREQ_DONE;
	return 0;
}

void fake_view_reset(struct dp_view *v, uint8_t shift)
{
	ntab = 0;
	v->lookup = fake_lookup;
	v->update = fake_update;
	v->next_key = fake_next_key;
	v->del = fake_del;
	v->learned_add = fake_learned_add;
	v->arg = NULL;
	v->spi_block_shift = shift;
}

void fake_view_put(enum dp_map_id m, const void *key, const void *val, size_t vlen)
{
	struct entry *e = find(m, key);

	if (!e) {
		if (ntab == FAKE_MAX || vlen > sizeof(e->val))
			abort();
		e = &tab[ntab++];
	}
	e->map = m;
	memcpy(e->key, key, klen[m]);
	memcpy(e->val, val, vlen);
	e->vlen = vlen;
}

void fake_view_del(enum dp_map_id m, const void *key)
{
	struct entry *e = find(m, key);

	if (e)
		*e = tab[--ntab];
}
