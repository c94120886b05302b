package io.pvring.bench.net;

import io.pvring.event.WaitMode;
import io.pvring.netif.Netif;

/**
 * One net run: frame size, queues per vif, scatter-gather, GSO, checksum offload, how both sides wait, optional
 * rate. Checked before anything starts; messages name the option and what it accepts.
 *
 * @param frameBytes Ethernet frame length without FCS (with GSO: the super-frame the guest hands over).
 * @param waitMode   how both sides wait: {@code poll}, {@code notify} or {@code adaptive}.
 * @param rate       offered packets per second, 0 for closed loop.
 */
public record NetBenchConfig(
    int frameBytes, int queues, boolean sg, boolean gso, boolean csum, WaitMode waitMode, long rate)
{
    public static final int MIN_FRAME = 64;
    public static final int PAGE = 4096;
    /** Ethernet + IPv4 + TCP headers ahead of a GSO payload. */
    public static final int TCP_HEADERS = 14 + 20 + 20;
    /** The MSS a GSO super-frame is cut to (1500-byte MTU). */
    public static final int MSS = 1448;

    public NetBenchConfig
    {
        if (frameBytes < MIN_FRAME || frameBytes > Netif.MAX_TX_SIZE)
        {
            throw new IllegalArgumentException("--frame must be " + MIN_FRAME + ".." + Netif.MAX_TX_SIZE
                + " bytes, got " + frameBytes);
        }
        if (frameBytes > PAGE && !sg)
        {
            throw new IllegalArgumentException("--frame " + frameBytes + " needs --sg on (one slot carries at most "
                + PAGE + " bytes)");
        }
        if (gso && !sg)
        {
            throw new IllegalArgumentException("--gso on needs --sg on (GSO packets span several slots)");
        }
        if (gso && frameBytes <= TCP_HEADERS + MSS)
        {
            throw new IllegalArgumentException("--gso on needs --frame above " + (TCP_HEADERS + MSS)
                + " (a super-frame of several " + MSS + "-byte segments), got " + frameBytes);
        }
        if (queues < 1 || queues > 8)
        {
            throw new IllegalArgumentException("--queues must be 1..8, got " + queues);
        }
        if (waitMode == null || waitMode == WaitMode.BACKOFF)
        {
            throw new IllegalArgumentException("--wait must be poll, notify or adaptive, got " + waitMode);
        }
        if (rate < 0)
        {
            throw new IllegalArgumentException("--rate must be a positive number of packets per second, got "
                + rate);
        }
    }

    /** True when both sides spin. */
    public boolean poll()
    {
        return waitMode == WaitMode.POLL;
    }
}
