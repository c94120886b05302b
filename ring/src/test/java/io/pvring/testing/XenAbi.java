package io.pvring.testing;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Assertions;

/**
 * The Xen PV I/O ABI as gcc computes it from the installed public headers: one shared C program
 * ({@code xen_abi.c} in the ring test resources) prints every size, offset and constant the pvring modules mirror,
 * and each module's ABI test asserts the part it owns.
 *
 * <p>Names, as printed: {@code sizeof.<struct>} is a size; {@code <struct>.<field>} an offset (nested fields with
 * dots, e.g. {@code netif_extra_info.u.gso.size}); constants keep their C name ({@code BLKIF_OP_READ},
 * {@code XS_WATCH_EVENT}, {@code XenbusStateConnected}, {@code GTF_permit_access}); {@code ring_entries.<slot>.<order>}
 * is {@code __CONST_RING_SIZE} for a ring of {@code 4096 << order} bytes with slot sizes 112 (blkif), 108
 * (blkif x86_32), 12 (netif tx), 8 (netif rx), 16 (netif ctrl); {@code xsd_errors.<ENAME>} is the errno and
 * {@code xsd_errors_index.<ENAME>} the position in {@code xs_wire.h}'s {@code xsd_errors[]}. The x86_32 blkif
 * structs are printed as {@code blkif_x86_32_request} etc. (the Xen headers have none: {@code blkif.h} is compiled
 * a second time under {@code #pragma pack(4)} with {@code __i386__} defined).
 *
 * <p>Skips (or fails under {@code PVRING_REQUIRE_TOOLS=1}) when gcc or libxen-dev is missing.
 */
public final class XenAbi
{
    private static volatile CValues values;

    private XenAbi()
    {
    }

    /** The program itself, for tests that want to run it differently. */
    public static CProgram program()
    {
        return CProgram.fromResource(XenAbi.class, "xen_abi.c");
    }

    /** Every name and value {@code xen_abi.c} prints, computed once per JVM. */
    public static CValues values()
    {
        CValues result = values;
        if (result == null)
        {
            synchronized (XenAbi.class)
            {
                result = values;
                if (result == null)
                {
                    result = program().runOk().values();
                    values = result;
                }
            }
        }
        return result;
    }

    /**
     * Compares every {@code public static final} int or long constant of {@code holder} whose name is, ignoring case,
     * a constant {@code xen_abi.c} prints ({@code XS_READ}; {@code GTF_PERMIT_ACCESS} for {@code GTF_permit_access})
     * with gcc's value, so a Java mirror of a header's constants is checked in one line. Constants the installed
     * headers lack (later Xen additions) are left alone.
     *
     * @return how many constants were compared, for the caller to assert a floor on (a rename must not silently turn
     *     the check into a no-op).
     */
    public static int assertConstantsMatch(final Class<?> holder)
    {
        final CValues c = values();
        final Map<String, String> byUpperCase = new HashMap<>();
        for (final String name : c.asMap().keySet())
        {
            if (byUpperCase.put(name.toUpperCase(Locale.ROOT), name) != null)
            {
                throw new IllegalStateException("xen_abi.c prints two names equal ignoring case: " + name);
            }
        }
        int compared = 0;
        for (final Field field : holder.getDeclaredFields())
        {
            final int modifiers = field.getModifiers();
            final Class<?> type = field.getType();
            if (!Modifier.isPublic(modifiers) || !Modifier.isStatic(modifiers) || !Modifier.isFinal(modifiers)
                || (type != int.class && type != long.class))
            {
                continue;
            }
            final String cName = byUpperCase.get(field.getName().toUpperCase(Locale.ROOT));
            if (cName == null)
            {
                continue;
            }
            final long javaValue;
            try
            {
                javaValue = type == int.class ? field.getInt(null) : field.getLong(null);
            }
            catch (final IllegalAccessException ex)
            {
                throw new IllegalStateException(ex);
            }
            Assertions.assertEquals(c.get(cName), javaValue,
                holder.getSimpleName() + '.' + field.getName() + " differs from the Xen header's " + cName);
            compared++;
        }
        return compared;
    }
}
