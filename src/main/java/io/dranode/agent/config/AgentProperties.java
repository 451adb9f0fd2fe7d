package io.dranode.agent.config;

import io.dranode.agent.input.KubernetesNames;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Every setting of the agent, validated when the context starts. A bad value stops start-up with a
 * message that names the property, and so does a name under {@code dra.agent} that is none of these
 * ({@link UnknownPropertiesCheck}). Each default is written once, in its {@code @DefaultValue}, and
 * matches the kubelet's where it has one.
 *
 * @param nodeName this node's name: {@code NODE_NAME} from the downward API, else the host name
 * @param mode {@code registrar} (no kubelet on the node) or {@code observer} (beside a kubelet)
 * @param kubeletRootDir the kubelet's root folder; plugin endpoints must lie inside it
 * @param registryDir the plugin registry folder, by default {@code
 *     <kubeletRootDir>/plugins_registry}
 * @param pluginsDir the plugins folder, by default {@code <kubeletRootDir>/plugins}
 * @param security who may call the agent's HTTP and gRPC ports, and over what
 */
@ConfigurationProperties("dra.agent")
public record AgentProperties(
    String nodeName,
    Mode mode,
    Path kubeletRootDir,
    Path registryDir,
    Path pluginsDir,
    Registration registration,
    Wipe wipe,
    Kubernetes kubernetes,
    DeviceHealth deviceHealth,
    Security security,
    Diagnostics diagnostics,
    Events events,
    ClusterView clusterView,
    Quarantine quarantine) {

  /** Binding constructor: fills the derived defaults, then validates. */
  public AgentProperties(
      @Nullable String nodeName,
      @DefaultValue("registrar") Mode mode,
      @DefaultValue("/var/lib/kubelet") Path kubeletRootDir,
      @Nullable Path registryDir,
      @Nullable Path pluginsDir,
      @DefaultValue Registration registration,
      @DefaultValue Wipe wipe,
      @DefaultValue Kubernetes kubernetes,
      @DefaultValue DeviceHealth deviceHealth,
      @DefaultValue Security security,
      @DefaultValue Diagnostics diagnostics,
      @DefaultValue Events events,
      @DefaultValue ClusterView clusterView,
      @DefaultValue Quarantine quarantine) {
    Path root = absolute("dra.agent.kubelet-root-dir", kubeletRootDir);
    this.nodeName = validNodeName(nodeName);
    this.mode = mode;
    this.kubeletRootDir = root;
    this.registryDir =
        absolute("dra.agent.registry-dir", orElse(registryDir, root.resolve("plugins_registry")));
    this.pluginsDir =
        absolute("dra.agent.plugins-dir", orElse(pluginsDir, root.resolve("plugins")));
    this.registration = registration;
    this.wipe = wipe;
    this.kubernetes = kubernetes;
    this.deviceHealth = deviceHealth;
    this.security = security;
    this.diagnostics = diagnostics;
    this.events = events;
    this.clusterView = clusterView;
    this.quarantine = quarantine;
  }

  /** Who tells the plugin the registration result. */
  public enum Mode {
    /** The agent is the registrar: it sends {@code NotifyRegistrationStatus}. */
    REGISTRAR,
    /** A kubelet is the registrar: the agent watches and never notifies a plugin. */
    OBSERVER
  }

  /** Where ResourceSlices are filtered by node and driver. */
  public enum FieldSelectors {
    /** The API server filters ({@code spec.nodeName}, {@code spec.driver}); we check again. */
    SERVER,
    /**
     * The agent lists all slices and filters them itself: for in-memory API servers that do not
     * implement {@code spec.*} field selectors. Never needed against a real API server.
     */
    CLIENT
  }

  /**
   * Registration protocol timings.
   *
   * @param getInfoTimeout deadline of {@code GetInfo}; 1 s like the kubelet
   * @param notifyTimeout deadline of {@code NotifyRegistrationStatus}; 5 s like the kubelet
   * @param retryInitial first delay before retrying a transient failure; 500 ms like the kubelet
   * @param retryMax longest delay between retries; 2 min 2 s like the kubelet
   */
  public record Registration(
      @DefaultValue("1s") Duration getInfoTimeout,
      @DefaultValue("5s") Duration notifyTimeout,
      @DefaultValue("500ms") Duration retryInitial,
      @DefaultValue("122s") Duration retryMax) {
    public Registration {
      positive("dra.agent.registration.get-info-timeout", getInfoTimeout);
      positive("dra.agent.registration.notify-timeout", notifyTimeout);
      positive("dra.agent.registration.retry-initial", retryInitial);
      positive("dra.agent.registration.retry-max", retryMax);
      if (retryMax.compareTo(retryInitial) < 0) {
        throw new IllegalArgumentException(
            "dra.agent.registration.retry-max ("
                + retryMax
                + ") must not be shorter than dra.agent.registration.retry-initial ("
                + retryInitial
                + ")");
      }
    }
  }

  /**
   * ResourceSlice cleanup.
   *
   * @param enabled whether the agent deletes stale slices at all
   * @param dryRun record and log what would be deleted, delete nothing
   * @param delay grace period before a driver's slices are wiped; 30 s like the kubelet, so a
   *     restarting driver never loses its slices to us
   * @param sweepInterval period of the reconciliation that finds orphaned slices
   * @param retryInitial first delay before retrying a failed wipe; 1 s like the kubelet
   * @param retryMax longest delay between wipe retries; 5 min like the kubelet
   * @param parallelDeletes most slice deletes of one wipe in flight at once (1 to {@value
   *     #PARALLEL_DELETES_MAX}); each delete is one round trip, so this divides a large wipe's
   *     time, while keeping the burst at the API server small (its default limit of mutating
   *     requests in flight is 200)
   * @param ignoreDrivers drivers whose slices on this node are never wiped nor swept as orphans
   *     (slices a central controller publishes with {@code nodeName} set, drivers that need no
   *     kubelet plugin)
   */
  public record Wipe(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("false") boolean dryRun,
      @DefaultValue("30s") Duration delay,
      @DefaultValue("5m") Duration sweepInterval,
      @DefaultValue("1s") Duration retryInitial,
      @DefaultValue("5m") Duration retryMax,
      @DefaultValue("16") int parallelDeletes,
      @DefaultValue List<String> ignoreDrivers) {

    /** Largest accepted {@code dra.agent.wipe.parallel-deletes}. */
    public static final int PARALLEL_DELETES_MAX = 64;

    public Wipe {
      positive("dra.agent.wipe.delay", delay);
      positive("dra.agent.wipe.sweep-interval", sweepInterval);
      positive("dra.agent.wipe.retry-initial", retryInitial);
      positive("dra.agent.wipe.retry-max", retryMax);
      if (parallelDeletes < 1 || parallelDeletes > PARALLEL_DELETES_MAX) {
        throw new IllegalArgumentException(
            "dra.agent.wipe.parallel-deletes must be between 1 and "
                + PARALLEL_DELETES_MAX
                + ", got "
                + parallelDeletes);
      }
      for (String driver : ignoreDrivers) {
        if (!KubernetesNames.isDriverName(driver)) {
          throw new IllegalArgumentException(
              "dra.agent.wipe.ignore-drivers: " + KubernetesNames.notADriverName(driver));
        }
      }
      ignoreDrivers = List.copyOf(ignoreDrivers);
    }

    /** Whether this driver's slices are never wiped nor swept. */
    public boolean ignores(String driver) {
      return ignoreDrivers.contains(driver);
    }
  }

  /**
   * Kubernetes API use.
   *
   * @param fieldSelectors {@code server} (default) or {@code client}
   */
  public record Kubernetes(@DefaultValue("server") FieldSelectors fieldSelectors) {}

  /**
   * Device health streams (KEP-4680).
   *
   * @param retryInterval pause before re-opening a failed stream; 5 s like the kubelet
   * @param defaultTimeout how long a device report stays valid when the driver gives no timeout
   */
  public record DeviceHealth(
      @DefaultValue("5s") Duration retryInterval, @DefaultValue("30s") Duration defaultTimeout) {
    public DeviceHealth {
      positive("dra.agent.device-health.retry-interval", retryInterval);
      positive("dra.agent.device-health.default-timeout", defaultTimeout);
    }
  }

  /** Who may call the agent's HTTP and gRPC ports. */
  public enum SecurityMode {
    /**
     * Every call needs a Kubernetes bearer token, checked with a TokenReview and authorized with a
     * SubjectAccessReview (the kubelet's webhook mode), over TLS; the probes stay open.
     */
    KUBERNETES,
    /** Anyone who reaches the ports may call them, in plain text: for a laptop or a test. */
    NONE
  }

  /**
   * Authentication, authorization and TLS of the HTTP and gRPC ports.
   *
   * @param mode {@code none} (default) or {@code kubernetes} (the Helm chart's default)
   * @param audiences audiences the tokens must be meant for; empty: the API server's own
   * @param cache how long review answers are reused
   * @param maxReviewsInFlight most TokenReviews and SubjectAccessReviews in flight at once (1 to
   *     {@value #MAX_REVIEWS_IN_FLIGHT}); a call that would need one more is answered 503 at once,
   *     so a flood of bad tokens never becomes a flood at the API server
   * @param reviewTimeout longest a call waits for its reviews before it is answered 503
   * @param tls the certificate of both ports
   */
  public record Security(
      @DefaultValue("none") SecurityMode mode,
      @DefaultValue List<String> audiences,
      @DefaultValue Cache cache,
      @DefaultValue("4") int maxReviewsInFlight,
      @DefaultValue("5s") Duration reviewTimeout,
      @DefaultValue Tls tls) {

    /** Largest accepted {@code dra.agent.security.max-reviews-in-flight}. */
    public static final int MAX_REVIEWS_IN_FLIGHT = 64;

    public Security {
      audiences = List.copyOf(audiences);
      if (maxReviewsInFlight < 1 || maxReviewsInFlight > MAX_REVIEWS_IN_FLIGHT) {
        throw new IllegalArgumentException(
            "dra.agent.security.max-reviews-in-flight must be between 1 and "
                + MAX_REVIEWS_IN_FLIGHT
                + ", got "
                + maxReviewsInFlight);
      }
      positive("dra.agent.security.review-timeout", reviewTimeout);
    }

    /**
     * Review answers, cached by the SHA-256 of the token (a token itself is never kept) and, for
     * access, by user and path. Like the kubelet's webhook cache: a new token or a revoked
     * permission takes effect within one TTL.
     *
     * @param allowedTtl how long an accepted token or a granted access is reused; 2 min
     * @param deniedTtl how long a refused token or a denied access is reused; 10 s, so that a newly
     *     granted permission works soon
     * @param size most answers kept per kind (tokens, access) and outcome; refusals never push out
     *     grants, so a flood of bad tokens does not make good ones expensive
     */
    public record Cache(
        @DefaultValue("2m") Duration allowedTtl,
        @DefaultValue("10s") Duration deniedTtl,
        @DefaultValue("1000") int size) {
      public Cache {
        positive("dra.agent.security.cache.allowed-ttl", allowedTtl);
        positive("dra.agent.security.cache.denied-ttl", deniedTtl);
        if (size < 1) {
          throw new IllegalArgumentException(
              "dra.agent.security.cache.size must be at least 1, got " + size);
        }
      }
    }

    /**
     * TLS of the HTTP and gRPC ports in {@code kubernetes} mode: a certificate and key from files
     * (e.g. a mounted cert-manager Secret), re-read when they change, or, without files, a
     * self-signed certificate made at start-up.
     *
     * @param certificateFile PEM certificate chain, the server's certificate first
     * @param privateKeyFile PEM private key (PKCS#8, or PKCS#1 RSA, or SEC 1 EC), unencrypted
     * @param reloadInterval how often the two files are checked for a change
     * @param podIp this pod's IP, added to the self-signed certificate beside the node name
     */
    public record Tls(
        @Nullable Path certificateFile,
        @Nullable Path privateKeyFile,
        @DefaultValue("10s") Duration reloadInterval,
        @Nullable String podIp) {
      public Tls {
        if ((certificateFile == null) != (privateKeyFile == null)) {
          throw new IllegalArgumentException(
              "dra.agent.security.tls.certificate-file and dra.agent.security.tls.private-key-file"
                  + " go together: set both (a certificate and its key), or neither (a"
                  + " self-signed certificate is made at start-up)");
        }
        if (certificateFile != null) {
          certificateFile = absolute("dra.agent.security.tls.certificate-file", certificateFile);
        }
        if (privateKeyFile != null) {
          privateKeyFile = absolute("dra.agent.security.tls.private-key-file", privateKeyFile);
        }
        positive("dra.agent.security.tls.reload-interval", reloadInterval);
        podIp = podIp == null || podIp.isBlank() ? null : ipLiteral(podIp.trim());
      }

      /** Whether the certificate comes from files rather than being made at start-up. */
      public boolean fromFiles() {
        return certificateFile != null;
      }
    }
  }

  /**
   * What the agent concludes about each driver (its conditions).
   *
   * @param slicesGrace how long a usable driver may publish no ResourceSlice on this node before
   *     its {@code SlicesPublished} condition turns False
   */
  public record Diagnostics(@DefaultValue("2m") Duration slicesGrace) {
    public Diagnostics {
      positive("dra.agent.diagnostics.slices-grace", slicesGrace);
    }
  }

  /**
   * Kubernetes Events on this node's Node.
   *
   * @param enabled whether the agent writes Events at all
   * @param coalesce how often, at most, the new count of a repeated Event is written; at most
   *     {@value #COALESCE_MAX_SECONDS} s, so that a repeat shows promptly
   */
  public record Events(
      @DefaultValue("true") boolean enabled, @DefaultValue("5s") Duration coalesce) {

    /** Longest accepted {@code dra.agent.events.coalesce}. */
    public static final int COALESCE_MAX_SECONDS = 10;

    public Events {
      positive("dra.agent.events.coalesce", coalesce);
      if (coalesce.compareTo(Duration.ofSeconds(COALESCE_MAX_SECONDS)) > 0) {
        throw new IllegalArgumentException(
            "dra.agent.events.coalesce must be at most "
                + COALESCE_MAX_SECONDS
                + "s, got "
                + coalesce);
      }
    }
  }

  /**
   * The node's {@code DRANode} object (group {@code dra.dranode.io}), the cluster-wide view of its
   * drivers.
   *
   * @param enabled whether the agent writes it at all
   * @param minInterval the shortest time between two writes: what changes meanwhile goes out in the
   *     next one
   * @param recheckInterval how long the agent waits before it tries again when the API server does
   *     not serve DRANode objects (the CRD is not installed) or refuses the write
   */
  public record ClusterView(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("2s") Duration minInterval,
      @DefaultValue("5m") Duration recheckInterval) {
    public ClusterView {
      positive("dra.agent.cluster-view.min-interval", minInterval);
      positive("dra.agent.cluster-view.recheck-interval", recheckInterval);
    }
  }

  /**
   * Keeping new allocations off an unusable driver's devices during the grace period, with a {@code
   * DeviceTaintRule} ({@code NoSchedule}) per pool of this node, until the driver is back or its
   * slices are wiped.
   *
   * @param enabled whether the agent quarantines at all (off unless asked: it writes objects that
   *     the scheduler obeys)
   * @param pools {@code node}: only pools named like this node, which node-local drivers use and
   *     the admission policy can check; {@code any}: every pool of this node's slices (weaker)
   */
  public record Quarantine(
      @DefaultValue("false") boolean enabled, @DefaultValue("node") QuarantinePools pools) {}

  /** Which pools a quarantine covers. */
  public enum QuarantinePools {
    /** Pools whose name is this node's name. */
    NODE,
    /** Every pool of this node's slices of the driver. */
    ANY
  }

  private static String ipLiteral(String value) {
    boolean looksLikeIp =
        value.contains(":")
            ? value.matches("[0-9a-fA-F:.]+")
            : value.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    if (looksLikeIp) {
      try {
        return InetAddress.getByName(value).getHostAddress(); // a literal: no name lookup
      } catch (UnknownHostException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException(
        "dra.agent.security.tls.pod-ip must be an IPv4 or IPv6 address, got '" + value + "'");
  }

  private static String validNodeName(@Nullable String configured) {
    String name = configured == null || configured.isBlank() ? hostName() : configured.trim();
    if (!KubernetesNames.isDnsSubdomain(name, KubernetesNames.NODE_NAME_MAX)) {
      throw new IllegalArgumentException(
          "dra.agent.node-name '"
              + name
              + "' is not a valid Kubernetes node name (a lower-case DNS subdomain); set it or"
              + " NODE_NAME");
    }
    return name;
  }

  private static String hostName() {
    String env = System.getenv("NODE_NAME");
    if (env != null && !env.isBlank()) {
      return env.trim();
    }
    try {
      return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "dra.agent.node-name is not set, NODE_NAME is empty and the host name is unknown", e);
    }
  }

  private static Path absolute(String property, Path path) {
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException(
          property + " must be an absolute path, got '" + path + "'");
    }
    return path.normalize();
  }

  private static void positive(String property, @Nullable Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(property + " must be a positive duration, got " + value);
    }
  }

  private static <T> T orElse(@Nullable T value, T fallback) {
    return value == null ? fallback : value;
  }
}
