package io.pvring.blkback;

import java.util.HashMap;
import java.util.Map;

import io.pvring.blkback.qos.ThrottleBucket;
import io.pvring.blkback.qos.ThrottleLimits;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontDriver;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusPaths;
import io.pvring.xenbus.XenbusState;
import io.pvring.xenstore.XsConnection;
import io.pvring.testing.BoundedSpin;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * I/O limits on real devices: the {@code qos-*} backend keys set a device's limits at probe and change them while
 * it is connected, a bad value lands in the error node and changes nothing, and a device held back by its limits
 * never holds back another device on the same runner.
 */
class QosDevicesTest
{
    private static final long BOUND_NS = 30_000_000_000L;
    private static final String DEVID = "51712";

    private static XenbusDeviceSpec vbd(final Domain guest, final Map<String, String> qos)
    {
        final Map<String, String> backend = new HashMap<>(qos);
        backend.put("type", "memory");
        backend.put("params", Long.toString(4L << 20));
        backend.put("mode", "w");
        return new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID, backend,
            Map.of("virtual-device", DEVID, "device-type", "disk"));
    }

    private static BlkFrontDriver attach(final Host host, final Domain guest)
    {
        final BlkFrontDriver blkfront = new BlkFrontDriver(BlkFrontConfig.defaults(), 4096);
        host.attachFrontend(guest, "vbd", DEVID, blkfront);
        BoundedSpin.until(blkfront::isConnected, () -> guest + "'s blkfront to connect");
        return blkfront;
    }

    private static BlkBackDriver driver()
    {
        return new BlkBackDriver(BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).build(),
            BlkBackDriver.DEFAULT_OPENER, null);
    }

    private static BlkBackDriver.Device device(final BlkBackDriver driver, final Domain guest)
    {
        return driver.devices().stream().filter(d -> d.xenbus().frontendDomid() == guest.domid()).findFirst()
            .orElseThrow();
    }

    private static String errorNode(final Host host, final XenbusDeviceSpec spec)
    {
        return host.xenStore().connect(0).readOrNull(XenbusPaths.errorPath(0, spec.backendPath()) + "/error");
    }

    @Test
    void limitKeysWrittenWhileConnectedTakeEffectAndBadOnesGoToTheErrorNode()
    {
        final BlkBackDriver driver = driver();
        try (Host host = Host.start(new RunnerPoolConfig().runners(1), driver))
        {
            final Domain guest = host.createDomain("guest", 64L << 20);
            final XenbusDeviceSpec spec = vbd(guest, Map.of("qos-iops-total", "1000"));
            host.addDevice(spec);
            final BlkFrontDriver front = attach(host, guest);
            final BlkBackDriver.Device device = device(driver, guest);
            BoundedSpin.until(() -> device.back() != null, () -> "the device to connect");
            assertEquals(1000, device.back().throttleLimits().avg(ThrottleBucket.IOPS_TOTAL), "the probe's key");

            final XsConnection toolstack = host.xenStore().connect(0);
            final String key = spec.backendPath() + "/qos-iops-total";
            toolstack.write(key, "5");
            BoundedSpin.until(() -> device.back().throttleLimits().avg(ThrottleBucket.IOPS_TOTAL) == 5,
                () -> "the new limit to reach the connected device: " + device.back().throttleLimits());
            // Five per second, half an operation at once: the second of three writes is held, and counted.
            final BlkFrontQueue queue = front.front().queue(0);
            final UnsafeBuffer data = TestData.pattern(4096, 3);
            for (int i = 0; i < 3; i++)
            {
                assertTrue(queue.write(i * 8L, 8, data, 0, i));
            }
            queue.push();
            final int[] answered = new int[1];
            BoundedSpin.until(() ->
            {
                queue.poll((cookie, op, status) -> answered[0] += status == BLKIF_RSP_OKAY ? 1 : 1000);
                return answered[0] == 3;
            }, () -> answered[0] + " of 3 writes answered OK");
            assertTrue(device.back().rings().get(0).throttledRequests() >= 1, "the new limit held writes back");

            toolstack.write(key, "lots");
            BoundedSpin.until(() -> errorNode(host, spec) != null, () -> "the error node");
            assertEquals("22 qos-iops-total='lots' is not a number within [0, 1000000000000000]; the limits stay " +
                "iops-total=5", errorNode(host, spec));
            toolstack.write(key, "7");
            BoundedSpin.until(() -> device.back().throttleLimits().avg(ThrottleBucket.IOPS_TOTAL) == 7,
                () -> "a good value again to take effect");
            toolstack.write(spec.backendPath() + "/qos-iops-read", "3");
            BoundedSpin.until(() -> errorNode(host, spec).contains("qos-iops-read"),
                () -> "the error node to name iops-read");
            assertEquals("22 qos-iops-read and qos-iops-total cannot be used at the same time (a total limit or " +
                "limits by direction); the limits stay iops-total=7", errorNode(host, spec));
            toolstack.write(spec.backendPath() + "/qos-latency", "1");
            BoundedSpin.until(() -> errorNode(host, spec).contains("qos-latency"),
                () -> "the error node to name qos-latency");
            assertTrue(errorNode(host, spec).startsWith("22 qos-latency is not a limit: qos- keys are bps-total, "),
                errorNode(host, spec));
            assertEquals(7, device.back().throttleLimits().avg(ThrottleBucket.IOPS_TOTAL), "bad keys change nothing");
            assertEquals(XenbusState.CONNECTED, host.toolstack().backendState(spec), "and close nothing");

            toolstack.rm(spec.backendPath() + "/qos-latency");
            toolstack.rm(spec.backendPath() + "/qos-iops-read");
            toolstack.rm(key);
            BoundedSpin.until(() -> ThrottleLimits.NONE.equals(device.back().throttleLimits()),
                () -> "the keys gone: no limit");
        }
    }

    @Test
    void aBadLimitKeyRefusesTheDeviceAtProbe()
    {
        final BlkBackDriver driver = driver();
        try (Host host = Host.start(new RunnerPoolConfig().runners(1), driver))
        {
            final Domain guest = host.createDomain("guest", 64L << 20);
            final XenbusDeviceSpec spec = vbd(guest, Map.of("qos-bps-total-max", "4096"));
            host.addDevice(spec);
            BoundedSpin.until(() -> errorNode(host, spec) != null, () -> "the error node");
            assertTrue(errorNode(host, spec).contains("qos-bps-total-max=4096 needs qos-bps-total set as well in " +
                spec.backendPath()), errorNode(host, spec));
            assertTrue(driver.devices().isEmpty(), "no device");
        }
    }

    @Test
    void aThrottledDeviceNeverDelaysAnotherOnTheSameRunner()
    {
        final BlkBackDriver driver = driver();
        try (Host host = Host.start(new RunnerPoolConfig().runners(1), driver))
        {
            final Domain slow = host.createDomain("slow", 64L << 20);
            final Domain fast = host.createDomain("fast", 64L << 20);
            host.addDevice(vbd(slow, Map.of("qos-iops-total", "10")));
            host.addDevice(vbd(fast, Map.of()));
            final BlkFrontQueue slowQueue = attach(host, slow).front().queue(0);
            final BlkFrontQueue fastQueue = attach(host, fast).front().queue(0);
            assertEquals(2, host.runners().runner(0).load(), "both devices' rings share the one runner");

            final UnsafeBuffer data = TestData.pattern(4096, 9);
            final long[] slowAnswers = new long[1];
            final long[] fastAnswers = new long[1];
            final int fastTotal = 2000;
            long slowSent = 0;
            long fastSent = 0;
            final long start = System.nanoTime();
            final long deadline = start + BOUND_NS;
            // One thread drives both guests: the limited one always has its ring full.
            while (fastAnswers[0] < fastTotal)
            {
                while (slowQueue.write(slowSent % 512 * 8, 8, data, 0, slowSent))
                {
                    slowSent++;
                }
                slowQueue.push();
                while (fastSent < fastTotal && fastQueue.write(fastSent % 512 * 8, 8, data, 0, fastSent))
                {
                    fastSent++;
                }
                fastQueue.push();
                slowQueue.poll((cookie, op, status) -> slowAnswers[0]++);
                fastQueue.poll((cookie, op, status) -> fastAnswers[0] += status == BLKIF_RSP_OKAY ? 1 : 1_000_000);
                if (System.nanoTime() - deadline > 0)
                {
                    fail("timed out after 30 s: the unlimited device answered " + fastAnswers[0] + " of " + fastSent +
                        ", the limited one " + slowAnswers[0] + " of " + slowSent);
                }
                Thread.yield();
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(fastTotal, fastAnswers[0], "the unlimited device completed its whole workload");
            // Ten per second after one tenth of a second's worth at once (+1, the request that fills the bucket).
            final double allowed = 10 * seconds + 1 + 1;
            assertTrue(slowAnswers[0] <= allowed, "the limited device, backlogged all along, completed " +
                slowAnswers[0] + " in " + seconds + " s; its limit allows " + allowed);
            assertTrue(slowAnswers[0] < slowSent, "the limited device was held back all along");
        }
    }
}
