package dev.flotilla.protocol.options;

import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import dev.flotilla.protocol.tensor.WireEncoding;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Every option of {@code flotilla server}, defined once: the server reads them, the demo passes them to its
 * server, the IflearnerJob controller adds some to the aggregator's pod. Here (not in aggregator-server)
 * because those callers do not depend on the server.
 */
public final class ServerOptions {
  private ServerOptions() {}

  /** Where the final model goes without --export, in --state-dir. */
  public static final String DEFAULT_EXPORT_FILE = "model-final.safetensors";

  public static final ConfigOption<Integer> PORT = ConfigOption.integer("--port").paramLabel("PORT")
      .check(p -> p >= 0 && p <= 65535, "a port, 0..65535")
      .defaultValue(8443)
      .description("gRPC port.");

  public static final ConfigOption<Integer> BULK_PORT = ConfigOption.integer("--bulk-port").paramLabel("PORT")
      .check(p -> p >= 0 && p <= 65535, "a port, 0..65535")
      .defaultValue(0)
      .description("Also listen for update bytes on this port (same TLS identity and client-certificate check, "
          + "ALPN flotilla-bulk/1, no HTTP/2): parties that can use it get a one-time ticket per round and upload "
          + "there, the rest use SubmitUpdate on --port. Parties reach it at the host they reached --port at, so it "
          + "must be reachable there too (an SNI-routing ingress routes only --port: leave it off behind one); "
          + "0 = off.");

  public static final ConfigOption<Duration> BULK_IDLE_TIMEOUT = ConfigOption.positiveDuration("--bulk-idle-timeout")
      .defaultValue(Duration.ofSeconds(60))
      .description("On the bulk-upload port: how long a connection may take to send its ticket and header, and "
          + "how long an upload may go without a byte, before it is refused with DEADLINE_EXCEEDED.");

  public static final ConfigOption<String> BIND = ConfigOption.string("--bind").paramLabel("ADDRESS")
      .defaultValue("0.0.0.0")
      .description("Address to listen on (of the gRPC port and of --metrics-port).");

  public static final ConfigOption<Path> CERT = ConfigOption.path("--cert")
      .description("Server certificate chain, PEM (tls.crt). Required.");

  public static final ConfigOption<Path> KEY = ConfigOption.path("--key")
      .description("Server private key, PEM (tls.key). Required.");

  public static final ConfigOption<Path> CA = ConfigOption.path("--ca").paramLabel("CA")
      .description("The CA that party certificates must chain to: its ca.crt (PEM, may hold several), or the "
          + "directory holding it. Required.");

  public static final ConfigOption<String> JOB_ID = ConfigOption.string("--job-id").paramLabel("JOB")
      .defaultText("the job of --cert's identity")
      .description("The job, in logs and status; must be the job of --cert's identity "
          + "(spiffe://<domain>/job/<job>/server/<name>).");

  public static final ConfigOption<Integer> ROUNDS = ConfigOption.integer("--rounds")
      .defaultValue(5)
      .description("Rounds to run.");

  public static final ConfigOption<Integer> MIN_PARTIES = ConfigOption.integer("--min-parties")
      .defaultValue(2)
      .description("Updates needed to aggregate a round; fewer and the round is retried.");

  public static final ConfigOption<Integer> EXPECTED_PARTIES = ConfigOption.integer("--expected-parties")
      .defaultText("--min-parties")
      .description("Parties the job is for (more are refused with RESOURCE_EXHAUSTED); the first round starts when "
          + "this many joined, or after --join-grace with at least --min-parties.");

  public static final ConfigOption<Duration> JOIN_GRACE = ConfigOption.duration("--join-grace")
      .defaultValue(Duration.ofSeconds(30))
      .description("How long to wait for --expected-parties once --min-parties are connected.");

  public static final ConfigOption<Duration> ROUND_TIMEOUT = ConfigOption.positiveDuration("--round-timeout")
      .defaultValue(Duration.ofMinutes(5))
      .description("Deadline for a round's updates, e.g. 60s, 5m or PT5M.");

  public static final ConfigOption<Duration> FINAL_EVAL_WAIT = ConfigOption.duration("--final-eval-wait")
      .defaultValue(Duration.ofSeconds(60))
      .description("After the last round, how long to wait for the parties' final evaluations.");

  public static final ConfigOption<String> STRATEGY = ConfigOption.string("--strategy").paramLabel("STRATEGY")
      .defaultValue("fedavg")
      .description("Aggregation: fedavg, fedprox, fednova, scaffold, fedadam, fedyogi, median, trimmed-mean, krum, "
          + "multi-krum. fedavg, fedprox, fednova, scaffold, fedadam and fedyogi fold updates as they stream (RAM "
          + "O(model)); fednova normalises each update by its local SGD steps and needs --local-epochs >= 1; scaffold "
          + "sends a control variate with the model (twice the model's bytes each way); median, trimmed-mean, "
          + "krum and multi-krum tolerate poisoned updates and spill every update to <state-dir> (disk parties x model).");

  public static final ConfigOption<Double> FEDPROX_MU = ConfigOption.decimal("--fedprox-mu").paramLabel("MU")
      .defaultValue(0.01)
      .description("FedProx proximal coefficient sent to parties.");

  public static final ConfigOption<Double> SERVER_LR = ConfigOption.decimal("--server-lr").paramLabel("RATE")
      .defaultValue(0.02)
      .description("Server learning rate of FedAdam/FedYogi.");

  public static final ConfigOption<Double> TRIM_FRACTION = ConfigOption.decimal("--trim-fraction").paramLabel("FRACTION")
      .defaultValue(0.1)
      .description("trimmed-mean: share of the parties whose values are dropped at each end of every coordinate, "
          + "in [0, 0.5); set it at least to the share of parties that may be poisoned.");

  public static final ConfigOption<Integer> BYZANTINE_PARTIES = ConfigOption.integer("--byzantine-parties").paramLabel("F")
      .defaultValue(1)
      .description("krum, multi-krum: parties assumed Byzantine; rounds need more than 2F + 2 updates, so "
          + "--min-parties must be at least 2F + 3.");

  public static final ConfigOption<Integer> KRUM_SELECT = ConfigOption.integer("--krum-select").paramLabel("M")
      .defaultValue(0)
      .description("multi-krum: how many lowest-scored updates are averaged; 0 = all but F.");

  public static final ConfigOption<String> MODEL = ConfigOption.string("--model").paramLabel("NAME")
      .defaultText("mlp, unless --initial-model is given")
      .description("A built-in architecture: mlp, cnn, resnet20 or mlp:IN-H1-...-OUT.");

  public static final ConfigOption<Path> INITIAL_MODEL = ConfigOption.path("--initial-model")
      .description("The job's initial model, safetensors (e.g. from safetensors.torch.save_file): its tensor names, "
          + "shapes and dtypes are the layout every update must have; its 'flotilla.model' metadata, if any, names "
          + "the architecture for the parties. Exclusive with --model.");

  public static final ConfigOption<Long> SEED = ConfigOption.longInteger("--seed")
      .defaultValue(0L)
      .description("Seed of a built-in model's initial weights.");

  public static final ConfigOption<Path> EXPORT = ConfigOption.path("--export")
      .defaultText("<state-dir>/" + DEFAULT_EXPORT_FILE)
      .description("Where the final global model is written, safetensors with the initial model's names and dtypes.");

  public static final ConfigOption<Boolean> EXPORT_EVERY_ROUND = ConfigOption.onOff("--export-every-round")
      .description("Also write every round's global model to <state-dir>/models/round-NNNN.safetensors.");

  public static final ConfigOption<Integer> LOCAL_EPOCHS = ConfigOption.integer("--local-epochs")
      .defaultValue(0)
      .description("Local epochs per round announced to parties; 0 = each party's own setting.");

  public static final ConfigOption<Path> STATE_DIR = ConfigOption.path("--state-dir").paramLabel("DIR")
      .defaultValue(Path.of("./flotilla-state"))
      .description("Checkpoint directory (and spool/: the undo journals and spill files of the round in progress); "
          + "an existing file there is a usage error.");

  public static final ConfigOption<Integer> METRICS_PORT = ConfigOption.integer("--metrics-port").paramLabel("PORT")
      .check(p -> p >= 0 && p <= 65535, "a port, 0..65535")
      .defaultValue(0)
      .description("Port of Prometheus /metrics and of the job's web view (/, /status.json), on --bind; 0 = off.");

  public static final ConfigOption<String> ALLOW_PARTY = ConfigOption.string("--allow-party").paramLabel("NAME")
      .repeatable()
      .description("Only these party identities may join (repeatable or comma-separated).");

  public static final ConfigOption<Path> ALLOW_PARTY_FILE = ConfigOption.path("--allow-party-file")
      .description("Party identities that may join, one per line ('#' comments), in addition to --allow-party; "
          + "read again whenever the file changes (e.g. a Kubernetes ConfigMap volume). Without either list "
          + "enrollment is open: any party identity of the job may take a slot, up to --expected-parties.");

  public static final ConfigOption<Path> REVOKED_SERIALS = ConfigOption.path("--revoked-serials")
      .description("Revoked client certificates: one hex serial per line ('#' comments), as 'controller enroll "
          + "revoke' writes them into the ConfigMap flotilla-revoked.DOMAIN; read again whenever the file changes. "
          + "A listed certificate fails its next TLS handshake (alert certificate_revoked).");

  public static final ConfigOption<Duration> RECONNECT_GRACE = ConfigOption.duration("--reconnect-grace")
      .defaultValue(Duration.ofMinutes(10))
      .description("A party without a live Rounds stream for longer than this loses its slot (it may join again "
          + "while one is free).");

  public static final ConfigOption<Long> MAX_SAMPLES_PER_PARTY = ConfigOption.longInteger("--max-samples-per-party")
      .defaultValue(100_000_000L)
      .description("Most training samples a party may announce at Join (1..2^40); an update may claim 1..the "
          + "announced count.");

  public static final ConfigOption<Double> MAX_UPDATE_NORM = ConfigOption.decimal("--max-update-norm").paramLabel("L2")
      .defaultText("off")
      .description("Bound on the L2 distance of an update from the global model of its round; see "
          + "--update-norm-action.");

  public static final ConfigOption<String> UPDATE_NORM_ACTION = ConfigOption.string("--update-norm-action")
      .paramLabel("clip|refuse")
      .defaultValue("clip")
      .description("What happens to an update beyond --max-update-norm: clip (it is folded as global + "
          + "d * bound / ||d||) or refuse (INVALID_ARGUMENT).");

  public static final ConfigOption<String> TRUSTED_PROXY = ConfigOption.string("--trusted-proxy").paramLabel("NAME")
      .repeatable()
      .description("Identity of a TLS-terminating proxy (e.g. ingress-nginx) allowed to forward the caller's "
          + "verified client certificate in the ssl-client-cert header (repeatable or comma-separated); the "
          + "forwarded certificate must chain to --ca. The header from any other peer is refused. The proxy's "
          + "connections are not capped per identity (--max-connections-per-identity), and they all come from its "
          + "address: one source for --max-pending-handshakes and --max-handshakes-per-source, so bound the clients' "
          + "connections at the proxy.");

  public static final ConfigOption<Integer> MAX_MESSAGE_KIB = ConfigOption.integer("--max-message-kib")
      .check(k -> k > 1024 && k <= 2_097_151, "in 1025..2097151 (data chunks are up to 1 MiB)")
      .defaultValue(1088)
      .description("Largest gRPC message accepted, KiB: a 1 MiB data chunk plus room for an update's header.");

  public static final ConfigOption<Integer> MAX_CALLS_PER_CONNECTION = ConfigOption.integer("--max-calls-per-connection")
      .defaultValue(16)
      .description("Concurrent calls (HTTP/2 streams) one connection may have open.");

  public static final ConfigOption<Integer> MAX_CONNECTIONS = ConfigOption.integer("--max-connections")
      .check(n -> n >= 0, ">= 0")
      .defaultValue(0)
      .defaultText("4 x --expected-parties + 64")
      .description("Connections the gRPC port keeps open at once, counted when a socket is accepted, before its TLS "
          + "handshake. A new socket beyond closes an unfinished handshake (as --max-pending-handshakes does) or, "
          + "when every open one is past its handshake, the oldest connection of the identity holding the most: one "
          + "that is no party of this job first, then the one with the most connections per party it stands for; a "
          + "party's only connection is never closed for it, and when nobody holds more the new socket is closed at "
          + "once, unread (each closed socket is logged with its cause, at most one line per cause every 10 s). The "
          + "bulk-upload port keeps --expected-parties + 16. 0 = the default.");

  public static final ConfigOption<Integer> MAX_CONNECTIONS_PER_SOURCE = ConfigOption.integer("--max-connections-per-source")
      .check(n -> n >= 0, ">= 0")
      .defaultValue(0)
      .description("Connections one source (an IPv4 address, or an IPv6 /64) may keep open at once on each port, "
          + "counted as --max-connections is; one beyond is closed before its handshake. Leave it off (0) when "
          + "parties share an address (NAT, an ingress, --virtual-parties-per-host): --max-pending-handshakes and "
          + "--max-connections-per-identity keep a flood from one address from keeping the others out.");

  public static final ConfigOption<Integer> MAX_PENDING_HANDSHAKES = ConfigOption.integer("--max-pending-handshakes")
      .check(n -> n >= 0, ">= 0")
      .defaultValue(0)
      .defaultText("--expected-parties + 64")
      .description("Connections on each port whose TLS handshake has not finished (anyone can open one, with or "
          + "without a certificate). A new connection beyond closes the oldest unfinished one of the source (an IPv4 "
          + "address, or an IPv6 /64) holding the most, so a flood from one place closes its own sockets, never a "
          + "handshake in flight from elsewhere, and one from many places cannot keep parties out either: an honest "
          + "handshake finishes long before the flood reaches it. Behind an ingress (SSL passthrough, or a "
          + "--trusted-proxy) every connection has the ingress's address: the ingress is one source, a flood from "
          + "anywhere else cannot push its handshakes out, but a flood through it competes with the parties behind "
          + "it; limit connections per client at the ingress. 0 = the default.");

  public static final ConfigOption<Integer> MAX_HANDSHAKES_PER_SOURCE = ConfigOption.integer("--max-handshakes-per-source")
      .check(n -> n >= 0, ">= 0")
      .defaultValue(0)
      .defaultText("--expected-parties + 64")
      .description("New connections one source (an IPv4 address, or an IPv6 /64) may open per second on each port "
          + "(a burst of that many, then that rate); one beyond is closed before its handshake, each a TLS key "
          + "exchange the server would pay for. The default lets every party reconnect within a second from one "
          + "address, as they do behind an ingress (SSL passthrough, or a --trusted-proxy), where the ingress is the "
          + "one source the server sees: bound the clients' rate at the ingress then. 0 = the default.");

  public static final ConfigOption<Duration> HANDSHAKE_TIMEOUT = ConfigOption.positiveDuration("--handshake-timeout")
      .defaultValue(Duration.ofSeconds(10))
      .description("Time from accepting a connection (on each port) to its finished TLS handshake; a connection "
          + "still handshaking then is closed and logged. On the gRPC port gRPC's TLS handler ends a handshake after "
          + "10s in any case.");

  public static final ConfigOption<Integer> MAX_CONNECTIONS_PER_IDENTITY = ConfigOption.integer("--max-connections-per-identity")
      .check(n -> n >= 0, ">= 0")
      .defaultValue(8)
      .description("Connections one party of this job may keep open on the gRPC port once its TLS handshake named "
          + "it; one beyond is closed and logged with the identity, so one party cannot fill the port. A party needs "
          + "one (a few while a reconnect overlaps a lost connection; no more than its --max-calls-per-party calls "
          + "could use); a virtual-party host of this job that the server admits (--virtual-parties-per-host) gets "
          + "this many per virtual party. Any other identity of the CA (a party of another job or trust domain, a "
          + "host not admitted, a controller, an ingress not trusted) gets 2 at most, and is the first whose "
          + "connections close when the port is full (--max-connections). A --trusted-proxy is not capped (its "
          + "forwarded parties are, per call: --max-calls-per-party). The bulk-upload port takes one per party. "
          + "0 = no cap.");

  public static final ConfigOption<Integer> MAX_CALLS_PER_PARTY = ConfigOption.integer("--max-calls-per-party")
      .defaultValue(8)
      .description("Concurrent calls one party identity may have in flight over all its connections; at most one "
          + "of them a SubmitUpdate.");

  public static final ConfigOption<Integer> MAX_CONCURRENT_UPLOADS = ConfigOption.integer("--max-concurrent-uploads")
      .defaultValue(0)
      .description("SubmitUpdate streams read at once; each keeps up to one model on disk (its spool file) until "
          + "it ends, so the disk needed is N x the model's size. Further uploads wait, in arrival order, without "
          + "being read (each holding one flow-control window of memory). 0: as many as 16 GiB of spool hold "
          + "(16 for a 1 GiB model; at least 4).");

  public static final ConfigOption<WireEncoding> UPDATE_ENCODING = ConfigOption.of("--update-encoding",
          "float32|bf16|fp16", WireEncoding::parse, WireEncoding::flagName)
      .defaultValue(WireEncoding.FLOAT32)
      .description("How parties encode their updates' values on the wire, announced at Join: float32 (4 bytes a "
          + "value), bf16 (bfloat16: 2 bytes, float32's range, 8 significant bits) or fp16 (IEEE half: 2 bytes, "
          + "11 significant bits, |values| up to 65504; a party whose update holds a larger one skips the round). "
          + "2-byte encodings halve the bytes uploaded; the server widens values back to float32 before it "
          + "aggregates them; an update in another encoding is refused. The global model is always sent as "
          + "float32.");

  public static final ConfigOption<Integer> INLINE_MODEL_BYTES = ConfigOption.integer("--inline-model-bytes")
      .paramLabel("BYTES")
      .defaultValue(65536)
      .description("A global model of at most this many bytes (float32) is sent inside each TrainRequest, so "
          + "parties need no FetchModel call per round; larger models are fetched. At most one data chunk "
          + "(1048576); 0 never inlines. With 65536, at 1000 parties a round's TrainRequests hold at most 64 MiB "
          + "in flight.");

  public static final ConfigOption<Double> PRIVACY_BUDGET = ConfigOption.decimal("--privacy-budget")
      .paramLabel("EPSILON")
      .defaultText("off")
      .description("Run DP-FedAvg with this (epsilon, --dp-delta) budget: each update is clipped to --dp-clip-norm, "
          + "every party weighs the same, Gaussian noise of std --dp-noise-multiplier x --dp-clip-norm / (expected "
          + "participants) is added to the average, parties are sampled per round with --dp-sampling-rate; a Renyi-DP "
          + "accountant charges each round, and a round that would take epsilon beyond the budget does not start: "
          + "the job ends there, with the reason in its status. Needs --dp-clip-norm and --dp-noise-multiplier, "
          + "--strategy fedavg and no --max-update-norm.");

  public static final ConfigOption<Double> DP_DELTA = ConfigOption.decimal("--dp-delta").paramLabel("DELTA")
      .defaultText("1e-5")
      .description("With --privacy-budget: the delta of the budget, in (0, 0.1]; choose it below 1 / (number of "
          + "parties).");

  public static final ConfigOption<Double> DP_CLIP_NORM = ConfigOption.decimal("--dp-clip-norm").paramLabel("L2")
      .description("With --privacy-budget: each update's L2 distance from the round's global model (over all "
          + "tensors) is clipped to this bound, in (0, 1e6].");

  public static final ConfigOption<Double> DP_NOISE_MULTIPLIER = ConfigOption.decimal("--dp-noise-multiplier")
      .paramLabel("Z")
      .description("With --privacy-budget: noise std over --dp-clip-norm on the sum of updates, in [0.01, 1000]; "
          + "larger means fewer epsilon per round and noisier models.");

  public static final ConfigOption<Double> DP_SAMPLING_RATE = ConfigOption.decimal("--dp-sampling-rate")
      .paramLabel("Q")
      .defaultText("1")
      .description("With --privacy-budget: probability that each connected party is asked to train in a round "
          + "(Poisson sampling), in (0, 1]; the expected participants are Q x --expected-parties.");

  public static final ConfigOption<String> DP_MODE = ConfigOption.string("--dp-mode")
      .paramLabel("central|distributed")
      .defaultText("central")
      .description("With --privacy-budget: who adds the Gaussian noise. central: the aggregator, to the average of "
          + "the clipped updates it sees. distributed (needs --secure-aggregation): each party clips its update's "
          + "difference from the round's global model to --dp-clip-norm and adds its share of the noise in the "
          + "fixed-point domain before masking, so the unmasked sum carries noise of std --dp-noise-multiplier x "
          + "--dp-clip-norm and no one, the aggregator included, sees the sum without it. The shares are sized for "
          + "--dp-dropout-tolerance; with more survivors the sum carries more noise, and the accountant is charged "
          + "with the noise actually present.");

  public static final ConfigOption<Double> DP_DROPOUT_TOLERANCE = ConfigOption.decimal("--dp-dropout-tolerance")
      .paramLabel("P")
      .defaultText("0.1")
      .description("With --dp-mode distributed: the share of a round's parties that may drop with the unmasked sum "
          + "still carrying the calibrated noise, in [0, 0.9]. Each party's share has std --dp-noise-multiplier x "
          + "--dp-clip-norm / sqrt(m), m = the round's parties less P of them (at least SecAgg+'s threshold); parties "
          + "sign no survivor list shorter than m, so a round with more dropouts fails and is retried.");

  public static final ConfigOption<Boolean> SECURE_AGGREGATION = ConfigOption.onOff("--secure-aggregation")
      .description("Aggregate with SecAgg+ (Bell et al. 2020): each party masks its update (clipped to "
          + "--secagg-clip-range, weighted by its share of the announced samples, fixed point modulo 2^32) with pairwise "
          + "masks and a self-mask whose seeds are Shamir-shared among its neighbours (the shares go party to party over "
          + "the peer channel, or by the aggregator's relay, encrypted end to end, to a neighbour that cannot be "
          + "reached); the aggregator relays keys, folds the masked inputs into one modular sum and unmasks only the sum, so it "
          + "never sees an individual update. A round survives dropouts after key sharing up to its threshold (a "
          + "majority of each party's 2 log2(n) neighbours). Every party must announce the capability secagg+/3 "
          + "(shares over the peer channel with share receipts, round keys signed with each party's TLS key and checked "
          + "by every other party, masks from AES-256-CTR); needs "
          + "--strategy fedavg, fedprox, fedadam or fedyogi (robust strategies and --max-update-norm need individual "
          + "updates) and at least 3 parties.");

  public static final ConfigOption<Double> SECAGG_CLIP_RANGE = ConfigOption.decimal("--secagg-clip-range")
      .paramLabel("R")
      .check(r -> r > 0 && r <= 1e6, "in (0, 1e6]")
      .defaultValue(100.0)
      .description("With --secure-aggregation: every value of an update is clipped to [-R, R] before it is encoded; "
          + "the sum's resolution is R / 2^30.");

  public static final ConfigOption<Double> FRACTION = ConfigOption.decimal("--fraction").paramLabel("F")
      .check(f -> f > 0 && f <= 1, "in (0, 1]")
      .defaultValue(1.0)
      .description("Share of the connected parties asked to train each round, 0 < F <= 1, drawn afresh every round "
          + "from --seed and the round (at least --min-parties); 1 = all.");

  public static final ConfigOption<Boolean> CHECK_PEERS = ConfigOption.onOff("--check-peers")
      .defaultValue(false)
      .description("Ask every participant to check, at the start of each round, that it reaches the peer endpoints "
          + "of the round's other participants (the roster in its TrainRequest), and to log which it cannot reach and "
          + "why. Parties announce their endpoints at Join (their --peer-port); without any, there is no roster.");

  public static final ConfigOption<Integer> VIRTUAL_PARTIES_PER_HOST = ConfigOption.integer("--virtual-parties-per-host")
      .paramLabel("K")
      .check(k -> k >= 0 && k <= 10_000, "in 0..10000")
      .defaultValue(0)
      .description("Admit virtual-party hosts (party processes started with --virtual-parties, e.g. the party pods of "
          + "a study too big for one machine) whose certificate declares at most K virtual parties "
          + "(spiffe://<domain>/job/<job>/party/<host>/virtual/<count>); each call of a host acts as the virtual party "
          + "<host>-v<i> it names, i below the certificate's count, and is a party of its own to the round loop. A name "
          + "the certificate does not cover is refused with PERMISSION_DENIED. 0: no hosts.");

  public static final ConfigOption<Path> TERMINATION_MESSAGE = ConfigOption.path("--termination-message")
      .description("When the job ends, write a one-line JSON summary (rounds, parties, last and final accuracy, "
          + "last loss) to FILE; in a pod /dev/termination-log, which Kubernetes keeps in the pod's status for the "
          + "IflearnerJob controller.");

  public static final ConfigOption<Path> STATUS_FILE = ConfigOption.path("--status-file")
      .description("JSON status, rewritten atomically after every round and at the end; 'bin/flotilla status FILE' "
          + "prints it (with <state-dir>/status.json, 'bin/flotilla status --state-dir DIR' finds it).");

  /** The server's options in the order of its help. */
  public static final OptionSet SET = OptionSet.of("flotilla server", PORT, BULK_PORT, BULK_IDLE_TIMEOUT, BIND, CERT, KEY, CA, JOB_ID, ROUNDS,
      MIN_PARTIES, EXPECTED_PARTIES, JOIN_GRACE, ROUND_TIMEOUT, FINAL_EVAL_WAIT, STRATEGY, FEDPROX_MU, SERVER_LR,
      TRIM_FRACTION, BYZANTINE_PARTIES, KRUM_SELECT, MODEL, INITIAL_MODEL, SEED, EXPORT, EXPORT_EVERY_ROUND,
      LOCAL_EPOCHS, STATE_DIR, METRICS_PORT, ALLOW_PARTY, ALLOW_PARTY_FILE, REVOKED_SERIALS, RECONNECT_GRACE, MAX_SAMPLES_PER_PARTY,
      MAX_UPDATE_NORM, UPDATE_NORM_ACTION, TRUSTED_PROXY, MAX_MESSAGE_KIB, MAX_CALLS_PER_CONNECTION,
      MAX_CONNECTIONS, MAX_CONNECTIONS_PER_SOURCE, MAX_PENDING_HANDSHAKES, MAX_HANDSHAKES_PER_SOURCE, HANDSHAKE_TIMEOUT,
      MAX_CONNECTIONS_PER_IDENTITY, MAX_CALLS_PER_PARTY, MAX_CONCURRENT_UPLOADS, UPDATE_ENCODING, INLINE_MODEL_BYTES, PRIVACY_BUDGET,
      DP_DELTA, DP_CLIP_NORM, DP_NOISE_MULTIPLIER, DP_SAMPLING_RATE, DP_MODE, DP_DROPOUT_TOLERANCE, SECURE_AGGREGATION,
      SECAGG_CLIP_RANGE, FRACTION, CHECK_PEERS, VIRTUAL_PARTIES_PER_HOST, TERMINATION_MESSAGE,
      STATUS_FILE)
      .with(LogOptions.FORMAT);
}
