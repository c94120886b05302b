package io.pvring.bench.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pvring.nbd.NbdClient;
import io.pvring.nbd.NbdClientConfig;
import io.pvring.nbd.NbdCompletionSink;
import io.pvring.nbd.NbdErrno;
import io.pvring.nbd.NbdUri;
import io.pvring.nbd.QemuNbdConfig;
import io.pvring.nbd.QemuNbdServer;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * A probe, not the benchmark: random reads at a fixed queue depth through {@link NbdClient} against qemu-nbd
 * serving a raw file, then fio's {@code nbd} engine with the same job against the same qemu-nbd process (it serves
 * two connections; the pvring client stays connected, idle, while fio runs). Prints both IOPS and the ratio.
 *
 * <pre>
 * java $PVRING_JVM_OPENS -cp bench/target/pvring.jar io.pvring.bench.nbd.NbdProbe \
 *     --image /var/tmp/nbd-probe.raw --size 1G --qd 16 --bs 4096 --seconds 10 [--no-fio] [--cache none]
 * </pre>
 * The image is created (fully written, so reads are not of holes) when it does not exist.
 */
public final class NbdProbe
{
    private NbdProbe()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        Path image = Path.of("/var/tmp/pvring-nbd-probe.raw");
        long size = 1L << 30;
        int qd = 16;
        int bs = 4096;
        int seconds = 10;
        boolean fio = true;
        boolean inline = false;
        String cache = "writeback";
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--image":
                    image = Path.of(args[++i]);
                    break;
                case "--size":
                    size = parseSize(args[++i]);
                    break;
                case "--qd":
                    qd = Integer.parseInt(args[++i]);
                    break;
                case "--bs":
                    bs = Integer.parseInt(args[++i]);
                    break;
                case "--seconds":
                    seconds = Integer.parseInt(args[++i]);
                    break;
                case "--no-fio":
                    fio = false;
                    break;
                case "--inline":
                    inline = true;
                    break;
                case "--cache":
                    cache = args[++i];
                    break;
                default:
                    throw new IllegalArgumentException("unknown option " + args[i] + " (--image PATH --size N[KMG] " +
                        "--qd N --bs N --seconds N --no-fio --inline --cache writeback|none)");
            }
        }
        if (!Files.exists(image))
        {
            System.out.println("creating " + image + " (" + size + " bytes)");
            run(List.of("fio", "--name=fill", "--filename=" + image, "--size=" + size, "--rw=write", "--bs=1M",
                "--ioengine=psync", "--output-format=terse"));
        }
        try (QemuNbdServer server = QemuNbdServer.start(image,
            new QemuNbdConfig().format("raw").cache(cache).sharedConnections(2)))
        {
            System.out.println("qemu-nbd pid " + server.pid() + " serving " + server.uri());
            final Sink sink = new Sink(qd, inline);
            // Stays connected while fio runs: qemu-nbd exits when its last client leaves.
            // Inline resubmission needs completions on a thread of their own (the event loop); otherwise the probe's
            // thread drives the client on its io_uring where it can.
            try (NbdClient client = NbdClient.connect(server.uri(), new NbdClientConfig().maxInFlight(qd)
                .dataPath(inline ? NbdClientConfig.DataPath.EVENT_LOOP : NbdClientConfig.DataPath.AUTO), sink))
            {
                final double pvring = inline ? inline(client, sink, qd, bs, seconds) :
                    pvring(client, sink, qd, bs, seconds);
                System.out.printf("pvring NbdClient randread bs=%d qd=%d%s: %.0f IOPS%n", bs, qd,
                    inline ? " (resubmitted on the event loop)" : client.onRing() ? " (io_uring)" : "", pvring);
                if (fio)
                {
                    final double fioIops = fio(server.uri(), qd, bs, seconds);
                    System.out.printf("fio --ioengine=nbd randread bs=%d iodepth=%d: %.0f IOPS%n", bs, qd, fioIops);
                    System.out.printf("ratio pvring/fio: %.2f%n", pvring / fioIops);
                }
            }
        }
    }

    private static long parseSize(final String text)
    {
        final char unit = Character.toUpperCase(text.charAt(text.length() - 1));
        final int shift = unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : 0;
        return Long.parseLong(shift == 0 ? text : text.substring(0, text.length() - 1)) << shift;
    }

    /**
     * Completions back to the submitting thread, tags boxed once up front; or, inline, each completion resubmitted
     * at once on the event loop (no thread handoff: what the client costs by itself).
     */
    private static final class Sink implements NbdCompletionSink
    {
        final OneToOneConcurrentArrayQueue<Long> done;
        final Long[] boxes;
        final boolean inline;
        final java.util.concurrent.atomic.AtomicLong completed = new java.util.concurrent.atomic.AtomicLong();
        volatile int firstError;
        NbdClient client;
        SplittableRandom random;
        long blocks;
        int bs;
        long base;

        Sink(final int qd, final boolean inline)
        {
            this.inline = inline;
            done = new OneToOneConcurrentArrayQueue<>(qd);
            boxes = new Long[qd];
            for (int i = 0; i < qd; i++)
            {
                boxes[i] = (long)i;
            }
        }

        @Override
        public void onCompletion(final long tag, final int result)
        {
            if (result < 0 && firstError == 0)
            {
                firstError = result;
            }
            if (inline)
            {
                completed.incrementAndGet();
                client.submitRead(tag, random.nextLong(blocks) * bs, bs, base + tag * bs);
                client.flushBatch();
                return;
            }
            done.offer(boxes[(int)tag]);
        }
    }

    private static double pvring(final NbdClient client, final Sink sink, final int qd, final int bs,
        final int seconds) throws IOException
    {
        final ByteBuffer memory = ByteBuffer.allocateDirect(qd * bs);
        final long base = org.agrona.BufferUtil.address(memory);
        final long blocks = client.export().size() / bs;
        final SplittableRandom random = new SplittableRandom(42);
        for (int tag = 0; tag < qd; tag++)
        {
            check(client.submitRead(tag, random.nextLong(blocks) * bs, bs, base + (long)tag * bs), client);
        }
        client.flushBatch();
        long completed = 0;
        final long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        long start = 0;
        long startCount = 0;
        final long end = warmEnd + TimeUnit.SECONDS.toNanos(seconds);
        long now;
        while ((now = System.nanoTime()) < end)
        {
            if (start == 0 && now >= warmEnd)
            {
                start = now;
                startCount = completed;
            }
            client.poll(null); // on the io_uring path the replies are reaped here, into sink.done
            Long tag;
            boolean any = false;
            while ((tag = sink.done.poll()) != null)
            {
                completed++;
                any = true;
                final int t = tag.intValue();
                check(client.submitRead(t, random.nextLong(blocks) * bs, bs, base + (long)t * bs), client);
            }
            if (any)
            {
                client.flushBatch();
            }
            else
            {
                Thread.onSpinWait();
            }
            if (sink.firstError != 0)
            {
                throw new IOException("read failed: " + NbdErrno.name(sink.firstError) + " " + client.failure());
            }
        }
        return (completed - startCount) / ((end - start) / 1e9);
    }

    private static double inline(final NbdClient client, final Sink sink, final int qd, final int bs,
        final int seconds) throws IOException, InterruptedException
    {
        sink.client = client;
        sink.random = new SplittableRandom(42);
        sink.blocks = client.export().size() / bs;
        sink.bs = bs;
        sink.base = org.agrona.BufferUtil.address(ByteBuffer.allocateDirect(qd * bs));
        for (int tag = 0; tag < qd; tag++)
        {
            check(client.submitRead(tag, sink.random.nextLong(sink.blocks) * bs, bs, sink.base + (long)tag * bs),
                client);
        }
        client.flushBatch();
        Thread.sleep(1000);
        final long startCount = sink.completed.get();
        final long start = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        final double iops = (sink.completed.get() - startCount) / ((System.nanoTime() - start) / 1e9);
        if (sink.firstError != 0)
        {
            throw new IOException("read failed: " + NbdErrno.name(sink.firstError) + " " + client.failure());
        }
        return iops;
    }

    private static void check(final int submitted, final NbdClient client) throws IOException
    {
        if (submitted != 0)
        {
            throw new IOException("submit refused: " + NbdErrno.name(submitted) + " " + client.failure());
        }
    }

    private static double fio(final NbdUri uri, final int qd, final int bs, final int seconds)
        throws IOException, InterruptedException
    {
        final String out = run(List.of("fio", "--name=nbdprobe", "--ioengine=nbd", "--uri=" + uri,
            "--rw=randread", "--bs=" + bs, "--iodepth=" + qd, "--time_based", "--ramp_time=1",
            "--runtime=" + seconds, "--output-format=json"));
        final Matcher m = Pattern.compile("\"read\"\\s*:\\s*\\{[^}]*?\"iops\"\\s*:\\s*([0-9.]+)").matcher(out);
        if (!m.find())
        {
            throw new IOException("no read iops in fio's output:\n" + out);
        }
        return Double.parseDouble(m.group(1));
    }

    private static String run(final List<String> command) throws IOException, InterruptedException
    {
        final Path out = Files.createTempFile("pvring-nbd-probe", ".out");
        try
        {
            final Process process = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
            if (!process.waitFor(10, TimeUnit.MINUTES))
            {
                process.destroyForcibly();
                throw new IOException("timed out: " + command);
            }
            final String text = Files.readString(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0)
            {
                throw new IOException("exit " + process.exitValue() + " from " + command + ":\n" + text);
            }
            return text;
        }
        finally
        {
            Files.deleteIfExists(out);
        }
    }
}
