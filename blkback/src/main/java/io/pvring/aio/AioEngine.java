package io.pvring.aio;

/**
 * Asynchronous positional file I/O on native memory, one submitting thread per engine (a ring's thread; QEMU
 * likewise has one thread pool or io_uring per {@code AioContext}).
 *
 * <p><b>Submitting.</b> {@link #read}, {@link #write}, {@link #readv}, {@link #writev}, {@link #sync} and
 * {@link #punchHole} queue a request carrying the caller's {@code tag} and return false, queuing nothing, when
 * {@link AioConfig#queueDepth()} requests are already in flight (back-pressure is a value). Queued requests start
 * only at {@link #submitBatch()}, called once per ring turn: one hand-off (and for io_uring one {@code
 * io_uring_enter}) per batch, not per request. The memory a request names must stay valid until it completes.
 *
 * <p><b>Completing.</b> Every accepted request completes exactly once, with bytes transferred or a negated errno,
 * never by an exception: I/O errors, a closed file, a write on a read-only file and an unsupported operation all
 * arrive as results. Engine threads publish completions into a bounded queue and then run the {@code
 * completionSignal} given at creation (to wake the ring's thread; it must not block). A request refused at
 * submission (closed file, read-only file, no punch hole) is published by the submitting thread itself, and so is
 * a completion the submitting thread reaps from a kernel ring it drives itself (io_uring), without the signal:
 * see {@link #needsPolling()}. The submitting thread reaps completions with {@link #poll}, which calls the handler
 * on that thread. Submitting and polling allocate nothing once warm.
 *
 * <p><b>Closing.</b> {@link #close()} (on the submitting thread) cancels queued-but-unsubmitted requests with
 * {@code -ECANCELED}, waits up to {@link AioConfig#closeTimeoutMillis()} for those in flight, and completes any
 * still outstanding with {@code -ETIMEDOUT}; a final {@link #poll} then delivers all of them.
 */
public interface AioEngine extends AutoCloseable
{
    /** {@code threads} or {@code io_uring}, as {@code aio=} names them. */
    String name();

    /** True when {@link #punchHole} really deallocates ({@code feature-discard} may be offered). */
    boolean canPunchHole();

    /** Requests accepted and not yet reaped by {@link #poll}. */
    int inFlight();

    /** Requests so far that went through an aligned bounce buffer ({@code cache=none} and unaligned). */
    long bouncedRequests();

    /** Reads {@code length} bytes at {@code position} into native memory at {@code address}. */
    boolean read(AioFile file, long tag, long position, long address, int length);

    /** Writes {@code length} bytes from native memory at {@code address} to {@code position}. */
    boolean write(AioFile file, long tag, long position, long address, int length);

    /** Reads the file range from {@code position} into the segments of {@code vector}, in order. */
    boolean readv(AioFile file, long tag, long position, IoVector vector);

    /** Writes the segments of {@code vector}, in order, to the file range from {@code position}. */
    boolean writev(AioFile file, long tag, long position, IoVector vector);

    /**
     * Makes every write that completed before this request was submitted durable: {@code fdatasync} when {@code
     * dataOnly}, else {@code fsync}. It is not ordered against requests still in flight (io_uring and the workers
     * run them concurrently), so a caller that needs "everything before the flush" (blkif FLUSH, BARRIER) waits for
     * those writes to complete first, as Linux blkback does. A failure is reported on this request only; keeping
     * it sticky (fsyncgate) is the store's job.
     */
    boolean sync(AioFile file, long tag, boolean dataOnly);

    /**
     * Deallocates a range ({@code fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)}): it reads back as zeros
     * and the file keeps its size. Completes with {@code -EOPNOTSUPP} when {@link #canPunchHole()} is false.
     */
    boolean punchHole(AioFile file, long tag, long position, long length);

    /**
     * True while some request in flight completes only through a {@link #poll} on the submitting thread (no engine
     * thread will run the completion signal for it): a caller about to sleep must come back within a bound of its
     * own. The io_uring engine reaps its ring on the submitting thread; the worker pool signals.
     */
    boolean needsPolling();

    /** Starts every request queued since the last call. Returns how many. */
    int submitBatch();

    /** Delivers up to {@code limit} completions to {@code handler} on this thread. Returns how many. */
    int poll(AioCompletionHandler handler, int limit);

    @Override
    void close();
}
