package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.WireEncoding;
import dev.flotilla.protocol.v1.Encoding;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.admission.AdmissionLimits;
import dev.flotilla.server.admission.UpdateAdmission;
import io.grpc.Status;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class UploadAdmissionTest {

  private static final List<TensorSpec> SPECS = List.of(new TensorSpec("w", new long[] {2, 3}));
  private final UploadAdmission admission = new UploadAdmission("jobA",
      new UpdateAdmission(AdmissionLimits.defaults()), SPECS, "model 'tiny'");
  private final RoundCollection open = new RoundCollection(new Round(3, 1, Instant.EPOCH), null);

  private static UpdateHeader.Builder header(int round, long samples) {
    return UpdateHeader.newBuilder().setRound(round).setNumSamples(samples).addAllTensors(TensorChunks.infos(SPECS));
  }

  private void assertRefusal(String party, UpdateHeader.Builder header, RoundCollection collection, Status.Code code,
      String description, boolean endsParticipation) {
    assertThatThrownBy(() -> admission.check(party, header.build(), collection, 100, "2 of 5 rounds completed"))
        .isInstanceOfSatisfying(UploadAdmission.Refusal.class, r -> {
          assertThat(r.status().getCode()).isEqualTo(code);
          assertThat(r.status().getDescription()).isEqualTo(description);
          assertThat(r.endsParticipation()).as("ends participation").isEqualTo(endsParticipation);
        });
  }

  @Test
  @DisplayName("a header of the open round from a participant with a claim within its announcement is admitted")
  void admits() throws Exception {
    open.addParticipant("alice");
    admission.check("alice", header(3, 100).putMetrics("accuracy", 0.5).build(), open, 100, "");
  }

  @Test
  @DisplayName("no open round, another round, a duplicate, an upload in flight and a party not asked are refused without ending its part")
  void staleOrDuplicate() throws Exception {
    assertRefusal("alice", header(3, 1), null, Status.Code.FAILED_PRECONDITION,
        "update of party 'alice' is for round 3 but no round is open in job jobA (2 of 5 rounds completed)", false);
    assertRefusal("alice", header(2, 1), open, Status.Code.FAILED_PRECONDITION,
        "update of party 'alice' is for round 2 but the current round of job jobA is 3", false);
    assertRefusal("carol", header(3, 1), open, Status.Code.FAILED_PRECONDITION,
        "party 'carol' was not asked to train round 3 (it has no Rounds stream)", false);
    open.addParticipant("alice");
    open.record("alice", new PartyOutcome.Submitted(1, Map.of()));
    assertRefusal("alice", header(3, 1), open, Status.Code.ALREADY_EXISTS,
        "party 'alice' already submitted an update for round 3", false);
    open.addParticipant("bob");
    open.startUpload(new Upload("jobA", "bob", open.round, 1, Map.of(), SPECS, new RecordingSink()));
    assertRefusal("bob", header(3, 1), open, Status.Code.ALREADY_EXISTS,
        "party 'bob' is already uploading an update for round 3", false);
    open.close();
    assertRefusal("alice", header(3, 1), open, Status.Code.FAILED_PRECONDITION,
        "update of party 'alice' is for round 3 but no round is open in job jobA (2 of 5 rounds completed)", false);
  }

  @Test
  @DisplayName("encoding, samples, metrics and layout refusals end the party's part in the round, each saying what was wrong")
  void contentRefusals() {
    open.addParticipant("alice");
    assertRefusal("alice", header(3, 1).setEncoding(Encoding.FIXED_POINT_MOD_2_32), open, Status.Code.UNIMPLEMENTED,
        "update encoding FIXED_POINT_MOD_2_32 is not supported by this server; send FLOAT32", true);
    assertRefusal("alice", header(3, 0), open, Status.Code.INVALID_ARGUMENT,
        "update num_samples must be > 0, got 0", true);
    assertRefusal("alice", header(3, 101), open, Status.Code.INVALID_ARGUMENT,
        "update of party 'alice' claims 101 samples, more than the 100 it announced at Join (an update may claim 1..100)",
        true);
    assertRefusal("alice", header(3, 1).putMetrics("loss", Double.NaN), open, Status.Code.INVALID_ARGUMENT,
        "update of party 'alice': metric 'loss' is NaN; metrics must be finite numbers", true);
    assertRefusal("alice", header(3, 1).setTensors(0, TensorChunks.infos(SPECS).get(0).toBuilder().setName("v")), open,
        Status.Code.INVALID_ARGUMENT, "update does not match model 'tiny': tensor 0 is named 'v', expected 'w'", true);
  }

  @Test
  @DisplayName("in a bf16 job an update in another encoding is refused with INVALID_ARGUMENT naming both (ending the party's part); a bf16 one is admitted")
  void encodingOfTheJob() throws Exception {
    UploadAdmission bf16 = new UploadAdmission("jobA", new UpdateAdmission(AdmissionLimits.defaults()), SPECS,
        "model 'tiny'", WireEncoding.BFLOAT16);
    open.addParticipant("alice");
    for (Encoding other : List.of(Encoding.FLOAT32, Encoding.FLOAT16)) {
      assertThatThrownBy(() -> bf16.check("alice", header(3, 1).setEncoding(other).build(), open, 100, ""))
          .isInstanceOfSatisfying(UploadAdmission.Refusal.class, r -> {
            assertThat(r.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(r.status().getDescription()).isEqualTo("update of party 'alice' is encoded as " + other.name()
                + " but job jobA takes BFLOAT16 updates (--update-encoding bf16, announced at Join)");
            assertThat(r.endsParticipation()).isTrue();
          });
    }
    assertThatThrownBy(() -> bf16.check("alice", header(3, 1).setEncodingValue(9).build(), open, 100, ""))
        .isInstanceOfSatisfying(UploadAdmission.Refusal.class, r -> assertThat(r.status().getDescription())
            .isEqualTo("update of party 'alice' is encoded as unknown (9) but job jobA takes BFLOAT16 updates "
                + "(--update-encoding bf16, announced at Join)"));
    bf16.check("alice", header(3, 1).setEncoding(Encoding.BFLOAT16).build(), open, 100, "");
    // and a float32 job refuses a bf16 update the same way
    assertRefusal("alice", header(3, 1).setEncoding(Encoding.BFLOAT16), open, Status.Code.INVALID_ARGUMENT,
        "update of party 'alice' is encoded as BFLOAT16 but job jobA takes FLOAT32 updates (--update-encoding float32, "
            + "announced at Join)", true);
  }
}
