// SPDX-License-Identifier: BSD-2-Clause
/*
 * librsip transport: the socket to the gateway. UDP carries one message per
 * datagram; TCP is a byte stream split into messages by Overall Length
 * (rsip_frame_len). Writes over TCP go through a small output buffer so a
 * full socket never blocks the caller's loop.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_internal.h"
#include "log.h"

/* Connect without hanging for minutes on a dead gateway: non-blocking
 * connect, then wait for it at most timeout_us. */
int rsip_io_connect(struct in_addr server, uint16_t port, enum rsip_transport t,
		    uint32_t timeout_us)
{
	struct sockaddr_in sin = {
	    .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = server};
	int type = t == RSIP_TRANSPORT_TCP ? SOCK_STREAM : SOCK_DGRAM;
	struct pollfd pfd;
	socklen_t sl;
	int fd, err, rc;

	fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		rc = -errno;
		goto out;
	}
	pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
	do {
		rc = poll(&pfd, 1, (int)(timeout_us / 1000));
	} while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		rc = -ETIMEDOUT;
		goto out;
	}
	if (rc < 0) {
		rc = -errno;
		goto out;
	}
	sl = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0) {
		rc = -errno;
		goto out;
	}
	if (err) {
		rc = -err;
		goto out;
	}
	return fd;
out:
	close(fd);
	return rc;
}

int rsip_io_flush(struct rsip_client *c)
{
	ssize_t n;

	while (c->out_len) {
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	return 0;
}

int rsip_io_send(struct rsip_client *c, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (c->fd < 0)
		return -ENOTCONN;
	if (c->transport == RSIP_TRANSPORT_UDP) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		/* A lost datagram is what the retransmission timer is for: a
		 * full buffer or an ICMP error from a gateway that is not up
		 * yet is not a reason to give up early. */
		if (n < 0)
			log_debug("rsip: UDP send: %s (the timer retransmits)", strerror(errno));
		return 0;
	}
	if (len > sizeof(c->out) - c->out_len)
		return -ENOBUFS;
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return rsip_io_flush(c);
}

void rsip_io_disconnect(struct rsip_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->in_len = 0;
	c->out_len = 0;
}

static int read_udp(struct rsip_client *c, rsip_io_msg_fn on_msg)
{
	ssize_t n;

	for (;;) {
		n = recv(c->fd, c->dgram, c->dgram_cap, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			/* ICMP errors on a connected UDP socket surface here:
			 * the retransmission timer deals with them. */
			log_debug("rsip: UDP recv: %s", strerror(errno));
			return 0;
		}
		on_msg(c, c->dgram, (size_t)n);
		if (c->fd < 0)
			return 0;
	}
}

static int read_tcp(struct rsip_client *c, rsip_io_msg_fn on_msg)
{
	ssize_t n;
	int flen;

	for (;;) {
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		c->in_len += (size_t)n;
		for (;;) {
			flen = rsip_frame_len(c->in, c->in_len);
			if (flen < 0) {
				/* The stream can no longer be split into
				 * messages: nothing after this is trustworthy. */
				log_debug("rsip: bad Overall Length from the gateway, dropping the "
					  "connection");
				return -EPROTO;
			}
			if (flen == 0 || (size_t)flen > c->in_len)
				break;
			on_msg(c, c->in, (size_t)flen);
			if (c->fd < 0)
				return 0;
			memmove(c->in, c->in + flen, c->in_len - (size_t)flen);
			c->in_len -= (size_t)flen;
		}
	}
}

int rsip_io_read(struct rsip_client *c, rsip_io_msg_fn on_msg)
{
	if (c->fd < 0)
		return 0;
	return c->transport == RSIP_TRANSPORT_UDP ? read_udp(c, on_msg) : read_tcp(c, on_msg);
}
