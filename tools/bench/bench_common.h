/*
 * bench_common.h: what the C load generators (ingest_load.c, bridge_load.c) share:
 * monotonic time, CPU and memory of processes from /proc and the measured window's CPU
 * (--watch NAME=PID), a timerfd alarm, an error exit, the SIGINT/SIGTERM flag, the pool of
 * ready HTTP requests, loopback connections, and reading and framing HTTP/1.x answers.
 * Header-only: each tool is one translation unit.
 *
 * Before including it, a tool defines BENCH_TOOL_NAME (its name in error messages).
 * It must set ticks_per_s = sysconf(_SC_CLK_TCK) at start.
 */
#ifndef CALLBRIDGE_BENCH_COMMON_H
#define CALLBRIDGE_BENCH_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_TOOL_NAME
#error "define BENCH_TOOL_NAME before including bench_common.h"
#endif

#define NS 1000000000LL

static long ticks_per_s;
static volatile sig_atomic_t interrupted;

static inline void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[" BENCH_TOOL_NAME "] error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static inline void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n);
    if (!q && n) die("out of memory");
    return q;
}

static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* user + system CPU seconds of a process and its threads, from /proc/PID/stat; -1 if gone */
static inline double proc_cpu_seconds(int pid) {
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    /* fields after ')': 3 state ... 14 utime 15 stime */
    unsigned long long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
    return (double)(utime + stime) / (double)ticks_per_s;
}

/* resident set size of a process in kB, from /proc/PID/status; -1 if gone */
static inline long proc_rss_kb(int pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* whole machine: busy and total CPU seconds from /proc/stat */
static inline void machine_cpu(double *busy, double *total) {
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[10] = {0};
    if (f) {
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7], &v[8], &v[9]) < 8) memset(v, 0, sizeof v);
        fclose(f);
    }
    unsigned long long idle = v[3] + v[4], all = 0;
    for (int i = 0; i < 8; i++) all += v[i]; /* guest time is already in user */
    *busy = (double)(all - idle) / (double)ticks_per_s;
    *total = (double)all / (double)ticks_per_s;
}

static inline double self_cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* arms a timerfd for the absolute CLOCK_MONOTONIC time `at` (ns) */
static inline void arm(int tfd, int64_t at) {
    struct itimerspec its = {0};
    if (at <= 0) at = 1;
    its.it_value.tv_sec = at / NS;
    its.it_value.tv_nsec = at % NS;
    if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) die("timerfd_settime: %s", strerror(errno));
}

static inline void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

/* SIGINT and SIGTERM set `interrupted`; a peer's reset is an error on the socket, not a signal. */
static inline void install_signal_handlers(void) {
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---------- processes watched over the measured window (--watch NAME=PID) ---------- */

#define MAX_WATCH 16

typedef struct {
    char name[32];
    int pid;
    double cpu_start, cpu_end; /* CPU seconds at the window's start and end; -1 when gone */
    long rss_start_kb, rss_ready_kb, rss_end_kb, rss_peak_kb;
} watch_t;

static watch_t watches[MAX_WATCH];
static int watch_count;

/* --watch NAME=PID; 0 when v has no '=' or MAX_WATCH processes are watched already. */
static inline int add_watch(const char *v) {
    const char *eq = strchr(v, '=');
    if (!eq || watch_count == MAX_WATCH) return 0;
    watch_t *w = &watches[watch_count++];
    snprintf(w->name, sizeof w->name, "%.*s", (int)(eq - v), v);
    w->pid = atoi(eq + 1);
    return 1;
}

/* CPU seconds at the measured window's start (window_cpu[0]) and end (window_cpu[1]). */
static struct {
    double self, machine_busy, machine_total;
} window_cpu[2];

/* Marks the window's start (end = 0) or end (end = 1): this process's CPU, the machine's,
 * and each watched process's. */
static inline void mark_window_cpu(int end) {
    window_cpu[end].self = self_cpu_seconds();
    machine_cpu(&window_cpu[end].machine_busy, &window_cpu[end].machine_total);
    for (int i = 0; i < watch_count; i++) {
        double seconds = proc_cpu_seconds(watches[i].pid);
        if (end) watches[i].cpu_end = seconds;
        else watches[i].cpu_start = seconds;
    }
}

/* `"cpu":{"window_s":…,"machine_busy_s":…,"machine_total_s":…,"load_generator_s":…,"NAME_s":…}`,
 * over the window marked by mark_window_cpu; -1 for a watched process that was gone. */
static inline void print_window_cpu(double window_s) {
    printf("\"cpu\":{\"window_s\":%.3f,\"machine_busy_s\":%.3f,\"machine_total_s\":%.3f,\"load_generator_s\":%.3f", window_s,
           window_cpu[1].machine_busy - window_cpu[0].machine_busy, window_cpu[1].machine_total - window_cpu[0].machine_total,
           window_cpu[1].self - window_cpu[0].self);
    for (int i = 0; i < watch_count; i++)
        printf(",\"%s_s\":%.3f", watches[i].name,
               watches[i].cpu_start >= 0 && watches[i].cpu_end >= 0 ? watches[i].cpu_end - watches[i].cpu_start : -1.0);
    printf("}");
}

/* ---------- HTTP/1.1 requests and answers over loopback ---------- */

/* A request ready to be written as it is. */
typedef struct {
    const char *data;
    uint32_t len;
} request_t;

static request_t *pool;
static uint32_t pool_count;

/* A blocking connect to 127.0.0.1:port, then Nagle off and non-blocking; -1 (errno set) when
 * the connection is refused. */
static inline int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int error = errno;
        close(fd);
        errno = error;
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* What a connection has read and not yet used. */
typedef struct {
    char *data;
    size_t len, cap;
} input_t;

/* One read of fd into `in`, with at least 4 KiB free (it grows); read()'s result. *room is
 * what the read was offered: fewer bytes than that means the socket has nothing more now. */
static inline ssize_t input_read(input_t *in, int fd, size_t *room) {
    if (in->cap - in->len < 4096) {
        in->cap = in->cap ? in->cap * 2 : 8192;
        in->data = xrealloc(in->data, in->cap);
    }
    *room = in->cap - in->len;
    ssize_t n = read(fd, in->data + in->len, *room);
    if (n > 0) in->len += (size_t)n;
    return n;
}

/* Drops the first `used` bytes (an answer that was handled). */
static inline void input_consume(input_t *in, size_t used) {
    memmove(in->data, in->data + used, in->len - used);
    in->len -= used;
}

/* One HTTP/1.x answer at the start of buf[0..len): its length in bytes once complete, 0 while
 * incomplete, -1 when it is not HTTP this tool can follow. Sets *status, and *close_after when
 * the server will close the connection after it. Content-Length and chunked bodies; bodyless
 * statuses (1xx, 204, 304). */
static inline long http_response_length(char *buf, size_t len, int *status, int *close_after) {
    char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end) return len > 65536 ? -1 : 0;
    size_t head = (size_t)(end - buf) + 4;
    if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ') return -1;
    int code = 0;
    for (int i = 9; i < 12; i++) {
        if (buf[i] < '0' || buf[i] > '9') return -1;
        code = code * 10 + (buf[i] - '0');
    }
    long content_length = -1;
    int chunked = 0;
    *close_after = buf[7] == '0'; /* HTTP/1.0 closes unless keep-alive */
    char *line = memchr(buf, '\n', head) + 1;
    while (line < buf + head - 2) {
        char *eol = memchr(line, '\n', (size_t)(buf + head - line));
        size_t l = (size_t)(eol - line);
        if (l >= 15 && strncasecmp(line, "content-length:", 15) == 0) {
            char *p = line + 15;
            while (*p == ' ' || *p == '\t') p++;
            if (*p < '0' || *p > '9') return -1;
            content_length = strtol(p, NULL, 10);
        } else if (l >= 18 && strncasecmp(line, "transfer-encoding:", 18) == 0) {
            if (memmem(line, l, "chunked", 7)) chunked = 1;
        } else if (l >= 11 && strncasecmp(line, "connection:", 11) == 0) {
            if (memmem(line, l, "close", 5)) *close_after = 1;
            if (memmem(line, l, "keep-alive", 10)) *close_after = 0;
        }
        line = eol + 1;
    }
    *status = code;
    if (code < 200 || code == 204 || code == 304) return (long)head;
    if (chunked) {
        size_t pos = head;
        for (;;) {
            char *eol = memmem(buf + pos, len - pos, "\r\n", 2);
            if (!eol) return 0;
            char *stop;
            long size = strtol(buf + pos, &stop, 16);
            if (stop == buf + pos || size < 0) return -1;
            pos = (size_t)(eol - buf) + 2;
            if (size == 0) {
                /* trailers end with an empty line */
                for (;;) {
                    char *e = memmem(buf + pos, len - pos, "\r\n", 2);
                    if (!e) return 0;
                    size_t l = (size_t)(e - (buf + pos));
                    pos += l + 2;
                    if (l == 0) return (long)pos;
                }
            }
            if (len < pos + (size_t)size + 2) return 0;
            pos += (size_t)size + 2;
        }
    }
    if (content_length < 0) return -1; /* body until close: not what a keep-alive server sends */
    if (len < head + (size_t)content_length) return 0;
    return (long)(head + (size_t)content_length);
}

#endif
