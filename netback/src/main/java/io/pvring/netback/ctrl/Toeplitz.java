package io.pvring.netback.ctrl;

import org.agrona.DirectBuffer;

/**
 * The Toeplitz hash exactly as {@code xen_netif_toeplitz_hash} in {@code io/netif.h} computes it (key and input are
 * shift registers, MSB of byte 0 left-most; a key shorter than the input is padded with zeros). Allocation-free.
 */
public final class Toeplitz
{
    private Toeplitz()
    {
    }

    /** Hash of {@code length} bytes of {@code input} at {@code offset} under {@code key[0, keyLength)}. */
    public static int hash(final byte[] key, final int keyLength, final DirectBuffer input, final int offset,
        final int length)
    {
        long prefix = 0;
        int keyIndex;
        for (keyIndex = 0; keyIndex < 8; keyIndex++)
        {
            prefix = (prefix << 8) | (keyIndex < keyLength ? key[keyIndex] & 0xFF : 0);
        }
        long hash = 0;
        for (int i = 0; i < length; i++)
        {
            int value = input.getByte(offset + i) & 0xFF;
            for (int bit = 0; bit < 8; bit++)
            {
                if ((value & 0x80) != 0)
                {
                    hash ^= prefix;
                }
                prefix <<= 1;
                value <<= 1;
            }
            prefix |= keyIndex < keyLength ? key[keyIndex] & 0xFF : 0;
            keyIndex++;
        }
        return (int)(hash >>> 32);
    }
}
