package io.pvring.xenstore;

import java.util.Locale;

import org.junit.jupiter.api.Test;

import io.pvring.testing.CValues;
import io.pvring.testing.XenAbi;
import io.pvring.xenbus.XenbusState;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The xenstore and xenbus mirrors against {@code io/xs_wire.h} and {@code io/xenbus.h} as gcc reads them. */
class XsAbiTest
{
    @Test
    void messageTypesMatchXsWire()
    {
        assertTrue(XenAbi.assertConstantsMatch(XsMessageType.class) >= 22);
        assertEquals(XenAbi.values().get("XS_DEBUG"), XsMessageType.XS_CONTROL);
        assertEquals(XenAbi.values().get("XS_TYPE_COUNT"), XsMessageType.XS_DIRECTORY_PART + 1);
    }

    @Test
    void sockMsgLayoutAndLimitsMatchXsWire()
    {
        final CValues c = XenAbi.values();
        assertEquals(c.get("sizeof.xsd_sockmsg"), XsSockMsgDescriptor.HEADER_LENGTH);
        assertEquals(c.get("xsd_sockmsg.type"), XsSockMsgDescriptor.TYPE_OFFSET);
        assertEquals(c.get("xsd_sockmsg.req_id"), XsSockMsgDescriptor.REQ_ID_OFFSET);
        assertEquals(c.get("xsd_sockmsg.tx_id"), XsSockMsgDescriptor.TX_ID_OFFSET);
        assertEquals(c.get("xsd_sockmsg.len"), XsSockMsgDescriptor.LEN_OFFSET);
        assertEquals(3, XenAbi.assertConstantsMatch(XsSockMsgDescriptor.class));
    }

    @Test
    void errorStringsAreXsdErrorsInOrder()
    {
        final CValues c = XenAbi.values();
        final int count = c.getInt("xsd_errors_count");
        for (final XsError e : XsError.values())
        {
            final String key = "xsd_errors_index." + e.wireName();
            if (e == XsError.EQUOTA)
            {
                assertFalse(c.contains(key), "EQUOTA is oxenstored's, not in xs_wire.h");
                continue;
            }
            assertEquals(c.get(key), e.ordinal(), e.name());
        }
        assertEquals(count, XsError.values().length - 1);
    }

    @Test
    void xenbusStatesMatchXenbusH()
    {
        final CValues c = XenAbi.values();
        for (final XenbusState s : XenbusState.values())
        {
            final StringBuilder name = new StringBuilder("XenbusState");
            for (final String part : s.name().split("_"))
            {
                name.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
            }
            assertEquals(c.get(name.toString()), s.value(), name.toString());
        }
    }
}
