package io.pvring.bench.ring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.concurrent.ArrayBlockingQueue;

import org.agrona.concurrent.IdleStrategy;

import io.pvring.bench.run.RunControl;

/**
 * Baseline: the same workload over two {@link ArrayBlockingQueue}s of {@code byte[]} slots. Fair to the rings:
 * the front copies the payload into a pooled slot (no allocation per message), the back copies each request into
 * private memory and writes the 16-byte response into the slot it returns; at most a ring's entries are in
 * flight. The queue passes references, so this is the cheapest a JUC queue can carry the same bytes.
 */
public final class QueueHandoff extends RingHandoff
{
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
        ByteOrder.LITTLE_ENDIAN);

    private final ArrayBlockingQueue<byte[]> requests;
    private final ArrayBlockingQueue<byte[]> responses;
    private final ArrayDeque<byte[]> pool;

    public QueueHandoff(final RingConfig config)
    {
        super(config);
        requests = new ArrayBlockingQueue<>(config.entries());
        responses = new ArrayBlockingQueue<>(config.entries());
        pool = new ArrayDeque<>(config.entries());
        for (int i = 0; i < config.entries(); i++)
        {
            pool.add(new byte[config.slotBytes()]);
        }
    }

    @Override
    public String impl()
    {
        return "juc-abq";
    }

    @Override
    public boolean countsNotifications()
    {
        return false;
    }

    @Override
    protected void runFront()
    {
        final ArrayBlockingQueue<byte[]> out = requests;
        final ArrayBlockingQueue<byte[]> in = responses;
        final ArrayDeque<byte[]> free = pool;
        final byte[] bytes = payload;
        final int slotBytes = config.slotBytes();
        final IdleStrategy idle = config.idle().newStrategy();
        long nextId = 0;
        long ops = 0;
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
                ops = 0;
            }
            int work = 0;
            final int toSend = requestsToSend(free.size());
            if (toSend > 0)
            {
                final long now = System.nanoTime();
                for (int i = 0; i < toSend; i++)
                {
                    final byte[] slot = free.poll();
                    System.arraycopy(bytes, 0, slot, 0, slotBytes);
                    LONGS.set(slot, ID_OFFSET, nextId++);
                    LONGS.set(slot, STAMP_OFFSET, stamp(now));
                    out.offer(slot);
                }
                work += toSend;
            }
            byte[] response = in.poll();
            if (response != null)
            {
                final long now = System.nanoTime();
                int received = 0;
                do
                {
                    recordLatency(now - (long)LONGS.get(response, STAMP_OFFSET));
                    free.add(response);
                    received++;
                    response = in.poll();
                }
                while (response != null);
                flushLatency();
                ops += received;
                frontCounters.set(OPS, ops);
                work += received;
            }
            idle.idle(work);
        }
    }

    @Override
    protected void runBack()
    {
        final ArrayBlockingQueue<byte[]> in = requests;
        final ArrayBlockingQueue<byte[]> out = responses;
        final byte[] request = new byte[config.slotBytes()];
        final int batch = config.batch();
        final IdleStrategy idle = config.idle().newStrategy();
        while (control.phase() != RunControl.STOP)
        {
            int work = 0;
            byte[] slot;
            while (work < batch && (slot = in.poll()) != null)
            {
                System.arraycopy(slot, 0, request, 0, request.length);
                LONGS.set(slot, ID_OFFSET, (long)LONGS.get(request, ID_OFFSET));
                LONGS.set(slot, STAMP_OFFSET, (long)LONGS.get(request, STAMP_OFFSET));
                out.offer(slot);
                work++;
            }
            idle.idle(work);
        }
    }
}
