package io.jlama.sampling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A deliberately naive transcription of llama.cpp's filter rules (llama-sampler.cpp: top_k, typical, top_p, min_p) on
 * lists of objects with full sorts, to cross-check the sampler's heap selection, prefix selection and radix sorts.
 * Ties are broken by token id, as the sampler does (llama.cpp leaves them to std::sort / std::partial_sort).
 */
final class ReferenceChain {
    private ReferenceChain() {
    }

    record C(int id, float logit) {
    }

    private static final Comparator<C> BY_LOGIT = (a, b) -> {
        float x = a.logit + 0.0f, y = b.logit + 0.0f;
        if (x != y) return x > y ? -1 : 1;
        return Integer.compare(a.id, b.id);
    };

    /** Survivor ids, ascending, of bias/penalty-free logits under o's top-k, typical-p, top-p and min-p. */
    static int[] survivors(float[] logits, SamplerOptions o) {
        List<C> c = new ArrayList<>();
        for (int i = 0; i < logits.length; i++) c.add(new C(i, logits[i]));
        boolean sorted = false;
        int minKeep = o.minKeep();

        int k = o.topK();
        if (k > 0) {
            k = Math.min(k, c.size());
            c.sort(BY_LOGIT);
            c = new ArrayList<>(c.subList(0, k));
            sorted = true;
        }

        if (o.typicalP() < 1f) {
            c.sort(BY_LOGIT);
            float[] p = softmax(c, c.get(0).logit);
            float entropy = 0f;
            for (float q : p) if (q > 0f) entropy += -q * (float) Math.log(q);
            float h = entropy;
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < c.size(); i++) idx.add(i);
            float[] score = new float[c.size()];
            for (int i = 0; i < c.size(); i++) score[i] = Math.abs(-(float) Math.log(p[i]) - h);
            idx.sort(Comparator.comparingDouble(i -> score[i])); // stable: ties keep the logit order
            float cum = 0f;
            int last = idx.size();
            for (int i = 0; i < idx.size(); i++) {
                cum += p[idx.get(i)];
                if (cum > o.typicalP() && (minKeep == 0 || i >= minKeep - 1)) {
                    last = i + 1;
                    break;
                }
            }
            List<C> next = new ArrayList<>();
            for (int i = 0; i < last; i++) next.add(c.get(idx.get(i)));
            c = next;
            sorted = false;
        }

        if (o.topP() < 1f) {
            float max = Float.NEGATIVE_INFINITY;
            for (C x : c) max = Math.max(max, x.logit);
            float sum = 0f;
            for (C x : c) sum += (float) Math.exp(x.logit - max);
            c.sort(BY_LOGIT);
            float cum = 0f;
            int last = c.size();
            for (int i = 0; i < c.size(); i++) {
                cum += (float) Math.exp(c.get(i).logit - max) / sum;
                if (cum >= o.topP() && i + 1 >= minKeep) {
                    last = i + 1;
                    break;
                }
            }
            c = new ArrayList<>(c.subList(0, last));
            sorted = true;
        }

        if (o.minP() > 0f && !c.isEmpty()) {
            boolean applied = false;
            if (!sorted) {
                float max = -Float.MAX_VALUE;
                for (C x : c) max = Math.max(max, x.logit);
                float minLogit = max + (float) Math.log(o.minP());
                List<C> f = new ArrayList<>();
                for (C x : c) if (x.logit >= minLogit) f.add(x);
                if (!f.isEmpty() && f.size() >= minKeep) {
                    c = f;
                    applied = true;
                }
            }
            if (!applied) {
                c.sort(BY_LOGIT);
                float minLogit = c.get(0).logit + (float) Math.log(o.minP());
                int i = 1;
                for (; i < c.size(); i++) {
                    if (c.get(i).logit < minLogit && i >= minKeep) break;
                }
                c = new ArrayList<>(c.subList(0, i));
            }
        }
        return c.stream().mapToInt(C::id).sorted().toArray();
    }

    private static float[] softmax(List<C> c, float max) {
        float[] p = new float[c.size()];
        float sum = 0f;
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) Math.exp(c.get(i).logit - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }
}
