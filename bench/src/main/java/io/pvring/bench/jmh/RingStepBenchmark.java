package io.pvring.bench.jmh;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import io.pvring.ring.BackRing;
import io.pvring.ring.FrontRing;
import io.pvring.ring.RingGeometry;
import io.pvring.ring.SharedRingDescriptor;

/**
 * The ring's own cost, without a second core: one thread plays front and back in turn (write a batch and push,
 * copy each request out and answer, push, read the responses). The native baseline's single-thread mode
 * ({@code ring_bench BATCH 0 WARMUP_MS DURATION_MS spin single}, the C source in this jar under {@code native/})
 * runs the same steps over Xen's {@code ring.h} macros, so the two scores compare the Java ring with the C macros
 * instruction for instruction; neither is disturbed by the scheduler the way a spinning pair on two shared vCPUs is.
 * Read {@code roundTrips}.
 */
@State(Scope.Thread)
public class RingStepBenchmark extends JmhSettings
{
    static final int ID_OFFSET = 0;
    static final int STAMP_OFFSET = 8;

    @Param({"112"})
    public int slotBytes;

    @Param({"1", "8", "32"})
    public int batch;

    /**
     * How the front writes a request: {@code put} composes it in private memory and copies it in whole
     * ({@code FrontRing.putRequest}, what {@code bench ring} does), {@code bytes} writes the payload in place with one
     * {@code putBytes} (a copy-memory stub call), {@code longs} with a loop of bounds-checked {@code putLong}s.
     */
    @Param({"put", "bytes", "longs"})
    public String copy;

    private UnsafeBuffer shared;
    private FrontRing front;
    private BackRing back;
    private UnsafeBuffer request;
    private byte[] payload;
    private long[] payloadLongs;
    private boolean longs;
    private boolean put;
    private UnsafeBuffer composed;
    private long nextId;

    @Setup(Level.Trial)
    public void setup()
    {
        final RingGeometry geometry = RingGeometry.of(slotBytes, 0);
        shared = new UnsafeBuffer(BufferUtil.allocateDirectAligned(geometry.ringBytes(),
            SharedRingDescriptor.PAGE_SIZE));
        front = new FrontRing(shared, geometry).init();
        back = new BackRing(shared, geometry).init();
        request = new UnsafeBuffer(BufferUtil.allocateDirectAligned(slotBytes, 64));
        payload = RingHandoffBenchmark.payload(slotBytes);
        payloadLongs = new long[slotBytes / 8];
        final java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(payload).order(java.nio.ByteOrder.nativeOrder());
        for (int i = 0; i < payloadLongs.length; i++)
        {
            payloadLongs[i] = view.getLong(i * 8);
        }
        longs = "longs".equals(copy);
        put = "put".equals(copy);
        composed = new UnsafeBuffer(BufferUtil.allocateDirectAligned(slotBytes, 64));
        composed.putBytes(0, payload);
    }

    @Benchmark
    public long step(final RoundTrips counters)
    {
        final FrontRing f = front;
        final BackRing b = back;
        final UnsafeBuffer buffer = shared;
        for (int i = 0; i < batch; i++)
        {
            if (put)
            {
                composed.putLong(ID_OFFSET, nextId++);
                composed.putLong(STAMP_OFFSET, nextId);
                f.putRequest(composed, 0);
                continue;
            }
            final int offset = f.requestOffset();
            if (longs)
            {
                for (int w = 0; w < payloadLongs.length; w++)
                {
                    buffer.putLong(offset + (w << 3), payloadLongs[w]);
                }
            }
            else
            {
                buffer.putBytes(offset, payload, 0, slotBytes);
            }
            buffer.putLong(offset + ID_OFFSET, nextId++);
            buffer.putLong(offset + STAMP_OFFSET, nextId);
            f.nextRequest();
        }
        f.pushRequestsAndCheckNotify();
        final int available = b.unconsumedRequests();
        for (int i = 0; i < available; i++)
        {
            b.copyRequest(request, 0);
            final int offset = b.responseOffset();
            buffer.putLong(offset + ID_OFFSET, request.getLong(ID_OFFSET));
            buffer.putLong(offset + STAMP_OFFSET, request.getLong(STAMP_OFFSET));
            b.nextResponse();
        }
        b.pushResponsesAndCheckNotify();
        final int responses = f.unconsumedResponses();
        long checksum = 0;
        for (int i = 0; i < responses; i++)
        {
            checksum += buffer.getLong(f.responseOffset() + ID_OFFSET);
            f.nextResponse();
        }
        counters.roundTrips += responses;
        return checksum;
    }
}
