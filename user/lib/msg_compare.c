// SPDX-License-Identifier: BSD-2-Clause
/* Field-wise comparison of decoded RSIP messages (msg_compare.h). */
#include <string.h>

#include "msg_compare.h"

static bool address_eq(const struct rsip_address *a, const struct rsip_address *b)
{
	if (a->type != b->type || a->any != b->any)
		return false;
	if (a->any)
		return true;
	switch (a->type) {
	case RSIP_ADDR_IPV6:
		return memcmp(&a->u.v6, &b->u.v6, sizeof(a->u.v6)) == 0;
	case RSIP_ADDR_FQDN:
		return a->fqdn_len == b->fqdn_len && a->fqdn_len <= RSIP_MAX_FQDN &&
		       memcmp(a->u.fqdn, b->u.fqdn, a->fqdn_len) == 0;
	default:
		return a->u.v4.s_addr == b->u.v4.s_addr;
	}
}

static bool ports_eq(const struct rsip_ports *a, const struct rsip_ports *b)
{
	unsigned int i;

	if (a->form != b->form)
		return false;
	switch (a->form) {
	case RSIP_PORTS_NOT_NEEDED:
	case RSIP_PORTS_UNSET:
		return true;
	case RSIP_PORTS_ANY:
		return a->number == b->number;
	case RSIP_PORTS_RANGE:
		return a->number == b->number && a->first == b->first;
	default:
		if (a->number != b->number)
			return false;
		for (i = 0; i < a->number; i++)
			if (rsip_ports_at(a, i) != rsip_ports_at(b, i))
				return false;
		return true;
	}
}

static bool spi_eq(const struct rsip_spi *a, const struct rsip_spi *b)
{
	unsigned int i;

	if (a->form != b->form || a->number != b->number)
		return false;
	switch (a->form) {
	case RSIP_SPI_UNSET:
	case RSIP_SPI_ANY:
		return true;
	case RSIP_SPI_RANGE:
		return a->first == b->first;
	default:
		for (i = 0; i < a->number; i++)
			if (rsip_spi_at(a, i) != rsip_spi_at(b, i))
				return false;
		return true;
	}
}

static bool vendor_eq(const struct rsip_vendor *a, const struct rsip_vendor *b)
{
	return a->vendor_id == b->vendor_id && a->subtype == b->subtype && a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

#define SAME(field)                                                                                \
	do {                                                                                       \
		if (a->field != b->field)                                                          \
			return #field;                                                             \
	} while (0)

const char *rsip_msg_diff(const struct rsip_msg *a, const struct rsip_msg *b)
{
	static const char *const vendor_names[RSIP_MAX_VENDOR] = {
	    "vendor[0]",  "vendor[1]",	"vendor[2]",  "vendor[3]",  "vendor[4]",  "vendor[5]",
	    "vendor[6]",  "vendor[7]",	"vendor[8]",  "vendor[9]",  "vendor[10]", "vendor[11]",
	    "vendor[12]", "vendor[13]", "vendor[14]", "vendor[15]",
	};
	uint32_t has = a->has;
	size_t i;

	SAME(version);
	SAME(type);
	SAME(has);
	if (has & RSIP_HAS_COUNTER)
		SAME(counter);
	if (has & RSIP_HAS_CLIENT_ID)
		SAME(client_id);
	if (has & RSIP_HAS_BIND_ID)
		SAME(bind_id);
	if (has & RSIP_HAS_LEASE)
		SAME(lease);
	if (has & RSIP_HAS_ERROR)
		SAME(error);
	if (has & RSIP_HAS_FLOW_POLICY) {
		SAME(flow_local);
		SAME(flow_remote);
	}
	if ((has & RSIP_HAS_LOCAL_ADDR) && !address_eq(&a->local_addr, &b->local_addr))
		return "local_addr";
	if ((has & RSIP_HAS_LOCAL_PORTS) && !ports_eq(&a->local_ports, &b->local_ports))
		return "local_ports";
	if ((has & RSIP_HAS_REMOTE_ADDR) && !address_eq(&a->remote_addr, &b->remote_addr))
		return "remote_addr";
	if ((has & RSIP_HAS_REMOTE_PORTS) && !ports_eq(&a->remote_ports, &b->remote_ports))
		return "remote_ports";
	if ((has & RSIP_HAS_ENDPOINT) && !address_eq(&a->endpoint, &b->endpoint))
		return "endpoint";
	if ((has & RSIP_HAS_SPI) && !spi_eq(&a->spi, &b->spi))
		return "spi";
	SAME(n_methods);
	if (a->n_methods > RSIP_MAX_METHODS ||
	    memcmp(a->methods, b->methods, a->n_methods * sizeof(a->methods[0])))
		return "methods";
	SAME(n_tunnels);
	if (a->n_tunnels > RSIP_MAX_TUNNELS ||
	    memcmp(a->tunnels, b->tunnels, a->n_tunnels * sizeof(a->tunnels[0])))
		return "tunnels";
	SAME(n_tuples);
	if (a->n_tuples > RSIP_MAX_TUPLES)
		return "n_tuples";
	for (i = 0; i < a->n_tuples; i++) {
		const struct rsip_tuple *x = &a->tuples[i], *y = &b->tuples[i];

		if (x->indicator != y->indicator || !address_eq(&x->addr, &y->addr))
			return "tuples";
		/* Only network tuples carry a mask (indicators 2 and 4). */
		if ((x->indicator == RSIP_IND_LOCAL_NETWORK ||
		     x->indicator == RSIP_IND_REMOTE_NETWORK) &&
		    !address_eq(&x->mask, &y->mask))
			return "tuples";
	}
	SAME(n_vendor);
	if (a->n_vendor > RSIP_MAX_VENDOR)
		return "n_vendor";
	for (i = 0; i < a->n_vendor; i++)
		if (!vendor_eq(&a->vendor[i], &b->vendor[i]))
			return vendor_names[i];
	return NULL;
}
