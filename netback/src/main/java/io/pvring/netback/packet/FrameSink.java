package io.pvring.netback.packet;

import org.agrona.DirectBuffer;

/** Receives frames produced one at a time (GSO segments, decoded uplink frames); must not keep the buffer. */
@FunctionalInterface
public interface FrameSink
{
    /**
     * @return true when the frame was taken; false is back-pressure (the producer counts a drop or stops).
     */
    boolean onFrame(DirectBuffer buffer, int offset, int length);
}
