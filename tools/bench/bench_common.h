/*
 * bench_common.h: what the C load generators (ingest_load.c, bridge_load.c) share:
 * monotonic time, CPU and memory of processes from /proc, a timerfd alarm, an error exit,
 * the SIGINT/SIGTERM flag, the framing of an HTTP/1.x answer and the --watch NAME=PID option. Header-only: each tool is one translation unit.
 *
 * Before including it, a tool defines BENCH_TOOL_NAME (its name in error messages).
 * It must set ticks_per_s = sysconf(_SC_CLK_TCK) at start.
 */
#ifndef CALLBRIDGE_BENCH_COMMON_H
#define CALLBRIDGE_BENCH_COMMON_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>

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

/* --watch NAME=PID: copies NAME into name[cap] and sets *pid; 0 when v has no '='. */
static inline int parse_watch(const char *v, char *name, size_t cap, int *pid) {
    const char *eq = strchr(v, '=');
    if (!eq) return 0;
    snprintf(name, cap, "%.*s", (int)(eq - v), v);
    *pid = atoi(eq + 1);
    return 1;
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
