#ifndef CLIBEVENT_SHIM_H
#define CLIBEVENT_SHIM_H

// System headers first: Debian's event-config.h defines _GNU_SOURCE, and a Swift file that imports
// both this module and Glibc fails on fd_set unless these come before the event2 headers.
#include <sys/types.h>
#include <sys/time.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>

// Macros Swift cannot import, as inline functions.

static inline struct event *shim_evtimer_new(struct event_base *base, event_callback_fn cb, void *arg) {
    return event_new(base, -1, 0, cb, arg);
}

static inline struct event *shim_evsignal_new(struct event_base *base, int signum, event_callback_fn cb, void *arg) {
    return event_new(base, signum, EV_SIGNAL | EV_PERSIST, cb, arg);
}

/// The `struct event *` passed to event_new as its own callback argument.
static inline void *shim_event_self_cbarg(void) {
    return event_self_cbarg();
}

// openat2(2) has no libc wrapper, and Swift cannot call the variadic syscall(2).
#include <errno.h>
#include <fcntl.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#endif

/// Opens `path` relative to the directory `directory`, refusing to resolve anywhere outside it
/// (openat2 with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: "..", absolute paths and symbolic links
/// that leave the directory fail with EXDEV). -1 with errno ENOSYS where the kernel or system has no
/// openat2.
static inline int shim_open_beneath(int directory, const char *path, int flags) {
#if defined(__linux__) && defined(SYS_openat2)
    struct open_how how = { .flags = (unsigned long long)flags, .mode = 0,
                            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
    return (int)syscall(SYS_openat2, directory, path, &how, sizeof how);
#else
    (void)directory; (void)path; (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

#endif
