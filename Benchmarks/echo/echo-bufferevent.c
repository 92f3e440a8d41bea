/* The C peer: an echo server on libevent socket bufferevents, the same shape as the Swift
 * readiness echo (evconnlistener, bufferevent_socket_new, move input to output).
 * usage: echo-bufferevent PORT   (prints "listening on 127.0.0.1:PORT")
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include "listen.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_read(struct bufferevent *bev, void *arg) {
    (void)arg;
    evbuffer_add_buffer(bufferevent_get_output(bev), bufferevent_get_input(bev));
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
    (void)what; (void)arg;
    bufferevent_free(bev);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg) {
    (void)sa; (void)len; (void)arg;
    send_immediately(fd);
    struct bufferevent *bev = bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, on_read, NULL, on_event, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int main(int argc, char **argv) {
    return serve_on_loopback(argc > 1 ? argv[1] : NULL, on_accept);
}
