{{/* Chart name, shortened to fit a label value. */}}
{{- define "restproxy-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: the prefix of every object of the release. The release name alone
when it already contains the chart name.
*/}}
{{- define "restproxy-operator.fullname" -}}
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

{{/* Labels of every object. */}}
{{- define "restproxy-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "restproxy-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: restproxy-operator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that select the operator pods; never change them (selectors are immutable). */}}
{{- define "restproxy-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "restproxy-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The operator's ServiceAccount. */}}
{{- define "restproxy-operator.serviceAccountName" -}}
{{- default (include "restproxy-operator.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{/* The operator image: repository with the digest, or the tag (default appVersion). */}}
{{- define "restproxy-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Leader election: asked for, or needed because several replicas run. */}}
{{- define "restproxy-operator.leaderElect" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicaCount) 1) }}true{{- end }}
{{- end }}

{{/* The Secret whose token the ServiceMonitor scrapes secure metrics with. */}}
{{- define "restproxy-operator.metricsTokenSecret" -}}
{{- default (printf "%s-metrics-scraper" (include "restproxy-operator.fullname" .)) .Values.metrics.serviceMonitor.tokenSecret.name }}
{{- end }}
