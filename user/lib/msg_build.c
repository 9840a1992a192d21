// SPDX-License-Identifier: BSD-2-Clause
/* Starting a struct rsip_msg, and the ERROR_RESPONSE every receiver builds. */
#include <string.h>

#include "rsip/msg.h"

void rsip_msg_init(struct rsip_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->version = RSIP_VERSION;
	m->type = type;
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
