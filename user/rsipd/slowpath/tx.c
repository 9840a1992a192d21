// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "rsip/wire.h"
#include "tx.h"

#ifndef IPPROTO_GRE
#define IPPROTO_GRE 47
#endif

/* A classic BPF filter that accepts nothing: these sockets only send. */
static int drop_all(int fd)
{
	struct sock_filter code[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
	struct sock_fprog prog = {.len = 1, .filter = code};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
}

static int open_tunnel_sock(int proto, uint32_t na, bool freebind)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = na};
	int fd, pmtu = IP_PMTUDISC_DONT, err;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
	if (fd < 0)
		return -errno;
	if (drop_all(fd) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) < 0 ||
	    (freebind && setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &(int){1}, sizeof(int)) < 0) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int slow_tx_open(struct slow_tx *tx, uint32_t na, bool freebind)
{
	int err;

	tx->ipip = tx->gre = tx->raw = -1;
	tx->ipip = open_tunnel_sock(IPPROTO_IPIP, na, freebind);
	if (tx->ipip < 0) {
		err = tx->ipip;
		log_warnx("slow path: raw IPIP socket on the tunnel endpoint: %s", strerror(-err));
		goto fail;
	}
	tx->gre = open_tunnel_sock(IPPROTO_GRE, na, freebind);
	if (tx->gre < 0) {
		err = tx->gre;
		log_warnx("slow path: raw GRE socket on the tunnel endpoint: %s", strerror(-err));
		goto fail;
	}
	tx->raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW);
	if (tx->raw < 0) {
		err = -errno;
		log_warnx("slow path: IPPROTO_RAW socket: %s", strerror(-err));
		goto fail;
	}
	return 0;
fail:
	slow_tx_close(tx);
	return err;
}

void slow_tx_close(struct slow_tx *tx)
{
	if (tx->ipip >= 0)
		close(tx->ipip);
	if (tx->gre >= 0)
		close(tx->gre);
	if (tx->raw >= 0)
		close(tx->raw);
	tx->ipip = tx->gre = tx->raw = -1;
}

static int tx_tunnel(void *arg, uint32_t xa, uint8_t tunnel, const uint8_t *inner, size_t len)
{
	static const uint8_t gre_hdr[4] = {0, 0, 0x08, 0x00}; /* no flags, IPv4 */
	struct slow_tx *tx = arg;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = xa};
	struct iovec iov[2];
	struct msghdr mh = {.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = iov};
	int fd;

	if (tunnel == RSIP_TUNNEL_GRE) {
		iov[0] = (struct iovec){.iov_base = (void *)gre_hdr, .iov_len = sizeof(gre_hdr)};
		iov[1] = (struct iovec){.iov_base = (void *)inner, .iov_len = len};
		mh.msg_iovlen = 2;
		fd = tx->gre;
	} else if (tunnel == RSIP_TUNNEL_IPIP) {
		iov[0] = (struct iovec){.iov_base = (void *)inner, .iov_len = len};
		mh.msg_iovlen = 1;
		fd = tx->ipip;
	} else {
		return -EPROTONOSUPPORT;
	}
	if (sendmsg(fd, &mh, 0) < 0)
		return -errno;
	return 0;
}

static int tx_raw(void *arg, const uint8_t *pkt, size_t len)
{
	struct slow_tx *tx = arg;
	struct sockaddr_in to = {.sin_family = AF_INET};

	if (len < 20)
		return -EINVAL;
	memcpy(&to.sin_addr.s_addr, pkt + 16, 4);
	if (sendto(tx->raw, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

void slow_tx_ops_init(struct slow_tx_ops *ops, struct slow_tx *tx)
{
	ops->tunnel = tx_tunnel;
	ops->raw = tx_raw;
	ops->arg = tx;
}
