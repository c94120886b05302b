package io.pvring.stats;

/**
 * The counters of one blkif ring (type ids {@value #TYPE_ID_BASE} + index). Requests and bytes are counted when a
 * request is accepted, completions and latency when its response is written: {@code LATENCY_NANOS} and
 * {@code BUSY_NANOS} are /proc/diskstats' "time spent doing I/Os" pair, from which a reader derives await
 * (latency / completions), aqu-sz (latency / interval) and util (busy / interval) as iostat does.
 */
public final class BlkCounters
{
    public static final int TYPE_ID_BASE = 100;

    public static final int READ_REQUESTS = 0;
    public static final int WRITE_REQUESTS = 1;
    /** {@code BLKIF_OP_FLUSH_DISKCACHE} and {@code BLKIF_OP_WRITE_BARRIER}. */
    public static final int FLUSH_REQUESTS = 2;
    public static final int DISCARD_REQUESTS = 3;
    public static final int READ_BYTES = 4;
    public static final int WRITE_BYTES = 5;
    public static final int DISCARD_BYTES = 6;
    /** Gauge: requests accepted and not yet answered. */
    public static final int IN_FLIGHT = 7;
    public static final int COMPLETIONS = 8;
    /** Sum of completed requests' latencies (accept to response), nanoseconds. */
    public static final int LATENCY_NANOS = 9;
    /** Time with at least one request in flight, nanoseconds. */
    public static final int BUSY_NANOS = 10;
    /** Responses {@code BLKIF_RSP_ERROR} because the store failed. */
    public static final int IO_ERRORS = 11;
    /** Responses {@code BLKIF_RSP_EOPNOTSUPP}. */
    public static final int UNSUPPORTED_ERRORS = 12;
    /** Malformed requests answered with an error (bad segments, sectors, grants). */
    public static final int PROTOCOL_ERRORS = 13;
    public static final int NOTIFY_SENT = 14;
    public static final int NOTIFY_SUPPRESSED = 15;
    public static final int GRANT_MAPS = 16;
    public static final int GRANT_COPIES = 17;
    public static final int PERSISTENT_HITS = 18;
    public static final int PERSISTENT_EVICTIONS = 19;
    /** Gauge: unconsumed requests on the ring at the start of the last batch. */
    public static final int RING_FILL = 20;
    public static final int BATCHES = 21;
    /** Time spent polling the ring without finding work, nanoseconds. */
    public static final int POLL_NANOS = 22;
    /** Time requests waited for a QoS limit, nanoseconds (a throttle adds to it through its ring's stats). */
    public static final int THROTTLED_NANOS = 23;
    /** Gauge: the ring's adaptive polling window on its runner, nanoseconds (0 unless it waits adaptive). */
    public static final int POLL_WINDOW_NANOS = 24;
    /** Times the ring armed {@code req_event} and slept on its runner. */
    public static final int SLEEPS = 25;
    /** Times the ring was woken from a sleep (a notification, a completion, a timer). */
    public static final int WAKEUPS = 26;
    /** Requests answered {@code BLKIF_RSP_ERROR} because a grant could not be mapped. */
    public static final int GRANT_ERRORS = 27;

    public static final CounterSet SET = new CounterSet(DeviceKind.VBD, TYPE_ID_BASE,
        "read_requests", "write_requests", "flush_requests", "discard_requests",
        "read_bytes", "write_bytes", "discard_bytes",
        "in_flight", "completions", "latency_ns", "busy_ns",
        "io_errors", "unsupported_errors", "protocol_errors",
        "notify_sent", "notify_suppressed", "grant_maps", "grant_copies", "persistent_hits", "persistent_evictions",
        "ring_fill", "batches", "poll_ns", "throttled_ns", "poll_window_ns", "sleeps", "wakeups", "grant_errors");

    static
    {
        if (SET.size() != GRANT_ERRORS + 1)
        {
            throw new AssertionError("names out of step with indices: " + SET.size());
        }
    }

    private BlkCounters()
    {
    }
}
