package io.pvring.bench.ring;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import io.pvring.bench.run.RunControl;

/**
 * Baseline: the same workload over two Agrona {@link OneToOneRingBuffer}s (requests one way, responses back).
 * Requests are written in place with {@code tryClaim}/{@code commit}, Agrona's own way (payload, id and stamp: the
 * bytes the pvring front copies into its slots); the back copies each request into private memory in its handler,
 * reads at most a batch per {@code read}, and answers with a 16-byte response. The front keeps at most the pvring
 * ring's entry count in flight.
 */
public final class AgronaHandoff extends RingHandoff
{
    private static final int MSG_TYPE = 1;

    private final OneToOneRingBuffer requests;
    private final OneToOneRingBuffer responses;

    public AgronaHandoff(final RingConfig config)
    {
        super(config);
        requests = newRing(config.entries(), config.slotBytes());
        responses = newRing(config.entries(), RESPONSE_BYTES);
    }

    private static OneToOneRingBuffer newRing(final int messages, final int messageBytes)
    {
        final int record = BitUtil.align(messageBytes + RecordDescriptor.HEADER_LENGTH, RecordDescriptor.ALIGNMENT);
        // The consumer frees space only when its read() batch returns, while the producer already has responses
        // for part of it and sends more: up to two windows in the buffer, plus a padding record where a record
        // would wrap.
        final int capacity = BitUtil.findNextPositivePowerOfTwo((2 * messages + 1) * record);
        return new OneToOneRingBuffer(new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            capacity + RingBufferDescriptor.TRAILER_LENGTH, 4096)));
    }

    @Override
    public String impl()
    {
        return "agrona";
    }

    @Override
    public boolean countsNotifications()
    {
        return false;
    }

    @Override
    protected void runFront()
    {
        final OneToOneRingBuffer out = requests;
        final OneToOneRingBuffer in = responses;
        final MutableDirectBuffer outBuffer = out.buffer();
        final byte[] bytes = payload;
        final int slotBytes = config.slotBytes();
        final int entries = config.entries();
        final IdleStrategy idle = config.idle().newStrategy();
        final long[] now = new long[1];
        final long[] received = new long[1];
        final MessageHandler onResponse = (msgTypeId, buffer, index, length) ->
        {
            recordLatency(now[0] - buffer.getLong(index + STAMP_OFFSET));
            received[0]++;
        };
        long nextId = 0;
        long measureBase = 0;
        int seen = RunControl.WARMUP;
        frontBegin();
        while (true)
        {
            final int phase = control.phase();
            if (phase != seen)
            {
                if (phase == RunControl.STOP)
                {
                    break;
                }
                seen = phase;
                frontMeasureStart();
                measureBase = received[0];
            }
            int work = 0;
            final int toSend = requestsToSend(entries - (int)(nextId - received[0]));
            if (toSend > 0)
            {
                final long sendTime = System.nanoTime();
                for (int i = 0; i < toSend; i++)
                {
                    final int index = out.tryClaim(MSG_TYPE, slotBytes);
                    if (index < 0)
                    {
                        throw new IllegalStateException("agrona request ring full with " + (nextId - received[0])
                            + " in flight");
                    }
                    outBuffer.putBytes(index, bytes, 0, slotBytes);
                    outBuffer.putLong(index + ID_OFFSET, nextId++);
                    outBuffer.putLong(index + STAMP_OFFSET, stamp(sendTime));
                    out.commit(index);
                }
                work += toSend;
            }
            now[0] = System.nanoTime();
            final int read = in.read(onResponse);
            if (read > 0)
            {
                flushLatency();
                frontCounters.set(OPS, received[0] - measureBase);
                work += read;
            }
            idle.idle(work);
        }
    }

    @Override
    protected void runBack()
    {
        final OneToOneRingBuffer in = requests;
        final OneToOneRingBuffer out = responses;
        final MutableDirectBuffer outBuffer = out.buffer();
        final UnsafeBuffer request = new UnsafeBuffer(new byte[config.slotBytes()]);
        final int batch = config.batch();
        final IdleStrategy idle = config.idle().newStrategy();
        final MessageHandler onRequest = (msgTypeId, buffer, index, length) ->
        {
            buffer.getBytes(index, request, 0, length);
            final int responseIndex = out.tryClaim(MSG_TYPE, RESPONSE_BYTES);
            if (responseIndex < 0)
            {
                throw new IllegalStateException("agrona response ring full");
            }
            outBuffer.putLong(responseIndex + ID_OFFSET, request.getLong(ID_OFFSET));
            outBuffer.putLong(responseIndex + STAMP_OFFSET, request.getLong(STAMP_OFFSET));
            out.commit(responseIndex);
        };
        while (control.phase() != RunControl.STOP)
        {
            idle.idle(in.read(onRequest, batch));
        }
    }

}
