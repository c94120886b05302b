package io.pvring.serve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.pvring.event.remote.EvtchnMessage;
import io.pvring.event.remote.EvtchnServer;
import io.pvring.event.remote.EvtchnTestClient;
import io.pvring.host.Domain;
import io.pvring.memory.GuestMemory;
import io.pvring.memory.RegionGuestMemory;
import io.pvring.testing.CValues;
import io.pvring.testing.RequiredTools;
import io.pvring.unix.ConnectionBounds;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.event.remote.EvtchnMessageDescriptor.E2BIG;
import static io.pvring.event.remote.EvtchnMessageDescriptor.EBADF;
import static io.pvring.event.remote.EvtchnMessageDescriptor.EINVAL;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ETIMEDOUT;
import static io.pvring.event.remote.EvtchnMessageDescriptor.MESSAGE_LENGTH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_ALLOC_UNBOUND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_HELLO;
import static io.pvring.event.remote.EvtchnMessageDescriptor.VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An emulator in another process (serve_fds.c, memfd and eventfd through {@code SCM_RIGHTS}) gives a guest its own
 * memory as a table of regions and its ports eventfd doorbells; the hostile variants of each are refused with the
 * documented errno, hold a bounded amount, leave no descriptor behind and leave other guests alone.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServeFdPassingTest
{
    private static final String PROGRAM = "serve_fds.c";
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private static CFrontendProcess start(final ServeHost serve, final Domain guest, final Path work,
        final String mode) throws Exception
    {
        return CFrontendProcess.compile(ServeFdPassingTest.class, PROGRAM, work).start(
            serve.guestEvtchnSocket(guest.domid()).toString(), Integer.toString(guest.domid()), mode);
    }

    @Test
    void memfdRegionsWithAHoleBecomeTheGuestsMemory(@TempDir final Path tmp) throws Exception
    {
        try (ServeHost serve = ServeHost.start(tmp.resolve("srv")))
        {
            final Domain g = serve.createGuest("g", 4L << 20);
            final Path ownFile = g.memoryFile();
            assertTrue(Files.exists(ownFile));
            final CFrontendProcess emulator = start(serve, g, tmp, "memory");
            try
            {
                final GuestMemory mem = awaitTable(g, emulator);
                assertEquals("region0 page1", read(mem, 1, 13), "gfn 1: region 0, file offset 4096");
                assertEquals("region1 page1", read(mem, 513, 13), "gfn 513: region 1 (2 MiB), file offset 1 MiB + 4K");
                final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
                assertFalse(mem.wrap(page, 256, 1), "gfn 256 is in the hole");
                assertFalse(mem.getBytes(300, 0, new UnsafeBuffer(new byte[8]), 0, 8), "a hole is not readable");
                assertFalse(mem.wrap(page, 255, 2), "a run crossing region 0's end");
                assertFalse(mem.wrap(page, 768, 1), "beyond the last region");
                assertTrue(mem.putBytes(514, 0, new UnsafeBuffer("from-pvring".getBytes(StandardCharsets.US_ASCII)),
                    0, 11));
                assertFalse(Files.exists(ownFile), "pvring's own memory file goes when the emulator's replaces it");
                emulator.stdin().close();
                final CValues v = emulator.await(60);
                assertEquals(VERSION, v.get("version"));
                assertEquals(0, v.get("region0"));
                assertEquals(0, v.get("region1"));
                assertEquals(0, v.get("table"));
                assertEquals(1, v.get("seen_pvring_write"), "pvring's write is in the emulator's mapping");
            }
            finally
            {
                emulator.destroy();
            }
        }
    }

    @Test
    void aHugetlbMemfdBecomesTheGuestsMemory(@TempDir final Path tmp) throws Exception
    {
        // QEMU's memory-backend-memfd,hugetlb=on: the region's file offset and size are in 2 MiB pages.
        final long added = reserveHugePages(2);
        try (ServeHost serve = ServeHost.start(tmp.resolve("srv")))
        {
            final Domain g = serve.createGuest("g", 2L << 20);
            final CFrontendProcess emulator = start(serve, g, tmp, "hugetlb");
            try
            {
                final GuestMemory mem = awaitTable(g, emulator);
                assertEquals("huge page1", read(mem, 1, 10), "gfn 1: the second huge page, offset 4096");
                assertTrue(mem.putBytes(2, 0, new UnsafeBuffer("from-pvring".getBytes(StandardCharsets.US_ASCII)),
                    0, 11));
                assertFalse(mem.wrap(new UnsafeBuffer(new byte[0]), 512, 1), "beyond the 2 MiB region");
                emulator.stdin().close();
                final CValues v = emulator.await(60);
                assertEquals(0, v.get("region0"));
                assertEquals(0, v.get("table"));
                assertEquals(1, v.get("seen_pvring_write"), "pvring's write is in the emulator's huge page");
            }
            finally
            {
                emulator.destroy();
            }
        }
        finally
        {
            releaseHugePages(added);
        }
    }

    /**
     * Makes sure {@code pages} 2 MiB huge pages are free, reserving more (root) when not; returns how many it added
     * for {@link #releaseHugePages}. Fails (CI) or skips (locally, with the allow-skip variable) when it cannot.
     */
    private static long reserveHugePages(final long pages) throws IOException
    {
        final long free = meminfo("HugePages_Free");
        if (free >= pages)
        {
            return 0;
        }
        final Path nr = Path.of("/proc/sys/vm/nr_hugepages");
        final long total = Long.parseLong(Files.readString(nr).trim());
        final long added = pages - free;
        try
        {
            Files.writeString(nr, Long.toString(total + added));
        }
        catch (final IOException ex)
        {
            RequiredTools.require(false, "2 MiB huge pages: " + free + " free and " + nr + " not writable (" +
                ex.getMessage() + "): run as root or reserve " + pages + " pages");
        }
        RequiredTools.require(meminfo("HugePages_Free") >= pages, "2 MiB huge pages: the kernel reserved fewer " +
            "than " + pages + " (" + meminfo("HugePages_Free") + " free)");
        return added;
    }

    private static void releaseHugePages(final long added) throws IOException
    {
        if (added > 0)
        {
            final Path nr = Path.of("/proc/sys/vm/nr_hugepages");
            Files.writeString(nr, Long.toString(Long.parseLong(Files.readString(nr).trim()) - added));
        }
    }

    private static long meminfo(final String key) throws IOException
    {
        try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo")))
        {
            return lines.filter(l -> l.startsWith(key + ":")).findFirst()
                .map(l -> Long.parseLong(l.substring(key.length() + 1).trim().split(" ")[0])).orElse(0L);
        }
    }

    @Test
    void eventfdKickAndCallCarryNotificationsAndTheSocketStaysTheFallback(@TempDir final Path tmp) throws Exception
    {
        try (ServeHost serve = ServeHost.start(tmp.resolve("srv")))
        {
            final Domain g = serve.createGuest("g", 4L << 20);
            final CFrontendProcess emulator = start(serve, g, tmp, "doorbells");
            try
            {
                final CValues v = emulator.await(60);
                assertEquals(0, v.get("set_kick"));
                assertEquals(0, v.get("set_call"));
                assertEquals(100, v.get("eventfd_rounds"), "kick eventfd -> port -> call eventfd, 100 times");
                assertEquals(1, v.get("socket_send_to_call"), "a SEND message reaches a port's call eventfd too");
                assertEquals(0, v.get("remove_call"));
                assertEquals(1, v.get("event_after_remove"), "without its call eventfd the port gets EVENTs again");
            }
            finally
            {
                emulator.destroy();
            }
        }
    }

    @Test
    void theShippedClientSetsTablesAndDoorbells(@TempDir final Path tmp) throws Exception
    {
        try (ServeHost serve = ServeHost.start(tmp.resolve("srv")))
        {
            final Domain g = serve.createGuest("g", 4L << 20);
            final CFrontendProcess emulator = CFrontendProcess.compile(ServeFdPassingTest.class, PROGRAM, tmp)
                .start(serve.directory().toString(), Integer.toString(g.domid()), "client");
            try
            {
                final CValues v = emulator.await(60);
                assertEquals(0, v.get("client_table"));
                assertEquals(-EBADF, v.get("client_table_eventfd"));
                assertEquals(0, v.get("client_kick"));
                assertEquals(0, v.get("client_call"));
                assertEquals(-EBADF, v.get("client_kick_memfd"));
                assertEquals(1, v.get("client_doorbell"));
                assertEquals(0, v.get("client_call_removed"));
                assertEquals(1, v.get("client_event_on_socket"));
                assertEquals("client region1", read(g.memory(), 512, 14), "the table the client set is in use");
            }
            finally
            {
                emulator.destroy();
            }
        }
    }

    /**
     * The QD1 round trip of a notification through pvring (client -> port -> peer port -> client), by the socket
     * (SEND, then EVENT) and by eventfds (kick, then call). Figures are printed, never asserted (the machine is
     * shared); {@code -Dpvring.doorbellRounds=100000} for a measurement (docs/OUT-OF-PROCESS.md).
     */
    @Test
    void doorbellRoundTripsAreMeasuredThroughTheSocketAndThroughEventfds(@TempDir final Path tmp) throws Exception
    {
        final int rounds = Integer.getInteger("pvring.doorbellRounds", 200);
        try (ServeHost serve = ServeHost.start(tmp.resolve("srv")))
        {
            final Domain g = serve.createGuest("g", 4L << 20);
            final CFrontendProcess emulator = CFrontendProcess.compile(ServeFdPassingTest.class, PROGRAM, tmp)
                .start(serve.guestEvtchnSocket(g.domid()).toString(),
                    Integer.toString(g.domid()), "bench", Integer.toString(rounds));
            try
            {
                final CValues v = emulator.await(120);
                System.out.println("doorbell QD1 round trip, " + rounds + " rounds: socket p50 " +
                    v.get("socket_p50_ns") + " ns p99 " + v.get("socket_p99_ns") + " ns; eventfd p50 " +
                    v.get("eventfd_p50_ns") + " ns p99 " + v.get("eventfd_p99_ns") + " ns");
                assertTrue(v.get("socket_p50_ns") > 0 && v.get("eventfd_p50_ns") > 0, "both paths measured");
            }
            finally
            {
                emulator.destroy();
            }
        }
    }

    @Test
    void hostileDescriptorsAndFloodsAreRefusedBoundedAndLeaveOtherGuestsAlone(@TempDir final Path tmp)
        throws Exception
    {
        try (ServeHost serve = ServeHost.start(tmp.resolve("srv")))
        {
            final Domain g = serve.createGuest("g", 4L << 20);
            final Domain other = serve.createGuest("other", 4L << 20);
            final EvtchnServer server = serve.guestEvtchnServer(g.domid());
            final long bound = ConnectionBounds.CONTROL.maxBufferedBytes(MESSAGE_LENGTH,
                64 * MESSAGE_LENGTH + ConnectionBounds.WRITE_ENTRY_OVERHEAD);
            final CFrontendProcess emulator = start(serve, g, tmp, "hostile");
            long held = 0;
            try
            {
                while (emulator.isAlive())
                {
                    held = Math.max(held, server.maxClientBufferedBytes());
                }
                final CValues v = emulator.await(60);
                assertEquals(-EBADF, v.get("region_pipe"), "a pipe is not memory");
                assertEquals(-EBADF, v.get("region_eventfd"), "an eventfd is not memory");
                assertEquals(-EINVAL, v.get("region_unaligned"));
                assertEquals(-EINVAL, v.get("region_zero"));
                assertEquals(-EINVAL, v.get("region_beyond_file"), "2 MiB of a 1 MiB memfd");
                assertEquals(-EINVAL, v.get("region_offset_beyond_file"));
                assertEquals(-EINVAL, v.get("table_empty"));
                assertEquals(-EINVAL, v.get("table_overlap"));
                assertEquals(32, v.get("regions_accepted"));
                assertEquals(-E2BIG, v.get("region_too_many"));
                assertEquals(0, v.get("table_max"), "32 regions with holes between them");
                assertEquals(-EBADF, v.get("kick_pipe"), "a pipe is not an eventfd");
                assertEquals(-EBADF, v.get("call_memfd"), "a memfd is not an eventfd");
                assertEquals(-EINVAL, v.get("kick_semaphore"), "a semaphore eventfd would be read for ever");
                assertEquals(-EINVAL, v.get("call_semaphore"), "as a call doorbell too");
                assertEquals(-EINVAL, v.get("kick_not_our_port"));
                assertEquals(-EINVAL, v.get("kick_port_zero"));
                assertEquals(-EINVAL, v.get("kick_bad_value"));
                assertEquals(20000, v.get("flood_errors"), "every empty table refused, every removal answered");
                assertEquals(1, v.get("three_fds_first"), "a descriptor is asked for");
                assertEquals(1, v.get("three_fds_closed"), "three descriptors where one was asked end the connection");
                assertEquals(1, v.get("nofd_first"), "a descriptor is asked for");
                assertEquals(1, v.get("nofd_closed"), "a message where the descriptor was due ends the connection " +
                    "(after 5 s): nofd_answered=" + v.get("nofd_answered"));
                assertEquals(1, v.get("nofd_answered"), "one reply: the region's -ETIMEDOUT, not the MASK's");
                assertEquals(-ETIMEDOUT, v.get("nofd_status"));
                assertTrue(held <= bound, "held=" + held + " bound=" + bound + " while flooding");
            }
            finally
            {
                emulator.destroy();
            }
            final int regions = ((RegionGuestMemory)g.memory()).table().regions().size();
            assertEquals(32, regions);
            assertEquals(regions, memfdsHeld(regions), "one descriptor per region of the table in use (it maps " +
                "lazily), none of the refused regions or the connection's");
            try (EvtchnTestClient neighbour = EvtchnTestClient.connect(serve.guestEvtchnSocket(other.domid())))
            {
                assertEquals(0, neighbour.call(OP_HELLO, 0, other.domid(), 0, 0).status());
                final EvtchnMessage alloc = neighbour.call(OP_ALLOC_UNBOUND, 0, other.domid(), 0, 0);
                assertEquals(0, alloc.status(), "the other guest is served as before");
            }
        }
    }

    /** The emulator's memory once serve installed the table it sent, within {@link #WAIT_NANOS}. */
    private static GuestMemory awaitTable(final Domain g, final CFrontendProcess emulator) throws Exception
    {
        final long deadline = System.nanoTime() + WAIT_NANOS;
        while (!(g.memory() instanceof RegionGuestMemory) && emulator.isAlive() && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertTrue(g.memory() instanceof RegionGuestMemory, "the table was not installed within 30 s: " +
            g.memory() + (emulator.isAlive() ? "" : ", emulator: " + emulator.await(5)));
        return g.memory();
    }

    private static String read(final GuestMemory mem, final long gfn, final int length)
    {
        final UnsafeBuffer dst = new UnsafeBuffer(new byte[length]);
        assertTrue(mem.getBytes(gfn, 0, dst, 0, length), "gfn " + gfn + " readable");
        return new String(dst.byteArray(), StandardCharsets.US_ASCII);
    }

    /** This process's descriptors that are serve_fds.c's memfds. */
    private static long memfdsHeld(final long expected) throws IOException
    {
        final long deadline = System.nanoTime() + WAIT_NANOS;
        long held;
        do
        {
            held = countMemfds();
        }
        while (held != expected && System.nanoTime() < deadline);
        return held;
    }

    private static long countMemfds() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.filter(p ->
            {
                try
                {
                    return Files.readSymbolicLink(p).toString().contains("memfd:serve_fds");
                }
                catch (final IOException ex)
                {
                    return false; // closed meanwhile
                }
            }).count();
        }
    }
}
