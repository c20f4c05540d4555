#define _GNU_SOURCE
#include "CRelayIO.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int concord_poll_nanoseconds(struct pollfd *fds, unsigned long count, long long timeout_nanoseconds) {
#ifdef __linux__
    if (timeout_nanoseconds < 0) return ppoll(fds, (nfds_t)count, NULL, NULL);
    struct timespec timeout = {
        .tv_sec = (time_t)(timeout_nanoseconds / 1000000000LL),
        .tv_nsec = (long)(timeout_nanoseconds % 1000000000LL),
    };
    return ppoll(fds, (nfds_t)count, &timeout, NULL);
#else
    int ms = timeout_nanoseconds < 0 ? -1 : (int)((timeout_nanoseconds + 999999LL) / 1000000LL);
    return poll(fds, (nfds_t)count, ms);
#endif
}

int concord_set_timer_slack_nanoseconds(unsigned long nanoseconds) {
#ifdef __linux__
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
#else
    (void)nanoseconds;
    errno = ENOSYS;
    return -1;
#endif
}

int concord_set_realtime_priority(int priority) {
    struct sched_param parameters;
    memset(&parameters, 0, sizeof parameters);
    parameters.sched_priority = priority;
    return pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters);
}

int concord_enable_receive_timestamps(int fd) {
#ifdef SO_TIMESTAMPNS
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
#else
    (void)fd;
    errno = ENOPROTOOPT;
    return -1;
#endif
}

long concord_receive(int fd, void *buffer, unsigned long length, struct sockaddr_in *from,
                     long long *arrival_realtime_nanoseconds) {
    struct iovec part = {.iov_base = buffer, .iov_len = length};
    union {
        char bytes[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } control;
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_name = from;
    message.msg_namelen = sizeof *from;
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control.bytes;
    message.msg_controllen = sizeof control.bytes;
    *arrival_realtime_nanoseconds = -1;
    ssize_t count = recvmsg(fd, &message, MSG_DONTWAIT);
    if (count < 0) return -1;
#ifdef SCM_TIMESTAMPNS
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
            *arrival_realtime_nanoseconds = (long long)stamp.tv_sec * 1000000000LL + stamp.tv_nsec;
        }
    }
#endif
    return (long)count;
}
