package io.pvring.nbd;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Where an NBD export lives, in the URI forms qemu and libnbd accept (the NBD project's {@code doc/uri.md}):
 * {@code nbd://host[:port]/[export]} over TCP (port 10809 when omitted) and
 * {@code nbd+unix:///[export]?socket=PATH} over a Unix socket. The export name is the path without its leading
 * {@code /}, percent-decoded. TLS ({@code nbds}) and vsock schemes are refused by name.
 *
 * @param unix       true for a Unix socket ({@link #socketPath()}), false for TCP ({@link #host()}:{@link #port()}).
 * @param host       TCP host name or address, without IPv6 brackets; null for a Unix socket.
 * @param port       TCP port; 0 for a Unix socket.
 * @param socketPath Unix socket path; null for TCP.
 * @param exportName export name (may be empty: the server's default export).
 */
public record NbdUri(boolean unix, String host, int port, String socketPath, String exportName)
{
    public NbdUri
    {
        Objects.requireNonNull(exportName, "exportName");
        if (unix)
        {
            if (socketPath == null || socketPath.isEmpty() || host != null || port != 0)
            {
                throw new IllegalArgumentException("a Unix socket export needs a socket path only: socketPath=" +
                    socketPath + " host=" + host + " port=" + port);
            }
        }
        else if (host == null || host.isEmpty() || port < 1 || port > 65535 || socketPath != null)
        {
            throw new IllegalArgumentException("a TCP export needs a host and a port 1..65535: host=" + host +
                " port=" + port + " socketPath=" + socketPath);
        }
        if (exportName.getBytes(StandardCharsets.UTF_8).length > NbdHandshakeDescriptor.MAX_EXPORT_NAME_LENGTH)
        {
            throw new IllegalArgumentException("export name longer than 4096 bytes");
        }
    }

    public static NbdUri tcp(final String host, final int port, final String exportName)
    {
        return new NbdUri(false, host, port, null, exportName);
    }

    public static NbdUri unix(final String socketPath, final String exportName)
    {
        return new NbdUri(true, null, 0, socketPath, exportName);
    }

    /**
     * Parses an NBD URI.
     *
     * @throws IllegalArgumentException naming the URI and what is wrong with it.
     */
    public static NbdUri parse(final String text)
    {
        final URI uri;
        try
        {
            uri = new URI(text);
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalArgumentException("not an NBD URI: " + text + ": " + ex.getMessage(), ex);
        }
        final String scheme = uri.getScheme();
        if (scheme == null || uri.isOpaque())
        {
            throw new IllegalArgumentException("not an NBD URI (expected nbd://host:port/export or " +
                "nbd+unix:///export?socket=PATH): " + text);
        }
        if (uri.getRawFragment() != null || uri.getRawUserInfo() != null)
        {
            throw new IllegalArgumentException("an NBD URI has no user information or fragment: " + text);
        }
        final String exportName = exportName(uri, text);
        switch (scheme.toLowerCase(java.util.Locale.ROOT))
        {
            case "nbd":
            case "nbd+tcp":
                return parseTcp(uri, text, exportName);
            case "nbd+unix":
                return parseUnix(uri, text, exportName);
            case "nbds":
            case "nbds+tcp":
            case "nbds+unix":
                throw new IllegalArgumentException("NBD over TLS is not available in pvring (use nbd:// or " +
                    "nbd+unix://): " + text);
            default:
                throw new IllegalArgumentException("unsupported NBD URI scheme '" + scheme + "' (expected nbd or " +
                    "nbd+unix): " + text);
        }
    }

    private static NbdUri parseTcp(final URI uri, final String text, final String exportName)
    {
        if (uri.getRawQuery() != null)
        {
            throw new IllegalArgumentException("unsupported query in an nbd:// URI: " + text);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty())
        {
            throw new IllegalArgumentException("an nbd:// URI needs a host (nbd://host:port/export): " + text);
        }
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        final int port = uri.getPort() == -1 ? NbdProtocol.NBD_DEFAULT_PORT : uri.getPort();
        if (port < 1 || port > 65535)
        {
            throw new IllegalArgumentException("port out of range 1..65535: " + text);
        }
        return tcp(host, port, exportName);
    }

    private static NbdUri parseUnix(final URI uri, final String text, final String exportName)
    {
        if (uri.getRawAuthority() != null)
        {
            throw new IllegalArgumentException("an nbd+unix URI has no host (nbd+unix:///export?socket=PATH): " +
                text);
        }
        final String query = uri.getRawQuery();
        String socket = null;
        if (query != null)
        {
            for (final String parameter : query.split("&"))
            {
                final int eq = parameter.indexOf('=');
                final String name = eq < 0 ? parameter : parameter.substring(0, eq);
                if (!"socket".equals(name) || eq < 0)
                {
                    throw new IllegalArgumentException("unsupported query parameter '" + parameter +
                        "' (only socket=PATH): " + text);
                }
                if (socket != null)
                {
                    throw new IllegalArgumentException("socket= given twice: " + text);
                }
                socket = percentDecode(parameter.substring(eq + 1), text);
            }
        }
        if (socket == null || socket.isEmpty())
        {
            throw new IllegalArgumentException("an nbd+unix URI needs ?socket=PATH: " + text);
        }
        return unix(socket, exportName);
    }

    private static String exportName(final URI uri, final String text)
    {
        final String rawPath = uri.getRawPath();
        if (rawPath == null || rawPath.isEmpty())
        {
            return "";
        }
        if (rawPath.charAt(0) != '/')
        {
            throw new IllegalArgumentException("the export name follows a '/': " + text);
        }
        final String name = percentDecode(rawPath.substring(1), text);
        if (name.getBytes(StandardCharsets.UTF_8).length > NbdHandshakeDescriptor.MAX_EXPORT_NAME_LENGTH)
        {
            throw new IllegalArgumentException("export name longer than 4096 bytes: " + text);
        }
        return name;
    }

    /** RFC 3986 percent-decoding ('+' stays '+', unlike form encoding). */
    private static String percentDecode(final String raw, final String text)
    {
        if (raw.indexOf('%') < 0)
        {
            return raw;
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++)
        {
            final char c = raw.charAt(i);
            if (c == '%')
            {
                if (i + 2 >= raw.length() || Character.digit(raw.charAt(i + 1), 16) < 0 ||
                    Character.digit(raw.charAt(i + 2), 16) < 0)
                {
                    throw new IllegalArgumentException("bad percent escape in " + text);
                }
                out.write(Character.digit(raw.charAt(i + 1), 16) << 4 | Character.digit(raw.charAt(i + 2), 16));
                i += 2;
            }
            else
            {
                final byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String percentEncode(final String value, final boolean keepSlash)
    {
        final StringBuilder sb = new StringBuilder();
        for (final byte b : value.getBytes(StandardCharsets.UTF_8))
        {
            final int c = b & 0xFF;
            final boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/');
            if (unreserved)
            {
                sb.append((char)c);
            }
            else
            {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                    .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return sb.toString();
    }

    /** The URI in its canonical form; {@link #parse} of it gives an equal value. */
    @Override
    public String toString()
    {
        if (unix)
        {
            return "nbd+unix:///" + percentEncode(exportName, true) + "?socket=" + percentEncode(socketPath, true);
        }
        final String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "nbd://" + h + ":" + port + "/" + percentEncode(exportName, true);
    }
}
