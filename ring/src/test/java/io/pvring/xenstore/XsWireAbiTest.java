package io.pvring.xenstore;

import java.util.Map;

import io.pvring.testing.CValues;
import io.pvring.testing.XenAbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link XsSockMsgDescriptor}, {@link XsMessageType} and {@link XsError} against gcc on {@code io/xs_wire.h}. */
class XsWireAbiTest
{
    private static CValues c;

    @BeforeAll
    static void compileAbiProgram()
    {
        c = XenAbi.values();
    }

    @Test
    void sockMsgLayoutMatchesXsdSockmsg()
    {
        assertEquals(c.get("sizeof.xsd_sockmsg"), XsSockMsgDescriptor.HEADER_LENGTH);
        assertEquals(c.get("xsd_sockmsg.type"), XsSockMsgDescriptor.TYPE_OFFSET);
        assertEquals(c.get("xsd_sockmsg.req_id"), XsSockMsgDescriptor.REQ_ID_OFFSET);
        assertEquals(c.get("xsd_sockmsg.tx_id"), XsSockMsgDescriptor.TX_ID_OFFSET);
        assertEquals(c.get("xsd_sockmsg.len"), XsSockMsgDescriptor.LEN_OFFSET);
        assertEquals(3, XenAbi.assertConstantsMatch(XsSockMsgDescriptor.class),
            "XENSTORE_PAYLOAD_MAX, XENSTORE_ABS_PATH_MAX and XENSTORE_REL_PATH_MAX compared");
    }

    @Test
    void messageTypesMatchTheHeaderEnum()
    {
        // The header's 22 request types plus XS_INVALID; the later GET/SET_FEATURE and GET/SET_QUOTA are absent from
        // the installed header and must extend it, not collide with it.
        assertEquals(23, XenAbi.assertConstantsMatch(XsMessageType.class));
        assertTrue(XsMessageType.XS_GET_FEATURE >= c.get("XS_TYPE_COUNT"));
        int named = 0;
        for (final Map.Entry<String, Long> e : c.asMap().entrySet())
        {
            final String name = e.getKey();
            if (name.startsWith("XS_") && !name.equals("XS_WATCH_PATH") && !name.equals("XS_WATCH_TOKEN")
                && !name.equals("XS_DEBUG") && !name.equals("XS_TYPE_COUNT") && !name.equals("XS_INVALID"))
            {
                assertEquals(name.substring("XS_".length()), XsMessageType.name(Math.toIntExact(e.getValue())));
                named++;
            }
        }
        assertEquals(c.get("XS_TYPE_COUNT") - 1, named, "every type but the removed XS_RESTRICT is named");
    }

    @Test
    void errorsFollowXsdErrorsInOrder()
    {
        int compared = 0;
        for (final XsError error : XsError.values())
        {
            if (c.contains("xsd_errors_index." + error.name()))
            {
                assertEquals(c.get("xsd_errors_index." + error.name()), error.ordinal(), error.name());
                assertEquals(error, XsError.fromWire(error.wireName()));
                compared++;
            }
        }
        assertEquals(c.get("xsd_errors_count"), compared, "every xsd_errors[] entry has an XsError");
    }
}
