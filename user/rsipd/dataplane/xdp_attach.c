// SPDX-License-Identifier: BSD-2-Clause
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xdp_attach.h"

/* Whether the pinned link at fd drives ifindex in the wanted mode. */
static bool link_fits(int fd, int ifindex, bool generic)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_link_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || info.type != BPF_LINK_TYPE_XDP ||
	    (int)info.xdp.ifindex != ifindex)
		return false;
	if (bpf_xdp_query(ifindex, 0, &q) < 0)
		return false;
	return generic ? q.skb_prog_id == info.prog_id : q.drv_prog_id == info.prog_id;
}

static int create_link(struct bpf_program *prog, int ifindex, const char *ifname, bool generic,
		       const char *pin)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts,
		    .flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	int fd, err;

	fd = bpf_link_create(bpf_program__fd(prog), ifindex, BPF_XDP, &opts);
	if (fd < 0) {
		err = -errno;
		if (err == -EBUSY || err == -EEXIST)
			log_warnx("%s already has an XDP program that rsipd did not attach: "
				  "remove it (ip link set dev %s xdp off) and start again",
				  ifname, ifname);
		else if (!generic && (err == -EOPNOTSUPP || err == -EINVAL))
			log_warnx("the driver of %s cannot run XDP natively (%s): start with "
				  "--xdp-mode generic",
				  ifname, strerror(-err));
		else
			log_warnx("cannot attach XDP to %s: %s", ifname, strerror(-err));
		return err;
	}
	if (bpf_obj_pin(fd, pin) < 0) {
		err = -errno;
		log_warnx("cannot pin the XDP link of %s at %s: %s", ifname, pin, strerror(-err));
		close(fd); /* the program goes with it */
		return err;
	}
	close(fd); /* the pin holds the link now */
	return 0;
}

int xdp_attach(struct bpf_program *prog, int ifindex, const char *ifname, bool generic,
	       const char *pin, bool *updated)
{
	struct bpf_link *link;
	int err;

	*updated = false;
	/* No pin: a first start (bpf_link__open would log a warning). */
	if (access(pin, F_OK) < 0 && errno == ENOENT)
		return create_link(prog, ifindex, ifname, generic, pin);
	link = bpf_link__open(pin);
	if (link) {
		if (link_fits(bpf_link__fd(link), ifindex, generic)) {
			err = bpf_link__update_program(link, prog);
			bpf_link__destroy(link); /* closes our fd; the pin stays */
			if (err) {
				log_warnx("cannot replace the XDP program of %s in place: %s",
					  ifname, strerror(-err));
				return err;
			}
			*updated = true;
			return 0;
		}
		/* Another interface or mode (the configuration changed), or a
		 * link whose interface went away: start over. */
		log_info("the XDP link pinned at %s does not fit %s (%s mode): replacing it", pin,
			 ifname, generic ? "generic" : "native");
		unlink(pin);
		bpf_link__destroy(link);
	} else if (errno != ENOENT) {
		log_warnx("%s: not a usable bpf_link pin (%s): remove it", pin, strerror(errno));
		return -errno;
	}
	return create_link(prog, ifindex, ifname, generic, pin);
}

void xdp_detach(const char *pin)
{
	unlink(pin);
}
