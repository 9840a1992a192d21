// SPDX-License-Identifier: BSD-2-Clause
#include "preflight.h"

#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "dataplane/map_sizes.h"
#include "log.h"

static int first_err;

static void problem(int err)
{
	if (!first_err)
		first_err = err;
}

/* ---- privileges ------------------------------------------------------------- */

/* What the XDP data plane uses, and why (docs/rsipd.md, Privileges). */
static const struct {
	cap_value_t cap;
	const char *name;
} xdp_caps[] = {
    {CAP_BPF, "CAP_BPF"},	      /* load programs, create and pin maps */
    {CAP_PERFMON, "CAP_PERFMON"},     /* the slow path's perf buffer, pointer-leaking programs */
    {CAP_NET_ADMIN, "CAP_NET_ADMIN"}, /* attach XDP, managed neighbour entries */
    {CAP_NET_RAW, "CAP_NET_RAW"},     /* raw sockets of the slow path */
};

static void check_privileges(void)
{
	char missing[128] = "";
	cap_flag_value_t v;
	cap_t caps = cap_get_proc();
	size_t i;

	if (!caps) {
		log_err("cannot read this process's capabilities");
		problem(-EPERM);
		return;
	}
	for (i = 0; i < sizeof(xdp_caps) / sizeof(xdp_caps[0]); i++) {
		if (cap_get_flag(caps, xdp_caps[i].cap, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
			continue;
		/* CAP_SYS_ADMIN covers BPF and perf on every kernel. */
		if ((xdp_caps[i].cap == CAP_BPF || xdp_caps[i].cap == CAP_PERFMON) &&
		    cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
			continue;
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
			 missing[0] ? ", " : "", xdp_caps[i].name);
	}
	cap_free(caps);
	if (!missing[0])
		return;
	log_errx("--dataplane xdp needs CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_NET_RAW; "
		 "this process lacks %s: run rsipd as root or from its systemd unit "
		 "(AmbientCapabilities=), or use --dataplane none",
		 missing);
	problem(-EPERM);
}

/* ---- bpffs -------------------------------------------------------------------- */

static bool is_bpffs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC;
}

/* The pin path, or the nearest directory above it that exists, must be on
 * a bpffs (rsipd creates the missing directories there). */
static void check_bpffs(const char *pin_path)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", pin_path);
	while (stat(dir, &st) < 0) {
		slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			strcpy(dir, "/");
			break;
		}
		*slash = '\0';
	}
	if (is_bpffs(dir))
		return;
	if (!strcmp(dir, pin_path))
		log_errx("--pin-path %s is not on a bpf filesystem: mount one there "
			 "(mount -t bpf bpf %s) or choose a directory under /sys/fs/bpf",
			 pin_path, pin_path);
	else
		log_errx("--pin-path %s is not on a bpf filesystem (%s is not one, and is the "
			 "nearest directory that exists): mount one (mount -t bpf bpf /sys/fs/bpf; "
			 "systemd does it at boot, a container may not), or choose a --pin-path "
			 "under a mounted bpffs",
			 pin_path, dir);
	problem(-ENOTSUP);
}

/* ---- interfaces and addresses ------------------------------------------------ */

static bool check_if(const char *flag, const char *name)
{
	if (if_nametoindex(name))
		return true;
	log_errx("%s %s: no such interface (ip link shows the interfaces of this network "
		 "namespace)",
		 flag, name);
	problem(-ENODEV);
	return false;
}

/* Is addr on ifname (NULL: on any interface)? */
static bool addr_on(const struct ifaddrs *ifs, struct in_addr addr, const char *ifname)
{
	const struct ifaddrs *i;

	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		if (((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr != addr.s_addr)
			continue;
		if (!ifname || !strcmp(i->ifa_name, ifname))
			return true;
	}
	return false;
}

static void check_addresses(const struct rsipd_config *cfg, bool wan_ok, bool lan_ok)
{
	struct ifaddrs *ifs;
	struct in_addr na;
	char a[INET_ADDRSTRLEN];
	size_t i;

	if (getifaddrs(&ifs) < 0) {
		log_err("cannot list the addresses of this host");
		problem(-errno);
		return;
	}
	/* A cluster gateway with keepalived: Na and the Nb pool are on the
	 * active gateway only, and come here when keepalived moves them (the
	 * sockets are bound with IP_FREEBIND). */
	if (cfg->role_file[0]) {
		log_info("--role-file: the addresses move with keepalived; not checked here");
		goto out;
	}
	inet_ntop(AF_INET, &cfg->listen_addr, a, sizeof(a));
	if (cfg->listen_addr.s_addr != INADDR_ANY && !addr_on(ifs, cfg->listen_addr, NULL)) {
		log_errx("--listen %s is not an address of this host: add it to the LAN "
			 "interface (ip addr add %s/24 dev %s, with your prefix length) or "
			 "correct --listen",
			 a, a, cfg->lan_if[0] ? cfg->lan_if : "LAN");
		problem(-EADDRNOTAVAIL);
	}
	if (cfg->dataplane != CFG_DP_XDP)
		goto out;
	/* Na: hosts tunnel to it, the LAN program recognises it, the slow path
	 * sends from it. */
	na = cfg->tunnel_endpoint.s_addr ? cfg->tunnel_endpoint : cfg->listen_addr;
	inet_ntop(AF_INET, &na, a, sizeof(a));
	if (lan_ok && !addr_on(ifs, na, cfg->lan_if) &&
	    (cfg->tunnel_endpoint.s_addr || addr_on(ifs, na, NULL))) {
		log_errx("%s %s is not an address of the LAN interface %s: hosts tunnel to it, "
			 "so it must be (ip addr add %s/24 dev %s, with your prefix length), or "
			 "give --lan the interface that holds it%s",
			 cfg->tunnel_endpoint.s_addr ? "--tunnel-endpoint" : "--listen", a,
			 cfg->lan_if, a, cfg->lan_if,
			 cfg->tunnel_endpoint.s_addr ? ""
						     : " (or --tunnel-endpoint an address of it)");
		problem(-EADDRNOTAVAIL);
	}
	for (i = 0; wan_ok && i < cfg->n_public; i++) {
		if (addr_on(ifs, cfg->public_addrs[i], cfg->wan_if))
			continue;
		inet_ntop(AF_INET, &cfg->public_addrs[i], a, sizeof(a));
		log_errx("--public %s is not an address of the WAN interface %s: add it "
			 "(ip addr add %s/32 dev %s) so that the gateway answers ARP for it and "
			 "the kernel answers what no binding claims, or remove it from --public",
			 a, cfg->wan_if, a, cfg->wan_if);
		problem(-EADDRNOTAVAIL);
	}
out:
	freeifaddrs(ifs);
}

/* A configuration the maps cannot hold (map_sizes.c). */
static void check_map_sizes(const struct rsipd_config *cfg)
{
	struct map_sizes s;
	char why[256];

	if (map_sizes_for_config(cfg, &s, why, sizeof(why))) {
		log_warnx("%s", why);
		problem(-EINVAL);
		return;
	}
	/* What --stat-slots costs on this machine, before anything is made. */
	map_sizes_bind_stats_line(&s, cfg->stat_slots, libbpf_num_possible_cpus(), why,
				  sizeof(why));
	log_info("%s", why);
}

int preflight(const struct rsipd_config *cfg, bool privileges)
{
	bool wan_ok = false, lan_ok = false;

	first_err = 0;
	if (cfg->dataplane == CFG_DP_XDP) {
		if (privileges)
			check_privileges();
		wan_ok = check_if("--wan", cfg->wan_if);
		lan_ok = check_if("--lan", cfg->lan_if);
		check_bpffs(cfg->pin_path);
		check_map_sizes(cfg);
	}
	check_addresses(cfg, wan_ok, lan_ok);
	return first_err;
}
