package io.pvring.netback.uplink;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;

import io.netty.channel.unix.DomainSocketAddress;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.RecordingSink;
import io.pvring.netback.test.TestFrames;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Two switches joined over real loopback sockets by each uplink kind. */
@Timeout(30)
class UplinkSocketTest
{
    @TempDir
    Path dir;

    private static byte[] frame(final long dst, final long src, final int length)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[length]);
        TestFrames.ethernet(b, dst, src, 0x88B5);
        TestFrames.fillPayload(b, 14, length - 14, (int)src);
        return b.byteArray();
    }

    private static void exchange(final SwitchPort a, final RecordingSink aSink, final SwitchPort b,
        final RecordingSink bSink)
    {
        final byte[] ab = frame(Ethernet.BROADCAST, TestFrames.MAC_A, 1514);
        a.transmit(new UnsafeBuffer(ab), 0, ab.length, 0, 0, 0);
        assertArrayEquals(ab, bSink.take(10_000));
        final byte[] ba = frame(TestFrames.MAC_A, TestFrames.MAC_B, 60);
        b.transmit(new UnsafeBuffer(ba), 0, ba.length, 0, 0, 0);
        assertArrayEquals(ba, aSink.take(10_000));
        assertEquals(0, aSink.size());
    }

    @Test
    void vxlanOverLoopback()
    {
        final VirtualSwitch left = new VirtualSwitch();
        final VirtualSwitch right = new VirtualSwitch();
        final RecordingSink aSink = new RecordingSink();
        final RecordingSink bSink = new RecordingSink();
        final SwitchPort a = left.attach("a", aSink, Offload.CAP_ALL);
        final SwitchPort b = right.attach("b", bSink, Offload.CAP_ALL);
        final VxlanUplink probe = VxlanUplink.start(right, "probe", new InetSocketAddress("127.0.0.1", 0),
            new InetSocketAddress("127.0.0.1", 9), 7);
        final int rightPort = probe.localAddress().getPort();
        probe.close();
        try (VxlanUplink l = VxlanUplink.start(left, "vx", new InetSocketAddress("127.0.0.1", 0),
            new InetSocketAddress("127.0.0.1", rightPort), 7);
            VxlanUplink r = VxlanUplink.start(right, "vx", new InetSocketAddress("127.0.0.1", rightPort),
                l.localAddress(), 7))
        {
            exchange(a, aSink, b, bSink);
            assertEquals(1, r.port().counters().inPackets());
        }
        assertEquals(1, left.ports().length, "closing detached the uplink port");
    }

    @Test
    void streamOverTcpLoopback()
    {
        streamOver(new InetSocketAddress("127.0.0.1", 0));
    }

    @Test
    void streamOverUnixSocket()
    {
        streamOver(new DomainSocketAddress(dir.resolve("net.sock").toString()));
    }

    private static void streamOver(final SocketAddress address)
    {
        final VirtualSwitch left = new VirtualSwitch();
        final VirtualSwitch right = new VirtualSwitch();
        final RecordingSink aSink = new RecordingSink();
        final RecordingSink bSink = new RecordingSink();
        final SwitchPort a = left.attach("a", aSink, Offload.CAP_ALL);
        final SwitchPort b = right.attach("b", bSink, Offload.CAP_ALL);
        try (StreamUplink server = StreamUplink.listen(left, "qemu", address);
            StreamUplink client = StreamUplink.connect(right, "peer", server.localAddress()))
        {
            // the server side attaches its port when it accepts: wait for it through traffic, not time
            final byte[] hello = frame(Ethernet.BROADCAST, TestFrames.MAC_B, 60);
            b.transmit(new UnsafeBuffer(hello), 0, hello.length, 0, 0, 0);
            assertArrayEquals(hello, aSink.take(10_000));
            assertEquals(address instanceof DomainSocketAddress, client.localAddress() instanceof DomainSocketAddress);
            exchange(a, aSink, b, bSink);
        }
    }
}
