package dev.flotilla.server.model;

import dev.flotilla.protocol.model.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the global model as safetensors with the job's names and dtypes, so
 * {@code safetensors.torch.load_file} plus {@code load_state_dict} gives it back in PyTorch. The
 * final model goes to {@code --export} (default {@code <state-dir>/model-final.safetensors}); with
 * {@code --export-every-round} every round's to {@code <state-dir>/models/round-NNNN.safetensors}.
 */
public final class ModelExport {

  private final Path finalFile;
  private final Path roundsDirectory;
  private final String jobId;
  private final String modelName;

  /** @param roundsDirectory where every round's model goes, or null for the final one only */
  public ModelExport(Path finalFile, Path roundsDirectory, String jobId, String modelName) {
    this.finalFile = finalFile;
    this.roundsDirectory = roundsDirectory;
    this.jobId = jobId;
    this.modelName = modelName;
  }

  public Path finalFile() {
    return finalFile;
  }

  /** Where round {@code round}'s model goes, or null when rounds are not exported. */
  public Path roundFile(int round) {
    return roundsDirectory == null ? null : roundsDirectory.resolve(String.format("round-%04d.safetensors", round));
  }

  public Path roundsDirectory() {
    return roundsDirectory;
  }

  /** Writes the final model atomically, streamed block by block from {@code model}; returns the file. */
  public Path writeFinal(GlobalModel model, int round) throws IOException {
    write(finalFile, model, round);
    return finalFile;
  }

  /** Writes a round's model atomically, if rounds are exported; returns the file or null. */
  public Path writeRound(GlobalModel model, int round) throws IOException {
    Path file = roundFile(round);
    if (file != null) {
      write(file, model, round);
    }
    return file;
  }

  private void write(Path file, GlobalModel model, int round) throws IOException {
    Safetensors.write(file, model.specs(), model::read, metadata(round, model.version()));
  }

  /** job, round, model_version and (for a built-in) flotilla.model: strings, as safetensors requires. */
  Map<String, String> metadata(int round, long modelVersion) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("format", "pt");
    m.put("job", jobId);
    m.put("round", Integer.toString(round));
    m.put("model_version", Long.toString(modelVersion));
    if (!modelName.isEmpty()) {
      m.put(Safetensors.MODEL_KEY, modelName);
    }
    return m;
  }
}
