package dev.llamaj.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llamaj.testdata.SharedData;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** One tokenizer shared by several threads encoding and decoding at once gives the reference results. */
class ConcurrencyTest {

    @Test
    void manyThreadsShareOneTokenizer() throws Exception {
        Tokenizer llama = Tokenizer.load(SharedData.file(ReferenceCases.LLAMA2_MODEL));
        List<ReferenceCases.Case> cases = ReferenceCases.jsonl("tokenizer/expected-ids.jsonl");
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t * 37;
                results.add(pool.submit(() -> {
                    start.await();
                    int mismatches = 0;
                    for (int round = 0; round < 5; round++) {
                        for (int k = 0; k < cases.size(); k++) {
                            ReferenceCases.Case c = cases.get((k + offset) % cases.size());
                            int[] ids = llama.encode(c.text());
                            if (!java.util.Arrays.equals(ids, c.ids()) || !llama.decode(ids).equals(c.decoded())) {
                                mismatches++;
                            }
                        }
                    }
                    return mismatches;
                }));
            }
            start.countDown();
            for (Future<Integer> r : results) {
                assertThat(r.get()).isZero();
            }
        }
    }
}
