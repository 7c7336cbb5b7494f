#ifndef CALLBRIDGE_CRDKAFKA_SHIM_H
#define CALLBRIDGE_CRDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Swift cannot call C variadic functions (rd_kafka_producev), and building the union
 * inside rd_kafka_vu_t from Swift is clumsy, so the arguments of rd_kafka_produceva are
 * assembled here. The value and key are copied by librdkafka (RD_KAFKA_MSG_F_COPY), so
 * the caller's buffers may be released as soon as this returns. On success librdkafka
 * owns `headers`; on failure the caller still owns them.
 */
static inline rd_kafka_error_t *callbridge_produce(rd_kafka_t *rk,
                                                   const char *topic,
                                                   int32_t partition,
                                                   const void *key, size_t key_len,
                                                   const void *value, size_t value_len,
                                                   rd_kafka_headers_t *headers,
                                                   int64_t timestamp_ms,
                                                   void *opaque) {
    rd_kafka_vu_t vus[8];
    size_t n = 0;
    vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
    vus[n].u.cstr = topic;
    n++;
    vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
    vus[n].u.i32 = partition;
    n++;
    vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[n].u.i = RD_KAFKA_MSG_F_COPY;
    n++;
    vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[n].u.mem.ptr = (void *)value;
    vus[n].u.mem.size = value_len;
    n++;
    if (key != NULL) {
        vus[n].vtype = RD_KAFKA_VTYPE_KEY;
        vus[n].u.mem.ptr = (void *)key;
        vus[n].u.mem.size = key_len;
        n++;
    }
    if (headers != NULL) {
        vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
        vus[n].u.headers = headers;
        n++;
    }
    if (timestamp_ms > 0) {
        vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
        vus[n].u.i64 = timestamp_ms;
        n++;
    }
    vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vus[n].u.ptr = opaque;
    n++;
    return rd_kafka_produceva(rk, vus, n);
}

#endif
