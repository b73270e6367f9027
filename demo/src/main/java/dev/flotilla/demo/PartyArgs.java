package dev.flotilla.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of {@code bin/flotilla party}, as in issue 4 (a party's name comes from its certificate). */
public final class PartyArgs {

  private final List<String> args = new ArrayList<>();

  public static PartyArgs create(String serverAddress, String serverName, TlsPaths tls) {
    PartyArgs party = new PartyArgs();
    party.add("--server", serverAddress).add("--server-name", serverName);
    party.add("--ca", tls.trustedCa().toString())
        .add("--cert", tls.certificate().toString())
        .add("--key", tls.privateKey().toString());
    return party;
  }

  public PartyArgs data(Path dir) {
    return add("--data", dir.toString());
  }

  /** {@code iid}, {@code dirichlet:ALPHA} or {@code labels:K}, this party's share of it, and the split's seed. */
  public PartyArgs partition(String scheme, int index, int count, long seed) {
    return add("--partition", scheme)
        .add("--partition-index", Integer.toString(index))
        .add("--partition-count", Integer.toString(count))
        .add("--seed", Long.toString(seed));
  }

  public PartyArgs model(String model) {
    return add("--model", model);
  }

  /** Train in this command (run through /bin/sh -c with round.json's path appended) instead of DJL. */
  public PartyArgs trainerCommand(String command) {
    return add("--trainer-command", command);
  }

  public PartyArgs localEpochs(int epochs) {
    return add("--local-epochs", Integer.toString(epochs));
  }

  public PartyArgs batchSize(int batchSize) {
    return add("--batch-size", Integer.toString(batchSize));
  }

  public PartyArgs learningRate(double lr) {
    return add("--lr", Double.toString(lr));
  }

  public PartyArgs add(String flag, String value) {
    args.add(flag);
    args.add(value);
    return this;
  }

  public List<String> toList() {
    return List.copyOf(args);
  }
}
