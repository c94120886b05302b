package io.pvring.netback.uplink;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.pvring.netback.packet.EchoResponder;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.pcap.PcapWriter;
import io.pvring.netback.test.RequiredTools;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.vswitch.VirtualSwitch;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Linux kernel's vxlan device talks to our VXLAN uplink. Everything lives in a network namespace this test
 * creates plus one veth pair (private 10.250.x.0/30 addresses); both are deleted afterwards, even on failure. Inside
 * the namespace a vxlan device points at the uplink; a JVM started there with {@code ip netns exec} pings an address
 * owned by a guest whose netfront (behind netback, on the switch) answers with an {@link EchoResponder} (the kernel
 * resolves it with ARP first) and exchanges a UDP
 * datagram whose checksum the responder verifies, and the kernel verifies on the way back. A pcap tap on the uplink
 * port is decoded by tshark.
 */
class VxlanKernelInteropTest
{
    private static final int VNI = 4242;
    private static final String RESPONDER_IP = "192.168.77.1";
    private static final long RESPONDER_MAC = 0x02_50_56_00_77_01L;

    @TempDir
    Path dir;

    private final List<List<String>> cleanup = new ArrayList<>();
    private VxlanUplink uplink;
    private NetRig rig;

    /** A guest whose netfront answers with an {@link EchoResponder}. */
    static final class ResponderGuest
    {
        final EchoResponder responder = new EchoResponder(RESPONDER_MAC, 0xC0A8_4D01);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[VirtualSwitch.MAX_FRAME_LENGTH]);
        final NetRig.Guest guest;

        ResponderGuest(final NetRig.Guest guest)
        {
            this.guest = guest;
        }

        /** One turn of the guest's loop: answer what arrived, send the replies. */
        void poll()
        {
            guest.front.receive(this::onFrame, 64);
            guest.front.flush();
            guest.front.reclaimTx();
        }

        private void onFrame(
            final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
            final int gsoSize)
        {
            buffer.putBytes(0, frame, offset, length);
            final int reply = responder.respond(buffer, 0, length);
            if (reply > 0)
            {
                guest.front.send(buffer, 0, reply, 0, 0, 0);
            }
        }
    }

    @AfterEach
    void tearDown()
    {
        if (uplink != null)
        {
            uplink.close();
        }
        if (rig != null)
        {
            rig.close();
        }
        for (int i = cleanup.size() - 1; i >= 0; i--)
        {
            RequiredTools.run(cleanup.get(i), 30);
        }
    }

    private static void ip(final String... args)
    {
        final List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(args));
        RequiredTools.runOk(command, 30);
    }

    @Test
    @Timeout(120)
    void kernelVxlanPingsAndEchoesThroughTheSwitch() throws Exception
    {
        RequiredTools.requireRoot();
        RequiredTools.require("ip", "iproute2");
        final String tshark = RequiredTools.require("tshark", "tshark");
        final int tag = ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF);
        final int subnet = ThreadLocalRandom.current().nextInt(1, 255);
        final String ns = "pvring-vx-" + Integer.toHexString(tag);
        final String vethHost = "pvr" + Integer.toHexString(tag) + "a";
        final String vethNs = "pvr" + Integer.toHexString(tag) + "b";
        final String hostIp = "10.250." + subnet + ".1";
        final String nsIp = "10.250." + subnet + ".2";

        ip("netns", "add", ns);
        cleanup.add(List.of("ip", "netns", "del", ns));
        ip("link", "add", vethHost, "type", "veth", "peer", "name", vethNs);
        cleanup.add(List.of("ip", "link", "del", vethHost));
        ip("link", "set", vethNs, "netns", ns);
        ip("addr", "add", hostIp + "/30", "dev", vethHost);
        ip("link", "set", vethHost, "up");
        ip("-n", ns, "link", "set", "lo", "up");
        ip("-n", ns, "addr", "add", nsIp + "/30", "dev", vethNs);
        ip("-n", ns, "link", "set", vethNs, "up");

        rig = new NetRig();
        final VirtualSwitch vswitch = rig.vswitch;
        // a netfront without checksum offload: the switch completes the kernel's partial checksums before the
        // responder verifies them, as netback does for a frontend with feature-no-csum-offload
        final ResponderGuest responder = new ResponderGuest(rig.addGuest("responder",
            NetBackConfig.builder().build(), FrontendFeatures.MINIMAL));
        rig.nanos = System.nanoTime();
        uplink = VxlanUplink.start(vswitch, "vxlan0", new InetSocketAddress(hostIp, 0),
            new InetSocketAddress(nsIp, 0), VNI);
        final int port = uplink.localAddress().getPort();
        uplink.close();
        uplink = VxlanUplink.start(vswitch, "vxlan0", new InetSocketAddress(hostIp, port),
            new InetSocketAddress(nsIp, port), VNI);
        uplink.handler().acceptPartialChecksums(true);
        final Path pcap = dir.resolve("uplink.pcap");
        final PcapWriter writer = new PcapWriter(pcap, 65535);
        uplink.port().tap(writer);

        ip("-n", ns, "link", "add", "vx0", "type", "vxlan", "id", Integer.toString(VNI), "remote", hostIp,
            "local", nsIp, "dstport", Integer.toString(port), "dev", vethNs);
        ip("-n", ns, "addr", "add", "192.168.77.2/24", "dev", "vx0");
        ip("-n", ns, "link", "set", "vx0", "up");

        final String java = ProcessHandle.current().info().command().orElse("java");
        final String classes = Path.of(InteropProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
        final Process process = new ProcessBuilder("ip", "netns", "exec", ns, java, "-cp", classes,
            InteropProbe.class.getName(), RESPONDER_IP, "1200").redirectErrorStream(true).start();
        process.getOutputStream().close();
        final long deadline = System.nanoTime() + 90_000_000_000L;
        while (process.isAlive() && System.nanoTime() < deadline)
        {
            // the guest and its backend run on this thread while the kernel talks to them
            rig.nanos = System.nanoTime();
            rig.step();
            responder.poll();
        }
        if (process.isAlive())
        {
            process.destroyForcibly();
        }
        final String output = new String(process.getInputStream().readAllBytes());
        final RequiredTools.Result probe = new RequiredTools.Result(process.exitValue(), output, "");
        writer.close();
        final String debug = RequiredTools.run(List.of(tshark, "-n", "-r", pcap.toString(), "-o",
            "udp.check_checksum:TRUE", "-V", "udp"), 60).output();
        assertEquals(0, probe.exitCode(), probe.output() + probe.errors() + " bad=" + responder.responder.badChecksums()
            + debug);
        assertTrue(probe.output().contains("pings=3 udp=ok"), probe.output());
        assertTrue(responder.responder.arpReplies() >= 1);
        assertTrue(responder.responder.echoReplies() >= 3);
        assertEquals(1, responder.responder.udpReplies());
        assertEquals(0, responder.responder.badChecksums());
        assertTrue(responder.guest.vif.queue(0).counters().rxPackets() >= 5, "frames reached the netfront");
        assertTrue(responder.guest.vif.queue(0).counters().txPackets() >= 5, "replies left through netback");
        assertEquals(0, uplink.handler().malformed());
        assertEquals(RESPONDER_MAC, Ethernet.parse(Ethernet.format(RESPONDER_MAC)));

        final String decoded = RequiredTools.runOk(List.of(tshark, "-n", "-r", pcap.toString(),
            "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=,", "-e", "_ws.col.Protocol",
            "-e", "icmp.type", "-e", "udp.checksum.status", "-e", "arp.opcode"), 60);
        assertTrue(decoded.contains("ARP,,,1"), decoded);
        assertTrue(decoded.contains("ARP,,,2"), decoded);
        assertTrue(decoded.contains("ICMP,8,,"), decoded);
        assertTrue(decoded.contains("ICMP,0,,"), decoded);
        assertTrue(decoded.contains("UDP,,1,") || decoded.contains("ECHO,,1,"), decoded);
    }
}
