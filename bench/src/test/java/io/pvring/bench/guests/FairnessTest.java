package io.pvring.bench.guests;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FairnessTest
{
    @Test
    void lowestHighestAndMeanComeFromThePerGuestCounts()
    {
        final Fairness fairness = Fairness.of(new long[] {300, 100, 500, 100});

        assertEquals(1, fairness.lowestGuest(), "the first of equal lowest guests");
        assertEquals(2, fairness.highestGuest());
        assertEquals(1000, fairness.total());
        assertEquals(250.0, fairness.mean());
        assertEquals(0.4, fairness.lowestOverMean(), 1e-12);
    }

    @Test
    void theJsonObjectCarriesRatesOverTheMeasuredInterval()
    {
        final Map<String, Object> json = Fairness.of(new long[] {20, 40}).toJson(2.0);

        assertEquals(2, json.get("count"));
        assertEquals(0, json.get("lowest_guest"));
        assertEquals(10.0, json.get("lowest_ops_per_sec"));
        assertEquals(1, json.get("highest_guest"));
        assertEquals(20.0, json.get("highest_ops_per_sec"));
        assertEquals(15.0, json.get("mean_ops_per_sec"));
        assertEquals(20.0 / 30.0, (double)json.get("lowest_over_mean"), 1e-12);
        assertEquals(List.of(20L, 40L), json.get("ops"));
    }

    @Test
    void nothingDoneIsZeroNotNaN()
    {
        assertEquals(0.0, Fairness.of(new long[] {0, 0}).lowestOverMean());
        assertEquals(0.0, Fairness.of(new long[] {5}).toJson(0).get("mean_ops_per_sec"));
    }

    @Test
    void noGuestsIsAProgrammerError()
    {
        assertThrows(IllegalArgumentException.class, () -> Fairness.of(new long[0]));
    }
}
