package io.pvring.serve;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.pvring.event.EventChannelTable;
import io.pvring.event.remote.EvtchnMessageDescriptor;
import io.pvring.host.Domain;
import io.pvring.testing.BoundedSpin;
import io.pvring.testing.CProgram;
import io.pvring.testing.CValues;
import io.pvring.xenstore.XsConnection;
import io.pvring.xenstore.XsPermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every call of the shipped C client ({@code client_calls.c} on {@code pvring_client.h}) against a real
 * {@link ServeHost}, as two guests' processes make them: xenstore reads, writes, mkdir, rm, transactions with a
 * conflict, watches; the xenbus state waits with their timeout and Closing outcomes; event channels between the two
 * guests (bind, notify, wait, mask, unmask, a bad send, close); grants; and opens that fail cleanly. Each outcome is
 * the errno the client returns (Linux numbers).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CClientInteropTest
{
    private static final int ENOENT = 2;
    private static final int EINVAL = 22;
    private static final int EACCES = 13;
    private static final int EAGAIN = 11;
    private static final int E2BIG = 7;
    private static final int ENOSPC = 28;
    private static final int ETIMEDOUT = 110;
    private static final int ECONNRESET = 104;
    private static final int GTF_PERMIT_ACCESS = 1;
    private static final int GTF_READONLY = 4;

    @Test
    void everyCallAgainstARealServeDirectory(@TempDir final Path tmp)
    {
        final CProgram calls = CProgram.fromResource(CClientInteropTest.class, "client_calls.c")
            .withFlags(CClientSources.gccFlags().toArray(String[]::new));
        final Path dir = tmp.resolve("srv");
        try (ServeHost serve = ServeHost.start(dir))
        {
            final Domain a = serve.createGuest("a", 4L << 20);
            final Domain b = serve.createGuest("b", 4L << 20);
            final XsConnection dom0 = serve.host().xenStore().connect(0);
            for (final Domain guest : new Domain[] {a, b})
            {
                final String data = "/local/domain/" + guest.domid() + "/data";
                dom0.mkdir(data);
                dom0.setPerms(data, XsPermissions.of(guest.domid(), XsPermissions.PERM_NONE));
            }

            final CValues out = calls.runOk(dir.toString(), Integer.toString(a.domid()),
                Integer.toString(b.domid()), "77").values();

            assertEquals(-ENOENT, out.get("open_missing"), "no dom77 files");
            assertEquals(1, out.get("open_missing_closed"), "a failed open leaves nothing open");
            assertEquals(1, out.get("privileged_open"));

            assertEquals(-ENOENT, out.get("read_missing"));
            assertEquals(1, out.get("read_back_ok"));
            assertEquals(5, out.get("read_len"));
            assertEquals(-E2BIG, out.get("read_too_small"));
            assertEquals(-EINVAL, out.get("read_long_not_number"));
            assertEquals(42, out.get("read_long"), "0x2a");
            assertEquals(1, out.get("mkdir_empty"));
            assertEquals(-ENOENT, out.get("read_removed"));
            assertEquals(-EACCES, out.get("write_other_guest"));
            assertEquals(-EAGAIN, out.get("conflict"));
            assertEquals(1, out.get("outside_kept"));
            assertEquals(0, out.get("commit"));
            assertEquals(1, out.get("committed_ok"));
            assertEquals(-ENOENT, out.get("end_unknown_transaction"));
            assertEquals(1, out.get("watch_initial_ok"));
            assertEquals(1, out.get("watch_fired_ok"));
            assertEquals(-ETIMEDOUT, out.get("watch_after_unwatch"));
            assertEquals("committed", dom0.readOrNull("/local/domain/" + a.domid() + "/data/x"),
                "the committed transaction is in the store");

            assertEquals(-ETIMEDOUT, out.get("wait_timeout"));
            assertEquals(1, out.get("wait_timeout_seen"), "Initialising was the state seen");
            assertEquals(0, out.get("wait_reached"));
            assertEquals(0, out.get("wait_or_later"));
            assertEquals(-ECONNRESET, out.get("wait_went_closing"));
            assertEquals(0, out.get("watch_queue_left"), "the state watch's events go with it");

            assertEquals(serve.host().hypervisor().eventChannelTable().maxPorts(), out.get("ports_per_domain"));
            assertEquals(-EINVAL, out.get("bind_again"), "the port is bound already");
            assertEquals(-ETIMEDOUT, out.get("wait_nothing"));
            assertEquals(EvtchnMessageDescriptor.VERSION, out.get("evtchn_version"));
            assertEquals(2, out.get("doorbell_ports"), "each bound port got its kick and call eventfds");
            assertEquals(1, out.get("pollfds"), "B's socket, then its call eventfd");
            assertEquals(-ENOSPC, out.get("pollfds_too_small"));
            assertEquals(1, out.get("notify_without_socket"), "the notification wrote the kick, not the socket");
            assertEquals(1, out.get("call_fired"), "the event arrived on B's call eventfd");
            assertEquals(1, out.get("socket_quiet"), "and not as a message on B's socket");
            assertEquals(1, out.get("event_on_bound_port"));
            assertEquals(1, out.get("event_back"));
            assertEquals(1, out.get("external_call_cleared"), "a program polling the eventfds itself finds them read");
            assertEquals(1, out.get("epoll_wait_used"), "the client's own wait is the 1.3 epoll one");
            assertEquals(300, out.get("edge_triggered_round_trips"), "no event lost without reading the counter");
            assertEquals(-ETIMEDOUT, out.get("edge_triggered_then_quiet"), "and none made up after them");
            assertEquals(-ETIMEDOUT, out.get("wait_masked"));
            assertEquals(1, out.get("event_after_unmask"));
            assertEquals(1, out.get("send_failures"));
            assertEquals(-EINVAL, out.get("mask_bad_port"));
            assertEquals(-EINVAL, out.get("close_again"));

            assertEquals(0, out.get("socket_doorbell_ports"), "the flag and the variable keep the socket path");
            assertEquals(1, out.get("socket_notify_wrote"), "a SEND message on the socket");
            assertEquals(1, out.get("socket_event"));
            assertEquals(16, out.get("table_full_doorbells"), "PVRING_MAX_DOORBELLS ports got eventfds");
            assertEquals(1, out.get("table_full_socket_event"), "the 17th port's event came on the socket");
            assertEquals(15, out.get("table_after_close"), "closing a port frees its doorbells");

            assertEquals(1, out.get("last_page_ok"));
            assertEquals(1, out.get("page_outside_null"));
            assertEquals(-EINVAL, out.get("grant_outside"));
            assertEquals(GTF_PERMIT_ACCESS | GTF_READONLY, out.get("grant_flags"));
            assertEquals(20, out.get("grant_frame"));
            assertEquals(0, out.get("end_unmapped"));
            assertEquals(0, out.get("ended_flags"));
            assertEquals(1, out.get("closed_clean"));
            // The server learns of the closed socket on its event loop, after the process has exited.
            final EventChannelTable table = serve.host().hypervisor().eventChannelTable();
            final BoundedSpin closing = BoundedSpin.upTo(() -> "A's ports closed with its socket, open: " +
                table.openPorts(a.domid()));
            while (table.openPorts(a.domid()) != 0)
            {
                closing.pause();
            }
        }
    }
}
