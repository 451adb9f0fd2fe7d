package io.dranode.example;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where a driver's two sockets live, named exactly as the upstream kubelet-plugin helper names
 * them, so the agent sees the same files a real driver leaves.
 *
 * <ul>
 *   <li>registration: {@code <root>/plugins_registry/<driver>-reg.sock}; in rolling-update mode the
 *       first of {@code <driver>-<podUID>-reg.sock}, {@code <driver>-<h8>-reg.sock}, {@code
 *       dra-<h16>-reg.sock} whose full path fits (the helper's {@code
 *       RollingUpdateRegistrarSocketFile}), where {@code h8} is the unpadded base64url of the first
 *       8 bytes of SHA-256(podUID) and {@code h16} of the first 16 bytes of SHA-256(driver NUL
 *       podUID);
 *   <li>DRA service: {@code <root>/plugins/<driver>/dra.sock}, or {@code dra-<podUID>.sock}.
 * </ul>
 *
 * @param registration the registration socket the agent discovers
 * @param dra the DRA service socket, reported by {@code GetInfo} as the endpoint
 */
public record SocketPaths(Path registration, Path dra) {

  /**
   * {@code sun_path} is 108 bytes including the terminating NUL, so a path may use 107; the kubelet
   * refuses an endpoint of 108 bytes or more.
   */
  public static final int MAX_PATH_BYTES = 107;

  public static SocketPaths of(ExampleDriverConfig config) {
    Path root = config.kubeletRootDir();
    String driver = config.driverName();
    String podUid = config.podUid();
    Path registryDir = root.resolve("plugins_registry");
    Path pluginDir = root.resolve("plugins").resolve(driver);

    Path registration = registryDir.resolve(registrationFileName(registryDir, driver, podUid));
    Path dra = pluginDir.resolve(podUid == null ? "dra.sock" : "dra-" + podUid + ".sock");
    requireFits(registration, "registration socket");
    requireFits(dra, "DRA socket");
    return new SocketPaths(registration, dra);
  }

  static String registrationFileName(Path registryDir, String driver, @Nullable String podUid) {
    if (podUid == null) {
      return driver + "-reg.sock";
    }
    List<String> candidates =
        List.of(
            driver + "-" + podUid + "-reg.sock",
            driver + "-" + shortHash(podUid, 8) + "-reg.sock",
            "dra-" + shortHash(driver + "\0" + podUid, 16) + "-reg.sock");
    for (String name : candidates) {
      if (fits(registryDir.resolve(name))) {
        return name;
      }
    }
    // None fits: return the shortest so that the length check names the real problem.
    return candidates.get(candidates.size() - 1);
  }

  static boolean fits(Path path) {
    return bytes(path) <= MAX_PATH_BYTES;
  }

  private static int bytes(Path path) {
    return path.toString().getBytes(StandardCharsets.UTF_8).length;
  }

  private static void requireFits(Path path, String what) {
    if (!fits(path)) {
      throw new IllegalArgumentException(
          what
              + " path is "
              + bytes(path)
              + " bytes, a Unix socket path must stay under 108 bytes: "
              + path
              + " (use a shorter kubelet root dir or driver name)");
    }
  }

  private static String shortHash(String input, int bytes) {
    try {
      byte[] sum =
          MessageDigest.getInstance("SHA-256").digest(input.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(sum, bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
