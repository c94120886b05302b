package io.pvring.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The little JSON the results files need: a writer for maps, lists, strings, numbers and booleans, and a strict
 * parser back to the same types (objects keep their key order). Parse errors name the offset.
 */
public final class Json
{
    private final String text;
    private int pos;

    private Json(final String text)
    {
        this.text = text;
    }

    /** Pretty-printed JSON of {@code value}. */
    public static String write(final Object value)
    {
        final StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.append('\n').toString();
    }

    /** Parses a JSON document into maps, lists, strings, doubles, longs, booleans and nulls. */
    public static Object parse(final String text)
    {
        final Json parser = new Json(text);
        parser.skipSpace();
        final Object value = parser.value();
        parser.skipSpace();
        if (parser.pos != text.length())
        {
            throw parser.error("trailing characters");
        }
        return value;
    }

    private static void write(final StringBuilder out, final Object value, final int indent)
    {
        if (value == null)
        {
            out.append("null");
        }
        else if (value instanceof Map<?, ?> map)
        {
            if (map.isEmpty())
            {
                out.append("{}");
                return;
            }
            out.append("{\n");
            int i = 0;
            for (final Map.Entry<?, ?> entry : map.entrySet())
            {
                out.append("  ".repeat(indent + 1));
                string(out, entry.getKey().toString());
                out.append(": ");
                write(out, entry.getValue(), indent + 1);
                out.append(++i < map.size() ? ",\n" : "\n");
            }
            out.append("  ".repeat(indent)).append('}');
        }
        else if (value instanceof List<?> list)
        {
            if (list.isEmpty())
            {
                out.append("[]");
                return;
            }
            out.append("[\n");
            for (int i = 0; i < list.size(); i++)
            {
                out.append("  ".repeat(indent + 1));
                write(out, list.get(i), indent + 1);
                out.append(i + 1 < list.size() ? ",\n" : "\n");
            }
            out.append("  ".repeat(indent)).append(']');
        }
        else if (value instanceof Double || value instanceof Float)
        {
            final double d = ((Number)value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d))
            {
                out.append("null");
            }
            else if (d == Math.rint(d) && Math.abs(d) < 1e15)
            {
                out.append((long)d);
            }
            else
            {
                out.append(String.format(Locale.ROOT, "%.4f", d).replaceAll("0+$", "").replaceAll("\\.$", ""));
            }
        }
        else if (value instanceof Number || value instanceof Boolean)
        {
            out.append(value);
        }
        else
        {
            string(out, value.toString());
        }
    }

    private static void string(final StringBuilder out, final String s)
    {
        out.append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    private Object value()
    {
        if (pos >= text.length())
        {
            throw error("unexpected end");
        }
        final char c = text.charAt(pos);
        switch (c)
        {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return stringValue();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                return number();
        }
    }

    private Map<String, Object> object()
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        pos++;
        skipSpace();
        if (peek() == '}')
        {
            pos++;
            return map;
        }
        while (true)
        {
            skipSpace();
            if (peek() != '"')
            {
                throw error("expected a key");
            }
            final String key = stringValue();
            skipSpace();
            expect(':');
            skipSpace();
            map.put(key, value());
            skipSpace();
            if (peek() == ',')
            {
                pos++;
                continue;
            }
            expect('}');
            return map;
        }
    }

    private List<Object> array()
    {
        final List<Object> list = new ArrayList<>();
        pos++;
        skipSpace();
        if (peek() == ']')
        {
            pos++;
            return list;
        }
        while (true)
        {
            skipSpace();
            list.add(value());
            skipSpace();
            if (peek() == ',')
            {
                pos++;
                continue;
            }
            expect(']');
            return list;
        }
    }

    private String stringValue()
    {
        expect('"');
        final StringBuilder out = new StringBuilder();
        while (true)
        {
            if (pos >= text.length())
            {
                throw error("unterminated string");
            }
            final char c = text.charAt(pos++);
            if (c == '"')
            {
                return out.toString();
            }
            if (c != '\\')
            {
                out.append(c);
                continue;
            }
            final char e = text.charAt(pos++);
            switch (e)
            {
                case 'n':
                    out.append('\n');
                    break;
                case 'r':
                    out.append('\r');
                    break;
                case 't':
                    out.append('\t');
                    break;
                case 'b':
                    out.append('\b');
                    break;
                case 'f':
                    out.append('\f');
                    break;
                case 'u':
                    out.append((char)Integer.parseInt(text.substring(pos, pos + 4), 16));
                    pos += 4;
                    break;
                default:
                    out.append(e);
            }
        }
    }

    private Object number()
    {
        final int start = pos;
        while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0)
        {
            pos++;
        }
        final String n = text.substring(start, pos);
        if (n.isEmpty())
        {
            throw error("unexpected character '" + text.charAt(start) + "'");
        }
        try
        {
            if (n.indexOf('.') < 0 && n.indexOf('e') < 0 && n.indexOf('E') < 0)
            {
                return Long.parseLong(n);
            }
            return Double.parseDouble(n);
        }
        catch (final NumberFormatException ex)
        {
            throw error("bad number '" + n + "'");
        }
    }

    private Object literal(final String word, final Object value)
    {
        if (!text.startsWith(word, pos))
        {
            throw error("expected " + word);
        }
        pos += word.length();
        return value;
    }

    private char peek()
    {
        if (pos >= text.length())
        {
            throw error("unexpected end");
        }
        return text.charAt(pos);
    }

    private void expect(final char c)
    {
        if (peek() != c)
        {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private void skipSpace()
    {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos)))
        {
            pos++;
        }
    }

    private IllegalArgumentException error(final String what)
    {
        return new IllegalArgumentException("JSON " + what + " at offset " + pos);
    }
}
