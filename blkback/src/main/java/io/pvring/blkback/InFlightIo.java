package io.pvring.blkback;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

import io.pvring.blkback.store.BlockIo;
import io.pvring.grant.GrantMapper;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST;
import static io.pvring.blkif.BlkifDescriptor.SECTOR_SHIFT;

/**
 * One entry of a ring's in-flight table (index = {@link #tag()}): the validated {@link BlkRequest}, the grant
 * mappings its segments hold until it completes, and the {@link BlockIo} view the store sees. A request may pass
 * through up to three stages (pre-flush, data, post-flush); each is one submission of this io.
 *
 * <p>Threads: the ring's thread fills and submits it; the store may read it and call {@link #complete(int)} from
 * any thread; the ring's thread takes the completion back. The state word makes completion happen once per
 * submission whatever the store does, and lets a late completion of an abandoned request be ignored.
 */
final class InFlightIo implements BlockIo
{
    static final int FREE = 0;
    static final int SUBMITTED = 1;
    static final int COMPLETED = 2;
    static final int ABANDONED = 3;

    static final int NO_HANDLE = -1;
    static final int MAX_STAGES = 3;

    private static final VarHandle STATE;

    static
    {
        try
        {
            STATE = MethodHandles.lookup().findVarHandle(InFlightIo.class, "state", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    final BlkRequest request;
    final int[] handles;
    final boolean[] kept;
    final int[] stageOps = new int[MAX_STAGES];
    int stages;
    int stage;
    /** Segments whose grants are mapped (a prefix of the request's segments). */
    int mapped;
    /** When the ring accepted the request ({@link System#nanoTime()}): its latency counts from here. */
    long acceptedNanos;
    /** The request failed because a grant could not be mapped (counted apart from the store's errors). */
    boolean grantFailed;

    private final int tag;
    private final BlkExecutor executor;
    private final GrantMapper mapper;
    private final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;
    /** Written by the completing thread before it publishes the tag; read by the ring thread after. */
    private int status;

    InFlightIo(final int tag, final int maxSegments, final BlkExecutor executor, final GrantMapper mapper)
    {
        this.tag = tag;
        this.request = new BlkRequest(maxSegments);
        this.handles = new int[Math.max(maxSegments, BLKIF_MAX_SEGMENTS_PER_REQUEST)];
        this.kept = new boolean[handles.length];
        this.executor = executor;
        this.mapper = mapper;
        Arrays.fill(handles, NO_HANDLE);
    }

    int tag()
    {
        return tag;
    }

    int status()
    {
        return status;
    }

    int state()
    {
        return (int)STATE.getVolatile(this);
    }

    /**
     * Ring thread: about to submit the current stage. A release store is enough: the store reaches the io only
     * through this thread's call or its own hand-off, which orders this write before any completion.
     */
    void submitted()
    {
        STATE.setRelease(this, SUBMITTED);
    }

    /** Ring thread: the request left the table (release: its fields are settled before anyone sees it free). */
    void free()
    {
        STATE.setRelease(this, FREE);
    }

    /** Ring thread: the ring gave up waiting; a late completion is dropped. False if it completed meanwhile. */
    boolean abandon()
    {
        return STATE.compareAndSet(this, SUBMITTED, ABANDONED);
    }

    public int op()
    {
        return stageOps[stage];
    }

    public long offset()
    {
        return op() == FLUSH ? 0 : request.sector() << SECTOR_SHIFT;
    }

    public long length()
    {
        return op() == FLUSH ? 0 : request.nrSectors() << SECTOR_SHIFT;
    }

    public boolean secure()
    {
        return request.secure();
    }

    public int segments()
    {
        final int op = op();
        return op == READ || op == WRITE ? request.segments() : 0;
    }

    public int segmentPageOffset(final int index)
    {
        return request.firstSect(index) << SECTOR_SHIFT;
    }

    public int segmentLength(final int index)
    {
        return request.sectors(index) << SECTOR_SHIFT;
    }

    public UnsafeBuffer page(final int index)
    {
        return mapper.wrap(handles[index], page) ? page : null;
    }

    public void complete(final int status)
    {
        if (!STATE.compareAndSet(this, SUBMITTED, COMPLETED))
        {
            executor.onStrayCompletion(this);
            return;
        }
        this.status = status;
        executor.onComplete(this);
    }

    public String toString()
    {
        return "InFlightIo{tag=" + tag + ", state=" + state() + ", stage=" + stage + '/' + stages + ", " + request +
            '}';
    }
}
