/*
 * bridge_load: WebSocket fan-out load tool for the Bridge benchmark (scripts/bench-bridge.sh).
 *
 * One thread, epoll. Holds N WebSocket subscribers on a Bridge (or on the python-socketio
 * comparison server) while it sends signed webhooks to Ingest, and measures what reaches
 * the subscribers: frames delivered per second, end-to-end latency (webhook sent -> frame
 * received) and whether every subscriber got every event of its room. `--help` for usage.
 *
 * Protocols (--protocol):
 *   ws   the Bridge's plain JSON protocol: GET /ws, token in `Authorization: Bearer`; a
 *        subscriber is ready once its `snapshot` arrived; events are {"type":"event",…}.
 *   sio  Socket.IO v4 over WebSocket: GET /socket.io/?EIO=4&transport=websocket; after the
 *        Engine.IO open packet `0{…}` the client sends `40{"token":…}`, expects `40{…}`, then
 *        `42["calls:snapshot",…]` (ready); events are 42["call:started"|"call:ended",{…}];
 *        Engine.IO ping `2` is answered `3`.
 * The upgrade is done by hand (Sec-WebSocket-Accept checked); client frames are masked
 * (RFC 6455); server frames may be fragmented; WebSocket pings are answered with pongs.
 *
 * Subscribers: --admin N with an admin token, --clients N with client tokens, client
 * subscriber j in room client:<prefix><j mod K> (--client-ids K, --client-prefix client-).
 * Tokens are HS256 JWTs (exp in 6 h) signed here with BRIDGE_JWT_SECRET (env).
 * Several --port values (comma-separated) spread the subscribers round-robin over servers.
 *
 * Webhooks (--ingest-port P): signed `generic` webhooks, built and signed here before any
 * timing with GENERIC_WEBHOOK_SECRET (env), as tools/bench/ingest_requests.py builds them,
 * except that they come in pairs: webhook 2k starts call bench-<TAG>-<k> and webhook 2k+1
 * ends it (clientId <prefix><k mod K>), so the servers' active-call state stays small as with
 * real traffic, and a frame's callId and type name the webhook that caused it. They are sent
 * in order, open loop, at --rate R per second on CLOCK_MONOTONIC (whatever the answers do)
 * over --senders keep-alive connections; one request outstanding per connection, a due
 * request waits for an idle one. The send time of a webhook is the moment its bytes are
 * written; the send lag (written - scheduled) is reported. --warmup S, then --duration S
 * measured, then no new webhook; up to --drain S for the outstanding answers and frames.
 *
 * Measured:
 *   frames/s: event frames received (all subscribers) inside the measured window;
 *   latency: receive time (after the read() that brought the frame) - send time of the
 *     webhook, for every frame of every event scheduled inside the window (those received
 *     during the drain included); log-linear histogram, 0.2 % precision; a frame still not
 *     delivered at the end of the drain counts as infinitely late (a percentile that falls
 *     among those is null);
 *   Ingest's answer: webhook written -> answer read, for the window's 202s (Ingest answers 202
 *     once Kafka acknowledged the event, so this is the Ingest + produce part of the path);
 *   delivery: per subscriber, a bitmap of the events received: missing (an event Ingest
 *     answered 202 that the subscriber's room should have got, not received by the end of
 *     the drain), duplicates, misrouted (another client's event), foreign (events of
 *     other runs/tags);
 *   --watch NAME=PID: CPU seconds over the window and RSS (VmRSS) of that process;
 *   --frame-times FILE: for the Bridge's own share of the latency (bridge_report.py share),
 *     every window frame's receive time and every webhook's send time, on CLOCK_REALTIME so
 *     that they compare with a Kafka consumer's clock in another process. Binary, native
 *     int64s: the webhook count W, W send times (0: not sent), the frame count F, then F
 *     pairs (webhook index, receive time).
 *
 * Idle mode (no --ingest-port): connect the subscribers, wait until all are ready, write
 * --ready-file, record the watched processes' RSS after --settle S, and hold the
 * connections (answering pings) for --hold S or until SIGINT/SIGTERM.
 *
 * Prints one JSON object on stdout; progress once a second on stderr. Exit 0 when the run
 * completed (whatever the figures), 1 on a setup error (a subscriber that cannot connect
 * or is refused, Ingest unreachable).
 *
 * Build: gcc -O2 -Wall -Wextra -o bridge_load tools/bench/bridge_load.c -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
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

#define BENCH_TOOL_NAME "bridge-load"
#include "bench_common.h"

#define MAX_PORTS 16
#define READ_BUF (512 * 1024)

/* ---------- latency histogram (log-linear, ns, 1/512 precision) ---------- */

#define H_SUB 1024
#define H_HALF 512
#define H_BUCKETS (H_SUB + 48 * H_HALF)

typedef struct {
    uint64_t counts[H_BUCKETS];
    uint64_t n;
    int64_t max;
    double sum;
} hist_t;

static int h_index(int64_t v) {
    if (v < 0) v = 0;
    if (v < H_SUB) return (int)v;
    int msb = 63 - __builtin_clzll((unsigned long long)v);
    int shift = msb - 9; /* v >> shift in [512, 1023] */
    int idx = H_SUB + (shift - 1) * H_HALF + (int)((v >> shift) - H_HALF);
    return idx < H_BUCKETS ? idx : H_BUCKETS - 1;
}

static int64_t h_value(int idx) { /* upper bound of the bucket */
    if (idx < H_SUB) return idx;
    int shift = (idx - H_SUB) / H_HALF + 1;
    int64_t m = (idx - H_SUB) % H_HALF + H_HALF;
    return ((m + 1) << shift) - 1;
}

static void h_record(hist_t *h, int64_t v) {
    h->counts[h_index(v)]++;
    h->n++;
    if (v > h->max) h->max = v;
    h->sum += (double)v;
}

/* nearest rank over h->n + never values (frames never delivered: +infinity); -1 when the rank
   falls among those */
static double h_pct_ms_of(const hist_t *h, double p, uint64_t never) {
    uint64_t total = h->n + never;
    if (total == 0) return 0;
    uint64_t rank = (uint64_t)((p / 100.0) * (double)total + 0.999999999);
    if (rank > h->n) return -1;
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < H_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            int64_t v = h_value(i);
            if (v > h->max) v = h->max;
            return (double)v / 1e6;
        }
    }
    return (double)h->max / 1e6;
}

static double h_pct_ms(const hist_t *h, double p) { return h_pct_ms_of(h, p, 0); }

static void print_ms(const char *key, double v, int comma) { /* null for "never delivered" */
    if (v < 0) printf("\"%s\":null%s", key, comma ? "," : "");
    else printf("\"%s\":%.3f%s", key, v, comma ? "," : "");
}

/* ---------- CPU and memory of watched processes ---------- */

static void sample_rss(int which) { /* 0 start, 1 ready, 2 end, 3 peak only */
    for (int i = 0; i < watch_count; i++) {
        long kb = proc_rss_kb(watches[i].pid);
        if (kb > watches[i].rss_peak_kb) watches[i].rss_peak_kb = kb;
        if (which == 0) watches[i].rss_start_kb = kb;
        else if (which == 1) watches[i].rss_ready_kb = kb;
        else if (which == 2) watches[i].rss_end_kb = kb;
    }
}

/* ---------- base64, JWT ---------- */

static void b64url(const unsigned char *in, int len, char *out) {
    int n = EVP_EncodeBlock((unsigned char *)out, in, len);
    int j = 0;
    for (int i = 0; i < n; i++) {
        char c = out[i];
        if (c == '=') break;
        out[j++] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    out[j] = 0;
}

static char *make_jwt(const char *secret, const char *claims) {
    const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    size_t cap = 4 * (strlen(header) + strlen(claims)) + 200;
    char *tok = malloc(cap);
    char *h = malloc(cap), *c = malloc(cap);
    b64url((const unsigned char *)header, (int)strlen(header), h);
    b64url((const unsigned char *)claims, (int)strlen(claims), c);
    snprintf(tok, cap, "%s.%s", h, c);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)tok, strlen(tok), mac, &mac_len);
    char sig[128];
    b64url(mac, (int)mac_len, sig);
    size_t l = strlen(tok);
    snprintf(tok + l, cap - l, ".%s", sig);
    free(h);
    free(c);
    return tok;
}

/* ---------- configuration ---------- */

enum { PROTO_WS, PROTO_SIO };
static int protocol = PROTO_SIO;
static const char *path_override;
static int ports[MAX_PORTS], nports;
static int n_admin, n_clients, n_client_ids = 50;
static const char *client_prefix = "client-";
static int connect_concurrency = 200;
static double connect_timeout = 180;
static int ingest_port;
static int sending; /* --ingest-port given: webhooks and frames; else idle mode */
static double rate = 1000;
static int n_senders = 64;
static double warmup = 3, duration = 15, drain = 30, hold = 0, settle = 2, pre_send = 1;
static const char *tag = "";
static const char *ready_file;
static const char *label = "";
static char **tokens; /* [0] admin, [1 + k] client k */
static char call_prefix[128];
static size_t call_prefix_len;

/* ---------- request pool ---------- */

/*
 * Webhook n (0-based) is a `generic` webhook for call k = n / 2: `call.started` when n is
 * even, `call.ended` (duration, end reason) when odd, so every call that starts also ends
 * and the servers' active-call state stays small, as with real traffic. callId
 * bench-<TAG>-<k>, clientId <prefix><k mod K>, a `from` number (Ingest computes the caller
 * hash). Signed like the generic provider wants: X-Signature: t=<unix s>,v1=<hex
 * HMAC-SHA256(secret, "<t>.<raw body>")>, all with the same t (the time the pool is built,
 * before any timing), so a run must finish within Ingest's tolerance (300 s).
 */
static void build_pool(uint32_t count, const char *secret) {
    pool = calloc(count, sizeof(request_t));
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char iso[32], t[24];
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(t, sizeof t, "%ld", (long)now);
    size_t bytes = 0;
    for (uint32_t n = 0; n < count; n++) {
        uint32_t k = n / 2;
        char body[512];
        int bl = snprintf(body, sizeof body,
                          "{\"type\":\"%s\",\"callId\":\"%s%u\",\"clientId\":\"%s%u\",\"timestamp\":\"%s\","
                          "\"from\":\"+1415555%04u\",\"to\":\"+14155550199\",\"direction\":\"inbound\"",
                          n % 2 ? "call.ended" : "call.started", call_prefix, k, client_prefix, k % (uint32_t)n_client_ids,
                          iso, k % 10000);
        if (n % 2) bl += snprintf(body + bl, sizeof body - (size_t)bl, ",\"durationSeconds\":%u,\"endReason\":\"completed\"",
                                  30 + k % 600);
        bl += snprintf(body + bl, sizeof body - (size_t)bl, "}");
        char signed_text[600];
        int sl = snprintf(signed_text, sizeof signed_text, "%s.%s", t, body);
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mac_len = 0;
        HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)signed_text, (size_t)sl, mac, &mac_len);
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        for (unsigned int i = 0; i < mac_len; i++) sprintf(hex + 2 * i, "%02x", mac[i]);
        char *req = malloc(1024 + (size_t)bl);
        int rl = snprintf(req, 1024 + (size_t)bl,
                          "POST /webhooks/generic HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: callbridge-bridge-bench\r\n"
                          "Content-Type: application/json\r\nContent-Length: %d\r\nX-Signature: t=%s,v1=%s\r\n\r\n%s",
                          ingest_port, bl, t, hex, body);
        pool[n].data = req;
        pool[n].len = (uint32_t)rl;
        bytes += (size_t)rl;
    }
    pool_count = count;
    fprintf(stderr, "[bridge-load] %u signed webhooks (%u calls), mean request %.0f B, t=%s\n", count, (count + 1) / 2,
            (double)bytes / count, t);
}

/* ---------- per-event state ---------- */

static int64_t *send_time;   /* ns, 0 = not sent */
static const char *frame_times_path;
static int64_t *frame_times; /* pairs: webhook index, receive time (monotonic ns) */
static size_t frame_times_count, frame_times_capacity;
static uint16_t *status_of;  /* HTTP status of each webhook, 0 = none (yet), 1 = error */
static int *subs_in_client;  /* client subscribers per client id */
static uint64_t expected_frames; /* frames owed for the events answered 202 so far */
static uint64_t delivered_frames; /* frames of this run's events, duplicates excluded */

/* ---------- epoll items ---------- */

enum { K_TIMER, K_SUB, K_SENDER };

typedef struct {
    int kind;
} item_t;

enum { S_IDLE, S_CONNECTING, S_HANDSHAKE, S_OPEN, S_CONNECT_SENT, S_CONNECTED, S_READY, S_CLOSED };

typedef struct sub {
    int kind; /* K_SUB */
    int fd;
    int index;
    int port;
    int client;      /* -1 admin, else client id index */
    int state;
    int attempts;
    int want_out;
    char key[32];    /* Sec-WebSocket-Key */
    char *carry;     /* unparsed bytes */
    uint32_t carry_len, carry_cap;
    char *out;       /* unsent bytes */
    uint32_t out_len, out_off;
    char *frag;      /* fragmented message being assembled */
    uint32_t frag_len;
    int frag_op;
    uint64_t got, dup, misrouted, foreign;
    uint8_t *seen;   /* bitmap over pool indices */
    int close_code;
} sub_t;

static int epfd;
static sub_t *subs;
static int nsubs;
static int n_ready, n_connecting, n_failed, n_closed_by_server;
static int first_idle;
static uint64_t connect_retries;
static uint64_t close_codes[5000];
static uint64_t protocol_errors, pings_answered, ws_pings_answered, other_frames;
static char first_failure[512];
static char *rbuf;
static size_t rbuf_cap;

static int64_t t_begin, t_window = INT64_MAX, t_window_end = INT64_MAX;
static hist_t lat;
static uint64_t frames_window, frames_total, frames_this_second, foreign_total;
static int64_t second_max;
static uint64_t *per_second;
static int per_second_n, per_second_cap;

static void mod_events(int fd, void *ptr, int want_out) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0), .data.ptr = ptr};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
}

static int connect_nb(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) die("socket: %s (raise ulimit -n?)", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---------- subscribers: output ---------- */

static void sub_fail(sub_t *s, const char *why);

static void sub_flush(sub_t *s) {
    while (s->out_off < s->out_len) {
        ssize_t n = write(s->fd, s->out + s->out_off, s->out_len - s->out_off);
        if (n > 0) s->out_off += (uint32_t)n;
        else if (n < 0 && errno == EINTR) continue;
        else if (n < 0 && errno == EAGAIN) {
            if (!s->want_out) {
                mod_events(s->fd, s, 1);
                s->want_out = 1;
            }
            return;
        } else {
            return; /* the read side reports the broken connection */
        }
    }
    s->out_len = s->out_off = 0;
    if (s->want_out && s->state != S_CONNECTING) {
        mod_events(s->fd, s, 0);
        s->want_out = 0;
    }
}

static void sub_queue(sub_t *s, const void *data, uint32_t len) {
    if (s->out_off == s->out_len) s->out_len = s->out_off = 0;
    s->out = xrealloc(s->out, s->out_len + len);
    memcpy(s->out + s->out_len, data, len);
    s->out_len += len;
}

/* a masked client frame */
static void sub_send_frame(sub_t *s, int opcode, const char *payload, uint32_t len) {
    unsigned char hdr[14];
    int h = 0;
    hdr[h++] = (unsigned char)(0x80 | opcode);
    if (len < 126) hdr[h++] = (unsigned char)(0x80 | len);
    else if (len < 65536) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (unsigned char)(len >> 8);
        hdr[h++] = (unsigned char)len;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) hdr[h++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    uint32_t mask = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
    unsigned char m[4] = {(unsigned char)mask, (unsigned char)(mask >> 8), (unsigned char)(mask >> 16),
                          (unsigned char)(mask >> 24)};
    memcpy(hdr + h, m, 4);
    h += 4;
    char *buf = malloc((size_t)h + len);
    memcpy(buf, hdr, (size_t)h);
    for (uint32_t i = 0; i < len; i++) buf[h + i] = (char)(payload[i] ^ m[i & 3]);
    sub_queue(s, buf, (uint32_t)h + len);
    free(buf);
    sub_flush(s);
}

static const char *token_of(sub_t *s) { return s->client < 0 ? tokens[0] : tokens[1 + s->client]; }

static void sub_send_handshake(sub_t *s) {
    unsigned char raw[16];
    for (int i = 0; i < 16; i++) raw[i] = (unsigned char)rand();
    EVP_EncodeBlock((unsigned char *)s->key, raw, 16);
    const char *path = path_override ? path_override : protocol == PROTO_WS ? "/ws" : "/socket.io/?EIO=4&transport=websocket";
    char req[2048];
    int n;
    if (protocol == PROTO_WS)
        n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n"
                     "User-Agent: callbridge-bridge-bench\r\n\r\n",
                     path, s->port, s->key, token_of(s));
    else
        n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nUser-Agent: callbridge-bridge-bench\r\n\r\n",
                     path, s->port, s->key);
    if (n <= 0 || n >= (int)sizeof req) die("handshake request too long");
    s->state = S_HANDSHAKE;
    sub_queue(s, req, (uint32_t)n);
    sub_flush(s);
}

static void sub_open(sub_t *s) {
    s->fd = connect_nb(s->port);
    s->attempts++;
    if (s->fd < 0) {
        sub_fail(s, "connect failed");
        return;
    }
    s->state = S_CONNECTING;
    s->want_out = 1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = s};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    n_connecting++;
}

static void sub_close_fd(sub_t *s) {
    if (s->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
        s->fd = -1;
    }
    free(s->carry);
    s->carry = NULL;
    s->carry_len = s->carry_cap = 0;
    free(s->out);
    s->out = NULL;
    s->out_len = s->out_off = 0;
    free(s->frag);
    s->frag = NULL;
    s->frag_len = 0;
    s->want_out = 0;
}

/* before ready: retry a few times (a full accept queue), then give up; after: closed */
static void sub_fail(sub_t *s, const char *why) {
    int was_ready = s->state == S_READY;
    if (s->state >= S_CONNECTING && s->state < S_READY) n_connecting--;
    sub_close_fd(s);
    if (was_ready) {
        s->state = S_CLOSED;
        n_ready--;
        n_closed_by_server++;
        if (!first_failure[0])
            snprintf(first_failure, sizeof first_failure, "subscriber %d: %s after it was ready", s->index, why);
        return;
    }
    if (s->attempts < 5 && !interrupted && !strstr(why, "refused") && !strstr(why, "status")) {
        connect_retries++;
        s->state = S_IDLE; /* picked up again by the connect loop */
        if (s->index < first_idle) first_idle = s->index;
        return;
    }
    s->state = S_CLOSED;
    n_failed++;
    if (!first_failure[0]) snprintf(first_failure, sizeof first_failure, "subscriber %d: %s", s->index, why);
}

static void sub_became_ready(sub_t *s) {
    s->state = S_READY;
    n_connecting--;
    n_ready++;
}

/* ---------- subscribers: input ---------- */

/* ended: 1 for call.ended, 0 for call.started, -1 unknown */
static void on_event_frame(sub_t *s, const char *p, size_t len, int64_t t, int ended) {
    const char *k = memmem(p, len, "\"callId\":\"", 10);
    if (!k) {
        other_frames++;
        return;
    }
    k += 10;
    size_t left = len - (size_t)(k - p);
    if (left < call_prefix_len || memcmp(k, call_prefix, call_prefix_len) != 0) {
        s->foreign++;
        foreign_total++;
        return;
    }
    k += call_prefix_len;
    left -= call_prefix_len;
    uint64_t n = 0;
    size_t i = 0;
    while (i < left && k[i] >= '0' && k[i] <= '9') n = n * 10 + (uint64_t)(k[i++] - '0');
    if (ended < 0) {
        other_frames++;
        return;
    }
    uint64_t call = n;
    n = 2 * call + (uint64_t)ended; /* the webhook that caused this frame */
    if (i == 0 || i >= left || k[i] != '"' || n >= pool_count) {
        s->foreign++;
        foreign_total++;
        return;
    }
    if (s->client >= 0 && (int)(call % (uint64_t)n_client_ids) != s->client) {
        s->misrouted++;
        return;
    }
    uint8_t bit = (uint8_t)(1u << (n & 7));
    if (s->seen[n >> 3] & bit) {
        s->dup++;
        return;
    }
    s->seen[n >> 3] |= bit;
    s->got++;
    delivered_frames++;
    frames_total++;
    frames_this_second++;
    if (t >= t_window && t < t_window_end) frames_window++;
    int64_t st = send_time[n];
    if (st > 0) {
        int64_t l = t - st;
        if (l > second_max) second_max = l;
        int64_t sched = t_begin + (int64_t)((double)n * (double)NS / rate);
        if (sched >= t_window && sched < t_window_end) {
            h_record(&lat, l);
            if (frame_times_path) {
                if (frame_times_count == frame_times_capacity) {
                    frame_times_capacity = frame_times_capacity ? 2 * frame_times_capacity : 1 << 16;
                    frame_times = xrealloc(frame_times, 2 * frame_times_capacity * sizeof(int64_t));
                }
                frame_times[2 * frame_times_count] = (int64_t)n;
                frame_times[2 * frame_times_count + 1] = t;
                frame_times_count++;
            }
        }
    }
}

static void on_text(sub_t *s, const char *p, size_t len, int64_t t) {
    if (protocol == PROTO_WS) {
        /* the type is looked for in the first 64 bytes (where the Bridge puts it), then anywhere */
        size_t head = len < 64 ? len : 64;
        if (memmem(p, head, "\"type\":\"event\"", 14) ||
            (!memmem(p, head, "\"type\":\"", 8) && memmem(p, len, "\"type\":\"event\"", 14))) {
            static const char call_type[] = "\"type\":\"call.";
            const size_t ctl = sizeof call_type - 1;
            const char *ty = memmem(p, len, call_type, ctl);
            int ended = !ty || ty + ctl >= p + len ? -1 : ty[ctl] == 'e' ? 1 : ty[ctl] == 's' ? 0 : -1;
            on_event_frame(s, p, len, t, ended);
        } else if (memmem(p, len, "\"type\":\"snapshot\"", 17)) {
            if (s->state == S_OPEN) sub_became_ready(s);
        } else {
            other_frames++;
        }
        return;
    }
    /* Engine.IO / Socket.IO */
    if (len == 0) return;
    switch (p[0]) {
    case '0': /* open */
        if (s->state == S_OPEN) {
            char msg[1024];
            int n = snprintf(msg, sizeof msg, "40{\"token\":\"%s\"}", token_of(s));
            s->state = S_CONNECT_SENT;
            sub_send_frame(s, 0x1, msg, (uint32_t)n);
        }
        return;
    case '2': /* ping */
        sub_send_frame(s, 0x1, "3", 1);
        pings_answered++;
        return;
    case '1':
        sub_fail(s, "Engine.IO close packet");
        return;
    case '4':
        if (len >= 2 && p[1] == '2') {
            if (len > 10 && !memcmp(p + 2, "[\"call:", 7))
                on_event_frame(s, p, len, t, p[9] == 'e' ? 1 : p[9] == 's' ? 0 : -1);
            else if (len > 4 && !memcmp(p + 2, "[\"calls:snapshot\"", 17)) {
                if (s->state == S_CONNECTED) sub_became_ready(s);
            } else other_frames++;
        } else if (len >= 2 && p[1] == '0') {
            if (s->state == S_CONNECT_SENT) s->state = S_CONNECTED;
        } else if (len >= 2 && p[1] == '4') {
            char why[200];
            snprintf(why, sizeof why, "Socket.IO CONNECT refused: %.*s", (int)(len < 150 ? len : 150), p);
            sub_fail(s, why);
        } else if (len >= 2 && p[1] == '1') {
            sub_fail(s, "Socket.IO DISCONNECT from the server");
        } else other_frames++;
        return;
    default:
        other_frames++;
    }
}

static void on_message(sub_t *s, int op, const char *p, size_t len, int64_t t) {
    if (op == 0x1) on_text(s, p, len, t);
    else if (op == 0x2) other_frames++;
}

/* parse frames in [p, p+len); returns bytes consumed, or -1 when the connection is gone */
static long parse_frames(sub_t *s, const char *p, size_t len, int64_t t) {
    size_t pos = 0;
    while (pos + 2 <= len) {
        const unsigned char *f = (const unsigned char *)p + pos;
        int fin = f[0] & 0x80, op = f[0] & 0x0f, masked = f[1] & 0x80;
        uint64_t plen = f[1] & 0x7f;
        size_t hdr = 2;
        if (plen == 126) {
            if (pos + 4 > len) break;
            plen = ((uint64_t)f[2] << 8) | f[3];
            hdr = 4;
        } else if (plen == 127) {
            if (pos + 10 > len) break;
            plen = 0;
            for (int i = 0; i < 8; i++) plen = (plen << 8) | f[2 + i];
            hdr = 10;
        }
        if (masked) {
            protocol_errors++;
            sub_fail(s, "masked server frame");
            return -1;
        }
        if (plen > (64u << 20)) {
            protocol_errors++;
            sub_fail(s, "frame over 64 MiB");
            return -1;
        }
        if (pos + hdr + plen > len) break;
        const char *payload = p + pos + hdr;
        pos += hdr + (size_t)plen;
        if (op >= 0x8) { /* control */
            if (op == 0x9) {
                sub_send_frame(s, 0xA, payload, (uint32_t)plen);
                ws_pings_answered++;
            } else if (op == 0x8) {
                int code = plen >= 2 ? (((unsigned char)payload[0]) << 8) | (unsigned char)payload[1] : 1005;
                s->close_code = code;
                if (code >= 0 && code < 5000) close_codes[code]++;
                char why[64];
                snprintf(why, sizeof why, "close frame %d", code);
                sub_fail(s, why);
                return -1;
            }
            continue;
        }
        if (op == 0x0 || !fin) { /* fragments */
            if (op != 0x0) s->frag_op = op;
            s->frag = xrealloc(s->frag, s->frag_len + (size_t)plen);
            memcpy(s->frag + s->frag_len, payload, (size_t)plen);
            s->frag_len += (uint32_t)plen;
            if (fin) {
                on_message(s, s->frag_op, s->frag, s->frag_len, t);
                if (s->fd < 0) return -1;
                free(s->frag);
                s->frag = NULL;
                s->frag_len = 0;
            }
            continue;
        }
        on_message(s, op, payload, (size_t)plen, t);
        if (s->fd < 0) return -1;
    }
    return (long)pos;
}

static const char *ws_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* the upgrade answer; returns bytes consumed, 0 incomplete, -1 failed */
static long parse_upgrade(sub_t *s, const char *p, size_t len) {
    const char *end = memmem(p, len, "\r\n\r\n", 4);
    if (!end) {
        if (len > 16384) {
            sub_fail(s, "upgrade answer too long");
            return -1;
        }
        return 0;
    }
    size_t head = (size_t)(end - p) + 4;
    if (len < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0) {
        char why[160];
        snprintf(why, sizeof why, "upgrade refused: status %.12s", p);
        sub_fail(s, why);
        return -1;
    }
    char concat[128];
    snprintf(concat, sizeof concat, "%s%s", s->key, ws_guid);
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)concat, strlen(concat), sha);
    char accept[64];
    EVP_EncodeBlock((unsigned char *)accept, sha, SHA_DIGEST_LENGTH);
    int ok = 0;
    const char *line = p;
    while (line < p + head) {
        const char *eol = memmem(line, (size_t)(p + head - line), "\r\n", 2);
        if (!eol) break;
        size_t l = (size_t)(eol - line);
        if (l > 21 && !strncasecmp(line, "sec-websocket-accept:", 21)) {
            const char *v = line + 21;
            while (*v == ' ') v++;
            ok = (size_t)(eol - v) == strlen(accept) && !memcmp(v, accept, strlen(accept));
        }
        line = eol + 2;
    }
    if (!ok) {
        sub_fail(s, "bad Sec-WebSocket-Accept");
        return -1;
    }
    s->state = S_OPEN;
    return (long)head;
}

static void sub_readable(sub_t *s) {
    for (;;) {
        size_t have = s->carry_len;
        if (rbuf_cap < have + READ_BUF) { /* a message bigger than the buffer (a large snapshot) */
            rbuf_cap = have + READ_BUF;
            rbuf = xrealloc(rbuf, rbuf_cap);
        }
        if (have) memcpy(rbuf, s->carry, have);
        ssize_t n = read(s->fd, rbuf + have, rbuf_cap - have);
        int64_t t = now_ns();
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            sub_fail(s, n == 0 ? "connection closed by the server" : "connection reset");
            return;
        }
        if (n < 0) return;
        size_t len = have + (size_t)n;
        size_t pos = 0;
        if (s->state == S_HANDSHAKE) {
            long used = parse_upgrade(s, rbuf, len);
            if (used < 0) return;
            if (used == 0) {
                s->carry = xrealloc(s->carry, len);
                memcpy(s->carry, rbuf, len);
                s->carry_len = s->carry_cap = (uint32_t)len;
                continue;
            }
            pos = (size_t)used;
        }
        if (s->state != S_HANDSHAKE) {
            long used = parse_frames(s, rbuf + pos, len - pos, t);
            if (used < 0) return;
            pos += (size_t)used;
        }
        size_t rest = len - pos;
        if (rest) {
            if (rest > s->carry_cap) {
                s->carry = xrealloc(s->carry, rest);
                s->carry_cap = (uint32_t)rest;
            }
            memmove(s->carry, rbuf + pos, rest);
        } else if (s->carry_cap > 65536) {
            free(s->carry);
            s->carry = NULL;
            s->carry_cap = 0;
        }
        s->carry_len = (uint32_t)rest;
        if ((size_t)n < rbuf_cap - have) return;
    }
}

static void sub_event(sub_t *s, uint32_t events) {
    if (s->state == S_CONNECTING) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
            int err = 0;
            socklen_t el = sizeof err;
            getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
            if (err) {
                sub_fail(s, strerror(err));
                return;
            }
            s->want_out = 0;
            mod_events(s->fd, s, 0);
            sub_send_handshake(s);
        }
        return;
    }
    if ((events & EPOLLOUT) && s->out_len > s->out_off) sub_flush(s);
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) sub_readable(s);
}

/* ---------- webhook senders ---------- */

typedef struct sender {
    int kind; /* K_SENDER */
    int fd;
    int64_t req; /* outstanding request index, -1 idle */
    uint32_t out_off;
    int want_out;
    input_t in;
    int retried; /* the outstanding request was sent again once, on a new connection */
    struct sender *next_idle;
} sender_t;

static sender_t *senders;
static sender_t *idle_senders;
static uint64_t next_req;        /* next pool index to send */
static uint64_t scheduled;       /* requests due so far (<= pool_count) */
static uint64_t last_sched;      /* requests to schedule in total */
static uint64_t answered, accepted, non202, send_errors, inflight, sender_reconnects, sender_retries;
static uint64_t answered_second;
static int64_t send_lag_max;
static hist_t send_lag;
static hist_t answer_lat; /* webhook written -> Ingest's answer read (202 comes after Kafka's ack), window events */
static uint64_t status_counts[600];

static void sender_open(sender_t *c) {
    int fd = connect_loopback(ingest_port);
    if (fd < 0) die("connect to Ingest (port %d): %s", ingest_port, strerror(errno));
    c->fd = fd;
    c->in.len = 0;
    c->req = -1;
    c->want_out = 0;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
}

static int sender_flush(sender_t *c) {
    const request_t *r = &pool[c->req];
    while (c->out_off < r->len) {
        ssize_t n = write(c->fd, r->data + c->out_off, r->len - c->out_off);
        if (n > 0) c->out_off += (uint32_t)n;
        else if (n < 0 && errno == EINTR) continue;
        else if (n < 0 && errno == EAGAIN) {
            if (!c->want_out) {
                mod_events(c->fd, c, 1);
                c->want_out = 1;
            }
            return 0;
        } else return -1;
    }
    if (c->want_out) {
        mod_events(c->fd, c, 0);
        c->want_out = 0;
    }
    return 0;
}

static void sender_start(sender_t *c, int64_t sched_t) {
    if (c->fd < 0) sender_open(c); /* closed by Ingest while idle: reconnect when used */
    c->retried = 0;
    c->req = (int64_t)next_req++;
    c->out_off = 0;
    int64_t t = now_ns();
    send_time[c->req] = t;
    int64_t lag = t - sched_t;
    if (lag > send_lag_max) send_lag_max = lag;
    h_record(&send_lag, lag);
    inflight++;
    sender_flush(c);
}

static void sender_idle(sender_t *c) {
    c->next_idle = idle_senders;
    idle_senders = c;
}

static int64_t sched_time(uint64_t k) { return t_begin + (int64_t)((double)k * (double)NS / rate); }

static void sender_next(sender_t *c) {
    if (next_req < scheduled && !interrupted) sender_start(c, sched_time(next_req));
    else sender_idle(c);
}

static void sender_done(sender_t *c, int status) {
    uint64_t i = (uint64_t)c->req;
    status_of[i] = (uint16_t)status;
    int64_t sched = sched_time(i);
    if (status == 202 && sched >= t_window && sched < t_window_end) h_record(&answer_lat, now_ns() - send_time[i]);
    answered++;
    answered_second++;
    inflight--;
    if (status >= 100 && status < 600) status_counts[status]++;
    if (status == 202) {
        accepted++;
        expected_frames += (uint64_t)n_admin + (uint64_t)subs_in_client[(i / 2) % (uint64_t)n_client_ids];
    } else if (status == 1) send_errors++;
    else non202++;
    c->req = -1;
}

static void sender_broken(sender_t *c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->in.len = 0;
    sender_reconnects++;
    if (c->req < 0) {
        /* Ingest closed an idle keep-alive connection (its idle timeout). The sender is still
         * in the idle list (pushing it again would loop the list and lose senders); it
         * reconnects when next used, so an unused one does not hold a connection open. */
        return;
    }
    if (!c->retried) {
        /* The connection closed under a request with no answer yet (Ingest closed it as
         * idle just as the request was written): send it again on a new connection, as an
         * HTTP client does. Ingest's event ids are deterministic, so even a request that had
         * been published cannot become a second event. */
        int64_t req = c->req;
        sender_open(c);
        c->req = req;
        c->out_off = 0;
        c->retried = 1;
        sender_retries++;
        if (sender_flush(c) < 0) sender_broken(c);
        return;
    }
    sender_done(c, 1);
    sender_open(c);
    sender_next(c);
}

static void sender_event(sender_t *c, uint32_t events) {
    if ((events & EPOLLOUT) && c->req >= 0 && c->out_off < pool[c->req].len) {
        if (sender_flush(c) < 0) {
            sender_broken(c);
            return;
        }
    }
    if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    for (;;) {
        size_t room;
        ssize_t n = input_read(&c->in, c->fd, &room);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            sender_broken(c);
            return;
        }
        if (n < 0) return;
        while (c->in.len > 0) {
            if (c->req < 0) {
                sender_broken(c);
                return;
            }
            int status = 0, close_after = 0;
            long used = http_response_length(c->in.data, c->in.len, &status, &close_after);
            if (used == 0) break;
            if (used < 0) {
                sender_broken(c);
                return;
            }
            input_consume(&c->in, (size_t)used);
            if (status < 200) continue;
            sender_done(c, status);
            if (close_after || c->in.len) {
                sender_broken(c);
                return;
            }
            sender_next(c);
        }
        if ((size_t)n < room) return;
    }
}

/* ---------- main loop ---------- */

/* Hands each ready descriptor to its owner; the timer only wakes the loop. */
static void dispatch(const struct epoll_event *events, int n, int tfd) {
    for (int i = 0; i < n; i++) {
        item_t *it = events[i].data.ptr;
        if (it->kind == K_TIMER) {
            uint64_t x;
            ssize_t r = read(tfd, &x, sizeof x);
            (void)r;
        } else if (it->kind == K_SUB) {
            sub_t *s = (sub_t *)it;
            if (s->fd >= 0) sub_event(s, events[i].events);
        } else {
            sender_event((sender_t *)it, events[i].events);
        }
    }
}

static void usage(FILE *to, int code) {
    fprintf(to,
            "usage: bridge_load --port P[,P2,...] [--protocol ws|sio] --admin N --clients N [--client-ids K]\n"
            "                   [--client-prefix client-] [--path PATH] [--connect-concurrency N] [--connect-timeout S]\n"
            "                   [--ingest-port P --tag TAG --rate R [--senders N]\n"
            "                    [--warmup S] [--duration S] [--drain S] [--pre-send S]]\n"
            "                   [--hold S] [--settle S] [--ready-file F] [--watch NAME=PID ...] [--label TEXT]\n"
            "                   [--frame-times FILE]\n"
            "\n"
            "Holds --admin + --clients WebSocket subscribers on the server(s) at --port (127.0.0.1),\n"
            "speaking the Bridge's /ws protocol (ws) or Socket.IO v4 (sio, the default); tokens are\n"
            "HS256 JWTs signed with $BRIDGE_JWT_SECRET. With --ingest-port, sends generic webhooks signed\n"
            "with $GENERIC_WEBHOOK_SECRET to Ingest at --rate per second (open loop) once every subscriber is ready and\n"
            "measures frames/s, end-to-end latency and delivery completeness over the --duration window\n"
            "after --warmup; without, holds the idle connections for --hold seconds (idle mode).\n"
            "Defaults: protocol sio, client-ids 50, rate 1000, senders 64, warmup 3, duration 15, drain 30,\n"
            "pre-send 1, settle 2, connect-concurrency 200, connect-timeout 180. Prints one JSON object.\n"
            "See the comment at the top of tools/bench/bridge_load.c for the details.\n");
    exit(code);
}

/* --frame-times: see the header. */
static void write_frame_times(void) {
    struct timespec real, mono;
    clock_gettime(CLOCK_REALTIME, &real);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    int64_t to_real = ((int64_t)real.tv_sec * NS + real.tv_nsec) - ((int64_t)mono.tv_sec * NS + mono.tv_nsec);
    FILE *f = fopen(frame_times_path, "wb");
    if (!f) die("cannot write %s", frame_times_path);
    int64_t count = (int64_t)pool_count;
    fwrite(&count, sizeof count, 1, f);
    for (size_t i = 0; i < pool_count; i++) {
        int64_t sent = send_time[i] > 0 ? send_time[i] + to_real : 0;
        fwrite(&sent, sizeof sent, 1, f);
    }
    count = (int64_t)frame_times_count;
    fwrite(&count, sizeof count, 1, f);
    for (size_t i = 0; i < frame_times_count; i++) frame_times[2 * i + 1] += to_real;
    if (frame_times_count) fwrite(frame_times, 2 * sizeof(int64_t), frame_times_count, f);
    if (fclose(f) != 0) die("cannot write %s", frame_times_path);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) usage(stdout, 0);
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage(stderr, 2);
        if (!strcmp(a, "--port")) {
            char *copy = strdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (nports == MAX_PORTS) die("at most %d ports", MAX_PORTS);
                ports[nports++] = atoi(t);
            }
        } else if (!strcmp(a, "--protocol")) {
            if (!strcmp(v, "ws")) protocol = PROTO_WS;
            else if (!strcmp(v, "sio")) protocol = PROTO_SIO;
            else usage(stderr, 2);
        } else if (!strcmp(a, "--path")) path_override = v;
        else if (!strcmp(a, "--admin")) n_admin = atoi(v);
        else if (!strcmp(a, "--clients")) n_clients = atoi(v);
        else if (!strcmp(a, "--client-ids")) n_client_ids = atoi(v);
        else if (!strcmp(a, "--client-prefix")) client_prefix = v;
        else if (!strcmp(a, "--connect-concurrency")) connect_concurrency = atoi(v);
        else if (!strcmp(a, "--connect-timeout")) connect_timeout = atof(v);
        else if (!strcmp(a, "--ingest-port")) ingest_port = atoi(v);
        else if (!strcmp(a, "--tag")) tag = v;
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--senders")) n_senders = atoi(v);
        else if (!strcmp(a, "--warmup")) warmup = atof(v);
        else if (!strcmp(a, "--duration")) duration = atof(v);
        else if (!strcmp(a, "--drain")) drain = atof(v);
        else if (!strcmp(a, "--pre-send")) pre_send = atof(v);
        else if (!strcmp(a, "--hold")) hold = atof(v);
        else if (!strcmp(a, "--settle")) settle = atof(v);
        else if (!strcmp(a, "--ready-file")) ready_file = v;
        else if (!strcmp(a, "--label")) label = v;
        else if (!strcmp(a, "--frame-times")) frame_times_path = v;
        else if (!strcmp(a, "--watch")) {
            if (!add_watch(v)) usage(stderr, 2);
        } else usage(stderr, 2);
        i++;
    }
    nsubs = n_admin + n_clients;
    if (nports == 0 || nsubs <= 0 || n_admin < 0 || n_clients < 0 || n_client_ids <= 0 || connect_concurrency <= 0)
        usage(stderr, 2);
    sending = ingest_port > 0;
    if (sending && (rate <= 0 || n_senders <= 0 || duration <= 0 || warmup < 0)) usage(stderr, 2);
    const char *webhook_secret = getenv("GENERIC_WEBHOOK_SECRET");
    if (sending && (!webhook_secret || !*webhook_secret))
        die("GENERIC_WEBHOOK_SECRET must be set (the secret Ingest checks generic webhooks with)");
    const char *secret = getenv("BRIDGE_JWT_SECRET");
    if (!secret || !*secret) die("BRIDGE_JWT_SECRET must be set (the key the server checks tokens with)");
    ticks_per_s = sysconf(_SC_CLK_TCK);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    install_signal_handlers();

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)nsubs + (rlim_t)n_senders + 64 > rl.rlim_cur)
        die("%d subscribers need more file descriptors than ulimit -n (%llu)", nsubs, (unsigned long long)rl.rlim_cur);

    /* tokens */
    long exp = (long)time(NULL) + 6 * 3600, iat = (long)time(NULL);
    tokens = calloc((size_t)n_client_ids + 1, sizeof(char *));
    char claims[512];
    snprintf(claims, sizeof claims, "{\"role\":\"admin\",\"iat\":%ld,\"exp\":%ld}", iat, exp);
    tokens[0] = make_jwt(secret, claims);
    for (int k = 0; k < n_client_ids; k++) {
        snprintf(claims, sizeof claims, "{\"role\":\"client\",\"clientId\":\"%s%d\",\"iat\":%ld,\"exp\":%ld}", client_prefix, k,
                 iat, exp);
        tokens[1 + k] = make_jwt(secret, claims);
    }
    snprintf(call_prefix, sizeof call_prefix, "bench-%s-", tag);
    call_prefix_len = strlen(call_prefix);

    if (sending) build_pool((uint32_t)((warmup + duration) * rate) + 2, webhook_secret);
    else pool_count = 1;
    send_time = calloc(pool_count, sizeof(int64_t));
    status_of = calloc(pool_count, sizeof(uint16_t));
    subs_in_client = calloc((size_t)n_client_ids, sizeof(int));
    rbuf_cap = READ_BUF;
    rbuf = malloc(rbuf_cap);
    double bitmap_mb = (double)nsubs * ((pool_count + 7) / 8) / 1048576.0;
    if (bitmap_mb > 2048) die("delivery bitmaps would take %.0f MiB: fewer subscribers or a smaller pool", bitmap_mb);

    epfd = epoll_create1(0);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    item_t timer_item = {K_TIMER};
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = &timer_item};
    epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &tev);

    subs = calloc((size_t)nsubs, sizeof(sub_t));
    for (int i = 0; i < nsubs; i++) {
        sub_t *s = &subs[i];
        s->kind = K_SUB;
        s->fd = -1;
        s->index = i;
        s->port = ports[i % nports];
        s->client = i < n_admin ? -1 : (i - n_admin) % n_client_ids;
        if (s->client >= 0) subs_in_client[s->client]++;
        s->state = S_IDLE;
        if (sending) s->seen = calloc((pool_count + 7) / 8, 1);
    }

    sample_rss(0);
    fprintf(stderr, "[bridge-load] %s%s%d subscribers (%d admin, %d client over %d client ids), %s, port(s)",
            label, *label ? ": " : "", nsubs, n_admin, n_clients, n_client_ids, protocol == PROTO_WS ? "/ws" : "Socket.IO");
    for (int i = 0; i < nports; i++) fprintf(stderr, " %d", ports[i]);
    fprintf(stderr, "\n");

    /* ---- phase A: connect every subscriber ---- */
    int64_t t_connect0 = now_ns();
    int64_t connect_deadline = t_connect0 + (int64_t)(connect_timeout * NS);
    int64_t next_progress = t_connect0 + NS;
    struct epoll_event events[512];
    while (n_ready + n_failed < nsubs) {
        if (interrupted) die("interrupted while connecting");
        /* keep connect_concurrency handshakes in flight; retries first */
        for (int i = first_idle; i < nsubs && n_connecting < connect_concurrency; i++)
            if (subs[i].state == S_IDLE) sub_open(&subs[i]);
        while (first_idle < nsubs && subs[first_idle].state != S_IDLE) first_idle++;
        int64_t now = now_ns();
        if (n_failed > 0) break;
        if (now > connect_deadline) break;
        if (now >= next_progress) {
            fprintf(stderr, "[bridge-load] connecting: %d ready, %d in progress, %d failed, %" PRIu64 " retries\n", n_ready,
                    n_connecting, n_failed, connect_retries);
            next_progress += NS;
        }
        arm(tfd, next_progress < connect_deadline ? next_progress : connect_deadline);
        int n = epoll_wait(epfd, events, 512, -1);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        dispatch(events, n, tfd);
    }
    double connect_s = (double)(now_ns() - t_connect0) / NS;
    if (n_ready < nsubs)
        die("%d of %d subscribers ready after %.1f s (%d failed): %s", n_ready, nsubs, connect_s, n_failed,
            first_failure[0] ? first_failure : "timed out");
    fprintf(stderr, "[bridge-load] %d subscribers ready in %.1f s (%" PRIu64 " connect retries)\n", nsubs, connect_s,
            connect_retries);

    /* ---- phase B: idle hold, or webhooks and frames ---- */
    int idle_mode = !sending;
    t_begin = now_ns() + (int64_t)((idle_mode ? 0 : pre_send) * NS);
    if (idle_mode) {
        if (ready_file) {
            FILE *f = fopen(ready_file, "w");
            if (f) {
                fprintf(f, "%d\n", nsubs);
                fclose(f);
            }
        }
        t_window = t_begin;
        t_window_end = t_begin + (int64_t)(hold * NS);
    } else {
        t_window = t_begin + (int64_t)(warmup * NS);
        t_window_end = t_window + (int64_t)(duration * NS);
        last_sched = (uint64_t)((double)(t_window_end - t_begin) * rate / NS);
        if (last_sched > pool_count) die("the pool holds %u requests, the run needs %" PRIu64, pool_count, last_sched);
        senders = calloc((size_t)n_senders, sizeof(sender_t));
        for (int i = n_senders - 1; i >= 0; i--) {
            senders[i].kind = K_SENDER;
            sender_open(&senders[i]);
            sender_idle(&senders[i]);
        }
    }
    int64_t t_drain_end = t_window_end + (int64_t)(drain * NS);
    int64_t t_settled = t_begin + (int64_t)(settle * NS);
    int settled = 0, window_started = 0, window_ended = 0;
    next_progress = t_begin + NS; /* progress seconds aligned with the schedule (and the window) */
    uint64_t last_frames_total = 0;
    int64_t interval = (int64_t)((double)NS / rate);
    int64_t t_done = 0;

    for (;;) {
        int64_t now = now_ns();
        if (!window_started && now >= t_window) {
            window_started = 1;
            mark_window_cpu(0);
            if (!idle_mode) sample_rss(0);
        }
        if (idle_mode && !settled && now >= t_settled) {
            settled = 1;
            sample_rss(1);
        }
        if (window_started && !window_ended && (now >= t_window_end || interrupted)) {
            window_ended = 1;
            mark_window_cpu(1);
            sample_rss(2);
        }
        if (!idle_mode && !window_ended && !interrupted) {
            while (scheduled < last_sched && sched_time(scheduled) <= now) scheduled++;
            while (idle_senders && next_req < scheduled) {
                sender_t *c = idle_senders;
                idle_senders = c->next_idle;
                sender_start(c, sched_time(next_req));
            }
        }
        if (now >= next_progress) {
            sample_rss(3);
            if (idle_mode) {
                fprintf(stderr, "[bridge-load] %4.0f s: %d connections held, %" PRIu64 " pings answered\n",
                        (double)(now - t_begin) / NS, n_ready, pings_answered + ws_pings_answered);
            } else {
                fprintf(stderr,
                        "[bridge-load] %4.0f s: %8" PRIu64 " frames/s, %5" PRIu64 " webhooks answered/s, max e2e %8.1f ms, "
                        "frames owed %" PRIu64 ", not 202 %" PRIu64 ", errors %" PRIu64 ", subscribers lost %d\n",
                        (double)(now - t_begin) / NS, frames_total - last_frames_total, answered_second,
                        (double)second_max / 1e6, expected_frames > delivered_frames ? expected_frames - delivered_frames : 0,
                        non202, send_errors, n_closed_by_server);
                if (now - NS >= t_window && now <= t_window_end) { /* a whole second inside the window */
                    if (per_second_n == per_second_cap) {
                        per_second_cap = per_second_cap ? per_second_cap * 2 : 64;
                        per_second = xrealloc(per_second, (size_t)per_second_cap * sizeof(uint64_t));
                    }
                    per_second[per_second_n++] = frames_total - last_frames_total;
                }
            }
            last_frames_total = frames_total;
            answered_second = 0;
            second_max = 0;
            next_progress += NS;
        }
        if (idle_mode) {
            if (window_ended) break;
        } else if (window_ended) {
            int all_sent = next_req >= scheduled || interrupted;
            if (all_sent && inflight == 0 && delivered_frames >= expected_frames) {
                if (!t_done) t_done = now;
                if (now - t_done > 200 * 1000000LL) break; /* a moment for late duplicates */
            } else t_done = 0;
            if (now >= t_drain_end || (interrupted && now >= t_window_end + NS)) break;
        }

        int64_t wake = next_progress;
        if (!window_started && t_window < wake) wake = t_window;
        if (!window_ended && t_window_end < wake) wake = t_window_end;
        if (idle_mode && !settled && t_settled < wake) wake = t_settled;
        if (!idle_mode && !window_ended && scheduled < last_sched) {
            int64_t t = sched_time(scheduled);
            if (t < now + interval / 2) t = now + interval / 2;
            if (t < wake) wake = t;
        }
        if (window_ended && t_drain_end < wake) wake = t_drain_end;
        if (t_done && t_done + 210 * 1000000LL < wake) wake = t_done + 210 * 1000000LL;
        arm(tfd, wake);
        int n = epoll_wait(epfd, events, 512, interrupted ? 100 : -1);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        dispatch(events, n, tfd);
    }
    int64_t t_finished = now_ns();
    double drained_s = window_ended ? (double)(t_finished - t_window_end) / NS : 0;
    double measured = (double)((window_ended ? t_window_end : t_finished) - t_window) / NS;
    if (interrupted && t_finished < t_window_end) measured = (double)(t_finished - t_window) / NS;
    if (idle_mode) sample_rss(2);

    /* ---- verification ---- */
    uint64_t missing = 0, duplicates = 0, misrouted = 0, foreign = 0, incomplete_subs = 0, unexpected = 0;
    uint64_t expected_total = 0, window_events = 0, window_accepted = 0, window_missing = 0;
    if (!idle_mode) {
        uint64_t sent = next_req;
        for (uint64_t i = 0; i < sent; i++) {
            int64_t sched = sched_time(i);
            if (sched >= t_window && sched < t_window_end) {
                window_events++;
                if (status_of[i] == 202) window_accepted++;
            }
        }
        for (int j = 0; j < nsubs; j++) {
            sub_t *s = &subs[j];
            uint64_t miss = 0;
            for (uint64_t i = 0; i < sent; i++) {
                int mine = s->client < 0 || (int)((i / 2) % (uint64_t)n_client_ids) == s->client;
                if (!mine) continue;
                int got = (s->seen[i >> 3] >> (i & 7)) & 1;
                if (status_of[i] == 202) {
                    expected_total++;
                    if (!got) {
                        miss++;
                        int64_t sched = sched_time(i);
                        if (sched >= t_window && sched < t_window_end) window_missing++;
                    }
                } else if (got) unexpected++;
            }
            missing += miss;
            if (miss || s->dup || s->misrouted) incomplete_subs++;
            duplicates += s->dup;
            misrouted += s->misrouted;
            foreign += s->foreign;
        }
    }

    /* ---- report ---- */
    if (frame_times_path && !idle_mode) write_frame_times();
    printf("{\"label\":\"%s\",\"mode\":\"%s\",\"protocol\":\"%s\",\"ports\":[", label, idle_mode ? "idle" : "load",
           protocol == PROTO_WS ? "ws" : "sio");
    for (int i = 0; i < nports; i++) printf("%s%d", i ? "," : "", ports[i]);
    printf("],\"interrupted\":%s,", interrupted ? "true" : "false");
    printf("\"subscribers\":{\"total\":%d,\"admin\":%d,\"clients\":%d,\"client_ids\":%d,\"ready\":%d,\"connect_s\":%.3f,"
           "\"connect_retries\":%" PRIu64 ",\"closed_by_server\":%d,\"close_codes\":{",
           nsubs, n_admin, n_clients, n_client_ids, n_ready + n_closed_by_server, connect_s, connect_retries,
           n_closed_by_server);
    int first = 1;
    for (int c = 0; c < 5000; c++)
        if (close_codes[c]) {
            printf("%s\"%d\":%" PRIu64, first ? "" : ",", c, close_codes[c]);
            first = 0;
        }
    printf("},\"first_failure\":\"");
    for (const char *q = first_failure; *q; q++) putchar(*q == '"' || *q == '\\' ? '\'' : *q);
    printf("\",\"pings_answered\":%" PRIu64 ",\"ws_pings_answered\":%" PRIu64 ",\"other_frames\":%" PRIu64
           ",\"protocol_errors\":%" PRIu64 "},",
           pings_answered, ws_pings_answered, other_frames, protocol_errors);
    if (!idle_mode) {
        printf("\"events\":{\"rate\":%.1f,\"senders\":%d,\"warmup_s\":%.3f,\"measured_s\":%.3f,\"drain_s\":%.3f,"
               "\"sent\":%" PRIu64 ",\"scheduled\":%" PRIu64 ",\"answered\":%" PRIu64 ",\"accepted\":%" PRIu64
               ",\"non_202\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"unanswered\":%" PRIu64 ",\"window_events\":%" PRIu64
               ",\"window_accepted\":%" PRIu64 ",\"sender_reconnects\":%" PRIu64 ",\"sender_retries\":%" PRIu64
               ",\"statuses\":{",
               rate, n_senders, warmup, measured, drained_s, next_req, scheduled, answered, accepted, non202, send_errors,
               inflight, window_events, window_accepted, sender_reconnects, sender_retries);
        first = 1;
        for (int c = 100; c < 600; c++)
            if (status_counts[c]) {
                printf("%s\"%d\":%" PRIu64, first ? "" : ",", c, status_counts[c]);
                first = 0;
            }
        printf("},\"send_lag_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},", h_pct_ms(&send_lag, 50),
               h_pct_ms(&send_lag, 99), (double)send_lag_max / 1e6);
        printf("\"answer_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f}},", h_pct_ms(&answer_lat, 50),
               h_pct_ms(&answer_lat, 90), h_pct_ms(&answer_lat, 99), (double)answer_lat.max / 1e6);
        uint64_t smin = UINT64_MAX, smax = 0;
        for (int i = 0; i < per_second_n; i++) {
            if (per_second[i] < smin) smin = per_second[i];
            if (per_second[i] > smax) smax = per_second[i];
        }
        if (!per_second_n) smin = 0;
        printf("\"frames\":{\"window_s\":%.3f,\"delivered_in_window\":%" PRIu64 ",\"per_s\":%.1f,\"offered_per_s\":%.1f,"
               "\"total_delivered\":%" PRIu64 ",\"second_min\":%" PRIu64 ",\"second_max\":%" PRIu64 ",\"per_second\":[",
               measured, frames_window, measured > 0 ? (double)frames_window / measured : 0,
               rate * ((double)n_admin + (double)n_clients / n_client_ids), frames_total, smin, smax);
        for (int i = 0; i < per_second_n; i++) printf("%s%" PRIu64, i ? "," : "", per_second[i]);
        printf("]},");
        /* frames never delivered count as infinitely late: a percentile among them is null */
        printf("\"latency_ms\":{\"frames\":%" PRIu64 ",\"never_delivered\":%" PRIu64 ",", lat.n, window_missing);
        print_ms("p50", h_pct_ms_of(&lat, 50, window_missing), 1);
        print_ms("p90", h_pct_ms_of(&lat, 90, window_missing), 1);
        print_ms("p99", h_pct_ms_of(&lat, 99, window_missing), 1);
        print_ms("p999", h_pct_ms_of(&lat, 99.9, window_missing), 1);
        print_ms("max", window_missing ? -1 : (double)lat.max / 1e6, 1);
        printf("\"max_delivered\":%.3f,\"mean_delivered\":%.3f},", (double)lat.max / 1e6,
               lat.n ? lat.sum / (double)lat.n / 1e6 : 0);
        printf("\"delivery\":{\"expected\":%" PRIu64 ",\"delivered\":%" PRIu64 ",\"missing\":%" PRIu64
               ",\"duplicates\":%" PRIu64 ",\"misrouted\":%" PRIu64 ",\"foreign\":%" PRIu64 ",\"unexpected\":%" PRIu64
               ",\"subscribers_incomplete\":%" PRIu64 ",\"complete\":%s},",
               expected_total, delivered_frames, missing, duplicates, misrouted, foreign, unexpected, incomplete_subs,
               missing == 0 && duplicates == 0 && misrouted == 0 && n_closed_by_server == 0 ? "true" : "false");
    } else {
        printf("\"hold_s\":%.3f,", measured);
    }
    print_window_cpu(measured);
    printf(",\"rss_kb\":{");
    for (int i = 0; i < watch_count; i++)
        printf("%s\"%s\":{\"pid\":%d,\"start\":%ld,\"ready\":%ld,\"end\":%ld,\"peak\":%ld}", i ? "," : "", watches[i].name,
               watches[i].pid, watches[i].rss_start_kb, watches[i].rss_ready_kb, watches[i].rss_end_kb,
               watches[i].rss_peak_kb);
    printf("},\"load_generator_rss_kb\":%ld}\n", proc_rss_kb(getpid()));
    fflush(stdout);
    return 0;
}
