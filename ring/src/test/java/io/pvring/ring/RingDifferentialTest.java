package io.pvring.ring;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.pvring.testing.CProgram;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link FrontRing} and {@link BackRing} against the real {@code xen/io/ring.h} macros, in the manner of Mirage's
 * {@code ring_test.ml}: a seeded random script of ring operations runs both in Java on an Agrona buffer and in C
 * ({@code ring_diff.c}) on a page, and after every step the whole ring (header and slots), the step's result
 * (notify / work flags, counts, a hash of each copied slot) and the four private indices must be identical.
 * Indices start just below 2^32 so they wrap during the run.
 */
class RingDifferentialTest
{
    private static final int STEPS = 3000;
    private static final int RECORD_HEADER = 6 * Integer.BYTES;

    /** Operation codes shared with {@code ring_diff.c}'s {@code enum op}. */
    enum Op
    {
        FRONT_PRODUCE,
        FRONT_PUSH_AND_CHECK_NOTIFY,
        FRONT_PUSH,
        BACK_CONSUME,
        BACK_RESPOND,
        BACK_PUSH_AND_CHECK_NOTIFY,
        BACK_PUSH,
        FRONT_CONSUME,
        BACK_FINAL_CHECK,
        FRONT_FINAL_CHECK,
        FRONT_FINAL_CHECK_BATCH,
        FREE_REQUESTS,
        HAS_UNCONSUMED,
        FRONT_READ_RESPONSE_IN_PLACE
    }

    @ParameterizedTest(name = "slot={0} order={1} seed={2}")
    @CsvSource({
        "112, 0, 0", "112, 0, 1", "112, 0, 2", "112, 0, 3",
        "112, 2, 4", "112, 2, 5", "112, 2, 6",
        "12, 0, 7", "12, 0, 8", "12, 0, 9",
        "12, 2, 10", "12, 2, 11", "12, 2, 12"})
    void javaRingMatchesRingHMacrosByteForByte(final int slot, final int order, final long seed) throws Exception
    {
        final RingGeometry geometry = RingGeometry.of(slot, order);
        final Random random = new Random(seed);
        // Seed 0 starts from a plain XEN_FRONT_RING_INIT; the others re-attach just below 2^32.
        final int start = seed == 0 ? 0 : -1 - random.nextInt(Math.min(200, 2 * geometry.entries()));
        final int fillSeed = random.nextInt(256);
        final int[] ops = new int[STEPS];
        final int[] args = new int[STEPS];
        final StringBuilder script = new StringBuilder(STEPS * 12);
        script.append(slot).append(' ').append(order).append(' ').append(Integer.toUnsignedString(start))
            .append(' ').append(fillSeed).append(' ').append(STEPS).append('\n');
        generate(random, geometry, ops, args);
        for (int i = 0; i < STEPS; i++)
        {
            script.append(ops[i]).append(' ').append(Integer.toUnsignedString(args[i])).append('\n');
        }

        final CProgram program = CProgram.fromResource(RingDifferentialTest.class, "ring_diff.c");
        final Path dir = CProgram.workDir();
        final Path stdin = Files.createTempFile(dir, "ring_diff", ".script");
        final Path stderr = Files.createTempFile(dir, "ring_diff", ".stderr");
        Files.writeString(stdin, script, StandardCharsets.US_ASCII);
        final Process process = program.start(stdin, stderr);
        try (InputStream c = process.getInputStream())
        {
            final JavaSide java = new JavaSide(geometry, start, fillSeed);
            final int recordLength = RECORD_HEADER + geometry.ringBytes();
            final byte[] expected = new byte[recordLength];
            final byte[] actual = new byte[recordLength];
            for (int step = -1; step < STEPS; step++)
            {
                if (step >= 0)
                {
                    java.apply(Op.values()[ops[step]], args[step]);
                }
                java.record(expected);
                final int read = c.readNBytes(actual, 0, recordLength);
                if (read != recordLength)
                {
                    fail("ring_diff.c ended at step " + step + ": " + Files.readString(stderr));
                }
                final int at = Arrays.mismatch(expected, actual);
                if (at >= 0)
                {
                    fail(describeMismatch(step, step < 0 ? null : Op.values()[ops[step]], at, expected, actual));
                }
            }
            java.assertScriptCoveredTheInterestingStates(start);
        }
        finally
        {
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
            }
            Files.deleteIfExists(stdin);
        }
        assertEquals(0, process.exitValue(), () -> "ring_diff.c exit status; stderr=" + readQuietly(stderr));
        Files.deleteIfExists(stderr);
    }

    /**
     * Phases of 150 to 450 steps lean alternately towards producing and towards consuming, and a quarter of the
     * produce/consume steps handle a batch of up to 64 slots, so even a 1024-entry ring repeatedly fills (the front
     * sees RING_FULL, the back is limited by room) and drains (final checks arm the event indices).
     */
    private static void generate(final Random random, final RingGeometry geometry, final int[] ops, final int[] args)
    {
        final Op[] weighted = {
            Op.FRONT_PRODUCE, Op.FRONT_PUSH_AND_CHECK_NOTIFY, Op.FRONT_PUSH, Op.BACK_CONSUME, Op.BACK_RESPOND,
            Op.BACK_PUSH_AND_CHECK_NOTIFY, Op.BACK_PUSH, Op.FRONT_CONSUME};
        final int[] fillWeights = {40, 10, 3, 8, 8, 6, 2, 8};
        final int[] drainWeights = {8, 6, 2, 20, 20, 12, 2, 18};
        final Op[] rare = {
            Op.BACK_FINAL_CHECK, Op.FRONT_FINAL_CHECK, Op.FRONT_FINAL_CHECK_BATCH, Op.FREE_REQUESTS,
            Op.HAS_UNCONSUMED, Op.FRONT_READ_RESPONSE_IN_PLACE};
        int[] weights = drainWeights;
        int phaseEnd = 0;
        for (int i = 0; i < ops.length; i++)
        {
            if (i == phaseEnd)
            {
                weights = weights == fillWeights ? drainWeights : fillWeights;
                phaseEnd = i + 150 + random.nextInt(300);
            }
            int roll = random.nextInt(100);
            Op op = null;
            for (int w = 0; w < weighted.length && op == null; w++)
            {
                roll -= weights[w];
                if (roll < 0)
                {
                    op = weighted[w];
                }
            }
            if (op == null)
            {
                op = rare[random.nextInt(rare.length)];
            }
            ops[i] = op.ordinal();
            args[i] = op == Op.FRONT_FINAL_CHECK_BATCH ? 1 + random.nextInt(geometry.entries()) : random.nextInt();
        }
    }

    /** How many slots a produce/consume step handles: one, or a batch of up to 64 for a quarter of the steps. */
    static int count(final int arg)
    {
        return (arg & 3) == 0 ? 1 + ((arg >>> 2) & 63) : 1;
    }

    /** The same operations through the Java rings. */
    private static final class JavaSide
    {
        private final RingGeometry geometry;
        private final int requestBytes;
        private final int responseBytes;
        private final UnsafeBuffer page;
        private final FrontRing front;
        private final BackRing back;
        private final UnsafeBuffer scratch;
        private int result;
        private int aux;
        private int fullSeen;
        private int requestNotifies;
        private int requestPushesWithoutNotify;
        private int responseNotifies;
        private int responsePushesWithoutNotify;
        private int finalChecksThatArmed;

        JavaSide(final RingGeometry geometry, final int start, final int fillSeed)
        {
            this.geometry = geometry;
            this.requestBytes = geometry.slotBytes();
            this.responseBytes = geometry.slotBytes() == 112 ? 16 : 4;
            this.page = new UnsafeBuffer(ByteBuffer.allocateDirect(geometry.ringBytes()));
            this.scratch = new UnsafeBuffer(new byte[geometry.slotBytes()]);
            fill(page, 0, geometry.ringBytes(), fillSeed, 131);
            front = new FrontRing(page, geometry).init();
            back = new BackRing(page, geometry).init();
            if (start != 0)
            {
                page.putInt(SharedRingDescriptor.REQ_PROD_OFFSET, start);
                page.putInt(SharedRingDescriptor.RSP_PROD_OFFSET, start);
                page.putInt(SharedRingDescriptor.REQ_EVENT_OFFSET, start + 1);
                page.putInt(SharedRingDescriptor.RSP_EVENT_OFFSET, start + 1);
                front.attach(start);
                back.attach(start);
            }
        }

        void apply(final Op op, final int arg)
        {
            result = 0;
            aux = 0;
            switch (op)
            {
                case FRONT_PRODUCE:
                    fullSeen += front.isFull() ? 1 : 0;
                    for (int i = 0; i < count(arg) && !front.isFull(); i++)
                    {
                        fill(page, front.requestOffset(), requestBytes, arg + i, 37);
                        front.nextRequest();
                        result++;
                    }
                    aux = front.freeRequests();
                    break;
                case FRONT_PUSH_AND_CHECK_NOTIFY:
                    result = front.pushRequestsAndCheckNotify() ? 1 : 0;
                    requestNotifies += result;
                    requestPushesWithoutNotify += 1 - result;
                    break;
                case FRONT_PUSH:
                    front.pushRequests();
                    break;
                case BACK_CONSUME:
                    result = back.unconsumedRequests();
                    for (int i = 0; i < count(arg) && back.unconsumedRequests() != 0; i++)
                    {
                        back.copyRequest(scratch, 0);
                        aux = aux * 31 + fnv1a(scratch, requestBytes);
                    }
                    break;
                case BACK_RESPOND:
                    for (int i = 0; i < count(arg) && back.inFlight() != 0; i++)
                    {
                        fill(page, back.responseOffset(), responseBytes, arg + i, 53);
                        back.nextResponse();
                        result++;
                    }
                    break;
                case BACK_PUSH_AND_CHECK_NOTIFY:
                    result = back.pushResponsesAndCheckNotify() ? 1 : 0;
                    responseNotifies += result;
                    responsePushesWithoutNotify += 1 - result;
                    break;
                case BACK_PUSH:
                    back.pushResponses();
                    break;
                case FRONT_CONSUME:
                    result = front.unconsumedResponses();
                    for (int i = 0; i < count(arg) && front.unconsumedResponses() != 0; i++)
                    {
                        front.copyResponse(scratch, 0);
                        aux = aux * 31 + fnv1a(scratch, responseBytes);
                    }
                    break;
                case BACK_FINAL_CHECK:
                    result = back.finalCheckForRequests() ? 1 : 0;
                    finalChecksThatArmed += 1 - result;
                    break;
                case FRONT_FINAL_CHECK:
                    result = front.finalCheckForResponses() ? 1 : 0;
                    finalChecksThatArmed += 1 - result;
                    break;
                case FRONT_FINAL_CHECK_BATCH:
                    result = front.finalCheckForResponses(arg) ? 1 : 0;
                    finalChecksThatArmed += 1 - result;
                    break;
                case FREE_REQUESTS:
                    result = front.freeRequests();
                    aux = front.isFull() ? 1 : 0;
                    break;
                case HAS_UNCONSUMED:
                    result = back.unconsumedRequests();
                    aux = front.unconsumedResponses();
                    break;
                case FRONT_READ_RESPONSE_IN_PLACE:
                    result = front.unconsumedResponses();
                    if (result != 0)
                    {
                        aux = fnv1a(page, front.responseOffset(), responseBytes);
                        front.nextResponse();
                    }
                    break;
                default:
                    throw new IllegalArgumentException("op=" + op);
            }
        }

        /** Guards against a script that never reaches the states worth comparing. */
        void assertScriptCoveredTheInterestingStates(final int start)
        {
            final String counts = "full=" + fullSeen + " reqNotify=" + requestNotifies + "/"
                + requestPushesWithoutNotify + " rspNotify=" + responseNotifies + "/" + responsePushesWithoutNotify
                + " armed=" + finalChecksThatArmed + " " + front.reqProdPvt();
            assertTrue(fullSeen > 0 && requestNotifies > 0 && requestPushesWithoutNotify > 0 && responseNotifies > 0
                && responsePushesWithoutNotify > 0 && finalChecksThatArmed > 0, counts);
            if (start != 0)
            {
                assertTrue(Integer.compareUnsigned(back.rspProdPvt(), start) < 0,
                    "indices wrapped past 2^32: " + counts);
            }
        }

        void record(final byte[] out)
        {
            final ByteBuffer header = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(result).putInt(aux)
                .putInt(front.reqProdPvt()).putInt(front.rspCons())
                .putInt(back.rspProdPvt()).putInt(back.reqCons());
            page.getBytes(0, out, RECORD_HEADER, geometry.ringBytes());
        }
    }

    private static void fill(final UnsafeBuffer buffer, final int offset, final int length, final int arg,
        final int stride)
    {
        for (int k = 0; k < length; k++)
        {
            buffer.putByte(offset + k, (byte)(arg + k * stride));
        }
    }

    private static int fnv1a(final UnsafeBuffer buffer, final int length)
    {
        return fnv1a(buffer, 0, length);
    }

    private static int fnv1a(final UnsafeBuffer buffer, final int offset, final int length)
    {
        int hash = 0x811c9dc5;
        for (int i = 0; i < length; i++)
        {
            hash = (hash ^ (buffer.getByte(offset + i) & 0xFF)) * 0x01000193;
        }
        return hash;
    }

    private static String describeMismatch(
        final int step, final Op op, final int at, final byte[] expected, final byte[] actual)
    {
        final String[] fields = {"result", "aux", "req_prod_pvt", "rsp_cons", "rsp_prod_pvt", "req_cons"};
        final String where;
        if (at < RECORD_HEADER)
        {
            final int field = at / Integer.BYTES;
            final ByteBuffer java = ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN);
            final ByteBuffer c = ByteBuffer.wrap(actual).order(ByteOrder.LITTLE_ENDIAN);
            where = fields[field] + ": java=" + java.getInt(field * 4) + " c=" + c.getInt(field * 4);
        }
        else
        {
            final int offset = at - RECORD_HEADER;
            final int from = Math.max(RECORD_HEADER, at - 8);
            final int to = Math.min(expected.length, at + 8);
            where = "ring byte " + offset + ": java=" + HexFormat.of().formatHex(expected, from, to)
                + " c=" + HexFormat.of().formatHex(actual, from, to);
        }
        return "step " + step + " (" + op + ") differs from ring.h at " + where;
    }

    private static String readQuietly(final Path file)
    {
        try
        {
            return Files.readString(file);
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }
}
