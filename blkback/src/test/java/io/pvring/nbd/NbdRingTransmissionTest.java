package io.pvring.nbd;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Socket;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.nbd.NbdTransmissionDescriptor.REPLY_HEADER_LENGTH;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_COOKIE_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_HEADER_LENGTH;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_TYPE_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link NbdRingTransmission} against a scripted peer on a Unix socket (the handshake is done: the test plays the
 * server's transmission phase byte by byte), driven by the test thread: replies split at every byte, protocol
 * errors, the server closing, and flushes held behind writes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NbdRingTransmissionTest
{
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);
    private static final String SERVER = "nbd+unix:///test?socket=scripted";

    @TempDir
    Path dir;

    private ServerSocketChannel listener;
    private SocketChannel peer;
    private NbdRingTransmission transmission;
    private final CompletionLog log = new CompletionLog();

    @BeforeEach
    void connect() throws IOException
    {
        Epoll.ensureAvailability(); // loads the native library the unix Socket needs
        assertNull(NbdClient.ringUnavailableReason(), "the io_uring data path works here");
        final Path path = dir.resolve("nbd.sock");
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(path));
        final Socket socket = Socket.newSocketDomain();
        socket.connect(new DomainSocketAddress(path.toString()));
        peer = listener.accept();
        final NbdExport export = new NbdExport("test", 1 << 20,
            NbdProtocol.NBD_FLAG_HAS_FLAGS | NbdProtocol.NBD_FLAG_SEND_FLUSH, 512, 4096, 65536);
        transmission = new NbdRingTransmission(SERVER, new NbdClientConfig().maxInFlight(8), log, export, 65536,
            socket);
    }

    @AfterEach
    void close() throws IOException
    {
        transmission.release(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        transmission.fail("test over", NbdErrno.ESHUTDOWN);
        transmission.closeSocket();
        peer.close();
        listener.close();
    }

    private void submit(final long tag, final int command, final long offset, final long length, final long address)
    {
        final NbdSlot slot = transmission.acquire();
        slot.tag = tag;
        slot.command = command;
        slot.flags = 0;
        slot.offset = offset;
        slot.length = length;
        slot.address = address;
        transmission.publish(slot);
    }

    /** Drives the transmission until {@code done}, bounded. */
    private void until(final BooleanSupplier done, final String what)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (!done.getAsBoolean())
        {
            if (transmission.poll(null) == 0 && !done.getAsBoolean())
            {
                if (System.nanoTime() - deadline > 0)
                {
                    fail("waiting for " + what + "; completions " + log.describe());
                }
                transmission.awaitCompletion(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    /** Reads one request from the peer's side: its header (and {@code payload} bytes after it). */
    private ByteBuffer request(final int payload) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(REQUEST_HEADER_LENGTH + payload).order(ByteOrder.BIG_ENDIAN);
        while (buffer.hasRemaining())
        {
            if (peer.read(buffer) < 0)
            {
                fail("the client closed the socket");
            }
        }
        return buffer.flip();
    }

    private static ByteBuffer reply(final int magic, final int error, final long cookie, final int payload)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(REPLY_HEADER_LENGTH + payload).order(ByteOrder.BIG_ENDIAN);
        buffer.putInt(magic).putInt(error).putLong(cookie);
        for (int i = 0; i < payload; i++)
        {
            buffer.put((byte)(i * 7 + 1));
        }
        return buffer.flip();
    }

    /** Writes {@code bytes} one at a time, letting the client take each before the next is written. */
    private void dribble(final ByteBuffer bytes) throws IOException
    {
        while (bytes.hasRemaining())
        {
            final ByteBuffer one = bytes.slice(bytes.position(), 1);
            bytes.position(bytes.position() + 1);
            peer.write(one);
            transmission.poll(null);
        }
    }

    @Test
    void aReplySplitAtEveryByteCompletesTheReadWithItsPayload() throws IOException
    {
        final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(1024));
        submit(1, NbdProtocol.NBD_CMD_READ, 4096, 1024, memory.addressOffset());
        submit(2, NbdProtocol.NBD_CMD_READ, 0, 512, memory.addressOffset());
        transmission.schedule(null);
        final ByteBuffer first = request(0);
        final ByteBuffer second = request(0);
        assertEquals(NbdProtocol.NBD_CMD_READ, first.getShort(REQUEST_TYPE_OFFSET));
        // The second read fails: only a header comes back for it, and it is split across receives too.
        dribble(reply(NbdProtocol.NBD_SIMPLE_REPLY_MAGIC, NbdProtocol.NBD_EIO, second.getLong(REQUEST_COOKIE_OFFSET),
            0));
        dribble(reply(NbdProtocol.NBD_SIMPLE_REPLY_MAGIC, 0, first.getLong(REQUEST_COOKIE_OFFSET), 1024));
        until(() -> log.count() == 2, "two replies");
        assertEquals(NbdErrno.EIO, log.result(2));
        assertEquals(1024, log.result(1));
        for (int i = 0; i < 1024; i++)
        {
            assertEquals((byte)(i * 7 + 1), memory.getByte(i), "payload byte " + i);
        }
        assertTrue(!transmission.isFailed(), "an error reply keeps the connection");
    }

    @Test
    void aReplyWithAWrongMagicFailsTheConnectionNamingTheServer() throws IOException
    {
        final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
        submit(1, NbdProtocol.NBD_CMD_READ, 0, 512, memory.addressOffset());
        transmission.schedule(null);
        final long cookie = request(0).getLong(REQUEST_COOKIE_OFFSET);
        peer.write(reply(0x12345678, 0, cookie, 0));
        until(() -> log.disconnected() != null, "the disconnect");
        assertEquals(NbdErrno.EIO, log.result(1));
        assertTrue(log.disconnected().contains(SERVER) && log.disconnected().contains("reply magic 0x12345678"),
            log.disconnected());
        assertTrue(transmission.isFailed());
    }

    @Test
    void aReplyForACookieNotOutFailsTheConnection() throws IOException
    {
        final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
        submit(1, NbdProtocol.NBD_CMD_READ, 0, 512, memory.addressOffset());
        transmission.schedule(null);
        final long cookie = request(0).getLong(REQUEST_COOKIE_OFFSET);
        // The same slot, another generation: a reply to a request that is not the one out.
        peer.write(reply(NbdProtocol.NBD_SIMPLE_REPLY_MAGIC, 0, cookie + (1L << 40), 0));
        until(() -> log.disconnected() != null, "the disconnect");
        assertEquals(NbdErrno.EIO, log.result(1));
        assertTrue(log.disconnected().contains("unknown cookie"), log.disconnected());
    }

    @Test
    void theServerClosingFailsWhatIsOutAndLaterSubmissions() throws IOException
    {
        final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
        submit(1, NbdProtocol.NBD_CMD_READ, 0, 512, memory.addressOffset());
        transmission.schedule(null);
        request(0);
        peer.close();
        until(() -> log.disconnected() != null, "the disconnect");
        assertEquals(NbdErrno.ESHUTDOWN, log.result(1));
        assertTrue(log.disconnected().endsWith("closed the connection"), log.disconnected());
        submit(2, NbdProtocol.NBD_CMD_READ, 0, 512, memory.addressOffset());
        transmission.schedule(null);
        assertEquals(NbdErrno.ESHUTDOWN, log.result(2), "a request after the failure fails at once");
    }

    @Test
    void aFlushIsSentOnlyOnceTheWriteBeforeItIsAnswered() throws IOException
    {
        final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(512));
        submit(1, NbdProtocol.NBD_CMD_WRITE, 0, 512, memory.addressOffset());
        submit(2, NbdProtocol.NBD_CMD_FLUSH, 0, 0, 0);
        transmission.schedule(null);
        final ByteBuffer write = request(512);
        assertEquals(NbdProtocol.NBD_CMD_WRITE, write.getShort(REQUEST_TYPE_OFFSET));
        peer.configureBlocking(false);
        transmission.poll(null);
        assertEquals(0, peer.read(ByteBuffer.allocate(1)), "nothing after the write while it is unanswered");
        peer.configureBlocking(true);
        peer.write(reply(NbdProtocol.NBD_SIMPLE_REPLY_MAGIC, 0, write.getLong(REQUEST_COOKIE_OFFSET), 0));
        until(() -> log.count() == 1, "the write's completion");
        transmission.poll(null);
        final ByteBuffer flush = request(0);
        assertEquals(NbdProtocol.NBD_CMD_FLUSH, flush.getShort(REQUEST_TYPE_OFFSET));
        peer.write(reply(NbdProtocol.NBD_SIMPLE_REPLY_MAGIC, 0, flush.getLong(REQUEST_COOKIE_OFFSET), 0));
        until(() -> log.count() == 2, "the flush's completion");
        assertEquals(512, log.result(1));
        assertEquals(0, log.result(2));
    }
}
