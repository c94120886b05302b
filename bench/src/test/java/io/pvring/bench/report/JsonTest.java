package io.pvring.bench.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest
{
    @Test
    void writesAndParsesBackTheSameValues()
    {
        final Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", "ring \"a\"\n\\b\u0001");
        doc.put("count", 42L);
        doc.put("rate", 1.5);
        doc.put("whole", 3.0);
        doc.put("ok", true);
        doc.put("none", null);
        doc.put("list", List.of(1L, "two", Map.of()));

        final Object parsed = Json.parse(Json.write(doc));

        final Map<String, Object> expected = new LinkedHashMap<>(doc);
        expected.put("whole", 3L);
        assertEquals(expected, parsed);
        assertEquals(List.copyOf(doc.keySet()), List.copyOf(((Map<?, ?>)parsed).keySet()), "key order kept");
    }

    @Test
    void malformedInputNamesTheOffset()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> Json.parse("{\"a\": [1, 2}"));
        assertTrue(ex.getMessage().contains("offset 11"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{} x"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"open"));
    }

    @Test
    void schemaNamesEachMissingPart()
    {
        final Object doc = Json.parse("{\"format\":\"pvring-bench-results\",\"version\":1,\"records\":[{"
            + "\"benchmark\":\"ring\",\"params\":{},\"ops_per_sec\":-1,\"bytes_per_sec\":0,"
            + "\"latency_us\":{\"p50\":1,\"p99\":2,\"p999\":3},\"notifications\":{\"sent\":0,\"suppressed\":0},"
            + "\"environment\":{\"jdk\":\"17\",\"cpus\":2}}]}");

        assertEquals(List.of(
            "$.records[0].ops_per_sec: expected a number >= 0, got -1",
            "$.records[0].latency_us.max: expected a number >= 0, got null"), ResultsSchema.check(doc));
    }
}
