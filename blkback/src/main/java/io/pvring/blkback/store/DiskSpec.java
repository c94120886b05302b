package io.pvring.blkback.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pvring.blkback.qos.ThrottleLimits;

/**
 * A virtual disk as a user writes it, shared by {@code serve --disk} and {@code bench blk --store}: the store kind
 * and its target first, then options, QEMU style.
 * <pre>
 *   file:PATH[,cache=none|writeback|writethrough][,aio=threads|io_uring]
 *   qcow2:PATH[,format=FMT][,cache=...][,aio=...]  (an image served through qemu-nbd: qcow2 unless
 *                                                   format= names another qemu format, raw, vmdk, vhdx...)
 *   memory:SIZE   null:SIZE               (SIZE like 512, 4k, 64m, 1g)
 *   nbd://HOST[:PORT]/EXPORT   nbd+unix:///EXPORT?socket=PATH
 * </pre>
 * Any kind takes I/O limits, QEMU's throttling options ({@link ThrottleLimits}): {@code iops=N} and {@code bps=N}
 * (short for {@code iops-total} and {@code bps-total}), {@code iops-read}, {@code iops-write}, {@code bps-read},
 * {@code bps-write}, each with {@code -max} (burst) and {@code -max-length} (burst seconds), and {@code iops-size}:
 * {@code file:/img/a.raw,iops=500,iops-total-max=2000,iops-total-max-length=10}.
 * Parsing checks the syntax and the values only; {@link DiskStores#open} says whether this build can open it.
 *
 * @param kind    the store kind.
 * @param target  the image path, or the NBD URI; null for memory and null disks.
 * @param sizeBytes the size of a memory or null disk, 0 otherwise.
 * @param cache   how writes reach the image (file and image kinds; {@link CacheMode#WRITEBACK} otherwise).
 * @param aio     which I/O engine ({@link AioMode#AUTO} unless asked).
 * @param options the caller's own options, as given ({@code vdev=xvdb}, a flag maps to "").
 * @param limits  the device's I/O limits ({@link ThrottleLimits#NONE} unless asked).
 * @param format  the image format qemu-nbd is told for a {@link Kind#QCOW2} disk ({@code format=}, default
 *                {@code qcow2}); null for the other kinds. Always given, never probed: a guest writes the image, and
 *                a probe would let a raw image's content choose its format (and with it a backing file on the host).
 * @param aioMaxBatch QEMU's {@code aio-max-batch} for a {@link Kind#FILE} disk: how many requests the engine queues
 *                before it starts them without waiting for the ring's turn to end; 0 (the default) leaves it to the
 *                store (each request at once under {@code cache=none}, one batch per turn otherwise).
 */
public record DiskSpec(
    Kind kind, String target, long sizeBytes, CacheMode cache, AioMode aio, Map<String, String> options,
    ThrottleLimits limits, String format, int aioMaxBatch)
{
    /** The store kinds a specification may name. */
    public enum Kind
    {
        FILE("file"), QCOW2("qcow2"), MEMORY("memory"), NULL("null"), NBD("nbd");

        private final String token;

        Kind(final String token)
        {
            this.token = token;
        }

        public String token()
        {
            return token;
        }
    }

    /** QEMU's {@code cache=}: O_DIRECT, page cache plus flush (the default), or every write durable. */
    public enum CacheMode
    {
        NONE, WRITEBACK, WRITETHROUGH
    }

    /** QEMU's {@code aio=}: a worker pool doing positional I/O, io_uring, or the best the host allows. */
    public enum AioMode
    {
        AUTO, THREADS, IO_URING
    }

    /** What {@link #parse} accepts first, for messages. */
    public static final String FORMS = "file:PATH, qcow2:PATH, memory:SIZE, null:SIZE, nbd://HOST[:PORT]/EXPORT or " +
        "nbd+unix:///EXPORT?socket=PATH";

    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmgt]?)(i?b)?");

    /** QEMU's name of the engine's batch bound ({@link #aioMaxBatch()}). */
    public static final String AIO_MAX_BATCH = "aio-max-batch";
    /** The largest {@link #aioMaxBatch()}: a batch beyond a ring's requests in flight is one batch per turn. */
    public static final int MAX_AIO_MAX_BATCH = 4096;

    /** The option short for {@code iops-total}. */
    public static final String IOPS = "iops";
    /** The option short for {@code bps-total}. */
    public static final String BPS = "bps";

    /** qemu's format names: lower-case letters, digits, '_' and '-' (qcow2, raw, vmdk, vhdx, vpc, qed...). */
    private static final Pattern FORMAT = Pattern.compile("[a-z0-9_-]+");

    public DiskSpec
    {
        options = Map.copyOf(options);
        Objects.requireNonNull(limits, "limits");
        if (kind == Kind.QCOW2 && format == null)
        {
            format = Kind.QCOW2.token();
        }
        if (format != null && (kind != Kind.QCOW2 || !FORMAT.matcher(format).matches()))
        {
            throw new IllegalArgumentException("format=" + format + " needs a qcow2: disk and a qemu format name, " +
                "kind " + kind);
        }
        if (aioMaxBatch < 0 || aioMaxBatch > MAX_AIO_MAX_BATCH || aioMaxBatch != 0 && kind != Kind.FILE)
        {
            throw new IllegalArgumentException(AIO_MAX_BATCH + "=" + aioMaxBatch + " needs a file: disk and 0.." +
                MAX_AIO_MAX_BATCH + ", kind " + kind);
        }
    }

    /** A specification whose engine batches as its store chooses ({@link #aioMaxBatch()} 0). */
    public DiskSpec(
        final Kind kind, final String target, final long sizeBytes, final CacheMode cache, final AioMode aio,
        final Map<String, String> options, final ThrottleLimits limits, final String format)
    {
        this(kind, target, sizeBytes, cache, aio, options, limits, format, 0);
    }

    /** A specification without I/O limits, an image in its kind's own format. */
    public DiskSpec(
        final Kind kind, final String target, final long sizeBytes, final CacheMode cache, final AioMode aio,
        final Map<String, String> options, final ThrottleLimits limits)
    {
        this(kind, target, sizeBytes, cache, aio, options, limits, null);
    }

    /** A specification without I/O limits. */
    public DiskSpec(
        final Kind kind, final String target, final long sizeBytes, final CacheMode cache, final AioMode aio,
        final Map<String, String> options)
    {
        this(kind, target, sizeBytes, cache, aio, options, ThrottleLimits.NONE, null);
    }

    /**
     * @param option     the command-line option, for messages ({@code --disk}).
     * @param callerKeys the {@code key=value} options the caller handles itself.
     * @param callerFlags the bare flags the caller handles itself ({@code ro}).
     * @throws IllegalArgumentException naming the option, the text and what is accepted.
     */
    public static DiskSpec parse(
        final String option, final String text, final Set<String> callerKeys, final Set<String> callerFlags)
    {
        final String[] parts = text.split(",");
        final String first = parts[0];
        final Kind kind;
        String target = null;
        long sizeBytes = 0;
        if (first.startsWith("nbd://") || first.startsWith("nbd+unix://"))
        {
            kind = Kind.NBD;
            target = checkNbd(option, text, first);
        }
        else
        {
            final int colon = first.indexOf(':');
            if (colon <= 0 || colon == first.length() - 1)
            {
                throw new IllegalArgumentException(option + " expects " + FORMS + " first, got '" + text + "'");
            }
            kind = kind(option, first.substring(0, colon).toLowerCase(Locale.ROOT));
            final String arg = first.substring(colon + 1);
            if (kind == Kind.MEMORY || kind == Kind.NULL)
            {
                sizeBytes = size(option, text, arg);
            }
            else
            {
                target = arg;
            }
        }
        CacheMode cache = CacheMode.WRITEBACK;
        AioMode aio = AioMode.AUTO;
        String format = null;
        int aioMaxBatch = 0;
        final Map<String, String> options = new LinkedHashMap<>();
        final Map<String, String> limitOptions = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++)
        {
            final String part = parts[i];
            final int eq = part.indexOf('=');
            final String key = eq < 0 ? part : part.substring(0, eq);
            final String value = eq < 0 ? "" : part.substring(eq + 1);
            final String limit = IOPS.equals(key) ? "iops-total" : BPS.equals(key) ? "bps-total" : key;
            if (eq >= 0 && ThrottleLimits.KEYS.contains(limit))
            {
                if (limitOptions.put(limit, value) != null)
                {
                    throw new IllegalArgumentException(option + " limit " + limit + " given twice in '" + text +
                        "' (" + IOPS + "= is " + "iops-total=, " + BPS + "= is bps-total=)");
                }
                continue;
            }
            if (eq >= 0 && "format".equals(key))
            {
                format = format(option, text, kind, format, value);
                continue;
            }
            if (eq >= 0 && AIO_MAX_BATCH.equals(key))
            {
                aioMaxBatch = aioMaxBatch(option, text, kind, value);
                continue;
            }
            final boolean ours = eq >= 0 && ("cache".equals(key) || "aio".equals(key));
            final boolean known = eq < 0 ? callerFlags.contains(key) :
                ours || callerKeys.contains(key) && !value.isEmpty();
            if (!known)
            {
                throw new IllegalArgumentException("unknown option '" + part + "' in '" + text + "': " + option +
                    " takes cache=none|writeback|writethrough, aio=threads|io_uring, aio-max-batch=N (file:), " +
                    "format=FMT (qcow2:), " + IOPS +
                    "=N, " + BPS + "=N, " + String.join("=N, ", ThrottleLimits.KEYS) + "=N" +
                    accepted(callerKeys, callerFlags));
            }
            if (ours)
            {
                if (kind != Kind.FILE && kind != Kind.QCOW2)
                {
                    throw new IllegalArgumentException(option + " " + key + "= applies to file and qcow2 disks, not " +
                        kind.token() + ", in '" + text + "'");
                }
                if ("cache".equals(key))
                {
                    cache = mode(CacheMode.class, option, text, key, value);
                }
                else
                {
                    aio = mode(AioMode.class, option, text, key, value);
                }
            }
            else if (options.put(key, value) != null)
            {
                throw new IllegalArgumentException(option + " option " + key + " given twice in '" + text + "'");
            }
        }
        final ThrottleLimits limits;
        try
        {
            limits = ThrottleLimits.parse(limitOptions::get, "");
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(option + " " + ex.getMessage() + " in '" + text + "'", ex);
        }
        return new DiskSpec(kind, target, sizeBytes, cache, aio, options, limits, format, aioMaxBatch);
    }

    private static int aioMaxBatch(final String option, final String text, final Kind kind, final String value)
    {
        if (kind != Kind.FILE)
        {
            throw new IllegalArgumentException(option + " " + AIO_MAX_BATCH + "= applies to file disks (their own " +
                "engine), not " + kind.token() + ", in '" + text + "'");
        }
        try
        {
            final int batch = Integer.parseInt(value);
            if (batch >= 0 && batch <= MAX_AIO_MAX_BATCH)
            {
                return batch;
            }
        }
        catch (final NumberFormatException ex)
        {
            // answered below, with what is accepted
        }
        throw new IllegalArgumentException(option + " " + AIO_MAX_BATCH + "=" + value + " in '" + text +
            "': a number of requests, 0.." + MAX_AIO_MAX_BATCH + " (0: the store's choice, 1: each at once)");
    }

    /** The specification as the user would write it (without the caller's options). */
    public String describe()
    {
        final StringBuilder text = new StringBuilder();
        if (kind == Kind.NBD)
        {
            text.append(target);
        }
        else
        {
            text.append(kind.token()).append(':').append(target != null ? target : Long.toString(sizeBytes));
        }
        if (format != null && !format.equals(kind.token()))
        {
            text.append(",format=").append(format);
        }
        if (cache != CacheMode.WRITEBACK)
        {
            text.append(",cache=").append(token(cache));
        }
        if (aio != AioMode.AUTO)
        {
            text.append(",aio=").append(token(aio));
        }
        if (aioMaxBatch != 0)
        {
            text.append(',').append(AIO_MAX_BATCH).append('=').append(aioMaxBatch);
        }
        limits.options().forEach((key, value) -> text.append(',').append(key).append('=').append(value));
        return text.toString();
    }

    /** The lower-case name a user writes for a mode ({@code io_uring}, {@code writeback}). */
    public static String token(final Enum<?> mode)
    {
        return mode.name().toLowerCase(Locale.ROOT);
    }

    private static Kind kind(final String option, final String token)
    {
        for (final Kind kind : Kind.values())
        {
            if (kind.token.equals(token) && kind != Kind.NBD)
            {
                return kind;
            }
        }
        throw new IllegalArgumentException(option + " kind must be file, qcow2, memory, null or an nbd:// URI, got '" +
            token + "'");
    }

    private static String format(
        final String option, final String text, final Kind kind, final String previous, final String value)
    {
        if (kind != Kind.QCOW2)
        {
            throw new IllegalArgumentException(option + " format= applies to qcow2: disks (images served through " +
                "qemu-nbd), not " + kind.token() + ", in '" + text + "'");
        }
        if (previous != null)
        {
            throw new IllegalArgumentException(option + " option format given twice in '" + text + "'");
        }
        if (!FORMAT.matcher(value).matches())
        {
            throw new IllegalArgumentException(option + " format must be a qemu format name as qemu-img info " +
                "prints it (qcow2, raw, vmdk, vhdx...), got '" + value + "' in '" + text + "'");
        }
        return value;
    }

    private static <E extends Enum<E>> E mode(
        final Class<E> type, final String option, final String text, final String key, final String value)
    {
        final StringBuilder names = new StringBuilder();
        for (final E mode : type.getEnumConstants())
        {
            if (mode.name().equals("AUTO"))
            {
                continue; // the default, not written
            }
            if (token(mode).equals(value))
            {
                return mode;
            }
            names.append(names.length() == 0 ? "" : "|").append(token(mode));
        }
        throw new IllegalArgumentException(option + " " + key + " must be " + names + ", got '" + value + "' in '" +
            text + "'");
    }

    private static long size(final String option, final String text, final String arg)
    {
        final Matcher m = SIZE.matcher(arg.trim().toLowerCase(Locale.ROOT));
        if (!m.matches())
        {
            throw new IllegalArgumentException(option + " size must be like 512, 4k, 64m or 1g, got '" + text + "'");
        }
        final int shift = m.group(2).isEmpty() ? 0 : ("kmgt".indexOf(m.group(2).charAt(0)) + 1) * 10;
        final long amount = Long.parseLong(m.group(1));
        if (amount <= 0 || amount > (Long.MAX_VALUE >> shift))
        {
            throw new IllegalArgumentException(option + " size must be positive, got '" + text + "'");
        }
        final long bytes = amount << shift;
        if (bytes % 512 != 0)
        {
            throw new IllegalArgumentException(option + " size must be a multiple of 512, got '" + text + "'");
        }
        return bytes;
    }

    private static String checkNbd(final String option, final String text, final String uri)
    {
        final URI parsed;
        try
        {
            parsed = new URI(uri);
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalArgumentException(option + " " + uri + " is not a URI: " + ex.getMessage());
        }
        if ("nbd".equals(parsed.getScheme()) && (parsed.getHost() == null || parsed.getHost().isEmpty()))
        {
            throw new IllegalArgumentException(option + " nbd:// needs a host (nbd://HOST[:PORT]/EXPORT), got '" +
                text + "'");
        }
        if ("nbd+unix".equals(parsed.getScheme()) &&
            (parsed.getQuery() == null || !parsed.getQuery().startsWith("socket=") || parsed.getQuery().length() < 8))
        {
            throw new IllegalArgumentException(option + " nbd+unix:// needs ?socket=PATH " +
                "(nbd+unix:///EXPORT?socket=PATH), got '" + text + "'");
        }
        return uri;
    }

    private static String accepted(final Set<String> keys, final Set<String> flags)
    {
        final StringBuilder text = new StringBuilder();
        for (final String key : new TreeSet<>(keys))
        {
            text.append(", ").append(key).append("=...");
        }
        for (final String flag : new TreeSet<>(flags))
        {
            text.append(", ").append(flag);
        }
        return text.toString();
    }
}
