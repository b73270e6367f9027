package dev.flotilla.dns;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The Corefiles under src/test/resources/corefiles, read as bytes so nothing is normalised. */
public final class Corefiles {
  public static final String KUBEADM = "kubeadm.Corefile";
  public static final String K3S = "k3s.Corefile";
  public static final String IFLEARNER_README = "iflearner-readme.Corefile";
  public static final String TORTURE = "torture.Corefile";

  private Corefiles() {}

  public static String read(String name) {
    try (InputStream in = Corefiles.class.getResourceAsStream("/corefiles/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test Corefile " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
