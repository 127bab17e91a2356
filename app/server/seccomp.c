/*
 * The system calls cinerec's workers need beyond Kore's own seccomp filter:
 * SQLite (file I/O, locking, mmap), the libuv ingest thread (sockets, epoll,
 * eventfd), Kore tasks and the trainer (threads, file lock, priority, the
 * model file's rename), and the parent-death signal.  Found with
 * `seccomp_tracing yes`.  A call missing here kills the thread that makes
 * it (SIGSYS): the kernel's audit log names it (type=1326, syscall=N).
 */
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include <kore/kore.h>
#include <kore/seccomp.h>

void	kore_seccomp_hook(void);

KORE_SECCOMP_FILTER("cinerec",
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_ALLOW(pread64),
	KORE_SYSCALL_ALLOW(pwrite64),
	KORE_SYSCALL_ALLOW(fchown),
	KORE_SYSCALL_ALLOW(fchmod),
	KORE_SYSCALL_ALLOW(chmod),
	KORE_SYSCALL_ALLOW(fdatasync),
	KORE_SYSCALL_ALLOW(fsync),
	KORE_SYSCALL_ALLOW(ftruncate),
	KORE_SYSCALL_ALLOW(unlink),
	/* A trainer's published files are its own, linked (replica.c). */
	KORE_SYSCALL_ALLOW(link),
	KORE_SYSCALL_ALLOW(linkat),
	KORE_SYSCALL_ALLOW(mkdir),
	KORE_SYSCALL_ALLOW(mkdirat),
	KORE_SYSCALL_ALLOW(mremap),
	KORE_SYSCALL_ALLOW(clone),
	KORE_SYSCALL_ALLOW(clone3),
	KORE_SYSCALL_ALLOW(rseq),
	KORE_SYSCALL_ALLOW(set_robust_list),
	KORE_SYSCALL_ALLOW(gettid),
	KORE_SYSCALL_ALLOW(getrandom),
	KORE_SYSCALL_ALLOW(sched_getaffinity),
	/*
	 * libuv's loop spins with sched_yield while another thread is in
	 * the middle of uv_async_send (a token change, a stop): without it
	 * the ingest thread was killed, now and then, on a token change.
	 */
	KORE_SYSCALL_ALLOW(sched_yield),
	/* A stopped or traced worker resumes its interrupted sleeps. */
	KORE_SYSCALL_ALLOW(restart_syscall),
	KORE_SYSCALL_ALLOW(socket),
	KORE_SYSCALL_ALLOW(connect),
	KORE_SYSCALL_ALLOW(bind),
	KORE_SYSCALL_ALLOW(listen),
	KORE_SYSCALL_ALLOW(accept4),
	KORE_SYSCALL_ALLOW(getsockname),
	KORE_SYSCALL_ALLOW(getpeername),
	KORE_SYSCALL_ALLOW(setsockopt),
	KORE_SYSCALL_ALLOW(shutdown),
	KORE_SYSCALL_ALLOW(epoll_create1),
	KORE_SYSCALL_ALLOW(eventfd2),
	KORE_SYSCALL_ALLOW(pipe2),
	KORE_SYSCALL_ALLOW(recvfrom),
	KORE_SYSCALL_ALLOW(sendto),
	KORE_SYSCALL_ALLOW(flock),
	KORE_SYSCALL_ALLOW(setpriority),
	KORE_SYSCALL_ALLOW(rename),
	KORE_SYSCALL_ALLOW(renameat),
	KORE_SYSCALL_ALLOW(renameat2),
	/*
	 * librdkafka (the Kafka input, ingest/kafka.c): its threads name
	 * themselves, it reads its plugin and certificate directories and
	 * the credentials at start, and talks over sendmsg/recvmsg.
	 */
	KORE_SYSCALL_ALLOW_ARG(prctl, 0, PR_SET_NAME),
	KORE_SYSCALL_ALLOW(getgid),
	KORE_SYSCALL_ALLOW(getegid),
	KORE_SYSCALL_ALLOW(getdents64),
	KORE_SYSCALL_ALLOW(recvmsg),
	KORE_SYSCALL_ALLOW(sendmsg),
	KORE_SYSCALL_ALLOW(sendmmsg),	/* glibc's resolver: a broker's name */
	KORE_SYSCALL_ALLOW(getsockopt),
	KORE_SYSCALL_ALLOW(uname),	/* the consumer's name: its host */
	/* libuv's uv_poll_init sets the queue's pipe non-blocking so. */
	KORE_SYSCALL_ALLOW_ARG(ioctl, 1, FIONBIO),
	/* Workers die with the parent (main.c), and check that it lives. */
	KORE_SYSCALL_ALLOW_ARG(prctl, 0, PR_SET_PDEATHSIG),
	KORE_SYSCALL_ALLOW(getppid)
);
