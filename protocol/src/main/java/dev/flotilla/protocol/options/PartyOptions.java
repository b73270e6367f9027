package dev.flotilla.protocol.options;

import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Every option of {@code flotilla party}, defined once: the party reads them, the demo passes them to its
 * parties. The data options are shared with {@code flotilla evaluate}.
 */
public final class PartyOptions {
  private PartyOptions() {}

  public static final ConfigOption<String> SERVER = ConfigOption.string("--server").paramLabel("HOST:PORT")
      .description("Address of the aggregator, e.g. 10.0.0.5:8443 or aggregator.example.org:443. Required.");

  public static final ConfigOption<String> SERVER_NAME = ConfigOption.string("--server-name").paramLabel("NAME")
      .defaultText("<job>.server.<domain> from this party's certificate, so --server may be an IP address or a proxy")
      .description("Name to expect in the server's certificate, also sent as SNI and :authority.");

  public static final ConfigOption<Boolean> BULK_UPLOAD = ConfigOption.onOff("--bulk-upload")
      .defaultValue(true)
      .description("Send updates on the aggregator's bulk-upload port when it offers one (its --bulk-port: raw "
          + "frames over mutual TLS with a one-time ticket, less CPU than gRPC's HTTP/2); if the port cannot be "
          + "reached the party uses SubmitUpdate for the rest of the connection. --no-bulk-upload: always "
          + "SubmitUpdate.");

  public static final ConfigOption<String> BULK_SERVER = ConfigOption.string("--bulk-server").paramLabel("HOST:PORT")
      .description("Where the bulk-upload port is reached, when not at --server's host and the port the "
          + "aggregator offers (e.g. a second route through a proxy); the TLS server name is --server-name's.");

  public static final ConfigOption<String> BULK_SERVER_NAME = ConfigOption.string("--bulk-server-name").paramLabel("NAME")
      .defaultText("--server-name's")
      .description("TLS server name (SNI) of the bulk-upload port, for a proxy that routes it by name: through the "
          + "controller's Ingress or TLSRoute of a job with spec.bulkPort it is <job>-bulk.server.<domain>, with "
          + "--bulk-server the proxy's HOST:PORT. The server's certificate must carry the name.");

  public static final ConfigOption<String> SERVER_IDENTITY = ConfigOption.string("--server-identity").paramLabel("NAME")
      .defaultText("any aggregator identity of this party's job")
      .description("Accept only the aggregator whose identity is spiffe://<domain>/job/<job>/server/NAME.");

  public static final ConfigOption<Path> CA = ConfigOption.path("--ca").paramLabel("CA")
      .description("The CA that signed the server's certificate: its ca.crt (PEM), or the directory holding it. Required.");

  public static final ConfigOption<Path> CERT = ConfigOption.path("--cert")
      .description("PEM file of this party's certificate, leaf first (tls.crt). Required.");

  public static final ConfigOption<Path> KEY = ConfigOption.path("--key")
      .description("PEM file of this party's private key (tls.key). Required.");

  // the party-to-party channel

  public static final ConfigOption<Integer> PEER_PORT = ConfigOption.integer("--peer-port").paramLabel("PORT")
      .defaultValue(0)
      .description("Serve the peer endpoint (party-to-party channel) on this port, over mutual TLS with this party's "
          + "certificate, to the other parties of its job only; announced to the aggregator at Join, which lists it in "
          + "the rosters of the rounds. 0: no peer endpoint.");

  public static final ConfigOption<String> PEER_ADDRESS = ConfigOption.string("--peer-address").paramLabel("HOST:PORT")
      .defaultText("--peer-host and --peer-port")
      .description("Where the other parties reach this party's peer endpoint (what it announces), e.g. a proxy "
          + "routing by SNI (ingress.example.org:443) or this host's address on bare metal.");

  public static final ConfigOption<String> PEER_HOST = ConfigOption.string("--peer-host").paramLabel("NAME")
      .defaultText("<job>.<party>.party.<domain> from this party's certificate")
      .description("The TLS server name the peer endpoint answers to (peers send it as SNI and check it against this "
          + "party's certificate, which must carry it as a DNS name).");

  // the data, shared with flotilla evaluate

  public static final ConfigOption<Path> DATA = ConfigOption.path("--data").paramLabel("PATH")
      .defaultValue(Path.of("/usr/share/datasets/fashion-mnist"))
      .description("The data: a directory of MNIST/Fashion-MNIST idx files, a directory with one sub-directory of "
          + "PNG/JPEG images per class, a .csv file with a header row, an .npz file (or a directory) with arrays x and "
          + "y, or a .safetensors file with tensors x and y.");

  public static final ConfigOption<String> DATA_FORMAT = ConfigOption.string("--data-format").paramLabel("FORMAT")
      .defaultText("detected from --data: the file's extension, or what the directory holds")
      .description("idx, image-folder, csv, numpy or safetensors.");

  public static final ConfigOption<Path> TEST_DATA = ConfigOption.path("--test-data").paramLabel("PATH")
      .defaultText("the data's own test split for idx files and arrays with x_test/y_test, else a seeded "
          + "--test-fraction of --data")
      .description("Held-out test data, in the format of --data, read with what was learnt from --data (CSV columns, "
          + "categories and standardisation; class folders).");

  public static final ConfigOption<String> LABEL_COLUMN = ConfigOption.string("--label-column").paramLabel("NAME")
      .defaultText("a column named label, target or class, else the last")
      .description("CSV column holding the label.");

  public static final ConfigOption<String> CLASSES = ConfigOption.string("--classes").paramLabel("NAME")
      .repeatable()
      .defaultText("CSV labels are indices 0..K-1; class folders are indexed in sorted name order")
      .description("Class names in class-index order: needed for string labels in CSV files, so every party maps "
          + "them to the same indices; fixes the indices of class folders.");

  public static final ConfigOption<String> TASK = ConfigOption.string("--task").paramLabel("classification|regression")
      .defaultText("classification; arrays with float y: regression")
      .description("What the labels are: classes (cross-entropy, accuracy) or real targets (mean squared error, r2).");

  public static final ConfigOption<String> INPUT_SHAPE = ConfigOption.string("--input-shape").paramLabel("CxHxW")
      .defaultText("the input of the built-in --model: cnn 1x28x28, resnet20 3x32x32, mlp:IN square grey images if IN "
          + "is a square, else RGB if IN/3 is")
      .description("Channels (1 grey, 3 RGB), height and width images are converted and resized to, e.g. 3x32x32; "
          + "images are decoded before the job's model is known, so an image folder needs this or --model.");

  public static final ConfigOption<String> RESIZE = ConfigOption.string("--resize").paramLabel("area|bilinear")
      .defaultValue("area")
      .description("How images of another size are resized: area averages the pixels each target pixel covers, "
          + "bilinear interpolates.");

  /** The data options, a mixin of party and evaluate. */
  public static final ConfigOption<?>[] DATA_OPTIONS = {DATA, DATA_FORMAT, TEST_DATA, LABEL_COLUMN, CLASSES, TASK,
      INPUT_SHAPE, RESIZE};

  // the party's own

  public static final ConfigOption<Double> TEST_FRACTION = ConfigOption.decimal("--test-fraction").paramLabel("F")
      .defaultValue(0.2)
      .description("Share of --data held out for testing when there is no test data, cut with --seed before the "
          + "partition, so parties sharing one file share one test set.");

  public static final ConfigOption<Integer> MAX_SAMPLES = ConfigOption.integer("--max-samples")
      .defaultText("all")
      .description("Train on at most N samples of this party's part (a seeded sample).");

  public static final ConfigOption<Integer> EVAL_SAMPLES = ConfigOption.integer("--eval-samples")
      .defaultText("all; evaluating the whole test set every round can dominate small rounds")
      .description("Evaluate each global model on at most N test samples (a seeded sample, the same every round).");

  public static final ConfigOption<String> PARTITION = ConfigOption.string("--partition").paramLabel("SCHEME")
      .defaultValue("iid")
      .description("How the training set is split among the parties: iid, dirichlet:ALPHA (label skew, smaller "
          + "ALPHA = more skew, e.g. dirichlet:0.5) or labels:K (each party holds K classes).");

  public static final ConfigOption<Integer> PARTITION_INDEX = ConfigOption.integer("--partition-index").paramLabel("I")
      .defaultValue(0)
      .description("This party's part, 0 <= I < N.");

  public static final ConfigOption<Integer> PARTITION_COUNT = ConfigOption.integer("--partition-count")
      .defaultValue(1)
      .description("Number of parts; all parties of a job use the same N, --partition and --seed so their parts "
          + "are disjoint.");

  public static final ConfigOption<Long> SEED = ConfigOption.longInteger("--seed").paramLabel("S")
      .defaultValue(42L)
      .description("Seed of the split and of the local sample order.");

  public static final ConfigOption<String> MODEL = ConfigOption.string("--model").paramLabel("NAME")
      .defaultText("the job's model")
      .description("Model this party expects; the party stops if the job trains another.");

  public static final ConfigOption<Integer> LOCAL_EPOCHS = ConfigOption.integer("--local-epochs").paramLabel("E")
      .defaultText("the server's suggestion, else 1")
      .description("Passes over the local data per round.");

  public static final ConfigOption<Integer> BATCH_SIZE = ConfigOption.integer("--batch-size").paramLabel("B")
      .defaultValue(64)
      .description("Samples per SGD step.");

  public static final ConfigOption<Float> LR = ConfigOption.float32("--lr").paramLabel("RATE")
      .defaultValue(0.01f)
      .description("SGD learning rate.");

  public static final ConfigOption<Float> MOMENTUM = ConfigOption.float32("--momentum").paramLabel("M")
      .defaultValue(0.9f)
      .description("SGD momentum, 0 <= M < 1.");

  public static final ConfigOption<Float> WEIGHT_DECAY = ConfigOption.float32("--weight-decay").paramLabel("WD")
      .defaultValue(0f)
      .description("SGD weight decay (L2 added to every gradient, as torch.optim.SGD's), >= 0.");

  public static final ConfigOption<Path> TORCHSCRIPT = ConfigOption.path("--torchscript").paramLabel("FILE.pt")
      .description("Train this TorchScript module (torch.jit.script or trace, saved with .save()) in the JVM instead "
          + "of the job's built-in: its named parameters must be the job's tensors of the same names (buffers such as "
          + "BatchNorm running statistics stay local; see the party README).");

  public static final ConfigOption<String> TRAINER_COMMAND = ConfigOption.string("--trainer-command").paramLabel("CMD")
      .description("Train with this command instead of the built-in DJL model: every round it runs through /bin/sh -c "
          + "with the path of round.json appended, reads global.safetensors and writes update.safetensors and "
          + "result.json (contract in the party README). It never gets the TLS files or the network.");

  public static final ConfigOption<Duration> TRAINER_TIMEOUT = ConfigOption.positiveDuration("--trainer-timeout")
      .defaultValue(Duration.ofMinutes(30))
      .description("Longest run of the trainer command, e.g. 90s, 30m, 2h or PT30M; then its process tree is killed "
          + "and the round is skipped.");

  public static final ConfigOption<Duration> GIVE_UP_AFTER = ConfigOption.positiveDuration("--give-up-after")
      .defaultValue(Duration.ofMinutes(30))
      .description("How long the server may stay unreachable (at the start or after losing it) before the party "
          + "gives up with exit 3, naming the server and since when: 90s, 30m, 2h or PT30M.");

  public static final ConfigOption<Path> WORK_DIR = ConfigOption.path("--work-dir").paramLabel("DIR")
      .defaultText("a new temporary directory")
      .description("Where the trainer command's round directories go (the last 3 are kept for debugging) and where a "
          + "SCAFFOLD job's control variate c_i is kept between rounds (without it, c_i is in memory only).");

  public static final ConfigOption<Integer> VIRTUAL_PARTIES = ConfigOption.integer("--virtual-parties").paramLabel("K")
      .check(k -> k >= 0 && k <= 10_000, "in 0..10000")
      .defaultValue(0)
      .description("Host K virtual parties in this process (one party pod of a study too big for one machine): one DJL "
          + "engine, one in-memory copy of the data and a pool of --virtual-trainers trainers serve them, and each is a "
          + "party of its own to the aggregator, <name>-v0 .. <name>-v<K-1> (<name> from the certificate). Virtual party "
          + "i trains part --partition-index + i of --partition-count (the study's total), with the simulator's "
          + "partitions and seeds, so pods that together host all parts train what 'bin/flotilla simulate' would. "
          + "Needs a virtual-party host certificate for exactly K (spiffe://<domain>/job/<job>/party/<name>/virtual/K) "
          + "and an aggregator started with --virtual-parties-per-host >= K; a built-in --model; every virtual party "
          + "evaluates the global model on its shard of the test data each round. 0: this process is one party.");

  public static final ConfigOption<Integer> VIRTUAL_TRAINERS = ConfigOption.integer("--virtual-trainers").paramLabel("N")
      .check(n -> n >= 1, "at least 1")
      .defaultText("the number of cores")
      .description("With --virtual-parties: size of the trainer pool the virtual parties share (one DJL model each).");

  /** The party's options in the order of its help. */
  public static final OptionSet SET = OptionSet.of("flotilla party", SERVER, SERVER_NAME, BULK_UPLOAD, BULK_SERVER, BULK_SERVER_NAME,
      SERVER_IDENTITY, CA, CERT,
      KEY).with(DATA_OPTIONS).with(TEST_FRACTION, MAX_SAMPLES, EVAL_SAMPLES, PARTITION, PARTITION_INDEX,
      PARTITION_COUNT, SEED, MODEL, LOCAL_EPOCHS, BATCH_SIZE, LR, MOMENTUM, WEIGHT_DECAY, TORCHSCRIPT, TRAINER_COMMAND,
      TRAINER_TIMEOUT, GIVE_UP_AFTER, WORK_DIR, PEER_PORT, PEER_ADDRESS, PEER_HOST, VIRTUAL_PARTIES, VIRTUAL_TRAINERS)
      .with(LogOptions.FORMAT);
}
