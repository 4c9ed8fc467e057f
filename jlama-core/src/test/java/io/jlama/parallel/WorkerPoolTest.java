package io.jlama.parallel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerPoolTest {
    /** Thousands of back-to-back tasks: every item is done exactly once, whoever joins, and run returns only after. */
    @Test
    void everyItemExactlyOnce() {
        try (WorkerPool pool = new WorkerPool(4)) {
            int items = 997;
            for (int round = 0; round < 3000; round++) {
                AtomicInteger next = new AtomicInteger();
                AtomicIntegerArray done = new AtomicIntegerArray(items);
                pool.run((w, n) -> {
                    assertTrue(w >= 0 && w < n && n == 4);
                    for (int i = next.getAndIncrement(); i < items; i = next.getAndIncrement()) done.incrementAndGet(i);
                });
                for (int i = 0; i < items; i++) assertEquals(1, done.get(i), "round " + round + " item " + i);
            }
        }
    }

    @Test
    void aFailureReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicInteger next = new AtomicInteger();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run((w, n) -> {
                if (next.getAndIncrement() == 0) throw new IllegalStateException("boom");
            }));
            assertEquals("boom", e.getMessage());
            // the pool still works afterwards
            AtomicInteger count = new AtomicInteger();
            AtomicInteger items = new AtomicInteger();
            pool.run((w, n) -> {
                while (items.getAndIncrement() < 10) count.incrementAndGet();
            });
            assertEquals(10, count.get());
        }
    }
}
