package io.pvring.event;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WaitModeTest
{
    @Test
    void parsesEveryNameAndTheOldAliasAnyCase()
    {
        assertEquals(WaitMode.POLL, WaitMode.parse("poll"));
        assertEquals(WaitMode.BACKOFF, WaitMode.parse("backoff"));
        assertEquals(WaitMode.NOTIFY, WaitMode.parse("notify"));
        assertEquals(WaitMode.NOTIFY, WaitMode.parse("block"));
        assertEquals(WaitMode.ADAPTIVE, WaitMode.parse(" Adaptive "));
        for (final WaitMode mode : WaitMode.values())
        {
            assertEquals(mode, WaitMode.parse(mode.configName()));
            assertEquals(mode.configName(), mode.toString());
        }
        assertEquals(IdleStrategies.POLL, WaitMode.POLL.configName());
        assertEquals(IdleStrategies.BACKOFF, WaitMode.BACKOFF.configName());
        assertEquals(IdleStrategies.NOTIFY, WaitMode.NOTIFY.configName());
    }

    @Test
    void anUnknownNameListsTheAcceptedOnes()
    {
        final String message = assertThrows(IllegalArgumentException.class, () -> WaitMode.parse("sleep"))
            .getMessage();
        assertEquals("wait mode=sleep is not one of poll, backoff, notify (block), adaptive", message);
        assertThrows(IllegalArgumentException.class, () -> WaitMode.parse(null));
    }

    @Test
    void onlyNotifyAndAdaptiveSleep()
    {
        assertTrue(WaitMode.NOTIFY.sleeps());
        assertTrue(WaitMode.ADAPTIVE.sleeps());
        assertFalse(WaitMode.POLL.sleeps());
        assertFalse(WaitMode.BACKOFF.sleeps());
    }

    @Test
    void idleStrategiesTakeTheModesAThreadCanRunAlone()
    {
        assertInstanceOf(BlockingIdleStrategy.class, IdleStrategies.create(WaitMode.NOTIFY));
        final String message = assertThrows(IllegalArgumentException.class,
            () -> IdleStrategies.create("adaptive")).getMessage();
        assertTrue(message.contains("RunnerPool"), message);
    }
}
