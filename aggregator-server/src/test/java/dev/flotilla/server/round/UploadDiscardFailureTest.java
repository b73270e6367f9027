package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.aggregation.UpdateSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Review of issue 13: an upload whose take-back failed must never be reported as taken back. */
class UploadDiscardFailureTest {

  private static final List<TensorSpec> SPECS = List.of(new TensorSpec("w", new long[] {4}));

  /** Folds whatever it is given; cannot take it back (its undo journal is unreadable). */
  private static class UndiscardableSink implements UpdateSink {
    @Override
    public void accept(int tensor, int offset, FloatBuffer values, int count) {}

    @Override
    public String commit() {
      return "";
    }

    @Override
    public void discard() throws IOException {
      throw new IOException("undo journal unreadable");
    }
  }

  @Test
  @DisplayName("when the party's own failure path could not take its update back, the round's close is told so too (IOException), "
      + "not that the upload is discarded")
  void failedTakeBackIsNotReportedAsDiscardedToTheRoundClose() throws Exception {
    Upload upload = new Upload("jobD", "mallory", new Round(1, 1, Instant.EPOCH), 5, Map.of(), SPECS,
        new UndiscardableSink());
    ByteBuffer b = ByteBuffer.allocate(2 * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).putFloat(1e30f).putFloat(2);
    upload.accept(ByteString.copyFrom(b.array()));
    // the stream broke off: RoundCoordinator.failUpload discards outside the lock and fails
    assertThatThrownBy(upload::discard).isInstanceOf(IOException.class).hasMessageContaining("undo journal unreadable");
    // meanwhile RoundLoop.collect closed the round (job.current = null, so failUpload's taint is dropped) and
    // discards every upload in flight: only an IOException here taints the attempt
    assertThatThrownBy(upload::discard).isInstanceOf(IOException.class)
        .hasMessageContaining("update of party 'mallory'");
  }

  @Test
  @DisplayName("a commit that failed half-way on the server's side is never reported as discarded afterwards: every discard throws")
  void halfFailedCommitIsNeverDiscarded() throws Exception {
    UpdateSink failingCommit = new UpdateSink() {
      @Override
      public void accept(int tensor, int offset, FloatBuffer values, int count) {}

      @Override
      public String commit() throws IOException {
        throw new IOException("disk full while folding");
      }

      @Override
      public void discard() {}
    };
    Upload upload = new Upload("jobD", "mallory", new Round(1, 1, Instant.EPOCH), 5, Map.of(), SPECS, failingCommit);
    ByteBuffer b = ByteBuffer.allocate(4 * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    upload.accept(ByteString.copyFrom(b.array()));
    assertThatThrownBy(upload::commit).isInstanceOf(IOException.class).hasMessage("disk full while folding");
    assertThatThrownBy(upload::discard).isInstanceOf(IOException.class)
        .hasMessageContaining("could not be taken back from round 1");
  }
}
