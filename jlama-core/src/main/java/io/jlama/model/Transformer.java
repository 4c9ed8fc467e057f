package io.jlama.model;

import io.jlama.ops.Activations;
import io.jlama.ops.Norms;
import io.jlama.ops.Rope;
import io.jlama.ops.Softmax;
import io.jlama.ops.VectorOps;
import io.jlama.parallel.WorkerPool;
import io.jlama.tensor.Int8Batch;
import io.jlama.tensor.Tensor;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The one generic decoder-only transformer forward pass. Architecture differences come in as data
 * ({@link Architecture}, {@link ModelConfig}); weights are shared, read-only, by every {@link State}.
 *
 * <p>Tokens are processed in batches: every projection is a matrix-matrix product over the batch, so each weight
 * row read from memory serves all tokens of the batch. The numerics follow llama.cpp's CPU backend with an F32 KV
 * cache (see the ops classes), so logits agree with it to float rounding for F32 weights.
 */
public final class Transformer {
    private final ModelConfig c;
    private final Weights w;
    private final Rope rope;
    /** RoPE of the sliding-window layers when their base differs (Gemma-3 rope.freq_base_swa), else null. */
    private final Rope ropeSwa;
    /** Phi-3 LongRoPE: the RoPE of sessions longer than the original context (rope_factors_long), else null. */
    private final Rope ropeLong;

    public Transformer(ModelConfig config, Weights weights) {
        this.c = config;
        this.w = weights;
        float[] factors = weights.ropeFreqs != null ? weights.ropeFreqs : weights.ropeFactorsShort;
        this.rope = rope(config.ropeFreqBase(), factors);
        this.ropeLong = weights.ropeFreqs == null && weights.ropeFactorsLong != null ? rope(config.ropeFreqBase(), weights.ropeFactorsLong) : null;
        boolean anySwa = false;
        for (boolean b : config.swaLayers()) anySwa |= b;
        this.ropeSwa = anySwa && config.ropeFreqBaseSwa() != config.ropeFreqBase() ? rope(config.ropeFreqBaseSwa(), factors) : null;
    }

    private Rope rope(float base, float[] factors) {
        ModelConfig.Yarn y = c.yarn();
        if (y == null) return new Rope(c.arch().ropeStyle(), c.ropeDimensions(), base, c.ropeFreqScale(), factors, 0, 0f, 0f, 0f, c.ropeAttnFactor());
        return new Rope(c.arch().ropeStyle(), c.ropeDimensions(), base, c.ropeFreqScale(), factors,
                y.origContext(), y.betaFast(), y.betaSlow(), y.extFactor(), y.attnFactor());
    }

    public ModelConfig config() {
        return c;
    }

    public Weights weights() {
        return w;
    }

    /** Per-session state: the KV cache, the current position, and scratch buffers sized once for a batch. */
    public final class State {
        final KvCache kv;
        final int maxBatch;
        int position;
        // activations, [batch][width]
        final float[] x, xb, xb2, q, k, v, att, hb, hb2;
        final float[] fused; // output of fused projections before they are split (Phi-3), else null
        final float[] cos, sin;
        final Rope rope; // the model's RoPE, or its LongRoPE variant when this session is longer than the original context
        final float[] cosSwa, sinSwa; // angles of the sliding-window layers' RoPE, or null
        final float[][] scores; // per worker
        // mixture of experts (null for dense models). router: logits [batch][experts]. expSel, expWeight: each
        // token's chosen experts and their weights [batch][k]. The batch's (token, choice) pairs are grouped by
        // expert: expert e owns grouped rows [expStart[e], expStart[e+1]), tokens ascending, and expRow[t*k + j]
        // is the grouped row of token t's j-th choice. expIn: the grouped FFN inputs [batch*k][d]; gateExp, upExp:
        // gate/up outputs [batch*k][ffe] (gateExp then holds the hidden vectors); expOut: the down outputs
        // [batch*k][d], sharing expIn's memory (the inputs are dead once gate/up ran).
        final float[] router, expWeight, expIn, gateExp, upExp, expOut;
        final int[] expSel, expRow, expStart, expFill;
        final float[][] kvRow; // per worker: one head's keys or values converted from an F16 cache
        private float[] logitsBatch; // only for callers that want the logits of every position
        final MatmulTask matmul;
        final AttentionTask attention = new AttentionTask();

        State(int contextLength, int maxBatch, int workers, KvCache.Type kvType) {
            this.kv = new KvCache(c, contextLength, kvType, maxBatch);
            this.rope = ropeLong != null && contextLength > c.ropeOrigContext() ? ropeLong : Transformer.this.rope;
            this.kvRow = new float[workers][Math.max(c.headDimK(), c.headDimV())];
            this.maxBatch = maxBatch;
            int d = c.embeddingLength();
            x = new float[maxBatch * d];
            xb = new float[maxBatch * Math.max(d, c.headCount() * c.headDimV())];
            xb2 = new float[maxBatch * d];
            q = new float[maxBatch * c.qDim()];
            k = new float[maxBatch * c.kDim()];
            v = new float[maxBatch * c.vDim()];
            att = new float[maxBatch * c.headCount() * c.headDimV()];
            hb = new float[maxBatch * c.feedForwardLength()];
            hb2 = new float[maxBatch * c.feedForwardLength()];
            fused = c.arch().fusedQkv() || c.arch().fusedGateUp()
                    ? new float[maxBatch * Math.max(c.qDim() + c.kDim() + c.vDim(), 2 * c.feedForwardLength())] : null;
            cos = new float[maxBatch * Math.max(1, c.ropeDimensions() / 2)];
            sin = new float[maxBatch * Math.max(1, c.ropeDimensions() / 2)];
            cosSwa = ropeSwa != null ? new float[cos.length] : null;
            sinSwa = ropeSwa != null ? new float[sin.length] : null;
            scores = new float[workers][contextLength];
            if (c.moe()) {
                int ne = c.expertCount(), ffe = c.expertFeedForwardLength(), pairs = maxBatch * c.expertUsedCount();
                router = new float[maxBatch * ne];
                expSel = new int[pairs];
                expWeight = new float[pairs];
                expRow = new int[pairs];
                expStart = new int[ne + 1];
                expFill = new int[ne];
                expIn = expOut = new float[pairs * d];
                gateExp = new float[pairs * ffe];
                upExp = new float[pairs * ffe];
                matmul = new MatmulTask(Math.max(3, 2 * ne)); // gate and up of every expert in one pass
            } else {
                router = expWeight = expIn = gateExp = upExp = expOut = null;
                expSel = expRow = expStart = expFill = null;
                matmul = new MatmulTask(3);
            }

        }

        float[] logitsBatch() {
            if (logitsBatch == null) logitsBatch = new float[maxBatch * c.vocabSize()];
            return logitsBatch;
        }

        /** The next position to be written: the number of tokens in the cache. */
        public int position() {
            return position;
        }

        /** Forgets tokens from {@code pos} on (the cache keeps them but they will be overwritten). */
        public void rewind(int pos) {
            if (pos < 0 || pos > position) throw new IllegalArgumentException("cannot rewind to " + pos + " from " + position);
            position = pos;
        }

        public int contextLength() {
            return kv.capacity();
        }

        public KvCache kvCache() {
            return kv;
        }
    }

    /**
     * A new state with room for {@code contextLength} positions, processing at most {@code maxBatch} tokens per
     * step, for a pool of {@code workers} threads.
     */
    public State newState(int contextLength, int maxBatch, int workers) {
        return newState(contextLength, maxBatch, workers, KvCache.Type.F32);
    }

    public State newState(int contextLength, int maxBatch, int workers, KvCache.Type kvType) {
        return new State(contextLength, maxBatch, workers, kvType);
    }

    /**
     * Feeds {@code tokens[off .. off+n)} at the state's current position and advances it. Writes the logits of the
     * last token to {@code logits[0 .. vocab)}, or with {@code allLogits} the logits of every token, row after row.
     * {@code logits} may be null when no logits are needed.
     */
    public void forward(State s, WorkerPool pool, int[] tokens, int off, int n, float[] logits, boolean allLogits) {
        if (s.position + n > s.kv.capacity()) {
            throw new IllegalArgumentException("context full: " + s.position + " + " + n + " tokens exceed the context length " + s.kv.capacity());
        }
        if (w.positionEmbedding != null && s.position + n > c.contextLength()) {
            throw new IllegalArgumentException("position " + (s.position + n - 1) + " is beyond the model's " + c.contextLength() + " learned positions");
        }
        for (int i = 0; i < n; i++) {
            int t = tokens[off + i];
            if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + c.vocabSize() + ")");
        }
        int done = 0;
        while (done < n) {
            int b = Math.min(s.maxBatch, n - done);
            boolean last = done + b == n;
            forwardBatch(s, pool, tokens, off + done, b);
            if (logits != null && allLogits) {
                computeLogits(s, pool, 0, b, logits, done * c.vocabSize());
            } else if (logits != null && last) {
                computeLogits(s, pool, b - 1, 1, logits, 0);
            }
            done += b;
        }
    }

    private void forwardBatch(State s, WorkerPool pool, int[] tokens, int off, int n) {
        final int d = c.embeddingLength();
        final int pos0 = s.position;
        for (int t = 0; t < n; t++) w.tokenEmbedding.dequantizeRow(tokens[off + t], s.x, t * d);
        if (w.positionEmbedding != null) { // GPT-2: learned absolute positions
            for (int t = 0; t < n; t++) {
                w.positionEmbedding.dequantizeRow(pos0 + t, s.xb, 0);
                for (int i = 0; i < d; i++) s.x[t * d + i] += s.xb[i];
            }
        }
        if (c.arch().scaleEmbedding()) { // Gemma: ggml_scale(inp, sqrtf(n_embd))
            float sc = (float) Math.sqrt((float) d);
            for (int i = 0; i < n * d; i++) s.x[i] *= sc;
        }
        int half = c.ropeDimensions() / 2;
        for (int t = 0; t < n; t++) {
            s.rope.angles(pos0 + t, s.cos, s.sin, t * half);
            if (ropeSwa != null) ropeSwa.angles(pos0 + t, s.cosSwa, s.sinSwa, t * half);
        }
        for (int li = 0; li < w.layers.length; li++) {
            Weights.Layer l = w.layers[li];
            boolean swa = c.swaLayers()[li];
            Rope rp = swa && ropeSwa != null ? ropeSwa : s.rope;
            float[] cos = swa && ropeSwa != null ? s.cosSwa : s.cos, sin = swa && ropeSwa != null ? s.sinSwa : s.sin;
            norm(s.xb, s.x, l.attnNorm, l.attnNormBias, n);
            if (l.wqkv != null) { // fused (Phi-3, GPT-2): one product, then split each token's row into Q, K and V
                matmul(s, pool, l.wqkv, s.xb, n, s.fused);
                int qd = c.qDim(), kd = c.kDim(), vd = c.vDim(), w3 = qd + kd + vd;
                if (l.bqkv != null) addBias(s.fused, l.bqkv, n);
                for (int t = 0; t < n; t++) {
                    System.arraycopy(s.fused, t * w3, s.q, t * qd, qd);
                    System.arraycopy(s.fused, t * w3 + qd, s.k, t * kd, kd);
                    System.arraycopy(s.fused, t * w3 + qd + kd, s.v, t * vd, vd);
                }
            } else {
                matmul(s, pool, s.xb, n, l.wq, s.q, l.wk, s.k, l.wv, s.v);
            }
            if (l.bq != null) addBias(s.q, l.bq, n);
            if (l.bk != null) addBias(s.k, l.bk, n);
            if (l.bv != null) addBias(s.v, l.bv, n);
            if (l.qNorm != null) { // Qwen3: RMSNorm of each head of Q and K, before RoPE
                int hk = c.headDimK();
                for (int t = 0; t < n; t++) {
                    for (int h = 0; h < c.headCount(); h++) {
                        int o = t * c.qDim() + h * hk;
                        Norms.rmsNorm(s.q, o, s.q, o, l.qNorm, hk, c.normEps());
                    }
                    for (int h = 0; h < c.headCountKv(); h++) {
                        int o = t * c.kDim() + h * hk;
                        Norms.rmsNorm(s.k, o, s.k, o, l.kNorm, hk, c.normEps());
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                rp.apply(s.q, t * c.qDim(), c.headCount(), c.headDimK(), cos, sin, t * half);
                rp.apply(s.k, t * c.kDim(), c.headCountKv(), c.headDimK(), cos, sin, t * half);
            }
            s.kv.store(li, pos0, n, s.k, s.v);
            s.attention.set(s, li, pos0, n);
            long attnWork = (long) n * c.headCount() * (pos0 + n) * (c.headDimK() + c.headDimV());
            if (attnWork < PARALLEL_MIN_MACS) s.attention.run(0, 1);
            else pool.run(s.attention);
            matmul(s, pool, l.wo, s.att, n, s.xb2);
            if (l.bo != null) addBias(s.xb2, l.bo, n);
            if (l.postAttnNorm != null) norm(s.xb2, s.xb2, l.postAttnNorm, null, n); // Gemma sandwich norm
            for (int i = 0; i < n * d; i++) s.x[i] += s.xb2[i];

            norm(s.xb, s.x, l.ffnNorm, l.ffnNormBias, n);
            int ff = c.feedForwardLength();
            if (l.ffnRouter != null) {
                moe(s, pool, l, n);
                for (int i = 0; i < n * d; i++) s.x[i] += s.xb2[i];
                continue;
            }
            if (c.arch().ffn() == Architecture.FfnKind.GELU) { // GPT-2: down(gelu(up(x) + b_up)) + b_down
                matmul(s, pool, l.ffnUp, s.xb, n, s.hb);
                if (l.bUp != null) addBias(s.hb, l.bUp, n);
                Activations.gelu(s.hb, 0, n * ff);
            } else if (l.ffnGate == null) { // fused gate+up (Phi-3): each token's row is [gate | up]
                matmul(s, pool, l.ffnUp, s.xb, n, s.fused);
                for (int t = 0; t < n; t++) {
                    System.arraycopy(s.fused, t * 2 * ff, s.hb, t * ff, ff);
                    System.arraycopy(s.fused, t * 2 * ff + ff, s.hb2, t * ff, ff);
                }
            } else {
                matmul(s, pool, s.xb, n, l.ffnGate, s.hb, l.ffnUp, s.hb2, null, null);
            }
            if (c.arch().ffn() == Architecture.FfnKind.SWIGLU) VectorOps.swiglu(s.hb, s.hb2, 0, n * ff);
            else if (c.arch().ffn() == Architecture.FfnKind.GEGLU) Activations.geglu(s.hb, s.hb2, 0, n * ff);
            matmul(s, pool, l.ffnDown, s.hb, n, s.xb2);
            if (l.bDown != null) addBias(s.xb2, l.bDown, n);
            if (l.postFfnNorm != null) norm(s.xb2, s.xb2, l.postFfnNorm, null, n);
            for (int i = 0; i < n * d; i++) s.x[i] += s.xb2[i];
        }
        s.position += n;
    }

    /**
     * Mixture-of-experts feed-forward of the n normed rows in s.xb into s.xb2, as llama.cpp's build_moe_ffn. gpt-oss
     * adds the router bias, picks the k largest raw logits and weighs them by a softmax over those k alone
     * (SOFTMAX_WEIGHT), adds each expert's gate/up/down bias and uses SwiGLU-OAI. Otherwise: softmax gating and
     * renormalised weights: p = softmax(router . x) over all experts, the k experts of largest p
     * (descending, the lower index first on ties), w_j = p_j / max(sum of the k chosen p, 2^-14), and
     * out = sum over j in order of w_j * down_j(silu(gate_j(x)) * up_j(x)), each product rounded before the sum.
     *
     * <p>As ggml_mul_mat_id: the tokens are routed first, then grouped by expert, and each expert multiplies all its
     * tokens at once (a matrix-matrix product over its row range of the stacked expert tensors), so its weights are
     * read once per batch instead of once per token. Each token's sum still runs over its experts in its own order.
     */
    private void moe(State s, WorkerPool pool, Weights.Layer l, int n) {
        final int d = c.embeddingLength(), ne = c.expertCount(), k = c.expertUsedCount(), ffe = c.expertFeedForwardLength();
        matmul(s, pool, l.ffnRouter, s.xb, n, s.router);
        if (l.bRouter != null) addBias(s.router, l.bRouter, n);
        for (int t = 0; t < n; t++) route(s, t);
        groupByExpert(s, n);

        // gate and up of every expert over its grouped rows, in one pass of the pool
        s.matmul.clear();
        for (int e = 0; e < ne; e++) {
            int g0 = s.expStart[e], m = s.expStart[e + 1] - g0;
            if (m == 0) continue;
            // the expert's rows [e*ffe, (e+1)*ffe) land at grouped rows [g0, g0+m) of the [pairs][ffe] buffers
            s.matmul.add(l.ffnGateExps, s.expIn, g0 * d, m, s.gateExp, (g0 - e) * ffe, ffe, e * ffe, (e + 1) * ffe);
            s.matmul.add(l.ffnUpExps, s.expIn, g0 * d, m, s.upExp, (g0 - e) * ffe, ffe, e * ffe, (e + 1) * ffe);
        }
        runMatmul(s, pool);
        for (int e = 0; e < ne; e++) {
            for (int g = s.expStart[e]; g < s.expStart[e + 1]; g++) {
                int o = g * ffe;
                if (l.bGateExps != null) { // gpt-oss: the experts' biases sit at the same stacked rows
                    for (int i = 0; i < ffe; i++) {
                        s.gateExp[o + i] += l.bGateExps[e * ffe + i];
                        s.upExp[o + i] += l.bUpExps[e * ffe + i];
                    }
                }
                // one call per row, as one token's expert: the kernels' vector/tail split stays the same
                if (c.arch().ffn() == Architecture.FfnKind.SWIGLU_OAI) Activations.swigluOai(s.gateExp, s.upExp, o, ffe);
                else VectorOps.swiglu(s.gateExp, s.upExp, o, ffe);
            }
        }

        s.matmul.clear();
        for (int e = 0; e < ne; e++) {
            int g0 = s.expStart[e], m = s.expStart[e + 1] - g0;
            if (m == 0) continue;
            s.matmul.add(l.ffnDownExps, s.gateExp, g0 * ffe, m, s.expOut, (g0 - e) * d, d, e * d, (e + 1) * d);
        }
        runMatmul(s, pool);
        if (l.bDownExps != null) {
            for (int e = 0; e < ne; e++) {
                for (int g = s.expStart[e]; g < s.expStart[e + 1]; g++) {
                    for (int i = 0; i < d; i++) s.expOut[g * d + i] += l.bDownExps[e * d + i];
                }
            }
        }

        for (int t = 0; t < n; t++) {
            int xo = t * d;
            for (int j = 0; j < k; j++) {
                float we = s.expWeight[t * k + j];
                int o = s.expRow[t * k + j] * d;
                if (j == 0) {
                    for (int i = 0; i < d; i++) s.xb2[xo + i] = s.expOut[o + i] * we;
                } else {
                    for (int i = 0; i < d; i++) s.xb2[xo + i] += s.expOut[o + i] * we;
                }
            }
        }
    }

    /** Token t's k experts into s.expSel[t*k ..] and their weights into s.expWeight[t*k ..], from its router logits. */
    private void route(State s, int t) {
        final int ne = c.expertCount(), k = c.expertUsedCount();
        final int ro = t * ne, so = t * k;
        final boolean chosenSoftmax = c.arch().gatingSoftmaxChosen();
        if (!chosenSoftmax) Softmax.softmax(s.router, ro, ne);
        // top-k, descending; ties keep the lower expert index first
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < ne; e++) {
                boolean taken = false;
                for (int i = 0; i < j; i++) taken |= s.expSel[so + i] == e;
                if (taken) continue;
                if (best < 0 || s.router[ro + e] > s.router[ro + best]) best = e;
            }
            s.expSel[so + j] = best;
        }
        if (chosenSoftmax) { // SOFTMAX_WEIGHT: softmax over the chosen experts' logits, no renormalisation
            for (int j = 0; j < k; j++) s.expWeight[so + j] = s.router[ro + s.expSel[so + j]];
            Softmax.softmax(s.expWeight, so, k);
        } else {
            double sum = 0;
            for (int j = 0; j < k; j++) sum += s.router[ro + s.expSel[so + j]];
            float den = Math.max((float) sum, 6.103515625e-5f);
            for (int j = 0; j < k; j++) s.expWeight[so + j] = s.router[ro + s.expSel[so + j]] / den;
        }
    }

    /**
     * Counting sort of the n*k (token, choice) pairs by expert (s.expStart, s.expRow), gathering each pair's FFN
     * input row from s.xb into its grouped row of s.expIn.
     */
    private void groupByExpert(State s, int n) {
        final int d = c.embeddingLength(), ne = c.expertCount(), k = c.expertUsedCount();
        java.util.Arrays.fill(s.expStart, 0);
        for (int i = 0; i < n * k; i++) s.expStart[s.expSel[i] + 1]++;
        for (int e = 0; e < ne; e++) s.expStart[e + 1] += s.expStart[e];
        System.arraycopy(s.expStart, 0, s.expFill, 0, ne);
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < k; j++) {
                int g = s.expFill[s.expSel[t * k + j]]++;
                s.expRow[t * k + j] = g;
                System.arraycopy(s.xb, t * d, s.expIn, g * d, d);
            }
        }
    }

    /** Logits of batch rows [first, first+count) into out[outOff ..]. */
    private void computeLogits(State s, WorkerPool pool, int first, int count, float[] out, int outOff) {
        final int d = c.embeddingLength();
        for (int t = 0; t < count; t++) {
            if (w.outputNormBias != null) Norms.layerNorm(s.xb, t * d, s.x, (first + t) * d, w.outputNorm, w.outputNormBias, d, c.normEps());
            else Norms.rmsNorm(s.xb, t * d, s.x, (first + t) * d, w.outputNorm, d, c.normEps());
        }
        if (outOff == 0) {
            matmul(s, pool, w.output, s.xb, count, out);
        } else {
            float[] tmp = s.logitsBatch();
            matmul(s, pool, w.output, s.xb, count, tmp);
            System.arraycopy(tmp, 0, out, outOff, count * c.vocabSize());
        }
        float cap = c.finalSoftCap();
        if (cap > 0) { // Gemma-2: cap * tanh(logits / cap)
            float inv = 1.0f / cap;
            for (int i = outOff; i < outOff + count * c.vocabSize(); i++) out[i] = cap * (float) Math.tanh(out[i] * inv);
        }
    }

    /** The architecture's norm of each of n rows of x into out (out may alias x); bias only for LayerNorm. */
    private void norm(float[] out, float[] x, float[] weight, float[] bias, int n) {
        int d = c.embeddingLength();
        for (int t = 0; t < n; t++) {
            if (bias != null) Norms.layerNorm(out, t * d, x, t * d, weight, bias, d, c.normEps());
            else Norms.rmsNorm(out, t * d, x, t * d, weight, d, c.normEps());
        }
    }

    private void addBias(float[] y, float[] bias, int n) {
        int m = bias.length;
        for (int t = 0; t < n; t++) for (int i = 0; i < m; i++) y[t * m + i] += bias[i];
    }

    /** Below this many multiply-adds a matmul runs on the calling thread: waking the workers would cost more. */
    static final long PARALLEL_MIN_MACS = 1 << 18;

    private void matmul(State s, WorkerPool pool, Tensor wt, float[] in, int n, float[] out) {
        matmul(s, pool, in, n, wt, out, null, null, null, null);
    }

    /** Up to three products sharing one input, run as one parallel task (nulls are skipped). */
    private void matmul(State s, WorkerPool pool, float[] in, int n, Tensor w0, float[] o0, Tensor w1, float[] o1, Tensor w2, float[] o2) {
        s.matmul.clear();
        s.matmul.add(w0, in, 0, n, o0, 0, w0.rows(), 0, w0.rows());
        if (w1 != null) s.matmul.add(w1, in, 0, n, o1, 0, w1.rows(), 0, w1.rows());
        if (w2 != null) s.matmul.add(w2, in, 0, n, o2, 0, w2.rows(), 0, w2.rows());
        runMatmul(s, pool);
    }

    /** Runs the products added to s.matmul: on the calling thread when small, else on the pool. */
    private void runMatmul(State s, WorkerPool pool) {
        if (s.matmul.macs() < PARALLEL_MIN_MACS) {
            s.matmul.runWhole();
            return;
        }
        if (s.matmul.prepareInt8() > 0) pool.run(s.matmul.quantize); // each input's int8 blocks, once, on all workers
        s.matmul.plan(pool.threads());
        pool.run(s.matmul);
    }

    /**
     * A list of products run in one pass of the pool (fewer barriers per layer): product j is
     * {@code out_j[outOff_j + t*outStride_j + r] = W_j[r] . in_j[inOff_j + t*cols_j ..]} for its n_j tokens and its
     * rows [r0_j, r1_j): Q/K/V or gate/up sharing one input, or every expert's slice of the stacked expert tensors
     * over that expert's tokens. Rows are handed out in chunks (whole row tiles of one product, whole bands of rows
     * stored in column blocks: {@link Tensor#rowChunkMultiple}), each worker owning a contiguous range of them and
     * helping the others from the far ends of theirs, so that a worker that streams its weights faster takes more
     * chunks instead of waiting for the other at the end. Against one shared counter (chunk after chunk alternating
     * between the workers, each a new stream), the Q4_K_M 1B model decoded 46.6 -> 48.1 tok/s (mean of 40 runs
     * interleaved in one process, two threads; Q4_0 46.1 -> 46.3); 16 chunks per worker instead of 8 were slower
     * (47.7 against 50.4). Reused: allocation-free.
     */
    static final class MatmulTask implements WorkerPool.Task {
        final Tensor[] ws;
        final float[][] ins, outs;
        final int[] inOff, ns, outOff, outStride, rowStart, rowEnd, chunkRows, firstChunk;
        int count;
        /**
         * Per worker, the chunks [next, end) it owns, packed as {@code next << 32 | end}, {@link #RANGE_STRIDE} longs
         * apart (a cache line each). A worker walks its own range forwards, so that its weights are one stream from
         * chunk to chunk, then takes chunks from the far ends of the others' ranges until none are left: a worker
         * that joins late or streams slower is helped without either waiting.
         */
        private AtomicLongArray ranges = new AtomicLongArray(0);
        private static final int RANGE_STRIDE = 16;
        /** Chunks per worker: finer (16) was slower in decoding, see the class comment. */
        private static final int CHUNKS_PER_WORKER = 8;
        /** Per product: its input's int8 blocks, prepared by {@link #quantize} (null: none, or not prepared). */
        final Int8Batch[] prepared;
        /** Reusable batches per format; the first {@code used[f]} are in use. */
        private final Int8Batch[][] batches = new Int8Batch[Int8Batch.Format.values().length][];
        private final int[] used = new int[Int8Batch.Format.values().length];
        /** The batches to quantize, and the first token chunk of each (then the total). */
        private final Int8Batch[] toQuantize;
        private final int[] firstTokens;
        private int quantizeCount;
        /** Tokens per item of {@link #quantize}. */
        private static final int TOKEN_CHUNK = 8;
        private final java.util.concurrent.atomic.AtomicInteger nextTokens = new java.util.concurrent.atomic.AtomicInteger();

        /** Quantizes the inputs {@link #prepareInt8} collected, in chunks of tokens taken from a shared counter. */
        final WorkerPool.Task quantize = this::quantizeChunks;

        private void quantizeChunks(int worker, int workers) {
            int items = firstTokens[quantizeCount];
            int b = 0;
            for (int c = nextTokens.getAndIncrement(); c < items; c = nextTokens.getAndIncrement()) {
                while (c >= firstTokens[b + 1]) b++; // items are taken in increasing order
                Int8Batch batch = toQuantize[b];
                int t0 = (c - firstTokens[b]) * TOKEN_CHUNK;
                batch.quantize(t0, Math.min(batch.n(), t0 + TOKEN_CHUNK));
            }
        }

        MatmulTask(int capacity) {
            prepared = new Int8Batch[capacity];
            toQuantize = new Int8Batch[capacity];
            firstTokens = new int[capacity + 1];
            for (int f = 0; f < batches.length; f++) batches[f] = new Int8Batch[capacity];
            ws = new Tensor[capacity];
            ins = new float[capacity][];
            outs = new float[capacity][];
            inOff = new int[capacity];
            ns = new int[capacity];
            outOff = new int[capacity];
            outStride = new int[capacity];
            rowStart = new int[capacity];
            rowEnd = new int[capacity];
            chunkRows = new int[capacity];
            firstChunk = new int[capacity + 1];
        }

        void clear() {
            count = 0;
        }

        void add(Tensor w, float[] in, int inOff, int n, float[] out, int outOff, int outStride, int r0, int r1) {
            ws[count] = w;
            ins[count] = in;
            this.inOff[count] = inOff;
            ns[count] = n;
            outs[count] = out;
            this.outOff[count] = outOff;
            this.outStride[count] = outStride;
            rowStart[count] = r0;
            rowEnd[count] = r1;
            count++;
        }

        long macs() {
            long macs = 0;
            for (int j = 0; j < count; j++) macs += (long) (rowEnd[j] - rowStart[j]) * ws[j].cols() * ns[j];
            return macs;
        }

        /** Every product over its whole row range, on the calling thread (int8 inputs quantized as needed). */
        void runWhole() {
            java.util.Arrays.fill(prepared, 0, count, null);
            for (int j = 0; j < count; j++) multiply(j, rowStart[j], rowEnd[j]);
        }

        /**
         * Sets up an {@link Int8Batch} for each distinct input of the products that take one (Q/K/V or gate/up share
         * theirs); returns how many, to be filled by running {@link #quantize}.
         */
        int prepareInt8() {
            java.util.Arrays.fill(used, 0);
            quantizeCount = 0;
            for (int j = 0; j < count; j++) {
                Int8Batch.Format f = ws[j].int8BatchFormat(ns[j]);
                prepared[j] = null;
                if (f == null) continue;
                for (int i = 0; i < j; i++) { // an earlier product with the same input
                    if (prepared[i] != null && prepared[i].format() == f && ins[i] == ins[j] && inOff[i] == inOff[j] && ns[i] == ns[j] && ws[i].cols() == ws[j].cols()) {
                        prepared[j] = prepared[i];
                        break;
                    }
                }
                if (prepared[j] != null) {
                    if (ws[j].int8BatchFloats() && !prepared[j].hasFloats()) prepared[j].requestFloats();
                    continue;
                }
                Int8Batch[] pool = batches[f.ordinal()];
                Int8Batch b = pool[used[f.ordinal()]];
                if (b == null) b = pool[used[f.ordinal()]] = new Int8Batch(f);
                used[f.ordinal()]++;
                b.reset(ins[j], inOff[j], ws[j].cols(), ns[j], ws[j].cols());
                if (ws[j].int8BatchFloats()) b.requestFloats();
                prepared[j] = b;
                toQuantize[quantizeCount] = b;
                firstTokens[quantizeCount + 1] = firstTokens[quantizeCount] + (ns[j] + TOKEN_CHUNK - 1) / TOKEN_CHUNK;
                quantizeCount++;
            }
            nextTokens.set(0);
            return quantizeCount;
        }

        void plan(int workers) {
            long totalTiles = 0;
            for (int j = 0; j < count; j++) totalTiles += (rowEnd[j] - rowStart[j] + Tensor.ROW_TILE - 1) / Tensor.ROW_TILE;
            int perChunk = (int) Math.max(1, totalTiles / (workers * (long) CHUNKS_PER_WORKER));
            firstChunk[0] = 0;
            for (int j = 0; j < count; j++) {
                int multiple = ws[j].rowChunkMultiple();
                chunkRows[j] = (perChunk * Tensor.ROW_TILE + multiple - 1) / multiple * multiple;
                firstChunk[j + 1] = firstChunk[j] + (rowEnd[j] - rowStart[j] + chunkRows[j] - 1) / chunkRows[j];
            }
            int chunks = firstChunk[count];
            if (ranges.length() < workers * RANGE_STRIDE) ranges = new AtomicLongArray(workers * RANGE_STRIDE);
            for (int w = 0; w < workers; w++) ranges.set(w * RANGE_STRIDE, range((int) ((long) chunks * w / workers), (int) ((long) chunks * (w + 1) / workers)));
        }

        private static long range(int next, int end) {
            return (long) next << 32 | (end & 0xFFFFFFFFL);
        }

        /** The first chunk left in worker w's range, taken (its owner walks it forwards), or -1. */
        private int takeFirst(int w) {
            for (int i = w * RANGE_STRIDE;;) {
                long v = ranges.get(i);
                int next = (int) (v >>> 32), end = (int) v;
                if (next >= end) return -1;
                if (ranges.compareAndSet(i, v, range(next + 1, end))) return next;
            }
        }

        /** The last chunk left in worker w's range, taken (by another worker, from the far end), or -1. */
        private int takeLast(int w) {
            for (int i = w * RANGE_STRIDE;;) {
                long v = ranges.get(i);
                int next = (int) (v >>> 32), end = (int) v;
                if (next >= end) return -1;
                if (ranges.compareAndSet(i, v, range(next, end - 1))) return end - 1;
            }
        }

        private void multiplyChunk(int c) {
            int j = 0;
            while (c >= firstChunk[j + 1]) j++;
            int r0 = rowStart[j] + (c - firstChunk[j]) * chunkRows[j], r1 = Math.min(rowEnd[j], r0 + chunkRows[j]);
            multiply(j, r0, r1);
        }

        private void multiply(int j, int r0, int r1) {
            Tensor wt = ws[j];
            wt.matmul(ins[j], inOff[j], wt.cols(), ns[j], outs[j], outOff[j], outStride[j], r0, r1, prepared[j]);
        }

        @Override
        public void run(int worker, int workers) {
            for (int c = takeFirst(worker); c >= 0; c = takeFirst(worker)) multiplyChunk(c);
            for (int k = 1; k < workers; k++) { // then help the others from the ends of their ranges
                int w = (worker + k) % workers;
                for (int c = takeLast(w); c >= 0; c = takeLast(w)) multiplyChunk(c);
            }
        }
    }

    /** Causal attention for a batch: one item per (token, query head), split across workers. */
    final class AttentionTask implements WorkerPool.Task {
        State s;
        int layer, pos0, n;

        void set(State s, int layer, int pos0, int n) {
            this.s = s;
            this.layer = layer;
            this.pos0 = pos0;
            this.n = n;
            next.set(0);
        }

        final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void run(int worker, int workers) {
            int items = n * c.headCount();
            float[] sc = s.scores[worker];
            boolean f16 = s.kv.type() == KvCache.Type.F16;
            float[] keys = f16 ? null : s.kv.keys[layer], vals = f16 ? null : s.kv.values[layer];
            float[] row = s.kvRow[worker];
            int hk = c.headDimK(), hv = c.headDimV(), kDim = c.kDim(), vDim = c.vDim();
            int group = c.headCount() / c.headCountKv();
            float scale = c.attnScale();
            float cap = c.attnSoftCap(), invCap = cap > 0 ? 1.0f / cap : 0f;
            int window = c.swaLayers()[layer] ? c.slidingWindow() : 0;
            float[] sinks = w.layers[layer].attnSinks;
            // items are taken one by one from a shared counter: later tokens see longer contexts
            for (int item = next.getAndIncrement(); item < items; item = next.getAndIncrement()) {
                int t = item / c.headCount(), h = item % c.headCount();
                int kvh = h / group;
                int len = pos0 + t + 1; // causal: keys 0 .. pos0+t
                // sliding window: llama.cpp masks key p when (pos0+t) - p >= window
                int from = window > 0 ? Math.max(0, len - window) : 0;
                int qo = t * c.qDim() + h * hk;
                for (int p = from; p < len; p++) {
                    float dot;
                    int slot = s.kv.slot(layer, p);
                    if (f16) {
                        s.kv.keys(layer, slot * kDim + kvh * hk, row, hk);
                        dot = VectorOps.dot(s.q, qo, row, 0, hk);
                    } else {
                        dot = VectorOps.dot(s.q, qo, keys, slot * kDim + kvh * hk, hk);
                    }
                    float v = dot * scale;
                    if (cap > 0) v = cap * (float) Math.tanh(v * invCap); // Gemma-2 attention soft-cap
                    sc[p] = v;
                }
                if (sinks != null) Softmax.softmax(sc, from, len - from, sinks[h]); // gpt-oss attention sinks
                else Softmax.softmax(sc, from, len - from);
                int ao = t * c.headCount() * hv + h * hv;
                if (f16) {
                    java.util.Arrays.fill(s.att, ao, ao + hv, 0f);
                    for (int p = from; p < len; p++) {
                        s.kv.values(layer, s.kv.slot(layer, p) * vDim + kvh * hv, row, hv);
                        VectorOps.axpy(sc[p], row, 0, s.att, ao, hv);
                    }
                } else {
                    VectorOps.weightedSum(sc, from, len, vals, kvh * hv, vDim, s.kv.slots(layer), s.att, ao, hv);
                }
            }
        }
    }
}
