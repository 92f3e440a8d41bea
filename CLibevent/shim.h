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

// Periodic timer descriptors (Linux timerfd): a kernel timer the loop watches like a socket, so the
// loop's wait for events needs no timeout of its own for it.
#ifdef __linux__
#include <stdint.h>
#include <sys/timerfd.h>
#endif

/// A non-blocking, close-on-exec timer descriptor on the monotonic clock, disarmed; -1 with errno
/// ENOSYS where the system has none.
static inline int shim_periodic_timer_open(void) {
#ifdef __linux__
    return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
#else
    errno = ENOSYS;
    return -1;
#endif
}

/// Makes `descriptor` readable every `period_us` microseconds from now (0 disarms it); 0 or -1.
static inline int shim_periodic_timer_set(int descriptor, long long period_us) {
#ifdef __linux__
    struct timespec period = { .tv_sec = (time_t)(period_us / 1000000), .tv_nsec = (long)(period_us % 1000000) * 1000 };
    struct itimerspec spec = { .it_interval = period, .it_value = period };
    return timerfd_settime(descriptor, 0, &spec, NULL);
#else
    (void)descriptor; (void)period_us;
    errno = ENOSYS;
    return -1;
#endif
}

/// Consumes the expirations `descriptor` reports, so that it is not readable until the next one.
static inline void shim_periodic_timer_drain(int descriptor) {
#ifdef __linux__
    uint64_t expirations;
    (void)!read(descriptor, &expirations, sizeof expirations);
#else
    (void)descriptor;
#endif
}

#endif
