package dev.flotilla.protocol.secagg;

/**
 * Values as fixed-point integers modulo 2^32, the encoding that masks can be added to.
 *
 * <p>A party clips each value to [-clipRange, clipRange], multiplies it by its weight (its share of
 * the roster's samples, so the weights of a round add up to at most 1) and rounds it to a multiple of
 * clipRange / 2^30. The sum of a round is therefore within [-clipRange, clipRange] plus one unit of
 * rounding per party: at most 2^30 + parties in magnitude, so the signed 32-bit reading of the modular
 * sum is the true sum for up to 2^30 parties.
 */
public final class FixedPoint {
    private static final double UNITS_PER_CLIP_RANGE = 0x1p30;
    /** Large enough for any model weight, small enough that one unit stays well above float noise. */
    public static final double MAX_CLIP_RANGE = 1e6;

    private final double clipRange;
    private final double scale;

    public FixedPoint(double clipRange) {
        if (!(clipRange > 0 && clipRange <= MAX_CLIP_RANGE)) {
            throw new SecAggException("clip range " + clipRange + " is not in (0, " + MAX_CLIP_RANGE + "]");
        }
        this.clipRange = clipRange;
        this.scale = UNITS_PER_CLIP_RANGE / clipRange;
    }

    public double clipRange() {
        return clipRange;
    }

    /** The largest rounding error of a decoded sum of {@code parties} encoded values, before dividing by the weight. */
    public double maxSumError(int parties) {
        return parties * 0.5 / scale;
    }

    /** Encodes clip(values) x weight; NaN encodes as 0, infinities clip. */
    public int[] encode(float[] values, double weight) {
        return encode(new float[][] {values}, weight);
    }

    /** {@link #encode(float[], double)} of the tensors' values one after the other, without joining them first. */
    public int[] encode(float[][] tensors, double weight) {
        if (!(weight > 0 && weight <= 1)) {
            throw new SecAggException("weight " + weight + " is not in (0, 1]");
        }
        long total = 0;
        for (float[] tensor : tensors) {
            total += tensor.length;
        }
        int[] encoded = new int[Math.toIntExact(total)];
        double unitsPerValue = weight * scale;
        int at = 0;
        for (float[] tensor : tensors) {
            for (int i = 0; i < tensor.length; i++) {
                encoded[at + i] = encodeOne(tensor[i], clipRange, unitsPerValue);
            }
            at += tensor.length;
        }
        return encoded;
    }

    /** One value: clipped (NaN as 0), times the units a value, to the nearest unit. */
    private static int encodeOne(float value, double clipRange, double unitsPerValue) {
        double clipped = Math.max(-clipRange, Math.min(clipRange, Float.isNaN(value) ? 0 : value));
        // ties to even: Math.rint has an intrinsic, Math.round none in Java 17; the error is at most half a unit
        // either way (maxSumError)
        return (int) Math.rint(clipped * unitsPerValue);
    }

    /**
     * Adds N(0, std^2) noise (in value units, before weighting) to each encoded value, rounded to whole units
     * and wrapping modulo 2^32 like the masks: the distributed-DP share of a party ({@link DistributedNoise}).
     */
    public void addNoise(int[] encoded, double std, double weight, dev.flotilla.protocol.privacy.GaussianNoise gaussian) {
        double unitsStd = std * weight * scale;
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] += (int) Math.round(unitsStd * gaussian.next());
        }
    }

    /** The sum of the survivors' values when each was encoded with the same {@code weight}: sum / (scale x weight). */
    public float[] decodeSum(int[] sum, double weight) {
        if (!(weight > 0 && weight <= 1)) {
            throw new SecAggException("weight " + weight + " is not in (0, 1]");
        }
        float[] values = new float[sum.length];
        double divisor = scale * weight;
        for (int i = 0; i < sum.length; i++) {
            values[i] = (float) (sum[i] / divisor);
        }
        return values;
    }

    /** The weighted mean of a round: the unmasked modular sum divided by the survivors' total weight. */
    public float[] decodeMean(int[] sum, double totalWeight) {
        if (!(totalWeight > 0 && totalWeight <= 1 + 1e-9)) {
            throw new SecAggException("total weight " + totalWeight + " is not in (0, 1]");
        }
        float[] mean = new float[sum.length];
        double divisor = scale * totalWeight;
        for (int i = 0; i < sum.length; i++) {
            mean[i] = (float) (sum[i] / divisor);
        }
        return mean;
    }
}
