package io.pvring.xenstore;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.pvring.unix.FloodClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.xenstore.XsSockMsgDescriptor.HEADER_LENGTH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Quotas count per domain, as xenstored counts them, not per connection: a guest opening 80 connections gets no more
 * watches, transactions, nodes or outstanding requests than with one.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class XenStoreDomainQuotaTest
{
    private static final int GUEST = 1;
    private static final int CONNECTIONS = 80;
    private static final long WAIT_MS = 20_000;

    private final XenStore store = new XenStore();
    private final XsConnection dom0 = store.connect(XenStore.DOM0);

    private List<XsConnection> guestConnections()
    {
        dom0.mkdir("/local/domain/1");
        dom0.setPerms("/local/domain/1", XsPermissions.of(GUEST, XsPermissions.PERM_NONE));
        final List<XsConnection> all = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++)
        {
            all.add(store.connect(GUEST));
        }
        return all;
    }

    @Test
    void eightyConnectionsShareOneWatchQuota()
    {
        final List<XsConnection> conns = guestConnections();
        final int quota = store.quotas().watchesPerDomain();
        int accepted = 0;
        int refused = 0;
        for (int w = 0; w < 4; w++)
        {
            for (final XsConnection c : conns)
            {
                try
                {
                    c.watch("w" + w, "t" + accepted);
                    accepted++;
                }
                catch (final XenStoreException ex)
                {
                    assertEquals(XsError.E2BIG, ex.error());
                    refused++;
                }
            }
        }
        assertEquals(quota, accepted, "one domain's watches, all connections together");
        assertEquals(4 * CONNECTIONS - quota, refused);
        conns.get(0).close(); // its watches go with it: room again for the domain's other connections
        conns.get(1).watch("again", "t");
        dom0.watch("/dom0/has/no/quota", "t");
    }

    @Test
    void eightyConnectionsShareOneTransactionQuota()
    {
        final List<XsConnection> conns = guestConnections();
        final int quota = store.quotas().transactionsPerDomain();
        int opened = 0;
        for (final XsConnection c : conns)
        {
            try
            {
                c.transactionStart();
                opened++;
            }
            catch (final XenStoreException ex)
            {
                assertEquals(XsError.ENOSPC, ex.error());
            }
        }
        assertEquals(quota, opened);
        for (int i = 0; i < 2 * quota; i++)
        {
            dom0.transactionStart(); // the privileged domain is not limited
        }
    }

    @Test
    void eightyConnectionsShareOneNodeQuota()
    {
        final List<XsConnection> conns = guestConnections();
        final int quota = store.quotas().nodesPerDomain();
        final int before = store.nodeCount();
        int created = 0;
        outer:
        while (true)
        {
            for (final XsConnection c : conns)
            {
                try
                {
                    // 50 children per directory: the node-size quota (child names) stays out of the way.
                    c.write("d" + created / 50 + "/n" + created, "v");
                    created++;
                }
                catch (final XenStoreException ex)
                {
                    assertEquals(XsError.ENOSPC, ex.error());
                    break outer;
                }
            }
        }
        // The guest owns its home directory too: all its connections together reach the domain's quota.
        assertEquals(quota - 1, store.nodeCount() - before, "nodes created for domain " + GUEST);
        assertThrows(XenStoreException.class, () -> conns.get(CONNECTIONS - 1).write("more", "v"));
    }

    @Test
    void outstandingRequestsAreBoundedPerDomainAcrossItsConnections(@TempDir final Path dir) throws Exception
    {
        guestConnections().forEach(XsConnection::close);
        dom0.write("/local/domain/1/big", "x".repeat(2000));
        final int quota = store.quotas().outstandingRequestsPerDomain();
        final OutstandingRequests outstanding = store.outstandingRequests(GUEST);
        try (XenStoreServer guestServer = XenStoreServer.startForDomain(store, dir.resolve("g.sock"), GUEST);
            XenStoreServer dom0Server = XenStoreServer.start(store, dir.resolve("xs.sock")))
        {
            final List<FloodClient> lazy = new ArrayList<>();
            final byte[] request = read("big");
            for (int i = 0; i < 4; i++)
            {
                final FloodClient c = FloodClient.connect(guestServer.socketPath());
                lazy.add(c);
                c.floodUntilStalled(request, () -> guestServer.pausedClients() == lazy.size(), WAIT_MS);
                assertTrue(outstanding.count() <= quota, "outstanding=" + outstanding.count() + " quota=" + quota);
            }
            assertEquals(quota, outstanding.count(), "the domain sits at its quota with clients that do not read");
            // Another connection of the same guest waits too: the quota is the domain's.
            try (FloodClient late = FloodClient.connect(guestServer.socketPath()))
            {
                late.writeFully(read("big"), WAIT_MS);
                awaitCondition(() -> guestServer.pausedClients() == 5, "the fifth connection waits for the quota");
                // dom0 is served meanwhile.
                try (FloodClient admin = FloodClient.connect(dom0Server.socketPath()))
                {
                    admin.writeFully(read("/local/domain/1/big"), WAIT_MS);
                    admin.readExactly(HEADER_LENGTH + 2000, null, WAIT_MS);
                }
                // The lazy connections go: their unsent replies are no longer owed, the domain is below its quota
                // and the late connection is answered.
                for (final FloodClient c : lazy)
                {
                    c.close();
                }
                late.readExactly(HEADER_LENGTH + 2000, null, WAIT_MS);
            }
            awaitCondition(() -> outstanding.count() == 0, "replies to closed connections are no longer owed");
        }
    }

    private static byte[] read(final String path)
    {
        final byte[] p = XsMessage.nulTerminated(path);
        final ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH + p.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(XsMessageType.XS_READ).putInt(1).putInt(0).putInt(p.length).put(p);
        return b.array();
    }

    private static void awaitCondition(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail(what + ": not within " + WAIT_MS + " ms");
            }
            LockSupport.parkNanos(100_000);
        }
    }
}
