{{/*
Chart name, overridable with nameOverride. Kubernetes names are limited to 63 characters.
*/}}
{{- define "dra-node-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Base name of every resource: fullnameOverride, else "<release>-<chart name>", or just the release
name when it already contains the chart name.
*/}}
{{- define "dra-node-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "dra-node-agent.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "dra-node-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels that never change over the life of a release: the DaemonSet selector uses them.
*/}}
{{- define "dra-node-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dra-node-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "dra-node-agent.labels" -}}
helm.sh/chart: {{ include "dra-node-agent.chart" . }}
{{ include "dra-node-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: node-agent
app.kubernetes.io/part-of: dra-node-agent
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
THE name of the agent's ServiceAccount. The DaemonSet, the ServiceAccount, the ClusterRoleBinding
and the admission policy's username all come from here and nowhere else: a DRA chart once matched
one account in its policy while its pods ran as another, which silently switched the node
restriction off.
*/}}
{{- define "dra-node-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dra-node-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The user name the API server gives that ServiceAccount's tokens.
*/}}
{{- define "dra-node-agent.serviceAccountUsername" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "dra-node-agent.serviceAccountName" .) }}
{{- end }}

{{/*
Image reference: by digest when one is given, else by tag (default: the chart's appVersion).
*/}}
{{- define "dra-node-agent.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
The container port that serves the actuator (probes, metrics): its own port when ports.management
is set, else the REST API's.
*/}}
{{- define "dra-node-agent.actuatorPort" -}}
{{- if .Values.ports.management }}management{{ else }}http{{ end }}
{{- end }}

{{- define "dra-node-agent.registryDir" -}}
{{- printf "%s/plugins_registry" (trimSuffix "/" .Values.kubeletRootDir) }}
{{- end }}

{{- define "dra-node-agent.pluginsDir" -}}
{{- printf "%s/plugins" (trimSuffix "/" .Values.kubeletRootDir) }}
{{- end }}

{{/*
Where the TLS Secret (security.tls.secretName) is mounted.
*/}}
{{- define "dra-node-agent.tlsDir" -}}
/etc/dra-node-agent/tls
{{- end }}

