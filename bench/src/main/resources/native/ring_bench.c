/*
 * pvring native baseline: the `pvring bench ring` workload in C over Xen's own io/ring.h macros.
 * A front thread writes SLOT_BYTES requests (id, send stamp, payload) in batches with
 * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY and reads 16-byte responses; a back thread copies each request out with
 * RING_COPY_REQUEST and answers with RING_PUSH_RESPONSES_AND_CHECK_NOTIFY. A side that finds no work runs
 * RING_FINAL_CHECK_FOR_* once and, if that finds nothing either, idles; then it only reads the producer index and
 * idles until work arrives, exactly as the Java workload does.
 *
 * Build: gcc -O2 -pthread -DSLOT_BYTES=112 ring_bench.c -o ring_bench
 * Usage: ring_bench BATCH RING_ORDER WARMUP_MS DURATION_MS spin|yield|backoff|notify [single]
 * Prints one line: ops=.. seconds=.. p50_ns=.. p99_ns=.. p999_ns=.. max_ns=.. sent=.. suppressed=.. entries=..
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Barriers as Linux defines them on x86-64 (virt_mb is a locked add; wmb/rmb are compiler barriers on TSO). */
#define mb()  __asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::: "memory", "cc")
#define rmb() __asm__ __volatile__("" ::: "memory")
#define wmb() __asm__ __volatile__("" ::: "memory")
#define cpu_relax() __asm__ __volatile__("pause" ::: "memory")
/*
 * The back's private copy of a request escapes here, as it would into a real backend's parser. Without it gcc -O2
 * sees that the response slot is the request slot (req_cons and rsp_prod_pvt move together in this loop) and that
 * the response's id and stamp are the very bytes just read, drops those stores and, with them, the copy itself,
 * volatile or not: the back then never touches a slot (seen in the generated assembly), which is not the workload
 * the Java back runs.
 */
#define escape(p) __asm__ __volatile__("" : : "r"(p) : "memory")

#include <sched.h>

/* --idle as the Java side has it: spin (pause), yield (sched_yield), backoff (Agrona's BackoffIdleStrategy:
 * 10 spins, 5 yields, then sleeps from 1 us doubling to 1 ms). */
enum { IDLE_SPIN = 0, IDLE_YIELD = 1, IDLE_BACKOFF = 2, IDLE_NOTIFY = 3 };
static int idle_mode = IDLE_SPIN;

static void idle(int *state)
{
    if (idle_mode == IDLE_SPIN)
    {
        cpu_relax();
        return;
    }
    if (idle_mode == IDLE_YIELD)
    {
        sched_yield();
        return;
    }
    int n = (*state)++;
    if (n < 10)
    {
        cpu_relax();
    }
    else if (n < 15)
    {
        sched_yield();
    }
    else
    {
        int shift = n - 15 < 10 ? n - 15 : 10;
        struct timespec ts = { 0, 1000L << shift };
        nanosleep(&ts, NULL);
    }
}

#include <xen/io/ring.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * --idle notify: an event channel per side, as the Java workload's (a pending bit the peer sets; the side sleeps
 * on it, in a futex, until it is set). The notifier wakes the sleeper only on a 0 -> 1 change while it is
 * waiting; both store then load sequentially consistent flags, so one of them always sees the other.
 */
struct __attribute__((aligned(128))) event
{
    int pending;
    int waiting;
};
static struct event front_evt; /* the front sleeps on it, the back notifies it */
static struct event back_evt;  /* the back sleeps on it, the front notifies it */

static void evt_notify(struct event *e)
{
    if (__atomic_exchange_n(&e->pending, 1, __ATOMIC_SEQ_CST) == 0 && __atomic_load_n(&e->waiting, __ATOMIC_SEQ_CST))
    {
        syscall(SYS_futex, &e->pending, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

/* The interrupt handler's first step: clear the pending bit, then look at the ring. */
static void evt_consume(struct event *e)
{
    if (__atomic_load_n(&e->pending, __ATOMIC_RELAXED))
    {
        __atomic_store_n(&e->pending, 0, __ATOMIC_SEQ_CST);
    }
}

static void evt_wait(struct event *e)
{
    __atomic_store_n(&e->waiting, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&e->pending, __ATOMIC_SEQ_CST) == 0)
    {
        syscall(SYS_futex, &e->pending, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    }
    __atomic_store_n(&e->waiting, 0, __ATOMIC_SEQ_CST);
}

static void side_idle(int *state, struct event *own)
{
    if (idle_mode == IDLE_NOTIFY)
    {
        evt_wait(own);
    }
    else
    {
        idle(state);
    }
}

#ifndef SLOT_BYTES
#define SLOT_BYTES 112
#endif

#define PAGE_SIZE 4096

struct bench_request
{
    uint64_t id;
    uint64_t stamp;
    uint8_t payload[SLOT_BYTES - 16];
};

struct bench_response
{
    uint64_t id;
    uint64_t stamp;
};

DEFINE_RING_TYPES(bench, struct bench_request, struct bench_response);

/* Log-linear latency histogram: exact below 128 ns, 64 sub-buckets per power of two above (1.6% resolution). */
#define BUCKETS (128 + 57 * 64)
/*
 * What each thread writes lives on cache lines of its own (128 bytes: the adjacent-line prefetcher pairs lines),
 * away from the read-mostly globals both threads read every turn (phase, batch, sring): otherwise every count the
 * front makes would take the line the back is about to read.
 */
#define OWN_LINES __attribute__((aligned(128)))
struct OWN_LINES front_state
{
    uint64_t histogram[BUCKETS];
    uint64_t max_ns;
    uint64_t ops;
    uint64_t sent;
    uint64_t suppressed;
};
struct OWN_LINES back_state
{
    uint64_t sent;
    uint64_t suppressed;
};
static struct front_state fs;
static struct back_state bs;

static inline int bucket_of(uint64_t v)
{
    if (v < 128)
    {
        return (int)v;
    }
    int e = 63 - __builtin_clzll(v);
    return 128 + (e - 7) * 64 + (int)((v >> (e - 6)) & 63);
}

static uint64_t bucket_low(int b)
{
    if (b < 128)
    {
        return (uint64_t)b;
    }
    int e = (b - 128) / 64 + 7;
    int s = (b - 128) % 64;
    return (1ULL << e) + ((uint64_t)s << (e - 6));
}

static uint64_t percentile(uint64_t total, double p)
{
    uint64_t rank = (uint64_t)(total * p / 100.0);
    uint64_t seen = 0;
    for (int b = 0; b < BUCKETS; b++)
    {
        seen += fs.histogram[b];
        if (seen > rank)
        {
            return bucket_low(b);
        }
    }
    return fs.max_ns;
}

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

enum { WARMUP = 0, MEASURE = 1, STOP = 2 };
static volatile int phase = WARMUP;
static volatile sig_atomic_t interrupted;

static struct bench_sring *sring;
static int batch;
static uint8_t payload[SLOT_BYTES];

static void *front_thread(void *arg)
{
    struct bench_front_ring front;
    uint64_t next_id = 0;
    int seen = WARMUP;
    int armed = 0;
    int idle_state = 0;
    (void)arg;
    FRONT_RING_ATTACH(&front, sring, 0, PAGE_SIZE << (uintptr_t)arg);
    for (;;)
    {
        int p = __atomic_load_n(&phase, __ATOMIC_ACQUIRE);
        if (p != seen)
        {
            if (p == STOP)
            {
                break;
            }
            seen = p;
            fs.ops = 0;
            fs.sent = fs.suppressed = 0;
            memset(fs.histogram, 0, sizeof(fs.histogram));
            fs.max_ns = 0;
        }
        if (idle_mode == IDLE_NOTIFY)
        {
            evt_consume(&front_evt);
        }
        int work = 0;
        if (RING_FREE_REQUESTS(&front) >= (unsigned)batch)
        {
            uint64_t stamp = now_ns();
            for (int i = 0; i < batch; i++)
            {
                struct bench_request *req = RING_GET_REQUEST(&front, front.req_prod_pvt);
                memcpy(req, payload, SLOT_BYTES);
                req->id = next_id++;
                req->stamp = stamp;
                front.req_prod_pvt++;
            }
            int notify;
            RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
            if (notify)
            {
                fs.sent++;
                if (idle_mode == IDLE_NOTIFY)
                {
                    evt_notify(&back_evt);
                }
            }
            else
            {
                fs.suppressed++;
            }
            work += batch;
        }
        RING_IDX rp = front.sring->rsp_prod;
        rmb(); /* responses read after the index that covers them */
        if (rp != front.rsp_cons)
        {
            uint64_t t = now_ns();
            while (front.rsp_cons != rp)
            {
                struct bench_response *rsp = RING_GET_RESPONSE(&front, front.rsp_cons);
                uint64_t lat = t > rsp->stamp ? t - rsp->stamp : 0;
                front.rsp_cons++;
                fs.histogram[bucket_of(lat)]++;
                if (lat > fs.max_ns)
                {
                    fs.max_ns = lat;
                }
                fs.ops++;
                work++;
            }
        }
        if (work > 0)
        {
            armed = 0;
            idle_state = 0;
        }
        else if (!armed)
        {
            /* going idle: arm rsp_event once, then only read rsp_prod while idle */
            int more;
            armed = 1;
            RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
            if (!more)
            {
                side_idle(&idle_state, &front_evt);
            }
        }
        else
        {
            side_idle(&idle_state, &front_evt);
        }
    }
    return NULL;
}

static void *back_thread(void *arg)
{
    struct bench_back_ring back;
    struct bench_request req;
    int seen = WARMUP;
    int armed = 0;
    int idle_state = 0;
    BACK_RING_ATTACH(&back, sring, 0, PAGE_SIZE << (uintptr_t)arg);
    for (;;)
    {
        int p = __atomic_load_n(&phase, __ATOMIC_ACQUIRE);
        if (p != seen)
        {
            if (p == STOP)
            {
                break;
            }
            seen = p;
            bs.sent = bs.suppressed = 0;
        }
        if (idle_mode == IDLE_NOTIFY)
        {
            evt_consume(&back_evt);
        }
        RING_IDX rc = back.req_cons;
        RING_IDX rp = back.sring->req_prod;
        rmb(); /* requests read after the index that covers them */
        if (RING_REQUEST_PROD_OVERFLOW(&back, rp))
        {
            fprintf(stderr, "ring broken: req_prod=%u\n", rp);
            exit(3);
        }
        int n = 0;
        while (rc != rp && n < batch && !RING_REQUEST_CONS_OVERFLOW(&back, rc))
        {
            RING_COPY_REQUEST(&back, rc, &req);
            escape(&req);
            back.req_cons = ++rc;
            struct bench_response *rsp = RING_GET_RESPONSE(&back, back.rsp_prod_pvt);
            rsp->id = req.id;
            rsp->stamp = req.stamp;
            back.rsp_prod_pvt++;
            n++;
        }
        if (n > 0)
        {
            int notify;
            RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back, notify);
            if (notify)
            {
                bs.sent++;
                if (idle_mode == IDLE_NOTIFY)
                {
                    evt_notify(&front_evt);
                }
            }
            else
            {
                bs.suppressed++;
            }
        }
        else if (!armed)
        {
            /* going idle: arm req_event once, then only read req_prod while idle */
            int more;
            armed = 1;
            RING_FINAL_CHECK_FOR_REQUESTS(&back, more);
            if (!more)
            {
                side_idle(&idle_state, &back_evt);
            }
        }
        else
        {
            side_idle(&idle_state, &back_evt);
        }
        if (n > 0)
        {
            armed = 0;
            idle_state = 0;
        }
    }
    return NULL;
}

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Sleeps until deadline (monotonic ns); returns 0 when Ctrl-C cut it short. */
static int sleep_until(uint64_t deadline)
{
    for (;;)
    {
        if (interrupted)
        {
            return 0;
        }
        uint64_t now = now_ns();
        if (now >= deadline)
        {
            return 1;
        }
        uint64_t step = deadline - now < 50000000ULL ? deadline - now : 50000000ULL;
        struct timespec ts = { (time_t)(step / 1000000000ULL), (long)(step % 1000000000ULL) };
        nanosleep(&ts, NULL);
    }
}

/*
 * Single-thread mode: one thread plays front and back in turn (write a batch, push; copy out and answer, push;
 * read the responses). No core-to-core transfer and no scheduler in the way: the cost of the ring.h code itself,
 * to set beside JMH's RingStepBenchmark.
 */
static int single_thread(uintptr_t order, uint64_t warmup_ms, uint64_t duration_ms)
{
    struct bench_front_ring front;
    struct bench_back_ring back;
    struct bench_request req;
    uint64_t next_id = 0;
    uint64_t round_trips = 0;
    uint64_t checksum = 0;
    FRONT_RING_ATTACH(&front, sring, 0, PAGE_SIZE << order);
    BACK_RING_ATTACH(&back, sring, 0, PAGE_SIZE << order);
    uint64_t start = now_ns();
    uint64_t measure_from = start + warmup_ms * 1000000ULL;
    uint64_t end = measure_from + duration_ms * 1000000ULL;
    uint64_t measured_start = 0;
    for (uint64_t now = start; now < end && !interrupted; now = now_ns())
    {
        if (measured_start == 0 && now >= measure_from)
        {
            measured_start = now;
            round_trips = 0;
        }
        for (int k = 0; k < 64; k++)
        {
            int notify;
            for (int i = 0; i < batch; i++)
            {
                struct bench_request *r = RING_GET_REQUEST(&front, front.req_prod_pvt);
                memcpy(r, payload, SLOT_BYTES);
                r->id = next_id++;
                r->stamp = now;
                front.req_prod_pvt++;
            }
            RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
            RING_IDX rc = back.req_cons;
            RING_IDX rp = back.sring->req_prod;
            rmb();
            while (rc != rp)
            {
                RING_COPY_REQUEST(&back, rc, &req);
                escape(&req);
                back.req_cons = ++rc;
                struct bench_response *rsp = RING_GET_RESPONSE(&back, back.rsp_prod_pvt);
                rsp->id = req.id;
                rsp->stamp = req.stamp;
                back.rsp_prod_pvt++;
            }
            RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back, notify);
            RING_IDX rsp_prod = front.sring->rsp_prod;
            rmb();
            while (front.rsp_cons != rsp_prod)
            {
                checksum += RING_GET_RESPONSE(&front, front.rsp_cons)->id;
                front.rsp_cons++;
                round_trips++;
            }
            (void)notify;
        }
    }
    double seconds = measured_start ? (double)(now_ns() - measured_start) / 1e9 : 0.0;
    printf("ops=%llu seconds=%.6f checksum=%llu\n", (unsigned long long)round_trips, seconds,
        (unsigned long long)checksum);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 6 || argc > 7 || (argc == 7 && strcmp(argv[6], "single") != 0)
        || (strcmp(argv[5], "spin") != 0 && strcmp(argv[5], "yield") != 0 && strcmp(argv[5], "backoff") != 0
            && strcmp(argv[5], "notify") != 0))
    {
        fprintf(stderr, "usage: %s BATCH RING_ORDER WARMUP_MS DURATION_MS spin|yield|backoff|notify [single]\n",
            argv[0]);
        return 2;
    }
    idle_mode = strcmp(argv[5], "notify") == 0 ? IDLE_NOTIFY : strcmp(argv[5], "yield") == 0 ? IDLE_YIELD
        : strcmp(argv[5], "backoff") == 0 ? IDLE_BACKOFF
        : IDLE_SPIN;
    batch = atoi(argv[1]);
    uintptr_t order = (uintptr_t)atoi(argv[2]);
    uint64_t warmup_ms = strtoull(argv[3], NULL, 10);
    uint64_t duration_ms = strtoull(argv[4], NULL, 10);
    size_t ring_bytes = (size_t)PAGE_SIZE << order;
    sring = aligned_alloc(PAGE_SIZE, ring_bytes);
    if (sring == NULL)
    {
        perror("aligned_alloc");
        return 1;
    }
    memset(sring, 0, ring_bytes);
    SHARED_RING_INIT(sring);
    unsigned entries = __RING_SIZE(sring, ring_bytes);
    if (batch < 1 || (unsigned)batch > entries)
    {
        fprintf(stderr, "batch must be 1..%u, got %d\n", entries, batch);
        return 2;
    }
    for (int i = 0; i < SLOT_BYTES; i++)
    {
        payload[i] = (uint8_t)(i * 31 + 7);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (argc == 7)
    {
        int rc = single_thread(order, warmup_ms, duration_ms);
        free(sring);
        return rc;
    }

    pthread_t front, back;
    pthread_create(&back, NULL, back_thread, (void *)order);
    pthread_create(&front, NULL, front_thread, (void *)order);
    int complete = sleep_until(now_ns() + warmup_ms * 1000000ULL);
    uint64_t start = now_ns();
    if (complete)
    {
        __atomic_store_n(&phase, MEASURE, __ATOMIC_RELEASE);
        start = now_ns();
        complete = sleep_until(start + duration_ms * 1000000ULL);
    }
    uint64_t end = now_ns();
    __atomic_store_n(&phase, STOP, __ATOMIC_RELEASE);
    evt_notify(&front_evt); /* sleepers wake and see STOP */
    evt_notify(&back_evt);
    pthread_join(front, NULL);
    pthread_join(back, NULL);
    double seconds = phase == STOP && end > start ? (double)(end - start) / 1e9 : 0.0;
    printf("ops=%llu seconds=%.6f p50_ns=%llu p99_ns=%llu p999_ns=%llu max_ns=%llu sent=%llu suppressed=%llu "
        "entries=%u partial=%d\n",
        (unsigned long long)fs.ops, seconds,
        (unsigned long long)percentile(fs.ops, 50), (unsigned long long)percentile(fs.ops, 99),
        (unsigned long long)percentile(fs.ops, 99.9), (unsigned long long)fs.max_ns,
        (unsigned long long)(fs.sent + bs.sent), (unsigned long long)(fs.suppressed + bs.suppressed),
        entries, complete ? 0 : 1);
    free(sring);
    return 0;
}
