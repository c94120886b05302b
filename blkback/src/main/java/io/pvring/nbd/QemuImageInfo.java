package io.pvring.nbd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@code qemu-img info --output=json} says of an image: its format and virtual size. Only the top-level
 * members are read (nested objects such as vmdk extents have their own {@code format}).
 *
 * @param format      qemu's format name ({@code qcow2}, {@code raw}, {@code vmdk}...).
 * @param virtualSize the disk size in bytes.
 */
public record QemuImageInfo(String format, long virtualSize)
{
    /**
     * Runs {@code qemu-img info} on {@code image} (bounded), its output going to {@code scratch}.
     *
     * @throws IOException naming the image and quoting qemu-img when it fails or its output lacks the members.
     */
    public static QemuImageInfo probe(final String qemuImg, final Path image, final Path scratch,
        final long timeoutMs) throws IOException
    {
        final Path out = scratch.resolve("qemu-img-info.json");
        final Process process = new ProcessBuilder(List.of(qemuImg, "info", "--output=json",
            image.toAbsolutePath().toString()))
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
        try
        {
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                throw new IOException("qemu-img info " + image + " did not finish within " + timeoutMs + " ms");
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while probing " + image, ex);
        }
        final String json = Files.readString(out, StandardCharsets.UTF_8);
        Files.deleteIfExists(out);
        if (process.exitValue() != 0)
        {
            throw new IOException("qemu-img info " + image + " failed (exit " + process.exitValue() + "): " +
                json.strip());
        }
        return parse(json, image.toString());
    }

    /** Parses qemu-img's JSON; {@code what} names the image in errors. */
    public static QemuImageInfo parse(final String json, final String what) throws IOException
    {
        final String format = topLevelValue(json, "format");
        final String size = topLevelValue(json, "virtual-size");
        if (format == null || size == null || !format.startsWith("\"") || !format.matches("\"[a-z0-9_-]+\""))
        {
            throw new IOException("qemu-img info " + what + ": no format or virtual-size in " + json.strip());
        }
        try
        {
            return new QemuImageInfo(format.substring(1, format.length() - 1), Long.parseLong(size));
        }
        catch (final NumberFormatException ex)
        {
            throw new IOException("qemu-img info " + what + ": virtual-size " + size, ex);
        }
    }

    /** The raw text of a member of the outermost object (strings keep their quotes), or null. */
    private static String topLevelValue(final String json, final String key)
    {
        int depth = 0;
        boolean expectKey = false;
        for (int i = 0; i < json.length(); i++)
        {
            final char c = json.charAt(i);
            if (c == '"')
            {
                final int end = stringEnd(json, i);
                if (depth == 1 && expectKey)
                {
                    final String name = json.substring(i + 1, end);
                    int colon = end + 1;
                    while (colon < json.length() && Character.isWhitespace(json.charAt(colon)))
                    {
                        colon++;
                    }
                    if (name.equals(key) && colon < json.length() && json.charAt(colon) == ':')
                    {
                        return valueAt(json, colon + 1);
                    }
                }
                expectKey = false;
                i = end;
            }
            else if (c == '{' || c == '[')
            {
                depth++;
                expectKey = c == '{';
            }
            else if (c == '}' || c == ']')
            {
                depth--;
            }
            else if (c == ',')
            {
                expectKey = depth >= 1;
            }
        }
        return null;
    }

    private static int stringEnd(final String json, final int start)
    {
        int i = start + 1;
        while (i < json.length() && json.charAt(i) != '"')
        {
            i += json.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(i, json.length() - 1);
    }

    private static String valueAt(final String json, final int from)
    {
        int i = from;
        while (i < json.length() && Character.isWhitespace(json.charAt(i)))
        {
            i++;
        }
        if (i < json.length() && json.charAt(i) == '"')
        {
            return json.substring(i, stringEnd(json, i) + 1);
        }
        int end = i;
        while (end < json.length() && ",}]".indexOf(json.charAt(end)) < 0 && !Character.isWhitespace(json.charAt(end)))
        {
            end++;
        }
        return json.substring(i, end);
    }
}
