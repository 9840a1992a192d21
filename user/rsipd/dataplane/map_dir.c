// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: the SPI directory (include/rsip/spi_dir.h). Which owned blocks get a
 * slot, and the array's "empty is absent" rule the rest of the layer relies
 * on (it was written for hash maps).
 */
#include "maps_internal.h"
#include "rsip/spi_dir.h"

bool dir_on(const struct dpx *x)
{
	return x->cfg.spi_dir.slots && x->cfg.spi_dir.per_nb;
}

bool port_dir_on(const struct dpx *x)
{
	return x->cfg.spi_dir.port_slots != 0;
}

bool dir_is(const struct dpx *x, int fd)
{
	return (dir_on(x) && fd == x->m.spi_dir) || (port_dir_on(x) && fd == x->m.port_dir);
}

bool dir_port(const struct dpx *x, struct in_addr nb, uint16_t port, uint32_t *idx)
{
	if (!port_dir_on(x) || nb.s_addr == INADDR_ANY)
		return false;
	for (size_t i = 0; i < x->npool; i++)
		if (x->pool[i].s_addr == nb.s_addr) {
			if (!x->pool_ports[i])
				return false;
			*idx = (uint32_t)i << 16 | port;
			return true;
		}
	return false;
}

bool dir_slot(const struct dpx *x, struct in_addr nb, uint32_t block, uint32_t *slot)
{
	const struct dp_dirs *d = &x->cfg.spi_dir;
	uint32_t s;

	if (!dir_on(x) || nb.s_addr == INADDR_ANY)
		return false;
	s = rsip_spi_dir_slot(block, d->key, 32u - x->cfg.spi_block_shift);
	if (s >= d->slots)
		return false;
	for (size_t i = 0; i < x->npool; i++)
		if (x->pool[i].s_addr == nb.s_addr) {
			if (s / d->per_nb != i)
				return false;
			*slot = s;
			return true;
		}
	return false;
}

bool dir_empty(const void *val)
{
	const struct rsip_dir_val *v = val;

	return v->nb == 0;
}
