package io.pvring.blkback;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkif.BlkifAbi;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.EventPort;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.ring.FrontRing;
import io.pvring.ring.RingGeometry;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_READ;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_EOPNOTSUPP;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of a blkif request slot as a hostile blkfront writes it, on both ABIs (x86_64 and
 * x86_32, chosen by the input), with or without persistent grants, including indirect requests whose descriptor
 * pages the input fills: the real {@link BlkBack} ring on the emulated hypervisor core, stepped by hand.
 *
 * <p>Invariants, after every batch: no exception escapes the ring's agent; unless the device is broken, every
 * request is answered, in order, with its id and a {@code BLKIF_RSP_*} status; a response writes only its id,
 * operation and status (the guest's padding stays: XSA-216); the disk changes only for a write, discard or flush
 * answered OKAY; pages granted read-only and pages never granted do not change, and a write request changes no guest
 * page at all; at the end an unbroken device still serves a valid write and read-back and holds no grant mapping
 * once closed. Regression inputs live in {@code BlkifRequestFuzzTestInputs/}.
 */
class BlkifRequestFuzzTest
{
    private static final int PAGE = 4096;
    private static final long RING_GFN = 1;
    private static final long DATA_GFN = 16;
    private static final int DATA_PAGES = 4;
    private static final long INDIRECT_GFN = 24;
    private static final int INDIRECT_PAGES = 2;
    private static final long RO_GFN = 28;
    private static final long CANARY_GFN = 29;
    private static final long CHECK_GFN = 30;
    private static final int DISK_BYTES = 64 << 10;
    private static final int MAX_BATCHES = 24;

    @FuzzTest
    void requests(final FuzzedDataProvider data)
    {
        final BlkifAbi abi = BlkifAbi.forProtocol(data.consumeBoolean() ?
            BlkifDescriptor.PROTOCOL_X86_32 : BlkifDescriptor.PROTOCOL_X86_64);
        try (Harness h = new Harness(abi, data.consumeBoolean()))
        {
            for (int batch = 0; batch < MAX_BATCHES && data.remainingBytes() > 0 && !h.back.isBroken(); batch++)
            {
                if (data.consumeInt(0, 7) == 0)
                {
                    h.fillIndirect(data);
                    continue;
                }
                h.batch(data);
            }
            h.finish();
        }
    }

    private static final class Harness implements AutoCloseable
    {
        final BlkifAbi abi;
        final Hypervisor hypervisor = new Hypervisor();
        final Domain guest = hypervisor.createDomain("guest", 64 * PAGE);
        final BackendGrantMapper mapper =
            hypervisor.grantMapper(Hypervisor.DOM0, guest.domid(), BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
        final MemoryBlockStore store = new MemoryBlockStore(DISK_BYTES, 512);
        final BlkBack back = new BlkBack("blkback-fuzz", store,
            BlkBackConfig.builder().maxIndirectSegments(BlkifDescriptor.MAX_INDIRECT_SEGMENTS).build(), mapper, null);
        final EventPort frontPort;
        final EventPort backPort;
        final FrontRing front;
        final UnsafeBuffer ring = page(RING_GFN);
        /** Grant refs a request may name: data pages, indirect pages, the read-only page, a foreign grant, junk. */
        final int[] refs = new int[DATA_PAGES + INDIRECT_PAGES + 4];
        final int dataRef;
        final byte[] writtenMask;
        final int slotBytes;
        final byte[][] before = new byte[64][];
        final UnsafeBuffer disk = new UnsafeBuffer(new byte[DISK_BYTES]);
        final byte[] diskBefore = new byte[DISK_BYTES];
        final byte[] slotShadow;
        long nextId = 1;

        Harness(final BlkifAbi abi, final boolean persistentGrants)
        {
            this.abi = abi;
            slotBytes = abi.slotBytes();
            slotShadow = new byte[slotBytes];
            final int ringRef = guest.grantTable().grantAccess(Hypervisor.DOM0, RING_GFN, false);
            for (int i = 0; i < DATA_PAGES; i++)
            {
                refs[i] = guest.grantTable().grantAccess(Hypervisor.DOM0, DATA_GFN + i, false);
                page(DATA_GFN + i).setMemory(0, PAGE, (byte)(0x40 + i));
            }
            for (int i = 0; i < INDIRECT_PAGES; i++)
            {
                refs[DATA_PAGES + i] = guest.grantTable().grantAccess(Hypervisor.DOM0, INDIRECT_GFN + i, true);
            }
            refs[DATA_PAGES + INDIRECT_PAGES] = guest.grantTable().grantAccess(Hypervisor.DOM0, RO_GFN, true);
            // Not the ring's ref: a guest may read disk data into its own ring, which is its own foot-gun and makes
            // every later slot meaningless. A grant to another domain instead (the backend may not use it).
            refs[DATA_PAGES + INDIRECT_PAGES + 1] = guest.grantTable().grantAccess(42, DATA_GFN, false);
            refs[DATA_PAGES + INDIRECT_PAGES + 2] = 0;
            refs[DATA_PAGES + INDIRECT_PAGES + 3] = 0x7FFF_FFFF;
            dataRef = guest.grantTable().grantAccess(Hypervisor.DOM0, CHECK_GFN, false);
            page(RO_GFN).setMemory(0, PAGE, (byte)0x3C);
            page(CANARY_GFN).setMemory(0, PAGE, (byte)0xC3);
            store.write(0, new UnsafeBuffer(fill(DISK_BYTES, (byte)0x5A)), 0, DISK_BYTES);
            frontPort = hypervisor.eventChannels().allocUnbound(guest.domid(), Hypervisor.DOM0);
            backPort = hypervisor.eventChannels().bindInterdomain(Hypervisor.DOM0, guest.domid(), frontPort.port());
            front = new FrontRing(ring, RingGeometry.of(slotBytes, 0)).init();
            assertTrue(null != back.connectRing(0, new int[]{ringRef}, 0, abi.protocol(), backPort, persistentGrants),
                "ring connects");
            writtenMask = responseMask(abi);
        }

        /** Which bytes of a slot {@link BlkifAbi#putResponse} writes: those equal after writing over 0x00 and 0xFF. */
        private static byte[] responseMask(final BlkifAbi abi)
        {
            final UnsafeBuffer zeros = new UnsafeBuffer(new byte[abi.slotBytes()]);
            final UnsafeBuffer ones = new UnsafeBuffer(fill(abi.slotBytes(), (byte)0xFF));
            abi.putResponse(zeros, 0, 0, 0, 0);
            abi.putResponse(ones, 0, 0, 0, 0);
            final byte[] mask = new byte[abi.slotBytes()];
            for (int i = 0; i < mask.length; i++)
            {
                mask[i] = (byte)(zeros.getByte(i) == ones.getByte(i) ? 1 : 0);
            }
            return mask;
        }

        private static byte[] fill(final int length, final byte value)
        {
            final byte[] b = new byte[length];
            java.util.Arrays.fill(b, value);
            return b;
        }

        private UnsafeBuffer page(final long gfn)
        {
            final UnsafeBuffer b = new UnsafeBuffer(new byte[0]);
            assertTrue(guest.guestMemory().wrap(b, gfn, 1), "gfn " + gfn);
            return b;
        }

        private int ref(final FuzzedDataProvider data)
        {
            return data.consumeInt(0, 7) == 0 ? data.consumeInt() : data.pickValue(refs);
        }

        /** The guest writes segment descriptors into its indirect pages (between requests, as a frontend would). */
        void fillIndirect(final FuzzedDataProvider data)
        {
            final UnsafeBuffer p = page(INDIRECT_GFN + data.consumeInt(0, INDIRECT_PAGES - 1));
            final int from = data.consumeInt(0, BlkifDescriptor.SEGMENTS_PER_INDIRECT_FRAME - 1);
            final int count = data.consumeInt(1, 16);
            for (int i = from; i < Math.min(from + count, BlkifDescriptor.SEGMENTS_PER_INDIRECT_FRAME); i++)
            {
                final int at = i * BlkifDescriptor.SEGMENT_LENGTH;
                p.putInt(at + BlkifDescriptor.SEGMENT_GREF_OFFSET, ref(data), BlkifDescriptor.BYTE_ORDER);
                p.putByte(at + BlkifDescriptor.SEGMENT_FIRST_SECT_OFFSET, (byte)data.consumeInt(0, 9));
                p.putByte(at + BlkifDescriptor.SEGMENT_LAST_SECT_OFFSET, (byte)data.consumeInt(0, 9));
            }
        }

        /** Up to 4 requests of any shape, then one push and the ring's work. */
        void batch(final FuzzedDataProvider data)
        {
            final int n = data.consumeInt(1, 4);
            final long[] ids = new long[n];
            final int[] ops = new int[n];
            final byte[][] shadows = new byte[n][];
            snapshot();
            for (int i = 0; i < n; i++)
            {
                final int slot = front.requestOffset();
                ids[i] = nextId++;
                ops[i] = request(data, slot, ids[i]);
                shadows[i] = new byte[slotBytes];
                ring.getBytes(slot, shadows[i]);
                front.nextRequest();
            }
            front.pushRequests();
            work();
            if (back.isBroken())
            {
                return;
            }
            assertEquals(n, front.unconsumedResponses(), "every request answered");
            boolean diskMayChange = false;
            boolean guestMayChange = false;
            for (int i = 0; i < n; i++)
            {
                final int rsp = front.responseOffset();
                assertEquals(ids[i], abi.responseId(ring, rsp), "response id, in order");
                final int status = abi.responseStatus(ring, rsp);
                assertTrue(status <= BLKIF_RSP_OKAY && status >= BLKIF_RSP_EOPNOTSUPP, "status " + status);
                for (int b = 0; b < slotBytes; b++)
                {
                    if (writtenMask[b] == 0)
                    {
                        assertEquals(shadows[i][b], ring.getByte(rsp + b), "response wrote padding byte " + b);
                    }
                }
                final boolean indirect = ops[i] == BlkifDescriptor.BLKIF_OP_INDIRECT;
                diskMayChange |= status == BLKIF_RSP_OKAY && ops[i] != BLKIF_OP_READ;
                guestMayChange |= ops[i] == BLKIF_OP_READ || indirect; // an indirect request may be a read
                front.nextResponse();
            }
            checkPages(diskMayChange, guestMayChange);
        }

        /** One request slot: read/write/barrier/flush/discard/indirect/unknown, with fuzzed fields. */
        private int request(final FuzzedDataProvider data, final int slot, final long id)
        {
            final int op = data.consumeBoolean() ? data.consumeInt(0, 7) : data.consumeInt(0, 255);
            final long sector = data.consumeBoolean() ? data.consumeLong(0, DISK_BYTES / 512 + 2) : data.consumeLong();
            ring.setMemory(slot, slotBytes, (byte)data.consumeInt(0, 255));
            if (op == BlkifDescriptor.BLKIF_OP_DISCARD)
            {
                abi.putDiscard(ring, slot, data.consumeInt(0, 1), 0, id, sector,
                    data.consumeBoolean() ? data.consumeLong(0, 200) : data.consumeLong());
            }
            else if (op == BlkifDescriptor.BLKIF_OP_INDIRECT)
            {
                final int nseg = data.consumeBoolean() ? data.consumeInt(0, 40) : data.consumeInt(0, 0xFFFF);
                abi.putIndirect(ring, slot, data.consumeInt(0, 7), nseg, 0, id, sector);
                final int grefs = data.consumeInt(0, BlkifDescriptor.BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);
                for (int g = 0; g < grefs; g++)
                {
                    abi.putIndirectGref(ring, slot, g, data.consumeBoolean() ?
                        refs[DATA_PAGES + g % INDIRECT_PAGES] : ref(data));
                }
            }
            else
            {
                final int nseg = data.consumeBoolean() ? data.consumeInt(0, 12) : data.consumeInt(0, 255);
                abi.putRequest(ring, slot, op, nseg, 0, id, sector);
                final int segs = Math.min(nseg, BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST);
                for (int s = 0; s < segs; s++)
                {
                    final int at = slot + abi.segmentOffset(s);
                    ring.putInt(at + BlkifDescriptor.SEGMENT_GREF_OFFSET, ref(data), BlkifDescriptor.BYTE_ORDER);
                    ring.putByte(at + BlkifDescriptor.SEGMENT_FIRST_SECT_OFFSET, (byte)data.consumeInt(0, 9));
                    ring.putByte(at + BlkifDescriptor.SEGMENT_LAST_SECT_OFFSET, (byte)data.consumeInt(0, 9));
                }
            }
            return op;
        }

        private void work()
        {
            for (int i = 0; i < 64 && back.rings().get(0).doWork() > 0; i++)
            {
                // Until idle (bounded: a ring of 32 slots needs a handful of rounds).
            }
        }

        private void snapshot()
        {
            store.read(0, disk, 0, DISK_BYTES);
            disk.getBytes(0, diskBefore);
            for (long gfn = 2; gfn < 64; gfn++)
            {
                final byte[] b = new byte[PAGE];
                page(gfn).getBytes(0, b);
                before[(int)gfn] = b;
            }
        }

        private void checkPages(final boolean diskMayChange, final boolean guestMayChange)
        {
            if (!diskMayChange)
            {
                store.read(0, disk, 0, DISK_BYTES);
                final byte[] now = new byte[DISK_BYTES];
                disk.getBytes(0, now);
                assertArrayEquals(diskBefore, now, "the disk changed without a successful write, discard or flush");
            }
            for (long gfn = 2; gfn < 64; gfn++)
            {
                final boolean writable = gfn >= DATA_GFN && gfn < DATA_GFN + DATA_PAGES || gfn == CHECK_GFN;
                if (guestMayChange && writable)
                {
                    continue;
                }
                final byte[] now = new byte[PAGE];
                page(gfn).getBytes(0, now);
                assertArrayEquals(before[(int)gfn], now, "guest frame " + gfn + " changed");
            }
        }

        /** An unbroken device still serves a valid write and read-back. */
        void finish()
        {
            if (back.isBroken())
            {
                return;
            }
            final UnsafeBuffer check = page(CHECK_GFN);
            check.setMemory(0, PAGE, (byte)0x7E);
            assertEquals(BLKIF_RSP_OKAY, valid(BLKIF_OP_WRITE), "a valid write after the fuzzed requests");
            check.setMemory(0, PAGE, (byte)0);
            assertEquals(BLKIF_RSP_OKAY, valid(BLKIF_OP_READ), "a valid read after the fuzzed requests");
            assertEquals((byte)0x7E, check.getByte(PAGE - 1), "read back what was written");
        }

        private int valid(final int op)
        {
            final int slot = front.requestOffset();
            final long id = nextId++;
            abi.putRequest(ring, slot, op, 1, 0, id, 8);
            final int at = slot + abi.segmentOffset(0);
            ring.putInt(at + BlkifDescriptor.SEGMENT_GREF_OFFSET, dataRef, BlkifDescriptor.BYTE_ORDER);
            ring.putByte(at + BlkifDescriptor.SEGMENT_FIRST_SECT_OFFSET, (byte)0);
            ring.putByte(at + BlkifDescriptor.SEGMENT_LAST_SECT_OFFSET, (byte)7);
            front.nextRequest();
            front.pushRequests();
            work();
            assertEquals(1, front.unconsumedResponses(), "one response");
            final int rsp = front.responseOffset();
            assertEquals(id, abi.responseId(ring, rsp));
            final int status = abi.responseStatus(ring, rsp);
            front.nextResponse();
            return status;
        }

        @Override
        public void close()
        {
            back.close();
            assertEquals(0, mapper.liveMappings(), "grant mappings left after the device closed");
            frontPort.close();
            backPort.close();
            mapper.close();
            hypervisor.close();
        }
    }
}
