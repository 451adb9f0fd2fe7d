package io.dranode.agent.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What each security mode loads, read from the JVM's class-loading log of the packaged agent
 * started up to its context refresh (as the image's CDS training run does): {@code none} loads no
 * X.509 library and nothing of {@code kubernetes} mode but three small classes; {@code kubernetes}
 * with certificate files loads no X.509 library either; only the self-signed fallback does.
 */
class SecurityFootprintIT {

  static final Pattern LOADED = Pattern.compile("\\[class,load\\] (\\S+) ");

  Path jar;
  Path root;

  @BeforeEach
  void prepare() throws IOException {
    jar = Path.of(System.getProperty("agent.jar", "target/dra-node-agent-0.1.0-SNAPSHOT.jar"));
    assumeTrue(
        Files.isRegularFile(jar),
        "the agent jar " + jar.toAbsolutePath() + " is missing: run after `./mvnw package`");
    root = Files.createTempDirectory(Path.of("/tmp"), "fp");
  }

  @AfterEach
  void cleanUp() throws IOException {
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Test
  void noneLoadsNothingOfKubernetesMode() throws Exception {
    List<String> loaded = classesLoaded("none");

    assertThat(loaded).as("classes loaded").hasSizeGreaterThan(1000);
    report("none", loaded);
    assertThat(loaded).noneMatch(c -> c.startsWith("org.bouncycastle."));
    // The mode check, the warning, and the condition Spring loads to evaluate it (it loads every
    // condition of a class before it evaluates the first).
    assertThat(
            loaded.stream()
                .filter(c -> c.startsWith("io.dranode.agent.security."))
                .filter(c -> !c.contains("$$Lambda")))
        .containsExactlyInAnyOrder(
            "io.dranode.agent.security.TlsEnvironment",
            "io.dranode.agent.security.OpenDoorWarning",
            "io.dranode.agent.security.ManagementPortSecurity$InChildContext");
  }

  @Test
  void kubernetesWithCertificateFilesLoadsNoX509Library() throws Exception {
    Path certificate = root.resolve("tls.crt");
    Path key = root.resolve("tls.key");
    TestTls.write(certificate, key, "localhost");

    List<String> loaded =
        classesLoaded(
            "kubernetes",
            "--dra.agent.security.tls.certificate-file=" + certificate,
            "--dra.agent.security.tls.private-key-file=" + key);

    assertThat(loaded).contains("io.dranode.agent.security.AccessReviews");
    report("kubernetes, certificate files", loaded);
    assertThat(loaded).noneMatch(c -> c.startsWith("org.bouncycastle."));
  }

  @Test
  void onlyTheSelfSignedFallbackLoadsIt() throws Exception {
    List<String> loaded = classesLoaded("kubernetes");

    assertThat(loaded).anyMatch(c -> c.startsWith("org.bouncycastle."));
    report("kubernetes, self-signed", loaded);
  }

  /** For docs/BENCHMARKS.md: classes loaded up to the end of the context refresh. */
  private static void report(String mode, List<String> loaded) {
    System.out.printf(
        "classes at refresh, mode %s: %d (%d of them org.bouncycastle)%n",
        mode,
        loaded.size(),
        loaded.stream().filter(c -> c.startsWith("org.bouncycastle.")).count());
  }

  private List<String> classesLoaded(String mode, String... args) throws Exception {
    Path log = root.resolve("classes-" + mode + ".log");
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load=info:file=" + log,
                "-Dspring.context.exit=onRefresh",
                "-Dkubernetes.master=https://127.0.0.1:1",
                "-Dkubernetes.auth.tryKubeConfig=false",
                "-Dkubernetes.auth.tryServiceAccount=false",
                "-jar",
                jar.toString(),
                "--dra.agent.security.mode=" + mode,
                "--dra.agent.node-name=worker",
                "--dra.agent.kubelet-root-dir=" + root,
                "--server.port=0",
                "--spring.grpc.server.port=0"));
    command.addAll(List.of(args));
    Path output = root.resolve("agent-" + mode + ".out");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    boolean exited = process.waitFor(120, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("exited after refresh").isTrue();
    assertThat(process.exitValue()).as(Files.readString(output)).isZero();
    List<String> classes = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      Matcher matcher = LOADED.matcher(line);
      if (matcher.find()) {
        classes.add(matcher.group(1));
      }
    }
    return classes;
  }
}
