{{/*
Labels Helm adds to every object's metadata (and nothing else: selectors and the pod template keep
exactly the labels of config/, so an install can take over what kubectl apply -k made).
*/}}
{{- define "flotilla.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: flotilla
{{- end -}}

{{/* The controller's ServiceAccount as an RBAC subject. */}}
{{- define "flotilla.subject" -}}
- kind: ServiceAccount
  name: flotilla-controller
  namespace: {{ .Release.Namespace }}
{{- end -}}

{{/* The CoreDNS ConfigMap's namespace and name (values.schema.json checks the NAMESPACE/NAME form). */}}
{{- define "flotilla.coreDnsNamespace" -}}
{{- index (splitList "/" .Values.coreDnsConfigMap) 0 -}}
{{- end -}}

{{- define "flotilla.coreDnsName" -}}
{{- index (splitList "/" .Values.coreDnsConfigMap) 1 -}}
{{- end -}}

{{/* The watch argument, as config/default and config/cluster-wide write it into the ConfigMap. */}}
{{- define "flotilla.watchArg" -}}
{{- if .Values.watch.allNamespaces -}}
--all-namespaces
{{- else -}}
{{- if not .Values.watch.namespaces -}}
{{- fail "watch.namespaces must name at least one namespace (or set watch.allNamespaces)" -}}
{{- end -}}
--namespace={{ join "," .Values.watch.namespaces }}
{{- end -}}
{{- end -}}

{{/*
What the controller does where jobs run (config/rbac/namespaced/job_role.yaml): jobs, their status and
finalizers; the children it applies (server-side apply = patch, create) and deletes; Events. Secrets
only with "secrets" true: cluster-wide they come from flotilla-controller-secrets, per namespace.
*/}}
{{- define "flotilla.jobRules" -}}
- apiGroups: ["git.iflytek.com"]
  resources: ["iflearnerjobs"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["git.iflytek.com"]
  resources: ["iflearnerjobs/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["git.iflytek.com"]
  resources: ["iflearnerjobs/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "patch"]
# delete: a server's parties file goes when the job stops running a Flotilla image
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
{{- if .secrets }}
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
{{- end }}
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses", "networkpolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# spec.route: gateway: the job's TLSRoute (deleted when the job goes back to an Ingress)
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["tlsroutes"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
{{- end -}}
