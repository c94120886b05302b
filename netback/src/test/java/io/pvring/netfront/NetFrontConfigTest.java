package io.pvring.netfront;

import io.pvring.netif.FrontendFeatures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetFrontConfigTest
{
    @Test
    void defaultsAreOneLinuxQueueWithoutControlRing()
    {
        final NetFrontConfig config = NetFrontConfig.builder().firstGfn(0x100).build();
        assertEquals(0x100, config.firstGfn());
        assertEquals(FrontendFeatures.LINUX, config.features());
        assertEquals(1, config.queues());
        assertEquals(-1, config.controlRingGfn());
        assertEquals(false, config.splitEventChannels());
    }

    @Test
    void badSettingsAreRefusedByName()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NetFrontConfig.builder().build())
            .getMessage().startsWith("firstGfn="));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> NetFrontConfig.builder().firstGfn(0).queues(0).build()).getMessage().startsWith("queues=0"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> NetFrontConfig.builder().firstGfn(0x100).queues(2).controlRing(0x100 + NetFront.PAGES).build())
            .getMessage().startsWith("controlRingGfn="));
        assertEquals(0x100 + 2L * NetFront.PAGES,
            NetFrontConfig.builder().firstGfn(0x100).queues(2).controlRing(0x100 + 2L * NetFront.PAGES).build()
                .controlRingGfn(), "the first frame after the queues is free");
    }
}
