package io.pvring.netback.ctrl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import io.pvring.netback.test.RequiredTools;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

class ToeplitzTest
{
    /** The key of Microsoft's RSS verification suite. */
    private static final String RSS_KEY =
        "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa";

    private static int hash(final String keyHex, final String dataHex)
    {
        final byte[] key = HexFormat.of().parseHex(keyHex);
        final byte[] data = HexFormat.of().parseHex(dataHex);
        return Toeplitz.hash(key, key.length, new UnsafeBuffer(data), 0, data.length);
    }

    @Test
    void matchesMicrosoftRssVerificationVectors()
    {
        // 66.9.149.187:2794 -> 161.142.100.80:1766
        assertEquals(0x323e8fc2, hash(RSS_KEY, "420995bba18e6450"));
        assertEquals(0x51ccc178, hash(RSS_KEY, "420995bba18e64500aea06e6"));
        // 199.92.111.2:14230 -> 65.69.140.83:4739
        assertEquals(0xd718262a, hash(RSS_KEY, "c75c6f0241458c53"));
        assertEquals(0xc626b0ea, hash(RSS_KEY, "c75c6f0241458c5337961283"));
    }

    @Test
    void matchesTheReferenceImplementationInNetifH(@TempDir final Path dir) throws IOException
    {
        final String gcc = RequiredTools.require("gcc", "gcc");
        final Path source = dir.resolve("toeplitz.c");
        try (InputStream in = ToeplitzTest.class.getResourceAsStream("toeplitz.c"))
        {
            assertNotNull(in);
            Files.write(source, in.readAllBytes());
        }
        final Path binary = dir.resolve("toeplitz");
        RequiredTools.runOk(List.of(gcc, "-Wall", "-Werror", "-o", binary.toString(), source.toString()), 60);
        final SplittableRandom random = new SplittableRandom(7);
        final StringBuilder input = new StringBuilder();
        final String[][] cases = new String[200][];
        for (int i = 0; i < cases.length; i++)
        {
            final byte[] key = new byte[random.nextInt(1, 41)];
            final byte[] data = new byte[random.nextInt(1, 41)];
            random.nextBytes(key);
            random.nextBytes(data);
            cases[i] = new String[]{HexFormat.of().formatHex(key), HexFormat.of().formatHex(data)};
            input.append(cases[i][0]).append(' ').append(cases[i][1]).append('\n');
        }
        final Path inputFile = dir.resolve("input.txt");
        Files.writeString(inputFile, input.toString(), StandardCharsets.US_ASCII);
        final String out = RequiredTools.runOk(List.of("sh", "-c", binary + " < " + inputFile), 30);
        final String[] lines = out.trim().split("\n");
        assertEquals(cases.length, lines.length);
        for (int i = 0; i < cases.length; i++)
        {
            assertEquals(Integer.parseUnsignedInt(lines[i], 16), hash(cases[i][0], cases[i][1]),
                "key=" + cases[i][0] + " data=" + cases[i][1]);
        }
    }
}
