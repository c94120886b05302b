package io.pvring.blkback.store;

/** Argument checks shared by the stores: programmer errors, so they throw with {@code name=value} messages. */
final class StoreChecks
{
    private StoreChecks()
    {
    }

    static void checkGeometry(final long sizeBytes, final int sectorSize)
    {
        if (sectorSize < 512 || Integer.bitCount(sectorSize) != 1 || sectorSize > 65536)
        {
            throw new IllegalArgumentException("sectorSize=" + sectorSize + " is not a power of two in 512..65536");
        }
        if (sizeBytes < 0 || sizeBytes % sectorSize != 0)
        {
            throw new IllegalArgumentException(
                "sizeBytes=" + sizeBytes + " is not a non-negative multiple of sectorSize=" + sectorSize);
        }
    }
}
