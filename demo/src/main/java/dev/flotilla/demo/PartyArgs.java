package dev.flotilla.demo;

import dev.flotilla.cli.ConfigOption;
import dev.flotilla.protocol.options.PartyOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of {@code bin/flotilla party}, written with the party's own options ({@link PartyOptions});
 * a party's name comes from its certificate.
 */
public final class PartyArgs {

  private final List<String> args = new ArrayList<>();

  public static PartyArgs create(String serverAddress, String serverName, TlsPaths tls) {
    return new PartyArgs()
        .set(PartyOptions.SERVER, serverAddress)
        .set(PartyOptions.SERVER_NAME, serverName)
        .set(PartyOptions.CA, tls.trustedCa())
        .set(PartyOptions.CERT, tls.certificate())
        .set(PartyOptions.KEY, tls.privateKey());
  }

  public PartyArgs data(Path dir) {
    return set(PartyOptions.DATA, dir);
  }

  /** {@code iid}, {@code dirichlet:ALPHA} or {@code labels:K}, this party's share of it, and the split's seed. */
  public PartyArgs partition(String scheme, int index, int count, long seed) {
    return set(PartyOptions.PARTITION, scheme)
        .set(PartyOptions.PARTITION_INDEX, index)
        .set(PartyOptions.PARTITION_COUNT, count)
        .set(PartyOptions.SEED, seed);
  }

  public PartyArgs model(String model) {
    return set(PartyOptions.MODEL, model);
  }

  /** Train in this command (run through /bin/sh -c with round.json's path appended) instead of DJL. */
  public PartyArgs trainerCommand(String command) {
    return set(PartyOptions.TRAINER_COMMAND, command);
  }

  public PartyArgs localEpochs(int epochs) {
    return set(PartyOptions.LOCAL_EPOCHS, epochs);
  }

  public PartyArgs batchSize(int batchSize) {
    return set(PartyOptions.BATCH_SIZE, batchSize);
  }

  public PartyArgs learningRate(double lr) {
    return set(PartyOptions.LR, (float) lr);
  }

  /** {@code option} with {@code value}, written as the party reads it. */
  public <T> PartyArgs set(ConfigOption<T> option, T value) {
    args.addAll(option.arg(value));
    return this;
  }

  /** Any other flag of the party (the demo's --party-option pass-through). */
  public PartyArgs add(String flag, String value) {
    args.add(flag);
    args.add(value);
    return this;
  }

  public List<String> toList() {
    return List.copyOf(args);
  }
}
