package io.pvring.xenbus;

import java.util.Locale;

import io.pvring.testing.CValues;
import io.pvring.testing.XenAbi;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link XenbusState} against {@code enum xenbus_state} of {@code io/xenbus.h}, as gcc sees it. */
class XenbusStateAbiTest
{
    @Test
    void everyStateHasTheHeadersValue()
    {
        final CValues c = XenAbi.values();
        for (final XenbusState state : XenbusState.values())
        {
            assertEquals(c.get("XenbusState" + camelCase(state.name())), state.value(), state.name());
        }
        final long headerStates = c.asMap().keySet().stream().filter(n -> n.startsWith("XenbusState")).count();
        assertEquals(headerStates, XenbusState.values().length, "no state of the header is missing");
    }

    /** {@code INIT_WAIT} becomes {@code InitWait}, as the header spells it. */
    private static String camelCase(final String enumName)
    {
        final StringBuilder out = new StringBuilder();
        for (final String word : enumName.split("_"))
        {
            out.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
        return out.toString();
    }
}
