// Plain librdkafka producer in C, against the librdkafka the Swift wrapper links: the
// wrapper's settings, produce() in a loop with poll(0), then flush. See docs/benchmarks.md.
//   cc -O2 -o /tmp/rdkafka_produce tools/bench/rdkafka_produce.c $(pkg-config --cflags --libs rdkafka) -Wl,-rpath,/usr/local/lib
//   /tmp/rdkafka_produce HOST:PORT TOPIC 200000     # TOPIC: an existing topic with 6 partitions
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static long done = 0, failed = 0;
static void dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *o) { done++; if (m->err) failed++; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: %s HOST:PORT TOPIC COUNT\n", argv[0]); return 2; }
  const char *brokers = argv[1]; const char *topic = argv[2]; long n = atol(argv[3]); int size = 200;
  char err[512]; rd_kafka_conf_t *c = rd_kafka_conf_new();
  const char *kv[][2] = {{"bootstrap.servers", brokers}, {"acks", "all"}, {"enable.idempotence", "true"},
    {"linger.ms", "1"}, {"queue.buffering.max.messages", "100000"}, {"message.timeout.ms", "15000"},
    {"socket.nagle.disable", "true"}, {"reconnect.backoff.ms", "100"}, {"reconnect.backoff.max.ms", "1000"}};
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
    if (rd_kafka_conf_set(c, kv[i][0], kv[i][1], err, sizeof err)) { fprintf(stderr, "%s\n", err); return 1; }
  rd_kafka_conf_set_dr_msg_cb(c, dr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  if (!rk) { fprintf(stderr, "%s\n", err); return 1; }
  char *v = malloc(size); memset(v, 'x', size);
  for (int p = 0; p < 6; p++) rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(v, size), RD_KAFKA_V_END);
  rd_kafka_flush(rk, 30000); done = 0; failed = 0;  /* warm-up: metadata, connection, producer id */
  double t0 = now();
  for (long i = 0; i < n; i++) {
    while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(v, size), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(rk, 10);
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 60000);
  double dt = now() - t0;
  printf("C librdkafka %s: %ld in %.3f s = %.0f msg/s (done %ld failed %ld)\n", rd_kafka_version_str(), n, dt, n / dt, done, failed);
  rd_kafka_destroy(rk); return 0;
}
