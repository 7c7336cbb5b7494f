/*
 * ingest_load: HTTP/1.1 load generator for the Ingest benchmark (scripts/bench-ingest.sh).
 *
 *   ingest_load --port P --requests POOL --connections N --duration S [--warmup S]
 *               [--rate R] [--drain S] [--host 127.0.0.1] [--watch NAME=PID ...]
 *               [--expect STATUS] [--tick-us US] [--label TEXT] [--trace FILE]
 *
 * Sends pre-built, pre-signed requests (POOL, written by ingest_requests.py: the magic
 * "IGLP1\n", a little-endian u32 count, then per request a u32 length and the raw bytes)
 * over N keep-alive connections, one request outstanding per connection (no pipelining),
 * from one thread (epoll). The pool is used in order and cycled when exhausted.
 *
 * Two modes:
 *   closed loop (no --rate): every connection sends its next request as soon as the
 *     previous answer is complete. Counted: answers completed inside the measured window
 *     (after --warmup, for --duration seconds); latency = answer complete - request sent.
 *   open loop (--rate R): requests are scheduled every 1/R s on CLOCK_MONOTONIC whatever
 *     the answers do; a scheduled request goes out on an idle connection, or waits in a
 *     queue until one is idle. Latency = answer complete - SCHEDULED time, so time spent
 *     waiting for a connection (or for this program) counts: no coordinated omission.
 *     Counted: requests scheduled inside the measured window.
 * After the window no new request is sent; outstanding ones get --drain seconds (default
 * 10) to be answered, the rest are reported as unanswered.
 *
 * Every answer is parsed: status line, headers, a Content-Length or chunked body;
 * answers are matched to requests in order per connection. Anything else (a closed
 * connection with a request outstanding, bytes when nothing is outstanding, an unparsable
 * answer) is an error, counted, and the connection is reopened.
 *
 * --watch NAME=PID (repeatable): CPU seconds (user+system, /proc/PID/stat) of that process
 * and its threads over the measured window, plus the whole machine's busy time (/proc/stat).
 * --trace FILE: a CSV line per counted answer (start ms since launch, latency ms, status;
 * 0 for an error). --expect STATUS (202): the status the progress lines count as expected. --tick-us US
 * (open loop, default 0 = wake for every scheduled request): send what is due once per
 * tick, fewer wake-ups for this program, each request still timed from its own schedule.
 *
 * Prints one JSON object on stdout; progress once a second on stderr. Exit 0 when the run
 * completed (whatever the statuses), 1 on a setup error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define BENCH_TOOL_NAME "ingest-load"
#include "bench_common.h"

/* ---------- request pool ---------- */

static uint64_t pool_next; /* requests taken so far */

static void load_pool(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) die("cannot read %s", path);
    fclose(f);
    if (size < 10 || memcmp(buf, "IGLP1\n", 6) != 0) die("%s is not a request pool", path);
    uint32_t count;
    memcpy(&count, buf + 6, 4);
    if (count == 0) die("%s holds no request", path);
    pool = calloc(count, sizeof(request_t));
    long off = 10;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t len;
        if (off + 4 > size) die("%s is truncated", path);
        memcpy(&len, buf + off, 4);
        off += 4;
        if (len == 0 || off + len > size) die("%s is truncated", path);
        pool[i].data = buf + off;
        pool[i].len = len;
        off += len;
    }
    pool_count = count;
}

static const request_t *take_request(void) { return &pool[pool_next++ % pool_count]; }

/* ---------- counters and latency samples ---------- */

typedef struct {
    uint64_t status[600];  /* answers by status code */
    uint64_t errors;       /* connection closed/reset with a request outstanding, bad answers */
    uint64_t answered;
    int64_t *lat;          /* latency samples, ns */
    size_t lat_n, lat_cap;
} stats_t;

static void record(stats_t *s, int status, int64_t latency) {
    if (status >= 100 && status < 600) s->status[status]++;
    s->answered++;
    if (s->lat_n == s->lat_cap) {
        s->lat_cap = s->lat_cap ? s->lat_cap * 2 : 65536;
        s->lat = realloc(s->lat, s->lat_cap * sizeof(int64_t));
        if (!s->lat) die("out of memory");
    }
    s->lat[s->lat_n++] = latency;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* nearest rank */
static double pct_ms(const int64_t *sorted, size_t n, double p) {
    if (n == 0) return 0;
    size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)sorted[rank - 1] / 1e6;
}

/* ---------- connections ---------- */

typedef struct conn {
    int fd;
    int index;
    const request_t *req;  /* outstanding request, NULL when idle */
    uint32_t out_off;      /* bytes of req written */
    int64_t t_start;       /* latency origin: send time (closed) or scheduled time (open) */
    int counted;           /* the request belongs to the measured window (open loop) */
    input_t in;
    int want_out;
    struct conn *next_idle;
} conn_t;

static int epfd;
static int target_port;
static conn_t *conns;
static int nconns;
static conn_t *idle_head;
static uint64_t reconnects;

static void set_events(conn_t *c, int want_out) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    c->want_out = want_out;
}

static void open_conn(conn_t *c) {
    int fd = connect_loopback(target_port);
    if (fd < 0) die("connect: %s", strerror(errno));
    c->fd = fd;
    c->in.len = 0;
    c->req = NULL;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    c->want_out = 0;
}

static void close_conn(conn_t *c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
}

/* write what is left of the outstanding request; 0 ok, -1 connection broken */
static int flush_out(conn_t *c) {
    while (c->out_off < c->req->len) {
        ssize_t n = write(c->fd, c->req->data + c->out_off, c->req->len - c->out_off);
        if (n > 0) {
            c->out_off += (uint32_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            if (!c->want_out) set_events(c, 1);
            return 0;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return -1;
        }
    }
    if (c->want_out) set_events(c, 0);
    return 0;
}

/* ---------- the run ---------- */

static int64_t t_begin, t_window, t_window_end, t_drain_end;
static double rate;             /* 0: closed loop */
static int stopping;            /* past the window: no new request */
static stats_t win, all;        /* measured window; everything (warm-up and drain too) */
static uint64_t win_sent;       /* requests counted in the window (sent/scheduled) */
static uint64_t outstanding_counted;
static uint64_t inflight;       /* requests outstanding on connections */
static uint64_t window_errors_extra;

/* open loop */
static int64_t *queue;          /* scheduled times of requests waiting for a connection */
static size_t q_head, q_tail, q_cap, q_max;
static uint64_t sched_k;        /* next schedule index */
static int64_t t_sched0;        /* time of schedule index 0 */
static int64_t *lag;            /* send - scheduled, for counted requests */
static size_t lag_n, lag_cap;

static void q_push(int64_t t) {
    if (q_tail - q_head == q_cap) {
        size_t ncap = q_cap ? q_cap * 2 : 1024;
        int64_t *nq = malloc(ncap * sizeof(int64_t));
        for (size_t i = 0; i < q_tail - q_head; i++) nq[i] = queue[(q_head + i) % q_cap];
        q_tail -= q_head;
        q_head = 0;
        free(queue);
        queue = nq;
        q_cap = ncap;
    }
    queue[q_tail++ % q_cap] = t;
    if (q_tail - q_head > q_max) q_max = q_tail - q_head;
}

static int in_window(int64_t t) { return t >= t_window && t < t_window_end; }

static void start_request(conn_t *c, int64_t origin) {
    c->req = take_request();
    c->out_off = 0;
    c->t_start = origin;
    if (rate > 0) {
        c->counted = in_window(origin); /* counted in win_sent when scheduled */
        if (c->counted) {
            outstanding_counted++;
            if (lag_n == lag_cap) {
                lag_cap = lag_cap ? lag_cap * 2 : 65536;
                lag = realloc(lag, lag_cap * sizeof(int64_t));
            }
            lag[lag_n++] = now_ns() - origin;
        }
    } else {
        c->counted = 0;
        if (in_window(origin)) win_sent++;
    }
    inflight++;
    if (flush_out(c) < 0) {
        /* reported when the read side sees the connection closed */
        set_events(c, 0);
    }
}

/* give an idle connection work, or park it */
static void next_for(conn_t *c, int64_t now) {
    if (interrupted || (rate <= 0 && stopping)) {
        c->next_idle = idle_head;
        idle_head = c;
        return;
    }
    if (rate <= 0) {
        start_request(c, now);
    } else if (q_tail > q_head) { /* also after the window: scheduled requests still go out */
        int64_t t = queue[q_head++ % q_cap];
        start_request(c, t);
    } else {
        c->next_idle = idle_head;
        idle_head = c;
    }
}

static int64_t second_max; /* largest latency answered since the last progress line */
static FILE *trace;        /* --trace: one line per counted answer */

static void finish(conn_t *c, int status, int ok, int64_t now) {
    int64_t latency = now - c->t_start;
    if (latency > second_max) second_max = latency;
    if (ok) record(&all, status, latency);
    else all.errors++;
    int counted = rate > 0 ? c->counted : in_window(now);
    if (counted) {
        if (ok) record(&win, status, latency);
        else win.errors++;
        if (trace)
            fprintf(trace, "%.3f,%.3f,%d\n", (double)(c->t_start - t_begin) / 1e6, (double)latency / 1e6, ok ? status : 0);
    }
    if (rate > 0 && c->counted) outstanding_counted--;
    inflight--;
    c->req = NULL;
}

static void broken(conn_t *c, int64_t now) {
    if (c->req) finish(c, 0, 0, now);
    close_conn(c);
    reconnects++;
    if (!interrupted) {
        open_conn(c);
        next_for(c, now);
    }
}

static void on_readable(conn_t *c) {
    for (;;) {
        size_t room;
        ssize_t n = input_read(&c->in, c->fd, &room);
        int64_t now = now_ns();
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            broken(c, now);
            return;
        }
        if (n < 0) return;
        for (;;) {
            if (c->in.len == 0) break;
            if (!c->req) { /* bytes nobody asked for */
                broken(c, now);
                return;
            }
            int status = 0, close_after = 0;
            long used = http_response_length(c->in.data, c->in.len, &status, &close_after);
            if (used == 0) break;
            if (used < 0) {
                broken(c, now);
                return;
            }
            input_consume(&c->in, (size_t)used);
            if (status < 200) continue; /* 1xx: the real answer follows */
            finish(c, status, 1, now);
            if (c->in.len > 0) { /* bytes after the answer, with no request outstanding */
                all.errors++;
                if (in_window(now)) window_errors_extra++;
                close_conn(c);
                reconnects++;
                open_conn(c);
                next_for(c, now);
                return;
            }
            if (close_after) {
                close_conn(c);
                reconnects++;
                open_conn(c);
            }
            next_for(c, now);
            if (close_after) return;
        }
        if ((size_t)n < room) return; /* short read: nothing more for now */
    }
}

static void usage(void) {
    fprintf(stderr,
            "usage: ingest_load --port P --requests POOL --connections N --duration S [--warmup S] [--rate R]\n"
            "                   [--drain S] [--tick-us US] [--expect STATUS] [--host 127.0.0.1] [--watch NAME=PID ...]\n"
            "                   [--label TEXT] [--trace FILE]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *pool_path = NULL, *label = "";
    int port = 0;
    double duration = 15, warmup = 3, drain = 10, tick_us = 0;
    int expect = 202;
    nconns = 64;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) usage();
        if (!v) usage();
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--requests")) pool_path = v;
        else if (!strcmp(a, "--connections")) nconns = atoi(v);
        else if (!strcmp(a, "--duration")) duration = atof(v);
        else if (!strcmp(a, "--warmup")) warmup = atof(v);
        else if (!strcmp(a, "--drain")) drain = atof(v);
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--tick-us")) tick_us = atof(v);
        else if (!strcmp(a, "--expect")) expect = atoi(v);
        else if (!strcmp(a, "--trace")) {
            trace = fopen(v, "w");
            if (!trace) die("cannot write %s: %s", v, strerror(errno));
            fprintf(trace, "start_ms,latency_ms,status\n");
        }
        else if (!strcmp(a, "--label")) label = v;
        else if (!strcmp(a, "--watch")) {
            if (!add_watch(v)) usage();
        } else usage();
        i++;
    }
    if (port <= 0 || !pool_path || nconns <= 0 || duration <= 0 || warmup < 0 || rate < 0) usage();
    if (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0) die("only 127.0.0.1 is allowed");
    ticks_per_s = sysconf(_SC_CLK_TCK);

    install_signal_handlers();

    load_pool(pool_path);
    target_port = port;

    epfd = epoll_create1(0);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &tev);

    conns = calloc((size_t)nconns, sizeof(conn_t));
    for (int i = 0; i < nconns; i++) {
        conns[i].index = i;
        open_conn(&conns[i]);
    }

    t_begin = now_ns();
    t_window = t_begin + (int64_t)(warmup * NS);
    t_window_end = t_window + (int64_t)(duration * NS);
    t_drain_end = t_window_end + (int64_t)(drain * NS);
    t_sched0 = t_begin;
    int64_t interval = rate > 0 ? (int64_t)((double)NS / rate) : 0;
    int64_t tick = (int64_t)(tick_us * 1000);
    uint64_t last_k = rate > 0 ? (uint64_t)((double)(t_window_end - t_begin) * rate / NS) : 0;

    fprintf(stderr, "[ingest-load] %s%s%d connections, %s, warm-up %.0f s, measured %.0f s, pool of %u requests\n",
            label, *label ? ": " : "", nconns, rate > 0 ? "open loop" : "closed loop", warmup, duration, pool_count);
    if (rate > 0) fprintf(stderr, "[ingest-load] rate %.0f/s\n", rate);

    if (rate <= 0) {
        for (int i = 0; i < nconns; i++) start_request(&conns[i], now_ns());
    } else {
        for (int i = nconns - 1; i >= 0; i--) {
            conns[i].next_idle = idle_head;
            idle_head = &conns[i];
        }
    }

    int window_started = 0;
    int64_t next_progress = t_begin + NS;
    uint64_t last_answered = 0;
    struct epoll_event events[256];

    for (;;) {
        int64_t now = now_ns();
        if (!window_started && now >= t_window) {
            window_started = 1;
            mark_window_cpu(0);
        }
        if (!stopping && now >= t_window_end) {
            stopping = 1;
            mark_window_cpu(1);
            /* queued requests never sent: they were scheduled, so they count as unanswered */
        }
        /* open loop: schedule what is due */
        if (rate > 0 && !stopping && !interrupted) {
            while (sched_k < last_k) {
                int64_t t = t_sched0 + (int64_t)sched_k * interval;
                if (t > now) break;
                sched_k++;
                if (in_window(t)) win_sent++; /* counted when scheduled; send lag recorded when sent */
                if (idle_head && q_tail == q_head) {
                    conn_t *c = idle_head;
                    idle_head = c->next_idle;
                    start_request(c, t);
                } else {
                    q_push(t);
                }
            }
        }
        if (now >= next_progress) {
            uint64_t unexpected = 0;
            for (int s = 100; s < 600; s++) if (s != expect) unexpected += all.status[s];
            fprintf(stderr, "[ingest-load] %4.0f s: %6" PRIu64 " answers/s, max latency %7.1f ms, not %d so far %" PRIu64
                    ", errors %" PRIu64 "%s\n",
                    (double)(now - t_begin) / NS, all.answered - last_answered, (double)second_max / 1e6, expect, unexpected,
                    all.errors,
                    rate > 0 && q_tail > q_head ? " (requests waiting for a connection)" : "");
            second_max = 0;
            last_answered = all.answered;
            next_progress += NS;
        }
        int busy = inflight > 0 || (rate > 0 && !interrupted && q_tail > q_head);
        if ((stopping || interrupted) && !busy) break;
        if (now >= t_drain_end || (interrupted && now >= t_window_end)) break;
        if (interrupted && !window_started) break;

        int64_t wake = stopping ? t_drain_end : t_window_end;
        if (!window_started && t_window < wake) wake = t_window;
        if (rate > 0 && !stopping && sched_k < last_k) {
            int64_t t = t_sched0 + (int64_t)sched_k * interval;
            if (tick > 0) t = t_begin + ((t - t_begin + tick - 1) / tick) * tick; /* batch sends per tick */
            if (t < wake) wake = t;
        }
        if (next_progress < wake) wake = next_progress;
        arm(tfd, wake);
        int n = epoll_wait(epfd, events, 256, interrupted ? 100 : -1);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            conn_t *c = events[i].data.ptr;
            if (!c) {
                uint64_t expirations;
                ssize_t r = read(tfd, &expirations, sizeof expirations);
                (void)r;
                continue;
            }
            if (c->fd < 0) continue;
            if ((events[i].events & EPOLLOUT) && c->req && c->out_off < c->req->len) {
                if (flush_out(c) < 0) {
                    broken(c, now_ns());
                    continue;
                }
            }
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c);
        }
    }
    if (!stopping) mark_window_cpu(1); /* interrupted before the end of the window */
    int64_t t_finished = now_ns();

    /* unanswered: counted requests still outstanding, or still queued */
    uint64_t unanswered = 0;
    if (rate > 0) {
        unanswered = outstanding_counted;
        for (size_t i = q_head; i < q_tail; i++) if (in_window(queue[i % q_cap])) unanswered++;
    } else {
        unanswered = inflight;
    }
    win.errors += window_errors_extra;

    qsort(win.lat, win.lat_n, sizeof(int64_t), cmp64);
    if (lag_n) qsort(lag, lag_n, sizeof(int64_t), cmp64);
    double measured = (double)(t_window_end - t_window) / NS;
    if (interrupted && t_finished < t_window_end) measured = (double)(t_finished - t_window) / NS;
    uint64_t non202 = 0, all_non202 = 0;
    for (int s = 100; s < 600; s++) {
        if (s == 202) continue;
        non202 += win.status[s];
        all_non202 += all.status[s];
    }
    double sum = 0;
    for (size_t i = 0; i < win.lat_n; i++) sum += (double)win.lat[i];

    printf("{\"label\":\"%s\",\"mode\":\"%s\",\"connections\":%d,\"rate\":%.1f,\"warmup_s\":%.3f,\"measured_s\":%.3f,",
           label, rate > 0 ? "open" : "closed", nconns, rate, warmup, measured);
    printf("\"expected_status\":%d,\"pool\":%u,\"requests_taken\":%" PRIu64 ",\"interrupted\":%s,", expect, pool_count, pool_next, interrupted ? "true" : "false");
    printf("\"window\":{\"sent\":%" PRIu64 ",\"answered\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"non_202\":%" PRIu64
           ",\"errors\":%" PRIu64 ",\"unanswered\":%" PRIu64 ",",
           win_sent, win.answered, win.status[202], non202, win.errors, unanswered);
    printf("\"accepted_per_s\":%.1f,\"answered_per_s\":%.1f,\"statuses\":{", (double)win.status[202] / measured,
           (double)win.answered / measured);
    int first = 1;
    for (int s = 100; s < 600; s++)
        if (win.status[s]) { printf("%s\"%d\":%" PRIu64, first ? "" : ",", s, win.status[s]); first = 0; }
    printf("},\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f}},",
           pct_ms(win.lat, win.lat_n, 50), pct_ms(win.lat, win.lat_n, 90), pct_ms(win.lat, win.lat_n, 99),
           pct_ms(win.lat, win.lat_n, 99.9), win.lat_n ? (double)win.lat[win.lat_n - 1] / 1e6 : 0,
           win.lat_n ? sum / (double)win.lat_n / 1e6 : 0);
    printf("\"whole_run\":{\"answered\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"non_202\":%" PRIu64 ",\"errors\":%" PRIu64
           ",\"reconnects\":%" PRIu64 "},",
           all.answered, all.status[202], all_non202, all.errors, reconnects);
    if (rate > 0)
        printf("\"send_lag_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"max_waiting\":%zu,",
               pct_ms(lag, lag_n, 50), pct_ms(lag, lag_n, 99), lag_n ? (double)lag[lag_n - 1] / 1e6 : 0, q_max);
    print_window_cpu(measured);
    printf("}\n");
    fflush(stdout);
    if (trace) fclose(trace);
    return 0;
}
