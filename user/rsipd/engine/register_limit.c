// SPDX-License-Identifier: BSD-2-Clause
/*
 * REGISTER rate limit: one token bucket per source prefix (--register-rate
 * RATE/BURST, --register-prefix LEN). A flood of REGISTERs, spoofed or not,
 * costs each prefix its own bucket and nothing else, so hosts of other
 * prefixes keep registering. The table is bounded (REGLIM_MAX buckets): when
 * it is full the least recently used bucket goes, which is at worst a fresh
 * full bucket for a prefix that was quiet - --max-clients still bounds what
 * registrations can hold.
 */
#include "engine_priv.h"

#include <stdlib.h>

#include "config.h"

struct reglim_bucket {
	uint32_t prefix; /* source address & mask, network order */
	uint64_t tokens_milli;
	uint64_t at_ms; /* when tokens_milli was last brought up to date */
	UT_hash_handle hh;
};

struct register_limit {
	struct reglim_bucket *tab; /* uthash: insertion order = least recently used first */
	size_t n;
};

struct register_limit *register_limit_new(void)
{
	return calloc(1, sizeof(struct register_limit));
}

void register_limit_free(struct register_limit *rl)
{
	struct reglim_bucket *b, *tmp;

	if (!rl)
		return;
	HASH_ITER(hh, rl->tab, b, tmp)
	{
		HASH_DEL(rl->tab, b);
		free(b);
	}
	free(rl);
}

size_t register_limit_size(const struct register_limit *rl)
{
	return rl ? rl->n : 0;
}

static uint32_t prefix_of(struct in_addr a, uint8_t len)
{
	uint32_t mask = len ? htonl(~0u << (32 - len)) : 0;

	return a.s_addr & mask;
}

bool register_limit_admit(struct register_limit *rl, const struct rsipd_config *cfg,
			  struct in_addr src, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)cfg->register_burst * 1000u;
	uint32_t key = prefix_of(src, cfg->register_prefix);
	struct reglim_bucket *b;

	if (!cfg->register_rate)
		return true;
	HASH_FIND(hh, rl->tab, &key, sizeof(key), b);
	if (b) {
		uint64_t dt = now_ms > b->at_ms ? now_ms - b->at_ms : 0;

		/* rate per second = rate milli-tokens per ms */
		b->tokens_milli += dt * cfg->register_rate;
		if (b->tokens_milli > cap)
			b->tokens_milli = cap;
		b->at_ms = now_ms;
		HASH_DEL(rl->tab, b); /* to the back: most recently used */
		rl->n--;
	} else {
		if (rl->n >= REGLIM_MAX) {
			struct reglim_bucket *old = rl->tab;

			HASH_DEL(rl->tab, old);
			rl->n--;
			free(old);
		}
		b = calloc(1, sizeof(*b));
		if (!b) /* no memory for a bucket: refuse rather than grow */
			return false;
		b->prefix = key;
		b->tokens_milli = cap;
		b->at_ms = now_ms;
	}
	HASH_ADD(hh, rl->tab, prefix, sizeof(b->prefix), b);
	rl->n++;
	if (b->tokens_milli < 1000)
		return false;
	b->tokens_milli -= 1000;
	return true;
}
