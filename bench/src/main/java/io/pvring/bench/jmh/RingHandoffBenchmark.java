package io.pvring.bench.jmh;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.concurrent.ArrayBlockingQueue;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
 * The ring round trip under JMH: a front thread writes {@code slotBytes} requests in batches and reads 16-byte
 * responses, a back thread copies each request into private memory and answers; the pvring shared ring against
 * two Agrona {@link OneToOneRingBuffer}s and two {@link ArrayBlockingQueue}s carrying the same bytes, with at
 * most a ring's entries in flight. Each call does one step and returns (JMHSample_15 asymmetric groups, no spin
 * inside a method, so neither side livelocks when the other leaves the iteration). The score to read is
 * {@code roundTrips} (auxiliary counter, successful round trips); {@code -prof gc} shows zero allocation per op.
 *
 * <pre>
 *   ./pvring jmh RingHandoffBenchmark -p slotBytes=112 -p batch=8
 *   ./pvring jmh RingHandoffBenchmark -prof gc -f 1
 * </pre>
 */
public class RingHandoffBenchmark extends JmhSettings
{
    static final int ID_OFFSET = 0;
    static final int STAMP_OFFSET = 8;
    static final int RESPONSE_BYTES = 16;
    static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** One implementation's two sides. */
    interface Handoff
    {
        /** Writes a batch if there is room and reads the responses waiting; returns round trips completed. */
        int front();

        /** Answers the requests waiting, at most a batch; returns how many. */
        int back();
    }

    /** Shared by the two threads of a group: the implementation under test, built once per trial. */
    @State(Scope.Group)
    public static class Ring
    {
        @Param({"pvring", "agrona", "juc-abq"})
        public String impl;

        @Param({"64", "112", "256"})
        public int slotBytes;

        @Param({"1", "8"})
        public int batch;

        Handoff handoff;

        @Setup(Level.Trial)
        public void setup()
        {
            final int entries = SharedRingDescriptor.entries(slotBytes, 0);
            switch (impl)
            {
                case "pvring":
                    handoff = new PvringSteps(slotBytes, batch);
                    break;
                case "agrona":
                    handoff = new AgronaSteps(slotBytes, batch, entries);
                    break;
                case "juc-abq":
                    handoff = new QueueSteps(slotBytes, batch, entries);
                    break;
                default:
                    throw new IllegalArgumentException("impl=" + impl);
            }
        }
    }

    @Benchmark
    @Group("ring")
    @GroupThreads(1)
    public int front(final Ring ring, final RoundTrips counters)
    {
        final int done = ring.handoff.front();
        counters.roundTrips += done;
        return done;
    }

    @Benchmark
    @Group("ring")
    @GroupThreads(1)
    public int back(final Ring ring)
    {
        return ring.handoff.back();
    }

    static byte[] payload(final int slotBytes)
    {
        final byte[] payload = new byte[slotBytes];
        for (int i = 0; i < slotBytes; i++)
        {
            payload[i] = (byte)(i * 31 + 7);
        }
        return payload;
    }

    static final class PvringSteps implements Handoff
    {
        private final UnsafeBuffer shared;
        private final FrontRing frontRing;
        private final BackRing backRing;
        private final UnsafeBuffer request;
        private final byte[] payload;
        private final int slotBytes;
        private final int batch;
        private long nextId;
        private boolean frontArmed;
        private boolean backArmed;

        PvringSteps(final int slotBytes, final int batch)
        {
            final RingGeometry geometry = RingGeometry.of(slotBytes, 0);
            shared = new UnsafeBuffer(BufferUtil.allocateDirectAligned(geometry.ringBytes(),
                SharedRingDescriptor.PAGE_SIZE));
            frontRing = new FrontRing(shared, geometry).init();
            backRing = new BackRing(shared, geometry).init();
            request = new UnsafeBuffer(new byte[slotBytes]);
            payload = payload(slotBytes);
            this.slotBytes = slotBytes;
            this.batch = batch;
        }

        @Override
        public int front()
        {
            final FrontRing ring = frontRing;
            if (ring.freeRequests() >= batch)
            {
                final long now = System.nanoTime();
                for (int i = 0; i < batch; i++)
                {
                    final int offset = ring.requestOffset();
                    shared.putBytes(offset, payload, 0, slotBytes);
                    shared.putLong(offset + ID_OFFSET, nextId++);
                    shared.putLong(offset + STAMP_OFFSET, now);
                    ring.nextRequest();
                }
                ring.pushRequestsAndCheckNotify();
            }
            final int responses = ring.unconsumedResponses();
            for (int i = 0; i < responses; i++)
            {
                ring.nextResponse();
            }
            if (responses > 0)
            {
                frontArmed = false;
            }
            else if (!frontArmed)
            {
                // Going idle: arm rsp_event once, as the CLI workload and the C baseline do.
                frontArmed = true;
                ring.finalCheckForResponses();
            }
            return responses;
        }

        @Override
        public int back()
        {
            final BackRing ring = backRing;
            final int available = ring.unconsumedRequests();
            if (available <= 0)
            {
                if (!backArmed)
                {
                    backArmed = true;
                    ring.finalCheckForRequests();
                }
                return 0;
            }
            backArmed = false;
            final int n = Math.min(available, batch);
            for (int i = 0; i < n; i++)
            {
                ring.copyRequest(request, 0);
                final int offset = ring.responseOffset();
                shared.putLong(offset + ID_OFFSET, request.getLong(ID_OFFSET));
                shared.putLong(offset + STAMP_OFFSET, request.getLong(STAMP_OFFSET));
                ring.nextResponse();
            }
            ring.pushResponsesAndCheckNotify();
            return n;
        }
    }

    static final class AgronaSteps implements Handoff
    {
        private final OneToOneRingBuffer requests;
        private final OneToOneRingBuffer responses;
        private final UnsafeBuffer request;
        private final byte[] payload;
        private final int slotBytes;
        private final int batch;
        private final int entries;
        private final MessageHandler onRequest;
        private final MessageHandler onResponse;
        private long nextId;
        private long received;

        AgronaSteps(final int slotBytes, final int batch, final int entries)
        {
            requests = ring(entries, slotBytes);
            responses = ring(entries, RESPONSE_BYTES);
            request = new UnsafeBuffer(new byte[slotBytes]);
            payload = payload(slotBytes);
            this.slotBytes = slotBytes;
            this.batch = batch;
            this.entries = entries;
            final MutableDirectBuffer responseBuffer = responses.buffer();
            onRequest = (msgTypeId, buffer, index, length) ->
            {
                buffer.getBytes(index, request, 0, length);
                final int claim = responses.tryClaim(1, RESPONSE_BYTES);
                responseBuffer.putLong(claim + ID_OFFSET, request.getLong(ID_OFFSET));
                responseBuffer.putLong(claim + STAMP_OFFSET, request.getLong(STAMP_OFFSET));
                responses.commit(claim);
            };
            onResponse = (msgTypeId, buffer, index, length) -> received++;
        }

        private static OneToOneRingBuffer ring(final int messages, final int bytes)
        {
            final int record = BitUtil.align(bytes + RecordDescriptor.HEADER_LENGTH, RecordDescriptor.ALIGNMENT);
            final int capacity = BitUtil.findNextPositivePowerOfTwo(messages * record) * 2;
            return new OneToOneRingBuffer(new UnsafeBuffer(BufferUtil.allocateDirectAligned(
                capacity + RingBufferDescriptor.TRAILER_LENGTH, 4096)));
        }

        @Override
        public int front()
        {
            if (entries - (nextId - received) >= batch)
            {
                final MutableDirectBuffer buffer = requests.buffer();
                final long now = System.nanoTime();
                for (int i = 0; i < batch; i++)
                {
                    final int index = requests.tryClaim(1, slotBytes);
                    buffer.putBytes(index, payload, 0, slotBytes);
                    buffer.putLong(index + ID_OFFSET, nextId++);
                    buffer.putLong(index + STAMP_OFFSET, now);
                    requests.commit(index);
                }
            }
            return responses.read(onResponse);
        }

        @Override
        public int back()
        {
            return requests.read(onRequest, batch);
        }
    }

    static final class QueueSteps implements Handoff
    {
        private final ArrayBlockingQueue<byte[]> requests;
        private final ArrayBlockingQueue<byte[]> responses;
        private final ArrayDeque<byte[]> pool;
        private final byte[] request;
        private final byte[] payload;
        private final int slotBytes;
        private final int batch;
        private long nextId;

        QueueSteps(final int slotBytes, final int batch, final int entries)
        {
            requests = new ArrayBlockingQueue<>(entries);
            responses = new ArrayBlockingQueue<>(entries);
            pool = new ArrayDeque<>(entries);
            for (int i = 0; i < entries; i++)
            {
                pool.add(new byte[slotBytes]);
            }
            request = new byte[slotBytes];
            payload = payload(slotBytes);
            this.slotBytes = slotBytes;
            this.batch = batch;
        }

        @Override
        public int front()
        {
            if (pool.size() >= batch)
            {
                final long now = System.nanoTime();
                for (int i = 0; i < batch; i++)
                {
                    final byte[] slot = pool.poll();
                    System.arraycopy(payload, 0, slot, 0, slotBytes);
                    LONGS.set(slot, ID_OFFSET, nextId++);
                    LONGS.set(slot, STAMP_OFFSET, now);
                    requests.offer(slot);
                }
            }
            int received = 0;
            byte[] response;
            while ((response = responses.poll()) != null)
            {
                pool.add(response);
                received++;
            }
            return received;
        }

        @Override
        public int back()
        {
            int n = 0;
            byte[] slot;
            while (n < batch && (slot = requests.poll()) != null)
            {
                System.arraycopy(slot, 0, request, 0, slotBytes);
                LONGS.set(slot, ID_OFFSET, (long)LONGS.get(request, ID_OFFSET));
                LONGS.set(slot, STAMP_OFFSET, (long)LONGS.get(request, STAMP_OFFSET));
                responses.offer(slot);
                n++;
            }
            return n;
        }
    }
}
