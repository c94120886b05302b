package io.pvring.bench.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The state of a file's page cache when a run beside fio starts ({@code bench blk --page-cache}): {@link #COLD}
 * (dropped, so reads reach the device) or {@link #HOT} (the whole file read in first, so reads are page-cache
 * copies). Both pvring's run and fio's runs start from the same state: fio gets {@code --invalidate=1} or {@code 0}
 * to match, since its default would drop a warmed cache.
 */
public enum PageCache
{
    COLD, HOT;

    private static final int CHUNK = 1 << 20;

    /**
     * The state named {@code name} ({@code cold} or {@code hot}, any case).
     *
     * @throws IllegalArgumentException naming both.
     */
    public static PageCache parse(final String name)
    {
        for (final PageCache state : values())
        {
            if (state.token().equals(name.trim().toLowerCase(Locale.ROOT)))
            {
                return state;
            }
        }
        throw new IllegalArgumentException("--page-cache takes cold or hot, got " + name);
    }

    /** The name users type and records carry: {@code cold}, {@code hot}. */
    public String token()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /** fio's {@code --invalidate} value for this state. */
    public int fioInvalidate()
    {
        return this == COLD ? 1 : 0;
    }

    /** Puts {@code file}'s page cache in this state: drops it, or reads the whole file once. */
    public void prepare(final Path file) throws IOException, InterruptedException
    {
        if (this == COLD)
        {
            FioBaseline.dropCache(file);
            return;
        }
        final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            long position = 0;
            int read;
            while ((read = channel.read(chunk.clear(), position)) > 0)
            {
                position += read;
            }
        }
    }
}
