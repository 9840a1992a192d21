// SPDX-License-Identifier: BSD-2-Clause
/* Building a struct rsip_msg, and the ERROR_RESPONSE every receiver builds. */
#include <stddef.h>
#include <string.h>

#include "rsip/msg.h"

void rsip_msg_init(struct rsip_msg *m, uint8_t type)
{
	/* The counted slots stay as they are: n_tuples and n_vendor say none
	 * of them holds anything, and clearing them would be most of the
	 * cost of every decode. */
	memset(m, 0, offsetof(struct rsip_msg, tuples));
	m->version = RSIP_VERSION;
	m->type = type;
}

struct rsip_tuple *rsip_msg_add_tuple(struct rsip_msg *m)
{
	struct rsip_tuple *t;

	if (m->n_tuples >= RSIP_MAX_TUPLES)
		return NULL;
	t = &m->tuples[m->n_tuples++];
	memset(t, 0, sizeof(*t));
	return t;
}

struct rsip_vendor *rsip_msg_add_vendor(struct rsip_msg *m)
{
	struct rsip_vendor *v;

	if (m->n_vendor >= RSIP_MAX_VENDOR)
		return NULL;
	v = &m->vendor[m->n_vendor++];
	memset(v, 0, sizeof(*v));
	return v;
}

void rsip_ports_set(struct rsip_ports *p, const uint16_t *v, uint8_t k)
{
	uint8_t i;

	memset(p, 0, sizeof(*p));
	p->number = k;
	for (i = 1; i < k; i++)
		if (v[i] != (uint16_t)(v[0] + i))
			break;
	if (k > 0 && i == k) {
		p->form = RSIP_PORTS_RANGE;
		p->first = v[0];
	} else {
		p->form = RSIP_PORTS_LIST;
		p->list = v;
	}
}

void rsip_spi_set(struct rsip_spi *s, const uint32_t *v, uint16_t k)
{
	uint16_t i;

	memset(s, 0, sizeof(*s));
	s->number = k;
	for (i = 1; i < k; i++)
		if (v[i] != v[0] + i)
			break;
	if (k > 0 && i == k) {
		s->form = RSIP_SPI_RANGE;
		s->first = v[0];
	} else {
		s->form = RSIP_SPI_LIST;
		s->list = v;
	}
}

void rsip_msg_error(struct rsip_msg *m, uint16_t code, bool has_counter, uint32_t counter,
		    bool has_client_id, uint32_t client_id, bool has_bind_id, uint32_t bind_id)
{
	rsip_msg_init(m, RSIP_ERROR_RESPONSE);
	m->error = code;
	m->has = RSIP_HAS_ERROR;
	if (has_counter) {
		m->has |= RSIP_HAS_COUNTER;
		m->counter = counter;
	}
	if (has_client_id) {
		m->has |= RSIP_HAS_CLIENT_ID;
		m->client_id = client_id;
	}
	if (has_bind_id) {
		m->has |= RSIP_HAS_BIND_ID;
		m->bind_id = bind_id;
	}
}
