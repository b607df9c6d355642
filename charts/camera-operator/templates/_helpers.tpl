{{/* The chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "camera-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource name: the release name, unless it already contains the
chart name.
*/}}
{{- define "camera-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "camera-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "camera-operator.labels" -}}
helm.sh/chart: {{ include "camera-operator.chart" . }}
{{ include "camera-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "camera-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "camera-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "camera-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "camera-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "camera-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The namespace of the leader-election Lease. */}}
{{- define "camera-operator.leaderElectionNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{/* The digest realm devices must be configured with. */}}
{{- define "camera-operator.realm" -}}
{{- default (substr 0 10 .Values.sip.id) .Values.sip.realm }}
{{- end }}

{{/*
The operator instances the release deploys, as a YAML list: one unsharded instance, or
one per entry of shards. Each has its shard name (empty when unsharded), the suffix of
its resource names, its replicas, its SIP port and the values of its SIP Service.
*/}}
{{- define "camera-operator.instances" -}}
{{- $out := list }}
{{- $seen := dict }}
{{- range .Values.shards }}
{{- if hasKey $seen .name }}
{{- fail (printf "shards: %s is listed twice; each shard needs its own name" .name) }}
{{- end }}
{{- $_ := set $seen .name true }}
{{- $svc := mergeOverwrite (deepCopy $.Values.service) (deepCopy (default dict .service)) }}
{{- $sipPort := $.Values.sip.port }}
{{- if .sipPort }}
{{- $sipPort = .sipPort }}
{{- $_ := set $svc "port" .sipPort }}
{{- end }}
{{- $replicas := $.Values.replicaCount }}
{{- if hasKey . "replicaCount" }}
{{- $replicas = .replicaCount }}
{{- end }}
{{- $out = append $out (dict "shard" .name "suffix" (printf "-%s" .name) "replicas" $replicas "sipPort" $sipPort "service" $svc) }}
{{- end }}
{{- if not .Values.shards }}
{{- $out = append $out (dict "shard" "" "suffix" "" "replicas" .Values.replicaCount "sipPort" .Values.sip.port "service" .Values.service) }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The selector labels of one instance's pods: a shard's pods also carry its name. */}}
{{- define "camera-operator.instanceSelectorLabels" -}}
{{ include "camera-operator.selectorLabels" .root }}
{{- if .inst.shard }}
gb28181.io/shard: {{ .inst.shard }}
{{- end }}
{{- end }}
