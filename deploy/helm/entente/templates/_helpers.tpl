{{/* Names ------------------------------------------------------------------------------ */}}

{{- define "entente.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every resource name: the release name, plus "-entente" unless it has it. */}}
{{- define "entente.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "entente.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's resource name, refused (not truncated) past Kubernetes' 63 characters:
     two truncated names could collide. Call with (list $ "tenant-police"). */}}
{{- define "entente.componentName" -}}
{{- $root := index . 0 -}}
{{- $name := printf "%s-%s" (include "entente.fullname" $root) (index . 1) -}}
{{- if gt (len $name) 63 -}}
{{- fail (printf "the resource name %q is %d characters long, Kubernetes allows 63: shorten the release name or set fullnameOverride" $name (len $name)) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{- define "entente.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "entente.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels --------------------------------------------------------------------------- */}}

{{- define "entente.selectorLabels" -}}
app.kubernetes.io/name: {{ include "entente.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "entente.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "entente.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: entente
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "tenant" "tenant" "police"). */}}
{{- define "entente.componentSelectorLabels" -}}
{{ include "entente.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- with .tenant }}
entente.interieur.gouv.fr/tenant: {{ . }}
{{- end }}
{{- end -}}

{{- define "entente.componentLabels" -}}
{{ include "entente.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- with .tenant }}
entente.interieur.gouv.fr/tenant: {{ . }}
{{- end }}
{{- end -}}

{{/* Image ---------------------------------------------------------------------------- */}}

{{- define "entente.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Environment -------------------------------------------------------------------- */}}

{{/* A PostgreSQL URL as environment variable `name`, from a database block merged with
     databaseDefaults. Call with (dict "name" "ENTENTE_POSTGRES_URL" "prefix" "DB" "db" $db "root" $). */}}
{{- define "entente.databaseEnv" -}}
{{- $db := merge (deepCopy .db) .root.Values.databaseDefaults -}}
{{- if $db.host -}}
- name: {{ .prefix }}_USERNAME
  valueFrom:
    secretKeyRef: {name: {{ $db.existingSecret | quote }}, key: {{ $db.usernameKey | quote }}}
- name: {{ .prefix }}_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ $db.existingSecret | quote }}, key: {{ $db.passwordKey | quote }}}
- name: {{ .name }}
  value: {{ printf "postgresql://$(%s_USERNAME):$(%s_PASSWORD)@%s:%v/%s%s" .prefix .prefix $db.host (int $db.port) $db.name (ternary (printf "?%s" $db.parameters) "" (ne $db.parameters "")) | quote }}
{{- else -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef: {name: {{ $db.existingSecret | quote }}, key: {{ $db.urlKey | quote }}}
{{- end }}
{{- end -}}

{{- define "entente.authEnv" -}}
- name: ENTENTE_AUTH
  value: jwks
- name: ENTENTE_ISSUER
  value: {{ .Values.auth.issuer | quote }}
- name: ENTENTE_AUDIENCE
  value: {{ .Values.auth.audience | quote }}
- name: ENTENTE_JWKS_URL
  value: {{ .Values.auth.jwksUrl | quote }}
{{- end -}}

{{/* The TLS client certificate of one component, as JSON ({} when it has none); call with
     (dict "root" $ "component" "relay"). kafka.security.tls.identities.<component>, else the
     release's clientCertSecret; only the components that talk to Kafka get one (a tenant
     service or the provisioning Job never holds a Kafka key). */}}
{{- define "entente.kafkaClient" -}}
{{- $tls := .root.Values.kafka.security.tls -}}
{{- $client := dict -}}
{{- if and (hasSuffix "SSL" .root.Values.kafka.security.protocol) (has .component (list "relay" "projector" "reporting" "audit")) -}}
{{- $own := get ($tls.identities | default dict) .component | default dict -}}
{{- $secret := $own.clientCertSecret | default $tls.clientCertSecret -}}
{{- if $secret -}}
{{- $client = dict "secret" $secret "certKey" ($own.clientCertKey | default $tls.clientCertKey) "keyKey" ($own.clientKeyKey | default $tls.clientKeyKey) -}}
{{- end -}}
{{- end -}}
{{- toJson $client -}}
{{- end -}}

{{/* Kafka settings of one component; call with (dict "root" $ "component" "relay"). Its SASL
     identity: kafka.security.sasl.identities.<component>, else the release's; its TLS client
     certificate: see entente.kafkaClient. */}}
{{- define "entente.kafkaEnv" -}}
{{- $root := .root -}}
- name: ENTENTE_KAFKA_BOOTSTRAP_SERVERS
  value: {{ $root.Values.kafka.bootstrapServers | quote }}
- name: ENTENTE_KAFKA_PARTITIONS
  value: {{ int $root.Values.kafka.partitions | quote }}
- name: ENTENTE_KAFKA_REPLICATION_FACTOR
  value: {{ int $root.Values.kafka.replicationFactor | quote }}
- name: ENTENTE_KAFKA_MIN_INSYNC_REPLICAS
  value: {{ int $root.Values.kafka.minInsyncReplicas | quote }}
- name: ENTENTE_KAFKA_TOPIC_PREFIX
  value: {{ $root.Values.kafka.topicPrefix | quote }}
{{- $security := $root.Values.kafka.security }}
- name: ENTENTE_KAFKA_SECURITY_PROTOCOL
  value: {{ $security.protocol | quote }}
{{- if hasPrefix "SASL_" $security.protocol }}
{{- $sasl := $security.sasl }}
{{- $own := get ($sasl.identities | default dict) .component | default dict }}
- name: ENTENTE_KAFKA_SASL_MECHANISM
  value: {{ $sasl.mechanism | quote }}
- name: ENTENTE_KAFKA_SASL_USERNAME
  value: {{ $own.username | default $sasl.username | quote }}
- name: ENTENTE_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ $own.existingSecret | default $sasl.existingSecret | quote }}, key: {{ $own.passwordKey | default $sasl.passwordKey | quote }}}
{{- end }}
{{- if hasSuffix "SSL" $security.protocol }}
- name: ENTENTE_KAFKA_SSL_CHECK_HOSTNAME
  value: {{ $security.tls.checkHostname | quote }}
{{- if $security.tls.caSecret }}
- name: ENTENTE_KAFKA_SSL_CAFILE
  value: /etc/entente/kafka-ca/ca.crt
{{- end }}
{{- if (include "entente.kafkaClient" . | fromJson).secret }}
- name: ENTENTE_KAFKA_SSL_CERTFILE
  value: /etc/entente/kafka-client/client.crt
- name: ENTENTE_KAFKA_SSL_KEYFILE
  value: /etc/entente/kafka-client/client.key
{{- end }}
{{- end }}
{{- end -}}

{{/* Pods ----------------------------------------------------------------------------- */}}

{{/* What every pod spec shares; call with
     (dict "root" $ "selector" <selector labels> "component" <relay|projector|…>). */}}
{{- define "entente.podCommon" -}}
{{- $root := .root -}}
serviceAccountName: {{ include "entente.serviceAccountName" $root }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $root.Values.spreadOverNodes }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- .selector | nindent 8 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir: {sizeLimit: 64Mi}
  - name: data
    emptyDir: {sizeLimit: {{ $root.Values.dataDirSizeLimit | quote }}}
{{- with $root.Values.kafka.security.tls.caSecret }}
  - name: kafka-ca
    secret:
      secretName: {{ . | quote }}
      items: [{key: {{ $root.Values.kafka.security.tls.caKey | quote }}, path: ca.crt}]
{{- end }}
{{- $client := include "entente.kafkaClient" (dict "root" $root "component" .component) | fromJson }}
{{- if $client.secret }}
  - name: kafka-client
    secret:
      secretName: {{ $client.secret | quote }}
      defaultMode: 0440
      items:
        - {key: {{ $client.certKey | quote }}, path: client.crt}
        - {key: {{ $client.keyKey | quote }}, path: client.key}
{{- end }}
{{- end -}}

{{- define "entente.podMetadata" -}}
labels:
  {{- .labels | nindent 2 }}
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .root.Values.podAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The HTTP probes of a service listening on the named port "http". */}}
{{- define "entente.httpProbes" -}}
{{- include "entente.httpProbesUnder" (dict "root" . "prefix" "") -}}
{{- end -}}

{{/* The same, for a service serving its health under a path prefix (audit: /api/audit);
     call with (dict "root" $ "prefix" "/api/audit"). */}}
{{- define "entente.httpProbesUnder" -}}
{{- $probes := .root.Values.probes -}}
startupProbe:
  httpGet: {path: {{ .prefix }}/healthz, port: http}
  periodSeconds: 5
  timeoutSeconds: {{ $probes.timeoutSeconds }}
  failureThreshold: {{ $probes.startupFailureThreshold }}
livenessProbe:
  httpGet: {path: {{ .prefix }}/healthz, port: http}
  periodSeconds: {{ $probes.periodSeconds }}
  timeoutSeconds: {{ $probes.timeoutSeconds }}
  failureThreshold: {{ $probes.livenessFailureThreshold }}
readinessProbe:
  httpGet: {path: {{ .prefix }}/readyz, port: http}
  periodSeconds: {{ $probes.periodSeconds }}
  timeoutSeconds: {{ $probes.timeoutSeconds }}
  failureThreshold: {{ $probes.readinessFailureThreshold }}
{{- end -}}

{{/* What every container shares; call with (dict "root" $ "component" <relay|projector|…>). */}}
{{- define "entente.containerCommon" -}}
{{- $root := .root -}}
image: {{ include "entente.image" $root }}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml $root.Values.securityContext | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: data
    mountPath: /var/lib/entente
{{- if $root.Values.kafka.security.tls.caSecret }}
  - name: kafka-ca
    mountPath: /etc/entente/kafka-ca
    readOnly: true
{{- end }}
{{- if (include "entente.kafkaClient" . | fromJson).secret }}
  - name: kafka-client
    mountPath: /etc/entente/kafka-client
    readOnly: true
{{- end }}
{{- end -}}

{{/* Tenants -------------------------------------------------------------------------- */}}

{{- define "entente.tenantSlugs" -}}
{{- $slugs := list -}}
{{- range .Values.tenants }}{{ $slugs = append $slugs .slug }}{{ end -}}
{{- toJson $slugs -}}
{{- end -}}

{{- define "entente.projectorTenants" -}}
{{- if .Values.projector.tenants -}}
{{- toJson .Values.projector.tenants -}}
{{- else -}}
{{- include "entente.tenantSlugs" . -}}
{{- end -}}
{{- end -}}
