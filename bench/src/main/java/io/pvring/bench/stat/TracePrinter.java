package io.pvring.bench.stat;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.Locale;

import io.pvring.stats.DeviceKind;
import io.pvring.stats.TraceFile;
import io.pvring.stats.TraceRecord;
import io.pvring.stats.TraceRecordDescriptor;

/**
 * Prints a trace file as blkparse prints a blktrace: one line per completed request, {@code maj,min queue seq
 * time id C rwbs sector + sectors [status] latency} for disks; {@code vif queue seq time id TX|RX size slots flags
 * [status]} for NICs. Or as JSON, streamed.
 */
public final class TracePrinter
{
    private TracePrinter()
    {
    }

    /** blkparse's RWBS letters for a {@code BLKIF_OP_*}. */
    public static String rwbs(final int operation)
    {
        switch (operation)
        {
            case 0:
                return "R";
            case 1:
                return "W";
            case 2:
                return "WB"; // BLKIF_OP_WRITE_BARRIER
            case 3:
                return "F"; // BLKIF_OP_FLUSH_DISKCACHE
            case 5:
                return "D"; // BLKIF_OP_DISCARD
            case 6:
                return "I"; // BLKIF_OP_INDIRECT
            default:
                return "N" + operation;
        }
    }

    private static String netOp(final int operation)
    {
        return operation == TraceRecordDescriptor.OP_TX ? "TX" : operation == TraceRecordDescriptor.OP_RX ? "RX" :
            "N" + operation;
    }

    public static void text(final TraceFile file, final PrintWriter out)
    {
        final boolean blk = file.device().kind() == DeviceKind.VBD;
        final int devid = file.device().devid();
        final String dev = blk ? (devid >> 8) + "," + (devid & 0xFF) :
            "vif" + file.device().domid() + "." + devid;
        out.println("# " + file.device() + " of domid " + file.device().domid() + ", trace started " +
            Instant.ofEpochSecond(0, file.startEpochNanos()));
        final long[] seq = {0};
        final long[] stats = new long[2]; // records, latency sum
        file.forEach(r ->
        {
            seq[0]++;
            stats[0]++;
            stats[1] += r.latencyNanos();
            if (blk)
            {
                out.println(String.format(Locale.ROOT, "%7s %3d %8d %14.9f %6d  C %3s %d + %d [%d] %.1f us", dev,
                    r.queue(), seq[0], r.timeNanos() / 1e9, r.id(), rwbs(r.operation()), r.sector(), r.size() / 512,
                    r.status(), r.latencyNanos() / 1e3));
            }
            else
            {
                out.println(String.format(Locale.ROOT, "%s %3d %8d %14.9f %6d  %s %d bytes %d slots flags 0x%x [%d]",
                    dev, r.queue(), seq[0], r.timeNanos() / 1e9, r.id(), netOp(r.operation()), r.size(), r.segments(),
                    r.flags(), r.status()));
            }
        });
        out.println(String.format(Locale.ROOT, "# %d records%s, %d dropped%s", stats[0],
            file.records() == 0 && stats[0] > 0 ? " (trace did not end cleanly)" : "", file.dropped(),
            blk && stats[0] > 0 ? String.format(Locale.ROOT, ", mean latency %.1f us", stats[1] / 1e3 / stats[0]) :
                ""));
        out.flush();
    }

    public static void json(final TraceFile file, final PrintWriter out)
    {
        final boolean blk = file.device().kind() == DeviceKind.VBD;
        out.println("{");
        out.println("  \"device\": \"" + file.device() + "\",");
        out.println("  \"kind\": \"" + file.device().kind().label() + "\",");
        out.println("  \"domid\": " + file.device().domid() + ",");
        out.println("  \"devid\": " + file.device().devid() + ",");
        out.println("  \"start\": \"" + Instant.ofEpochSecond(0, file.startEpochNanos()) + "\",");
        out.println("  \"records\": " + file.records() + ",");
        out.println("  \"dropped\": " + file.dropped() + ",");
        out.print("  \"events\": [");
        final boolean[] first = {true};
        file.forEach(r ->
        {
            out.print(first[0] ? "\n    " : ",\n    ");
            first[0] = false;
            out.print(blk ? blkEvent(r) : netEvent(r));
        });
        out.println(first[0] ? "]" : "\n  ]");
        out.println("}");
        out.flush();
    }

    private static String blkEvent(final TraceRecord r)
    {
        return String.format(Locale.ROOT, "{\"time_ns\": %d, \"queue\": %d, \"id\": %d, \"op\": \"%s\", "
            + "\"sector\": %d, \"segments\": %d, \"bytes\": %d, \"status\": %d, \"latency_ns\": %d}",
            r.timeNanos(), r.queue(), r.id(), rwbs(r.operation()), r.sector(), r.segments(), r.size(), r.status(),
            r.latencyNanos());
    }

    private static String netEvent(final TraceRecord r)
    {
        return String.format(Locale.ROOT, "{\"time_ns\": %d, \"queue\": %d, \"id\": %d, \"op\": \"%s\", "
            + "\"size\": %d, \"slots\": %d, \"flags\": %d, \"status\": %d}",
            r.timeNanos(), r.queue(), r.id(), netOp(r.operation()), r.size(), r.segments(), r.flags(), r.status());
    }
}
