package io.dranode.agent.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.ssl.pem.PemSslStore;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;

/**
 * The certificate and key files (PEM), read whole each time so that a change shows as different
 * content. A mounted Secret is swapped atomically, but the two files are read one after the other,
 * so a pair read across a swap can mismatch: that pair is refused, and the next read finds the
 * matching one.
 */
final class CertificateFiles {

  private final Path certificate;
  private final Path privateKey;
  private @Nullable String lastRead; // digest of the last pair read, good or bad

  CertificateFiles(Path certificate, Path privateKey) {
    this.certificate = certificate;
    this.privateKey = privateKey;
  }

  /** Reads and checks both files; fails with a message that names the file and the problem. */
  PemSslStore load() {
    try {
      byte[] certificateBytes = Files.readAllBytes(certificate);
      byte[] keyBytes = Files.readAllBytes(privateKey);
      lastRead = digest(certificateBytes, keyBytes);
      return parse(certificateBytes, keyBytes);
    } catch (IOException e) {
      throw new TlsFilesException("cannot read the TLS files: " + e, e);
    }
  }

  /**
   * The files' pair if it differs from the last one read, empty when unchanged. Each new content is
   * tried once: a bad pair throws, and is not tried again until the files change.
   */
  Optional<PemSslStore> changed() throws IOException {
    byte[] certificateBytes = Files.readAllBytes(certificate);
    byte[] keyBytes = Files.readAllBytes(privateKey);
    String digest = digest(certificateBytes, keyBytes);
    if (digest.equals(lastRead)) {
      return Optional.empty();
    }
    lastRead = digest;
    return Optional.of(parse(certificateBytes, keyBytes));
  }

  Path certificate() {
    return certificate;
  }

  private PemSslStore parse(byte[] certificateBytes, byte[] keyBytes) {
    String certificatePem = new String(certificateBytes, StandardCharsets.US_ASCII);
    String keyPem = new String(keyBytes, StandardCharsets.US_ASCII);
    if (!certificatePem.contains("-----BEGIN")) {
      throw new TlsFilesException(certificate + " holds no PEM certificate");
    }
    if (!keyPem.contains("-----BEGIN")) {
      throw new TlsFilesException(privateKey + " holds no PEM private key");
    }
    PemSslStore store;
    try {
      store =
          PemSslStore.load(new PemSslStoreDetails(null, null, null, certificatePem, keyPem, null));
    } catch (RuntimeException e) {
      throw new TlsFilesException(
          "cannot parse " + certificate + " and " + privateKey + ": " + e.getMessage(), e);
    }
    List<X509Certificate> chain = store == null ? null : store.certificates();
    PrivateKey key = store == null ? null : store.privateKey();
    if (store == null || chain == null || chain.isEmpty()) {
      throw new TlsFilesException(certificate + " holds no certificate");
    }
    if (key == null) {
      throw new TlsFilesException(privateKey + " holds no private key");
    }
    if (!matches(key, chain.get(0).getPublicKey())) {
      throw new TlsFilesException(
          privateKey + " is not the key of the certificate in " + certificate);
    }
    return store;
  }

  /** Whether the key signs what the certificate's public key verifies. */
  static boolean matches(PrivateKey key, PublicKey certified) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          case "Ed448" -> "Ed448";
          default -> null;
        };
    if (algorithm == null) {
      return key.getAlgorithm().equals(certified.getAlgorithm()); // cannot tell more
    }
    try {
      byte[] probe = "dra-node-agent key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certified);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String digest(byte[] first, byte[] second) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(first);
      digest.update((byte) 0);
      digest.update(second);
      return HexFormat.of().formatHex(digest.digest());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
