package io.pvring.testing;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Numbers printed by a C program as {@code name value} lines, one per line ({@code value} a signed decimal), so ABI
 * tests read {@code assertEquals(c.get("blkif_request.id"), BlkifRequestDescriptor.ID_OFFSET)}.
 */
public final class CValues
{
    private final Map<String, Long> values;

    private CValues(final Map<String, Long> values)
    {
        this.values = values;
    }

    /**
     * @throws IllegalArgumentException on a malformed line or a name printed twice (two different answers for one
     *     question would make an ABI test meaningless).
     */
    public static CValues parse(final String text)
    {
        final Map<String, Long> map = new LinkedHashMap<>();
        int lineNumber = 0;
        for (final String raw : text.split("\n"))
        {
            lineNumber++;
            final String line = raw.strip();
            if (line.isEmpty())
            {
                continue;
            }
            final int space = line.lastIndexOf(' ');
            if (space <= 0)
            {
                throw new IllegalArgumentException("line " + lineNumber + " is not \"name value\": " + line);
            }
            final String name = line.substring(0, space).strip();
            final long value;
            try
            {
                value = Long.parseLong(line.substring(space + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("line " + lineNumber + " has no decimal value: " + line, ex);
            }
            if (map.put(name, value) != null)
            {
                throw new IllegalArgumentException("line " + lineNumber + " repeats name=" + name);
            }
        }
        return new CValues(Collections.unmodifiableMap(map));
    }

    /**
     * The value printed for {@code name}.
     *
     * @throws IllegalArgumentException if the program printed no such name (a typo in a test must not pass).
     */
    public long get(final String name)
    {
        final Long value = values.get(name);
        if (value == null)
        {
            throw new IllegalArgumentException("the C program printed no name=" + name);
        }
        return value;
    }

    /** {@link #get(String)} narrowed to an int, for offsets and sizes. */
    public int getInt(final String name)
    {
        return Math.toIntExact(get(name));
    }

    public boolean contains(final String name)
    {
        return values.containsKey(name);
    }

    public Map<String, Long> asMap()
    {
        return values;
    }

    public int size()
    {
        return values.size();
    }

    @Override
    public String toString()
    {
        return "CValues{" + values.size() + " names}";
    }
}
