package io.pvring.unix;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-turn quota, the pause while a whole request waits, the quota hook and the framing errors. */
class FrameReaderTest
{
    /** Frames of a 1-byte length header (the whole frame's length, header included). */
    private static final class Recorder extends FrameReader
    {
        final List<Integer> frames = new ArrayList<>();
        boolean allowed = true;

        Recorder(final int framesPerTurn)
        {
            super(1, framesPerTurn);
        }

        @Override
        protected long frameLength(final ByteBuf in, final int index)
        {
            final int length = in.getUnsignedByte(index);
            return length == 0 || length > 16 ? MALFORMED : length;
        }

        @Override
        protected void frame(final ChannelHandlerContext ctx, final ByteBuf in, final int index, final int length)
        {
            frames.add((int)in.getUnsignedByte(index + length - 1));
        }

        @Override
        protected boolean mayProcess()
        {
            return allowed;
        }

        void allow()
        {
            allowed = true;
            resumeOnEventLoop();
        }
    }

    @BeforeAll
    static void paranoidLeakDetection()
    {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    private static ByteBuf frames(final int count)
    {
        final ByteBuf b = Unpooled.buffer();
        for (int i = 0; i < count; i++)
        {
            b.writeByte(2).writeByte(i);
        }
        return b;
    }

    @Test
    void processesAtMostTheQuotaPerTurnAndPausesReadingMeanwhile()
    {
        final Recorder r = new Recorder(2);
        final EmbeddedChannel ch = new EmbeddedChannel(r);
        ch.pipeline().fireChannelRead(frames(5)); // unlike writeInbound, runs no queued task
        assertEquals(List.of(0, 1), r.frames, "one turn");
        assertFalse(ch.config().isAutoRead(), "whole requests wait: the socket is not read");
        assertEquals(6, r.inboundBytes());
        ch.runPendingTasks(); // the following turns, queued behind whatever else the loop had to do
        assertEquals(List.of(0, 1, 2, 3, 4), r.frames);
        assertTrue(ch.config().isAutoRead(), "nothing waits: reading again");
        assertEquals(0, r.inboundBytes());
        assertFalse(ch.finish());
    }

    @Test
    void aPartialFrameWaitsForItsRestWhileReadingContinues()
    {
        final Recorder r = new Recorder(8);
        final EmbeddedChannel ch = new EmbeddedChannel(r);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[]{3, 7}));
        assertTrue(r.frames.isEmpty());
        assertTrue(ch.config().isAutoRead(), "a partial frame needs more input");
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[]{9}));
        assertEquals(List.of(9), r.frames);
        assertFalse(ch.finish());
    }

    @Test
    void aSharedQuotaHoldsRequestsUntilResumed()
    {
        final Recorder r = new Recorder(8);
        final EmbeddedChannel ch = new EmbeddedChannel(r);
        r.allowed = false;
        ch.writeInbound(frames(3));
        ch.runPendingTasks();
        assertTrue(r.frames.isEmpty(), "nothing while the quota says no");
        assertFalse(ch.config().isAutoRead());
        r.allow();
        ch.runPendingTasks();
        assertEquals(List.of(0, 1, 2), r.frames);
        assertTrue(ch.config().isAutoRead());
        assertFalse(ch.finish());
    }

    @Test
    void aMalformedLengthClosesTheConnectionAndDropsTheRest()
    {
        final Recorder r = new Recorder(8);
        final EmbeddedChannel ch = new EmbeddedChannel(r);
        final ByteBuf in = frames(1).writeByte(17).writeBytes(frames(2));
        ch.writeInbound(in);
        assertEquals(List.of(0), r.frames, "frames before the bad one only");
        assertTrue(r.broken());
        assertFalse(ch.isActive());
        assertEquals(0, in.refCnt(), "input released");
    }
}
