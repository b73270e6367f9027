package dev.flotilla.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench mask-prg}: the cost of expanding one SecAgg+ mask (a seed's keystream over the model,
 * added to an int array modulo 2^32, in 64 KiB blocks as the protocol does) with each candidate
 * PRG of the JDK, in the same run and thread, as CPU time per mask and as a ratio to ChaCha20 (the
 * PRG of secagg+/1). On Java 17 AES-CTR runs on AES-NI (HotSpot intrinsic); ChaCha20 has none before 20.
 */
@Command(name = "mask-prg", mixinStandardHelpOptions = true,
    description = {"CPU time to expand one SecAgg+ mask of --values 32-bit values with ChaCha20 (secagg+/1),",
        "AES-128-CTR and AES-256-CTR (secagg+/2), each as a ratio to ChaCha20, measured in the same run and thread."})
final class MaskPrgBench implements Callable<Integer> {

  private static final int BLOCK_BYTES = 64 * 1024;
  private static final VarHandle LITTLE_ENDIAN_INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  @Option(names = "--values", defaultValue = "1010850", description = "Values per mask (default ${DEFAULT-VALUE}).")
  int values;

  @Option(names = "--masks", defaultValue = "30", description = "Masks measured per PRG and pass (default ${DEFAULT-VALUE}).")
  int masks;

  @Option(names = "--passes", defaultValue = "5", description = "Passes over the PRGs, the first one a warm-up "
      + "(default ${DEFAULT-VALUE}).")
  int passes;

  /** How each PRG makes the keystream of a 32-byte seed. */
  private interface Prg {
    Cipher keystream(byte[] seed) throws GeneralSecurityException;
  }

  @Override
  public Integer call() throws Exception {
    Map<String, Prg> prgs = new LinkedHashMap<>();
    prgs.put("ChaCha20 (secagg+/1)", seed -> {
      Cipher c = Cipher.getInstance("ChaCha20");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "ChaCha20"), new ChaCha20ParameterSpec(new byte[12], 0));
      return c;
    });
    prgs.put("AES-128-CTR", seed -> aesCtr(java.util.Arrays.copyOf(seed, 16)));
    prgs.put("AES-256-CTR (secagg+/2)", MaskPrgBench::aesCtr);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    System.out.printf(Locale.ROOT, "mask-prg: %d values a mask (%.1f MB), %d masks per PRG and pass, load average %.1f%n",
        values, values * 4 / 1e6, masks, BenchMain.loadAverage()[0]);
    Map<String, Long> best = new LinkedHashMap<>();
    int[] target = new int[values];
    byte[] seed = new byte[32];
    java.util.Random random = new java.util.Random(1);
    for (int pass = 0; pass < passes; pass++) {
      for (var prg : prgs.entrySet()) {
        long from = threads.getCurrentThreadCpuTime();
        for (int m = 0; m < masks; m++) {
          random.nextBytes(seed);
          expand(prg.getValue().keystream(seed), target);
        }
        long perMask = (threads.getCurrentThreadCpuTime() - from) / masks;
        if (pass > 0) {
          best.merge(prg.getKey(), perMask, Math::min);
        }
      }
    }
    long chacha = best.values().iterator().next();
    for (var e : best.entrySet()) {
      System.out.printf(Locale.ROOT, "%-24s %7.2f ms CPU a mask (%6.0f MB/s), ratio to ChaCha20 %.3f%n", e.getKey(),
          e.getValue() / 1e6, values * 4 / (e.getValue() / 1e9) / 1e6, e.getValue() / (double) chacha);
    }
    System.out.printf(Locale.ROOT, "checksum %d; load average at the end %.1f%n", java.util.Arrays.stream(target).sum(),
        BenchMain.loadAverage()[0]);
    return 0;
  }

  private static Cipher aesCtr(byte[] key) throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
    return c;
  }

  /** target[i] += keystream[i] modulo 2^32, block by block as the protocol's MaskStream. */
  private static void expand(Cipher keystream, int[] target) throws GeneralSecurityException {
    byte[] zeros = new byte[BLOCK_BYTES];
    byte[] block = new byte[BLOCK_BYTES];
    for (int start = 0; start < target.length; start += BLOCK_BYTES / 4) {
      int n = Math.min(BLOCK_BYTES / 4, target.length - start);
      keystream.update(zeros, 0, n * 4, block, 0);
      for (int i = 0; i < n; i++) {
        target[start + i] += (int) LITTLE_ENDIAN_INT.get(block, i * 4);
      }
    }
  }
}
