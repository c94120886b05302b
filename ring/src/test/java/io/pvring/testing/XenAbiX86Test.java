package io.pvring.testing;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code xen_abi.c} derives the x86_32 blkif layout on x86_64 (a second pass over {@code blkif.h} under
 * {@code #pragma pack(4)} with {@code __i386__}); this proves the derivation against gcc's real i386 target: every
 * {@code blkif_x86_32_*} size and offset it printed becomes a {@code _Static_assert} on the plain {@code blkif_*}
 * names, compiled with {@code gcc -m32 -ffreestanding -fsyntax-only} (no 32-bit libc needed).
 */
class XenAbiX86Test
{
    @Test
    void x86BlkifLayoutDerivedUnderPack4MatchesGccM32()
    {
        final CValues c = XenAbi.values();
        final StringBuilder source = new StringBuilder()
            .append("#include <stddef.h>\n#include <stdint-gcc.h>\n#include <xen/io/blkif.h>\n");
        int asserts = 0;
        for (final Map.Entry<String, Long> e : c.asMap().entrySet())
        {
            final String name = e.getKey();
            final String expression;
            if (name.startsWith("sizeof.blkif_x86_32_") && !name.endsWith("_sring_entry"))
            {
                expression = "sizeof(struct blkif_" + name.substring("sizeof.blkif_x86_32_".length()) + ")";
            }
            else if (name.equals("sizeof.blkif_x86_32_sring_entry"))
            {
                expression = "sizeof(union blkif_sring_entry)";
            }
            else if (name.startsWith("blkif_x86_32_") && !name.startsWith("blkif_x86_32_sring"))
            {
                final String rest = name.substring("blkif_x86_32_".length());
                final int dot = rest.indexOf('.');
                expression = "offsetof(struct blkif_" + rest.substring(0, dot) + ", " + rest.substring(dot + 1) + ")";
            }
            else
            {
                continue;
            }
            source.append("_Static_assert(").append(expression).append(" == ").append(e.getValue())
                .append(", \"").append(name).append("\");\n");
            asserts++;
        }
        assertTrue(asserts >= 30, "asserts=" + asserts);
        CProgram.fromSource("xen_abi_m32", source.toString()).assertCompiles("-m32", "-ffreestanding");
    }
}
