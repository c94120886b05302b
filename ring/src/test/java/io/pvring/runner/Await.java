package io.pvring.runner;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;

/** A bounded wait for a condition other threads make true, failing with a diagnostic. */
final class Await
{
    private Await()
    {
    }

    static void until(final long seconds, final BooleanSupplier condition, final Supplier<String> diagnostic)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("not within " + seconds + " s: " + diagnostic.get());
            }
            Thread.yield();
        }
    }
}
