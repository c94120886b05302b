package io.pvring.xenstore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One decoded {@code xsd_sockmsg} with its payload, copied out of the connection's buffers (xenstore is a control
 * path; a message is at most {@link XsSockMsgDescriptor#XENSTORE_PAYLOAD_MAX} bytes).
 *
 * @param type    {@code XS_*}, unsigned 32-bit on the wire.
 * @param reqId   echoed in the reply.
 * @param txId    transaction id, 0 for none.
 * @param payload the bytes after the header.
 */
public record XsMessage(int type, int reqId, int txId, byte[] payload)
{
    private static final byte[] OK = {'O', 'K', 0};

    /** A reply of the same type, request id and transaction id as {@code request}. */
    public static XsMessage reply(final XsMessage request, final byte[] payload)
    {
        return new XsMessage(request.type, request.reqId, request.txId, payload);
    }

    public static XsMessage ok(final XsMessage request)
    {
        return reply(request, OK);
    }

    public static XsMessage error(final XsMessage request, final XsError error)
    {
        return new XsMessage(XsMessageType.XS_ERROR, request.reqId, request.txId, nulTerminated(error.wireName()));
    }

    public static XsMessage watchEvent(final String path, final String token)
    {
        return new XsMessage(XsMessageType.XS_WATCH_EVENT, 0, 0, strings(List.of(path, token)));
    }

    /** The string's bytes (ISO-8859-1: every byte a client sent comes back unchanged) plus a NUL. */
    public static byte[] nulTerminated(final String s)
    {
        return strings(List.of(s));
    }

    /** NUL-terminated strings back to back, as DIRECTORY, GET_PERMS and WATCH_EVENT carry them. */
    public static byte[] strings(final List<String> strings)
    {
        int length = 0;
        for (final String s : strings)
        {
            length += s.length() + 1;
        }
        final byte[] out = new byte[length];
        int at = 0;
        for (final String s : strings)
        {
            final byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(b, 0, out, at, b.length);
            at += b.length + 1;
        }
        return out;
    }

    /**
     * The NUL-terminated strings of the payload ({@code get_strings}): bytes after the last NUL are not a string.
     */
    public List<String> nulStrings()
    {
        final List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < payload.length; i++)
        {
            if (payload[i] == 0)
            {
                out.add(new String(payload, start, i - start, StandardCharsets.ISO_8859_1));
                start = i + 1;
            }
        }
        return out;
    }

    /** {@code onearg}: exactly one NUL, at the end; null otherwise. */
    public String oneArg()
    {
        if (payload.length == 0 || payload[payload.length - 1] != 0)
        {
            return null;
        }
        for (int i = 0; i < payload.length - 1; i++)
        {
            if (payload[i] == 0)
            {
                return null;
            }
        }
        return new String(payload, 0, payload.length - 1, StandardCharsets.ISO_8859_1);
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof XsMessage && ((XsMessage)o).type == type && ((XsMessage)o).reqId == reqId &&
            ((XsMessage)o).txId == txId && java.util.Arrays.equals(((XsMessage)o).payload, payload);
    }

    @Override
    public int hashCode()
    {
        return ((type * 31 + reqId) * 31 + txId) * 31 + java.util.Arrays.hashCode(payload);
    }

    @Override
    public String toString()
    {
        return XsMessageType.name(type) + "{req=" + reqId + ", tx=" + txId + ", payload=\"" +
            new String(payload, StandardCharsets.ISO_8859_1).replace('\0', '|') + "\"}";
    }
}
