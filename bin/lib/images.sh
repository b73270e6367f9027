#!/usr/bin/env bash
# Flotilla's runtime images without a registry: built by Maven with Jib on the locally made base image,
# imported into the single-node cluster's containerd (bin/lib/cluster.sh, namespace k8s.io).
#
#   images.sh build [MAVEN ARGS]   base image (bin/lib/base-image.sh, cached), then `mvn -Pimages package`
#                                  of aggregator-server, party and controller (tests skipped): OCI tarballs
#                                  <module>/target/jib-image.tar
#   images.sh import [TARBALL...]  starts containerd if needed (cluster.sh containerd-up) and imports the
#                                  tarballs (default: the three); prints each image reference, one a line
#   images.sh                      build, then import
#
# Images: localhost/flotilla/server, localhost/flotilla/party, localhost/flotilla/controller, tagged with the
# project version (never "latest": pods with imagePullPolicy IfNotPresent use the imported image and never pull).
# "localhost/" so that no node can pull them from a public registry (a short flotilla/party means docker.io).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LIB="$ROOT/bin/lib"
MODULES=(aggregator-server party controller)

log() { echo "[images] $*" >&2; }

tarball_of() { echo "$ROOT/$1/target/jib-image.tar"; }

build() {
  local base
  base=$("$LIB/base-image.sh")
  log "building the images of ${MODULES[*]} on ${base}"
  (cd "$ROOT" && mvn -B -q -Pimages package -DskipTests -Dflotilla.image.base="tar://${base}" \
    -pl "$(IFS=,; echo "${MODULES[*]}")" -am "$@")
}

# Jib names the image in its OCI index (org.opencontainers.image.ref.name) as it was given; the kubelet asks for
# the normalized name. The default localhost/flotilla/party:0.1.0 is already normalized; a short name given with
# -Dflotilla.image.repository (e.g. ml/party:0.1.0) is stored as docker.io/ml/party:0.1.0.
normalized() {
  local ref="$1" first="${1%%/*}"
  if [ "$ref" = "$first" ]; then
    echo "docker.io/library/$ref"
  elif [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then
    echo "$ref"
  else
    echo "docker.io/$ref"
  fi
}

# Imports one OCI tarball unless containerd already holds that manifest under the normalized name.
import_one() {
  local tarball="$1" index ref digest name
  [ -s "$tarball" ] || { log "missing ${tarball}: run 'bin/lib/images.sh build' (or mvn -Pimages package)"; exit 1; }
  index=$(tar -xOf "$tarball" index.json)
  ref=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // empty' <<<"$index")
  digest=$(jq -r '.manifests[0].digest' <<<"$index")
  [ -n "$ref" ] || { log "${tarball}: its index.json names no image (org.opencontainers.image.ref.name)"; exit 1; }
  name=$(normalized "$ref")
  if "$LIB/cluster.sh" ctr images ls "name==${name}" | awk 'NR > 1 {print $3}' | grep -qx "$digest"; then
    log "${name} already imported (${digest:7:12})"
  else
    log "importing ${name} from ${tarball}"
    "$LIB/cluster.sh" ctr images import "$tarball" >/dev/null
    if [ "$name" != "$ref" ]; then
      "$LIB/cluster.sh" ctr images tag --force "$ref" "$name" >/dev/null
      "$LIB/cluster.sh" ctr images rm "$ref" >/dev/null
    fi
  fi
  echo "$name"
}

import_all() {
  "$LIB/cluster.sh" containerd-up >&2
  local tarballs=("$@") module tarball
  if [ ${#tarballs[@]} -eq 0 ]; then
    for module in "${MODULES[@]}"; do tarballs+=("$(tarball_of "$module")"); done
  fi
  for tarball in "${tarballs[@]}"; do
    import_one "$tarball"
  done
}

case "${1:-}" in
  build) shift; build "$@" ;;
  import) shift; import_all "$@" ;;
  "") build && import_all ;;
  *) echo "usage: bin/lib/images.sh [build [MAVEN ARGS] | import [TARBALL...]]" >&2; exit 2 ;;
esac
