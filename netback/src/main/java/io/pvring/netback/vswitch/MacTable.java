package io.pvring.netback.vswitch;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The switch's forwarding database: MAC address to port, with aging. Fixed capacity, open addressing with a bounded
 * probe window, no allocation after construction. Each entry is one 64-bit word (MAC in the high 48 bits, port + 1
 * in the low 16) so a reader on another thread never sees a MAC paired with another MAC's port; the last-seen time is
 * a separate, racy-but-harmless word. Entries are never emptied, only overwritten, so a lookup may stop at the first
 * empty slot. When a window is full the oldest entry in it is evicted: a flood of forged source MACs costs the
 * attacker the table, never memory.
 */
public final class MacTable
{
    public static final int PROBE_WINDOW = 16;
    private static final long EMPTY = 0L;

    private final AtomicLongArray entries;
    private final long[] lastSeen;
    private final int mask;
    private final long agingNanos;

    public MacTable(final int capacity, final long agingNanos)
    {
        if (capacity < PROBE_WINDOW || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " must be a power of two >= " + PROBE_WINDOW);
        }
        if (agingNanos <= 0)
        {
            throw new IllegalArgumentException("agingNanos=" + agingNanos);
        }
        entries = new AtomicLongArray(capacity);
        lastSeen = new long[capacity];
        mask = capacity - 1;
        this.agingNanos = agingNanos;
    }

    private static int hash(final long mac)
    {
        final long h = mac * 0x9E37_79B9_7F4A_7C15L;
        return (int)(h ^ (h >>> 32));
    }

    private static long entry(final long mac, final int port)
    {
        return (mac << 16) | (port + 1);
    }

    /** Learns (or refreshes) {@code mac} on {@code port} at {@code nowNanos}. */
    public void learn(final long mac, final int port, final long nowNanos)
    {
        final int start = hash(mac) & mask;
        final long key = mac << 16;
        int victim = -1;
        long victimSeen = Long.MAX_VALUE;
        for (int i = 0; i < PROBE_WINDOW; i++)
        {
            final int slot = (start + i) & mask;
            final long current = entries.getAcquire(slot);
            if (current == EMPTY)
            {
                if (victim < 0)
                {
                    victim = slot;
                    victimSeen = Long.MIN_VALUE;
                }
                break;
            }
            if ((current & ~0xFFFFL) == key)
            {
                lastSeen[slot] = nowNanos;
                if ((int)(current & 0xFFFF) != port + 1)
                {
                    entries.setRelease(slot, entry(mac, port)); // the station moved
                }
                return;
            }
            final long seen = lastSeen[slot];
            if (seen < victimSeen)
            {
                victim = slot;
                victimSeen = seen;
            }
        }
        lastSeen[victim] = nowNanos;
        // release: the timestamp is written before the entry that readers look for.
        entries.setRelease(victim, entry(mac, port));
    }

    /** The port {@code mac} was last seen on, or -1 when unknown or aged out. */
    public int lookup(final long mac, final long nowNanos)
    {
        final int start = hash(mac) & mask;
        final long key = mac << 16;
        for (int i = 0; i < PROBE_WINDOW; i++)
        {
            final int slot = (start + i) & mask;
            final long current = entries.getAcquire(slot);
            if (current == EMPTY)
            {
                return -1;
            }
            if ((current & ~0xFFFFL) == key)
            {
                return nowNanos - lastSeen[slot] > agingNanos ? -1 : (int)(current & 0xFFFF) - 1;
            }
        }
        return -1;
    }

    /** Forgets every address learnt on {@code port} (the port went away). */
    public void forgetPort(final int port)
    {
        for (int slot = 0; slot <= mask; slot++)
        {
            final long current = entries.getAcquire(slot);
            if (current != EMPTY && (int)(current & 0xFFFF) == port + 1)
            {
                lastSeen[slot] = Long.MIN_VALUE / 2;
            }
        }
    }

    /** Live (not aged) entries; walks the table, for stats and tests only. */
    public int size(final long nowNanos)
    {
        int live = 0;
        for (int slot = 0; slot <= mask; slot++)
        {
            if (entries.getAcquire(slot) != EMPTY && nowNanos - lastSeen[slot] <= agingNanos)
            {
                live++;
            }
        }
        return live;
    }
}
