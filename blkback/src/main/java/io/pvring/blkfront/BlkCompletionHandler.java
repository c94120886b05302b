package io.pvring.blkfront;

/** Receives blkfront completions from {@link BlkFrontQueue#poll}; called on the polling thread. */
@FunctionalInterface
public interface BlkCompletionHandler
{
    /**
     * @param cookie the caller's value given at submit.
     * @param operation the {@code BLKIF_OP_*} submitted (READ/WRITE also for indirect requests).
     * @param status {@code BLKIF_RSP_*} from the backend.
     */
    void onCompletion(long cookie, int operation, int status);
}
