package io.dranode.agent.security;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.ssl.SslBundleRegistrar;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundleKey;
import org.springframework.boot.ssl.SslBundleRegistry;
import org.springframework.boot.ssl.SslManagerBundle;
import org.springframework.boot.ssl.SslOptions;
import org.springframework.boot.ssl.pem.PemSslStore;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;

/**
 * The SSL bundle {@value TlsEnvironment#BUNDLE} that the HTTP server(s) and the gRPC server use in
 * {@code kubernetes} mode (see {@link TlsEnvironment}): from the certificate files, or self-signed.
 * On a change of the files the bundle is updated: Spring Boot reloads the web server's certificate,
 * and the gRPC server's key manager ({@link ReloadingKeyManager}) hands out the new one.
 */
final class AgentCertificates implements SslBundleRegistrar {

  private static final Logger log = LoggerFactory.getLogger(AgentCertificates.class);

  private final @Nullable CertificateFiles files;
  private final Clock clock;
  private final ReloadingKeyManager keyManager;
  private final SslManagerBundle managers;
  private volatile PemSslStore current;
  private volatile @Nullable SslBundleRegistry registry;
  private boolean unreadable; // guarded by this: the files could not be read last time

  private AgentCertificates(@Nullable CertificateFiles files, PemSslStore first, Clock clock) {
    this.files = files;
    this.clock = clock;
    this.current = first;
    PemSslStoreBundle stores = new PemSslStoreBundle(first, null);
    this.keyManager = new ReloadingKeyManager(keyStore(stores), password(stores));
    this.managers = SslManagerBundle.of(keyManager.factory(), noClientCertificates());
    warnIfExpired(first);
  }

  /** From the files; start-up fails with a message naming them when they are not a good pair. */
  static AgentCertificates fromFiles(CertificateFiles files, Clock clock) {
    AgentCertificates certificates = new AgentCertificates(files, files.load(), clock);
    log.info(
        "TLS certificate from {} ({}), re-read when it changes",
        files.certificate(),
        describe(certificates.certificate()));
    return certificates;
  }

  /** Self-signed for the node and pod, for clients that skip verification. */
  static AgentCertificates selfSigned(PemSslStore store, Clock clock) {
    AgentCertificates certificates = new AgentCertificates(null, store, clock);
    log.info(
        "TLS certificate self-signed at start-up ({}); set dra.agent.security.tls.certificate-file"
            + " and private-key-file for one that clients can verify",
        describe(certificates.certificate()));
    return certificates;
  }

  @Override
  public void registerBundles(SslBundleRegistry into) {
    into.registerBundle(TlsEnvironment.BUNDLE, bundle(current));
    registry = into;
  }

  /** The server certificate served now. */
  X509Certificate certificate() {
    return first(current);
  }

  /**
   * Re-reads the files; installs their pair when it changed and is good. A bad or unreadable pair
   * is logged once and the certificate in use stays.
   */
  synchronized void reload() {
    CertificateFiles from = files;
    if (from == null) {
      return;
    }
    Optional<PemSslStore> changed;
    try {
      changed = from.changed();
      if (unreadable) {
        unreadable = false;
        log.info("The TLS files are readable again");
      }
    } catch (IOException e) {
      if (!unreadable) {
        unreadable = true;
        log.warn("Cannot read the TLS files, keeping the certificate in use: {}", e.toString());
      }
      return;
    } catch (TlsFilesException e) {
      log.warn(
          "Not using the changed TLS files, keeping the certificate in use: {}", e.getMessage());
      return;
    }
    if (changed.isEmpty()) {
      return;
    }
    PemSslStore next = changed.get();
    PemSslStoreBundle stores = new PemSslStoreBundle(next, null);
    keyManager.use(keyStore(stores), password(stores));
    current = next;
    SslBundleRegistry target = registry;
    if (target != null) {
      target.updateBundle(TlsEnvironment.BUNDLE, bundle(next));
    }
    log.info("TLS certificate reloaded ({})", describe(certificate()));
    warnIfExpired(next);
  }

  private SslBundle bundle(PemSslStore store) {
    return SslBundle.of(
        new PemSslStoreBundle(store, null), SslBundleKey.NONE, SslOptions.NONE, "TLS", managers);
  }

  private void warnIfExpired(PemSslStore store) {
    X509Certificate certificate = first(store);
    if (certificate.getNotAfter().toInstant().isBefore(clock.instant())) {
      log.warn(
          "The TLS certificate expired at {}: clients will refuse it",
          certificate.getNotAfter().toInstant());
    }
  }

  private static String describe(X509Certificate certificate) {
    return "subject "
        + certificate.getSubjectX500Principal().getName()
        + ", valid until "
        + certificate.getNotAfter().toInstant();
  }

  /**
   * The server's certificate: the first of the chain ({@link CertificateFiles} checks there is
   * one).
   */
  private static X509Certificate first(PemSslStore store) {
    List<X509Certificate> chain = store.certificates();
    if (chain == null || chain.isEmpty()) {
      throw new IllegalStateException("the TLS store holds no certificate");
    }
    return chain.get(0);
  }

  private static KeyStore keyStore(PemSslStoreBundle stores) {
    KeyStore keyStore = stores.getKeyStore();
    if (keyStore == null) {
      throw new IllegalStateException("the TLS store holds no key");
    }
    return keyStore;
  }

  private static char @Nullable [] password(PemSslStoreBundle stores) {
    String password = stores.getKeyStorePassword();
    return password == null ? null : password.toCharArray();
  }

  /** Client certificates are not asked for; the trust manager trusts none. */
  private static TrustManagerFactory noClientCertificates() {
    try {
      KeyStore empty = KeyStore.getInstance(KeyStore.getDefaultType());
      empty.load(null, null);
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(empty);
      return factory;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
    }
  }
}
