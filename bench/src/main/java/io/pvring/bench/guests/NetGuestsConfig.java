package io.pvring.bench.guests;

import io.pvring.event.WaitMode;

/**
 * One many-guests net run: the frame every guest sends, checksum offload, and how both sides wait. Checked before
 * anything starts; messages name the option.
 *
 * @param frameBytes Ethernet frame length without FCS, one slot (64..1514).
 */
public record NetGuestsConfig(int frameBytes, boolean csum, WaitMode waitMode)
{
    public static final int MIN_FRAME = 64;
    public static final int MAX_FRAME = 1514;

    public NetGuestsConfig
    {
        if (frameBytes < MIN_FRAME || frameBytes > MAX_FRAME)
        {
            throw new IllegalArgumentException("--frame with --guests must be " + MIN_FRAME + ".." + MAX_FRAME
                + " bytes, got " + frameBytes);
        }
        if (waitMode == null || waitMode == WaitMode.BACKOFF)
        {
            throw new IllegalArgumentException("--wait must be poll, notify or adaptive, got " + waitMode);
        }
    }

    public NetGuestsConfig withWait(final WaitMode mode)
    {
        return new NetGuestsConfig(frameBytes, csum, mode);
    }

    public boolean poll()
    {
        return waitMode == WaitMode.POLL;
    }
}
