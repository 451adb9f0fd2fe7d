package io.dranode.agent.input;

import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Kubernetes' name rules that the agent checks: DNS subdomains, DRA driver names, node names. */
public final class KubernetesNames {

  /** A lower-case RFC 1123 DNS subdomain (letters, digits, '-' and '.'). */
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  /** A DRA driver name is a DNS subdomain of at most 63 characters, as upstream validates it. */
  public static final int DRIVER_NAME_MAX = 63;

  /** A node name is a DNS subdomain of at most 253 characters. */
  public static final int NODE_NAME_MAX = 253;

  /** Characters of a refused name echoed back to an API caller. */
  private static final int ECHO_MAX = 70;

  private KubernetesNames() {}

  /** Whether the value is a lower-case DNS subdomain of at most {@code max} characters. */
  public static boolean isDnsSubdomain(String value, int max) {
    return !value.isEmpty() && value.length() <= max && DNS_SUBDOMAIN.matcher(value).matches();
  }

  public static boolean isDriverName(String value) {
    return isDnsSubdomain(value, DRIVER_NAME_MAX);
  }

  /** Null when the value is a valid DRA driver name, else the reason (upstream's wording). */
  public static @Nullable String driverNameProblem(String driver) {
    if (driver.isEmpty()) {
      return "Required value: DRA driver name must not be empty";
    }
    if (driver.length() > DRIVER_NAME_MAX) {
      return "Too long: DRA driver name "
          + Untrusted.quote(driver)
          + " may not be more than "
          + DRIVER_NAME_MAX
          + " characters";
    }
    if (!DNS_SUBDOMAIN.matcher(driver).matches()) {
      return "invalid DRA driver name "
          + Untrusted.quote(driver)
          + ": must be a lower-case DNS subdomain (letters, digits, '-' and '.')";
    }
    return null;
  }

  /** What every API says about a name that is not a driver name; a long one is cut. */
  public static String notADriverName(String value) {
    int shown = value.codePointCount(0, value.length());
    String cut =
        shown > ECHO_MAX
            ? Untrusted.bounded(value.substring(0, value.offsetByCodePoints(0, ECHO_MAX)), 1024)
                + "…"
            : Untrusted.bounded(value, 1024);
    return "'"
        + cut
        + "' is not a valid DRA driver name (a lower-case DNS subdomain of at most "
        + DRIVER_NAME_MAX
        + " characters)";
  }
}
