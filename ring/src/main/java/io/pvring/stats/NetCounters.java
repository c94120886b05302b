package io.pvring.stats;

/**
 * The counters of one netif queue (type ids {@value #TYPE_ID_BASE} + index), named from the ring's side as netif
 * names them: TX is what the guest sends (its TX ring), RX what it receives.
 */
public final class NetCounters
{
    public static final int TYPE_ID_BASE = 200;

    public static final int TX_PACKETS = 0;
    public static final int TX_BYTES = 1;
    public static final int TX_SLOTS = 2;
    /** Guest packets answered with {@code NETIF_RSP_ERROR}. */
    public static final int TX_ERRORS = 3;
    public static final int TX_NOTIFY_SENT = 4;
    public static final int TX_NOTIFY_SUPPRESSED = 5;
    /** Times TX stopped for lack of credit (the rate shaper). */
    public static final int TX_CREDIT_STALLS = 6;
    /** Zero-size TX slots answered without touching their grant (XSA-448). */
    public static final int TX_ZERO_SLOTS = 7;
    public static final int RX_PACKETS = 8;
    public static final int RX_BYTES = 9;
    public static final int RX_SLOTS = 10;
    public static final int RX_ERRORS = 11;
    /** Frames for the guest dropped: backlog full, guest stalled, too big. */
    public static final int RX_DROPS = 12;
    public static final int RX_NOTIFY_SENT = 13;
    public static final int RX_NOTIFY_SUPPRESSED = 14;
    public static final int RX_STALLS = 15;
    public static final int GRANT_MAPS = 16;
    public static final int GRANT_COPIES = 17;
    /** Gauge: unconsumed TX requests at the start of the last batch. */
    public static final int RING_FILL = 18;
    public static final int POLL_NANOS = 19;
    public static final int THROTTLED_NANOS = 20;
    /** Gauge: the queue's adaptive polling window on its runner, nanoseconds (0 unless it waits adaptive). */
    public static final int POLL_WINDOW_NANOS = 21;
    /** Times the queue armed its rings and slept on its runner. */
    public static final int SLEEPS = 22;
    /** Times the queue was woken from a sleep (a notification, a frame from another vif, a timer). */
    public static final int WAKEUPS = 23;

    public static final CounterSet SET = new CounterSet(DeviceKind.VIF, TYPE_ID_BASE,
        "tx_packets", "tx_bytes", "tx_slots", "tx_errors", "tx_notify_sent", "tx_notify_suppressed",
        "tx_credit_stalls", "tx_zero_slots",
        "rx_packets", "rx_bytes", "rx_slots", "rx_errors", "rx_drops", "rx_notify_sent", "rx_notify_suppressed",
        "rx_stalls",
        "grant_maps", "grant_copies", "ring_fill", "poll_ns", "throttled_ns",
        "poll_window_ns", "sleeps", "wakeups");

    static
    {
        if (SET.size() != WAKEUPS + 1)
        {
            throw new AssertionError("names out of step with indices: " + SET.size());
        }
    }

    private NetCounters()
    {
    }
}
