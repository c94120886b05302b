package io.pvring.netback.pcap;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.RequiredTools;
import io.pvring.netback.test.TestFrames;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netif.Netif;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tap on a switch port writes a pcap that tshark decodes, and tshark agrees with every checksum we computed. */
class PcapTapTest
{
    @TempDir
    Path dir;

    @Test
    void tsharkDecodesTheCaptureAndValidatesChecksums() throws Exception
    {
        final String tshark = RequiredTools.require("tshark", "tshark");
        final Path file = dir.resolve("tap.pcap");
        final VirtualSwitch vswitch = new VirtualSwitch();
        final SwitchPort in = vswitch.attach("vif1.0", (b, o, l, f, t, s) -> true, Offload.CAP_ALL);
        final SwitchPort wire = vswitch.attach("uplink", (b, o, l, f, t, s) -> true, Offload.CAP_NONE);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[70000]);
        try (PcapWriter writer = new PcapWriter(file, 65535))
        {
            wire.tap(writer);
            int length = TestFrames.udp(frame, false, 100);
            TestFrames.ethernet(frame, TestFrames.MAC_B, TestFrames.MAC_A, Ethernet.TYPE_IPV4);
            in.transmit(frame, 0, length, Offload.CSUM_BLANK, 0, 0);
            length = TestFrames.udp(frame, true, 33);
            in.transmit(frame, 0, length, Offload.CSUM_BLANK, 0, 0);
            length = TestFrames.tcp(frame, true, 4000, 0x18);
            in.transmit(frame, 0, length, Offload.CSUM_BLANK, Netif.XEN_NETIF_GSO_TYPE_TCPV6, 1400);
            length = TestFrames.tcp(frame, false, 3000, 0x19);
            in.transmit(frame, 0, length, Offload.CSUM_BLANK, Netif.XEN_NETIF_GSO_TYPE_TCPV4, 1448);
            assertEquals(1 + 1 + 3 + 3, writer.frames());
            assertNull(writer.error());
        }
        assertTrue(Files.size(file) > PcapWriter.GLOBAL_HEADER_LENGTH);

        final String out = RequiredTools.runOk(List.of(tshark, "-n", "-r", file.toString(),
            "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
            "-T", "fields", "-E", "separator=,", "-e", "frame.len", "-e", "eth.src", "-e", "_ws.col.Protocol",
            "-e", "udp.checksum.status", "-e", "tcp.checksum.status", "-e", "ip.checksum.status",
            "-e", "tcp.seq_raw", "-e", "tcp.len"), 60);
        final String[] lines = out.trim().split("\n");
        assertEquals(8, lines.length, out);
        for (final String line : lines)
        {
            final String[] f = line.split(",", -1);
            assertEquals("02:00:00:00:00:0a", f[1], line);
            assertTrue(f[3].equals("2") || f[4].equals("2") || f[3].equals("1") || f[4].equals("1"), line);
        }
        // Wireshark's checksum status: 0 bad, 1 good, 2 unverified; every one we produced must be good.
        assertTrue(lines[0].startsWith("142,02:00:00:00:00:0a,UDP,1,,1"), lines[0]);
        assertTrue(lines[1].startsWith("95,02:00:00:00:00:0a,UDP,1,,"), lines[1]);
        for (int i = 2; i < 8; i++)
        {
            final String[] f = lines[i].split(",", -1);
            assertEquals("TCP", f[2], lines[i]);
            assertEquals("1", f[4], "tcp checksum " + lines[i]);
        }
        assertEquals("1400", lines[2].split(",", -1)[7]);
        assertEquals("1200", lines[4].split(",", -1)[7]);
        assertEquals(Integer.toUnsignedString(0xFFFF_FF00 + 2800), lines[4].split(",", -1)[6]);
        assertEquals("1", lines[5].split(",", -1)[5], "ipv4 header checksum");
        assertEquals("104", lines[7].split(",", -1)[7]);
    }
}
