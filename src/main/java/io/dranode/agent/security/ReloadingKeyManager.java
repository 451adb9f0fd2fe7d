package io.dranode.agent.security;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * The server's key and certificate for the gRPC port, replaceable while the server runs: the gRPC
 * server takes its key manager once, at start, so rotation swaps what this one hands out. Every new
 * TLS handshake uses the key in place when it starts. Aliases are the key store's (the platform's
 * default {@code SunX509} manager), the same in every store Spring Boot builds from PEM files, so
 * an alias chosen just before a swap still finds its chain.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {

  private volatile X509ExtendedKeyManager current;

  ReloadingKeyManager(KeyStore keyStore, char @Nullable [] password) {
    this.current = of(keyStore, password);
  }

  void use(KeyStore keyStore, char @Nullable [] password) {
    current = of(keyStore, password);
  }

  /** A key manager factory that always hands out this key manager. */
  KeyManagerFactory factory() {
    KeyManagerFactory platform = platformFactory();
    return new KeyManagerFactory(new Spi(this), platform.getProvider(), platform.getAlgorithm()) {};
  }

  private static X509ExtendedKeyManager of(KeyStore keyStore, char @Nullable [] password) {
    try {
      KeyManagerFactory factory = platformFactory();
      factory.init(keyStore, password == null ? new char[0] : password);
      for (KeyManager manager : factory.getKeyManagers()) {
        if (manager instanceof X509ExtendedKeyManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the platform has no X.509 key manager");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot use the TLS key: " + e.getMessage(), e);
    }
  }

  private static KeyManagerFactory platformFactory() {
    try {
      return KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the platform has no key manager factory", e);
    }
  }

  private static final class Spi extends KeyManagerFactorySpi {
    private final KeyManager manager;

    Spi(KeyManager manager) {
      this.manager = manager;
    }

    @Override
    protected void engineInit(KeyStore keyStore, char[] password) {}

    @Override
    protected void engineInit(ManagerFactoryParameters parameters) {}

    @Override
    protected KeyManager[] engineGetKeyManagers() {
      return new KeyManager[] {manager};
    }
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return current.getClientAliases(keyType, issuers);
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return current.chooseClientAlias(keyType, issuers, socket);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return current.getServerAliases(keyType, issuers);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return current.chooseServerAlias(keyType, issuers, socket);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return current.getCertificateChain(alias);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return current.getPrivateKey(alias);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return current.chooseEngineClientAlias(keyType, issuers, engine);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return current.chooseEngineServerAlias(keyType, issuers, engine);
  }
}
