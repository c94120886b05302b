package io.pvring.testing;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CProgramTest
{
    private static final String ECHO_SUM = String.join("\n",
        "#include <stdio.h>",
        "int main(int argc, char **argv)",
        "{",
        "    long long sum = 0, v;",
        "    while (scanf(\"%lld\", &v) == 1) sum += v;",
        "    printf(\"sum %lld\\nargc %d\\n\", sum, argc);",
        "    return 3;",
        "}",
        "");

    @Test
    void compilesOncePerSourceAndRunsWithStdinAndArguments()
    {
        final CProgram program = CProgram.fromSource("echo_sum", ECHO_SUM);
        assertSame(program.binary(), CProgram.fromSource("echo_sum", ECHO_SUM).binary());
        final CProgram.Result result = program.run("1 2 -40\n".getBytes(StandardCharsets.US_ASCII), 30, "a", "b");
        assertEquals(3, result.exitCode());
        final CValues values = result.values();
        assertEquals(-37, values.get("sum"));
        assertEquals(3, values.getInt("argc"));
    }

    @Test
    void compileErrorsFailWithGccOutput()
    {
        final CProgram broken = CProgram.fromSource("broken", "int main(void) { int unused; return 0; }\n");
        final IllegalStateException ex = assertThrows(IllegalStateException.class, broken::binary);
        assertTrue(ex.getMessage().contains("unused"), ex.getMessage());
    }

    @Test
    void valuesParserIsStrict()
    {
        final CValues values = CValues.parse("a.b 4\n\nsizeof.x -2\n");
        assertEquals(4, values.get("a.b"));
        assertEquals(-2, values.get("sizeof.x"));
        assertTrue(values.contains("a.b"));
        assertFalse(values.contains("a"));
        assertEquals(2, values.size());
        assertThrows(IllegalArgumentException.class, () -> values.get("a"));
        assertThrows(IllegalArgumentException.class, () -> CValues.parse("a 1\na 1\n"));
        assertThrows(IllegalArgumentException.class, () -> CValues.parse("a x\n"));
        assertThrows(IllegalArgumentException.class, () -> CValues.parse("novalue\n"));
    }

    @Test
    void xenAbiProgramPrintsEveryLayoutOnce()
    {
        final CValues c = XenAbi.values();
        assertSame(c, XenAbi.values());
        assertEquals(112, c.get("sizeof.blkif_request"));
        assertEquals(108, c.get("sizeof.blkif_x86_32_request"));
        assertEquals(8, c.get("sizeof.grant_entry_v1"));
        assertEquals(16, c.get("sizeof.xsd_sockmsg"));
        assertEquals(4, c.get("XenbusStateConnected"));
    }

    @Test
    void constantsAreComparedByName()
    {
        assertEquals(3, XenAbi.assertConstantsMatch(Sample.class));
        final AssertionFailedError error =
            assertThrows(AssertionFailedError.class, () -> XenAbi.assertConstantsMatch(Wrong.class));
        assertTrue(error.getMessage().contains("Wrong.XS_READ"), error.getMessage());
    }

    /** Constants named as in the headers; one the headers lack. */
    public static final class Sample
    {
        public static final int XS_READ = 2;
        public static final long BLKIF_RSP_EOPNOTSUPP = -2;
        public static final int GTF_PERMIT_ACCESS = 1;
        public static final int XS_NOT_IN_THE_HEADERS = 99;
    }

    /** A mirror with a wrong value. */
    public static final class Wrong
    {
        public static final int XS_READ = 3;
    }
}
