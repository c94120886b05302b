package io.pvring.aio;

import io.pvring.uring.IoUringSupport;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code aio=auto} picks io_uring where the kernel allows it; a named engine is forced; bad names are refused. */
class EngineSelectionTest
{
    @Test
    void autoPicksIoUringWhenAvailable()
    {
        final String reason = IoUringSupport.unavailableReason();
        try (AioEngine engine = AioEngines.create(AioEngines.AUTO, new AioConfig(), null))
        {
            assertEquals(reason == null ? IoUringEngine.NAME : ThreadPoolEngine.NAME, engine.name(),
                "io_uring unavailable because: " + reason);
        }
    }

    @Test
    void ioUringIsAvailableOnThisMachineKind()
    {
        EngineRig.requireIoUring();
        assertNull(IoUringSupport.unavailableReason());
        try (AioEngine engine = AioEngines.create(IoUringEngine.NAME, new AioConfig(), null))
        {
            assertInstanceOf(IoUringEngine.class, engine);
            assertTrue(engine.canPunchHole());
        }
    }

    @Test
    void threadsCanBeForced()
    {
        try (AioEngine engine = AioEngines.create(ThreadPoolEngine.NAME, new AioConfig(), null))
        {
            assertInstanceOf(ThreadPoolEngine.class, engine);
        }
    }

    @Test
    void unknownNamesAndBadSettingsAreRefused()
    {
        final IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
            () -> AioEngines.create("native", new AioConfig(), null));
        assertTrue(name.getMessage().contains("aio=native"), name.getMessage());
        final IllegalArgumentException depth = assertThrows(IllegalArgumentException.class,
            () -> AioEngines.create(ThreadPoolEngine.NAME, new AioConfig().queueDepth(1 << 16), null));
        assertTrue(depth.getMessage().contains("queueDepth=65536"), depth.getMessage());
    }
}
