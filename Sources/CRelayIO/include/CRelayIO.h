#ifndef CRELAY_IO_H
#define CRELAY_IO_H

#include <netinet/in.h>
#include <poll.h>

// The loopback relay's few system calls that Swift's Glibc module does not export (GNU
// extensions, or macros such as CMSG_FIRSTHDR). Each returns what the call returns; -1 sets errno.

/// poll(2) with a timeout in nanoseconds (ppoll). A negative timeout waits without limit.
int concord_poll_nanoseconds(struct pollfd *fds, unsigned long count, long long timeout_nanoseconds);

/// The calling thread's timer slack (how late the kernel may wake it so as to batch wake-ups;
/// 50 µs by default), through prctl(PR_SET_TIMERSLACK).
int concord_set_timer_slack_nanoseconds(unsigned long nanoseconds);

/// Puts the calling thread in the SCHED_FIFO class at `priority` (needs CAP_SYS_NICE or an
/// RLIMIT_RTPRIO that allows it). Returns 0, or the error number.
int concord_set_realtime_priority(int priority);

/// Asks the kernel to stamp each datagram `fd` receives with its arrival time (SO_TIMESTAMPNS).
int concord_enable_receive_timestamps(int fd);

/// recvmsg(2) without blocking: the datagram into `buffer`, its sender into `from`, and in
/// `arrival_realtime_nanoseconds` the kernel's arrival stamp (CLOCK_REALTIME), or -1 if there was
/// none. Returns the datagram's length, or -1 (errno EAGAIN when nothing is waiting).
long concord_receive(int fd, void *buffer, unsigned long length, struct sockaddr_in *from,
                     long long *arrival_realtime_nanoseconds);

#endif
