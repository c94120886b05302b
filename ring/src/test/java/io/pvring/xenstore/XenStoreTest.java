package io.pvring.xenstore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XenStoreTest
{
    private final XenStore store = new XenStore();
    private final XsConnection dom0 = store.connect(0);

    private static XsError error(final Runnable op)
    {
        return assertThrows(XenStoreException.class, op::run).error();
    }

    private static List<String> drain(final XsConnection c)
    {
        final List<String> events = new ArrayList<>();
        c.drainWatchEvents((path, token) -> events.add(path + "|" + token), Integer.MAX_VALUE);
        return events;
    }

    /** The toolstack's domain directory: owned by dom0, readable by the domain, with a domain-owned data dir. */
    private XsConnection guest(final int domid)
    {
        final String dom = XenStore.domainPath(domid);
        dom0.mkdir(dom);
        dom0.setPerms(dom, XsPermissions.of(0, XsPermissions.PERM_NONE).with(domid, XsPermissions.PERM_READ));
        dom0.mkdir(dom + "/data");
        dom0.setPerms(dom + "/data", XsPermissions.of(domid, XsPermissions.PERM_NONE));
        return store.connect(domid);
    }

    @Test
    void writeCreatesIntermediateNodesAndReadsBack()
    {
        dom0.write("/a/b/c", "hello");
        assertEquals("hello", dom0.readString("/a/b/c"));
        assertArrayEquals(new byte[0], dom0.read("/a/b"));
        assertEquals(List.of("b"), dom0.directory("/a"));
        assertTrue(dom0.directory("/").contains("a"));
        assertTrue(store.check());
    }

    @Test
    void valuesAreBinaryAndCopied()
    {
        final byte[] v = {0, 1, (byte)0xFF, 0};
        dom0.write(0, "/bin", v);
        v[0] = 9;
        assertArrayEquals(new byte[]{0, 1, (byte)0xFF, 0}, dom0.read("/bin"));
    }

    @Test
    void childrenKeepCreationOrder()
    {
        for (final String n : new String[]{"z", "a", "m"})
        {
            dom0.mkdir("/order/" + n);
        }
        assertEquals(List.of("z", "a", "m"), dom0.directory("/order"));
    }

    @Test
    void missingNodeIsEnoent()
    {
        assertEquals(XsError.ENOENT, error(() -> dom0.read("/nope")));
        assertEquals(XsError.ENOENT, error(() -> dom0.directory("/nope")));
        assertNull(dom0.readOrNull("/nope"));
    }

    @Test
    void rmRemovesSubtreeAndToleratesMissingLeaf()
    {
        dom0.write("/r/x/y", "1");
        dom0.write("/r/x/z", "2");
        dom0.rm("/r/x");
        assertEquals(List.of(), dom0.directory("/r"));
        dom0.rm("/r/x");
        assertEquals(XsError.ENOENT, error(() -> dom0.rm("/r/q/w")));
        assertEquals(XsError.EINVAL, error(() -> dom0.rm("/")));
        assertTrue(store.check());
    }

    @Test
    void mkdirOfExistingNodeKeepsValue()
    {
        dom0.write("/m", "v");
        dom0.mkdir("/m");
        assertEquals("v", dom0.readString("/m"));
    }

    @Test
    void invalidPathsAreEinval()
    {
        assertEquals(XsError.EINVAL, error(() -> dom0.read("/a//b")));
        assertEquals(XsError.EINVAL, error(() -> dom0.read("/a/")));
        assertEquals(XsError.EINVAL, error(() -> dom0.read("/a b")));
        assertEquals(XsError.EINVAL, error(() -> dom0.read("")));
        assertEquals(XsError.EINVAL, error(() -> dom0.write("@introduceDomain", "x")));
        assertEquals(XsError.EINVAL, error(() -> dom0.read("/caf\u00e9")));
    }

    @Test
    void pathLengthLimitsOfXsWire()
    {
        final String base = "/local/domain/7/";
        final String rel2048 = "a".repeat(XsSockMsgDescriptor.XENSTORE_REL_PATH_MAX);
        dom0.write(base + rel2048, "ok");
        assertEquals(XsError.EINVAL, error(() -> dom0.write(base + rel2048 + "b", "x")));
        assertEquals(XsError.EINVAL, error(() -> dom0.write("/" + "c".repeat(2048), "x")));
        assertEquals(XsError.E2BIG, error(() -> dom0.write(0, "/big", new byte[4096])));
    }

    @Test
    void relativePathsResolveBelowTheDomainPath()
    {
        final XsConnection g = guest(5);
        g.write("data/key", "v");
        assertEquals("v", dom0.readString("/local/domain/5/data/key"));
        assertEquals("v", g.readString("/local/domain/5/data/key"));
    }

    @Test
    void unprivilegedDomainIsDeniedWithoutPermission()
    {
        dom0.write("/secret", "x");
        final XsConnection g = guest(3);
        assertEquals(XsError.EACCES, error(() -> g.read("/secret")));
        assertEquals(XsError.EACCES, error(() -> g.write("/secret", "y")));
        // ENOENT is not told below a node the domain cannot read either (errno_from_parents).
        assertEquals(XsError.EACCES, error(() -> g.read("/secret/missing")));
        assertEquals(XsError.EACCES, error(() -> g.write("/newtop", "y")));
        // Its own domain directory is readable but not writable; data/ is its own.
        assertEquals("", g.readString("/local/domain/3"));
        assertEquals(XsError.EACCES, error(() -> g.write("/local/domain/3/x", "y")));
        assertEquals(XsError.ENOENT, error(() -> g.read("/local/domain/3/data/none")));
    }

    @Test
    void newNodesInheritPermissionsAndUnprivilegedCreatorOwnsThem()
    {
        final XsConnection g = guest(4);
        dom0.setPerms("/local/domain/4/data", XsPermissions.parse("n4", "r9"));
        g.write("data/a/b", "1");
        assertEquals(XsPermissions.parse("n4", "r9"), g.getPerms("data/a/b"));
        dom0.write("/local/domain/4/data/byDom0", "1");
        assertEquals(XsPermissions.parse("n4", "r9"), dom0.getPerms("/local/domain/4/data/byDom0"));
        dom0.mkdir("/shared");
        dom0.setPerms("/shared", XsPermissions.parse("n0", "b4"));
        g.write("/shared/mine", "1");
        assertEquals(XsPermissions.parse("n4", "b4"), dom0.getPerms("/shared/mine"));
    }

    @Test
    void perDomainEntryOverridesDefaultAndOwnerHasAll()
    {
        dom0.write("/p", "v");
        dom0.setPerms("/p", XsPermissions.parse("r1", "n2", "w3"));
        final XsConnection d1 = store.connect(1);
        final XsConnection d2 = store.connect(2);
        final XsConnection d3 = store.connect(3);
        final XsConnection d4 = store.connect(4);
        d1.write("/p", "owner");
        assertEquals(XsError.EACCES, error(() -> d2.read("/p")));
        d3.write("/p", "w3");
        assertEquals(XsError.EACCES, error(() -> d3.read("/p")));
        assertEquals("w3", d4.readString("/p"));
        assertEquals(XsError.EACCES, error(() -> d4.write("/p", "x")));
    }

    @Test
    void setPermsNeedsOwnershipAndOnlyToolsChangeTheOwner()
    {
        dom0.write("/o", "v");
        dom0.setPerms("/o", XsPermissions.parse("n6"));
        final XsConnection d6 = store.connect(6);
        d6.setPerms("/o", XsPermissions.parse("n6", "r7"));
        assertEquals(XsError.EPERM, error(() -> d6.setPerms("/o", XsPermissions.parse("n7"))));
        final XsConnection d7 = store.connect(7);
        assertEquals(XsError.EACCES, error(() -> d7.setPerms("/o", XsPermissions.parse("b7"))));
        assertEquals(XsError.EINVAL, error(() -> XsPermissions.parse("x1")));
        assertEquals(XsError.EINVAL, error(() -> XsPermissions.parse("r99999")));
        assertEquals(XsError.EINVAL, error(() -> XsPermissions.parse("r")));
        assertEquals(List.of("n6", "r7"), dom0.getPerms("/o").toStrings());
    }

    @Test
    void watchFiresOnceAtRegistrationThenForPathAndDescendants()
    {
        dom0.watch("/w", "tok");
        assertEquals(List.of("/w|tok"), drain(dom0));
        dom0.write("/w/a", "1");
        dom0.write("/w", "2");
        dom0.write("/wx", "not below");
        dom0.write("/other", "no");
        assertEquals(List.of("/w/a|tok", "/w|tok"), drain(dom0));
    }

    @Test
    void removingAParentFiresWatchesOnDescendants()
    {
        dom0.write("/t/a/b", "1");
        dom0.watch("/t/a/b", "deep");
        dom0.watch("/t", "top");
        drain(dom0);
        dom0.rm("/t/a");
        assertEquals(List.of("/t/a/b|deep", "/t/a|top"), drain(dom0));
    }

    @Test
    void relativeWatchReportsRelativePaths()
    {
        final XsConnection g = guest(8);
        g.watch("data", "rel");
        assertEquals(List.of("data|rel"), drain(g));
        dom0.write("/local/domain/8/data/k", "v");
        assertEquals(List.of("data/k|rel"), drain(g));
    }

    @Test
    void duplicateWatchIsEexistAndUnknownUnwatchIsEnoent()
    {
        dom0.watch("/d", "t");
        assertEquals(XsError.EEXIST, error(() -> dom0.watch("/d", "t")));
        dom0.watch("/d", "t2");
        dom0.unwatch("/d", "t");
        assertEquals(XsError.ENOENT, error(() -> dom0.unwatch("/d", "t")));
        drain(dom0);
        dom0.write("/d", "x");
        assertEquals(List.of("/d|t2"), drain(dom0));
    }

    @Test
    void watchEventsOnlyReachDomainsThatMayRead()
    {
        final XsConnection g = guest(9);
        g.watch("/", "all");
        drain(g);
        dom0.write("/private/x", "1");
        dom0.write("/local/domain/9/data/y", "2");
        assertEquals(List.of("/local/domain/9/data/y|all"), drain(g));
    }

    @Test
    void specialWatchesFireOnIntroduceAndRelease()
    {
        dom0.watch(XenStore.INTRODUCE_DOMAIN, "i");
        dom0.watch(XenStore.RELEASE_DOMAIN, "r");
        drain(dom0);
        store.introduceDomain(12);
        assertTrue(store.isDomainIntroduced(12));
        store.releaseDomain(12);
        assertFalse(store.isDomainIntroduced(12));
        assertEquals(List.of("@introduceDomain|i", "@releaseDomain|r"), drain(dom0));
        assertEquals(XsError.ENOENT, error(() -> store.releaseDomain(12)));
        dom0.write("/x", "does not fire specials");
        assertEquals(List.of(), drain(dom0));
    }

    @Test
    void pendingEventsCoalescePerPathAndStayBounded()
    {
        final XsConnection backend = store.connect(0);
        backend.watch("/local/domain/1/device", "fe");
        final AtomicInteger signals = new AtomicInteger();
        backend.watchListener(signals::incrementAndGet);
        // XSA-349: a frontend rewriting its state node a million times queues one event.
        for (int i = 0; i < 1_000_000; i++)
        {
            dom0.write("/local/domain/1/device/vbd/51712/state", Integer.toString(i & 7));
        }
        assertEquals(2, backend.pendingWatchEvents());
        // Distinct paths collapse into one event on the watched path once past the bound.
        final int max = store.quotas().maxPendingEventsPerWatch();
        for (int i = 0; i < 10 * max; i++)
        {
            dom0.write("/local/domain/1/device/k" + i, "v");
        }
        assertTrue(backend.pendingWatchEvents() <= max, "pending=" + backend.pendingWatchEvents());
        final List<String> events = drain(backend);
        assertEquals(List.of("/local/domain/1/device|fe"), events);
        assertEquals(0, backend.pendingWatchEvents());
        assertEquals(1, signals.get());
        dom0.write("/local/domain/1/device/after", "v");
        assertEquals(List.of("/local/domain/1/device/after|fe"), drain(backend));
        assertEquals(2, signals.get());
    }

    @Test
    void drainIsRoundRobinAcrossWatchesAndHonoursLimit()
    {
        dom0.watch("/a", "A");
        dom0.watch("/b", "B");
        dom0.write("/a/1", "x");
        dom0.write("/a/2", "x");
        final List<String> seen = new ArrayList<>();
        assertEquals(3, dom0.drainWatchEvents((p, t) -> seen.add(p), 3));
        assertEquals(List.of("/a", "/b", "/a/1"), seen);
        assertEquals(1, dom0.pendingWatchEvents());
    }

    @Test
    void transactionSeesOwnWritesAndCommitsAtomically()
    {
        dom0.watch("/tx", "w");
        drain(dom0);
        final int tx = dom0.transactionStart();
        dom0.write(tx, "/tx/a", "1");
        dom0.write(tx, "/tx/b", "2");
        assertEquals("1", dom0.readString(tx, "/tx/a"));
        assertNull(dom0.readOrNull("/tx/a"));
        assertEquals(List.of(), drain(dom0));
        assertTrue(dom0.transactionEnd(tx, true));
        assertEquals("2", dom0.readString("/tx/b"));
        assertEquals(List.of("/tx/a|w", "/tx/b|w"), drain(dom0));
        assertEquals(XsError.ENOENT, error(() -> dom0.read(tx, "/tx/a")));
        assertTrue(store.check());
    }

    @Test
    void abortDiscardsChanges()
    {
        final int tx = dom0.transactionStart();
        dom0.write(tx, "/ab", "1");
        assertTrue(dom0.transactionEnd(tx, false));
        assertNull(dom0.readOrNull("/ab"));
    }

    @Test
    void commitConflictsWhenANodeReadInTheTransactionChanged()
    {
        dom0.write("/c/a", "1");
        final int tx = dom0.transactionStart();
        dom0.readString(tx, "/c/a");
        dom0.write(tx, "/c/b", "from tx");
        dom0.write("/c/a", "changed outside");
        assertFalse(dom0.transactionEnd(tx, true));
        assertNull(dom0.readOrNull("/c/b"));
    }

    @Test
    void aNodeReadInATransactionKeepsItsFirstValueUntilTheTransactionEnds()
    {
        // xenstored's transactions work on a copy of each node they access (test-xenstore's "ta err").
        dom0.write("/s/a", "first");
        final int tx = dom0.transactionStart();
        assertEquals("first", dom0.readString(tx, "/s/a"));
        assertNull(dom0.readOrNull(tx, "/s/absent"));
        dom0.write("/s/a", "changed outside");
        dom0.write("/s/absent", "created outside");
        dom0.rm("/s/a");
        assertEquals("first", dom0.readString(tx, "/s/a"), "stable read of a changed, then removed node");
        assertNull(dom0.readOrNull(tx, "/s/absent"), "stable read of a node absent at first read");
        dom0.write(tx, "/s/a", "mine");
        assertEquals("mine", dom0.readString(tx, "/s/a"), "the transaction's own write wins");
        assertFalse(dom0.transactionEnd(tx, true), "and the commit conflicts");
        assertNull(dom0.readOrNull("/s/a"));
    }

    @Test
    void commitConflictsOnDeleteAndRecreateOfAccessedNode()
    {
        dom0.write("/d/a", "1");
        final int tx = dom0.transactionStart();
        dom0.readString(tx, "/d/a");
        dom0.rm("/d/a");
        dom0.write("/d/a", "1");
        dom0.write(tx, "/d/x", "y");
        assertFalse(dom0.transactionEnd(tx, true));
    }

    @Test
    void commitConflictsWhenANodeFoundAbsentWasCreated()
    {
        final int tx = dom0.transactionStart();
        assertNull(dom0.readOrNull(tx, "/absent"));
        dom0.write(tx, "/other", "1");
        dom0.write("/absent", "now here");
        assertFalse(dom0.transactionEnd(tx, true));
    }

    @Test
    void twoInterferingTransactionsOnlyOneCommits()
    {
        dom0.write("/i/a", "a");
        dom0.write("/i/b", "b");
        final XsConnection other = store.connect(0);
        final int t1 = dom0.transactionStart();
        final int t2 = other.transactionStart();
        dom0.read(t1, "/i/a");
        other.read(t2, "/i/b");
        dom0.write(t1, "/i/b", "1");
        other.write(t2, "/i/a", "2");
        assertTrue(dom0.transactionEnd(t1, true));
        assertFalse(other.transactionEnd(t2, true));
        assertEquals("a", dom0.readString("/i/a"));
    }

    @Test
    void unrelatedChangesDoNotConflict()
    {
        dom0.write("/u/a", "1");
        final int tx = dom0.transactionStart();
        dom0.write(tx, "/u/a", "2");
        dom0.write("/elsewhere", "x");
        assertTrue(dom0.transactionEnd(tx, true));
        assertEquals("2", dom0.readString("/u/a"));
    }

    @Test
    void transactIsRetriedOnConflict()
    {
        dom0.write("/cnt", "0");
        final AtomicInteger attempts = new AtomicInteger();
        final XsConnection other = store.connect(0);
        final String result = dom0.transact(tx ->
        {
            final String v = dom0.readString(tx, "/cnt");
            if (attempts.incrementAndGet() == 1)
            {
                other.write("/cnt", "5");
            }
            dom0.write(tx, "/cnt", Integer.toString(Integer.parseInt(v) + 1));
            return v;
        });
        assertEquals("5", result);
        assertEquals("6", dom0.readString("/cnt"));
        assertEquals(2, attempts.get());
    }

    @Test
    void transactionRmAndBadIds()
    {
        dom0.write("/trm/a/b", "1");
        final int tx = dom0.transactionStart();
        dom0.rm(tx, "/trm/a");
        assertNull(dom0.readOrNull(tx, "/trm/a/b"));
        assertEquals("1", dom0.readString("/trm/a/b"));
        assertEquals(XsError.EBUSY, error(() -> dom0.transactionStart(tx)));
        assertTrue(dom0.transactionEnd(tx, true));
        assertNull(dom0.readOrNull("/trm/a"));
        assertEquals(XsError.ENOENT, error(() -> dom0.transactionEnd(tx, true)));
        assertEquals(XsError.ENOENT, error(() -> dom0.read(12345, "/trm")));
        assertEquals(XsError.ENOENT, error(() -> dom0.transactionEnd(0, true)));
        assertTrue(store.check());
    }

    @Test
    void quotasBoundAnUnprivilegedDomain()
    {
        final XenStore small = new XenStore(new XenStoreQuotas(10, 64, 2, 1, 2, 5, 4, 64 * 1024, 20));
        final XsConnection root = small.connect(0);
        root.mkdir("/q");
        root.setPerms("/q", XsPermissions.parse("n5"));
        final XsConnection g = small.connect(5);
        assertEquals(XsError.ENOSPC, error(() -> g.write(0, "/q/big", new byte[65])));
        for (int i = 0; i < 9; i++)
        {
            g.write("/q/n" + i, "v");
        }
        assertEquals(XsError.ENOSPC, error(() -> g.write("/q/more", "v")));
        g.watch("/q", "1");
        g.watch("/q", "2");
        assertEquals(XsError.E2BIG, error(() -> g.watch("/q", "3")));
        g.transactionStart();
        assertEquals(XsError.ENOSPC, error(g::transactionStart));
        assertEquals(XsError.ENOSPC, error(() -> g.setPerms("/q/n0", XsPermissions.parse("n5", "r1", "r2"))));
        // The privileged toolstack is not limited by domain quotas.
        for (int i = 0; i < 20; i++)
        {
            root.write("/free/n" + i, "v");
        }
    }

    @Test
    void directoryPartPagesLikeCxenstored()
    {
        for (int i = 0; i < 600; i++)
        {
            dom0.mkdir("/many/child-number-" + i);
        }
        final List<String> names = new ArrayList<>();
        int offset = 0;
        String generation = null;
        while (true)
        {
            final byte[] part = dom0.directoryPart(0, "/many", offset);
            assertTrue(part.length <= XsSockMsgDescriptor.XENSTORE_PAYLOAD_MAX);
            final String s = new String(part, StandardCharsets.US_ASCII);
            final int genEnd = s.indexOf('\0');
            final String g = s.substring(0, genEnd);
            if (null != generation)
            {
                assertEquals(generation, g);
            }
            generation = g;
            final String rest = s.substring(genEnd + 1);
            if (rest.isEmpty() || rest.equals("\0"))
            {
                break;
            }
            final boolean last = rest.endsWith("\0\0");
            final String[] split = rest.split("\0");
            for (final String n : split)
            {
                names.add(n);
                offset += n.length() + 1;
            }
            if (last)
            {
                break;
            }
        }
        assertEquals(dom0.directory("/many"), names);
        assertEquals(600, names.size());
    }

    @Test
    void closedConnectionLosesWatchesAndTransactions()
    {
        final XsConnection c = store.connect(0);
        c.watch("/x", "t");
        c.transactionStart();
        c.close();
        c.close();
        assertTrue(c.isClosed());
        assertThrows(IllegalStateException.class, () -> c.read("/"));
        dom0.write("/x", "1");
        assertEquals(0, c.pendingWatchEvents());
    }
}
