package dev.flotilla.clusters;

/** The federation the tests declare: a coordinator and two hospitals in three regions. */
final class Examples {

  static final String FEDERATION = """
      {
        "project": "flotilla-fed",
        "domain": "fl.example.org",
        "dnsZone": "fl-example-org",
        "controllerImage": "europe-docker.pkg.dev/flotilla-fed/flotilla/controller",
        "controllerTag": "0.1.0",
        "organisations": [
          {"name": "coord", "role": "coordinator", "region": "europe-west1", "nodeCount": 1},
          {"name": "alice", "region": "europe-west4", "nodeCount": 2, "machineType": "n2-standard-8"},
          {"name": "bob", "role": "party", "region": "us-central1", "nodeCount": 3}
        ]
      }
      """;

  private Examples() {}

  static FederationSpec spec() {
    return FederationSpec.parse(FEDERATION);
  }
}
