package io.jlama.tensor;

import io.jlama.gguf.GgufTensor;
import io.jlama.gguf.ModelFormatException;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Function;

/** Binds a GGUF tensor to the {@link Tensor} class of its weight type. */
public final class Tensors {
    private Tensors() {
    }

    private static final java.util.Map<GgmlType, Function<GgufTensor, Tensor>> FACTORIES = new java.util.EnumMap<>(GgmlType.class);

    static {
        // One line per weight type class.
        FACTORIES.put(GgmlType.F32, F32Tensor::new);
        FACTORIES.put(GgmlType.F16, F16Tensor::new);
        FACTORIES.put(GgmlType.BF16, BF16Tensor::new);
        FACTORIES.put(GgmlType.Q8_0, Q8_0Tensor::new);
        FACTORIES.put(GgmlType.Q4_0, Q4_0Tensor::new);
        FACTORIES.put(GgmlType.Q4_1, Q4_1Tensor::new);
        FACTORIES.put(GgmlType.Q5_0, Q5_0Tensor::new);
        FACTORIES.put(GgmlType.Q5_1, Q5_1Tensor::new);
        FACTORIES.put(GgmlType.Q4_K, Q4_KTensor::new);
        FACTORIES.put(GgmlType.Q5_K, Q5_KTensor::new);
        FACTORIES.put(GgmlType.Q6_K, Q6_KTensor::new);
        FACTORIES.put(GgmlType.Q3_K, Q3_KTensor::new);
        FACTORIES.put(GgmlType.Q2_K, Q2_KTensor::new);
        FACTORIES.put(GgmlType.IQ4_NL, IQ4_NLTensor::new);
        FACTORIES.put(GgmlType.IQ4_XS, IQ4_XSTensor::new);
        FACTORIES.put(GgmlType.MXFP4, MXFP4Tensor::new);
        FACTORIES.put(GgmlType.TQ2_0, TQ2_0Tensor::new);
        FACTORIES.put(GgmlType.TQ1_0, TQ1_0Tensor::new);
    }

    /** The weight types this runtime can compute with. */
    public static Set<GgmlType> supported() {
        return FACTORIES.isEmpty() ? EnumSet.noneOf(GgmlType.class) : EnumSet.copyOf(FACTORIES.keySet());
    }

    public static boolean supports(GgmlType type) {
        return FACTORIES.containsKey(type);
    }

    /** Wraps a tensor of the file; an unsupported type is a {@link ModelFormatException} naming the tensor. */
    public static Tensor of(Path file, GgufTensor t) {
        Function<GgufTensor, Tensor> f = FACTORIES.get(t.type());
        if (f == null) {
            throw new ModelFormatException(file, "tensor '" + t.name() + "' has type " + t.type() + ", which jlama cannot compute with yet (supported: " + supported() + ")");
        }
        if (t.rows() > Integer.MAX_VALUE || t.cols() > Integer.MAX_VALUE) {
            throw new ModelFormatException(file, "tensor '" + t.name() + "' is too large: " + t.rows() + " rows of " + t.cols());
        }
        return f.apply(t);
    }
}
