/*
 * Differential oracle for io.pvring.ring.FrontRing/BackRing: runs a script of ring operations with the real
 * xen/io/ring.h macros on one shared ring (front and back in this one process, as in Mirage's ring_test.ml) and
 * writes, after every step, a binary record that the Java side produces too and compares byte by byte.
 *
 * stdin:  "slot order start fill steps" then steps lines "op arg" (decimal). slot is 112 or 12.
 * stdout: per step (plus one record for the initial state), little endian:
 *         int32 result, aux, req_prod_pvt, rsp_cons, rsp_prod_pvt, req_cons; then the (4096 << order) ring bytes.
 * Ops are numbered as in RingDifferentialTest.Op; produce/consume/respond handle count(arg) slots, stopping early
 * when the ring says there is no more (RING_FULL, no unconsumed requests/responses, nothing in flight).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A guest without __XEN_INTERFACE_VERSION__ gets the legacy interface, whose xen_mb() etc. call these. */
#define mb() __sync_synchronize()
#define rmb() __sync_synchronize()
#define wmb() __sync_synchronize()

#include <xen/io/ring.h>

/* Request and response sizes of blkif (112/16) and netif tx (12/4): the union slot is the request. */
struct reqt112 { uint8_t b[112]; };
struct rspt112 { uint8_t b[16]; };
DEFINE_RING_TYPES(t112, struct reqt112, struct rspt112);
struct reqt12 { uint8_t b[12]; };
struct rspt12 { uint8_t b[4]; };
DEFINE_RING_TYPES(t12, struct reqt12, struct rspt12);

enum op
{
    FRONT_PRODUCE,
    FRONT_PUSH_AND_CHECK_NOTIFY,
    FRONT_PUSH,
    BACK_CONSUME,
    BACK_RESPOND,
    BACK_PUSH_AND_CHECK_NOTIFY,
    BACK_PUSH,
    FRONT_CONSUME,
    BACK_FINAL_CHECK,
    FRONT_FINAL_CHECK,
    FRONT_FINAL_CHECK_BATCH,
    FREE_REQUESTS,
    HAS_UNCONSUMED,
    FRONT_READ_RESPONSE_IN_PLACE
};

/*
 * ring.h asks for a customised RING_FINAL_CHECK_FOR_RESPONSES to batch notifications; this is that macro with
 * rsp_event set _batch ahead, the contract of FrontRing.finalCheckForResponses(batch).
 */
#define FINAL_CHECK_FOR_RESPONSES_BATCH(_r, _batch, _work_to_do) do {   \
    (_work_to_do) = RING_HAS_UNCONSUMED_RESPONSES(_r);                  \
    if (_work_to_do) break;                                             \
    (_r)->sring->rsp_event = (_r)->rsp_cons + (_batch);                 \
    xen_mb();                                                           \
    (_work_to_do) = RING_HAS_UNCONSUMED_RESPONSES(_r);                  \
} while (0)

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 0x01000193u;
    }
    return h;
}

/* Slots one produce/consume step handles: one, or for a quarter of the steps a batch of up to 64. */
static unsigned count(unsigned arg)
{
    return (arg & 3) == 0 ? 1 + ((arg >> 2) & 63) : 1;
}

static void fill(uint8_t *p, size_t n, uint32_t arg, uint32_t stride)
{
    for (size_t k = 0; k < n; k++) {
        p[k] = (uint8_t)(arg + k * stride);
    }
}

static void emit(int32_t result, int32_t aux, RING_IDX a, RING_IDX b, RING_IDX c, RING_IDX d,
                 const void *page, size_t bytes)
{
    int32_t header[6] = { result, aux, (int32_t)a, (int32_t)b, (int32_t)c, (int32_t)d };
    if (fwrite(header, sizeof(header), 1, stdout) != 1 || fwrite(page, bytes, 1, stdout) != 1) {
        exit(2);
    }
}

#define DEFINE_RUN(tag)                                                                         \
static int run_##tag(unsigned order, RING_IDX start, unsigned fillseed, long steps)            \
{                                                                                               \
    const size_t bytes = (size_t)4096 << order;                                                 \
    struct tag##_sring *sring = aligned_alloc(4096, bytes);                                     \
    struct tag##_front_ring front;                                                              \
    struct tag##_back_ring back;                                                                \
    if (sring == NULL) return 3;                                                                \
    fill((uint8_t *)sring, bytes, fillseed, 131);                                               \
    XEN_FRONT_RING_INIT(&front, sring, bytes);                                                  \
    BACK_RING_INIT(&back, sring, bytes);                                                        \
    if (start != 0) {                                                                           \
        sring->req_prod = sring->rsp_prod = start;                                              \
        sring->req_event = sring->rsp_event = start + 1;                                        \
        FRONT_RING_ATTACH(&front, sring, start, bytes);                                         \
        BACK_RING_ATTACH(&back, sring, start, bytes);                                           \
    }                                                                                           \
    emit(0, 0, front.req_prod_pvt, front.rsp_cons, back.rsp_prod_pvt, back.req_cons, sring, bytes); \
    for (long step = 0; step < steps; step++) {                                                 \
        int op;                                                                                 \
        unsigned arg;                                                                           \
        int32_t result = 0, aux = 0;                                                            \
        int notify, work;                                                                       \
        if (scanf("%d %u", &op, &arg) != 2) return 4;                                           \
        switch (op) {                                                                           \
        case FRONT_PRODUCE:                                                                     \
            for (unsigned i = 0; i < count(arg) && !RING_FULL(&front); i++) {                   \
                fill(RING_GET_REQUEST(&front, front.req_prod_pvt)->b,                           \
                     sizeof(struct req##tag), arg + i, 37);                                     \
                front.req_prod_pvt++;                                                           \
                result++;                                                                       \
            }                                                                                   \
            aux = RING_FREE_REQUESTS(&front);                                                   \
            break;                                                                              \
        case FRONT_PUSH_AND_CHECK_NOTIFY:                                                       \
            RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);                                \
            result = notify;                                                                    \
            break;                                                                              \
        case FRONT_PUSH:                                                                        \
            RING_PUSH_REQUESTS(&front);                                                         \
            break;                                                                              \
        case BACK_CONSUME:                                                                      \
            result = RING_HAS_UNCONSUMED_REQUESTS(&back);                                       \
            for (unsigned i = 0; i < count(arg) && RING_HAS_UNCONSUMED_REQUESTS(&back); i++) {  \
                struct req##tag copy;                                                           \
                RING_COPY_REQUEST(&back, back.req_cons, &copy);                                 \
                back.req_cons++;                                                                \
                aux = aux * 31 + fnv1a(copy.b, sizeof(copy.b));                                 \
            }                                                                                   \
            break;                                                                              \
        case BACK_RESPOND:                                                                      \
            for (unsigned i = 0; i < count(arg) && back.req_cons - back.rsp_prod_pvt != 0; i++) { \
                fill(RING_GET_RESPONSE(&back, back.rsp_prod_pvt)->b,                            \
                     sizeof(struct rsp##tag), arg + i, 53);                                     \
                back.rsp_prod_pvt++;                                                            \
                result++;                                                                       \
            }                                                                                   \
            break;                                                                              \
        case BACK_PUSH_AND_CHECK_NOTIFY:                                                        \
            RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back, notify);                                \
            result = notify;                                                                    \
            break;                                                                              \
        case BACK_PUSH:                                                                         \
            RING_PUSH_RESPONSES(&back);                                                         \
            break;                                                                              \
        case FRONT_CONSUME:                                                                     \
            result = RING_HAS_UNCONSUMED_RESPONSES(&front);                                     \
            for (unsigned i = 0; i < count(arg) && RING_HAS_UNCONSUMED_RESPONSES(&front); i++) { \
                struct rsp##tag copy;                                                           \
                RING_COPY_RESPONSE(&front, front.rsp_cons, &copy);                              \
                front.rsp_cons++;                                                               \
                aux = aux * 31 + fnv1a(copy.b, sizeof(copy.b));                                 \
            }                                                                                   \
            break;                                                                              \
        case BACK_FINAL_CHECK:                                                                  \
            RING_FINAL_CHECK_FOR_REQUESTS(&back, work);                                         \
            result = work != 0;                                                                 \
            break;                                                                              \
        case FRONT_FINAL_CHECK:                                                                 \
            RING_FINAL_CHECK_FOR_RESPONSES(&front, work);                                       \
            result = work != 0;                                                                 \
            break;                                                                              \
        case FRONT_FINAL_CHECK_BATCH:                                                           \
            FINAL_CHECK_FOR_RESPONSES_BATCH(&front, arg, work);                                 \
            result = work != 0;                                                                 \
            break;                                                                              \
        case FREE_REQUESTS:                                                                     \
            result = RING_FREE_REQUESTS(&front);                                                \
            aux = RING_FULL(&front);                                                            \
            break;                                                                              \
        case HAS_UNCONSUMED:                                                                    \
            result = RING_HAS_UNCONSUMED_REQUESTS(&back);                                       \
            aux = RING_HAS_UNCONSUMED_RESPONSES(&front);                                        \
            break;                                                                              \
        case FRONT_READ_RESPONSE_IN_PLACE:                                                      \
            result = RING_HAS_UNCONSUMED_RESPONSES(&front);                                     \
            if (result != 0) {                                                                  \
                aux = fnv1a(RING_GET_RESPONSE(&front, front.rsp_cons)->b, sizeof(struct rsp##tag)); \
                front.rsp_cons++;                                                               \
            }                                                                                   \
            break;                                                                              \
        default:                                                                                \
            return 5;                                                                           \
        }                                                                                       \
        emit(result, aux, front.req_prod_pvt, front.rsp_cons, back.rsp_prod_pvt, back.req_cons, \
             sring, bytes);                                                                     \
    }                                                                                           \
    free(sring);                                                                                \
    return fflush(stdout) == 0 ? 0 : 2;                                                         \
}

DEFINE_RUN(t112)
DEFINE_RUN(t12)

int main(void)
{
    unsigned slot, order, start, fillseed;
    long steps;
    static char buffer[1 << 20];
    setvbuf(stdout, buffer, _IOFBF, sizeof(buffer));
    if (scanf("%u %u %u %u %ld", &slot, &order, &start, &fillseed, &steps) != 5 || order > 4) {
        return 1;
    }
    switch (slot) {
    case 112: return run_t112(order, start, fillseed, steps);
    case 12: return run_t12(order, start, fillseed, steps);
    default: return 1;
    }
}
