/* The evhttp C peer of the HTTP benchmark: libevent's own HTTP server serving files from a
 * directory with evbuffer_add_file (sendfile), GET and HEAD, keep-alive as evhttp does it.
 * usage: evhttp-server PORT ROOT   (prints "listening on 127.0.0.1:PORT")
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root;

static void serve(struct evhttp_request *request, void *arg) {
    (void)arg;
    const char *uri = evhttp_request_get_uri(request);
    struct evhttp_uri *parsed = evhttp_uri_parse(uri);
    const char *path = parsed ? evhttp_uri_get_path(parsed) : NULL;
    char *decoded = path ? evhttp_uridecode(path, 0, NULL) : NULL;
    if (!decoded || strstr(decoded, "..")) {
        evhttp_send_error(request, HTTP_BADREQUEST, NULL);
        goto done;
    }
    char full[4096];
    snprintf(full, sizeof full, "%s%s", root, decoded);
    int fd = open(full, O_RDONLY);
    struct stat info;
    if (fd < 0 || fstat(fd, &info) < 0 || !S_ISREG(info.st_mode)) {
        if (fd >= 0) close(fd);
        evhttp_send_error(request, HTTP_NOTFOUND, NULL);
        goto done;
    }
    evhttp_add_header(evhttp_request_get_output_headers(request), "Content-Type", "application/octet-stream");
    struct evbuffer *body = evbuffer_new();
    evbuffer_add_file(body, fd, 0, info.st_size);
    evhttp_send_reply(request, HTTP_OK, "OK", body);
    evbuffer_free(body);
done:
    free(decoded);
    if (parsed) evhttp_uri_free(parsed);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: evhttp-server PORT ROOT\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    root = argv[2];
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_gencb(http, serve, NULL);
    struct evhttp_bound_socket *socket = evhttp_bind_socket_with_handle(http, "127.0.0.1", (uint16_t)atoi(argv[1]));
    if (!socket) { perror("bind"); return 1; }
    struct sockaddr_in bound; socklen_t length = sizeof bound;
    getsockname(evhttp_bound_socket_get_fd(socket), (struct sockaddr *)&bound, &length);
    printf("listening on 127.0.0.1:%d\n", ntohs(bound.sin_port));
    fflush(stdout);
    event_base_dispatch(base);
    return 0;
}
