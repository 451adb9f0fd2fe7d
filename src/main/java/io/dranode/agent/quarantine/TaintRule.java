package io.dranode.agent.quarantine;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * One quarantined pool: the rule's deterministic name, and what it selects.
 *
 * @param name the DeviceTaintRule's name: this node's name, the driver and the pool, cut to fit,
 *     and a hash of all three, so that it is the same on every attempt and unique per pool
 * @param driver the driver whose devices it taints
 * @param pool the pool it selects
 */
record TaintRule(String name, String driver, String pool) {

  /** The longest Kubernetes object name. */
  static final int NAME_MAX = 253;

  private static final int HASH_CHARS = 10;

  /**
   * The node's name comes first, unchanged (it is a valid DNS subdomain of at most 63 characters),
   * so the admission policy can check the prefix; driver and pool follow in letters, digits and
   * dashes only, since pool names may hold '/' and more.
   */
  static TaintRule of(String node, String driver, String pool) {
    String hash = hash(node + "/" + driver + "/" + pool);
    String readable = squashed(driver + "-" + pool);
    int room = NAME_MAX - node.length() - HASH_CHARS - 2;
    if (readable.length() > room) {
      readable = readable.substring(0, Math.max(0, room)).replaceAll("-+$", "");
    }
    String name = readable.isEmpty() ? node + "-" + hash : node + "-" + readable + "-" + hash;
    return new TaintRule(name, driver, pool);
  }

  private static String squashed(String value) {
    return value.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
  }

  private static String hash(String value) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, HASH_CHARS);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
