package io.pvring.nbd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NbdUriTest
{
    @Test
    void tcpForms()
    {
        final NbdUri uri = NbdUri.parse("nbd://127.0.0.1:10810/disk");
        assertFalse(uri.unix());
        assertEquals("127.0.0.1", uri.host());
        assertEquals(10810, uri.port());
        assertEquals("disk", uri.exportName());
        assertEquals(NbdProtocol.NBD_DEFAULT_PORT, NbdUri.parse("nbd://localhost/x").port());
        assertEquals("", NbdUri.parse("nbd://localhost").exportName());
        assertEquals("", NbdUri.parse("nbd://localhost/").exportName());
        assertEquals("::1", NbdUri.parse("nbd://[::1]:7000/a").host());
        assertEquals("a b/c", NbdUri.parse("nbd://h/a%20b/c").exportName());
        assertEquals("a+b", NbdUri.parse("nbd://h/a+b").exportName(), "'+' is not a space in a URI path");
    }

    @Test
    void unixForms()
    {
        final NbdUri uri = NbdUri.parse("nbd+unix:///disk?socket=/run/x/nbd.sock");
        assertTrue(uri.unix());
        assertEquals("/run/x/nbd.sock", uri.socketPath());
        assertEquals("disk", uri.exportName());
        assertEquals("", NbdUri.parse("nbd+unix://?socket=/s").exportName());
        assertEquals("/tmp/a b", NbdUri.parse("nbd+unix:///?socket=/tmp/a%20b").socketPath());
    }

    @Test
    void toStringParsesBackToTheSameValue()
    {
        for (final NbdUri uri : new NbdUri[]{
            NbdUri.tcp("127.0.0.1", 10809, "disk"), NbdUri.tcp("::1", 1, "a b/ü"), NbdUri.unix("/tmp/x y.sock", ""),
            NbdUri.unix("/s", "e?x&p#")})
        {
            assertEquals(uri, NbdUri.parse(uri.toString()), uri.toString());
        }
    }

    @Test
    void badUrisAreRefusedWithTheReason()
    {
        assertMessage("nbds://h/e", "TLS");
        assertMessage("nbds+unix:///e?socket=/s", "TLS");
        assertMessage("http://h/e", "unsupported NBD URI scheme 'http'");
        assertMessage("nbd:///e", "needs a host");
        assertMessage("nbd://h:0/e", "port");
        assertMessage("nbd://h/e?socket=/s", "unsupported query");
        assertMessage("nbd+unix:///e", "needs ?socket=PATH");
        assertMessage("nbd+unix://host/e?socket=/s", "has no host");
        assertMessage("nbd+unix:///e?socket=/s&tls=on", "unsupported query parameter 'tls=on'");
        assertMessage("nbd+unix:///e?socket=/a&socket=/b", "twice");
        assertMessage("nbd://h/e%zz", "Malformed escape");
        assertMessage("nbd://h/" + "x".repeat(4097), "longer than 4096");
        assertMessage("not a uri", "not an NBD URI");
        assertMessage("/just/a/path", "not an NBD URI");
    }

    private static void assertMessage(final String text, final String expected)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> NbdUri.parse(text),
            text);
        assertTrue(ex.getMessage().contains(expected), text + " -> " + ex.getMessage());
    }
}
