package dev.flotilla.clusters;

import com.pulumi.Pulumi;

/** The Pulumi program's entry point: {@code pulumi up} in clusters/ runs it with the stack's {@code flotilla:federation}. */
public final class FederationProgram {

  public static final String CONFIG_KEY = "federation";

  private FederationProgram() {}

  public static void main(String[] args) {
    Pulumi.run(ctx -> FederationStack.define(ctx, FederationSpec.parse(ctx.config().require(CONFIG_KEY))));
  }
}
