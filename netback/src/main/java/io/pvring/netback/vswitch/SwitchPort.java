package io.pvring.netback.vswitch;

import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.packet.FrameSink;
import io.pvring.netback.packet.Offloads;
import io.pvring.netback.packet.PacketInfo;
import io.pvring.netback.packet.TcpSegmenter;
import io.pvring.netback.pcap.PcapWriter;
import io.pvring.netif.Netif;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One port of a {@link VirtualSwitch}: a vif queue or an uplink. Frames enter the switch through
 * {@link #transmit}, called by one thread at a time (the thread that owns the port's ingress, e.g. a netback TX
 * agent); the port's per-ingress scratch state (parsed headers, checksum copy, segmenter) lives here so forwarding
 * allocates nothing and needs no lock. Frames leave through the port's {@link PortSink}.
 */
public final class SwitchPort
{
    private final VirtualSwitch vswitch;
    private final int id;
    private final String name;
    private final PortSink sink;
    private final PortCounters counters = new PortCounters();
    private volatile int capabilities;
    private volatile PcapWriter tap;
    private volatile boolean attached = true;

    private final Ingress ingress = new Ingress();

    SwitchPort(final VirtualSwitch vswitch, final int id, final String name, final PortSink sink,
        final int capabilities)
    {
        this.vswitch = vswitch;
        this.id = id;
        this.name = name;
        this.sink = sink;
        this.capabilities = capabilities;
    }

    public int id()
    {
        return id;
    }

    public String name()
    {
        return name;
    }

    public PortCounters counters()
    {
        return counters;
    }

    public int capabilities()
    {
        return capabilities;
    }

    /** Changes what the port accepts (a frontend renegotiated its features). */
    public void capabilities(final int capabilities)
    {
        this.capabilities = capabilities;
    }

    /** Starts (non-null) or stops (null) capturing every frame entering and leaving this port. */
    public void tap(final PcapWriter writer)
    {
        this.tap = writer;
    }

    public boolean isAttached()
    {
        return attached;
    }

    /** Removes the port: it receives nothing more and its learnt addresses are forgotten. Idempotent. */
    public void detach()
    {
        if (attached)
        {
            attached = false;
            vswitch.detach(this);
        }
    }

    /**
     * A frame enters the switch from this port, through the port's own {@link Ingress}: one thread at a time. A port
     * fed by several threads (a multi-queue vif) gives each thread its own {@link #newIngress()}.
     *
     * @param flags {@link Offload#CSUM_BLANK} / {@link Offload#DATA_VALIDATED}.
     * @param gsoType {@code XEN_NETIF_GSO_TYPE_*}; {@code gsoSize} is the MSS.
     * @return the number of ports the frame (or its segments) reached.
     */
    public int transmit(
        final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
        final int gsoSize)
    {
        return ingress.transmit(frame, offset, length, flags, gsoType, gsoSize);
    }

    /** A private ingress context (scratch buffers for software offloads) for one more feeding thread. */
    public Ingress newIngress()
    {
        return new Ingress();
    }

    /** Delivers a frame from {@code ingress} to this port, doing in software the offloads this port lacks. */
    int deliverFrom(
        final Ingress ingress, final DirectBuffer frame, final int offset, final int length, final int flags,
        final int gsoType, final int gsoSize)
    {
        final int caps = capabilities;
        if (gsoType != Netif.XEN_NETIF_GSO_TYPE_NONE && !acceptsGso(caps, gsoType))
        {
            return ingress.segmentTo(this, frame, offset, length, gsoSize);
        }
        if ((flags & Offload.CSUM_BLANK) != 0 && !acceptsBlankChecksum(ingress, caps, frame, offset, length))
        {
            if (!ingress.completeChecksum(frame, offset, length))
            {
                counters.onOutDrop(); // a checksum that cannot be completed would leave the host wrong
                return 0;
            }
            return emit(ingress.checksummed, 0, length, Offload.DATA_VALIDATED, Netif.XEN_NETIF_GSO_TYPE_NONE, 0);
        }
        return emit(frame, offset, length, flags, gsoType, gsoSize);
    }

    private static boolean acceptsGso(final int caps, final int gsoType)
    {
        return (gsoType == Netif.XEN_NETIF_GSO_TYPE_TCPV4 && (caps & Offload.CAP_GSO_TCPV4) != 0)
            || (gsoType == Netif.XEN_NETIF_GSO_TYPE_TCPV6 && (caps & Offload.CAP_GSO_TCPV6) != 0);
    }

    private static boolean acceptsBlankChecksum(
        final Ingress ingress, final int caps, final DirectBuffer frame, final int offset, final int length)
    {
        if ((caps & (Offload.CAP_CSUM_IPV4 | Offload.CAP_CSUM_IPV6)) == 0)
        {
            return false;
        }
        if ((caps & (Offload.CAP_CSUM_IPV4 | Offload.CAP_CSUM_IPV6))
            == (Offload.CAP_CSUM_IPV4 | Offload.CAP_CSUM_IPV6))
        {
            return true;
        }
        final PacketInfo parsedInfo = ingress.parse(frame, offset, length);
        return parsedInfo.isIpv6() ? (caps & Offload.CAP_CSUM_IPV6) != 0 : (caps & Offload.CAP_CSUM_IPV4) != 0;
    }

    private int emit(
        final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
        final int gsoSize)
    {
        if (!attached)
        {
            return 0;
        }
        final PcapWriter capture = tap;
        if (capture != null)
        {
            capture.write(frame, offset, length);
        }
        if (sink.deliver(frame, offset, length, flags, gsoType, gsoSize))
        {
            counters.onOut(length);
            return 1;
        }
        counters.onOutDrop();
        return 0;
    }

    /**
     * The per-thread side of a port's ingress: parsed headers, a checksum-completed copy and a segmenter, reused for
     * every frame, so forwarding allocates nothing and needs no lock. Use from one thread at a time.
     */
    public final class Ingress
    {
        private final PacketInfo info = new PacketInfo();
        private final UnsafeBuffer checksummed = new UnsafeBuffer(new byte[VirtualSwitch.MAX_FRAME_LENGTH]);
        private final TcpSegmenter segmenter = new TcpSegmenter();
        private final SegmentForwarder segmentForwarder = new SegmentForwarder();
        private boolean parsed;
        private boolean checksumReady;
        private boolean ticked;
        private long cachedNow;

        private Ingress()
        {
        }

        /**
         * Reads the switch clock once for the frames that follow, for an owner that forwards in batches (a netback
         * queue calls it once per duty cycle): MAC learning and aging then cost no clock read per frame. An ingress
         * that is never ticked reads the clock for every frame.
         */
        public void tick()
        {
            cachedNow = vswitch.now();
            ticked = true;
        }

        /** The port this ingress feeds. */
        public SwitchPort port()
        {
            return SwitchPort.this;
        }

        /** As {@link SwitchPort#transmit}, on this ingress's scratch state. */
        public int transmit(
            final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
            final int gsoSize)
        {
            if (!attached)
            {
                return 0;
            }
            if (length < Ethernet.HEADER_LENGTH || length > VirtualSwitch.MAX_FRAME_LENGTH
                || (gsoType != Netif.XEN_NETIF_GSO_TYPE_NONE && gsoSize <= 0))
            {
                counters.onInDrop();
                return 0;
            }
            counters.onIn(length);
            final PcapWriter capture = tap;
            if (capture != null)
            {
                capture.write(frame, offset, length);
            }
            parsed = false;
            checksumReady = false;
            return vswitch.forward(this, ticked ? cachedNow : vswitch.now(), frame, offset, length, flags, gsoType,
                gsoSize);
        }

        private PacketInfo parse(final DirectBuffer frame, final int offset, final int length)
        {
            if (!parsed)
            {
                info.parse(frame, offset, length);
                parsed = true;
            }
            return info;
        }

        /** Completes the checksum once per ingress frame into a private copy shared by every port that needs it. */
        private boolean completeChecksum(final DirectBuffer frame, final int offset, final int length)
        {
            if (!checksumReady)
            {
                checksummed.putBytes(0, frame, offset, length);
                if (!info.parse(checksummed, 0, length) || !Offloads.completeChecksum(checksummed, info))
                {
                    parsed = false;
                    return false;
                }
                parsed = false; // info now describes the copy
                checksumReady = true;
            }
            return true;
        }

        private int segmentTo(
            final SwitchPort egress, final DirectBuffer frame, final int offset, final int length, final int mss)
        {
            final PacketInfo parsedInfo = parse(frame, offset, length);
            segmentForwarder.egress = egress;
            segmentForwarder.delivered = 0;
            final int segments = segmenter.segment(frame, parsedInfo, mss, segmentForwarder);
            if (segments < 0)
            {
                egress.counters.onOutDrop();
                return 0;
            }
            return segmentForwarder.delivered > 0 ? 1 : 0;
        }

        private static final class SegmentForwarder implements FrameSink
        {
            SwitchPort egress;
            int delivered;

            @Override
            public boolean onFrame(final DirectBuffer buffer, final int offset, final int length)
            {
                final int n = egress.emit(
                    buffer, offset, length, Offload.DATA_VALIDATED, Netif.XEN_NETIF_GSO_TYPE_NONE, 0);
                delivered += n;
                return n > 0;
            }
        }
    }

    @Override
    public String toString()
    {
        return "SwitchPort{" + id + " " + name + " " + counters + '}';
    }
}
