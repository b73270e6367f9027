package dev.flotilla.server.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.protocol.status.StatusJson;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@code flotilla status} of a DP job on bare metal: the epsilon spent of its budget, and why the budget ended it. */
class StatusSummaryPrivacyTest {
  private static final String REASON =
      "privacy budget exhausted: round 3 would take epsilon to 4.1, beyond --privacy-budget 4.0";

  /** A DP job that its budget ended after 2 of 10 rounds, as the aggregator writes its status file. */
  private static String status() {
    JsonObject s = JsonParser.parseString("""
        {"job_id":"jobP","model":"mlp","initial_model":null,"exported_model":null,"exported_rounds_directory":null,
         "strategy":"dp-fedavg","rounds_completed":2,"rounds_total":10,"finished":true,"model_version":2,
         "enrollment":"open","allowed_parties":null,"capacity":2,
         "parties":["alice","bob"],"parties_connected":[],"current_round":null,
         "initial_accuracy":null,"accuracy_per_round":[null,null],"final_accuracy":null,
         "late_or_dropped":[],"rounds":[],"final_evaluations":{},
         "bytes_up":0,"bytes_down":0,"tls_provider":"BoringSSL","updated_unix_millis":4}
        """).getAsJsonObject();
    s.add("privacy", JsonParser.parseString("{\"epsilon_budget\":4.0,\"delta\":1.0E-5,\"epsilon_spent\":3.25,"
        + "\"noise_multiplier\":1.1,\"clip_norm\":0.5,\"sampling_rate\":1.0,\"rounds_allowed\":2}"));
    s.addProperty("end_reason", REASON);
    return s.toString();
  }

  @Test
  @DisplayName("the summary says the epsilon spent of the budget with its settings, and why the job ended early")
  void privacyLines() throws Exception {
    assertThat(StatusSummary.of(StatusJson.read(status())).lines()).contains(
        "  privacy: epsilon 3.250 spent of 4.0 (delta 1.0E-5), 2 rounds allowed; clip norm 0.5, noise multiplier 1.1, "
            + "sampling rate 1.0",
        "  ended early: " + REASON);
  }

  @Test
  @DisplayName("a job without a budget prints neither line")
  void noPrivacyLinesWithoutABudget() throws Exception {
    JsonObject plain = JsonParser.parseString(status()).getAsJsonObject();
    plain.remove("privacy");
    plain.remove("end_reason");

    assertThat(StatusSummary.of(StatusJson.read(plain.toString()))).doesNotContain("privacy", "ended early");
  }
}
