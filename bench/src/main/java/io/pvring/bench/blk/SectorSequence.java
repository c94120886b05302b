package io.pvring.bench.blk;

/**
 * The sectors one load generator addresses, block by block: random blocks (xorshift64, its own seed) or a sequential
 * walk from a first block that wraps at the disk's end; and the same generator's draws for the read/write mix.
 * Single-threaded, no allocation.
 */
public final class SectorSequence
{
    private final int sectorsPerBlock;
    private final long blocks;
    private final boolean random;
    private long nextBlock;
    private long rng;

    /**
     * @param firstBlock where a sequential walk starts (generators sharing a disk start apart).
     * @param seed distinct per generator, non-zero.
     */
    public SectorSequence(
        final int blockSize, final long diskBytes, final boolean random, final long firstBlock, final long seed)
    {
        this.sectorsPerBlock = blockSize / BlkBenchConfig.SECTOR;
        this.blocks = diskBytes / blockSize;
        this.random = random;
        this.nextBlock = firstBlock;
        this.rng = seed;
    }

    /** Sectors per request (one block). */
    public int sectorsPerBlock()
    {
        return sectorsPerBlock;
    }

    /** The first sector of the next request's block. */
    public long nextSector()
    {
        final long block;
        if (random)
        {
            block = (random() >>> 1) % blocks;
        }
        else
        {
            block = nextBlock;
            nextBlock = nextBlock + 1 == blocks ? 0 : nextBlock + 1;
        }
        return block * sectorsPerBlock;
    }

    /** A non-negative pseudo-random draw (xorshift64). */
    public long random()
    {
        long x = rng;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        rng = x;
        return x & Long.MAX_VALUE;
    }
}
