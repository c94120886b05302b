package io.pvring.aio;

/**
 * A reusable list of native memory segments for a vectored request (a blkif request's segments), filled by the
 * caller and copied by the engine at submission, so one instance serves every request.
 */
public final class IoVector
{
    private final long[] addresses;
    private final int[] lengths;
    private int count;
    private long totalBytes;

    public IoVector(final int maxSegments)
    {
        if (maxSegments < 1)
        {
            throw new IllegalArgumentException("maxSegments=" + maxSegments);
        }
        addresses = new long[maxSegments];
        lengths = new int[maxSegments];
    }

    public IoVector clear()
    {
        count = 0;
        totalBytes = 0;
        return this;
    }

    /** Appends a segment of {@code length} bytes at native {@code address}. */
    public IoVector add(final long address, final int length)
    {
        if (count == addresses.length)
        {
            throw new IllegalStateException("IoVector full: maxSegments=" + addresses.length);
        }
        if (length <= 0)
        {
            throw new IllegalArgumentException("length=" + length);
        }
        addresses[count] = address;
        lengths[count] = length;
        count++;
        totalBytes += length;
        return this;
    }

    public int count()
    {
        return count;
    }

    public long address(final int index)
    {
        return addresses[index];
    }

    public int length(final int index)
    {
        return lengths[index];
    }

    public long totalBytes()
    {
        return totalBytes;
    }

    public int maxSegments()
    {
        return addresses.length;
    }
}
