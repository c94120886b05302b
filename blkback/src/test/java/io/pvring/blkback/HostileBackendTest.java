package io.pvring.blkback;

import java.util.ArrayList;
import java.util.List;

import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.blkif.BlkifAbi;
import io.pvring.ring.FrontRing;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_READ;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * blkfront, in a guest on the real hypervisor core ({@link HostRig}), facing a backend that forges responses:
 * unknown ids are ignored, a runaway rsp_prod breaks the queue.
 */
class HostileBackendTest
{
    @Test
    void forgedResponsesAreIgnoredAndARunawayProducerBreaksTheQueue()
    {
        try (HostRig rig = HostRig.memory(1 << 20))
        {
            final BlkFrontQueue queue = rig.q(0);
            final FrontRing front = queue.frontRing();
            final BlkifAbi abi = queue.abi();
            final UnsafeBuffer into = new UnsafeBuffer(new byte[4096]);
            into.setMemory(0, 4096, (byte)0x44);
            assertTrue(queue.read(0, 8, into, 0, 77));
            queue.push();

            // The "backend" answers with ids that were never issued, and one that is idle.
            final int rspProd = front.buffer().getInt(8);
            abi.putResponse(front.buffer(), front.geometry().slotOffset(rspProd), 9999, BLKIF_OP_READ, 0);
            abi.putResponse(front.buffer(), front.geometry().slotOffset(rspProd + 1), -1, BLKIF_OP_READ, 0);
            abi.putResponse(front.buffer(), front.geometry().slotOffset(rspProd + 2), 5, BLKIF_OP_READ, 0);
            front.buffer().putIntRelease(8, rspProd + 3);
            final List<Long> completed = new ArrayList<>();
            assertEquals(3, queue.poll((cookie, op, status) -> completed.add(cookie)));
            assertTrue(completed.isEmpty(), "nothing completes on a forged id");
            assertEquals(3, queue.badResponses());
            assertEquals(0x44, into.getByte(0), "no data was copied for a forged response");
            assertEquals(1, queue.inFlight());

            front.buffer().putIntRelease(8, rspProd + 3 + front.size() + 1);
            assertEquals(0, queue.poll((cookie, op, status) -> completed.add(cookie)));
            assertTrue(queue.isBroken());
            assertFalse(queue.read(0, 8, into, 0, 78), "a broken queue takes no more requests");
        }
    }

    @Test
    void theRealBackendStillCompletesTheRequest()
    {
        try (HostRig rig = HostRig.memory(1 << 20))
        {
            final UnsafeBuffer into = new UnsafeBuffer(new byte[4096]);
            assertEquals(BLKIF_RSP_OKAY, rig.read(0, into));
            assertEquals(0, rig.q(0).badResponses());
        }
    }
}
