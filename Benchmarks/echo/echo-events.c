/* The raw-libevent C peer: an echo server on plain events (event_new + read/write), the fastest
 * way to use libevent. Reads go into one shared 64 KiB buffer (the loop is single-threaded) and are
 * written back at once; only a partial write copies the rest into a per-connection buffer, arms
 * EV_WRITE and stops reading until it is out. An idle connection costs its two events and fd.
 * usage: echo-events PORT   (prints "listening on 127.0.0.1:PORT")
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include "listen.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUFFER_SIZE 65536

struct connection {
    evutil_socket_t fd;
    struct event *read_event, *write_event;
    char *pending;                        /* bytes not yet written back, or NULL */
    size_t pending_start, pending_end;
};

static char shared[BUFFER_SIZE];

static void connection_free(struct connection *c) {
    event_free(c->read_event);
    event_free(c->write_event);
    close(c->fd);
    free(c->pending);
    free(c);
}

/* Writes bytes[start..<end]; returns how many are left (0: all out), or -1 on error. */
static ssize_t write_out(evutil_socket_t fd, const char *bytes, size_t start, size_t end, size_t *written) {
    *written = start;
    while (*written < end) {
        ssize_t n = write(fd, bytes + *written, end - *written);
        if (n < 0) return (errno == EAGAIN || errno == EINTR) ? (ssize_t)(end - *written) : -1;
        *written += (size_t)n;
    }
    return 0;
}

static void on_write(evutil_socket_t fd, short what, void *arg) {
    (void)what;
    struct connection *c = arg;
    size_t written;
    ssize_t left = write_out(fd, c->pending, c->pending_start, c->pending_end, &written);
    if (left < 0) { connection_free(c); return; }
    c->pending_start = written;
    if (left == 0) {
        free(c->pending);
        c->pending = NULL;
        event_del(c->write_event);
        event_add(c->read_event, NULL);
    }
}

static void on_read(evutil_socket_t fd, short what, void *arg) {
    (void)what;
    struct connection *c = arg;
    ssize_t n = read(fd, shared, BUFFER_SIZE);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) { connection_free(c); return; }
    if (n < 0) return;
    size_t written;
    ssize_t left = write_out(fd, shared, 0, (size_t)n, &written);
    if (left < 0) { connection_free(c); return; }
    if (left > 0) {
        c->pending = malloc((size_t)left);
        memcpy(c->pending, shared + written, (size_t)left);
        c->pending_start = 0;
        c->pending_end = (size_t)left;
        event_del(c->read_event);
        event_add(c->write_event, NULL);
    }
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg) {
    (void)sa; (void)len; (void)arg;
    struct event_base *base = evconnlistener_get_base(l);
    struct connection *c = malloc(sizeof *c);
    c->fd = fd;
    c->pending = NULL;
    c->pending_start = c->pending_end = 0;
    send_immediately(fd);
    evutil_make_socket_nonblocking(fd);
    c->read_event = event_new(base, fd, EV_READ | EV_PERSIST, on_read, c);
    c->write_event = event_new(base, fd, EV_WRITE | EV_PERSIST, on_write, c);
    event_add(c->read_event, NULL);
}

int main(int argc, char **argv) {
    return serve_on_loopback(argc > 1 ? argv[1] : NULL, on_accept);
}
