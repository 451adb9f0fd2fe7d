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

  static TaintRule of(String node, String driver, String pool) {
    String hash = hash(node + "/" + driver + "/" + pool);
    String readable = sanitized(node + "-" + driver + "-" + pool);
    int room = NAME_MAX - HASH_CHARS - 1;
    if (readable.length() > room) {
      readable = readable.substring(0, room);
    }
    readable = readable.replaceAll("[-.]+$", "");
    return new TaintRule(readable + "-" + hash, driver, pool);
  }

  /** Lower case, and only what a DNS subdomain allows: pool names may hold '/' and more. */
  private static String sanitized(String value) {
    return value
        .toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9.-]", "-")
        .replaceAll("-{2,}", "-")
        .replaceAll("\\.{2,}", ".")
        .replaceAll("^[-.]+", "");
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
