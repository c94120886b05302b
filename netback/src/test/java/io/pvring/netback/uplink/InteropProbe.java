package io.pvring.netback.uplink;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * Runs inside the interop test's network namespace ({@code ip netns exec}) as a separate JVM using only the JDK: it
 * pings the responder (as root {@code isReachable} sends real ICMP echo requests through the kernel) and exchanges
 * one UDP datagram with its echo port. Prints {@code pings=N udp=ok|...} and exits 0 when everything answered.
 */
public final class InteropProbe
{
    private InteropProbe()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final InetAddress target = InetAddress.getByName(args[0]);
        final int payloadLength = Integer.parseInt(args[1]);
        int pings = 0;
        for (int i = 0; i < 3; i++)
        {
            if (target.isReachable(5000))
            {
                pings++;
            }
        }
        String udp;
        try (DatagramSocket socket = new DatagramSocket())
        {
            socket.setSoTimeout(5000);
            final byte[] payload = new byte[payloadLength];
            for (int i = 0; i < payload.length; i++)
            {
                payload[i] = (byte)(i * 13 + 1);
            }
            socket.send(new DatagramPacket(payload, payload.length, new InetSocketAddress(target, 7)));
            final byte[] reply = new byte[payloadLength + 100];
            final DatagramPacket received = new DatagramPacket(reply, reply.length);
            socket.receive(received);
            udp = Arrays.equals(payload, Arrays.copyOf(reply, received.getLength())) ? "ok" : "mismatch";
        }
        catch (final java.net.SocketTimeoutException ex)
        {
            udp = "timeout";
        }
        System.out.println("pings=" + pings + " udp=" + udp);
        System.exit(pings == 3 && "ok".equals(udp) ? 0 : 1);
    }
}
