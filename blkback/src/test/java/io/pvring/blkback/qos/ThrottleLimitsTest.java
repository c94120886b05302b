package io.pvring.blkback.qos;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** QEMU's throttling options, parsed and checked by QEMU's rules ({@code throttle_is_valid}). */
class ThrottleLimitsTest
{
    private static ThrottleLimits parse(final Map<String, String> options)
    {
        return ThrottleLimits.parse(options::get, "qos-");
    }

    private static String refused(final Map<String, String> options)
    {
        return assertThrows(IllegalArgumentException.class, () -> parse(options), options.toString()).getMessage();
    }

    @Test
    void everyOptionIsReadAndReadBackUnderItsQemuName()
    {
        final ThrottleLimits limits = parse(Map.of("iops-total", "500", "iops-total-max", "2000",
            "iops-total-max-length", "10", "bps-read", "1048576", "bps-write", "4096", "iops-size", "8192"));
        assertTrue(limits.limited());
        assertEquals(500, limits.avg(ThrottleBucket.IOPS_TOTAL));
        assertEquals(2000, limits.max(ThrottleBucket.IOPS_TOTAL));
        assertEquals(10, limits.maxLength(ThrottleBucket.IOPS_TOTAL));
        assertEquals(1048576, limits.avg(ThrottleBucket.BPS_READ));
        assertEquals(1, limits.maxLength(ThrottleBucket.BPS_READ), "a burst lasts one second unless told");
        assertEquals(0, limits.avg(ThrottleBucket.BPS_TOTAL));
        assertEquals(8192, limits.iopsSize());
        assertEquals(limits, parse(limits.options()), "the options read back into equal limits");
        assertEquals("bps-read=1048576,bps-write=4096,iops-total=500,iops-total-max=2000,iops-total-max-length=10," +
            "iops-size=8192", limits.toString());
        assertEquals(19, ThrottleLimits.KEYS.size(), "six buckets, each with -max and -max-length, and iops-size");
    }

    @Test
    void noOptionsAndZerosLimitNothing()
    {
        assertSame(ThrottleLimits.NONE, parse(Map.of()));
        assertSame(ThrottleLimits.NONE, parse(Map.of("iops-total", "0", "bps-total", " 0 ")));
        assertFalse(ThrottleLimits.NONE.limited());
        assertEquals("none", ThrottleLimits.NONE.toString());
    }

    @Test
    void valuesThatAreNotNumbersInRangeAreRefusedNamingTheKey()
    {
        assertTrue(refused(Map.of("iops-total", "abc")).startsWith("qos-iops-total='abc' is not a number"));
        assertTrue(refused(Map.of("iops-total", "-5")).startsWith("qos-iops-total='-5' is not a number"));
        assertTrue(refused(Map.of("bps-read", "")).startsWith("qos-bps-read='' is not a number"));
        assertTrue(refused(Map.of("bps-total", "1000000000000001")).contains("above the maximum"));
        assertTrue(refused(Map.of("bps-total", "99999999999999999999")).contains("is not a number"));
    }

    @Test
    void qemusCombinationRulesAreEnforced()
    {
        assertEquals("qos-iops-read and qos-iops-total cannot be used at the same time (a total limit or limits " +
            "by direction)", refused(Map.of("iops-total", "10", "iops-read", "5")));
        assertTrue(refused(Map.of("bps-write", "10", "bps-total", "50")).contains("cannot be used at the same time"));
        assertEquals("qos-iops-write-max=50 needs qos-iops-write set as well",
            refused(Map.of("iops-write-max", "50")));
        assertEquals("qos-bps-total-max=5 cannot be lower than qos-bps-total=10",
            refused(Map.of("bps-total", "10", "bps-total-max", "5")));
        assertEquals("qos-iops-total-max-length cannot be 0 (seconds, at least 1)",
            refused(Map.of("iops-total", "10", "iops-total-max", "20", "iops-total-max-length", "0")));
        assertEquals("qos-iops-total-max-length=3 needs qos-iops-total-max set as well",
            refused(Map.of("iops-total", "10", "iops-total-max-length", "3")));
        // Totals of one unit and directions of the other mix freely, as in QEMU.
        assertTrue(parse(Map.of("iops-total", "10", "bps-read", "4096")).limited());
    }
}
