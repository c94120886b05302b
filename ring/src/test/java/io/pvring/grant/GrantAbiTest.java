package io.pvring.grant;

import java.lang.reflect.Field;
import java.util.Locale;

import org.junit.jupiter.api.Test;

import io.pvring.testing.CProgram;
import io.pvring.testing.CValues;
import io.pvring.testing.XenAbi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link GrantTableDescriptor} and {@link GrantStatus} against gcc's view of {@code xen/grant_table.h}. */
class GrantAbiTest
{
    private static final String STATUS_PROGRAM = String.join("\n",
        "#include <stdint.h>",
        "#include <stdio.h>",
        "#include <xen/xen.h>",
        "#include <xen/grant_table.h>",
        "#define P(n) printf(\"%s %d\\n\", #n, (int)(n))",
        "int main(void)",
        "{",
        "    P(GNTST_okay); P(GNTST_general_error); P(GNTST_bad_domain); P(GNTST_bad_gntref);",
        "    P(GNTST_bad_handle); P(GNTST_bad_virt_addr); P(GNTST_bad_dev_addr); P(GNTST_no_device_space);",
        "    P(GNTST_permission_denied); P(GNTST_bad_page); P(GNTST_bad_copy_arg); P(GNTST_address_too_big);",
        "    P(GNTST_eagain); P(GNTST_no_space);",
        "    return 0;",
        "}",
        "");

    @Test
    void entryLayoutMatchesGrantEntryV1()
    {
        final CValues c = XenAbi.values();
        assertEquals(c.get("sizeof.grant_entry_v1"), GrantTableDescriptor.ENTRY_LENGTH);
        assertEquals(c.get("grant_entry_v1.flags"), GrantTableDescriptor.FLAGS_OFFSET);
        assertEquals(c.get("grant_entry_v1.domid"), GrantTableDescriptor.DOMID_OFFSET);
        assertEquals(c.get("grant_entry_v1.frame"), GrantTableDescriptor.FRAME_OFFSET);
        assertEquals(c.get("sizeof.grant_ref_t"), Integer.BYTES);
        assertEquals(1L << c.get("XEN_PAGE_SHIFT"), GrantTableDescriptor.FRAME_SIZE);
    }

    @Test
    void flagsAndReservedEntriesMatchTheHeader()
    {
        assertEquals(11, XenAbi.assertConstantsMatch(GrantTableDescriptor.class),
            "GTF_* (8) and GNTTAB_* (3) constants compared");
    }

    @Test
    void statusCodesMatchTheHeader()
    {
        final CValues c = CProgram.fromSource("grant_status", STATUS_PROGRAM).runOk().values();
        assertEquals(14, c.size());
        for (final String name : c.asMap().keySet())
        {
            assertTrue(name.startsWith("GNTST_"), name);
        }
        final int compared = compareStatuses(c);
        assertEquals(14, compared);
    }

    private static int compareStatuses(final CValues c)
    {
        int compared = 0;
        for (final Field field : GrantStatus.class.getFields())
        {
            final String cName = "GNTST_" + field.getName().substring("GNTST_".length()).toLowerCase(Locale.ROOT);
            try
            {
                assertEquals(c.get(cName), field.getInt(null), field.getName());
            }
            catch (final IllegalAccessException ex)
            {
                throw new IllegalStateException(ex);
            }
            compared++;
        }
        return compared;
    }
}
