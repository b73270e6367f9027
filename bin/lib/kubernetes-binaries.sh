# Where the Kubernetes binaries built from Debian's `kubernetes` source are cached; sourced by
# setup-test-env.sh (which builds them) and cluster.sh (which runs them). RealServer in
# test-support checks the same paths: keep them in step.
K8S_VERSION=1.20.2
CACHE_DIR="${FLOTILLA_CACHE:-${HOME}/.cache/flotilla}"
# Bump when the build recipe changes, so cached binaries from an older recipe are rebuilt.
BUILD_RECIPE=2
# One cache directory per use, so adding the node's binaries never invalidates (or rebuilds) the
# kube-apiserver and kubectl that the *IT tier already has.
K8S_OUT="${CACHE_DIR}/k8s-${K8S_VERSION}-recipe${BUILD_RECIPE}"
K8S_NODE_OUT="${CACHE_DIR}/k8s-${K8S_VERSION}-node-recipe${BUILD_RECIPE}"
API_BINARIES=(kube-apiserver kubectl)
NODE_BINARIES=(kubelet kube-proxy kube-scheduler kube-controller-manager)
