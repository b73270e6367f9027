package dev.flotilla.clusters;

import com.pulumi.core.Output;
import com.pulumi.core.annotations.Import;
import com.pulumi.resources.CustomResource;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.ResourceArgs;
import java.util.Map;

/**
 * An object of a custom resource kind, applied by the Kubernetes provider. The Java SDK of com.pulumi:kubernetes
 * 4.0.0 has no {@code apiextensions.CustomResource} class (the other languages' SDKs do); this is what that class
 * is: a resource of type {@code kubernetes:<apiVersion>:<kind>}, whose inputs are the object's fields.
 */
public final class KubernetesObject extends CustomResource {

  public KubernetesObject(String name, String apiVersion, String kind, Map<String, Object> metadata,
      Output<Map<String, Object>> spec, CustomResourceOptions options) {
    super("kubernetes:" + apiVersion + ":" + kind, name, new Args(apiVersion, kind, metadata, spec), options);
  }

  /** The object's fields as the provider's inputs. */
  static final class Args extends ResourceArgs {
    @Import(name = "apiVersion", required = true)
    private final Output<String> apiVersion;

    @Import(name = "kind", required = true)
    private final Output<String> kind;

    @Import(name = "metadata")
    private final Output<Map<String, Object>> metadata;

    @Import(name = "spec")
    private final Output<Map<String, Object>> spec;

    Args(String apiVersion, String kind, Map<String, Object> metadata, Output<Map<String, Object>> spec) {
      this.apiVersion = Output.of(apiVersion);
      this.kind = Output.of(kind);
      this.metadata = Output.of(metadata);
      this.spec = spec;
    }
  }
}
