package io.dranode.bench;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The packaged agent as its own process: started with the given JVM flags, its ports chosen free
 * and bound to 127.0.0.1, its output in a log file; ready when its readiness probe says so; read
 * from {@code /proc} and {@code jcmd}; stopped with SIGTERM (then, past a bound, SIGKILL) by its
 * own process id.
 */
final class AgentProcess implements AutoCloseable {

  static final String NODE = "bench-node";

  private static final Pattern HEAP_USED =
      Pattern.compile("(?:generation|heap)\\s+total \\d+K, used (\\d+)K");
  private static final Pattern STARTED =
      Pattern.compile("Started \\S+ in ([0-9.]+) seconds \\(process running for ([0-9.]+)\\)");

  private final Process process;
  private final Path jcmd;
  private final Path log;
  private final int httpPort;
  private final int managementPort;
  private final long startNanos;
  private volatile long readyNanos;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private AgentProcess(
      Process process, Path jcmd, Path log, int httpPort, int managementPort, long startNanos) {
    this.process = process;
    this.jcmd = jcmd;
    this.log = log;
    this.httpPort = httpPort;
    this.managementPort = managementPort;
    this.startNanos = startNanos;
  }

  /**
   * Starts {@code java <jvmFlags> -jar <jar> <agent args>} with the variant's JDK. The actuator is
   * on the HTTP port unless an argument sets {@code --management.server.port}.
   *
   * @param kubeletRoot the kubelet root folder the agent watches ({@code plugins_registry} below)
   * @param extraArgs more Spring arguments, e.g. {@code --dra.agent.wipe.delay=1s}; {@code {free}}
   *     stands for a free port, {@code {http}} for the HTTP port
   */
  static AgentProcess start(
      Variant variant,
      List<String> jvmFlags,
      Path jar,
      Path kubeletRoot,
      List<String> extraArgs,
      Path log)
      throws IOException {
    int http = freePort();
    int grpc = freePort();
    int management = http;
    List<String> args = new ArrayList<>();
    for (String arg : extraArgs) {
      String value = arg.replace("{http}", Integer.toString(http));
      if (value.contains("{free}")) {
        int port = freePort();
        value = value.replace("{free}", Integer.toString(port));
        if (value.startsWith("--management.server.port=")) {
          management = port;
        }
      }
      args.add(value);
    }
    List<String> command = new ArrayList<>();
    command.add(variant.java().toString());
    command.addAll(jvmFlags);
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(
        List.of(
            "--dra.agent.kubelet-root-dir=" + kubeletRoot,
            "--dra.agent.node-name=" + NODE,
            "--dra.agent.mode=registrar",
            "--dra.agent.kubernetes.field-selectors=client",
            "--server.port=" + http,
            "--server.address=127.0.0.1",
            "--spring.grpc.server.port=" + grpc,
            "--spring.grpc.server.address=127.0.0.1"));
    command.addAll(args);
    if (management != http) {
      command.add("--management.server.address=127.0.0.1");
    }
    Files.createDirectories(log.getParent());
    Files.writeString(log, String.join(" ", command) + "\n\n", StandardCharsets.UTF_8);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    // Only the flags decide how the agent's client finds its API server.
    builder.environment().remove("KUBECONFIG");
    builder.environment().remove("KUBERNETES_MASTER");
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    builder.environment().putAll(AgentFlags.environment(variant));
    long start = System.nanoTime();
    Process process = builder.start();
    return new AgentProcess(process, variant.jcmd(), log, http, management, start);
  }

  /** Polls the readiness probe every 10 ms; returns the nanoTime at which it first said UP. */
  long awaitReady(Duration bound) {
    HttpRequest probe =
        HttpRequest.newBuilder(url(managementPort, "/actuator/health/readiness"))
            .timeout(Duration.ofSeconds(2))
            .build();
    AtomicLong ready = new AtomicLong();
    await()
        .alias("agent ready (see " + log + ")")
        .atMost(bound)
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(
                    "agent exited with "
                        + process.exitValue()
                        + " before it was ready; see "
                        + log);
              }
              try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                  return false;
                }
              } catch (IOException e) {
                return false; // not listening yet
              }
              ready.set(System.nanoTime());
              return true;
            });
    return ready.get();
  }

  long startNanos() {
    return startNanos;
  }

  void markReady(long nanos) {
    readyNanos = nanos;
  }

  /** From the process start to the first UP of the readiness probe, in ms. */
  double startToReadyMillis() {
    return (readyNanos - startNanos) / 1e6;
  }

  long pid() {
    return process.pid();
  }

  int httpPort() {
    return httpPort;
  }

  Path log() {
    return log;
  }

  URI api(String path) {
    return url(httpPort, path);
  }

  URI management(String path) {
    return url(managementPort, path);
  }

  /** Spring Boot's own "Started … in X seconds (process running for Y)", in ms; NaN if absent. */
  double[] startedLine() throws IOException {
    Matcher m = STARTED.matcher(Files.readString(log, StandardCharsets.UTF_8));
    return m.find()
        ? new double[] {
          Double.parseDouble(m.group(1)) * 1000, Double.parseDouble(m.group(2)) * 1000
        }
        : new double[] {Double.NaN, Double.NaN};
  }

  /** Threads, open file descriptors and resident memory, from {@code /proc}. */
  ProcessStats stats() throws IOException {
    long rssKb = 0;
    int threads = 0;
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        rssKb = Long.parseLong(line.replaceAll("\\D+", ""));
      } else if (line.startsWith("Threads:")) {
        threads = Integer.parseInt(line.replaceAll("\\D+", ""));
      }
    }
    long fds;
    try (Stream<Path> list = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
      fds = list.count();
    }
    return new ProcessStats(threads, (int) fds, rssKb / 1024.0, Double.NaN);
  }

  /**
   * The process's threads by name, digits folded into {@code N} ({@code dra-grpc-N ×4}), most
   * first; from {@code /proc}, so reading them starts no thread (jcmd would start one).
   */
  String threadNames() throws IOException {
    java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
      for (Path task : tasks.toList()) {
        try {
          String name = Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).strip();
          counts.merge(name.replaceAll("\\d+", "N"), 1, Integer::sum);
        } catch (IOException e) {
          // the thread ended while we listed
        }
      }
    }
    return counts.entrySet().stream()
        .sorted(java.util.Map.Entry.<String, Integer>comparingByValue().reversed())
        .map(e -> e.getValue() == 1 ? e.getKey() : e.getKey() + " ×" + e.getValue())
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /** {@link #stats()} plus the Java heap in use right after a full GC ({@code jcmd}). */
  ProcessStats statsAfterGc() throws IOException, InterruptedException {
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    long usedKb = 0;
    Matcher m = HEAP_USED.matcher(info);
    while (m.find()) {
      usedKb += Long.parseLong(m.group(1));
    }
    ProcessStats s = stats();
    return new ProcessStats(s.threads(), s.fds(), s.rssMb(), usedKb / 1024.0);
  }

  private String jcmd(String command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(jcmd.toString(), Long.toString(pid()), command)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("jcmd " + command + " failed: " + out);
    }
    return out;
  }

  /** SIGTERM, wait up to 30 s for the graceful shutdown, then SIGKILL. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static URI url(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A process's footprint.
   *
   * @param heapAfterGcMb NaN unless measured right after a full GC
   */
  record ProcessStats(int threads, int fds, double rssMb, double heapAfterGcMb) {
    @Override
    public String toString() {
      return String.format(
          java.util.Locale.ROOT,
          "threads %d, fds %d, RSS %.1f MB%s",
          threads,
          fds,
          rssMb,
          Double.isNaN(heapAfterGcMb)
              ? ""
              : String.format(java.util.Locale.ROOT, ", heap after GC %.1f MB", heapAfterGcMb));
    }
  }
}
