#!/usr/bin/env bash
# The demo's data set on a fresh machine: Fashion-MNIST from Debian's dataset-fashion-mnist, installed
# the way setup-test-env.sh installs packages (apt-get, as root or through sudo without a password),
# else the one command that installs it and exit 4 ("missing" in the exit code table, README).
# Sourced by bin/flotilla; FLOTILLA_FASHION_MNIST points the demo (and this check) at another directory.

DEMO_DATASET_PACKAGE=dataset-fashion-mnist
DEMO_DATASET_DEFAULT=/usr/share/datasets/fashion-mnist
DEMO_INSTALL_COMMAND="sudo apt-get install -y $DEMO_DATASET_PACKAGE"
EXIT_MISSING=4

demo_data_dir() {
  echo "${FLOTILLA_FASHION_MNIST:-$DEMO_DATASET_DEFAULT}"
}

# true when the directory holds the four idx files, gzipped or not (what the demo reads)
demo_data_present() {
  local dir f
  dir="$(demo_data_dir)"
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -f "$dir/$f" ] || [ -f "$dir/$f.gz" ] || return 1
  done
}

# apt-get is there and we are root, or may sudo without a password
demo_can_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null
}

ensure_demo_data() {
  demo_data_present && return 0
  # installing the package helps only when the demo reads the package's directory
  if [ -z "${FLOTILLA_FASHION_MNIST:-}" ] && demo_can_install; then
    echo "[flotilla] installing $DEMO_DATASET_PACKAGE (Fashion-MNIST, the demo's data set)..." >&2
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
    if "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "$DEMO_DATASET_PACKAGE" >&2 && demo_data_present; then
      return 0
    fi
  fi
  echo "flotilla demo: Fashion-MNIST not found in $(demo_data_dir); install it with: $DEMO_INSTALL_COMMAND" \
    "(bin/flotilla demo does it itself when run as root), or pass --data DIR" >&2
  exit "$EXIT_MISSING"
}
