// SPDX-License-Identifier: BSD-2-Clause
/* Our own Vendor Specific parameters (include/rsip/wire.h, decision D21). */
#include <errno.h>

#include "msg_internal.h"
#include "rsip/msg.h"

int rsip_msg_set_reg_lease(struct rsip_msg *m, uint8_t buf[4], uint32_t lease_s)
{
	struct rsip_vendor *v = rsip_msg_add_vendor(m);

	if (!v)
		return -ENOSPC;
	be32_put(buf, lease_s);
	*v = (struct rsip_vendor){.vendor_id = RSIP_VENDOR_ID_PRIVATE,
				  .subtype = RSIP_VSUB_REGISTER_LEASE,
				  .len = 4,
				  .data = buf};
	return 0;
}

bool rsip_msg_reg_lease(const struct rsip_msg *m, uint32_t *lease_s)
{
	for (unsigned int i = 0; i < m->n_vendor && i < RSIP_MAX_VENDOR; i++) {
		const struct rsip_vendor *v = &m->vendor[i];

		if (v->vendor_id == RSIP_VENDOR_ID_PRIVATE &&
		    v->subtype == RSIP_VSUB_REGISTER_LEASE && v->len == 4 && v->data) {
			*lease_s = be32_get(v->data);
			return true;
		}
	}
	return false;
}
