package io.pvring.bench.stat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.pvring.blkback.BlkBackConfig;
import io.pvring.blkback.BlkBackDriver;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontDriver;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackDriver;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.NetFront;
import io.pvring.netfront.NetFrontConfig;
import io.pvring.netfront.NetFrontDriver;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.stats.IoStats;
import io.pvring.xenbus.XenbusDeviceSpec;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The README's {@code pvring stat} example: an in-process host publishing to {@code DIR/counters.dat} as
 * {@code pvring serve} does, with guests doing paced block and network I/O until killed, so that
 * {@code pvring stat DIR} has something to show: {@code StatDemo DIR}. {@code StatDemo DIR N idle} connects N guests
 * and does no I/O (issue 11's idle host: measure the process's CPU time).
 */
public final class StatDemo
{
    private StatDemo()
    {
    }

    public static void main(final String[] args)
    {
        final Path dir = Path.of(args[0]);
        final int guests = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        final boolean idle = args.length > 2 && "idle".equals(args[2]);
        final IoStats stats = IoStats.create(dir.resolve("counters.dat"), 2 * guests, 4);
        stats.start();
        final BlkBackDriver blkback = new BlkBackDriver(BlkBackConfig.builder().waitMode(WaitMode.ADAPTIVE).build(),
            BlkBackDriver.DEFAULT_OPENER, null).publishTo(stats);
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), new VirtualSwitch(),
            SystemNanoClock.INSTANCE, WaitMode.NOTIFY, stats.manager()).publishTo(stats);
        final Host host = Host.start(new RunnerPoolConfig().runners(2), blkback, netback);
        stats.publishRunners(host.runners());
        final List<Thread> load = new ArrayList<>();
        final String[] names = new String[guests];
        for (int g = 0; g < guests; g++)
        {
            names[g] = g < 3 ? new String[]{"web", "db", "cache"}[g] : "guest" + g;
        }
        final NetFront[] nics = new NetFront[names.length];
        for (int g = 0; g < names.length; g++)
        {
            final Domain guest = host.createDomain(names[g], 128L << 20);
            stats.nameDomain(guest.domid(), names[g]);
            host.addDevice(new XenbusDeviceSpec("vbd", 0, guest.domid(), "51712",
                Map.of("type", "memory", "params", Long.toString(64L << 20), "mode", "w"),
                Map.of("virtual-device", "51712", "device-type", "disk")));
            final BlkFrontDriver blkfront = new BlkFrontDriver(BlkFrontConfig.defaults(), 4096);
            host.attachFrontend(guest, "vbd", "51712", blkfront);
            final String mac = String.format("00:16:3e:00:%02x:%02x", (g + 1) >> 8, (g + 1) & 0xFF);
            host.addDevice(new XenbusDeviceSpec(NetBackDriver.TYPE, 0, guest.domid(), "0",
                Map.of("mac", mac, "handle", "0"), Map.of("mac", mac, "handle", "0")));
            final NetFrontDriver netfront = new NetFrontDriver(NetFrontConfig.builder().firstGfn(16384).build());
            host.attachFrontend(guest, NetBackDriver.TYPE, "0", netfront);
            while (!blkfront.isConnected() || !netfront.isBackendConnected())
            {
                Thread.onSpinWait();
            }
            nics[g] = netfront.netFront();
            final int writesPerTen = 1 + 3 * g;
            final long pauseNanos = TimeUnit.MICROSECONDS.toNanos(200 + 400 * g);
            final BlkFrontQueue queue = blkfront.front().queue(0);
            load.add(new Thread(() -> disk(queue, writesPerTen, pauseNanos), "load-" + names[g]));
        }
        load.add(new Thread(() -> network(nics), "load-net"));
        if (!idle)
        {
            load.forEach(Thread::start);
        }
        System.out.println("connected " + guests + " guests" + (idle ? ", idle" : ""));
    }

    private static void disk(final BlkFrontQueue queue, final int writesPerTen, final long pauseNanos)
    {
        final UnsafeBuffer data = new UnsafeBuffer(new byte[16384]);
        long n = 0;
        while (true)
        {
            final boolean write = n % 10 < writesPerTen;
            final long sector = (n * 37 % 8192) * 8;
            final boolean taken = write ? queue.write(sector, 32, data, 0, n) : queue.read(sector, 8, data, 0, n);
            if (taken)
            {
                queue.push();
                n++;
            }
            queue.poll((cookie, op, status) ->
            {
            });
            LockSupport.parkNanos(pauseNanos);
        }
    }

    private static void network(final NetFront[] nics)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[1514]);
        for (int i = 0; i < 6; i++)
        {
            frame.putByte(i, (byte)0xFF); // broadcast: every other guest receives it
        }
        frame.putShort(12, (short)0xB588);
        while (true)
        {
            for (int g = 0; g < nics.length; g++)
            {
                if (nics[g].send(frame, 0, 200 + 600 * g, 0, 0, 0))
                {
                    nics[g].flush();
                }
                nics[g].receive((buffer, offset, length, flags, gsoType, gsoSize) ->
                {
                }, 64);
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(300));
        }
    }
}
