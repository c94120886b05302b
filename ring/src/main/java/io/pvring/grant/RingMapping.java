package io.pvring.grant;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The result of {@link GrantMapper#mapRing}: a status and, when it is {@link GrantStatus#GNTST_OKAY}, the backend's
 * view of the shared ring (all its pages as one buffer) and one handle per page to unmap later. A failed mapping
 * holds no buffer and no handle: nothing of it stays mapped.
 *
 * @param status  {@link GrantStatus#GNTST_OKAY} or the first failing page's status (never assume "not OKAY" means
 *                negative: XSA-316 is about backends that did).
 * @param ring    the mapped ring, or null when the mapping failed.
 * @param handles one grant handle per page in ring order, or empty when the mapping failed.
 */
public record RingMapping(int status, UnsafeBuffer ring, int[] handles)
{
    private static final int[] NO_HANDLES = new int[0];

    public static RingMapping failed(final int status)
    {
        return new RingMapping(status, null, NO_HANDLES);
    }

    public boolean isOk()
    {
        return status == GrantStatus.GNTST_OKAY;
    }
}
