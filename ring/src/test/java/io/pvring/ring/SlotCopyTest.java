package io.pvring.ring;

import java.nio.ByteBuffer;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SlotCopyTest
{
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4, 7, 8, 11, 12, 13, 15, 16, 17, 108, 112})
    void copiesExactlyTheSlotAtAnyAlignment(final int length)
    {
        final UnsafeBuffer src = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        for (int i = 0; i < src.capacity(); i++)
        {
            src.putByte(i, (byte)(i * 31 + 7));
        }
        for (int srcOffset = 60; srcOffset < 68; srcOffset++)
        {
            final UnsafeBuffer dst = new UnsafeBuffer(new byte[length + 8]);
            dst.setMemory(0, dst.capacity(), (byte)0x5A);
            SlotCopy.copy(src, srcOffset, dst, 4, length);
            for (int i = 0; i < 4; i++)
            {
                assertEquals((byte)0x5A, dst.getByte(i), "byte before the copy untouched");
            }
            for (int i = 0; i < length; i++)
            {
                assertEquals(src.getByte(srcOffset + i), dst.getByte(4 + i), "length=" + length + " byte " + i);
            }
            for (int i = 4 + length; i < dst.capacity(); i++)
            {
                assertEquals((byte)0x5A, dst.getByte(i), "byte after the copy untouched");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void copiesBetweenEveryKindOfMemory(final boolean srcOnHeap, final boolean dstOnHeap)
    {
        final int length = 112;
        final UnsafeBuffer src = srcOnHeap ? new UnsafeBuffer(new byte[256]) :
            new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        final UnsafeBuffer dst = dstOnHeap ? new UnsafeBuffer(new byte[256]) :
            new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        for (int i = 0; i < src.capacity(); i++)
        {
            src.putByte(i, (byte)(i * 13 + 1));
        }
        dst.setMemory(0, dst.capacity(), (byte)0x5A);
        SlotCopy.copy(src, 64, dst, 8, length);
        for (int i = 0; i < dst.capacity(); i++)
        {
            final byte expected = i >= 8 && i < 8 + length ? src.getByte(64 + i - 8) : (byte)0x5A;
            assertEquals(expected, dst.getByte(i), "byte " + i);
        }
    }

    @Test
    void refusesRangesOutsideEitherBufferEvenWithBoundsChecksOff()
    {
        // The large-slot path copies by raw address: its own checks are all that stands between a bad offset and
        // memory outside the buffers, so they must not depend on agrona.disable.bounds.checks.
        final UnsafeBuffer src = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        assertThrows(IndexOutOfBoundsException.class, () -> SlotCopy.copy(src, 200, dst, 0, 112));
        assertThrows(IndexOutOfBoundsException.class, () -> SlotCopy.copy(src, 0, dst, 145, 112));
        assertThrows(IndexOutOfBoundsException.class, () -> SlotCopy.copy(src, -8, dst, 0, 112));
        final UnsafeBuffer heap = new UnsafeBuffer(new byte[100]);
        assertThrows(IndexOutOfBoundsException.class, () -> SlotCopy.copy(src, 0, heap, 0, 112));
        assertThrows(IndexOutOfBoundsException.class, () -> SlotCopy.copy(heap, 0, dst, 0, 112));
    }
}
