# syntax=docker/dockerfile:1
#
# dra-node-agent image: build the Spring Boot jar, split it into layers, record a class-data-sharing
# (AppCDS) archive, and run it on a JRE. See docs/DEPLOY.md for how to build it.

ARG JDK_IMAGE=eclipse-temurin:17-jdk
ARG JRE_IMAGE=eclipse-temurin:17-jre

# ---------------------------------------------------------------------------------------------
# Build: compile and package with the Maven wrapper (pinned Maven 3.9; the protobuf plugin needs it).
FROM ${JDK_IMAGE} AS build
WORKDIR /src
# Build inputs only; .dockerignore keeps everything else (target/, .git, IDE files) out of the context.
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY proto/ proto/
COPY src/ src/
# The cache mount keeps ~/.m2 between builds (BuildKit, the default builder since Docker 23).
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -DskipTests package
# Without --launcher the layers hold a plain app.jar plus lib/, launched with `java -jar`: the
# layout Spring Boot recommends for CDS, because the archive is keyed on plain jar paths.
RUN java -Djarmode=tools -jar target/dra-node-agent-0.1.0-SNAPSHOT.jar \
      extract --layers --destination /extracted --application-filename app.jar

# ---------------------------------------------------------------------------------------------
# Runtime.
FROM ${JRE_IMAGE}

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="dra-node-agent" \
      org.opencontainers.image.description="Per-node agent that registers, monitors and cleans up after Kubernetes DRA driver plugins" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="eclipse-temurin:17-jre"

WORKDIR /app
# Least to most often changed, so a code change only replaces the last, smallest layer.
COPY --from=build /extracted/dependencies/ ./
COPY --from=build /extracted/spring-boot-loader/ ./
COPY --from=build /extracted/snapshot-dependencies/ ./
COPY --from=build /extracted/application/ ./

# JVM flags for one small agent per node. They live in one variable so the benchmark (and the chart,
# through extraEnv) can reuse or replace them as a whole.
#   -XX:+UseSerialGC            the pod has no CPU limit, so the JVM sees every core of the node and
#                               would pick G1, whose remembered sets and concurrent threads cost native
#                               memory a 64 MiB heap does not need; pauses on such a heap are short.
#   -Xms32m -Xmx64m             a fixed heap range, whatever the container limit: the agent's live
#                               data after start-up is a fraction of it, and the churn and bulk-wipe
#                               benchmarks do not change with it (docs/BENCHMARKS.md); a heap sized
#                               from the limit only grows to hold garbage.
#   -Xmn8m                      a young generation of 8 MiB: large enough that start-up and bursts
#                               do not collect in a storm, small enough to stay committed when idle.
#   -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20
#                               keep the old generation close to what it holds (the default keeps
#                               40-70 % of it free), so it gives memory back after a collection.
#   -Xss512k                    half the default stack size per thread; the agent does no deep
#                               recursion, and it caps what each Tomcat/gRPC/scheduler thread can take.
#   -XX:TieredStopAtLevel=1     C1 only: faster start-up and less compiler memory (C2 measured ≈ +25 MB
#                               RSS idle, docs/BENCHMARKS.md); an agent that is idle most
#                               of the time gains little from C2's peak performance.
#   -XX:+ExitOnOutOfMemoryError a JVM out of memory is not trustworthy: exit, and let the kubelet
#                               restart the container.
#   -Djava.util.concurrent.ForkJoinPool.common.parallelism=2
#                               the JDK HTTP client (fabric8's transport) completes every response
#                               through CompletableFuture's default executor, which is a new thread per
#                               task when the common pool's parallelism is below 2, i.e. whenever the
#                               container sees 1 or 2 CPUs. Two common-pool threads instead of one
#                               thread start per API call.
ENV JAVA_OPTS="-XX:+UseSerialGC -Xms32m -Xmx64m -Xmn8m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -Xss512k -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.util.concurrent.ForkJoinPool.common.parallelism=2"

# AppCDS training run: start the context up to refresh (spring.context.exit=onRefresh stops before
# any lifecycle bean, such as the registry watcher, starts) and archive every class loaded on the way,
# so the agent starts from a memory map instead of loading and verifying each class (JDK 25's AOT
# cache was measured too, docs/BENCHMARKS.md: no faster here, and more memory). NODE_NAME and the
# kubelet folder only have to be valid here. -Xlog:cds=error hides the expected list of classes CDS
# cannot archive. Trained in security mode kubernetes, the chart's default (with the self-signed
# certificate, so that its classes are archived too); mode none loads almost nothing beyond that.
RUN NODE_NAME=cds-training DRA_AGENT_KUBELET_ROOT_DIR=/tmp/cds-training DRA_AGENT_SECURITY_MODE=kubernetes \
    java ${JAVA_OPTS} -XX:ArchiveClassesAtExit=/app/app.jsa -Xlog:cds=error \
      -Dspring.context.exit=onRefresh -jar app.jar

# Non-root by default, numeric so that runAsNonRoot can be verified. The Helm chart overrides this with
# runAsUser 0 because kubelet plugin sockets are root-owned (mode 0755) and connecting to a Unix
# socket needs write permission on it; see docs/DEPLOY.md, "Security".
USER 65532:65532

# 8080 REST API and actuator: probes and metrics (server.port); 9090 gRPC inspection API
# (spring.grpc.server.port).
EXPOSE 8080 9090

# A shell expands JAVA_OPTS, then exec makes java PID 1 so it receives SIGTERM directly and Spring's
# graceful shutdown runs. If the archive does not match the JVM, java warns and runs without it.
ENTRYPOINT ["/bin/sh", "-c", "exec java $JAVA_OPTS -XX:SharedArchiveFile=/app/app.jsa -jar /app/app.jar \"$@\"", "dra-node-agent"]
