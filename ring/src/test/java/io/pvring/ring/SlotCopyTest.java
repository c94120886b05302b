package io.pvring.ring;

import java.nio.ByteBuffer;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
