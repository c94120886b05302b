package io.pvring.netback;

import io.pvring.event.EventPort;
import org.agrona.concurrent.AtomicBuffer;

/**
 * One queue's transport as mapped and bound at connect: its TX and RX shared ring pages and event channels
 * ({@code rxEvent} is {@code txEvent} unless the frontend split the event channels).
 */
record QueueRings(AtomicBuffer tx, AtomicBuffer rx, EventPort txEvent, EventPort rxEvent)
{
}
