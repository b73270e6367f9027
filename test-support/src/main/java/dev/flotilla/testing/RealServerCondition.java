package dev.flotilla.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/** Enables a test only where the real servers it names are installed; see {@link RequiresRealServers}. */
public final class RealServerCondition implements ExecutionCondition {

  static final String REQUIRE_ALL_TIERS = "FLOTILLA_REQUIRE_ALL_TIERS";

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Optional<RequiresRealServers> annotation =
        context.getElement().flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresRealServers.class));
    if (annotation.isEmpty()) {
      return ConditionEvaluationResult.enabled("no real servers required");
    }
    List<RealServer> missing = new ArrayList<>();
    for (RealServer server : annotation.get().value()) {
      if (!server.isPresent()) {
        missing.add(server);
      }
    }
    if (missing.isEmpty()) {
      return ConditionEvaluationResult.enabled("all real servers present");
    }
    String names = missing.stream().map(RealServer::description).collect(Collectors.joining("; "));
    boolean installable = missing.stream().anyMatch(RealServer::installableBySetup);
    if (installable && "1".equals(System.getenv(REQUIRE_ALL_TIERS))) {
      throw new ExtensionConfigurationException(
          "missing " + names + " while " + REQUIRE_ALL_TIERS + "=1; run bin/flotilla test to install it");
    }
    String hint = installable ? "; run bin/flotilla test to install it" : "; this tier skips where none runs";
    return ConditionEvaluationResult.disabled("SKIPPED tier: missing " + names + hint);
  }
}
