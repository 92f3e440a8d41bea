/* The C echo peers' shared main: listen on 127.0.0.1:PORT (0: any free port), print the
 * `listening on` line the benchmark scripts wait for, and run the loop. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

/* TCP_NODELAY on an accepted socket, as echo-server and SwiftNIO set it: with Nagle's algorithm on,
 * one echo written in two parts makes every later echo on the connection wait for the client's next
 * message (3 ms per round trip at 64 connections x 4 KiB, 20k messages/s). */
static void send_immediately(evutil_socket_t fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int serve_on_loopback(const char *port_text, evconnlistener_cb on_accept) {
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port_text ? (uint16_t)atoi(port_text) : 0)};
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    struct event_base *base = event_base_new();
    struct evconnlistener *l = evconnlistener_new_bind(base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                                       511, (struct sockaddr *)&sin, sizeof sin);
    if (!l) { perror("bind"); return 1; }
    struct sockaddr_in bound; socklen_t blen = sizeof bound;
    getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&bound, &blen);
    printf("listening on 127.0.0.1:%d\n", ntohs(bound.sin_port));
    fflush(stdout);
    event_base_dispatch(base);
    return 0;
}
