#!/usr/bin/env bash
# Installs what the test tiers need, from Debian's packages only:
#   nginx (+ stream module)      real proxy for the *IT tier (SNI routing)
#   etcd-server, kube-apiserver  real API server for fabric8 kube-api-test (*IT)
#   dataset-fashion-mnist        real training data
#   python3-torch, python3-numpy PyTorch for Debian's /usr/bin/python3: the external-trainer examples
#   python3-sklearn              small CSV data sets for the tabular (CSV) job tests
#   safetensors (wheel)          from /opt/pypi/files (or PyPI) into /usr/bin/python3, for those examples
#   containerd, runc, containernetworking-plugins, conntrack, iptables, busybox-static, curl, iproute2, procps
#                                the single-node cluster of bin/lib/cluster.sh (*ClusterIT)
#   debootstrap                  the runtime images' base image (bin/lib/base-image.sh, cached)
#   chromium, chromium-driver    a real browser for the web view's tests (Selenium, *IT)
# kube-apiserver and kubectl, and the node's kubelet, kube-proxy, kube-scheduler and
# kube-controller-manager, are built from Debian's `kubernetes` source package (about 6 minutes on
# 2 cores for the first, 8 for all) and cached, so later runs skip the build.
set -euo pipefail

# shellcheck source=bin/lib/kubernetes-binaries.sh
. "$(dirname "${BASH_SOURCE[0]}")/kubernetes-binaries.sh"
KUBEAPITEST_DIR="${HOME}/.kubeapitest/k8s/${K8S_VERSION}-linux-amd64"
PACKAGES=(nginx libnginx-mod-stream etcd-server golang-go rsync jq dpkg-dev openssl dataset-fashion-mnist
  python3-torch python3-numpy python3-pip python3-sklearn
  containerd runc containernetworking-plugins conntrack iptables busybox-static curl iproute2 procps debootstrap
  chromium chromium-driver)
SAFETENSORS_VERSION=0.8.0
PYPI_FILES=/opt/pypi/files

log() { echo "[setup] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

ensure_deb_src() {
  # deb-src derived from the existing deb entries (deb822 or one-line form).
  local src=/etc/apt/sources.list.d/flotilla-src.sources
  [ -f "$src" ] && return 0
  local debian_uri=http://deb.debian.org/debian suites="bookworm bookworm-updates"
  if [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091
    . /etc/os-release
    [ -n "${VERSION_CODENAME:-}" ] && suites="${VERSION_CODENAME} ${VERSION_CODENAME}-updates"
  fi
  local f uri
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [ -r "$f" ] || continue
    uri=$(grep -Eo 'https?://[^ ]*/debian/?( |$)' "$f" | head -n1 | tr -d ' ' || true)
    if [ -n "$uri" ]; then debian_uri="${uri%/}"; break; fi
  done
  log "adding deb-src entry for ${debian_uri} (${suites})"
  as_root tee "$src" >/dev/null <<SRC
Types: deb-src
URIs: ${debian_uri}
Suites: ${suites}
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  APT_UPDATED=""
}

APT_UPDATED=""
apt_update_once() {
  if [ -z "$APT_UPDATED" ]; then
    log "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
}

install_packages() {
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  if [ -n "${missing// /}" ]; then
    apt_update_once
    log "installing: ${missing}"
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
}

# The safetensors package for Debian's python3 (Debian packages none): the local wheel when there is
# one, else PyPI. --break-system-packages because Debian marks its Python externally managed.
install_safetensors() {
  if /usr/bin/python3 -c 'import safetensors.torch' 2>/dev/null; then
    return 0
  fi
  local source=(--index-url https://pypi.org/simple)
  if compgen -G "${PYPI_FILES}/safetensors-${SAFETENSORS_VERSION}-*.whl" >/dev/null; then
    source=(--no-index --find-links "$PYPI_FILES")
  fi
  log "installing safetensors ${SAFETENSORS_VERSION} for /usr/bin/python3"
  as_root /usr/bin/python3 -m pip install -q --break-system-packages "${source[@]}" "safetensors==${SAFETENSORS_VERSION}"
}

# The source vendors modern-go/reflect2 1.0.1, which breaks under Go >= 1.18: the API server
# dies with SIGSEGV on the first custom-resource write. Debian packages 1.0.2, which fixes it.
replace_reflect2() {
  local srcdir="$1" work="$2"
  (cd "$work" && apt-get download -qq golang-github-modern-go-reflect2-dev >/dev/null)
  dpkg-deb -x "$work"/golang-github-modern-go-reflect2-dev_*.deb "$work/reflect2"
  local vendored="$srcdir/vendor/github.com/modern-go/reflect2"
  rm -rf "$vendored"
  cp -r "$work/reflect2/usr/share/gocode/src/github.com/modern-go/reflect2" "$vendored"
  rm -f "$vendored/go.mod"
  sed -i 's#github.com/modern-go/reflect2 v1.0.1#github.com/modern-go/reflect2 v1.0.2#g' \
    "$srcdir/vendor/modules.txt" "$srcdir/go.mod"
}

# Builds, in one `make` of Debian's kubernetes source, every binary missing from its cache
# directory: "dir:name" pairs, e.g. ~/.cache/flotilla/k8s-1.20.2-node-recipe2:kubelet.
build_kubernetes() {
  local wanted=() pair
  for pair in "$@"; do
    [ -x "${pair%%:*}/${pair##*:}" ] || wanted+=("$pair")
  done
  [ ${#wanted[@]} -eq 0 ] && return 0
  ensure_deb_src
  apt_update_once
  local work="${CACHE_DIR}/k8s-build"
  rm -rf "$work" && mkdir -p "$work"
  log "fetching Debian's kubernetes source package"
  (cd "$work" && apt-get source -qq kubernetes >/dev/null)
  local srcdir
  srcdir=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
  replace_reflect2 "$srcdir" "$work"
  local what=""
  for pair in "${wanted[@]}"; do what+="cmd/${pair##*:} "; done
  log "building ${what}in ${srcdir} (about 6 minutes for the first binary, 1-2 more for each other)"
  (
    cd "$srcdir"
    # As debian/rules does: a GOPATH inside the tree with k8s.io/kubernetes linked to it.
    export GOPATH="$srcdir/.go" PATH="/usr/lib/go/bin:$PATH" CGO_ENABLED=0
    mkdir -p .go/src/k8s.io
    [ -L .go/src/k8s.io/kubernetes ] || ln -s ../../.. .go/src/k8s.io/kubernetes
    env HOME="$work/home" make WHAT="${what% }" >"$work/build.log" 2>&1 \
      || { tail -n 40 "$work/build.log" >&2; exit 1; }
  )
  for pair in "${wanted[@]}"; do
    mkdir -p "${pair%%:*}"
    cp "$srcdir/_output/bin/${pair##*:}" "${pair%%:*}/"
  done
  rm -rf "$work"
}

# "dir:name" pairs of every binary the tiers use, for build_kubernetes.
kubernetes_binaries() {
  local name
  for name in "${API_BINARIES[@]}"; do echo "${K8S_OUT}:${name}"; done
  for name in "${NODE_BINARIES[@]}"; do echo "${K8S_NODE_OUT}:${name}"; done
}

place_kubeapitest_binaries() {
  mkdir -p "$KUBEAPITEST_DIR"
  local out="$K8S_OUT"
  ln -sf "${out}/kube-apiserver" "$KUBEAPITEST_DIR/kube-apiserver"
  ln -sf "${out}/kubectl" "$KUBEAPITEST_DIR/kubectl"
  ln -sf "$(command -v etcd)" "$KUBEAPITEST_DIR/etcd"
}

main() {
  install_packages
  install_safetensors
  # shellcheck disable=SC2046
  build_kubernetes $(kubernetes_binaries)
  place_kubeapitest_binaries
  # the runtime images' base (debootstrap + JRE 17, docker-archive tarball), rebuilt when its recipe changes
  bash "$(dirname "${BASH_SOURCE[0]}")/base-image.sh" >/dev/null
  log "ready: nginx $(nginx -v 2>&1 | sed 's/.*\///'), etcd $(etcd --version | head -n1 | awk '{print $3}'), kube-apiserver and the node's binaries ${K8S_VERSION}, containerd $(containerd --version | awk '{print $3}'), fashion-mnist in /usr/share/datasets/fashion-mnist, torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') with safetensors for /usr/bin/python3"
}

main "$@"
