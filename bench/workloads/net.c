/*
 * bench-net: TCP stream throughput and 1-byte request/response latency.
 * The server runs on one side (the host, usually) and the client on the
 * other, so the same binary measures loopback, veth and TAP paths.
 * --loopback runs both ends here over 127.0.0.1: the native baseline.
 */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char prog[] = "bench-net";
static const char usage[] =
    "--server [--bind ADDR] [--port P] [--count N]\n"
    "       bench-net --client ADDR [--port P] [--time SECONDS] [--test stream|rr|both]\n"
    "       bench-net --loopback [--time SECONDS] [--test stream|rr|both]";

#define CHUNK (128u << 10)

enum mode { NONE, SERVER, CLIENT, LOOPBACK };

struct config {
	enum mode mode;
	const char *addr;
	unsigned port;
	unsigned count; /* connections the server serves; 0: no limit */
	double seconds;
	int stream, rr;
};

static void write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(prog, "send: %s", n < 0 ? strerror(errno) : "connection closed");
		c += n;
		len -= (size_t)n;
	}
}

static int read_full(int fd, void *p, size_t len)
{
	char *c = p;

	while (len) {
		ssize_t n = read(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static struct sockaddr_in make_addr(const char *addr, unsigned port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		die(prog, "'%s' is not an IPv4 address", addr);
	return sa;
}

/* Stream: count bytes until EOF, answer the count. RR: echo until EOF. */
static void serve_one(int fd)
{
	static char buf[CHUNK];
	char kind;
	uint64_t total = 0;
	ssize_t n;

	if (read_full(fd, &kind, 1))
		return;
	if (kind == 'S') {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			total += (uint64_t)n;
		write_all(fd, &total, sizeof(total));
	} else if (kind == 'R') {
		while (read_full(fd, buf, 1) == 0)
			write_all(fd, buf, 1);
	}
}

static int listen_on(const struct config *cfg)
{
	struct sockaddr_in sa = make_addr(cfg->addr, cfg->port);
	socklen_t len = sizeof(sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die(prog, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16))
		die(prog, "cannot listen on %s:%u: %s", cfg->addr, cfg->port, strerror(errno));
	getsockname(fd, (struct sockaddr *)&sa, &len);
	printf("bench: listening: %s:%u\n", cfg->addr, ntohs(sa.sin_port));
	fflush(stdout);
	return fd;
}

static void run_server(int lfd, unsigned count)
{
	for (unsigned served = 0; !count || served < count; served++) {
		int one = 1, fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			die(prog, "accept: %s", strerror(errno));
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve_one(fd);
		close(fd);
	}
}

/* Retries for a while: a guest's or container's link may still be coming up. */
static int connect_to(const struct config *cfg, char kind)
{
	struct sockaddr_in sa = make_addr(cfg->addr, cfg->port);
	uint64_t deadline = now_ns() + 10000000000ull;
	int one = 1;

	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die(prog, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			write_all(fd, &kind, 1);
			return fd;
		}
		close(fd);
		if (now_ns() > deadline)
			die(prog, "cannot connect to %s:%u: %s", cfg->addr, cfg->port,
			    strerror(errno));
		usleep(100000);
	}
}

static int client_stream(const struct config *cfg)
{
	static char buf[CHUNK];
	uint64_t sent = 0, counted = 0, t0, deadline;
	int fd = connect_to(cfg, 'S');

	for (unsigned i = 0; i < CHUNK; i++)
		buf[i] = (char)(i * 31);
	t0 = now_ns();
	deadline = t0 + (uint64_t)(cfg->seconds * 1e9);
	do {
		write_all(fd, buf, CHUNK);
		sent += CHUNK;
	} while (now_ns() < deadline);
	/* The server's count arrives only after it has received everything. */
	shutdown(fd, SHUT_WR);
	if (read_full(fd, &counted, sizeof(counted)))
		die(prog, "server did not confirm the stream");
	report_f("stream_mbit_per_s", sent * 8 / 1e6 / ((now_ns() - t0) / 1e9));
	report_u64("stream_bytes", sent);
	report_str("stream_verified", counted == sent ? "yes" : "no");
	close(fd);
	return counted == sent;
}

static int client_rr(const struct config *cfg)
{
	uint64_t trans = 0, bad = 0, t0, elapsed, deadline;
	int fd = connect_to(cfg, 'R');

	t0 = now_ns();
	deadline = t0 + (uint64_t)(cfg->seconds * 1e9);
	do {
		unsigned char out = (unsigned char)trans, in;

		write_all(fd, &out, 1);
		if (read_full(fd, &in, 1))
			die(prog, "server closed the request/response connection");
		bad += in != out;
		trans++;
	} while (now_ns() < deadline);
	elapsed = now_ns() - t0;
	close(fd);
	report_u64("rr_transactions", trans);
	report_f("rr_per_s", trans / (elapsed / 1e9));
	report_f("rr_latency_us", elapsed / 1e3 / trans);
	report_str("rr_verified", bad ? "no" : "yes");
	return !bad;
}

static int run_client(const struct config *cfg, const char *path)
{
	uint64_t start = now_ns();
	int ok = 1;

	report_begin("net");
	report_str("path", path);
	if (cfg->stream)
		ok &= client_stream(cfg);
	if (cfg->rr)
		ok &= client_rr(cfg);
	report_f("elapsed_s", (now_ns() - start) / 1e9);
	report_str("verified", ok ? "yes" : "no");
	report_end("net");
	return ok;
}

/* Both ends in this process tree: the server in a child on an ephemeral port. */
static int run_loopback(struct config *cfg)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int lfd, ok, status;
	pid_t pid;

	cfg->addr = "127.0.0.1";
	cfg->port = 0;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa = make_addr(cfg->addr, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len))
		die(prog, "cannot listen on 127.0.0.1: %s", strerror(errno));
	cfg->port = ntohs(sa.sin_port);
	pid = fork();
	if (pid < 0)
		die(prog, "fork: %s", strerror(errno));
	if (pid == 0) {
		run_server(lfd, (unsigned)(cfg->stream + cfg->rr));
		_exit(0);
	}
	close(lfd);
	ok = run_client(cfg, "loopback");
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return ok;
}

static void parse_test(struct config *cfg, const char *arg)
{
	cfg->stream = !strcmp(arg, "stream") || !strcmp(arg, "both");
	cfg->rr = !strcmp(arg, "rr") || !strcmp(arg, "both");
	if (!cfg->stream && !cfg->rr)
		die(prog, "--test: expected stream, rr or both, got '%s'", arg);
}

static void parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"server", no_argument, NULL, 'S'},	    {"client", required_argument, NULL, 'C'},
	    {"loopback", no_argument, NULL, 'L'},   {"bind", required_argument, NULL, 'b'},
	    {"port", required_argument, NULL, 'p'}, {"count", required_argument, NULL, 'n'},
	    {"time", required_argument, NULL, 't'}, {"test", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},	    {0},
	};
	int c;

	*cfg = (struct config){.addr = "0.0.0.0", .port = 7788, .seconds = 2, .stream = 1, .rr = 1};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			cfg->mode = SERVER;
			break;
		case 'C':
			cfg->mode = CLIENT;
			cfg->addr = optarg;
			break;
		case 'L':
			cfg->mode = LOOPBACK;
			break;
		case 'b':
			cfg->addr = optarg;
			break;
		case 'p':
			cfg->port = (unsigned)parse_u64(prog, "--port", optarg, 0, 65535);
			break;
		case 'n':
			cfg->count = (unsigned)parse_u64(prog, "--count", optarg, 1, 1u << 30);
			break;
		case 't':
			cfg->seconds = parse_seconds(prog, "--time", optarg);
			break;
		case 'T':
			parse_test(cfg, optarg);
			break;
		default:
			usage_error(prog, usage);
		}
	}
	if (optind != argc)
		die(prog, "unexpected argument '%s'", argv[optind]);
	if (cfg->mode == NONE)
		usage_error(prog, usage);
}

int main(int argc, char **argv)
{
	struct config cfg;

	parse_args(argc, argv, &cfg);
	/* A client that vanishes must not kill the server with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	switch (cfg.mode) {
	case SERVER:
		run_server(listen_on(&cfg), cfg.count);
		return 0;
	case CLIENT:
		return run_client(&cfg, "tcp") ? 0 : 1;
	case LOOPBACK:
		return run_loopback(&cfg) ? 0 : 1;
	case NONE:
		break;
	}
	return 2;
}
