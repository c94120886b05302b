package io.pvring.ring;

import java.lang.reflect.Field;

import org.agrona.UnsafeApi;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The private indices of a front ring and a back ring, written by two threads in turn, sit 128 bytes (two cache
 * lines) away from anything another object could hold: the field layout is asked of the JVM, not assumed.
 */
class RingPaddingTest
{
    private static final int PADDING = 128;

    @ParameterizedTest
    @ValueSource(classes = {FrontRing.class, BackRing.class})
    void indicesHaveTwoCacheLinesOfPaddingOnEachSide(final Class<?> ring) throws ReflectiveOperationException
    {
        final Class<?> indices = ring.getSuperclass().getSuperclass();
        long first = Long.MAX_VALUE;
        long last = 0;
        for (final Field field : indices.getDeclaredFields())
        {
            final long offset = UnsafeApi.objectFieldOffset(field);
            first = Math.min(first, offset);
            last = Math.max(last, offset);
        }
        long after = Long.MAX_VALUE;
        for (final Field field : ring.getSuperclass().getDeclaredFields())
        {
            after = Math.min(after, UnsafeApi.objectFieldOffset(field));
        }
        long lastPad = 0;
        for (final Field field : ring.getSuperclass().getDeclaredFields())
        {
            lastPad = Math.max(lastPad, UnsafeApi.objectFieldOffset(field));
        }
        assertTrue(first >= PADDING, ring.getSimpleName() + " first index at " + first);
        assertTrue(after > last, "padding after the indices: " + after + " > " + last);
        assertTrue(lastPad + 1 - last >= PADDING, "padding after the indices spans " + (lastPad + 1 - last));
    }
}
