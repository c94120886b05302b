package io.pvring.bench.blk;

import java.util.Locale;

/** fio's {@code --rw}: where the next I/O goes and whether it reads or writes. */
public enum BlkPattern
{
    READ(false, 0), WRITE(false, 100), RANDREAD(true, 0), RANDWRITE(true, 100), RANDRW(true, 50);

    private final boolean random;
    private final int writePercent;

    BlkPattern(final boolean random, final int writePercent)
    {
        this.random = random;
        this.writePercent = writePercent;
    }

    public boolean random()
    {
        return random;
    }

    /** Share of writes, 0..100. */
    public int writePercent()
    {
        return writePercent;
    }

    public String label()
    {
        return name().toLowerCase(Locale.ROOT);
    }
}
