#!/usr/bin/env bash
# The base image of Flotilla's runtime images, made here from Debian's packages with no registry:
# a Debian bookworm root file system (debootstrap, minbase) with OpenJDK 17's headless JRE and a user
# flotilla (uid/gid 10001), written as a docker-archive tarball (manifest.json, config, one layer),
# the tar format Jib takes as a base image (`<from><image>tar://FILE</image></from>`).
#
#   bin/lib/base-image.sh          build it unless the cached one was made by this recipe; print its path
#   bin/lib/base-image.sh --path   print the path only (nothing is built)
#
# The recipe is this file: its hash names the cached tarball, so editing the script rebuilds the image
# and an unchanged script reuses it. The tarball lives under ${FLOTILLA_CACHE:-~/.cache/flotilla}/base-image/,
# with a stable link flotilla-base-jre17.tar to the current one (the images profile's default base).
set -euo pipefail

SUITE=bookworm
PACKAGES=openjdk-17-jre-headless
IMAGE_TAG=flotilla/base-jre17:${SUITE}
RUNTIME_UID=10001

CACHE_DIR="${FLOTILLA_CACHE:-${HOME}/.cache/flotilla}/base-image"
RECIPE=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
TARBALL="${CACHE_DIR}/flotilla-base-jre17-${RECIPE}.tar"
CURRENT="${CACHE_DIR}/flotilla-base-jre17.tar"

log() { echo "[base-image] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The Debian mirror apt already uses (the first http(s) .../debian entry), else deb.debian.org.
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [ -r "$f" ] || continue
    uri=$(grep -Eo 'https?://[^ ]*/debian/?( |$)' "$f" | head -n1 | tr -d ' ' || true)
    if [ -n "$uri" ]; then echo "${uri%/}"; return 0; fi
  done
  echo http://deb.debian.org/debian
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null 2>&1 && return 0
  log "installing debootstrap"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
}

make_rootfs() {
  local rootfs="$1" mirror
  mirror=$(debian_mirror)
  log "debootstrap --variant=minbase --include=${PACKAGES} ${SUITE} from ${mirror} (about a minute)"
  as_root debootstrap --variant=minbase --include="${PACKAGES}" "${SUITE}" "$rootfs" "$mirror" \
    >"${rootfs}.log" 2>&1 || { tail -n 30 "${rootfs}.log" >&2; exit 1; }
  as_root chroot "$rootfs" groupadd --gid "$RUNTIME_UID" flotilla
  as_root chroot "$rootfs" useradd --uid "$RUNTIME_UID" --gid "$RUNTIME_UID" --create-home \
    --home-dir /home/flotilla --shell /usr/sbin/nologin flotilla
  # What a runtime image never reads: package lists and caches, documentation, logs of the bootstrap.
  as_root rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/* \
    "$rootfs"/debootstrap
  # debootstrap copied this host's; the runtime (kubelet, ctr) mounts the container's own over them
  as_root truncate -s 0 "$rootfs"/etc/resolv.conf "$rootfs"/etc/hostname
}

# docker-archive layout: one uncompressed layer, its config (diff_id = the layer's sha256) and manifest.json.
write_docker_archive() {
  local rootfs="$1" out="$2" work="$3"
  # /dev, /proc and /sys are mounted by the runtime; their entries (device nodes) stay out of the layer.
  as_root tar --numeric-owner --sort=name -C "$rootfs" -cf "$work/layer.tar" \
    --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* .
  local diff_id created java_home
  diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  java_home=$(cd "$rootfs" && find usr/lib/jvm -maxdepth 1 -name 'java-17-openjdk-*' -type d | head -n1)
  [ -n "$java_home" ] || { log "no JRE 17 under ${rootfs}/usr/lib/jvm"; exit 1; }
  jq -n --arg diff "sha256:${diff_id}" --arg created "$created" --arg javaHome "/${java_home}" \
    --arg by "debootstrap --variant=minbase --include=${PACKAGES} ${SUITE}; user flotilla ${RUNTIME_UID}; recipe ${RECIPE}" '{
      architecture: "amd64", os: "linux", created: $created,
      config: {
        Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ("JAVA_HOME=" + $javaHome), "LANG=C.UTF-8"],
        WorkingDir: "/"
      },
      rootfs: {type: "layers", diff_ids: [$diff]},
      history: [{created: $created, created_by: $by}]
    }' >"$work/config.json"
  jq -n --arg tag "$IMAGE_TAG" '[{Config: "config.json", RepoTags: [$tag], Layers: ["layer.tar"]}]' >"$work/manifest.json"
  tar -C "$work" -cf "$out" manifest.json config.json layer.tar
}

main() {
  if [ "${1:-}" = "--path" ]; then
    echo "$CURRENT"
    return 0
  fi
  mkdir -p "$CACHE_DIR"
  if [ -s "$TARBALL" ]; then
    ln -sfn "$(basename "$TARBALL")" "$CURRENT"
    echo "$CURRENT"
    return 0
  fi
  ensure_debootstrap
  command -v jq >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
  local work
  work=$(mktemp -d "${CACHE_DIR}/build.XXXXXX")
  trap 'as_root rm -rf "'"$work"'"' EXIT
  make_rootfs "$work/rootfs"
  write_docker_archive "$work/rootfs" "$work/image.tar" "$work"
  mv "$work/image.tar" "$TARBALL"
  # Older recipes' tarballs are dead weight (each is a few hundred MiB).
  find "$CACHE_DIR" -maxdepth 1 -name 'flotilla-base-jre17-*.tar' ! -name "$(basename "$TARBALL")" -delete
  ln -sfn "$(basename "$TARBALL")" "$CURRENT"
  log "built ${IMAGE_TAG} ($(du -h "$TARBALL" | cut -f1)) at ${TARBALL}"
  echo "$CURRENT"
}

main "$@"
