// SPDX-License-Identifier: BSD-2-Clause
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xdp_attach.h"

const char *xdp_attach_how_name(enum xdp_attach_how how)
{
	switch (how) {
	case XDP_REPLACED:
		return "replaced in place";
	case XDP_KEPT:
		return "kept";
	default:
		return "attached";
	}
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? 0 : info.id;
}

/* Whether the pinned link at fd drives ifindex in the wanted mode; *running:
 * the id of the program it runs. */
static bool link_fits(int fd, int ifindex, bool generic, uint32_t *running)
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
	*running = info.prog_id;
	return generic ? q.skb_prog_id == info.prog_id : q.drv_prog_id == info.prog_id;
}

static int create_link(int prog_fd, int ifindex, const char *ifname, bool generic, const char *pin)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts,
		    .flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	int fd, err;

	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
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

int xdp_attach(int prog_fd, int ifindex, const char *ifname, bool generic, const char *pin,
	       enum xdp_attach_how *how)
{
	struct bpf_link *link;
	uint32_t running = 0;
	int err;

	*how = XDP_ATTACHED;
	/* No pin: a first start (bpf_link__open would log a warning). */
	if (access(pin, F_OK) < 0 && errno == ENOENT)
		return create_link(prog_fd, ifindex, ifname, generic, pin);
	link = bpf_link__open(pin);
	if (link) {
		if (link_fits(bpf_link__fd(link), ifindex, generic, &running)) {
			if (running == prog_id(prog_fd)) {
				bpf_link__destroy(link); /* closes our fd; the pin stays */
				*how = XDP_KEPT;
				return 0;
			}
			err = bpf_link_update(bpf_link__fd(link), prog_fd, NULL) < 0 ? -errno : 0;
			bpf_link__destroy(link);
			if (err) {
				log_warnx("cannot replace the XDP program of %s in place: %s",
					  ifname, strerror(-err));
				return err;
			}
			*how = XDP_REPLACED;
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
	return create_link(prog_fd, ifindex, ifname, generic, pin);
}

void xdp_detach(const char *pin)
{
	unlink(pin);
}
